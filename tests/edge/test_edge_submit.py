"""Submission: POST /v1/documents/process/async and /v1/documents/process,
against the DocuRift spec (000_*.txt): request fields, the 202 shape, and
every error code of its table plus Folio's precise validation codes."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from edge_helpers import error_of, get_doc, submit, submit_ok
from harness.edge import EdgeServer, processing_result
from harness.files import JPEG, PNG, TIFF, WEBP, pdf_bytes

ISO = "%Y-%m-%dT%H:%M:%SZ"


def test_async_answers_exactly_the_spec_shape(edge, key):
    # Spec "Success Response (202 Accepted)": success, data{id, status,
    # estimatedCompletionTime, queuePosition, webhookConfigured, createdAt}, message.
    r = submit(edge, key, documentType="invoice", webhookUrl="https://your-app.com/webhooks/docurift",
               webhookSecret="whsec_your_secret_here")
    assert r.status_code == 202, r.text
    body = r.json()
    assert set(body) == {"success", "data", "message"} and body["success"] is True
    data = body["data"]
    assert list(data) == ["id", "status", "estimatedCompletionTime", "queuePosition", "webhookConfigured", "createdAt"]
    assert data["id"].startswith("doc_")
    assert data["status"] in ("queued", "processing")
    assert isinstance(data["queuePosition"], int) and data["queuePosition"] >= 1
    assert data["webhookConfigured"] is True
    created = datetime.strptime(data["createdAt"], ISO)
    eta = datetime.strptime(data["estimatedCompletionTime"], ISO)
    assert abs(created - datetime.utcnow()) < timedelta(minutes=2)
    assert eta > created
    assert body["message"] == ("Document submitted for processing. "
                               "You will receive a webhook notification when complete.")
    # Without a webhook: not configured, and the message says to poll.
    d2 = submit_ok(edge, key)
    assert d2["webhookConfigured"] is False and d2["id"] != data["id"]


@pytest.mark.parametrize("content,name", [(PNG, "a.png"), (JPEG, "a.jpg"), (WEBP, "a.webp"), (TIFF, "a.tiff"),
                                          (pdf_bytes(1), "a.pdf")])
def test_every_spec_format_is_accepted(edge, key, content, name):
    submit_ok(edge, key, file=content, name=name)


def test_fields_are_stored_and_defaults_follow_the_spec(edge, key, clean_queue):
    d = submit_ok(edge, key, name="../../scan.png")  # all defaults
    lease = clean_queue.lease_doc(d["id"])
    # Spec defaults: documentType generic, language en, extractTables true (and Folio's ocrEngine auto).
    assert lease["options"] == {"documentType": "generic", "language": "en", "extractTables": True, "ocrEngine": "auto"}
    assert lease["file"]["fileName"] == "scan.png"  # path components stripped
    assert lease["file"]["kind"] == "png" and lease["file"]["size"] == len(PNG)
    clean_queue.release(lease["leaseId"])
    d = submit_ok(edge, key, documentType="receipt", language="en", extractTables="false", priority="high",
                  callbackMetadata='{"internalId": "order-12345", "department": "accounts-payable"}')
    lease = clean_queue.lease_doc(d["id"])
    assert lease["options"] == {"documentType": "receipt", "language": "en", "extractTables": False, "ocrEngine": "auto"}
    clean_queue.release(lease["leaseId"])


@pytest.mark.parametrize("sent,leased", [("ppocr", "ppocr"), ("PPOCR", "ppocr"), (" Tesseract ", "tesseract"),
                                         ("auto", "auto"), ("", "auto"), (None, "auto")])
def test_ocr_engine_reaches_the_host_lease(edge, key, clean_queue, sent, leased):
    fields = {} if sent is None else {"ocrEngine": sent}
    d = submit_ok(edge, key, documentType="receipt", **fields)
    lease = clean_queue.lease_doc(d["id"])
    assert lease["options"]["ocrEngine"] == leased
    assert lease["options"]["documentType"] == "receipt"
    clean_queue.release(lease["leaseId"])
    # The public document does not echo submission options.
    assert "ocrEngine" not in get_doc(edge, key, d["id"]).json()["data"]


def test_bad_ocr_engine_is_refused_naming_the_accepted_values(edge, key):
    r = submit(edge, key, ocrEngine="bogus")
    assert r.status_code == 400, r.text
    assert error_of(r) == "INVALID_REQUEST"
    message = r.json()["error"]["message"]
    assert '"bogus"' in message and "auto, tesseract, ppocr" in message, message


def test_magic_bytes_decide_the_type(edge, key):
    # A GIF named .png is refused; a PNG named .txt is accepted.
    r = submit(edge, key, file=b"GIF89a\x01\x00\x01\x00", name="fake.png")
    assert r.status_code == 400 and error_of(r) == "INVALID_FILE_TYPE"
    submit_ok(edge, key, file=PNG, name="notes.txt")
    r = submit(edge, key, file=b"", name="empty.pdf")
    assert r.status_code == 400 and error_of(r) == "INVALID_FILE"


@pytest.mark.parametrize("fields,code", [
    ({"documentType": "passport"}, "INVALID_DOCUMENT_TYPE"),
    ({"documentType": "Invoice!"}, "INVALID_DOCUMENT_TYPE"),
    ({"language": "english"}, "UNSUPPORTED_LANGUAGE"),
    ({"language": "ja"}, "UNSUPPORTED_LANGUAGE"),  # ISO 639-1 but not in the default set
    ({"priority": "urgent"}, "INVALID_PRIORITY"),
    ({"callbackMetadata": "[1, 2]"}, "INVALID_CALLBACK_METADATA"),
    ({"callbackMetadata": "{not json"}, "INVALID_CALLBACK_METADATA"),
    ({"callbackMetadata": '{"k": "' + "x" * 5000 + '"}'}, "INVALID_CALLBACK_METADATA"),
    ({"extractTables": "maybe"}, "INVALID_EXTRACT_TABLES"),
    ({"ocrEngine": "bogus"}, "INVALID_REQUEST"),
    ({"ocrEngine": "pp-ocr"}, "INVALID_REQUEST"),
    ({"webhookUrl": "http://your-app.com/hook"}, "INVALID_WEBHOOK_URL"),
    ({"webhookUrl": "https://10.0.0.7/hook"}, "INVALID_WEBHOOK_URL"),
    ({"webhookUrl": "https://169.254.169.254/latest/meta-data"}, "INVALID_WEBHOOK_URL"),
    ({"webhookUrl": "https://metadata.google.internal/x"}, "INVALID_WEBHOOK_URL"),
    ({"webhookUrl": "https://user:pw@example.com/hook"}, "INVALID_WEBHOOK_URL"),
    ({"webhookUrl": "not a url"}, "INVALID_WEBHOOK_URL"),
])
def test_each_bad_field_has_a_precise_code(edge, key, fields, code):
    r = submit(edge, key, **fields)
    assert r.status_code == 400, r.text
    assert error_of(r) == code


def test_spec_webhook_error_message(edge, key):
    r = submit(edge, key, webhookUrl="http://your-app.com/hook")
    assert r.json()["error"]["message"].startswith("Webhook URL must be HTTPS and publicly accessible")


def test_loopback_webhook_only_with_the_dev_setting(edge, key):
    # The session server runs with ALLOW_LOOPBACK_WEBHOOKS=true.
    submit_ok(edge, key, webhookUrl="http://127.0.0.1:9/hook")
    with EdgeServer(vars={"ALLOW_LOOPBACK_WEBHOOKS": "false"}, name="no-loopback") as strict:
        _, k = strict.admin().new_tenant()
        r = submit(strict, k, webhookUrl="http://127.0.0.1:9/hook")
        assert r.status_code == 400 and error_of(r) == "INVALID_WEBHOOK_URL"
        r = submit(strict, k, webhookUrl="https://localhost/hook")
        assert r.status_code == 400 and error_of(r) == "INVALID_WEBHOOK_URL"


def test_malformed_requests(edge, key):
    r = edge.session.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                          data={"documentType": "invoice"}, files={"other": ("x", b"y")})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = edge.session.post(edge.url("/v1/documents/process/async"), headers={**key.headers, "content-type": "application/json"},
                          data=b'{"file": "x"}')
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = edge.session.post(edge.url("/v1/documents/process/async"), headers=key.headers, data={"file": "text, not a file"},
                          files={"documentType": (None, "invoice")})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"


def test_invalid_api_key(edge, key, admin):
    for headers in ({}, {"X-API-Key": "frc_" + "x" * 40}, {"X-API-Key": "not-a-key"}):
        r = edge.session.post(edge.url("/v1/documents/process/async"), headers=headers, files={"file": ("a.png", PNG)})
        assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY"
    # Spec 401 message.
    r = edge.session.get(edge.url("/v1/documents"), headers={"X-API-Key": "frc_" + "y" * 40})
    assert r.json()["error"]["message"] == "Invalid API key"
    # A revoked key stops working at once.
    _, k = admin.new_tenant()
    assert edge.session.get(edge.url("/v1/documents"), headers=k.headers).status_code == 200
    admin.revoke_key(k)
    r = edge.session.get(edge.url("/v1/documents"), headers=k.headers)
    assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY"


def test_insufficient_credits_counts_pages(edge, admin):
    org, k = admin.new_tenant(credits=5)
    # A 3-page PDF reserves 3 pages; the next one (3 more) does not fit in 2.
    submit_ok(edge, k, file=pdf_bytes(3), name="a.pdf")
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (2, 3)
    r = submit(edge, k, file=pdf_bytes(3), name="b.pdf")
    assert r.status_code == 402 and error_of(r) == "INSUFFICIENT_CREDITS"
    assert r.json()["error"]["message"].startswith("Insufficient credits for estimated page count")
    submit_ok(edge, k, file=pdf_bytes(2), name="c.pdf")  # exactly fits
    r = submit(edge, k)
    assert r.status_code == 402
    assert admin.get_org(org)["credits"] == 0


def test_high_priority_is_for_paid_plans(edge, admin):
    org, k = admin.new_tenant(plan="free")
    r = submit(edge, k, priority="high")
    assert r.status_code == 403 and error_of(r) == "PRIORITY_NOT_ALLOWED"
    submit_ok(edge, k, priority="normal")
    admin.update_org(org, plan="paid")
    submit_ok(edge, k, priority="high")


def test_rate_limit_per_key_with_retry_after(edge, admin):
    org, limited = admin.new_tenant(rate_limit=(3, 30))
    other = admin.create_key(org)  # same org, default limit
    for _ in range(3):
        assert edge.session.get(edge.url("/v1/documents"), headers=limited.headers).status_code == 200
    r = submit(edge, limited)
    assert r.status_code == 429 and error_of(r) == "RATE_LIMIT_EXCEEDED"
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= 30
    # Per key: the organisation's other key is unaffected.
    submit_ok(edge, other)


def test_file_too_large_refused_from_content_length(edge, key):
    # A declared Content-Length over the limit is refused before the body is
    # read or parsed: this body is not even multipart, yet the answer is
    # FILE_TOO_LARGE, not INVALID_REQUEST. (The local runtime still drains
    # the upload before it sends the answer.)
    size = 60 * 1024 * 1024
    r = edge.session.post(edge.url("/v1/documents/process/async"), data=bytes(size), timeout=120,
                          headers={**key.headers, "Content-Type": "multipart/form-data; boundary=nothere"})
    assert r.status_code == 413 and error_of(r) == "FILE_TOO_LARGE"
    assert r.json()["error"]["message"] == "File exceeds 50MB limit"


def test_file_too_large_without_content_length(edge, key):
    # Chunked upload of 51 MB: counted while reading and refused.
    boundary = "chunkBOUNDARY"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
               "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()
        block = b"0" * (1024 * 1024)
        for _ in range(51):
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    r = edge.session.post(edge.url("/v1/documents/process/async"), data=body(),
                          headers={**key.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=120)
    assert r.status_code == 413 and error_of(r) == "FILE_TOO_LARGE"


def test_file_just_over_50mb_with_length_known(edge, key):
    # Content-Length within the multipart allowance, file itself over 50 MB.
    big = b"%PDF-1.4\n" + bytes(50 * 1024 * 1024 + 10)
    r = submit(edge, key, file=big, name="big.pdf")
    assert r.status_code == 413 and error_of(r) == "FILE_TOO_LARGE"
    assert r.json()["error"]["message"] == "File exceeds 50MB limit"


def test_sync_returns_the_document_when_done_in_time(edge, key, clean_queue):
    def host_loop():
        lease = clean_queue.lease(wait_seconds=10)
        assert lease is not None
        clean_queue.complete(lease["leaseId"], processing_result("invoice", invoiceNumber="INV-7"))

    t = threading.Thread(target=host_loop)
    t.start()
    r = submit(edge, key, path="/v1/documents/process", documentType="invoice")
    t.join()
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["status"] == "completed" and data["extractedData"] == {"invoiceNumber": "INV-7"}
    assert data["pagesProcessed"] == 1 and data["processedAt"]


def test_sync_falls_back_to_202(edge, key, clean_queue):
    # SYNC_WAIT_SECONDS=3 in this session and no host: answered as async.
    t0 = time.monotonic()
    r = submit(edge, key, path="/v1/documents/process")
    assert r.status_code == 202, r.text
    assert 2.5 < time.monotonic() - t0 < 15
    data = r.json()["data"]
    assert list(data) == ["id", "status", "estimatedCompletionTime", "queuePosition", "webhookConfigured", "createdAt"]
    assert get_doc(edge, key, data["id"]).json()["data"]["status"] == "queued"
