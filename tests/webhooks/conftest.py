"""Webhook delivery tests: the real worker under `wrangler dev` (tests/harness),
real receivers on 127.0.0.1 (receivers.py), documents driven to completion
through the real internal host API."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for p in (TESTS, TESTS / "webhook_verifiers", Path(__file__).resolve().parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than 20 s (real 30 s timeouts); -m 'not slow' skips it")
