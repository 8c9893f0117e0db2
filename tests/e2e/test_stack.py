"""End to end on the real stack: worker under `wrangler dev`, real `folio work`
hosts (Tesseract in wasmtime + WASI plugins), real webhook receivers."""

import collections
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhook_verifiers"))

import spec_client  # noqa: E402
from fixtures import receipt_png, scanned_pdf  # noqa: E402
from harness.edge import wait_final  # noqa: E402
from harness.host import HostProcess  # noqa: E402
from spec_docurift import verify_webhook  # noqa: E402


def submit(edge, key, content: bytes, name: str, **data) -> str:
    r = requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                      files={"file": (name, content)}, data=data, timeout=60)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def completed_doc_ids(*hosts: HostProcess) -> list[str]:
    """Document ids each host reported as completed, from its JSON logs."""
    ids = []
    for h in hosts:
        for line in h.log_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("msg") == "job completed":
                ids.append(rec["docId"])
    return ids


@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="host-a") as h:
        yield h


def test_spec_python_client_gets_a_completed_invoice(edge, tenant, host, invoice_png, receiver):
    # The spec's own client functions, with only the URL and key changed.
    _, key = tenant
    spec_client.API_URL = edge.url("/v1")
    spec_client.API_KEY = key.api_key
    result = spec_client.process_document_async(str(invoice_png), "invoice", webhook_url=receiver.url)
    document_id = result["data"]["id"]
    assert result["success"] is True and document_id.startswith("doc_")
    final = spec_client.poll_document_status(document_id, max_attempts=120, interval=1)
    data = final["data"]
    assert data["status"] == "completed" and data["documentType"] == "invoice"
    assert data["pagesProcessed"] == 1
    extracted = data["extractedData"]
    # invoice-300.png prints "Invoice No: INV-2024-00917" and "Total Due (EUR) 4,070.22".
    assert extracted.get("invoiceNumber") == "INV-2024-00917", extracted
    assert extracted.get("totalAmount") == pytest.approx(4070.22), extracted
    assert extracted.get("currency") == "EUR", extracted
    assert 0 < data["confidence"] <= 1
    assert data["metadata"]["processingTimeMs"] > 0 and data["metadata"]["modelVersion"]


def test_signed_webhook_verifies_with_the_spec_code(edge, tenant, host, invoice_png, receiver):
    _, key = tenant
    secret = "whsec_your_secret_here"
    doc_id = submit(edge, key, invoice_png.read_bytes(), "large-invoice.png", documentType="invoice",
                    webhookUrl=receiver.url, webhookSecret=secret,
                    callbackMetadata=json.dumps({"internalId": "order-12345", "department": "accounts-payable"}))
    d = receiver.wait_for(lambda d: d.json.get("data", {}).get("id") == doc_id, timeout=120)
    assert d.headers["x-docurift-event"] == "document.completed"
    assert verify_webhook(d.body, d.headers["x-docurift-signature"], secret)
    body = d.json
    assert body["event"] == "document.completed"
    assert body["data"]["extractedData"]["invoiceNumber"] == "INV-2024-00917"
    assert body["callbackMetadata"] == {"internalId": "order-12345", "department": "accounts-payable"}


def test_ten_page_pdf_completes_with_ten_pages(edge, tenant, host):
    _, key = tenant
    doc_id = submit(edge, key, scanned_pdf(10), "statement.pdf", documentType="generic")
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "completed", data
    assert data["pagesProcessed"] == 10


def test_two_hosts_share_the_queue_and_never_process_twice(edge, tenant, host):
    _, key = tenant
    with HostProcess(edge.base_url, edge.host_token, name="host-b") as host_b:
        before = completed_doc_ids(host, host_b)
        ids = [submit(edge, key, receipt_png(i), f"r{i}.png", documentType="receipt") for i in range(12)]
        for doc_id in ids:
            assert wait_final(edge, key, doc_id)["status"] == "completed"
        after = completed_doc_ids(host, host_b)
    new = collections.Counter(x for x in after if x not in before)
    assert set(new) == set(ids)
    assert all(n == 1 for n in new.values()), new
    per_host = [sum(1 for x in completed_doc_ids(h) if x in ids) for h in (host, host_b)]
    assert all(n > 0 for n in per_host), f"both hosts should have worked: {per_host}"


def test_killed_host_loses_nothing(edge, tenant, host):
    _, key = tenant
    host.stop()  # only the victim serves the queue
    victim = HostProcess(edge.base_url, edge.host_token, name="victim").start()
    try:
        # Dense A4 pages: seconds of OCR, so the kill lands mid-document.
        doc_id = submit(edge, key, scanned_pdf(8, dense=True), "long.pdf", documentType="generic")
        deadline = time.monotonic() + 60
        while doc_id not in victim.log_text():
            assert time.monotonic() < deadline, "victim never leased the document"
            time.sleep(0.05)
        victim.kill()  # kill -9 in the middle of the document
    finally:
        victim.kill()
    assert doc_id not in completed_doc_ids(victim), "the victim finished before the kill: the test proved nothing"
    host.start()
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "completed", data
    assert data["pagesProcessed"] == 8
    assert any("further values not returned" in w for w in data.get("warnings", [])), data.get("warnings")
    assert doc_id in completed_doc_ids(host)


def test_edge_restart_mid_flight_loses_nothing(edge, tenant, host):
    _, key = tenant
    ids = [submit(edge, key, receipt_png(100 + i), f"r{i}.png", documentType="receipt") for i in range(8)]
    edge.restart()  # same state dir, same port: the host reconnects
    for doc_id in ids:
        assert wait_final(edge, key, doc_id)["status"] == "completed"


def test_fifty_documents_at_once_complete_exactly_once_with_one_webhook_each(edge, tenant, host, receiver):
    _, key = tenant
    with HostProcess(edge.base_url, edge.host_token, name="host-c") as host_c:
        before = completed_doc_ids(host, host_c)
        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda i: submit(edge, key, receipt_png(1000 + i), f"r{i}.png",
                                                 documentType="receipt", webhookUrl=receiver.url), range(50)))
        assert len(set(ids)) == 50
        for doc_id in ids:
            assert wait_final(edge, key, doc_id)["status"] == "completed"
        processed = collections.Counter(x for x in completed_doc_ids(host, host_c) if x not in before)
    assert sorted(processed) == sorted(ids) and all(n == 1 for n in processed.values()), processed
    deadline = time.monotonic() + 60
    while True:
        ok = collections.Counter(d.json["data"]["id"] for d in receiver.deliveries if d.status == 200)
        if all(ok[i] >= 1 for i in ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert all(ok[i] == 1 for i in ids), {i: ok[i] for i in ids if ok[i] != 1}
