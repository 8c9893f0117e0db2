"""The DocuRift retry policy, with the schedule scaled by WEBHOOK_TIME_SCALE
= 0.001 (1 min -> 60 ms, 5 min -> 300 ms, 30 min -> 1.8 s): "first attempt at
once; after a non-2xx, a timeout (30 s) or a connection error, retry after 1
min, 5 min, 30 min, 2 h, 24 h. 410 Gone stops retrying; 429 with Retry-After is
honoured; redirects are not followed."
"""

import os
import tempfile
import time

import pytest

from flow import complete, deliveries, edge_server, finished, submit, wait_deliveries, whsec
from harness.edge import free_port
from receivers import Answer, NodeReceiver, Receiver

SCALE = 0.001
WAITS_S = [60 * SCALE, 300 * SCALE, 1800 * SCALE, 7200 * SCALE, 86400 * SCALE]
# How late an attempt may be on a loaded 2-core machine.
SLACK_S = 1.0


@pytest.fixture(scope="module")
def edge():
    with edge_server({"WEBHOOK_TIME_SCALE": str(SCALE)}, name="wh-retries") as e:
        yield e


@pytest.fixture(scope="module")
def tenant(edge):
    return edge.admin().new_tenant()


def check_spacing(times: list[float], waits: list[float]) -> None:
    gaps = [b - a for a, b in zip(times, times[1:])]
    for gap, wait in zip(gaps, waits):
        assert wait <= gap + 0.005 and gap < wait + SLACK_S, f"gaps {gaps} vs scheduled waits {waits}"


@pytest.mark.parametrize("n", [1, 3])
def test_failing_n_times_gets_n_plus_1_attempts(edge, tenant, n):
    """receiver.mjs with FAIL_FIRST=n: 503 n times, then the spec's Node verifier."""
    _, key = tenant
    secret = whsec()
    results = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
    node = NodeReceiver(docurift_secret=secret, fail_first=n, results_file=results)
    try:
        doc = submit(edge, key, node.url("/webhooks/docurift"), secret)
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished, timeout=30)
        time.sleep(sum(WAITS_S[: n + 1]) + 0.5)  # room for a wrong extra attempt
        seen = node.results()
        [d] = deliveries(edge, key, doc)
    finally:
        node.close()
        os.unlink(results)
    assert len(seen) == n + 1, seen
    assert [r["status"] for r in seen] == [503] * n + [200]
    assert [r["headers"]["x-docurift-retry-count"] for r in seen] == [str(i) for i in range(n + 1)]
    assert {r["headers"]["x-docurift-delivery-id"] for r in seen} == {d["deliveryId"]}
    assert {r["headers"]["webhook-id"] for r in seen} == {d["deliveryId"]}
    check_spacing([r["receivedAt"] / 1000 for r in seen], WAITS_S)
    # The delivery log tells the same story.
    assert d["state"] == "delivered" and d["attemptCount"] == n + 1
    log = d["attempts"]
    assert [a["attempt"] for a in log] == list(range(1, n + 2))
    assert [a["retryCount"] for a in log] == list(range(n + 1))
    assert [a["status"] for a in log] == [503] * n + [200]
    assert [a["result"] for a in log] == ["retryScheduled"] * n + ["delivered"]
    assert all(a["error"] == "HTTP 503" and a["responseBody"] == '{"error":"failing on purpose"}' for a in log[:n])
    assert all("nextAttemptAt" in a for a in log[:n]) and "error" not in log[-1]
    assert all(isinstance(a["latencyMs"], int) and a["startedAt"].endswith("Z") for a in log)


def test_gone_stops_retrying(edge, tenant):
    _, key = tenant
    rcv = Receiver(lambda i, r: Answer(status=503) if i == 0 else Answer(status=410, body=b"gone"))
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished)
        time.sleep(WAITS_S[1] + 0.5)
    finally:
        rcv.close()
    assert len(rcv.received) == 2
    assert d["state"] == "stopped" and d["stopReason"] == "gone"
    assert [a["status"] for a in d["attempts"]] == [503, 410]
    assert d["attempts"][1]["result"] == "stopped" and d["attempts"][1]["responseBody"] == "gone"


def test_429_retry_after_is_honoured(edge, tenant):
    _, key = tenant
    # Retry-After: 600 s, scaled to 0.6 s: longer than the scheduled 1 min (60 ms).
    rcv = Receiver(lambda i, r: Answer(status=429, headers={"Retry-After": "600"}) if i == 0 else Answer())
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished)
    finally:
        rcv.close()
    first, second = rcv.received
    assert 0.6 <= second.at - first.at + 0.005 < 0.6 + SLACK_S
    assert [a["status"] for a in d["attempts"]] == [429, 200]


def test_redirects_are_not_followed(edge, tenant):
    _, key = tenant
    target = Receiver()
    rcv = Receiver(lambda i, r: Answer(status=302, headers={"Location": target.url()}) if i == 0 else Answer())
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished)
    finally:
        rcv.close()
        target.close()
    assert target.received == []
    assert len(rcv.received) == 2
    first = d["attempts"][0]
    assert first["status"] == 302 and first["error"] == "HTTP 302: redirects are not followed"
    assert d["state"] == "delivered"


def test_connection_errors_are_retried(edge, tenant):
    _, key = tenant
    port = free_port()  # nothing listens here at first
    doc = submit(edge, key, f"http://127.0.0.1:{port}/webhooks/docurift", "s")
    complete(edge.host(), doc)
    wait_deliveries(edge, key, doc, lambda ds: ds and ds[0]["attemptCount"] >= 1)
    rcv = Receiver(port=port)
    try:
        [d] = wait_deliveries(edge, key, doc, finished)
    finally:
        rcv.close()
    first = d["attempts"][0]
    assert first["error"].startswith("connection error"), first
    assert "status" not in first and first["result"] == "retryScheduled"
    assert d["state"] == "delivered" and d["attempts"][-1]["status"] == 200
    assert len(rcv.received) == 1


@pytest.mark.slow
def test_timeout_after_30_seconds(edge, tenant):
    """The DocuRift spec: "Webhook endpoints must respond within 30 seconds"."""
    _, key = tenant
    rcv = Receiver(lambda i, r: Answer(delay=33) if i == 0 else Answer())
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished, timeout=60)
    finally:
        rcv.close()
    first = d["attempts"][0]
    assert first["error"] == "timed out after 30000 ms" and "status" not in first
    assert 29_000 <= first["latencyMs"] < 32_000
    assert d["state"] == "delivered" and d["attemptCount"] == 2
