"""A real headless Chromium (Debian's `chromium` package, from scripts/setup)
driven by Playwright (PyPI `playwright`, tests/requirements.txt). Playwright's
own browser downloads are never used: the browser is /usr/bin/chromium
(or $FOLIO_CHROMIUM).

    from harness.browser import browser_context

    with browser_context(viewport=(1280, 900)) as (context, requests_seen):
        page = context.new_page()
        page.goto(edge.url("/app"))

Every request the page makes is recorded (`requests_seen`, URLs in order),
so a test can check that nothing left 127.0.0.1. The browser gets a fresh
profile directory (deleted afterwards) and flags that stop Chromium's own
background traffic (updates, sync, QUIC probing)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = Path(os.environ.get("FOLIO_CHROMIUM", "/usr/bin/chromium"))

ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} missing: run scripts/setup (installs Debian's chromium)")


@contextlib.contextmanager
def browser_context(viewport: tuple[int, int] = (1280, 900)):
    """Yields (context, requests_seen): a Playwright BrowserContext of a fresh
    Chromium and the list of every request URL it made."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only the browser tests need it)

    require_chromium()
    profile = tempfile.mkdtemp(prefix="folio-chromium-")
    seen: list[str] = []
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
                device_scale_factor=1,
                service_workers="block",
            )
            context.on("request", lambda r: seen.append(r.url))
            try:
                yield context, seen
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
