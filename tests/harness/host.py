"""Start and stop real `folio work` hosts against an edge.

    from harness.host import HostProcess, folio_binary

    with HostProcess(edge.base_url, edge.host_token, name="host-a") as host:
        ...                       # the host leases, OCRs, extracts, reports
        host.kill()               # kill -9, as a crashed machine would
        host.metrics()            # Prometheus text from its metrics endpoint

The binary is the dev build (`cargo build -p folio-host`, which scripts/test
and scripts/dev run first); `FOLIO_BIN` overrides it. Logs (JSON lines) go to
a file per process, readable with `log_text()`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from .edge import free_port

ROOT = Path(__file__).resolve().parents[2]


def folio_binary() -> Path:
    if os.environ.get("FOLIO_BIN"):
        return Path(os.environ["FOLIO_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/folio/target"))
    path = target / "debug" / "folio"
    if not path.exists():
        raise RuntimeError(f"{path} missing: run `cargo build -p folio-host` (scripts/test does)")
    return path


class HostProcess:
    """One `folio work` process."""

    def __init__(self, edge_url: str, host_token: str, name: str = "host", concurrency: int = 1,
                 wait_seconds: int = 5, extra_env: dict[str, str] | None = None, log_dir: Path | None = None):
        self.edge_url = edge_url
        self.host_token = host_token
        self.name = name
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self.extra_env = extra_env or {}
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix=f"folio-{name}-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.metrics_port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None
        self._starts = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}-{self._starts}.log"

    def start(self) -> "HostProcess":
        self._starts += 1
        self.metrics_port = free_port()
        args = [
            str(folio_binary()), "work",
            "--edge", self.edge_url,
            "--concurrency", str(self.concurrency),
            "--host-id", self.name,
            "--wait-seconds", str(self.wait_seconds),
            "--metrics-addr", f"127.0.0.1:{self.metrics_port}",
        ]
        env = {**os.environ, "FOLIO_HOST_TOKEN": self.host_token, **self.extra_env}
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        # Ready once the metrics endpoint answers (plugins and OCR module loaded).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                if requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} not ready:\n{self.log_text()[-4000:]}")

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def metric(self, name: str) -> float:
        for line in self.metrics().splitlines():
            if line.startswith(name + " ") :
                return float(line.split()[-1])
        raise KeyError(name)

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM: the host finishes or releases its jobs, then exits."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._finish()

    def kill(self) -> None:
        """kill -9: no chance to report or release anything."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._finish()

    def _finish(self) -> int | None:
        code = self.proc.returncode if self.proc else None
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return code

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob(f"{self.name}-*.log")))

    def __enter__(self) -> "HostProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
