"""100 concurrent submissions all accounted for, and persistence: stop
`wrangler dev`, start it again on the same state directory, nothing lost."""

from __future__ import annotations

import concurrent.futures as cf

from edge_helpers import get_doc, submit, submit_ok
from harness.edge import EdgeServer, processing_result
from harness.files import PNG, pdf_bytes


def test_100_concurrent_submissions_are_all_accounted_for(edge, admin, clean_queue):
    org, k = admin.new_tenant(credits=100)
    with cf.ThreadPoolExecutor(max_workers=100) as pool:
        responses = list(pool.map(lambda i: submit(edge, k, file=PNG, name=f"doc-{i}.png"), range(100)))
    assert [r.status_code for r in responses] == [202] * 100, {r.status_code: r.text for r in responses if r.status_code != 202}
    ids = [r.json()["data"]["id"] for r in responses]
    assert len(set(ids)) == 100
    positions = sorted(r.json()["data"]["queuePosition"] for r in responses)
    assert positions[0] >= 1 and positions[-1] <= 100
    # Credits: exactly 100 pages reserved, none left.
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (0, 100)
    assert submit(edge, k).status_code == 402
    # Every document is listed and queued exactly once.
    listed, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = edge.session.get(edge.url("/v1/documents"), headers=k.headers, params=params).json()
        listed += [d["id"] for d in page["data"]]
        if not page["pagination"]["hasMore"]:
            break
        cursor = page["pagination"]["nextCursor"]
    assert sorted(listed) == sorted(ids)
    assert admin.queue_stats()["queued"] == 100
    # A host works through all of them; each completes once.
    leased = []
    while (lease := clean_queue.lease(wait_seconds=0)) is not None:
        leased.append(lease["docId"])
        assert clean_queue.complete(lease["leaseId"], processing_result()).status_code == 200
    assert sorted(leased) == sorted(ids)
    acct = admin.get_org(org)
    assert (acct["credits"], acct["reserved"]) == (0, 0)
    done = edge.session.get(edge.url("/v1/documents"), headers=k.headers, params={"status": "completed", "limit": 100}).json()
    assert len(done["data"]) == 100


def test_restart_on_the_same_state_loses_nothing():
    with EdgeServer(name="persistence") as edge:
        admin = edge.admin()
        org, k = admin.new_tenant(credits=50)
        sandbox = admin.create_key(org, role="member", profile="sandbox")
        host = edge.host("persist-host")
        completed = submit_ok(edge, k, documentType="invoice")
        lease = host.lease_doc(completed["id"])
        host.complete(lease["leaseId"], processing_result("invoice", invoiceNumber="INV-1"))
        failed = submit_ok(edge, k)
        lease = host.lease_doc(failed["id"])
        host.fail(lease["leaseId"], "OCR_FAILED", "unreadable")
        in_flight = submit_ok(edge, k, file=pdf_bytes(2), name="two.pdf")
        held = host.lease_doc(in_flight["id"])
        queued = submit_ok(edge, k, priority="high", headers={"Idempotency-Key": "persist-1"})
        veryfi_id = edge.session.post(edge.url("/api/v8/partner/documents/"), headers=k.veryfi_headers,
                                      json={"file_data": __import__("base64").b64encode(PNG).decode(), "async": True}).json()["id"]
        edge.session.put(edge.url("/v1/account/webhook"), headers=k.headers, json={"url": "https://hooks.example.com/x"})
        before = {d: get_doc(edge, k, d).json()["data"] for d in (completed["id"], failed["id"], in_flight["id"], queued["id"])}
        acct_before = admin.get_org(org)
        old_port = edge.port

        edge.restart()
        assert edge.port != old_port

        # Documents, keys (both profiles), credits, idempotency, Veryfi ids, settings.
        for doc_id, data in before.items():
            assert get_doc(edge, k, doc_id).json()["data"] == data
        assert edge.session.get(edge.url("/v1/documents"), headers=sandbox.headers).status_code == 200
        assert admin.get_org(org) == acct_before
        assert submit_ok(edge, k, priority="high", headers={"Idempotency-Key": "persist-1"})["id"] == queued["id"]
        assert edge.session.get(edge.url(f"/api/v8/partner/documents/{veryfi_id}/"), headers=k.veryfi_headers).status_code == 200
        hook = edge.session.get(edge.url("/v1/account/webhook"), headers=k.headers).json()["data"]
        assert hook["url"] == "https://hooks.example.com/x"
        # The queue: the held lease is still valid and completes; the queued
        # documents come next, high priority first.
        assert host.heartbeat(held["leaseId"]).status_code == 200
        assert host.complete(held["leaseId"], processing_result(pages=2)).status_code == 200
        nxt = host.lease(wait_seconds=2)
        assert nxt["docId"] == queued["id"]
        host.complete(nxt["leaseId"], processing_result())
        last = host.lease(wait_seconds=2)
        assert last is not None and last["docId"] != queued["id"]
        host.complete(last["leaseId"], processing_result())
        assert host.lease(wait_seconds=0) is None
        acct = admin.get_org(org)
        assert acct["reserved"] == 0 and acct["credits"] == 50 - 1 - 2 - 1 - 1
