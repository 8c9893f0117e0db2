"""The review page (issue #16) in a real headless Chromium against the real
stack: the worker under `wrangler dev` serving /app, a real `folio work` host
(Tesseract + the invoice plugin), a real webhook receiver.

One flow, as a person would use it: enter a key, upload a generated invoice
page (JPEG), wait for it to complete, see the fields, click `totalAmount`
and check on a screenshot that its highlighted box is drawn where the API's
`fields.totalAmount.bbox` says (scaled from the OCR raster: the JPEG is
declared 125 DPI, so the host reads it at twice its pixel size), click the
box and see the panel follow, open the delivery log and redeliver. Then the
list, a scanned PDF drawn on its stored preview raster, phone width, and another organisation's key,
which sees nothing. Throughout: no request leaves 127.0.0.1 and the key is
in no URL. Screenshots of the list and the document view go to
docs/screenshots/ (generated data only), referenced from the README."""

from __future__ import annotations

import io
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from fixtures import receipt_png, scanned_pdf  # noqa: E402
from harness.browser import browser_context  # noqa: E402
from languages import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# The README's pictures are refreshed only on request (FOLIO_UPDATE_SCREENSHOTS=1):
# every run has new ids and times, and a test run must leave the tree clean.
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("FOLIO_UPDATE_SCREENSHOTS") == "1"
               else Path(tempfile.mkdtemp(prefix="folio-screenshots-")))
MAGENTA = (255, 0, 255)  # --selected in edge-worker/app/app.css
TIMEOUT_MS = 60_000


def invoice_jpeg() -> tuple[bytes, dict]:
    """An English invoice page rendered by tests/languages/generate.py (A4 at
    300 DPI), halved to 1240x1754 and declared 125 DPI: the host upscales it
    2x for OCR, so boxes are in pixels of a 2480-wide page."""
    if not generate.fonts_available():
        pytest.fail(f"DejaVu fonts missing in {generate.font_dir()}: run scripts/setup")
    canvas, expected = generate.invoice(generate.L["en"], random.Random("review-page:en:invoice:1"), 1)
    img = canvas.img.resize((1240, 1754), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, dpi=(125, 125))
    return buf.getvalue(), expected


def api(edge, key, path, method="GET", **kw):
    return requests.request(method, edge.url(path), headers=key.headers, timeout=60, **kw)


def is_magenta(px) -> bool:
    r, g, b = px[:3]
    return r >= 200 and g <= 90 and b >= 200


def magenta_near(img: Image.Image, x: float, y: float, radius: int = 4) -> bool:
    """A pixel of the highlight colour within `radius` of (x, y)."""
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            px, py = round(x) + dx, round(y) + dy
            if 0 <= px < img.width and 0 <= py < img.height and is_magenta(img.getpixel((px, py))):
                return True
    return False


def screenshot(page) -> Image.Image:
    return Image.open(io.BytesIO(page.screenshot())).convert("RGB")


def box_on_screen(page, bbox, page_w, page_h):
    """Where the API's box [left, top, width, height] (page units) must appear
    in the viewport, from where the page image is drawn."""
    svg = page.locator('figure[data-page="1"] svg').bounding_box()
    # The drawing keeps the page's aspect ratio (one scale for both axes).
    sx, sy = svg["width"] / page_w, svg["height"] / page_h
    assert abs(sx - sy) / sx < 0.01, (sx, sy)
    l, t, w, h = bbox
    return svg["x"] + l * sx, svg["y"] + t * sy, svg["x"] + (l + w) * sx, svg["y"] + (t + h) * sy


def save_small(img: Image.Image, path: Path) -> None:
    """A committed screenshot: 64 colours keep it a few tens of KB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, "PNG", optimize=True)


def wait_text(locator, text: str, timeout: float = 60) -> str:
    """Waits until the element's text contains `text`; fails showing what it holds."""
    deadline = time.monotonic() + timeout
    while True:
        got = locator.inner_text() if locator.count() else "<absent>"
        if text in got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not shown within {timeout}s; shown: {got!r}")
        time.sleep(0.25)


def login(page, edge, key) -> None:
    page.goto(edge.url("/app"))
    page.locator("#key").fill(key.api_key)
    page.locator("#login button[type=submit]").click()
    page.locator("#nav").wait_for(state="visible")
    wait_text(page.locator("#who"), key.key_id)
    assert page.locator("#login").is_hidden()


def test_review_page(edge, host, receiver, tmp_path):
    admin = edge.admin()
    org, key = admin.new_tenant(plan="paid", credits=1000)
    _, other = admin.new_tenant(plan="paid", credits=10)
    jpeg, expected = invoice_jpeg()
    started = time.monotonic()

    with browser_context(viewport=(1280, 900)) as (context, seen):
        page = context.new_page()
        console_errors: list[str] = []
        # Script errors only: Chromium also logs every 4xx answer (the wrong
        # key's 401) as a console error.
        page.on("console", lambda m: console_errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.set_default_timeout(TIMEOUT_MS)

        # --- A wrong key is refused; the right one opens the app.
        page.goto(edge.url("/app"))
        assert page.locator("#nav").is_hidden()
        page.locator("#key").fill("frc_" + "x" * 40)
        page.locator("#login button[type=submit]").click()
        page.locator("#login-error").filter(has_text="Invalid API key").wait_for()
        login(page, edge, key)
        assert key.key_id in page.locator("#who").inner_text()

        # --- Upload: pick the file, choose the options.
        page.goto(edge.url("/app#/upload"))
        file_path = tmp_path / "invoice-page.jpg"
        file_path.write_bytes(jpeg)
        page.locator("#file").set_input_files(str(file_path))
        page.locator("#drop").filter(has_text="invoice-page.jpg").wait_for()
        page.locator("#documentType").fill("invoice")
        page.locator("#language").fill("en")
        page.locator("#ocrEngine").select_option("tesseract")
        page.locator("#webhookUrl").fill(receiver.url)
        page.locator("#webhookSecret").fill("whsec_review_page_test")
        page.locator("#callbackMetadata").fill('{"from": "review page"}')
        page.locator("#upload button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/app#/documents/doc_[a-z0-9]+$"))
        doc_id = page.url.rsplit("/", 1)[1]
        # Live status, then the fields panel once completed.
        page.locator("#doc-status").wait_for()
        page.locator("#doc-status").filter(has_text="completed").wait_for(timeout=120_000)
        page.locator("#fields").wait_for()

        # What the API says.
        doc = api(edge, key, f"/v1/documents/{doc_id}").json()["data"]
        assert doc["status"] == "completed" and doc["documentType"] == "invoice"
        assert doc["extractedData"]["totalAmount"] == expected["totalAmount"], doc["extractedData"]
        total = doc["fields"]["totalAmount"]
        meta = doc["metadata"]["pages"][0]
        page_w, page_h = meta["width"], meta["height"]
        assert (page_w, page_h) == (2480, 3508), meta  # the OCR raster, twice the JPEG
        assert total["page"] == 1 and len(total["bbox"]) == 4
        # Every field with a box has one drawn, and a row in the panel.
        # (Fields on the same rectangle, e.g. totalAmount and amountDue, share one box.)
        boxed = {tuple(f["bbox"]) for f in doc["fields"].values() if f.get("bbox")}
        assert page.locator("svg rect.box").count() == len(boxed) >= 5
        for name in doc["extractedData"]:
            assert page.locator(f'#fields button[data-field="{name}"]').count() == 1, name
        assert str(expected["totalAmount"]) in page.locator("#values").inner_text()

        # --- Click totalAmount in the panel: its box is highlighted where the API says.
        row = page.locator('#fields button[data-field="totalAmount"]')
        row.click()
        assert row.get_attribute("aria-pressed") == "true"
        rect = page.locator('svg rect.box[data-fields~="totalAmount"]')
        assert "selected" in rect.get_attribute("class")
        x0, y0, x1, y1 = box_on_screen(page, total["bbox"], page_w, page_h)
        assert 0 <= x0 < x1 <= 1280 and 0 <= y0 < y1 <= 900, "the selected box is scrolled into view"
        shot = screenshot(page)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        for (x, y) in ((mx, y0), (mx, y1), (x0, my), (x1, my)):  # the middle of each edge
            assert magenta_near(shot, x, y), ("no highlight at", x, y, total["bbox"])
        for (x, y) in ((mx, y0 - 14), (mx, y1 + 14), (x0 - 14, my), (x1 + 14, my)):  # just outside
            assert not magenta_near(shot, x, y, radius=2), ("highlight outside the box at", x, y)
        # The README's picture: the top of the view, with the selection.
        page.evaluate("window.scrollTo(0, 0)")
        save_small(screenshot(page), SCREENSHOTS / "document.png")
        rect.scroll_into_view_if_needed()
        x0, y0, x1, y1 = box_on_screen(page, total["bbox"], page_w, page_h)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2

        # --- Clicking the row again clears the highlight; clicking the box selects its field in the panel.
        row.click()
        assert row.get_attribute("aria-pressed") == "false"
        plain = screenshot(page)
        assert not any(magenta_near(plain, x, y) for (x, y) in ((mx, y0), (mx, y1), (x0, my), (x1, my)))
        # The box sits on the printed amount: dark text pixels inside it.
        inner = plain.crop((round(x0) + 3, round(y0) + 3, round(x1) - 3, round(y1) - 3)).convert("L")
        dark = sum(inner.histogram()[:110])
        assert dark / (inner.width * inner.height) > 0.04, ("no text under the box", dark)
        page.mouse.click(mx, my)
        assert row.get_attribute("aria-pressed") == "true"
        assert magenta_near(screenshot(page), mx, y0)
        shared = rect.get_attribute("data-fields").split()
        if len(shared) > 1:  # the next click selects the next field on the same box
            page.mouse.click(mx, my)
            assert page.locator(f'#fields button[data-field="{shared[1]}"]').get_attribute("aria-pressed") == "true"
        # Keyboard: a box is focusable and Enter selects it.
        other_rect = page.locator('svg rect.box[data-fields~="invoiceNumber"]')
        other_rect.focus()
        page.keyboard.press("Enter")
        assert page.locator('#fields button[data-field="invoiceNumber"]').get_attribute("aria-pressed") == "true"
        assert row.get_attribute("aria-pressed") == "false"
        # The field name on hover (SVG title).
        assert "totalAmount" in rect.locator("title").text_content()
        # The raw JSON is the API's document.
        page.locator("details.raw summary").click()
        assert doc_id in page.locator("#raw-json").inner_text()

        # --- The delivery log: the completed event's attempt, then a redelivery.
        receiver.wait_for(lambda d: doc_id.encode() in d.body)
        # The log follows deliveries under way by itself.
        wait_text(page.locator("#webhooks"), "delivered")
        first = page.locator("#webhooks details.delivery").first
        assert "document.completed" in first.inner_text() and receiver.url in first.inner_text()
        attempt = first.locator("table.attempts tbody tr").first.inner_text()
        assert "200" in attempt and " ms" in attempt and "received" in attempt  # status, duration, response excerpt
        before = len(receiver.matching(lambda d: doc_id.encode() in d.body))
        page.locator("#redeliver").click()
        page.locator("#webhooks [role=status]").filter(has_text="Redelivery started").wait_for()
        receiver.wait_for(lambda d: doc_id.encode() in d.body and len(receiver.matching(lambda e: doc_id.encode() in e.body)) > before)
        page.locator("#refresh-webhooks").click()
        page.locator("#webhooks details.delivery").filter(has_text="redelivery of").filter(has_text="delivered").wait_for()
        assert page.locator("#webhooks details.delivery").count() == 2

        # --- More documents for the list: a receipt and a scanned PDF (its page drawn on the host's preview PNG).
        for content, name, dtype in ((receipt_png(7), "receipt.png", "receipt"), (scanned_pdf(1), "statement.pdf", "generic")):
            r = api(edge, key, "/v1/documents/process/async", "POST", files={"file": (name, content)},
                    data={"documentType": dtype, "ocrEngine": "tesseract"})
            assert r.status_code == 202, r.text
            pdf_id = r.json()["data"]["id"]
        page.goto(edge.url(f"/app#/documents/{pdf_id}"))
        page.locator("#doc-status").filter(has_text="completed").wait_for(timeout=120_000)
        pdf_svg = page.locator('figure[data-page="1"] svg.page-svg')
        pdf_svg.wait_for()
        assert page.locator('figure[data-page="1"] .nopreview').count() == 0
        # The preview (about 100 DPI) stretched over the page's box units (the 300 DPI raster).
        meta = api(edge, key, f"/v1/documents/{pdf_id}").json()["data"]["metadata"]["pages"][0]
        assert float(pdf_svg.get_attribute("data-width")) == meta["width"]
        assert float(pdf_svg.get_attribute("data-height")) == meta["height"]
        natural = page.evaluate(
            """() => new Promise((ok, no) => { const i = new Image(); i.onload = () => ok([i.naturalWidth, i.naturalHeight]);
                 i.onerror = no; i.src = document.querySelector('figure[data-page="1"] svg image').getAttribute('href'); })""")
        assert natural[0] > 0 and abs(natural[0] / natural[1] / (meta["width"] / meta["height"]) - 1) < 0.02, natural
        page.locator("#fields").wait_for()

        page.goto(edge.url("/app#/documents"))
        table = page.locator("table.docs")
        table.wait_for()
        page.locator("table.docs tbody tr").filter(has_text="statement.pdf").filter(has_text="completed").wait_for()
        rows = page.locator("table.docs tbody tr")
        assert rows.count() == 3
        assert "invoice-page.jpg" in table.inner_text() and "receipt.png" in table.inner_text()
        save_small(screenshot(page), SCREENSHOTS / "list.png")
        # Filters and paging as the API has them.
        page.locator("select[name=status]").select_option("completed")
        page.locator("select[name=limit]").select_option("10")
        page.locator("input[name=documentType]").fill("invoice")
        page.locator(".filters button[type=submit]").click()
        page.wait_for_url(re.compile(r".*documentType=invoice.*"))
        # The list re-renders after the URL changes: wait for the filtered rows, not any row.
        page.wait_for_function("() => document.querySelectorAll('table.docs tbody tr').length === 1")
        assert "invoice-page.jpg" in page.locator("table.docs tbody tr").first.inner_text()
        # Paging with the API's cursors, forward and back.
        page.goto(edge.url("/app#/documents?limit=1"))
        first_row = page.locator("table.docs tbody tr").first.inner_text()
        page.locator(".pager button", has_text="Next").click()
        wait_text(page.locator(".pager"), "Previous")
        second_row = page.locator("table.docs tbody tr").first.inner_text()
        assert second_row != first_row and page.locator("table.docs tbody tr").count() == 1
        page.locator(".pager button", has_text="Previous").click()
        page.locator("table.docs tbody tr").filter(has_text=first_row.split()[0]).wait_for()

        # --- Phone width: one column, nothing wider than the screen.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(edge.url(f"/app#/documents/{doc_id}"))
        page.locator("#fields").wait_for()
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] + 1, widths
        svg_box = page.locator('figure[data-page="1"] svg').bounding_box()
        fields_box = page.locator("#fields").bounding_box()
        assert svg_box["width"] > 300 and fields_box["y"] > svg_box["y"] + svg_box["height"] - 1  # stacked
        page.set_viewport_size({"width": 1280, "height": 900})

        # --- Another organisation's key sees nothing of it.
        page.locator("#forget").click()
        page.locator("#login").wait_for(state="visible")
        assert page.evaluate("sessionStorage.length") == 0
        login(page, edge, other)
        page.goto(edge.url("/app#/documents"))
        page.locator(".list-body .empty").filter(has_text="No documents.").wait_for()
        page.goto(edge.url(f"/app#/documents/{doc_id}"))
        alert = page.locator("#document [role=alert]")
        alert.wait_for()
        assert "DOCUMENT_NOT_FOUND" in alert.inner_text()
        assert page.locator("figure").count() == 0

        # --- Nothing left this machine, and the key was never in a URL.
        assert seen, "the request listener saw nothing"
        for url in seen:
            parts = urlsplit(url)
            assert parts.scheme == "blob" or parts.hostname == "127.0.0.1", url
            for k in (key.api_key, other.api_key):
                assert k not in url
        assert key.api_key not in page.url and other.api_key not in page.url
        assert page.evaluate("localStorage.length") == 0 and page.evaluate("document.cookie") == ""
        assert not console_errors, console_errors

    # Bounded: the whole flow in well under two minutes on 2 cores.
    assert time.monotonic() - started < 150
