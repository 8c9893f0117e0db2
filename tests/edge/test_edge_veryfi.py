"""Veryfi compatibility (spec 003_*.txt), exercised with Veryfi's own Python
client library (`veryfi` on PyPI) pointed at the edge: `{"async": true}`
submission answering `{"id": 123456789}`, `GET /api/v8/partner/documents/{id}/`,
request signatures, account-level webhook settings (admins only; sandbox
keys have their own)."""

from __future__ import annotations

import base64
import http.server
import os
import threading
import time

import pytest
import veryfi
from veryfi.errors import VeryfiClientError

from edge_helpers import error_of
from harness.edge import EdgeServer, processing_result
from harness.files import PNG
from harness.origin import FileOrigin, SilentServer


def client_for(edge, key, signed: bool = True) -> veryfi.Client:
    """A stock Veryfi client; base_url is the only change."""
    return veryfi.Client(
        client_id=key.veryfi["clientId"],
        client_secret=key.veryfi["clientSecret"] if signed else "",
        username=key.veryfi["username"],
        api_key=key.veryfi["apiKey"],
        base_url=edge.url("/api/"),
    )


@pytest.fixture
def receipt(tmp_path):
    p = tmp_path / "receipt.png"
    p.write_bytes(PNG)
    return p


def test_async_submission_answers_a_numeric_id(edge, key, receipt, clean_queue):
    client = client_for(edge, key)  # signs every request with the client secret
    # Spec: "enable asynchronous processing mode by adding ... {"async": true}";
    # "The response will contain the document ID": {"id": 123456789}.
    resp = client.process_document(str(receipt), **{"async": True, "external_id": "ext-42"})
    assert set(resp) == {"id"} and isinstance(resp["id"], int) and resp["id"] > 0
    vid = resp["id"]
    doc = client.get_document(vid)
    assert doc["id"] == vid and doc["status"] == "in_progress" and doc["external_id"] == "ext-42"
    assert doc["img_file_name"] == "receipt.png" and doc["document_type"] == "receipt"
    assert len(doc["created_date"]) == 19 and doc["created_date"][10] == " "  # "2021-10-20 15:27:26"
    folio_id = doc["meta"]["folio_id"]
    lease = clean_queue.lease_doc(folio_id)
    assert lease["options"]["documentType"] == "receipt"
    clean_queue.complete(lease["leaseId"], processing_result(
        "receipt", vendorName="ACME Market", totalAmount=12.5, currency="USD", receiptDate="2021-10-20"))
    doc = client.get_document(vid)
    assert doc["status"] == "processed"
    assert doc["vendor"] == {"name": "ACME Market"} and doc["total"] == 12.5
    assert doc["currency_code"] == "USD" and doc["date"] == "2021-10-20"
    # The same document through the DocuRift API.
    r = edge.session.get(edge.url(f"/v1/documents/{folio_id}"), headers=key.headers)
    assert r.json()["data"]["extractedData"]["vendorName"] == "ACME Market"


def test_ocr_engine_reaches_the_host_lease(edge, key, receipt, clean_queue):
    # Through the stock client (signed: the extra body field is covered by the signature).
    resp = client_for(edge, key).process_document(str(receipt), **{"async": True, "ocr_engine": "ppocr"})
    doc = client_for(edge, key).get_document(resp["id"])
    lease = clean_queue.lease_doc(doc["meta"]["folio_id"])
    assert lease["options"]["ocrEngine"] == "ppocr" and lease["options"]["documentType"] == "receipt"
    clean_queue.release(lease["leaseId"])
    assert "ocr_engine" not in client_for(edge, key).get_document(resp["id"])
    post = lambda body: edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                                          json={"file_data": base64.b64encode(PNG).decode(), "async": True, **body})
    for body, leased in (({"ocr_engine": "Tesseract"}, "tesseract"), ({"ocr_engine": ""}, "auto"),
                         ({"ocr_engine": None}, "auto"), ({}, "auto")):
        r = post(body)
        assert r.status_code == 202, (body, r.text)
        folio_id = client_for(edge, key).get_document(r.json()["id"])["meta"]["folio_id"]
        lease = clean_queue.lease_doc(folio_id)
        assert lease["options"]["ocrEngine"] == leased, body
        clean_queue.release(lease["leaseId"])
    r = post({"ocr_engine": "bogus"})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    message = r.json()["error"]["message"]
    assert '"bogus"' in message and "auto, tesseract, ppocr" in message, message
    r = post({"ocr_engine": 7})  # not a string
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"


def test_unsigned_clients_and_paths_without_trailing_slash(edge, key):
    r = edge.session.post(edge.url("/api/v8/partner/documents"), headers=key.veryfi_headers,
                          json={"file_data": base64.b64encode(PNG).decode(), "file_name": "r.png", "async": 1})
    assert r.status_code == 202 and isinstance(r.json()["id"], int)
    r2 = edge.session.get(edge.url(f"/api/v8/partner/documents/{r.json()['id']}"), headers=key.veryfi_headers)
    assert r2.status_code == 200 and r2.json()["id"] == r.json()["id"]
    # Unsigned stock client works too (no client secret given).
    assert client_for(edge, key, signed=False).get_document(r.json()["id"])["id"] == r.json()["id"]


def test_sync_submission_without_async_waits(edge, key, receipt, clean_queue):
    def host():
        lease = clean_queue.lease(wait_seconds=10)
        clean_queue.complete(lease["leaseId"], processing_result("receipt", totalAmount=3.0))

    t = threading.Thread(target=host)
    t.start()
    doc = client_for(edge, key).process_document(str(receipt))
    t.join()
    assert doc["status"] == "processed" and doc["total"] == 3.0 and isinstance(doc["id"], int)


def test_bad_signatures_and_credentials_are_refused(edge, key, admin):
    bad_secret = veryfi.Client(key.veryfi["clientId"], "vcs_wrong", key.veryfi["username"], key.veryfi["apiKey"],
                               base_url=edge.url("/api/"))
    with pytest.raises(VeryfiClientError):
        bad_secret.get_document(1)
    body = {"file_data": base64.b64encode(PNG).decode(), "async": True}
    stale = {**key.veryfi_headers, "X-Veryfi-Request-Timestamp": str(int(time.time() * 1000) - 31 * 60 * 1000),
             "X-Veryfi-Request-Signature": "AAAA"}
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=stale, json=body)
    assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY" and "expired" in r.json()["error"]["message"]
    for headers in (
        {"CLIENT-ID": "vrf_unknown", "AUTHORIZATION": key.veryfi_headers["AUTHORIZATION"]},
        {"CLIENT-ID": key.veryfi["clientId"], "AUTHORIZATION": f"apikey wrong-user:{key.api_key}"},
        {"CLIENT-ID": key.veryfi["clientId"], "AUTHORIZATION": f"Bearer {key.api_key}"},
        {"CLIENT-ID": key.veryfi["clientId"]},
    ):
        r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=headers, json=body)
        assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY", headers
    # A sandbox key does not go with the live client id.
    sandbox = admin.create_key(key.org_id, profile="sandbox")
    mixed = {"CLIENT-ID": key.veryfi["clientId"], "AUTHORIZATION": f"apikey {key.veryfi['username']}:{sandbox.api_key}"}
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=mixed, json=body)
    assert r.status_code == 401


def test_veryfi_validation_errors(edge, key):
    post = lambda body: edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body)
    r = post({"async": True})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = post({"file_data": "!!!not base64", "async": True})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = post({"file_data": base64.b64encode(b"GIF89a....").decode(), "async": True})
    assert r.status_code == 400 and error_of(r) == "INVALID_FILE_TYPE"
    r = post({"file_url": "http://example.com/r.png", "async": True})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = post({"file_data": base64.b64encode(PNG).decode(), "document_type": "passport", "async": True})
    assert r.status_code == 400 and error_of(r) == "INVALID_DOCUMENT_TYPE"
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, data=b"{not json")
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    r = edge.session.get(edge.url("/api/v8/partner/documents/12345/"), headers=key.veryfi_headers)
    assert r.status_code == 404 and error_of(r) == "DOCUMENT_NOT_FOUND"
    r = edge.session.get(edge.url("/api/v8/partner/documents/abc/"), headers=key.veryfi_headers)
    assert r.status_code == 404


def test_file_url_is_downloaded(edge, key, clean_queue):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/files/receipt-7.png"
        resp = client_for(edge, key).process_document_url(file_url=url, **{"async": True})
        doc = client_for(edge, key).get_document(resp["id"])
        assert doc["img_file_name"] == "receipt-7.png"
        lease = clean_queue.lease_doc(doc["meta"]["folio_id"])
        assert clean_queue.fetch_file(lease) == PNG
        clean_queue.release(lease["leaseId"])
    finally:
        srv.shutdown()


def post_file_url(edge, key, url: str, timeout: float = 60):
    return edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                             json={"file_url": url, "async": True}, timeout=timeout)


PNG_ROUTE = (200, {"Content-Type": "image/png"}, PNG)


def test_file_url_redirects_are_checked_on_every_hop(edge, key):
    # The first URL is loopback (allowed in tests); where it redirects is not:
    # 0.0.0.0 and 169.254.169.254 are refused even with loopback allowed.
    # (On Linux a connection to 0.0.0.0 reaches the 127.0.0.1 listener, so a
    # followed redirect would show up in `inside.paths`.)
    with FileOrigin({"/secret.png": PNG_ROUTE}) as inside, FileOrigin() as origin:
        origin.routes["/to-unspecified"] = (302, {"Location": f"http://0.0.0.0:{inside.port}/secret.png"}, b"")
        origin.routes["/to-metadata"] = (307, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
        origin.routes["/to-file"] = (301, {"Location": "file:///etc/passwd"}, b"")
        for path in ("/to-unspecified", "/to-metadata", "/to-file"):
            r = post_file_url(edge, key, origin.url(path), timeout=30)
            assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", (path, r.text)
            assert "redirect" in r.json()["error"]["message"], r.text
        assert origin.paths == ["/to-unspecified", "/to-metadata", "/to-file"]
        assert inside.paths == []


def test_file_url_follows_at_most_3_redirects(edge, key, clean_queue):
    # /r/N redirects (relative Location) to /r/N-1; /r/0 is the file.
    routes = {"/r/0": PNG_ROUTE, **{f"/r/{n}": (302, {"Location": f"/r/{n - 1}"}, b"") for n in range(1, 5)}}
    with FileOrigin(routes) as origin:
        r = post_file_url(edge, key, origin.url("/r/3"))
        assert r.status_code == 202, r.text
        assert origin.paths == ["/r/3", "/r/2", "/r/1", "/r/0"]
        folio_id = client_for(edge, key).get_document(r.json()["id"])["meta"]["folio_id"]
        lease = clean_queue.lease_doc(folio_id)
        assert clean_queue.fetch_file(lease) == PNG
        clean_queue.release(lease["leaseId"])
        origin.paths.clear()
        r = post_file_url(edge, key, origin.url("/r/4"))
        assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", r.text
        assert "redirect" in r.json()["error"]["message"]
        assert origin.paths == ["/r/4", "/r/3", "/r/2", "/r/1"]  # the 4th redirect is not followed


def test_file_url_that_never_answers_times_out(edge, key):
    # FILE_URL_TIMEOUT_SECONDS is 3 in the test session (conftest).
    with SilentServer() as silent:
        started = time.monotonic()
        r = post_file_url(edge, key, silent.url("/slow.png"), timeout=30)
        took = time.monotonic() - started
        assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", r.text
        assert r.json()["error"]["message"].startswith("file_url could not be downloaded"), r.text
        assert 2.5 <= took < 15, took
        assert silent.accepted  # the request did reach it


def test_file_url_failure_does_not_echo_the_target(edge, key):
    with FileOrigin({"/teapot": (418, {"Content-Type": "text/plain"}, b"internal detail: db=10.1.2.3")}) as origin:
        for path in ("/missing.png", "/teapot"):
            r = post_file_url(edge, key, origin.url(path))
            assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST", r.text
            message = r.json()["error"]["message"]
            assert message == "file_url could not be downloaded", message
            assert "404" not in r.text and "418" not in r.text and "no such file" not in r.text and "10.1.2.3" not in r.text


MAX_FILE_BYTES = 50 * 1024 * 1024


def big_png(size: int) -> bytes:
    """`size` bytes that pass the edge's checks as a PNG (magic bytes)."""
    return PNG + bytes(size - len(PNG))


def test_file_data_near_the_50mb_limit(edge, key, clean_queue):
    post = lambda body: edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                                          data=body, timeout=300)
    # Just under: ~70 MB of JSON, decoded without holding copies of it.
    under = big_png(MAX_FILE_BYTES - 1024)
    body = b'{"file_name": "big.png", "async": true, "file_data": "' + base64.b64encode(under) + b'"}'
    r = post(body)
    assert r.status_code == 202, r.text[:500]
    folio_id = client_for(edge, key).get_document(r.json()["id"])["meta"]["folio_id"]
    lease = clean_queue.lease_doc(folio_id)
    assert clean_queue.fetch_file(lease) == under
    clean_queue.release(lease["leaseId"])
    del body
    # Just over: the JSON is under the body limit, the decoded file is not.
    body = b'{"async": true, "file_data": "' + base64.b64encode(big_png(MAX_FILE_BYTES + 1)) + b'"}'
    r = post(body)
    assert r.status_code == 413 and error_of(r) == "FILE_TOO_LARGE", r.text[:500]
    del body
    # The worker is still up and serving.
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                          json={"file_data": base64.b64encode(PNG).decode(), "async": True})
    assert r.status_code == 202, r.text


def workerd_peak_rss_mb(edge: EdgeServer) -> float:
    """Peak resident memory (VmHWM) of the workerd serving `edge`: the
    process in wrangler's process group whose name is workerd."""
    peaks = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
            status = open(f"/proc/{pid}/status").read()
        except OSError:
            continue
        comm, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if comm == "workerd" and int(fields[2]) == edge.proc.pid:  # fields[2]: process group
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    assert peaks, "workerd process not found"
    return max(peaks)


def test_file_data_decoding_does_not_copy_the_body(tmp_path):
    # A fresh worker, so its peak memory is this request's. The old path held
    # the ~70 MB body, the parsed string, a compacted copy and the 50 MB file
    # in wasm at once (over 250 MB); streaming the decode keeps the peak near
    # the file itself.
    with EdgeServer(name="veryfi-memory") as edge:
        admin = edge.admin()
        _, key = admin.new_tenant()
        post = lambda body: edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                                              data=body, timeout=300)
        assert post(b'{"async": true, "file_data": "' + base64.b64encode(PNG) + b'"}').status_code == 202
        before = workerd_peak_rss_mb(edge)
        body = b'{"async": true, "file_data": "' + base64.b64encode(big_png(MAX_FILE_BYTES - 1024)) + b'"}'
        r = post(body)
        assert r.status_code == 202, r.text[:500]
        grew = workerd_peak_rss_mb(edge) - before
        print(f"workerd peak RSS grew by {grew:.0f} MB")
        assert grew < 200, grew


def test_delete_through_the_veryfi_client(edge, key):
    client = client_for(edge, key)
    vid = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                            json={"file_data": base64.b64encode(PNG).decode(), "async": True}).json()["id"]
    client.delete_document(vid)
    with pytest.raises(VeryfiClientError):
        client.get_document(vid)


def test_account_webhook_settings_admin_only_and_per_profile(edge, admin):
    org, live_admin = admin.new_tenant()
    live_member = admin.create_key(org, role="member", profile="live")
    sandbox_admin = admin.create_key(org, role="admin", profile="sandbox")
    url = lambda: edge.url("/v1/account/webhook")
    r = edge.session.put(url(), headers=live_member.headers, json={"url": "https://hooks.example.com/veryfi"})
    assert r.status_code == 403 and error_of(r) == "FORBIDDEN"  # spec: "Only admins have permission to set up webhook URLs"
    r = edge.session.put(url(), headers=live_admin.headers, json={"url": "https://hooks.example.com/live", "secret": "s3cret"})
    assert r.status_code == 200
    assert r.json()["data"] == {"profile": "live", "url": "https://hooks.example.com/live", "secretConfigured": True}
    # Veryfi credentials work the same way.
    r = edge.session.put(url(), headers=sandbox_admin.veryfi_headers, json={"url": "https://hooks.example.com/sandbox"})
    assert r.status_code == 200 and r.json()["data"]["profile"] == "sandbox"
    # Spec: sandbox profiles "can have a different webhook URL in the settings".
    assert edge.session.get(url(), headers=live_member.headers).json()["data"]["url"] == "https://hooks.example.com/live"
    assert edge.session.get(url(), headers=sandbox_admin.headers).json()["data"]["url"] == "https://hooks.example.com/sandbox"
    r = edge.session.put(url(), headers=live_admin.headers, json={"url": "http://hooks.example.com/x"})
    assert r.status_code == 400 and error_of(r) == "INVALID_WEBHOOK_URL"
    r = edge.session.put(url(), headers=live_admin.headers, json={"url": None})
    assert r.status_code == 200 and r.json()["data"]["url"] is None
