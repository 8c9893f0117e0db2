"""A real HTTP webhook receiver on 127.0.0.1 that records every delivery.

    with WebhookReceiver() as rx:
        ... submit with webhookUrl=rx.url ...
        d = rx.wait_for(lambda d: d.json["data"]["id"] == doc_id)
        assert d.headers["x-docurift-event"] == "document.completed"

`fail_first` answers 503 to the first N requests (then 200), to exercise retries.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int  # what the receiver answered
    received_at: float

    @property
    def json(self):
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, fail_first: int = 0):
        self.fail_first = fail_first
        self.deliveries: list[Delivery] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with receiver._lock:
                    status = 503 if receiver.fail_first > 0 else 200
                    receiver.fail_first = max(0, receiver.fail_first - 1)
                    receiver.deliveries.append(Delivery(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, status, time.monotonic()))
                    receiver._lock.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"received": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/docurift"

    def wait_for(self, pred: Callable[[Delivery], bool], timeout: float = 60) -> Delivery:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for d in self.deliveries:
                    if pred(d):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching delivery within {timeout}s ({len(self.deliveries)} received)")
                self._lock.wait(left)

    def matching(self, pred: Callable[[Delivery], bool]) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if pred(d)]

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
