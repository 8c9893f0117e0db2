"""Real webhook receivers on 127.0.0.1 for the webhook tests.

- `Receiver`: a threaded Python HTTP server that records every request
  (raw body bytes, headers, arrival time) and answers as scripted: a status,
  headers, a body and an optional delay per request, or forwards the request
  unchanged to another receiver and relays its answer.
- `NodeReceiver`: `tests/webhook_verifiers/receiver.mjs`, the specs' Node
  verification code run as written (DocuRift `verifyWebhookSignature` on
  `POST /webhooks/docurift`, Veryfi `createSignature` on `POST /webhook/veryfi`),
  with its FAIL_FIRST option and its RESULTS_FILE request log.

A Python `Receiver` forwarding to a `NodeReceiver` sees the exact bytes (for
the specs' Python verifiers and the Standard Webhooks library) while the Node
verifiers decide the answer the worker gets.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
NODE_RECEIVER = ROOT / "tests" / "webhook_verifiers" / "receiver.mjs"


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.time() on arrival
    answered: int = 0

    def json(self) -> dict:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok":true}'
    delay: float = 0.0
    forward: bool = False


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the worker closing a kept-alive connection at shutdown is not news


class Receiver:
    """Records requests; `answer(n, request)` decides the answer to the n-th (0-based)."""

    def __init__(self, answer: Callable[[int, Received], Answer] | None = None, forward_to: str | None = None,
                 port: int = 0):
        self.received: list[Received] = []
        self.answer = answer or (lambda n, r: Answer(forward=self.forward_to is not None))
        self.forward_to = forward_to
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                rec = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver._cond:
                    n = len(receiver.received)
                    receiver.received.append(rec)
                    receiver._cond.notify_all()
                a = receiver.answer(n, rec)
                if a.delay:
                    time.sleep(a.delay)
                status, headers, out = a.status, dict(a.headers), a.body
                if a.forward:
                    status, headers, out = receiver._forward(rec)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                with receiver._cond:
                    rec.answered = status
                    receiver._cond.notify_all()

        self.server = _QuietServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _forward(self, rec: Received) -> tuple[int, dict[str, str], bytes]:
        host, port = self.forward_to.split("//", 1)[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {k: v for k, v in rec.headers.items() if k not in ("host", "connection", "content-length")}
        conn.request("POST", rec.path, body=rec.body, headers=headers)
        r = conn.getresponse()
        out = r.read()
        conn.close()
        return r.status, {"Content-Type": r.getheader("content-type") or "application/json"}, out

    def url(self, path: str = "/webhooks/docurift") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout: float = 30.0) -> list[Received]:
        """Waits until at least `n` requests arrived and were answered; returns all so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < n or not all(r.answered for r in self.received[:n]):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} requests arrived, expected {n} within {timeout}s")
                self._cond.wait(left)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class NodeReceiver:
    """receiver.mjs in its own process (stopped by its pid)."""

    def __init__(self, docurift_secret: str = "", veryfi_secret: str = "", fail_first: int = 0, results_file: str | None = None):
        env = {
            **os.environ,
            "DOCURIFT_WEBHOOK_SECRET": docurift_secret,
            "VERYFI_CLIENT_SECRET": veryfi_secret,
            "PORT": "0",
            "FAIL_FIRST": str(fail_first),
        }
        if results_file:
            env["RESULTS_FILE"] = results_file
        self.results_file = results_file
        self.proc = subprocess.Popen(
            ["node", str(NODE_RECEIVER)], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("receiver.mjs did not start")
        self.port = json.loads(line)["port"]
        # Drain the spec code's console.log output so the pipe never fills.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/webhooks/docurift") -> str:
        return self.base_url + path

    def results(self) -> list[dict]:
        if not self.results_file or not os.path.exists(self.results_file):
            return []
        with open(self.results_file) as f:
            return [json.loads(line) for line in f if line.strip()]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
