"""Benchmarks of the whole stack (issue #7), for BENCHMARKS.md:

- submit-to-webhook latency for a one-page invoice PNG (target <= 3 s), and
- pages per minute with one host and with two.

Run: scripts/bench-stack  (builds first; prints a Markdown table).
Uses the same harness as the tests: real wrangler dev, real hosts, real receiver.
"""

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "e2e"))

import requests  # noqa: E402

from fixtures import receipt_png  # noqa: E402
from harness.edge import EdgeServer  # noqa: E402
from harness.host import HostProcess  # noqa: E402
from harness.receiver import WebhookReceiver  # noqa: E402

INVOICE = HERE.parents[2] / "shared/prototypes/tesseract-wasm-shim/testdata/invoice-300.png"


def submit(edge, key, content, name, **data):
    r = requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                      files={"file": (name, content)}, data=data, timeout=60)
    r.raise_for_status()
    return r.json()["data"]["id"]


def wait_completed(edge, key, ids, timeout=600):
    pending, deadline = set(ids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for doc_id in list(pending):
            d = requests.get(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=10).json()["data"]
            if d["status"] in ("completed", "failed"):
                pending.discard(doc_id)
        time.sleep(0.2)
    assert not pending, f"{len(pending)} documents not done"


def latency(edge, key, runs=10):
    invoice = INVOICE.read_bytes()
    out = []
    with WebhookReceiver() as rx:
        submit(edge, key, invoice, "warmup.png", documentType="invoice", webhookUrl=rx.url)
        rx.wait_for(lambda d: True, timeout=120)
        for i in range(runs):
            t0 = time.monotonic()
            doc_id = submit(edge, key, invoice, f"inv{i}.png", documentType="invoice", webhookUrl=rx.url)
            d = rx.wait_for(lambda d: d.json["data"]["id"] == doc_id, timeout=120)
            out.append(d.received_at - t0)
    return out


def throughput(edge, key, docs=30):
    ids = []
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: submit(edge, key, receipt_png(i), f"r{i}.png", documentType="receipt"), range(docs)))
    wait_completed(edge, key, ids)
    return docs / (time.monotonic() - t0) * 60  # one page each


def main():
    with EdgeServer(name="bench") as edge:
        _, key = edge.admin().new_tenant(plan="paid", credits=1_000_000, rate_limit=(100_000, 60))
        with HostProcess(edge.base_url, edge.host_token, name="bench-a") as a:
            lat = latency(edge, key)
            one = throughput(edge, key)
            with HostProcess(edge.base_url, edge.host_token, name="bench-b"):
                two = throughput(edge, key)
    lat.sort()
    print("| measure | value |\n|---|---|")
    print(f"| submit → webhook, one-page invoice PNG, p50 (n={len(lat)}) | {statistics.median(lat):.2f} s |")
    print(f"| submit → webhook, max | {lat[-1]:.2f} s |")
    print(f"| pages/min, 1 host (30 one-page receipts) | {one:.0f} |")
    print(f"| pages/min, 2 hosts on the same 2 cores | {two:.0f} |")


if __name__ == "__main__":
    main()
