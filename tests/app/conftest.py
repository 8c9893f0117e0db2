"""Fixtures for the review page's browser tests: one real edge (`wrangler
dev`), one real `folio work` host, a real webhook receiver, all on 127.0.0.1,
and a headless Chromium (tests/harness/browser.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402

from harness.edge import EdgeServer, free_port  # noqa: E402
from harness.host import HostProcess  # noqa: E402
from harness.receiver import WebhookReceiver  # noqa: E402

# Webhook retry schedule scaled down (1 min -> 60 ms), as in the end-to-end tests.
EDGE_VARS = {"WEBHOOK_TIME_SCALE": "0.001"}


@pytest.fixture(scope="module")
def edge():
    with EdgeServer(vars=EDGE_VARS, name="app", port=free_port()) as e:
        yield e


@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="app-host") as h:
        yield h


@pytest.fixture()
def receiver():
    with WebhookReceiver() as rx:
        yield rx
