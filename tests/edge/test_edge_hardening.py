"""Issue #11: nothing lost, nothing free, no tenant starves another.

Each test reproduces one defect against the real worker under `wrangler
dev`, with storage faults injected where the defect needs one (the
`FAULT_INJECTION` mode and `PUT /admin/v1/faults`, for tests only)."""

from __future__ import annotations

import threading
import time

import pytest

from edge_helpers import error_of, get_doc, submit, submit_ok
from harness.edge import EdgeServer, processing_result
from harness.files import PNG, pdf_bytes

VARS = {
    # Fault injection on, no fault until a test asks for one.
    "FAULT_INJECTION": "off",
    # One attempt: a retryable failure is the final one.
    "MAX_ATTEMPTS": "1",
    "LEASE_SECONDS": "30",
    "MAX_PROCESSING_PER_ORG": "2",
    "MAX_PAGES_FREE": "40",
    "MAX_PROCESSING_SECONDS_FREE": "3",
}


@pytest.fixture(scope="module")
def edge():
    server = EdgeServer(vars=VARS, name="edge-hardening")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def host(edge):
    h = edge.host("hardening-host")
    h.drain()
    return h


def set_faults(edge, *rules: dict) -> dict:
    r = edge.session.put(edge.url("/admin/v1/faults"), json={"rules": list(rules)},
                         headers={"Authorization": f"Bearer {edge.admin_token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def faults(edge) -> dict:
    r = edge.session.get(edge.url("/admin/v1/faults"), headers={"Authorization": f"Bearer {edge.admin_token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_status(edge, key, doc_id: str, want: str, seconds: float = 20.0) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        r = get_doc(edge, key, doc_id)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        if data["status"] == want or time.monotonic() > deadline:
            assert data["status"] == want, data
            return data
        time.sleep(0.3)


def account(edge, org) -> tuple[int, int]:
    o = edge.admin().get_org(org)
    return o["credits"], o["reserved"]


def wait_account(edge, org, want: tuple[int, int], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while account(edge, org) != want and time.monotonic() < deadline:
        time.sleep(0.3)
    assert account(edge, org) == want


# -- 1. credits: the host's true page count re-admits the document ------------


def test_more_pages_than_estimated_and_no_credits_fails_with_a_full_refund(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=5)
    doc = submit_ok(edge, key)  # a PNG: estimated 1 page
    assert account(edge, org) == (4, 1)
    lease = host.lease_doc(doc["id"])
    # The host opened the file and found 30 pages (a PDF whose page objects
    # sit in compressed object streams, say): 25 more than the credits left.
    r = host.call("POST", f"/internal/v1/leases/{lease['leaseId']}/pages", json={"pages": 30})
    assert r.status_code == 402 and error_of(r) == "INSUFFICIENT_CREDITS", r.text
    data = wait_status(edge, key, doc["id"], "failed")
    assert data["error"]["code"] == "INSUFFICIENT_CREDITS"
    assert account(edge, org) == (5, 0), "full refund, never below zero"
    # The job is over: the lease cannot complete it.
    r = host.complete(lease["leaseId"], processing_result(pages=30))
    assert r.status_code == 409 and error_of(r) == "LEASE_LOST"
    assert account(edge, org) == (5, 0)


def test_more_pages_than_estimated_with_credits_reserves_them(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=40)
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    r = host.call("POST", f"/internal/v1/leases/{lease['leaseId']}/pages", json={"pages": 30})
    assert r.status_code == 200, r.text
    assert account(edge, org) == (10, 30)
    assert host.complete(lease["leaseId"], processing_result(pages=30)).status_code == 200
    wait_account(edge, org, (10, 0))


def test_completion_beyond_the_admitted_pages_is_never_free(edge, host):
    # A host that did not report its count first: the pages beyond the
    # reservation are admitted at completion, or the document fails.
    org, key = edge.admin().new_tenant(plan="free", credits=5)
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    r = host.complete(lease["leaseId"], processing_result(pages=30))
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    data = wait_status(edge, key, doc["id"], "failed")
    assert data["error"]["code"] == "INSUFFICIENT_CREDITS"
    wait_account(edge, org, (5, 0))


def test_page_cap_per_plan_at_upload_and_at_readmission(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=1000)
    r = submit(edge, key, file=pdf_bytes(41), name="big.pdf")
    assert r.status_code == 400 and error_of(r) == "TOO_MANY_PAGES", r.text
    assert "at most 40" in r.json()["error"]["message"]
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    r = host.call("POST", f"/internal/v1/leases/{lease['leaseId']}/pages", json={"pages": 2000})
    assert r.status_code == 400 and error_of(r) == "TOO_MANY_PAGES", r.text
    assert wait_status(edge, key, doc["id"], "failed")["error"]["code"] == "TOO_MANY_PAGES"
    wait_account(edge, org, (1000, 0))


# -- 2. a final state's effects run even when the snapshot write fails ---------


def test_completion_survives_a_failed_snapshot_write(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=10)
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    set_faults(edge, {"point": "kv.put", "probability": 1.0, "times": 1})
    r = host.complete(lease["leaseId"], processing_result(pages=1))
    if r.status_code != 200:  # a host retries what did not answer 200
        r = host.complete(lease["leaseId"], processing_result(pages=1))
    assert r.status_code == 200, r.text
    assert faults(edge)["injected"] >= 1, "the fault was injected"
    data = wait_status(edge, key, doc["id"], "completed")
    assert data["pagesProcessed"] == 1
    wait_account(edge, org, (9, 0))


# -- 3. a host's final failure is recorded before its job leaves the queue -----


def test_final_failure_survives_a_failed_document_call(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=10)
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    set_faults(edge, {"point": "do.fail", "probability": 1.0, "times": 1})
    r = host.fail(lease["leaseId"], "INTERNAL_ERROR", "OCR crashed", retryable=True)
    assert r.status_code == 500, r.text  # the Document DO call failed
    r = host.fail(lease["leaseId"], "INTERNAL_ERROR", "OCR crashed", retryable=True)
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    data = wait_status(edge, key, doc["id"], "failed")
    assert "OCR crashed" in data["error"]["message"]
    wait_account(edge, org, (10, 0))


# -- 4. no tenant holds every host -----------------------------------------------


def test_leases_rotate_across_organisations(edge, host):
    _, big = edge.admin().new_tenant(plan="free")
    _, small = edge.admin().new_tenant(plan="free")
    big_docs = [submit_ok(edge, big)["id"] for _ in range(4)]
    small_docs = [submit_ok(edge, small)["id"] for _ in range(2)]
    order = []
    while (lease := host.lease(wait_seconds=0)) is not None:
        order.append(lease["docId"])
        host.complete(lease["leaseId"], processing_result())
    assert order == [big_docs[0], small_docs[0], big_docs[1], small_docs[1], big_docs[2], big_docs[3]]


def test_an_organisation_has_at_most_its_cap_in_processing(edge, host):
    _, busy = edge.admin().new_tenant(plan="free")
    _, other = edge.admin().new_tenant(plan="free")
    for _ in range(3):
        submit_ok(edge, busy)
    first, second = host.lease(wait_seconds=0), host.lease(wait_seconds=0)
    assert first and second
    assert host.lease(wait_seconds=0) is None, "the third waits while two are processed"
    waiting = submit_ok(edge, other)["id"]
    assert host.lease(wait_seconds=0)["docId"] == waiting, "another organisation is not held up"
    host.complete(first["leaseId"], processing_result())
    third = host.lease(wait_seconds=0)
    assert third is not None, "capacity freed by a completion goes to the waiting document"
    for lease in (second, third):
        host.complete(lease["leaseId"], processing_result())


def test_heartbeats_cannot_extend_past_the_processing_deadline(edge, host):
    org, key = edge.admin().new_tenant(plan="free", credits=10)
    doc = submit_ok(edge, key)
    lease = host.lease_doc(doc["id"])
    started = time.monotonic()
    while time.monotonic() - started < 8:
        r = host.heartbeat(lease["leaseId"])
        if r.status_code != 200:
            assert error_of(r) == "LEASE_LOST"
            break
        time.sleep(0.5)
    else:
        pytest.fail("heartbeats kept the lease past the plan's 3 s")
    data = wait_status(edge, key, doc["id"], "failed", seconds=15)
    assert "limit of 3 s" in data["error"]["message"], data["error"]
    assert host.lease(wait_seconds=0) is None, "not retried: another attempt would take as long"
    wait_account(edge, org, (10, 0))


# -- 11. a delete racing the first lease leaves no ghost -------------------------


def test_delete_racing_a_first_lease_leaves_no_processing_ghost(edge, host):
    org, key = edge.admin().new_tenant(plan="paid", credits=1000)
    # The first lease stores the record, then writes the "processing"
    # snapshot to KV: slow that write down so a delete lands between the two.
    set_faults(edge, {"point": "kv.put", "probability": 1.0, "timing": "delay", "delayMs": 1000})
    ghosts, leases = [], []
    try:
        for _ in range(3):
            doc_id = submit_ok(edge, key)["id"]
            leasing = threading.Thread(target=lambda: leases.append(host.lease(wait_seconds=0)))
            leasing.start()
            time.sleep(0.4)
            r = edge.session.delete(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=30)
            assert r.status_code == 200, r.text
            leasing.join()
            if (r := get_doc(edge, key, doc_id)).status_code != 404:
                ghosts.append((doc_id, r.status_code, r.json().get("data", {}).get("status")))
    finally:
        set_faults(edge)
    assert ghosts == [], "deleted documents still visible"
    for lease in filter(None, leases):
        r = host.complete(lease["leaseId"], processing_result())
        assert r.status_code == 409, r.text
    wait_account(edge, org, (1000, 0))


# -- fault injection is for tests only -----------------------------------------


def test_fault_injection_refuses_to_serve_outside_loopback_tests():
    server = EdgeServer(vars={"FAULT_INJECTION": "kv.*=0.5", "ALLOW_LOOPBACK_WEBHOOKS": "false"},
                        name="edge-fault-refusal", ready_status=500)
    with server:
        r = server.session.get(server.url("/v1/openapi.json"), timeout=10)
        assert r.status_code == 500
        assert "FAULT_INJECTION" in r.json()["error"]["message"]


def test_fault_rules_are_validated(edge):
    r = edge.session.put(edge.url("/admin/v1/faults"), json={"rules": [{"point": "kv.put", "probability": 2}]},
                         headers={"Authorization": f"Bearer {edge.admin_token}"}, timeout=30)
    assert r.status_code == 400 and error_of(r) == "INVALID_REQUEST"
    assert set_faults(edge)["rules"] == []
