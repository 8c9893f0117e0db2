"""Deleting a document purges its webhook deliveries (issue #11): pending
retries stop at once, the deliveries object's storage (event with the
extracted data and callbackMetadata, the webhook secret, the attempt log) is
gone, and the webhook routes answer 404 for it.

The storage is observed where `wrangler dev` keeps it: the SQLite files of
the DocumentWebhooks objects under the server's `--persist-to` directory."""

import time
from pathlib import Path

import pytest

from flow import complete, edge_server, set_account_webhook, submit, token, wait_until, whsec
from receivers import Answer, Receiver

# WEBHOOK_TIME_SCALE 0.001: DocuRift retries after 60 ms, 300 ms, 1.8 s, 7.2 s.
SCALE = "0.001"


@pytest.fixture(scope="module")
def edge():
    with edge_server({"WEBHOOK_TIME_SCALE": SCALE}, name="wh-delete") as e:
        yield e


def webhooks_storage_holds(edge, needle: bytes) -> list[str]:
    """The DocumentWebhooks storage files (database, WAL) containing `needle`."""
    found = []
    for f in Path(edge.state_dir).rglob("*"):
        if f.is_file() and "DocumentWebhooks" in str(f) and needle in f.read_bytes():
            found.append(str(f))
    return found


def error_code(r) -> str:
    return r.json()["error"]["code"]


@pytest.mark.parametrize("api", ["docurift", "veryfi"])
def test_deleting_a_document_purges_its_deliveries(edge, api):
    """A completed document owes two deliveries: its own webhookUrl, whose
    receiver keeps failing (retries pending), and the account webhook,
    delivered (its body names the document's Veryfi id). Deleting it, by
    either API, purges both."""
    _, key = edge.admin().new_tenant()
    marker = f"purge-me-{token()}{token()}"
    failing = Receiver(lambda i, r: Answer(status=503))
    account = Receiver()
    secret = whsec()
    try:
        set_account_webhook(edge, key, account.url(f"/webhook/veryfi/{marker}"))
        doc = submit(edge, key, failing.url(f"/webhooks/docurift/{marker}"), secret, {"ref": marker})
        complete(edge.host(), doc)
        failing.wait_for(3)  # attempts at 0, 60 and 360 ms; the 4th is due 1.8 s later
        [created] = account.wait_for(1)
        assert marker.encode() in failing.received[0].body
        wait_until(lambda: webhooks_storage_holds(edge, marker.encode()), timeout=10, what="deliveries stored")
        if api == "docurift":
            r = edge.session.delete(edge.url(f"/v1/documents/{doc}"), headers=key.headers, timeout=30)
        else:
            veryfi_id = created.json()["data"]["id"]
            r = edge.session.delete(edge.url(f"/api/v8/partner/documents/{veryfi_id}/"), headers=key.veryfi_headers,
                                    timeout=30)
        assert r.status_code == 200, r.text
        sent_before_delete = len(failing.received)
        # Gone from storage at once, not at the next retry.
        assert webhooks_storage_holds(edge, marker.encode()) == []
        assert webhooks_storage_holds(edge, secret.encode()) == []
        time.sleep(2.5)  # past the 4th attempt's time
    finally:
        failing.close()
        account.close()
    assert len(failing.received) == sent_before_delete == 3
    assert len(account.received) == 1
    for method, path in [("GET", f"/v1/documents/{doc}/webhooks"), ("POST", f"/v1/documents/{doc}/webhooks/redeliver")]:
        r = edge.session.request(method, edge.url(path), headers=key.headers, timeout=30)
        assert r.status_code == 404 and error_code(r) == "DOCUMENT_NOT_FOUND", r.text
    assert webhooks_storage_holds(edge, marker.encode()) == []
