"""Live and sandbox profiles keep their documents apart (issue #11, defect 9).

Veryfi's spec (003_*.txt, webhook notes): "Dev profiles aka “sandbox“ have
separate api keys hence can have a different webhook URL in the settings".
A key sees, lists, deletes and redelivers webhooks of only the documents of
its own profile; a document of the other profile of the same organisation
answers exactly like a document that does not exist (404 DOCUMENT_NOT_FOUND),
on every route. Each side has a queued document (read from the Account DO's
admission record), a completed one (read from the KV snapshot) and a Veryfi
submission (numeric id)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import pytest

from edge_helpers import error_of, get_doc, submit, submit_ok
from harness.edge import Key, processing_result
from harness.files import PNG, pdf_bytes
from harness.receiver import WebhookReceiver

MISSING_DOC = "doc_" + "0" * 20
MISSING_VERYFI_ID = 99  # parses, but below the 12-digit range ids are drawn from


@dataclass
class Side:
    key: Key
    queued: str
    completed: str
    veryfi_id: int
    veryfi_doc: str  # the Veryfi submission's document id

    @property
    def docs(self) -> set[str]:
        return {self.queued, self.completed, self.veryfi_doc}


def veryfi_submit(edge, key: Key) -> int:
    r = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, timeout=30,
                          json={"file_data": base64.b64encode(PNG).decode(), "file_name": "r.png", "async": True})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def veryfi_get(edge, key: Key, veryfi_id: int):
    return edge.session.get(edge.url(f"/api/v8/partner/documents/{veryfi_id}/"), headers=key.veryfi_headers, timeout=30)


def veryfi_delete(edge, key: Key, veryfi_id: int):
    return edge.session.delete(edge.url(f"/api/v8/partner/documents/{veryfi_id}/"), headers=key.veryfi_headers, timeout=30)


def list_all(edge, key: Key, limit: int = 100, **query) -> list[dict]:
    """Every page of the key's list, following nextCursor."""
    out, cursor = [], None
    for _ in range(50):
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        r = edge.session.get(edge.url("/v1/documents"), headers=key.headers, params=params, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["data"]) <= limit
        out += body["data"]
        if not body["pagination"]["hasMore"]:
            assert body["pagination"]["nextCursor"] is None
            return out
        cursor = body["pagination"]["nextCursor"]
    raise AssertionError("list did not end")


def assert_like_missing(r, missing) -> None:
    """`r` is indistinguishable from the answer for a document that does not exist."""
    assert missing.status_code == 404 and error_of(missing) == "DOCUMENT_NOT_FOUND", missing.text
    assert (r.status_code, r.json()) == (missing.status_code, missing.json()), r.text


@pytest.fixture
def sides(edge, admin, clean_queue):
    """One organisation, a live and a sandbox admin key, each with its documents."""
    org = admin.create_org(f"profiles-{secrets.token_hex(3)}", plan="paid", credits=1000)
    keys = {p: admin.create_key(org, role="admin", profile=p) for p in ("live", "sandbox")}
    with WebhookReceiver() as rx:
        completed = {}
        for p, k in keys.items():
            completed[p] = submit_ok(edge, k, webhookUrl=rx.url)["id"]
            lease = clean_queue.lease_doc(completed[p])
            assert clean_queue.complete(lease["leaseId"], processing_result()).status_code == 200
        out = {}
        for p, k in keys.items():
            queued = submit_ok(edge, k, file=pdf_bytes(2), name="q.pdf")["id"]
            vid = veryfi_submit(edge, k)
            r = veryfi_get(edge, k, vid)
            assert r.status_code == 200, r.text
            out[p] = Side(k, queued, completed[p], vid, r.json()["meta"]["folio_id"])
        yield out["live"], out["sandbox"]


def pairs(sides):
    live, sandbox = sides
    return [(live, sandbox), (sandbox, live)]


def test_get_answers_only_documents_of_the_keys_profile(edge, sides):
    missing = get_doc(edge, sides[0].key, MISSING_DOC)
    for me, other in pairs(sides):
        for doc in other.docs:
            assert_like_missing(get_doc(edge, me.key, doc), missing)
        for doc in me.docs:
            r = get_doc(edge, me.key, doc)
            assert r.status_code == 200 and r.json()["data"]["id"] == doc, r.text


def test_list_holds_only_the_keys_profile_and_cursors_still_page(edge, sides):
    for me, _ in pairs(sides):
        listed = list_all(edge, me.key)
        assert {d["id"] for d in listed} == me.docs
        # One per page: the cursor walks the same documents in the same order.
        assert [d["id"] for d in list_all(edge, me.key, limit=1)] == [d["id"] for d in listed]
        done = list_all(edge, me.key, status="completed")
        assert [d["id"] for d in done] == [me.completed]


def test_veryfi_get_answers_only_the_keys_profile(edge, sides):
    missing = veryfi_get(edge, sides[0].key, MISSING_VERYFI_ID)
    for me, other in pairs(sides):
        assert_like_missing(veryfi_get(edge, me.key, other.veryfi_id), missing)
        r = veryfi_get(edge, me.key, me.veryfi_id)
        assert r.status_code == 200 and r.json()["id"] == me.veryfi_id, r.text


def test_delete_reaches_only_the_keys_profile(edge, admin, sides):
    missing = edge.session.delete(edge.url(f"/v1/documents/{MISSING_DOC}"), headers=sides[0].key.headers)
    missing_veryfi = veryfi_delete(edge, sides[0].key, MISSING_VERYFI_ID)
    for me, other in pairs(sides):
        for doc in (other.queued, other.completed):
            r = edge.session.delete(edge.url(f"/v1/documents/{doc}"), headers=me.key.headers)
            assert_like_missing(r, missing)
        assert_like_missing(veryfi_delete(edge, me.key, other.veryfi_id), missing_veryfi)
    # Nothing was deleted: each owner still has all of its documents...
    for me, _ in pairs(sides):
        for doc in me.docs:
            assert get_doc(edge, me.key, doc).status_code == 200
    # ... and deletes them itself.
    for me, _ in pairs(sides):
        for doc in (me.queued, me.completed):
            r = edge.session.delete(edge.url(f"/v1/documents/{doc}"), headers=me.key.headers)
            assert r.status_code == 200 and r.json()["data"] == {"id": doc, "deleted": True}, r.text
        r = veryfi_delete(edge, me.key, me.veryfi_id)
        assert r.status_code == 200, r.text
        assert list_all(edge, me.key) == []


def test_webhook_routes_answer_only_the_keys_profile(edge, sides):
    post = lambda key, doc: edge.session.post(edge.url(f"/v1/documents/{doc}/webhooks/redeliver"), headers=key.headers,
                                              timeout=30)
    get = lambda key, doc: edge.session.get(edge.url(f"/v1/documents/{doc}/webhooks"), headers=key.headers, timeout=30)
    missing_get, missing_post = get(sides[0].key, MISSING_DOC), post(sides[0].key, MISSING_DOC)
    for me, other in pairs(sides):
        for doc in (other.completed, other.queued):
            assert_like_missing(get(me.key, doc), missing_get)
            assert_like_missing(post(me.key, doc), missing_post)
    for me, _ in pairs(sides):
        r = get(me.key, me.completed)
        assert r.status_code == 200 and r.json()["data"]["documentId"] == me.completed, r.text
        r = post(me.key, me.completed)
        assert r.status_code == 202 and len(r.json()["data"]["deliveries"]) == 1, r.text


def test_idempotency_keys_do_not_cross_profiles(edge, sides):
    """Guard: an Idempotency-Key used by one profile's key never replays its
    document to the other profile's key, on the async or the sync endpoint."""
    live, sandbox = sides
    idem = {"Idempotency-Key": f"profiles-{secrets.token_hex(4)}"}
    first = submit_ok(edge, live.key, headers=idem)["id"]
    assert submit_ok(edge, live.key, headers=idem)["id"] == first  # the same key replays
    other = submit_ok(edge, sandbox.key, headers=idem)["id"]
    assert other != first
    r = submit(edge, sandbox.key, path="/v1/documents/process", headers=idem)
    assert r.status_code == 202 and r.json()["data"]["id"] == other, r.text
    assert error_of(get_doc(edge, sandbox.key, first)) == "DOCUMENT_NOT_FOUND"
    assert error_of(get_doc(edge, live.key, other)) == "DOCUMENT_NOT_FOUND"


def test_admin_api_sees_the_organisation_across_profiles(edge, admin, sides):
    live, _ = sides
    acct = admin.get_org(live.key.org_id)
    # Unfinished on each side: a 2-page PDF and a 1-page Veryfi image.
    assert acct["reserved"] == 2 * (2 + 1)
    assert acct["credits"] == 1000 - 2 * 1 - acct["reserved"]
