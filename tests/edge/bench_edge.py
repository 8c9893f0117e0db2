"""Submission benchmark for BENCHMARKS.md ("Edge API").

    python3 tests/edge/bench_edge.py [--requests 800] [--concurrency 16] [--rounds 2]

Starts one `wrangler dev` (tests/harness) with the bare baseline route
enabled, then, in the same run and alternating, posts a 200 KB PNG:
- `full`: `POST /v1/documents/process/async` (auth, rate limit, validation,
  page estimate, credit reservation, R2, Document DO, queue DO, KV snapshot);
- `bare`: `POST /bench/bare-upload` (multipart parse + R2 put, nothing else).
Reports submissions/s and p50/p99 latency for each, and full/bare.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from harness.edge import EdgeServer  # noqa: E402
from harness.files import png_bytes  # noqa: E402


def png_200kb() -> bytes:
    rnd = random.Random(7)
    w = h = 452  # 452*452 random greyscale bytes, stored uncompressed: ~205 KB
    return png_bytes(w, h, noise=bytes(rnd.getrandbits(8) for _ in range(w * h)))


def multipart(file: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + file + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"documentType\"\r\n\r\ninvoice"
        f"\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def run(url: str, headers: dict, body: bytes, n: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        s = requests.Session()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            t0 = time.perf_counter()
            r = s.post(url, data=body, headers=headers, timeout=60)
            dt = time.perf_counter() - t0
            with lock:
                if r.status_code in (201, 202):
                    latencies.append(dt)
                else:
                    errors.append(f"{r.status_code} {r.text[:120]}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "ok": len(lat),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "rps": len(lat) / wall,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=800)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    body, ctype = multipart(png_200kb())
    with EdgeServer(vars={"BENCH_BARE_UPLOAD": "true"}, name="bench") as edge:
        admin = edge.admin()
        _, key = admin.new_tenant(credits=10_000_000, rate_limit=(10_000_000, 60))
        targets = {
            "bare": (edge.url("/bench/bare-upload"), {"Content-Type": ctype}),
            "full": (edge.url("/v1/documents/process/async"), {"Content-Type": ctype, **key.headers}),
        }
        for name, (url, headers) in targets.items():  # warm-up
            run(url, headers, body, 50, args.concurrency)
        results: dict[str, list[dict]] = {"bare": [], "full": []}
        for _ in range(args.rounds):
            for name, (url, headers) in targets.items():
                results[name].append(run(url, headers, body, args.requests, args.concurrency))
                print(name, json.dumps(results[name][-1]), flush=True)
        summary = {}
        for name, rs in results.items():
            summary[name] = {
                "rps": statistics.mean(r["rps"] for r in rs),
                "p50_ms": statistics.mean(r["p50_ms"] for r in rs),
                "p99_ms": statistics.mean(r["p99_ms"] for r in rs),
                "errors": sum(r["errors"] for r in rs),
            }
        summary["ratio_full_to_bare"] = summary["full"]["rps"] / summary["bare"]["rps"]
        summary["file_bytes"] = len(body)
        summary["cpus"] = os.cpu_count()
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
