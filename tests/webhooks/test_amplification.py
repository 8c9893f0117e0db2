"""Redelivery cannot be used as an amplifier (issue #11): only admin keys may
redeliver, redeliveries are limited per document and per organisation
(`429 RATE_LIMIT_EXCEEDED` with `Retry-After`), and the delivery log keeps
at most 1 KB of a receiver's answer however large it is.

The limits are set low through [vars] (webhooks/settings.rs):
WEBHOOK_REDELIVERY_LIMIT_PER_DOCUMENT=2, WEBHOOK_REDELIVERY_LIMIT_PER_ORG=3 per
WEBHOOK_REDELIVERY_WINDOW_SECONDS=3600."""

import pytest

from flow import complete, deliveries, edge_server, finished, submit, token, wait_deliveries, whsec
from receivers import Answer, Receiver

PER_DOCUMENT = 2
PER_ORG = 3
WINDOW_S = 3600
SNIPPET_BYTES = 1024
BIG = 1_500_000


@pytest.fixture(scope="module")
def edge():
    with edge_server({
        "WEBHOOK_TIME_SCALE": "0.001",
        "WEBHOOK_REDELIVERY_LIMIT_PER_DOCUMENT": str(PER_DOCUMENT),
        "WEBHOOK_REDELIVERY_LIMIT_PER_ORG": str(PER_ORG),
        "WEBHOOK_REDELIVERY_WINDOW_SECONDS": str(WINDOW_S),
    }, name="wh-amplify") as e:
        yield e


@pytest.fixture
def receiver():
    rcv = Receiver()
    yield rcv
    rcv.close()


def redeliver(edge, key, doc_id):
    return edge.session.post(edge.url(f"/v1/documents/{doc_id}/webhooks/redeliver"), headers=key.headers, timeout=30)


def error_of(r) -> dict:
    body = r.json()
    assert body["success"] is False, body
    return body["error"]


def finished_document(edge, key, rcv) -> str:
    doc = submit(edge, key, rcv.url(), whsec(), file_name=f"amp-{token()}.png")
    complete(edge.host(), doc)
    wait_deliveries(edge, key, doc, finished)
    return doc


def assert_rate_limited(r, scope: str) -> None:
    assert r.status_code == 429, r.text
    err = error_of(r)
    assert err["code"] == "RATE_LIMIT_EXCEEDED"
    assert scope in err["message"], err
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW_S


def test_member_key_may_not_redeliver(edge, receiver):
    admin = edge.admin()
    org, admin_key = admin.new_tenant()
    member = admin.create_key(org, role="member")
    doc = finished_document(edge, admin_key, receiver)
    r = redeliver(edge, member, doc)
    assert r.status_code == 403, r.text
    err = error_of(r)
    assert err["code"] == "FORBIDDEN" and "admin" in err["message"]
    # Nothing was sent or recorded; members still read the log.
    assert len(deliveries(edge, member, doc)) == 1
    assert len(receiver.received) == 1
    # The admin key of the same organisation may.
    assert redeliver(edge, admin_key, doc).status_code == 202


def test_per_document_limit(edge, receiver):
    _, key = edge.admin().new_tenant()
    doc = finished_document(edge, key, receiver)
    for _ in range(PER_DOCUMENT):
        r = redeliver(edge, key, doc)
        assert r.status_code == 202, r.text
    r = redeliver(edge, key, doc)
    assert_rate_limited(r, "this document")
    ds = wait_deliveries(edge, key, doc, lambda ds: len(ds) == 1 + PER_DOCUMENT and finished(ds))
    assert len(ds) == 1 + PER_DOCUMENT
    receiver.wait_for(1 + PER_DOCUMENT)
    assert len(receiver.received) == 1 + PER_DOCUMENT
    # Another document of the organisation has its own window.
    other = finished_document(edge, key, receiver)
    assert redeliver(edge, key, other).status_code == 202


def test_per_organisation_limit(edge, receiver):
    admin = edge.admin()
    org, key = admin.new_tenant()
    other_key = admin.create_key(org, role="admin")
    docs = [finished_document(edge, key, receiver) for _ in range(3)]
    # 2 + 1 = PER_ORG redeliveries, each within its document's limit.
    for doc in (docs[0], docs[0], docs[1]):
        r = redeliver(edge, key, doc)
        assert r.status_code == 202, r.text
    # The organisation's budget is spent, whichever key or document asks.
    assert_rate_limited(redeliver(edge, key, docs[2]), "this organisation")
    assert_rate_limited(redeliver(edge, other_key, docs[1]), "this organisation")
    assert len(deliveries(edge, key, docs[2])) == 1
    # Other organisations are not affected.
    _, stranger = admin.new_tenant()
    theirs = finished_document(edge, stranger, receiver)
    assert redeliver(edge, stranger, theirs).status_code == 202


@pytest.mark.parametrize("body", [b"a" * BIG, b"\xff" * BIG, "€".encode() * (BIG // 3)],
                         ids=["ascii", "not-utf8", "multibyte"])
def test_log_keeps_at_most_1kb_of_a_large_answer(edge, body):
    """A receiver answering 1.5 MB: the log holds at most 1 KB of it (as
    stored: the snippet's UTF-8 bytes, whatever the receiver sent)."""
    _, key = edge.admin().new_tenant()
    rcv = Receiver(lambda i, r: Answer(status=200, body=body, headers={"Content-Type": "application/octet-stream"}))
    try:
        doc = submit(edge, key, rcv.url(), whsec())
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished)
    finally:
        rcv.close()
    [attempt] = d["attempts"]
    assert attempt["status"] == 200
    kept = attempt["responseBody"].encode()
    assert 0 < len(kept) <= SNIPPET_BYTES, len(kept)
    assert attempt["responseTruncated"] is True
