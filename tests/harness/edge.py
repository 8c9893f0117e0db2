"""Start and stop the real edge worker under `wrangler dev`, and talk to it.

    from harness.edge import EdgeServer, build_worker

    build_worker()                                   # once: scripts/build-worker
    with EdgeServer(vars={"SYNC_WAIT_SECONDS": "2"}) as edge:
        admin = edge.admin()                         # AdminClient (ADMIN_TOKEN)
        org = admin.create_org("Acme", plan="paid", credits=100)
        key = admin.create_key(org, role="admin", profile="live")
        r = edge.session.post(edge.url("/v1/documents/process/async"),
                              headers={"X-API-Key": key.api_key}, files={"file": ("a.png", png)})
        host = edge.host()                           # HostClient (HOST_TOKEN)
        lease = host.lease(wait_seconds=5)
        host.complete(lease["leaseId"], result)
        edge.restart()                               # same state dir: nothing lost

Every server gets its own free loopback ports, its own state directory
(`--persist-to`, kept across `restart()`), its own wrangler config/log dirs
and a captured log (`edge.log_text()`). The worker is built once up front
(`build_worker()`) and served from a generated copy of wrangler.toml without its `[build]` section (so
neither a build nor a source watcher runs: edits to the tree during a test
run never reload the worker). Secrets (ADMIN_TOKEN, HOST_TOKEN) go in a 0600
`.dev.vars` beside the generated config, never on the command line; any `[vars]`
override is passed with `--var NAME:value`; ALLOW_LOOPBACK_WEBHOOKS is
"true" unless overridden. The server is stopped by its process group (the
group it was started in), never by name.

Environment knobs: FOLIO_EDGE_PREBUILT=1 skips the build when
edge-worker/build/index.js exists (iterating on tests); FOLIO_KEEP_EDGE_STATE=1
keeps each server's run directory (state, generated config, logs) for
inspection instead of deleting it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "node_modules" / ".bin" / "wrangler"

_built = False


def build_worker(force: bool = False) -> None:
    """Builds edge-worker/build once per process (scripts/build-worker, release)."""
    global _built
    if _built and not force:
        return
    if os.environ.get("FOLIO_EDGE_PREBUILT") == "1" and (ROOT / "edge-worker/build/index.js").exists():
        _built = True
        return
    proc = subprocess.run([str(ROOT / "scripts/build-worker")], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/build-worker failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    _built = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def installed_languages() -> str | None:
    """The OCR languages the hosts read (`folio languages --format csv`), so the
    edge's `LANGUAGES` follows the data dir; None (wrangler.toml's default)
    when the host binary is not built yet."""
    from harness.host import folio_binary  # noqa: PLC0415 (host imports nothing from here, but keep it lazy)

    try:
        out = subprocess.run([str(folio_binary()), "languages", "--format", "csv"], capture_output=True, text=True, timeout=30)
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


class EdgeServer:
    """One `wrangler dev` process serving the Folio worker."""

    def __init__(
        self,
        vars: dict[str, str] | None = None,
        state_dir: str | Path | None = None,
        name: str = "edge",
        startup_timeout: float = 90.0,
        port: int | None = None,
        admin_token: str | None = None,
        host_token: str | None = None,
        ready_status: int = 200,
    ):
        self.run_dir = Path(tempfile.mkdtemp(prefix=f"folio-{name}-"))
        self.state_dir = Path(state_dir) if state_dir else self.run_dir / "state"
        self.admin_token = admin_token or "adm_" + secrets.token_hex(16)
        self.host_token = host_token or "hst_" + secrets.token_hex(16)
        languages = installed_languages()
        self.vars = {"ALLOW_LOOPBACK_WEBHOOKS": "true", **({"LANGUAGES": languages} if languages else {}), **(vars or {})}
        self.startup_timeout = startup_timeout
        # What /health answers once the worker serves (a refusing worker: 500).
        self.ready_status = ready_status
        self.fixed_port = port  # None: a free port on every start
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self._starts = 0
        self.session = requests.Session()

    # -- lifecycle -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"wrangler-{self._starts}.log"

    def _config(self) -> Path:
        """wrangler.toml as committed, minus [build], with absolute paths."""
        out, skipping = [], False
        for line in (ROOT / "wrangler.toml").read_text().splitlines():
            if line.startswith("["):
                skipping = line.strip() == "[build]"
            if skipping:
                continue
            if line.startswith("main = "):
                line = f'main = "{ROOT / "edge-worker/build/index.js"}"'
            out.append(line)
        path = self.run_dir / "wrangler.toml"
        path.write_text("\n".join(out) + "\n")
        # Secrets go in .dev.vars beside the config (wrangler dev reads it there),
        # readable by this user only: on the command line `ps` would show them.
        dev_vars = self.run_dir / ".dev.vars"
        fd = os.open(dev_vars, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f'ADMIN_TOKEN="{self.admin_token}"\nHOST_TOKEN="{self.host_token}"\n')
        os.chmod(dev_vars, 0o600)
        return path

    def start(self) -> "EdgeServer":
        build_worker()
        self._starts += 1
        self.port = self.fixed_port or free_port()
        inspector = free_port()
        args = [
            str(WRANGLER), "dev", "--config", str(self._config()),
            "--ip", "127.0.0.1", "--port", str(self.port), "--inspector-port", str(inspector),
            "--persist-to", str(self.state_dir),
            "--show-interactive-dev-session=false",
        ]
        for k, v in self.vars.items():
            args += ["--var", f"{k}:{v}"]
        env = {
            **os.environ,
            "WORKER_SKIP_BUILD": "1",
            "WRANGLER_SEND_METRICS": "false",
            "CLOUDFLARE_CF_FETCH_ENABLED": "false",
            "XDG_CONFIG_HOME": str(self.run_dir / "config"),
            "WRANGLER_LOG_PATH": str(self.run_dir / "wrangler-logs"),
            "NO_COLOR": "1",
        }
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"wrangler dev exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                if requests.get(self.url("/health"), timeout=1).status_code == self.ready_status:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"wrangler dev not ready after {self.startup_timeout}s:\n{self.log_text()[-4000:]}")

    def stop(self) -> None:
        """Stops wrangler and its workerd child (SIGTERM to the group, then SIGKILL)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Children (workerd) may outlive the leader briefly.
        for _ in range(50):
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def restart(self) -> "EdgeServer":
        """Stops and starts again on the same state directory (new port)."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        self.stop()
        if os.environ.get("FOLIO_KEEP_EDGE_STATE") != "1":
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> "EdgeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def log_text(self) -> str:
        texts = []
        for i in range(1, self._starts + 1):
            p = self.run_dir / f"wrangler-{i}.log"
            if p.exists():
                texts.append(p.read_text(errors="replace"))
        return "\n".join(texts)

    # -- clients -------------------------------------------------------------

    def admin(self) -> "AdminClient":
        return AdminClient(self)

    def host(self, host_id: str = "test-host") -> "HostClient":
        return HostClient(self, host_id)


def wait_final(edge: EdgeServer, key: "Key", doc_id: str, timeout: float = 180) -> dict:
    """Polls a document until it is completed or failed; its `data`. Transport
    errors are retried: the edge may be restarting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = requests.get(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=10)
            if r.status_code == 200 and r.json()["data"]["status"] in ("completed", "failed"):
                return r.json()["data"]
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{doc_id} not final after {timeout}s")


# -- admin API -----------------------------------------------------------------


@dataclass
class Org:
    id: str
    slug: str
    plan: str
    credits: int
    veryfi: dict[str, dict[str, str]]  # profile -> {clientId, clientSecret, username}
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass
class Key:
    api_key: str
    key_id: str
    org_id: str
    role: str
    profile: str
    veryfi: dict[str, str]  # clientId, clientSecret, username, apiKey

    @property
    def headers(self) -> dict[str, str]:
        """DocuRift auth."""
        return {"X-API-Key": self.api_key}

    @property
    def veryfi_headers(self) -> dict[str, str]:
        """Veryfi auth, as Veryfi's client libraries send it (unsigned)."""
        return {
            "CLIENT-ID": self.veryfi["clientId"],
            "AUTHORIZATION": f"apikey {self.veryfi['username']}:{self.veryfi['apiKey']}",
        }


class AdminClient:
    """The admin API (`/admin/v1`, bearer ADMIN_TOKEN)."""

    def __init__(self, edge: EdgeServer):
        self.edge = edge
        self.headers = {"Authorization": f"Bearer {edge.admin_token}"}

    def _call(self, method: str, path: str, expect: int, **kw) -> dict:
        r = self.edge.session.request(method, self.edge.url(path), headers=self.headers, timeout=30, **kw)
        if r.status_code != expect:
            raise AssertionError(f"{method} {path}: {r.status_code} {r.text}")
        return r.json()["data"]

    def create_org(self, name: str = "Test Org", plan: str = "free", credits: int = 1000, slug: str | None = None) -> Org:
        body: dict[str, Any] = {"name": name, "plan": plan, "credits": credits}
        if slug:
            body["slug"] = slug
        d = self._call("POST", "/admin/v1/orgs", 201, json=body)
        o = d["organization"]
        return Org(o["orgId"], o["slug"], o["plan"], o["credits"], d["veryfi"], d)

    def get_org(self, org: Org | str) -> dict:
        return self._call("GET", f"/admin/v1/orgs/{_org_id(org)}", 200)["organization"]

    def update_org(self, org: Org | str, **fields) -> dict:
        return self._call("PATCH", f"/admin/v1/orgs/{_org_id(org)}", 200, json=fields)["organization"]

    def create_key(self, org: Org | str, role: str = "admin", profile: str = "live",
                   rate_limit: tuple[int, int] | None = None) -> Key:
        body: dict[str, Any] = {"role": role, "profile": profile}
        if rate_limit:
            body["rateLimit"] = {"requests": rate_limit[0], "windowSeconds": rate_limit[1]}
        d = self._call("POST", f"/admin/v1/orgs/{_org_id(org)}/keys", 201, json=body)
        return Key(d["apiKey"], d["keyId"], d["organizationId"], d["role"], d["profile"], d["veryfi"])

    def revoke_key(self, key: Key) -> None:
        self._call("DELETE", f"/admin/v1/orgs/{key.org_id}/keys/{key.key_id}", 200)

    def queue_stats(self) -> dict:
        return self._call("GET", "/admin/v1/queue", 200)["shards"]["global"]

    def new_tenant(self, plan: str = "paid", credits: int = 1000, role: str = "admin",
                   profile: str = "live", rate_limit: tuple[int, int] | None = None) -> tuple[Org, Key]:
        """An organisation with one key: the usual start of a test."""
        org = self.create_org(f"org-{secrets.token_hex(3)}", plan=plan, credits=credits)
        return org, self.create_key(org, role=role, profile=profile, rate_limit=rate_limit)


def _org_id(org: Org | str) -> str:
    return org.id if isinstance(org, Org) else org


# -- host API ------------------------------------------------------------------


class HostClient:
    """A processing host speaking the internal API (bearer HOST_TOKEN): a
    real client of the real API, used to drive documents to completion."""

    def __init__(self, edge: EdgeServer, host_id: str):
        self.edge = edge
        self.host_id = host_id
        self.headers = {"Authorization": f"Bearer {edge.host_token}"}

    def lease(self, wait_seconds: int = 0, document_types: list[str] | None = None) -> dict | None:
        body: dict[str, Any] = {"hostId": self.host_id, "waitSeconds": wait_seconds}
        if document_types:
            body["documentTypes"] = document_types
        r = self.edge.session.post(self.edge.url("/internal/v1/leases"), json=body, headers=self.headers,
                                   timeout=wait_seconds + 30)
        if r.status_code == 204:
            return None
        assert r.status_code == 200, r.text
        return r.json()

    def lease_doc(self, doc_id: str, wait_seconds: int = 5, max_leases: int = 500) -> dict:
        """Leases until `doc_id` comes up; other jobs leased on the way are released."""
        others = []
        try:
            for _ in range(max_leases):
                lease = self.lease(wait_seconds=wait_seconds)
                if lease is None:
                    raise AssertionError(f"{doc_id} never came up for lease")
                if lease["docId"] == doc_id:
                    return lease
                others.append(lease)
            raise AssertionError(f"{doc_id} not leased within {max_leases} leases")
        finally:
            for o in others:
                self.call("POST", f"/internal/v1/leases/{o['leaseId']}/release", json={})

    def drain(self) -> int:
        """Fails every queued job (non-retryably): a clean queue for a test."""
        n = 0
        while (lease := self.lease(wait_seconds=0)) is not None:
            self.fail(lease["leaseId"], "INTERNAL_ERROR", "drained by the test harness")
            n += 1
        return n

    def call(self, method: str, path: str, **kw) -> requests.Response:
        return self.edge.session.request(method, self.edge.url(path), headers=self.headers, timeout=30, **kw)

    def fetch_file(self, lease: dict) -> bytes:
        r = self.edge.session.get(lease["file"]["url"], headers=self.headers, timeout=30)
        assert r.status_code == 200, r.text
        return r.content

    def heartbeat(self, lease_id: str) -> requests.Response:
        return self.call("POST", f"/internal/v1/leases/{lease_id}/heartbeat", json={})

    def complete(self, lease_id: str, result: dict) -> requests.Response:
        return self.call("POST", f"/internal/v1/leases/{lease_id}/complete", json={"result": result})

    def fail(self, lease_id: str, code: str, message: str, retryable: bool = False) -> requests.Response:
        return self.call("POST", f"/internal/v1/leases/{lease_id}/fail",
                         json={"error": {"code": code, "message": message}, "retryable": retryable})

    def release(self, lease_id: str) -> requests.Response:
        return self.call("POST", f"/internal/v1/leases/{lease_id}/release", json={})


def processing_result(document_type: str = "invoice", pages: int = 1, **extracted) -> dict:
    """A host result (folio_core::ProcessingResult) for simulated processing."""
    return {
        "documentType": document_type,
        "pagesProcessed": pages,
        "confidence": 0.94,
        "extractedData": extracted or {"invoiceNumber": "INV-2024-00456", "totalAmount": 15750.0, "currency": "USD"},
        "fields": {},
        "metadata": {"processingTimeMs": 1234, "modelVersion": "test-1"},
    }
