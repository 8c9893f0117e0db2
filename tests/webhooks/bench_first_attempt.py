"""Benchmark: time from a document's completion to the first webhook delivery
attempt, under `wrangler dev`, over N documents (default 200).

    python3 tests/webhooks/bench_first_attempt.py [N]

For each document (one at a time, so nothing queues): submit with a
webhookUrl, lease it and complete it through the internal host API, and time
the first request at a Python receiver on 127.0.0.1. Three clocks:

- completion -> first attempt: the document's completion time as the
  Document DO records it (`documentFinishedAt`) to the attempt's start
  (`startedAt`), both from the delivery log (ms, the worker's clock);
- hand-off -> first attempt: the delivery's creation (the webhook engine
  receiving the document) to the attempt's start;
- host call -> receiver: the host starting its `complete` call to the request
  arriving at the receiver (client clocks; includes the host API path).

Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from flow import deliveries, edge_server, finished, submit, wait_deliveries  # noqa: E402
from harness.edge import processing_result  # noqa: E402
from receivers import Receiver  # noqa: E402


def ms(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def main(n: int) -> None:
    rcv = Receiver()
    completion, handoff, client = [], [], []
    with edge_server({}, name="wh-bench") as edge:
        _, key = edge.admin().new_tenant(credits=10 * n + 100)
        host = edge.host("bench-host")
        for i in range(n + 5):  # 5 warm-up documents, not counted
            doc = submit(edge, key, rcv.url(), "bench-secret", file_name=f"bench-{i}.png")
            lease = host.lease_doc(doc)
            t = time.time()
            r = host.complete(lease["leaseId"], processing_result())
            assert r.status_code == 200, r.text
            got = rcv.wait_for(i + 1)[i]
            [d] = wait_deliveries(edge, key, doc, finished)
            assert d["state"] == "delivered" and d["attemptCount"] == 1, d
            if i < 5:
                continue
            start = ms(d["attempts"][0]["startedAt"])
            completion.append(start - ms(d["documentFinishedAt"]))
            handoff.append(start - ms(d["createdAt"]))
            client.append((got.at - t) * 1000)
    rcv.close()
    cpu = os.cpu_count()
    load = os.getloadavg()[0]
    print(f"{n} documents, {platform.machine()} x{cpu}, load average {load:.1f} at the end")
    print()
    print("| measure | p50 | p99 | max |")
    print("|---|---|---|---|")
    for name, xs in [("document completed -> first attempt starts (worker clock)", completion),
                     ("webhook hand-off -> first attempt starts (worker clock)", handoff),
                     ("host `complete` call starts -> receiver gets the request", client)]:
        print(f"| {name} | {pct(xs, 50):.0f} ms | {pct(xs, 99):.0f} ms | {max(xs):.0f} ms |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
