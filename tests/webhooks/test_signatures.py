"""Every delivery verifies under the specs' own verification code, run as
written, and under the official Standard Webhooks library.

Each delivery goes to a Python receiver that keeps the exact bytes (checked
with the DocuRift spec's Python `verify_webhook`, the Veryfi spec's Python
`create_signature` and PyPI `standardwebhooks`) and forwards them unchanged to
tests/webhook_verifiers/receiver.mjs, where the DocuRift spec's Node
`verifyWebhookSignature` and the Veryfi spec's JavaScript `createSignature`
decide the answer the worker gets and logs.
"""

import json

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from flow import (complete, edge_server, set_account_webhook, submit, submit_veryfi, token, wait_deliveries,
                  finished, whsec)
from receivers import NodeReceiver, Receiver
from spec_docurift import verify_webhook
from spec_veryfi import check_veryfi_signature


@pytest.fixture(scope="module")
def edge():
    with edge_server({"WEBHOOK_TIME_SCALE": "0.001"}, name="wh-signatures") as e:
        yield e


def tamper(body: bytes) -> bytes:
    """The body with its last digit changed (still valid JSON)."""
    at = max(i for i, c in enumerate(body) if 0x30 <= c <= 0x39)
    b = bytearray(body)
    b[at] = 0x32 if b[at] == 0x31 else 0x31
    return bytes(b)


def standard_webhooks_accepts(secret, body: bytes, headers: dict) -> bool:
    try:
        Webhook(secret).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


# (webhookSecret, what a receiver hands the Standard Webhooks library). A
# `whsec_` + base64 secret is used as is; DocuRift's own example secret is
# not base64, so receivers pass its bytes (see
# folio_core::webhook::signature::standard_webhooks_key).
_B64 = whsec()
DOCURIFT_SECRETS = [
    pytest.param((_B64, _B64), id="whsec-base64"),
    pytest.param(("whsec_your_secret_here", b"whsec_your_secret_here"), id="spec-example"),
    pytest.param(("sécret – ünïcode", "sécret – ünïcode".encode()), id="unicode"),
]


@pytest.mark.parametrize("secrets", DOCURIFT_SECRETS)
@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_docurift_deliveries_verify_everywhere(edge, secrets, outcome):
    secret, sw_secret = secrets
    org, key = edge.admin().new_tenant()
    node = NodeReceiver(docurift_secret=secret)
    rcv = Receiver(forward_to=node.base_url)
    metadata = {"internalId": "order-12345", "department": "accounts-payable", "n": 15750.0,
                "2": ["b", 1e21, 0.1], "note": "naïve – “quoted” \u2028 </script>", "emoji": "\U0001F9FE"}
    try:
        doc = submit(edge, key, rcv.url("/webhooks/docurift"), secret, metadata)
        complete(edge.host(), doc, ok=outcome == "completed")
        [got] = rcv.wait_for(1)
        ds = wait_deliveries(edge, key, doc, finished)
    finally:
        rcv.close()
        node.close()

    # The spec's Node verifier accepted it (receiver.mjs answers 401 otherwise) ...
    assert got.answered == 200
    [d] = ds
    assert d["state"] == "delivered" and d["attemptCount"] == 1, d
    assert d["attempts"][0]["status"] == 200 and d["attempts"][0]["responseBody"] == '{"received":true}'
    # ... and so do the spec's Python verifier and the Standard Webhooks library.
    h = got.headers
    assert verify_webhook(got.body, h["x-docurift-signature"], secret)
    assert not verify_webhook(tamper(got.body), h["x-docurift-signature"], secret)
    assert standard_webhooks_accepts(sw_secret, got.body, h)
    assert not standard_webhooks_accepts(sw_secret, tamper(got.body), h)

    # The payload is the spec's "Webhook Payload", callbackMetadata echoed.
    body = got.json()
    event = "document.completed" if outcome == "completed" else "document.failed"
    assert list(body) == ["event", "timestamp", "data", "callbackMetadata"]
    assert body["event"] == event and body["callbackMetadata"] == metadata
    data = body["data"]
    assert data["id"] == doc and data["organizationId"] == org.id and data["status"] == outcome
    if outcome == "completed":
        assert list(data) == ["id", "organizationId", "fileName", "documentType", "status", "pagesProcessed",
                              "confidence", "extractedData", "metadata", "processedAt"]
        assert data["extractedData"]["totalAmount"] == 15750
    else:
        assert data["error"] == {"code": "OCR_FAILED", "message": "OCR failed on page 1"}
        assert "extractedData" not in data
    # The spec's headers.
    assert h["x-docurift-event"] == event
    assert h["x-docurift-timestamp"] == body["timestamp"]
    assert h["x-docurift-delivery-id"] == h["webhook-id"] == d["deliveryId"]
    assert h["x-docurift-retry-count"] == "0"
    assert h["content-type"] == "application/json"


def admin_call(edge, method: str, path: str, expect: int, **kw) -> dict:
    return edge.admin()._call(method, path, expect, **kw)


def test_docurift_without_secret_is_signed_with_the_organisation_secret(edge):
    """A caller who never sets `webhookSecret`: the organisation's default
    secret (shown once, at creation) signs, and the DocuRift spec's Node and
    Python verifiers and the Standard Webhooks library accept it."""
    created = admin_call(edge, "POST", "/admin/v1/orgs", 201, json={"name": f"default-{token()}", "credits": 100})
    org_secret = created["webhookSigningSecret"]
    assert org_secret.startswith("whsec_") and len(org_secret) > 30
    assert "webhookSigningSecret" not in admin_call(edge, "GET", f"/admin/v1/orgs/{created['organization']['orgId']}", 200)
    key = edge.admin().create_key(created["organization"]["orgId"])
    node = NodeReceiver(docurift_secret=org_secret)
    rcv = Receiver(forward_to=node.base_url)
    try:
        doc = submit(edge, key, rcv.url("/webhooks/docurift"))
        complete(edge.host(), doc)
        [got] = rcv.wait_for(1)
    finally:
        rcv.close()
        node.close()
    assert got.answered == 200  # the spec's Node `verifyWebhookSignature`
    h = got.headers
    assert verify_webhook(got.body, h["x-docurift-signature"], org_secret)
    assert not verify_webhook(tamper(got.body), h["x-docurift-signature"], org_secret)
    assert standard_webhooks_accepts(org_secret, got.body, h)
    assert got.header("x-docurift-delivery-id") == got.header("webhook-id")


def test_rotation_keeps_the_old_secret_signing_for_the_overlap(edge):
    created = admin_call(edge, "POST", "/admin/v1/orgs", 201, json={"name": f"rotate-{token()}", "credits": 100})
    org_id, old = created["organization"]["orgId"], created["webhookSigningSecret"]
    key = edge.admin().create_key(org_id)
    rotated = admin_call(edge, "POST", f"/admin/v1/orgs/{org_id}/webhook-secret/rotate", 200)
    new = rotated["webhookSigningSecret"]
    assert new != old and new.startswith("whsec_") and rotated["previousSecretValidUntil"]
    rcv = Receiver()
    try:
        doc = submit(edge, key, rcv.url())
        complete(edge.host(), doc)
        [got] = rcv.wait_for(1)
    finally:
        rcv.close()
    h = got.headers
    # DocuRift's header: the new secret; Standard Webhooks: both, space-separated.
    assert verify_webhook(got.body, h["x-docurift-signature"], new)
    assert not verify_webhook(got.body, h["x-docurift-signature"], old)
    assert len(h["webhook-signature"].split(" ")) == 2
    assert standard_webhooks_accepts(new, got.body, h) and standard_webhooks_accepts(old, got.body, h)
    assert not standard_webhooks_accepts(whsec(), got.body, h)
    # A submission's own secret still wins over the organisation's.
    own = whsec()
    rcv = Receiver()
    try:
        doc = submit(edge, key, rcv.url(), own)
        complete(edge.host(), doc)
        [got] = rcv.wait_for(1)
    finally:
        rcv.close()
    assert verify_webhook(got.body, got.headers["x-docurift-signature"], own)
    assert got.headers["webhook-signature"].count("v1,") == 1


@pytest.mark.parametrize("profile", ["live", "sandbox"])
def test_veryfi_profile_deliveries_verify_everywhere(edge, profile):
    admin = edge.admin()
    org = admin.create_org(f"veryfi-{token()}", plan="paid", credits=100)
    key = admin.create_key(org, role="admin", profile=profile)
    client_secret = key.veryfi["clientSecret"]
    node = NodeReceiver(veryfi_secret=client_secret)
    rcv = Receiver(forward_to=node.base_url)
    # The other profile's webhook must stay silent.
    other_profile = "sandbox" if profile == "live" else "live"
    other = Receiver()
    try:
        set_account_webhook(edge, key, rcv.url("/webhook/veryfi"))
        set_account_webhook(edge, admin.create_key(org, role="admin", profile=other_profile), other.url("/webhook/veryfi"))
        ok_name, bad_name = f"ok-{token()}.png", f"bad-{token()}.png"
        ok_id = submit_veryfi(edge, key, ok_name)
        bad_id = submit_veryfi(edge, key, bad_name)
        complete(edge.host(), file_name=ok_name)
        complete(edge.host(), file_name=bad_name, ok=False, error=("PLUGIN_FAILED", 'Plugin "invoice" crashed, sorry'))
        got = rcv.wait_for(2)
    finally:
        rcv.close()
        node.close()
        other.close()
    assert other.received == []
    by_id = {r.json()["data"]["id"]: r for r in got}
    assert set(by_id) == {ok_id, bad_id}
    created, failed = by_id[ok_id], by_id[bad_id]
    assert created.json()["event"] == "document.created"
    assert list(created.json()["data"]) == ["id", "created"]
    assert failed.json()["event"] == "document.failed"
    assert list(failed.json()["data"]) == ["id", "created", "error"]
    assert failed.json()["data"]["error"] == "Plugin `invoice` crashed; sorry"
    for r in got:
        # receiver.mjs: the spec's JavaScript createSignature matched.
        assert r.answered == 200
        payload = json.loads(r.body)
        sig = r.headers["x-veryfi-signature"]
        assert check_veryfi_signature(payload, client_secret, sig)
        tampered = json.loads(tamper(r.body))
        assert not check_veryfi_signature(tampered, client_secret, sig)
        assert standard_webhooks_accepts(client_secret.encode(), r.body, r.headers)
        assert "x-docurift-signature" not in r.headers
