"""The plugin author's path, as docs/writing-plugins.md tells a stranger to
walk it: copy the template out of the repository, point it at the SDK by
path, test, build and check it, run it through `folio process`, then serve
its own document type through the API (real `wrangler dev`, real
`folio work`).

The copy builds into its own cached target dir ($FOLIO_CACHE/target-plugin-author)
and starts from the repository's Cargo.lock (so the same pinned crates, no
newer ones), which keeps the added time to a minute or two after the first run.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures import text_page  # noqa: E402
from harness.edge import EdgeServer, free_port  # noqa: E402
from harness.host import HostProcess, folio_binary  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("FOLIO_CACHE", Path.home() / ".cache/folio"))
DOCUMENT_TYPE = "acme-order"
PO_LINES = [
    "ACME Corp purchase order",
    "PO Number: PO-7731",
    "Order Date: 2024-03-15",
    "2 x Blue widget @ 12.50",
    "Total:                    25.00 EUR",
]


def run(args, cwd, env=None, timeout=1200):
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def plugin_dir():
    """The template copied outside the repository, renamed, built; yields the
    directory holding its .wasm (what FOLIO_PLUGINS_DIR points at)."""
    work = Path(tempfile.mkdtemp(prefix="folio-plugin-author-"))
    assert ROOT not in work.parents
    crate = work / "acme-po"
    shutil.copytree(ROOT / "plugins/template", crate, ignore=shutil.ignore_patterns("target"))
    shutil.copy(ROOT / "Cargo.lock", crate / "Cargo.lock")
    env = {**os.environ, "CARGO_TARGET_DIR": str(CACHE / "target-plugin-author")}
    # The guide's step 1: the SDK by path, a name and a type of one's own.
    run(["cargo", "add", "folio-plugin-sdk", "--path", str(ROOT / "plugins/sdk")], crate, env)
    manifest = (crate / "Cargo.toml").read_text()
    (crate / "Cargo.toml").write_text(manifest.replace('name = "folio-plugin-template"', 'name = "acme-po"'))
    lib = (crate / "src/lib.rs").read_text()
    lib = lib.replace('"template-purchase-order"', '"acme-purchase-order"').replace('"purchase-order"', f'"{DOCUMENT_TYPE}"')
    (crate / "src/lib.rs").write_text(lib)
    assert "path = " in (crate / "Cargo.toml").read_text() and ".workspace = true" not in (crate / "Cargo.toml").read_text()

    run(["cargo", "test", "-q"], crate, env)
    run(["cargo", "build", "--target", "wasm32-wasip2", "--release", "-q"], crate, env)
    wasm = CACHE / "target-plugin-author/wasm32-wasip2/release/acme_po.wasm"
    assert wasm.is_file()
    out = work / "plugins"
    out.mkdir()
    shutil.copy(wasm, out / "acme_po.wasm")
    yield out
    shutil.rmtree(work, ignore_errors=True)


def test_the_copied_template_checks_and_runs_through_folio_process(plugin_dir, tmp_path):
    wasm = plugin_dir / "acme_po.wasm"
    check = run([str(folio_binary()), "plugins", "check", str(wasm)], tmp_path)
    lines = check.stdout.strip().splitlines()
    assert lines[-1] == f"ok: {wasm} is a valid Folio extractor plugin", check.stdout
    assert "contract:    folio:extractor@0.2.0" in check.stdout
    assert "smoke test:  ok" in check.stdout

    page = tmp_path / "po.png"
    text_page(PO_LINES, size=(1700, 700)).save(page, dpi=(300, 300))
    env = {**os.environ, "FOLIO_PLUGINS_DIR": str(plugin_dir)}
    p = run([str(folio_binary()), "process", str(page), "--type", DOCUMENT_TYPE], tmp_path, env, timeout=300)
    import json

    data = json.loads(p.stdout)
    extracted = data["extractedData"]
    assert extracted["poNumber"] == "PO-7731", data
    assert extracted["totalAmount"] == 25.0, data
    assert extracted["orderDate"] == "2024-03-15", data
    assert re.search(r"acme-purchase-order@0\.1\.0", data["metadata"]["modelVersion"]), data["metadata"]


def test_the_copied_template_serves_its_own_type_through_the_api(plugin_dir):
    # No DOCUMENT_TYPES edit: hosts report the types their plugins serve with
    # every lease request, and the edge accepts those as well.
    with EdgeServer(name="plugin-author", port=free_port()) as edge:
        _, key = edge.admin().new_tenant(plan="paid", credits=1000)
        page = text_page(PO_LINES, size=(1700, 700))
        import io

        buf = io.BytesIO()
        page.save(buf, "PNG", dpi=(300, 300))
        # Before any host serves it, the type is refused.
        r = requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                          files={"file": ("po.png", buf.getvalue())}, data={"documentType": DOCUMENT_TYPE}, timeout=60)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_DOCUMENT_TYPE", r.text
        with HostProcess(edge.base_url, edge.host_token, name="host-plugin-author",
                         extra_env={"FOLIO_PLUGINS_DIR": str(plugin_dir)}):
            # The host reports its types with its first lease request; the
            # isolate remembers a refusal's lookup for a minute, so poll.
            deadline = time.monotonic() + 90
            while True:
                r = requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                                  files={"file": ("po.png", buf.getvalue())}, data={"documentType": DOCUMENT_TYPE}, timeout=60)
                if r.status_code != 400 or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert r.status_code == 202, r.text
            served = edge.admin().queue_stats()["servedTypes"]
            assert {"documentType": DOCUMENT_TYPE, "plugin": "acme-purchase-order", "version": "0.1.0"} in served, served
            doc_id = r.json()["data"]["id"]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                d = requests.get(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=10).json()["data"]
                if d["status"] in ("completed", "failed"):
                    break
                time.sleep(0.3)
        assert d["status"] == "completed", d
        assert d["documentType"] == DOCUMENT_TYPE
        assert d["extractedData"]["poNumber"] == "PO-7731", d
        assert d["extractedData"]["totalAmount"] == 25.0, d

        # A type neither the setting nor a host names is refused, naming the ones that are.
        r = requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                          files={"file": ("po.png", buf.getvalue())}, data={"documentType": "unheard-of"}, timeout=60)
        assert r.status_code == 400, r.text
        assert DOCUMENT_TYPE in r.json()["error"]["message"]
