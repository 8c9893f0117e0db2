"""Fixtures for the end-to-end tests: one real edge (`wrangler dev`), real
`folio work` hosts, a real webhook receiver, all on 127.0.0.1."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402

from harness.edge import EdgeServer, free_port  # noqa: E402
from harness.receiver import WebhookReceiver  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

# Short leases so a killed host's job comes back quickly; webhook retry
# schedule scaled down (1 min -> 60 ms) so a failing receiver doesn't stall.
EDGE_VARS = {"LEASE_SECONDS": "6", "MAX_ATTEMPTS": "5", "WEBHOOK_TIME_SCALE": "0.001"}


@pytest.fixture(scope="module")
def edge():
    # A fixed port: hosts keep their --edge URL across a wrangler restart.
    with EdgeServer(vars=EDGE_VARS, name="e2e", port=free_port()) as e:
        yield e


@pytest.fixture(scope="module")
def tenant(edge):
    return edge.admin().new_tenant(plan="paid", credits=100_000)


@pytest.fixture()
def receiver():
    with WebhookReceiver() as rx:
        yield rx


@pytest.fixture(scope="session")
def invoice_png() -> Path:
    """A real scanned-style invoice page (300 DPI) with known contents."""
    p = SHARED / "prototypes/tesseract-wasm-shim/testdata/invoice-300.png"
    assert p.exists(), f"{p} missing (the shared inputs sit beside the repo)"
    return p
