"""The long-running part of scripts/dev: edge + host(s) until Ctrl-C.

Reuses the test harness (tests/harness) so the local stack and the tests
start the worker and hosts the same way.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402

from harness.edge import EdgeServer  # noqa: E402
from harness.host import HostProcess  # noqa: E402


def log(msg: str) -> None:
    print(f"[dev] {msg}", file=sys.stderr, flush=True)


def saved_credentials(path: Path) -> dict:
    """What an earlier run kept in the state dir (0600), or nothing."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_credentials(path: Path, creds: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(creds, indent=2))
    path.chmod(0o600)


def dev_credentials(edge: EdgeServer, path: Path) -> dict:
    """The dev organisation's key, created once and kept with the state, plus
    the deployment's admin and host tokens (kept too, so they survive restarts)."""
    creds = saved_credentials(path)
    if "apiKey" in creds:
        r = requests.get(edge.url("/v1/documents?limit=1"), headers={"X-API-Key": creds["apiKey"]}, timeout=10)
        if r.status_code == 200:
            return creds
        log(f"saved dev key no longer valid ({r.status_code}); creating a new organisation")
    admin = edge.admin()
    org = admin.create_org("Folio Dev", plan="paid", credits=100_000, slug=f"dev-{int(time.time())}")
    key = admin.create_key(org, role="admin", profile="live")
    creds = {
        "organizationId": org.id,
        "apiKey": key.api_key,
        "clientId": key.veryfi["clientId"],
        "username": key.veryfi["username"],
        "clientSecret": key.veryfi.get("clientSecret", ""),
        "adminToken": edge.admin_token,
        "hostToken": edge.host_token,
    }
    save_credentials(path, creds)
    return creds


def main() -> int:
    port = int(os.environ.get("FOLIO_PORT", "8787"))
    state = Path(os.environ.get("FOLIO_STATE_DIR", ROOT / ".folio" / "state")).resolve()
    state.mkdir(parents=True, exist_ok=True)
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    creds_path = state / "dev-credentials.json"
    kept = saved_credentials(creds_path)
    edge = EdgeServer(
        state_dir=state / "wrangler", port=port, name="dev", startup_timeout=180,
        admin_token=kept.get("adminToken"), host_token=kept.get("hostToken"),
    )
    hosts = []
    try:
        log(f"starting wrangler dev on 127.0.0.1:{port} (state {state})")
        edge.start()
        creds = dev_credentials(edge, creds_path)
        if creds.get("adminToken") != edge.admin_token:
            # Kept from before the tokens were saved: keep them now.
            creds.update(adminToken=edge.admin_token, hostToken=edge.host_token)
            save_credentials(creds_path, creds)
        for i in range(int(os.environ.get("FOLIO_HOSTS", "1"))):
            log(f"starting host {i + 1}")
            hosts.append(HostProcess(edge.base_url, edge.host_token, name=f"dev-host-{i + 1}", log_dir=state / "logs").start())
        url = edge.base_url
        print(f"FOLIO_URL={url}")
        print(f"FOLIO_API_KEY={creds['apiKey']}")
        print(f"FOLIO_CLIENT_ID={creds['clientId']}")
        print(f"FOLIO_USERNAME={creds['username']}")
        print(f"FOLIO_ADMIN_TOKEN={edge.admin_token}")
        print("FOLIO_READY")
        print(
            "\n# Try it:\n"
            f"curl -s -X POST {url}/v1/documents/process/async \\\n"
            f"  -H 'X-API-Key: {creds['apiKey']}' \\\n"
            "  -F file=@../shared/prototypes/tesseract-wasm-shim/testdata/invoice-300.png -F documentType=invoice\n"
            f"curl -s {url}/v1/documents/DOC_ID -H 'X-API-Key: {creds['apiKey']}'\n"
            f"\n# Logs: {edge.log_path} and {state / 'logs'}. Ctrl-C stops everything.",
            flush=True,
        )
        while not stop["now"]:
            for h in hosts:
                if h.proc is not None and h.proc.poll() is not None:
                    log(f"{h.name} exited with {h.proc.returncode}; restarting it")
                    h._finish()
                    h.start()
            if edge.proc is not None and edge.proc.poll() is not None:
                log("wrangler dev exited; stopping")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        log("stopping")
        for h in hosts:
            h.stop(timeout=30)
        edge.cleanup()


if __name__ == "__main__":
    sys.exit(main())
