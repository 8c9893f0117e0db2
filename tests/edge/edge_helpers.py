"""Request helpers shared by the edge tests."""

from __future__ import annotations

from harness.edge import Key
from harness.files import PNG

def submit(edge, key: Key, file: bytes = PNG, name: str = "doc.png", path: str = "/v1/documents/process/async",
           headers: dict | None = None, **fields):
    """POSTs a DocuRift multipart submission; returns the response."""
    return edge.session.post(edge.url(path), headers={**key.headers, **(headers or {})},
                             files={"file": (name, file)}, data=fields, timeout=60)


def submit_ok(edge, key: Key, **kw) -> dict:
    r = submit(edge, key, **kw)
    assert r.status_code == 202, r.text
    return r.json()["data"]


def get_doc(edge, key: Key, doc_id: str):
    return edge.session.get(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=30)


def error_of(r) -> str:
    """The error code of an envelope response (asserting the envelope shape)."""
    body = r.json()
    assert body["success"] is False and set(body) == {"success", "error"}, body
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"], body
    return body["error"]["code"]

