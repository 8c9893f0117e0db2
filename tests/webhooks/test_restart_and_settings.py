"""Deliveries survive `wrangler dev` restarts (the schedule lives in Durable
Object storage and alarms), the URL guard runs on every attempt, and the
time scale is off unless set."""

import os
import tempfile
import time
from datetime import datetime

import pytest

from flow import complete, deliveries, edge_server, finished, submit, wait_deliveries, whsec
from receivers import Answer, NodeReceiver, Receiver

SCALE = 0.001
WAITS_S = [0.06, 0.3, 1.8, 7.2]


@pytest.fixture(scope="module")
def edge():
    with edge_server({"WEBHOOK_TIME_SCALE": str(SCALE)}, name="wh-restart") as e:
        yield e


def restart_with(edge, **vars):
    for k, v in vars.items():
        if v is None:
            edge.vars.pop(k, None)
        else:
            edge.vars[k] = v
    edge.restart()


def ms(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000


def test_restart_mid_schedule_resumes_with_nothing_lost_or_doubled(edge):
    restart_with(edge, WEBHOOK_TIME_SCALE=str(SCALE), ALLOW_LOOPBACK_WEBHOOKS="true")
    _, key = edge.admin().new_tenant()
    secret = whsec()
    results = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False).name
    node = NodeReceiver(docurift_secret=secret, fail_first=4, results_file=results)
    try:
        doc = submit(edge, key, node.url(), secret)
        complete(edge.host(), doc)
        deadline = time.monotonic() + 20
        while len(node.results()) < 4:
            assert time.monotonic() < deadline, node.results()
            time.sleep(0.02)
        # Attempt 5 is due 7.2 s after attempt 4: stop once the worker has
        # logged attempt 4's answer (stopping while it is still being
        # recorded is the other test's case: an interrupted attempt), and
        # stay down past that.
        fourth_at = node.results()[3]["receivedAt"] / 1000
        wait_deliveries(edge, key, doc, lambda ds: len(ds) == 1 and len(ds[0]["attempts"]) == 4
                        and ds[0]["attempts"][3].get("status") == 503, timeout=10)
        edge.stop()
        down_until = fourth_at + WAITS_S[3] + 1.5
        time.sleep(max(0.0, down_until - time.time()))
        assert len(node.results()) == 4, "nothing is sent while the worker is down"
        edge.start()
        [d] = wait_deliveries(edge, key, doc, finished, timeout=30)
        time.sleep(1.0)
        seen = node.results()
    finally:
        node.close()
        os.unlink(results)
    assert [r["status"] for r in seen] == [503, 503, 503, 503, 200], seen
    assert [r["headers"]["x-docurift-retry-count"] for r in seen] == ["0", "1", "2", "3", "4"]
    assert {r["headers"]["x-docurift-delivery-id"] for r in seen} == {d["deliveryId"]}
    times = [r["receivedAt"] / 1000 for r in seen]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(w <= g + 0.005 for g, w in zip(gaps, WAITS_S)), gaps
    assert times[4] >= down_until - 0.01  # the overdue attempt went out after the restart
    assert d["state"] == "delivered"
    assert [a["attempt"] for a in d["attempts"]] == [1, 2, 3, 4, 5]
    assert [a["status"] for a in d["attempts"]] == [503, 503, 503, 503, 200]


@pytest.mark.slow
def test_restart_during_an_attempt_logs_it_as_interrupted_and_never_resends_it(edge):
    """The worker dies while the receiver holds attempt 1 open. After the
    restart the attempt is found in flight; once its deadline (30 s + 5 s
    grace) has passed it is logged as interrupted and counts as a failed
    attempt, and attempt 2 follows on schedule: the receiver never sees the
    same attempt twice."""
    restart_with(edge, WEBHOOK_TIME_SCALE=str(SCALE), ALLOW_LOOPBACK_WEBHOOKS="true")
    _, key = edge.admin().new_tenant()
    rcv = Receiver(lambda i, r: Answer(delay=8) if i == 0 else Answer())
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        deadline = time.monotonic() + 20
        while not rcv.received:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        edge.restart()
        [d] = wait_deliveries(edge, key, doc, finished, timeout=60)
        time.sleep(0.5)
    finally:
        rcv.close()
    assert [r.headers["x-docurift-retry-count"] for r in rcv.received] == ["0", "1"]
    assert len({r.headers["x-docurift-delivery-id"] for r in rcv.received}) == 1
    first, second = d["attempts"]
    assert first["error"].startswith("interrupted") and "status" not in first
    assert first["result"] == "retryScheduled"
    assert second["status"] == 200 and d["state"] == "delivered"
    assert ms(second["startedAt"]) - ms(first["startedAt"]) >= 35_000


def test_url_guard_runs_on_every_attempt(edge):
    """A loopback URL accepted while ALLOW_LOOPBACK_WEBHOOKS was on is refused
    at delivery once it is off: the delivery stops, nothing is sent."""
    restart_with(edge, WEBHOOK_TIME_SCALE=str(SCALE), ALLOW_LOOPBACK_WEBHOOKS="true")
    _, key = edge.admin().new_tenant()
    rcv = Receiver()
    try:
        doc = submit(edge, key, rcv.url(), "s")
        restart_with(edge, ALLOW_LOOPBACK_WEBHOOKS="false")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, finished)
        time.sleep(0.5)
    finally:
        rcv.close()
        restart_with(edge, ALLOW_LOOPBACK_WEBHOOKS="true")
    assert rcv.received == []
    assert d["state"] == "stopped" and d["stopReason"] == "blocked"
    [a] = d["attempts"]
    assert a["error"] == "destination refused: URL must use HTTPS" and "status" not in a


def test_time_scale_is_off_by_default(edge):
    """Without WEBHOOK_TIME_SCALE (wrangler.toml says "1") the first retry is a real minute away."""
    restart_with(edge, WEBHOOK_TIME_SCALE=None, ALLOW_LOOPBACK_WEBHOOKS="true")
    _, key = edge.admin().new_tenant()
    rcv = Receiver(lambda i, r: Answer(status=503))
    try:
        doc = submit(edge, key, rcv.url(), "s")
        complete(edge.host(), doc)
        [d] = wait_deliveries(edge, key, doc, lambda ds: ds and ds[0]["attemptCount"] == 1)
        time.sleep(2.0)
        [d] = deliveries(edge, key, doc)
    finally:
        rcv.close()
    assert len(rcv.received) == 1 and d["attemptCount"] == 1 and d["state"] == "scheduled"
    [a] = d["attempts"]
    wait_ms = ms(a["nextAttemptAt"]) - (ms(a["startedAt"]) + a["latencyMs"])
    assert abs(wait_ms - 60_000) <= 2, wait_ms
    assert d["nextAttemptAt"] == a["nextAttemptAt"]
