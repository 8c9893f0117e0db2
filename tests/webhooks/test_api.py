"""`GET /v1/documents/{id}/webhooks`, `POST /v1/documents/{id}/webhooks/redeliver`
and `GET /v1/webhooks/failures`: scoping, errors, and redelivery sending the
same event again as a new delivery."""

import time

import pytest
from standardwebhooks import Webhook

from flow import (complete, deliveries, edge_server, failures, finished, set_account_webhook, submit, token,
                  wait_deliveries, whsec)
from receivers import Answer, Receiver
from spec_docurift import verify_webhook


@pytest.fixture(scope="module")
def edge():
    with edge_server({"WEBHOOK_TIME_SCALE": "0.001"}, name="wh-api") as e:
        yield e


def redeliver(edge, key, doc_id, body=None):
    kw = {"json": body} if body is not None else {}
    return edge.session.post(edge.url(f"/v1/documents/{doc_id}/webhooks/redeliver"), headers=key.headers,
                             timeout=30, **kw)


def error_code(r) -> str:
    body = r.json()
    assert body["success"] is False
    return body["error"]["code"]


def test_redeliver_sends_the_same_event_as_a_new_delivery(edge):
    _, key = edge.admin().new_tenant()
    secret = whsec()
    rcv = Receiver()
    try:
        doc = submit(edge, key, rcv.url(), secret, {"ref": "A-1"})
        complete(edge.host(), doc)
        [first] = wait_deliveries(edge, key, doc, finished)
        r = redeliver(edge, key, doc)
        assert r.status_code == 202, r.text
        [created] = r.json()["data"]["deliveries"]
        assert created["redeliveryOf"] == first["deliveryId"] and created["deliveryId"] != first["deliveryId"]
        ds = wait_deliveries(edge, key, doc, lambda ds: len(ds) == 2 and finished(ds))
        # A specific delivery can be named.
        r = redeliver(edge, key, doc, {"deliveryId": first["deliveryId"]})
        assert r.status_code == 202, r.text
        got = rcv.wait_for(3)
    finally:
        rcv.close()
    a, b, c = got
    assert a.body == b.body == c.body  # the same event, byte for byte
    assert len({x.headers["x-docurift-delivery-id"] for x in got}) == 3
    assert all(x.headers["x-docurift-retry-count"] == "0" for x in got)
    for x in got:
        assert verify_webhook(x.body, x.headers["x-docurift-signature"], secret)
        Webhook(secret).verify(x.body, x.headers)
    assert [d["deliveryId"] for d in ds] == [first["deliveryId"], created["deliveryId"]]
    assert ds[1]["attempts"][0]["status"] == 200


def test_redeliver_reaches_the_current_account_webhook(edge):
    """After a broken account webhook URL is fixed, redelivery goes to the new one."""
    _, key = edge.admin().new_tenant()
    broken = Receiver(lambda i, r: Answer(status=500))
    fixed = Receiver()
    try:
        set_account_webhook(edge, key, broken.url("/webhook/veryfi"))
        doc = submit(edge, key)
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, lambda ds: ds and ds[0]["attemptCount"] >= 1)
        set_account_webhook(edge, key, fixed.url("/webhook/veryfi"))
        r = redeliver(edge, key, doc, {"deliveryId": d["deliveryId"]})
        assert r.status_code == 202, r.text
        [got] = fixed.wait_for(1)
    finally:
        broken.close()
        fixed.close()
    assert got.json()["event"] == "document.created"
    assert r.json()["data"]["deliveries"][0]["url"] == fixed.url("/webhook/veryfi")


def test_errors(edge):
    admin = edge.admin()
    _, key = admin.new_tenant()
    _, stranger = admin.new_tenant()
    rcv = Receiver()
    try:
        doc = submit(edge, key, rcv.url(), "s")
        # Not final yet.
        r = redeliver(edge, key, doc)
        assert r.status_code == 409 and error_code(r) == "INVALID_STATE"
        assert deliveries(edge, key, doc) == []
        complete(edge.host(), doc)
        wait_deliveries(edge, key, doc, finished)
        # Another organisation's document is not found; no key is 401.
        for path, method in [(f"/v1/documents/{doc}/webhooks", "GET"), (f"/v1/documents/{doc}/webhooks/redeliver", "POST")]:
            r = edge.session.request(method, edge.url(path), headers=stranger.headers, timeout=30)
            assert r.status_code == 404 and error_code(r) == "DOCUMENT_NOT_FOUND"
            r = edge.session.request(method, edge.url(path), timeout=30)
            assert r.status_code == 401 and error_code(r) == "INVALID_API_KEY"
        r = edge.session.delete(edge.url(f"/v1/documents/{doc}/webhooks"), headers=key.headers, timeout=30)
        assert r.status_code == 405 and error_code(r) == "METHOD_NOT_ALLOWED"
        r = edge.session.get(edge.url(f"/v1/documents/{doc}/webhooks/redeliver"), headers=key.headers, timeout=30)
        assert r.status_code == 405
        # Unknown delivery, bad body.
        r = redeliver(edge, key, doc, {"deliveryId": "dlv_nope"})
        assert r.status_code == 404 and error_code(r) == "NOT_FOUND"
        r = redeliver(edge, key, doc, {"deliveryid": "x"})
        assert r.status_code == 400 and error_code(r) == "INVALID_REQUEST"
        r = edge.session.get(edge.url("/v1/documents/doc_doesnotexist000/webhooks"), headers=key.headers, timeout=30)
        assert r.status_code == 404 and error_code(r) == "DOCUMENT_NOT_FOUND"
    finally:
        rcv.close()
    # A document without any webhook has nothing to redeliver.
    plain = submit(edge, key, file_name=f"plain-{token()}.png")
    complete(edge.host(), plain)
    assert deliveries(edge, key, plain) == []
    r = redeliver(edge, key, plain)
    assert r.status_code == 409 and error_code(r) == "INVALID_STATE"


def test_deleting_a_document_stops_its_retries(edge):
    _, key = edge.admin().new_tenant()
    rcv = Receiver(lambda i, r: Answer(status=503))
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        rcv.wait_for(3)  # attempts at 0, 60 and 360 ms; the 4th is due 1.8 s later
        r = edge.session.delete(edge.url(f"/v1/documents/{doc}"), headers=key.headers, timeout=30)
        assert r.status_code == 200, r.text
        time.sleep(3.0)
    finally:
        rcv.close()
    assert len(rcv.received) == 3
    r = edge.session.get(edge.url(f"/v1/documents/{doc}/webhooks"), headers=key.headers, timeout=30)
    assert r.status_code == 404


def test_failures_of_a_quiet_organisation(edge):
    _, key = edge.admin().new_tenant()
    f = failures(edge, key)
    assert f["failures"] == [] and f["notifications"] == [] and f["pendingIds"] == []
    assert f["profile"] == "live" and f["adminNotificationUrlConfigured"] is False
    r = edge.session.get(edge.url("/v1/webhooks/failures"), timeout=30)
    assert r.status_code == 401
