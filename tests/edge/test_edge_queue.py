"""The job queue and the internal host API: priority FIFO, real queue
positions and estimates, long-poll leases, heartbeats, completion, failures
and retries, releases, expired leases, host-token auth."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from edge_helpers import error_of, get_doc, submit_ok
from harness.edge import EdgeServer, processing_result
from harness.files import PNG

ISO = "%Y-%m-%dT%H:%M:%SZ"


def test_high_before_normal_fifo_within(edge, clean_queue):
    _, k = edge.admin().new_tenant(plan="paid")
    n1 = submit_ok(edge, k, priority="normal")
    n2 = submit_ok(edge, k, priority="normal")
    h1 = submit_ok(edge, k, priority="high")
    n3 = submit_ok(edge, k, priority="normal")
    h2 = submit_ok(edge, k, priority="high")
    # Positions at submission: each new normal job goes last, a high job
    # goes after the high jobs already waiting.
    assert [n1["queuePosition"], n2["queuePosition"], h1["queuePosition"], n3["queuePosition"], h2["queuePosition"]] == [1, 2, 1, 4, 2]
    order = []
    while (lease := clean_queue.lease(wait_seconds=0)) is not None:
        order.append(lease["docId"])
        clean_queue.complete(lease["leaseId"], processing_result())
    assert order == [h1["id"], h2["id"], n1["id"], n2["id"], n3["id"]]


def test_estimated_completion_grows_with_queue_depth(edge, clean_queue):
    _, k = edge.admin().new_tenant()
    first = submit_ok(edge, k)
    for _ in range(5):
        submit_ok(edge, k)
    last = submit_ok(edge, k)
    eta = lambda d: datetime.strptime(d["estimatedCompletionTime"], ISO)
    assert last["queuePosition"] == first["queuePosition"] + 6
    assert eta(last) > eta(first)
    # A replayed lookup (Idempotency-Key) reports the live position: after
    # the front jobs are done the position shrinks.
    h = {"Idempotency-Key": "pos-check"}
    probe = submit_ok(edge, k, headers=h)
    before = probe["queuePosition"]
    for _ in range(3):
        lease = clean_queue.lease(wait_seconds=0)
        clean_queue.complete(lease["leaseId"], processing_result())
    assert submit_ok(edge, k, headers=h)["queuePosition"] == before - 3


def test_long_poll_lease_gets_a_job_submitted_while_waiting(edge, key, clean_queue):
    got = {}

    def poll():
        t0 = time.monotonic()
        got["lease"] = clean_queue.lease(wait_seconds=10)
        got["waited"] = time.monotonic() - t0

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(1.0)
    d = submit_ok(edge, key)
    t.join()
    assert got["lease"] is not None and got["lease"]["docId"] == d["id"]
    assert 0.8 < got["waited"] < 5
    clean_queue.complete(got["lease"]["leaseId"], processing_result())
    # Nothing queued: a short poll answers 204 after its wait.
    t0 = time.monotonic()
    assert clean_queue.lease(wait_seconds=1) is None
    assert 0.8 < time.monotonic() - t0 < 5


def test_lease_message_and_document_type_filter(edge, key, clean_queue):
    d = submit_ok(edge, key, documentType="receipt", extractTables="false")
    assert clean_queue.lease(wait_seconds=0, document_types=["invoice"]) is None
    lease = clean_queue.lease(wait_seconds=0, document_types=["receipt", "generic"])
    assert lease["docId"] == d["id"] and lease["attempt"] == 1 and lease["maxAttempts"] == 2
    assert lease["leaseId"].startswith(d["id"] + ".1.")
    assert lease["leaseSeconds"] == 30
    assert lease["options"] == {"documentType": "receipt", "language": "en", "extractTables": False, "ocrEngine": "auto"}
    assert lease["file"]["url"].endswith(f"/internal/v1/leases/{lease['leaseId']}/file")
    assert clean_queue.fetch_file(lease) == PNG
    deadline = datetime.strptime(lease["deadline"], ISO)
    time.sleep(1.2)
    hb = clean_queue.heartbeat(lease["leaseId"])
    assert hb.status_code == 200
    assert datetime.strptime(hb.json()["deadline"], ISO) > deadline
    clean_queue.release(lease["leaseId"])


def test_retryable_failure_requeues_then_exhausts(edge, key, clean_queue):
    d = submit_ok(edge, key)
    lease = clean_queue.lease_doc(d["id"])
    r = clean_queue.fail(lease["leaseId"], "INTERNAL_ERROR", "host crashed", retryable=True)
    assert r.json() == {"docId": d["id"], "status": "queued"}
    assert get_doc(edge, key, d["id"]).json()["data"]["status"] == "queued"
    lease2 = clean_queue.lease_doc(d["id"])
    assert lease2["attempt"] == 2
    # The old lease is dead.
    r = clean_queue.complete(lease["leaseId"], processing_result())
    assert r.status_code == 409 and error_of(r) == "LEASE_LOST"
    # MAX_ATTEMPTS=2: the second retryable failure fails the document.
    r = clean_queue.fail(lease2["leaseId"], "INTERNAL_ERROR", "host crashed again", retryable=True)
    assert r.json()["status"] == "failed"
    err = get_doc(edge, key, d["id"]).json()["data"]["error"]
    assert err["code"] == "PROCESSING_FAILED" and "2 attempts" in err["message"]


def test_a_result_too_large_to_keep_fails_the_document_at_once(edge, admin, clean_queue):
    # A document's record is one Durable Object storage value (2 MB at most):
    # a bigger result would fail to store and the job be redone for nothing.
    org, k = admin.new_tenant(credits=10)
    d = submit_ok(edge, k)
    lease = clean_queue.lease_doc(d["id"])
    huge = processing_result(notes="x" * 1_600_000)
    r = clean_queue.complete(lease["leaseId"], huge)
    assert r.status_code == 200 and r.json() == {"docId": d["id"], "status": "failed"}
    data = get_doc(edge, k, d["id"]).json()["data"]
    assert data["status"] == "failed"
    assert data["error"]["code"] == "PROCESSING_FAILED" and "at most 1500000" in data["error"]["message"]
    assert admin.get_org(org)["reserved"] == 0  # the reservation is refunded
    assert clean_queue.lease(wait_seconds=0) is None  # and the job is not redone
    assert clean_queue.complete(lease["leaseId"], huge).status_code in (200, 409)  # a retried call is harmless


def test_release_gives_the_job_back_without_spending_an_attempt(edge, key, clean_queue):
    d = submit_ok(edge, key)
    lease = clean_queue.lease_doc(d["id"])
    r = clean_queue.release(lease["leaseId"])
    assert r.status_code == 200 and r.json()["status"] == "queued"
    again = clean_queue.lease_doc(d["id"])
    assert again["attempt"] == 1 and again["leaseId"] != lease["leaseId"]
    clean_queue.complete(again["leaseId"], processing_result())
    r = clean_queue.complete(again["leaseId"], processing_result())  # a retried call is harmless
    assert r.status_code in (200, 409)
    assert get_doc(edge, key, d["id"]).json()["data"]["status"] == "completed"


def test_host_api_needs_the_host_token(edge, key):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {edge.host_token}"}):
        r = edge.session.post(edge.url("/internal/v1/leases"), json={"hostId": "x"}, headers=headers)
        assert r.status_code == 401 and error_of(r) == "INVALID_HOST_TOKEN"
    # An API key is not a host token.
    r = edge.session.post(edge.url("/internal/v1/leases"), json={"hostId": "x"}, headers=key.headers)
    assert r.status_code == 401
    r = edge.session.post(edge.url("/internal/v1/leases/doc_abc123xyz456.1.zz/complete"), json={},
                          headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and error_of(r) == "INVALID_HOST_TOKEN"


def test_unknown_or_malformed_leases_are_lost(edge, host):
    for lease_id in ("doc_abc123xyz456.1.zzzz", "garbage"):
        for action in ("heartbeat", "complete", "fail"):
            body = {"result": processing_result()} if action == "complete" else {"error": {"code": "OCR_FAILED", "message": "x"}}
            r = host.call("POST", f"/internal/v1/leases/{lease_id}/{action}", json=body)
            assert r.status_code == 409 and error_of(r) == "LEASE_LOST", (lease_id, action, r.text)
    r = host.call("POST", "/internal/v1/leases", json={"hostId": ""})
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"


@pytest.fixture(scope="module")
def short_leases():
    """A server whose leases last 2 s, with 2 attempts per document."""
    with EdgeServer(vars={"LEASE_SECONDS": "2", "MAX_ATTEMPTS": "2"}, name="short-leases") as server:
        yield server


def test_expired_lease_goes_back_then_fails_after_max_attempts(short_leases):
    edge = short_leases
    _, k = edge.admin().new_tenant()
    host = edge.host("sleepy-host")
    d = submit_ok(edge, k)
    lease = host.lease(wait_seconds=2)
    assert lease["docId"] == d["id"] and lease["attempt"] == 1
    # Heartbeats keep it alive past the first deadline.
    for _ in range(3):
        time.sleep(1)
        assert host.heartbeat(lease["leaseId"]).status_code == 200
    assert get_doc(edge, k, d["id"]).json()["data"]["status"] == "processing"
    # No heartbeat: the alarm puts it back in the queue.
    time.sleep(3.5)
    assert host.heartbeat(lease["leaseId"]).status_code == 409
    assert get_doc(edge, k, d["id"]).json()["data"]["status"] == "queued"
    r = host.complete(lease["leaseId"], processing_result())
    assert r.status_code == 409 and error_of(r) == "LEASE_LOST"
    second = host.lease(wait_seconds=2)
    assert second["docId"] == d["id"] and second["attempt"] == 2
    # The last attempt expires too: the document fails with a clear code.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        data = get_doc(edge, k, d["id"]).json()["data"]
        if data["status"] == "failed":
            break
        time.sleep(0.5)
    assert data["status"] == "failed", data
    assert data["error"]["code"] == "PROCESSING_FAILED"
    assert host.lease(wait_seconds=0) is None
