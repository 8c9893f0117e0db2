"""Driving documents through the real API for webhook tests: submit (DocuRift
multipart or Veryfi JSON), lease and complete or fail as a host would, read the
delivery log."""

from __future__ import annotations

import base64
import json
import secrets
import struct
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from harness.edge import EdgeServer, HostClient, Key, processing_result


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@contextmanager
def edge_server(vars: dict[str, str], name: str = "webhooks") -> Iterator[EdgeServer]:
    with EdgeServer(vars=vars, name=name) as edge:
        yield edge


def submit(edge: EdgeServer, key: Key, webhook_url: str | None = None, secret: str | None = None,
           metadata: dict | None = None, file_name: str = "invoice.png") -> str:
    """`POST /v1/documents/process/async`; returns the document id."""
    data: dict[str, str] = {"documentType": "invoice"}
    if webhook_url:
        data["webhookUrl"] = webhook_url
    if secret is not None:
        data["webhookSecret"] = secret
    if metadata is not None:
        data["callbackMetadata"] = json.dumps(metadata)
    r = edge.session.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                          files={"file": (file_name, png(), "image/png")}, data=data, timeout=30)
    assert r.status_code == 202, r.text
    return r.json()["data"]["id"]


def submit_veryfi(edge: EdgeServer, key: Key, file_name: str) -> int:
    """Veryfi `POST /api/v8/partner/documents/` with `{"async": true}`; returns the numeric id."""
    body = {"file_name": file_name, "file_data": base64.b64encode(png()).decode(), "async": True}
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body, timeout=30)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def lease_where(host: HostClient, pred: Callable[[dict], bool], wait_seconds: int = 5) -> dict:
    """Leases until a job matching `pred` comes up; gives back the others."""
    others = []
    try:
        for _ in range(200):
            lease = host.lease(wait_seconds=wait_seconds)
            assert lease is not None, "the expected job never came up for lease"
            if pred(lease):
                return lease
            others.append(lease)
        raise AssertionError("job not leased")
    finally:
        for o in others:
            host.release(o["leaseId"])


def complete(host: HostClient, doc_id: str | None = None, file_name: str | None = None, ok: bool = True,
             error: tuple[str, str] = ("OCR_FAILED", "OCR failed on page 1")) -> tuple[dict, float]:
    """Leases the document and completes (or fails) it like a host; returns
    the lease and the time just before the final call."""
    if doc_id:
        lease = host.lease_doc(doc_id)
    else:
        lease = lease_where(host, lambda l: l["file"]["fileName"] == file_name)
    t = time.time()
    if ok:
        r = host.complete(lease["leaseId"], processing_result())
    else:
        r = host.fail(lease["leaseId"], error[0], error[1], retryable=False)
    assert r.status_code == 200, r.text
    return lease, t


def deliveries(edge: EdgeServer, key: Key, doc_id: str) -> list[dict]:
    r = edge.session.get(edge.url(f"/v1/documents/{doc_id}/webhooks"), headers=key.headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]["deliveries"]


def wait_deliveries(edge: EdgeServer, key: Key, doc_id: str, done: Callable[[list[dict]], bool],
                    timeout: float = 30.0) -> list[dict]:
    """Polls the delivery log until `done(deliveries)`."""
    deadline = time.monotonic() + timeout
    while True:
        ds = deliveries(edge, key, doc_id)
        if done(ds):
            return ds
        if time.monotonic() > deadline:
            raise AssertionError(f"delivery log not as expected after {timeout}s: {json.dumps(ds, indent=1)[:4000]}")
        time.sleep(0.05)


def finished(ds: list[dict]) -> bool:
    return bool(ds) and all(d["state"] in ("delivered", "exhausted", "stopped") for d in ds)


def set_account_webhook(edge: EdgeServer, key: Key, url: str | None) -> dict:
    r = edge.session.put(edge.url("/v1/account/webhook"), headers=key.headers, json={"url": url}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def failures(edge: EdgeServer, key: Key) -> dict:
    r = edge.session.get(edge.url("/v1/webhooks/failures"), headers=key.headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def token() -> str:
    return secrets.token_hex(4)


def whsec() -> str:
    """A Standard Webhooks style secret: whsec_ + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def wait_until(pred: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.05)
