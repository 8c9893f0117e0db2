"""`/v1/openapi.json` against the implementation: a valid OpenAPI 3.1
document; every documented operation exists (and undocumented methods on
documented paths do not); real responses of every operation validate against
the documented schema for their status; every documented error code is one
the core knows."""

from __future__ import annotations

import base64
import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from edge_helpers import submit, submit_ok
from harness.edge import processing_result
from harness.files import PNG

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def spec(edge):
    r = edge.session.get(edge.url("/v1/openapi.json"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    validate(doc)  # raises if not a valid OpenAPI 3.1 document
    assert doc["openapi"].startswith("3.1")
    return doc


def concrete(path: str) -> str:
    if "{id}" in path:
        path = path.replace("{id}", "123456789" if path.startswith("/api/") else "doc_abc123xyz456")
    return path.replace("{n}", "1")


def test_every_documented_operation_is_routed(edge, spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            r = edge.session.request(method, edge.url(concrete(path)), timeout=30)
            code = r.json()["error"]["code"] if r.headers.get("content-type", "").startswith("application/json") and r.status_code >= 400 else None
            if method in item:
                assert code not in ("NOT_FOUND", "METHOD_NOT_ALLOWED"), (method, path, r.text)
                assert str(r.status_code) in item[method]["responses"], (method, path, r.status_code)
            else:
                assert r.status_code == 405 and code == "METHOD_NOT_ALLOWED", (method, path, r.status_code)


def test_error_codes_match_the_core_enum(spec):
    documented = set(spec["components"]["schemas"]["ErrorCode"]["enum"])
    core = open(__file__.rsplit("/tests/", 1)[0] + "/core/src/error.rs").read()
    codes = set(re.findall(r'=\s*\("([A-Z_]+)",\s*\d{3}\)', core))
    assert codes and documented == codes


class Checker:
    """Validates real responses against the document's response schemas."""

    def __init__(self, spec):
        self.spec = spec
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(self, path: str, method: str, r) -> dict | None:
        op = self.spec["paths"][path][method]
        status = str(r.status_code)
        assert status in op["responses"], (method, path, status, r.text)
        content = op["responses"][status].get("content", {})
        # Downloads document several types; only JSON answers are validated.
        is_json = "application/json" in content and r.headers.get("content-type", "").startswith("application/json")
        if is_json:
            schema = {"components": self.spec["components"], **content["application/json"]["schema"]}
            jsonschema.Draft202012Validator(schema).validate(r.json())
        self.seen.add((path, method, status))
        return r.json() if is_json else None


def test_responses_follow_the_documented_schemas(edge, spec, admin, clean_queue):
    check = Checker(spec)
    s = edge.session
    org, k = admin.new_tenant(credits=3)
    member = admin.create_key(org, role="member")
    host = clean_queue

    check("/health", "get", s.get(edge.url("/health")))
    check("/v1/openapi.json", "get", s.get(edge.url("/v1/openapi.json")))
    a = check("/v1/documents/process/async", "post", submit(edge, k, webhookUrl="https://example.com/h", outputs="text"))
    check("/v1/documents/process/async", "post", submit(edge, k, outputs="pdf"))
    check("/v1/documents/process/async", "post", submit(edge, k, file=b"GIF89a"))
    check("/v1/documents/process/async", "post", submit(edge, k, priority="x"))
    check("/v1/documents/process/async", "post", s.post(edge.url("/v1/documents/process/async"), files={"file": ("a", PNG)}))
    check("/v1/documents/process", "post", submit(edge, k, path="/v1/documents/process"))  # 202 after the wait
    doc_id = a["data"]["id"]
    check("/v1/documents/{id}", "get", s.get(edge.url(f"/v1/documents/{doc_id}"), headers=k.headers))
    check("/v1/documents/{id}", "get", s.get(edge.url("/v1/documents/doc_abc123xyz456"), headers=k.headers))
    lease = host.lease_doc(doc_id)
    r = s.put(edge.url(f"/internal/v1/leases/{lease['leaseId']}/artifacts/text"), data=b"a text\f", headers=host.headers)
    assert r.status_code == 200, r.text
    r = host.call("POST", f"/internal/v1/leases/{lease['leaseId']}/complete", json={"result": processing_result(), "outputs": ["text"]})
    assert r.status_code == 200, r.text
    check("/v1/documents/{id}", "get", s.get(edge.url(f"/v1/documents/{doc_id}"), headers=k.headers))
    out = s.get(edge.url(f"/v1/documents/{doc_id}/outputs/text"), headers=k.headers)
    check("/v1/documents/{id}/outputs/{name}", "get", out)
    assert out.content == b"a text\f" and out.headers["content-type"] == "text/plain; charset=utf-8"
    check("/v1/documents/{id}/outputs/{name}", "get", s.get(edge.url(f"/v1/documents/{doc_id}/outputs/hocr"), headers=k.headers))
    check("/v1/documents/{id}/file", "get", s.get(edge.url(f"/v1/documents/{doc_id}/file"), headers=k.headers))
    check("/v1/documents/{id}/file", "get", s.get(edge.url("/v1/documents/doc_abc123xyz456/file"), headers=k.headers))
    preview = "/v1/documents/{id}/pages/{n}/preview"
    check(preview, "get", s.get(edge.url(f"/v1/documents/{doc_id}/pages/1/preview"), headers=k.headers))
    check(preview, "get", s.get(edge.url(f"/v1/documents/{doc_id}/pages/2/preview"), headers=k.headers))
    check(preview, "get", s.get(edge.url(f"/v1/documents/{doc_id}/pages/x/preview"), headers=k.headers))
    check("/v1/documents", "get", s.get(edge.url("/v1/documents"), headers=k.headers, params={"limit": 1}))
    check("/v1/documents", "get", s.get(edge.url("/v1/documents"), headers=k.headers, params={"status": "nope"}))
    check("/v1/account", "get", s.get(edge.url("/v1/account"), headers=k.headers))
    check("/v1/account/webhook", "get", s.get(edge.url("/v1/account/webhook"), headers=k.headers))
    check("/v1/account/webhook", "put", s.put(edge.url("/v1/account/webhook"), headers=k.headers, json={"url": "https://example.com/v"}))
    check("/v1/account/webhook", "put", s.put(edge.url("/v1/account/webhook"), headers=member.headers, json={"url": "https://example.com/v"}))
    check("/v1/account/webhook", "put", s.put(edge.url("/v1/account/webhook"), headers=k.headers, json={"url": "ftp://x"}))
    check("/v1/account/email", "get", s.get(edge.url("/v1/account/email"), headers=k.headers))
    check("/v1/account/email", "put", s.put(edge.url("/v1/account/email"), headers=k.headers, json={"allowedSenders": ["@example.com"]}))
    check("/v1/account/email", "put", s.put(edge.url("/v1/account/email"), headers=member.headers, json={"allowedSenders": []}))
    check("/v1/account/email", "put", s.put(edge.url("/v1/account/email"), headers=k.headers, json={"allowedSenders": ["not-an-address"]}))
    # Webhooks: the completed document's delivery log, a redelivery, the failure ledger.
    check("/v1/documents/{id}/webhooks", "get", s.get(edge.url(f"/v1/documents/{doc_id}/webhooks"), headers=k.headers))
    check("/v1/documents/{id}/webhooks/redeliver", "post",
          s.post(edge.url(f"/v1/documents/{doc_id}/webhooks/redeliver"), headers=k.headers))
    check("/v1/webhooks/failures", "get", s.get(edge.url("/v1/webhooks/failures"), headers=k.headers))
    v = check("/api/v8/partner/documents/", "post", s.post(edge.url("/api/v8/partner/documents/"), headers=k.veryfi_headers,
              json={"file_data": base64.b64encode(PNG).decode(), "file_name": "r.png", "async": True}))
    check("/api/v8/partner/documents/", "post", s.post(edge.url("/api/v8/partner/documents/"), headers=k.veryfi_headers,
          json={"file_data": base64.b64encode(PNG).decode(), "async": True}))  # 402: credits are used up
    check("/api/v8/partner/documents/{id}/", "get", s.get(edge.url(f"/api/v8/partner/documents/{v['id']}/"), headers=k.veryfi_headers))
    check("/api/v8/partner/documents/{id}/", "delete", s.delete(edge.url(f"/api/v8/partner/documents/{v['id']}/"), headers=k.veryfi_headers))
    check("/api/v8/partner/documents/{id}/", "get", s.get(edge.url(f"/api/v8/partner/documents/{v['id']}/"), headers=k.veryfi_headers))
    check("/v1/documents/{id}", "delete", s.delete(edge.url(f"/v1/documents/{doc_id}"), headers=k.headers))
    check("/v1/documents/{id}", "delete", s.delete(edge.url(f"/v1/documents/{doc_id}"), headers=k.headers))
    # Every operation was exercised at least once with a success status.
    ops = {(p, m) for p, item in spec["paths"].items() for m in item if m in METHODS}
    succeeded = {(p, m) for p, m, st in check.seen if st.startswith("2")}
    assert ops == succeeded, ops - succeeded


def test_veryfi_sync_201_schema(edge, spec, key, clean_queue):
    import threading
    check = Checker(spec)

    def host():
        lease = clean_queue.lease(wait_seconds=10)
        clean_queue.complete(lease["leaseId"], processing_result("receipt", vendorName="X", totalAmount=1.0))

    t = threading.Thread(target=host)
    t.start()
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers,
                          json={"file_data": base64.b64encode(PNG).decode(), "file_name": "r.png"})
    t.join()
    assert r.status_code == 201
    check("/api/v8/partner/documents/", "post", r)
    # The sync DocuRift endpoint's 200 as well.
    t = threading.Thread(target=host)
    t.start()
    r = submit(edge, key, path="/v1/documents/process")
    t.join()
    assert r.status_code == 200
    check("/v1/documents/process", "post", r)
    submit_ok(edge, key)
