"""Receivers that fail forever: exactly 6 attempts (DocuRift) or 3 (Veryfi),
then the delivery is exhausted and the organisation's admins are notified once
per 24 hours, listing the failed documents' ids (Veryfi: "If all 3 webhook
deliveries fail, an API Webhook Failed email will be sent ... Only 1 email is
sent per 24-hour period listing all failed webhooks with document ids").

WEBHOOK_TIME_SCALE = 0.0001: the DocuRift waits become 6 ms, 30 ms, 180 ms,
720 ms and 8.64 s; Veryfi's 6 ms and 30 ms; the 24 h window 8.64 s.
The notification goes to ADMIN_NOTIFICATION_URL, a Python receiver that
forwards it to receiver.mjs, where the Veryfi spec's JavaScript
createSignature checks it (as the Python create_signature does here).
"""

import json
import time

import pytest
from standardwebhooks import Webhook

from flow import (complete, deliveries, edge_server, failures, set_account_webhook, submit, submit_veryfi, token,
                  wait_deliveries, wait_until)
from receivers import Answer, NodeReceiver, Receiver
from spec_veryfi import check_veryfi_signature

SCALE = 0.0001
DOCURIFT_WAITS_S = [6e-3, 30e-3, 180e-3, 720e-3, 8.64]
VERYFI_WAITS_S = [6e-3, 30e-3]
WINDOW_S = 86400 * SCALE
SLACK_S = 1.0


@pytest.fixture(scope="module")
def admin_inbox():
    rcv = Receiver()
    yield rcv
    rcv.close()


@pytest.fixture(scope="module")
def edge(admin_inbox):
    url = admin_inbox.url("/webhook/veryfi?org={organizationId}&profile={profile}")
    with edge_server({"WEBHOOK_TIME_SCALE": str(SCALE), "ADMIN_NOTIFICATION_URL": url}, name="wh-exhaustion") as e:
        yield e


@pytest.fixture(scope="module")
def tenant(edge, admin_inbox):
    org, key = edge.admin().new_tenant()
    node = NodeReceiver(veryfi_secret=key.veryfi["clientSecret"])
    admin_inbox.forward_to = node.base_url
    yield org, key
    node.close()


def exhausted(ds):
    return bool(ds) and all(d["state"] == "exhausted" for d in ds)


def check_spacing(times, waits):
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) == len(waits)
    for gap, wait in zip(gaps, waits):
        assert wait <= gap + 0.005 and gap < wait + SLACK_S, f"gaps {gaps} vs scheduled waits {waits}"


def check_notification(n, key, org_id, ids):
    """A `webhooks.failed` digest, verified like a Veryfi webhook."""
    payload = json.loads(n.body)
    assert payload["event"] == "webhooks.failed"
    assert sorted(payload["data"]["ids"]) == sorted(ids)
    assert n.path == f"/webhook/veryfi?org={org_id}&profile=live"
    secret = key.veryfi["clientSecret"]
    assert check_veryfi_signature(payload, secret, n.headers["x-veryfi-signature"])
    assert n.answered == 200  # receiver.mjs: the spec's JavaScript createSignature matched
    Webhook(secret.encode()).verify(n.body, n.headers)


def test_docurift_failing_forever_gets_6_attempts_then_one_notification(edge, tenant, admin_inbox):
    org, key = tenant
    rcv = Receiver(lambda i, r: Answer(status=500, body=b"down"))
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, exhausted, timeout=40)
        [note] = admin_inbox.wait_for(1, timeout=20)
        time.sleep(1.0)  # nothing more may come
    finally:
        rcv.close()
    got = rcv.received
    assert len(got) == 6
    assert [r.headers["x-docurift-retry-count"] for r in got] == ["0", "1", "2", "3", "4", "5"]
    assert {r.headers["x-docurift-delivery-id"] for r in got} == {d["deliveryId"]}
    check_spacing([r.at for r in got], DOCURIFT_WAITS_S)
    assert d["attemptCount"] == 6 and d["maxAttempts"] == 6
    assert [a["result"] for a in d["attempts"]] == ["retryScheduled"] * 5 + ["exhausted"]
    assert "nextAttemptAt" not in d

    f = wait_until(lambda: failures(edge, key)["failures"], what="failure ledger")
    assert len(f) == 1
    assert f[0]["documentId"] == doc and f[0]["deliveryId"] == d["deliveryId"]
    assert f[0]["kind"] == "documentWebhook" and f[0]["attempts"] == 6
    check_notification(note, key, org.id, [f[0]["veryfiId"]])
    assert len(admin_inbox.received) == 1
    view = wait_until(lambda: (v := failures(edge, key))["notifications"][0].get("delivery", {}).get("state") == "delivered" and v)
    assert view["adminNotificationUrlConfigured"] is True and view["profile"] == "live"
    assert view["pendingIds"] == [] and view["lastNotifiedAt"]
    assert view["notifications"][0]["ids"] == [f[0]["veryfiId"]]


def test_veryfi_failing_forever_gets_3_attempts_and_the_24h_rule(edge, tenant, admin_inbox):
    org, key = tenant
    first_note_at = admin_inbox.received[0].at  # from the test above
    rcv = Receiver(lambda i, r: Answer(status=503))
    try:
        set_account_webhook(edge, key, rcv.url("/webhook/veryfi"))
        names = [f"v-{token()}.png" for _ in range(2)]
        ids = [submit_veryfi(edge, key, n) for n in names]
        for n in names:
            complete(edge.host(), file_name=n)
        got = rcv.wait_for(6, timeout=20)
        time.sleep(0.5)
    finally:
        rcv.close()
    assert len(rcv.received) == 6  # 3 each
    per_doc = {}
    for r in got:
        per_doc.setdefault(r.json()["data"]["id"], []).append(r)
    assert sorted(per_doc) == sorted(ids)
    for rs in per_doc.values():
        assert len({r.headers["webhook-id"] for r in rs}) == 1
        check_spacing([r.at for r in rs], VERYFI_WAITS_S)

    # Both exhausted within 24 h (scaled) of the first notification: they wait.
    view = wait_until(lambda: (v := failures(edge, key)) and len(v["failures"]) == 3 and v)
    if time.time() < first_note_at + WINDOW_S - 0.5:
        assert len(admin_inbox.received) == 1
        assert sorted(view["pendingIds"]) == sorted(ids)
        assert view["nextNotificationAt"]
    # Then one notification lists both.
    notes = admin_inbox.wait_for(2, timeout=WINDOW_S + 10)
    second = notes[1]
    assert second.at - first_note_at >= WINDOW_S - 0.05
    check_notification(second, key, org.id, ids)
    time.sleep(1.0)
    assert len(admin_inbox.received) == 2
    view = failures(edge, key)
    assert [len(n["ids"]) for n in view["notifications"]] == [2, 1]
    assert view["pendingIds"] == []
    kinds = sorted(f["kind"] for f in view["failures"])
    assert kinds == ["accountWebhook", "accountWebhook", "documentWebhook"]
    assert all(f["attempts"] == 3 for f in view["failures"] if f["kind"] == "accountWebhook")


def test_the_log_keeps_every_attempt_of_an_exhausted_delivery(edge, tenant):
    """The delivery log of a document that exhausted its Veryfi webhook."""
    _, key = tenant
    doc_id = failures(edge, key)["failures"][0]["documentId"]
    [d] = deliveries(edge, key, doc_id)
    assert d["kind"] == "accountWebhook" and d["profile"] == "veryfi" and d["state"] == "exhausted"
    assert [a["status"] for a in d["attempts"]] == [503, 503, 503]
    assert [a["retryCount"] for a in d["attempts"]] == [0, 1, 2]
