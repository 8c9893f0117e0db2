"""Fixtures for the edge API tests: one real `wrangler dev` for the session
(started and stopped by tests/harness), tenants, a simulated host, files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.edge import AdminClient, EdgeServer, HostClient, Key, Org, processing_result  # noqa: E402

# Short waits so the sync endpoint's fallback is quick to observe; two
# attempts so retry exhaustion is one retry away; a short Veryfi file_url
# timeout so a target that never answers is quick to observe.
SESSION_VARS = {"SYNC_WAIT_SECONDS": "3", "MAX_ATTEMPTS": "2", "LEASE_SECONDS": "30", "FILE_URL_TIMEOUT_SECONDS": "3"}


@pytest.fixture(scope="session")
def edge():
    server = EdgeServer(vars=SESSION_VARS, name="edge-tests")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def admin(edge) -> AdminClient:
    return edge.admin()


@pytest.fixture
def host(edge) -> HostClient:
    return edge.host("pytest-host")


@pytest.fixture
def clean_queue(host) -> HostClient:
    """Empties the shared queue so a test's leases get its own documents."""
    host.drain()
    return host


@pytest.fixture
def tenant(admin) -> tuple[Org, Key]:
    """A paid organisation with 1000 pages of credit and an admin live key."""
    return admin.new_tenant(plan="paid", credits=1000)


@pytest.fixture
def key(tenant) -> Key:
    return tenant[1]
