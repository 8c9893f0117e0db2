"""Real HTTP servers on 127.0.0.1 standing in for the sites a Veryfi
`file_url` points at, recording every request they get.

    with FileOrigin({"/r.png": (200, {"Content-Type": "image/png"}, PNG),
                     "/old": (302, {"Location": "/r.png"}, b"")}) as origin:
        ... submit file_url=origin.url("/old") ...
        assert origin.paths == ["/old", "/r.png"]

    with SilentServer() as silent:      # accepts connections, never answers
        ... submit file_url=silent.url("/x") ...
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = tuple[int, dict[str, str], bytes]


class FileOrigin:
    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.paths: list[str] = []
        self._lock = threading.Lock()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as real sites do: workerd reuses the connection for
            # the next hop, and an HTTP/1.0 close under it reads as
            # "Network connection lost".
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with origin._lock:
                    origin.paths.append(self.path)
                status, headers, body = origin.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"no such file here"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "FileOrigin":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class SilentServer:
    """Accepts TCP connections and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"

    def __enter__(self) -> "SilentServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for c in self.accepted:
            c.close()
        self.sock.close()
