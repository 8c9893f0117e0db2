"""Outputs (issue #14) on the real stack: a searchable PDF, hOCR, text and
the OCR JSON made by a real `folio work` host from one OCR pass, uploaded to
the worker under `wrangler dev`, listed on the document and its webhook,
downloaded, and checked with independent tools (poppler's `pdftotext -bbox`
and `pdfimages`, Python's HTML parser). Fixtures are rendered here with the
DejaVu fonts from $FOLIO_DATA_DIR."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw, ImageFont

from fixtures import scanned_pdf, text_page  # noqa: E402
from harness.edge import wait_final  # noqa: E402
from harness.host import HostProcess  # noqa: E402

ALL = ["searchable-pdf", "hocr", "text", "ocr-json"]
LINES = ["Invoice number 4711", "Total amount due EUR 99.50", "Thank you for your business"]


def font(px: int) -> ImageFont.FreeTypeFont:
    data = Path(os.environ.get("FOLIO_DATA_DIR", Path.home() / ".cache/folio/data"))
    return ImageFont.truetype(str(data / "fonts/DejaVuSans.ttf"), px)


def scan_jpeg() -> bytes:
    """A colour 200 DPI scan with known text."""
    img = Image.new("RGB", (1650, 800), (250, 248, 240))
    d = ImageDraw.Draw(img)
    for i, line in enumerate(LINES):
        d.text((120, 120 + i * 110), line, fill=(10, 10, 30), font=font(44))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, dpi=(200, 200))
    return buf.getvalue()


def submit(edge, key, content: bytes, name: str, **data) -> requests.Response:
    return requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                         files={"file": (name, content)}, data=data, timeout=60)


def download(edge, key, doc_id: str, name: str) -> requests.Response:
    return requests.get(edge.url(f"/v1/documents/{doc_id}/outputs/{name}"), headers=key.headers, timeout=30)


def r2_keys(edge, prefix: str) -> list[str]:
    """Object keys in the local R2 bucket (miniflare's metadata database)."""
    keys = []
    for db in (edge.state_dir / "v3/r2").rglob("*.sqlite"):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            keys += [k for (k,) in con.execute("SELECT key FROM _mf_objects WHERE key LIKE ?", (prefix + "%",))]
        except sqlite3.Error:
            pass
        finally:
            con.close()
    return keys


def pdftotext_words(pdf: bytes) -> list[list[dict]]:
    """Words and boxes (points, top-left origin) per page, by poppler."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.pdf"
        p.write_bytes(pdf)
        out = subprocess.run(["pdftotext", "-bbox", str(p), "-"], check=True, capture_output=True, text=True).stdout
    pages: list[list[dict]] = []

    class P(HTMLParser):
        word = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "page":
                pages.append([])
            elif tag == "word":
                self.word = {k: float(a[k]) for k in ("xmin", "ymin", "xmax", "ymax")}

        def handle_data(self, data):
            if self.word is not None:
                self.word["text"] = self.word.get("text", "") + data

        def handle_endtag(self, tag):
            if tag == "word":
                pages[-1].append(self.word)
                self.word = None

    P().feed(out)
    return pages


def ocr_words(ocr_pages: list[dict]) -> list[list[dict]]:
    """The OCR words per page, boxes in points (page pixels at the page's DPI)."""
    out = []
    for page in ocr_pages:
        k = 72.0 / page["dpi"]
        words = []
        for line in page["lines"]:
            for w in line["words"]:
                b = w["bbox"]
                words.append({"text": w["text"], "xmin": b["left"] * k, "ymin": b["top"] * k,
                              "xmax": (b["left"] + b["width"]) * k, "ymax": (b["top"] + b["height"]) * k})
        out.append(words)
    return out


def assert_pdf_matches_ocr(pdf: bytes, ocr_pages: list[dict], tolerance_pt: float = 3.0):
    got, want = pdftotext_words(pdf), ocr_words(ocr_pages)
    assert len(got) == len(want)
    for g_page, w_page in zip(got, want):
        assert [w["text"] for w in g_page] == [w["text"] for w in w_page]
        for g, w in zip(g_page, w_page):
            for k in ("xmin", "ymin", "xmax", "ymax"):
                assert abs(g[k] - w[k]) <= tolerance_pt, (k, g, w)


class Hocr(HTMLParser):
    """hOCR 1.2 structure: ocr_page > ocr_line > ocrx_word, with bbox titles."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.pages: list[list[list[str]]] = []
        self.meta: dict[str, str] = {}
        self.in_word = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        cls = a.get("class")
        if cls in ("ocr_page", "ocr_line", "ocrx_word"):
            title = a.get("title", "")
            props = dict(p.strip().split(" ", 1) for p in title.split(";") if p.strip())
            box = [int(v) for v in props["bbox"].split()]
            assert len(box) == 4 and box[0] <= box[2] and box[1] <= box[3], title
            assert a.get("id"), a
            if cls == "ocr_page":
                assert self.stack == [], self.stack
                assert "image" in props and "ppageno" in props, title
                self.pages.append([])
            elif cls == "ocr_line":
                assert self.stack == ["ocr_page"], self.stack
                self.pages[-1].append([])
            else:
                assert self.stack == ["ocr_page", "ocr_line"], self.stack
                assert 0 <= int(props["x_wconf"]) <= 100, title
                self.pages[-1][-1].append("")
                self.in_word = True
            self.stack.append(cls)
        elif tag in ("div", "span"):
            self.stack.append(tag)

    def handle_data(self, data):
        if self.in_word:
            self.pages[-1][-1][-1] += data

    def handle_endtag(self, tag):
        if tag in ("div", "span") and self.stack:
            if self.stack.pop() == "ocrx_word":
                self.in_word = False


@pytest.fixture(scope="module")
def other_tenant(edge):
    return edge.admin().new_tenant(plan="paid", credits=1000)


# -- without a host: the upload path, idempotence and the delete race -----------

def test_invalid_outputs_are_refused_with_the_valid_names(edge, tenant):
    _, key = tenant
    r = submit(edge, key, scan_jpeg(), "scan.jpg", outputs="searchable-pdf,pdf")
    assert r.status_code == 400
    assert r.json() == {"success": False, "error": {
        "code": "INVALID_OUTPUTS", "message": 'Unknown output "pdf": valid outputs are searchable-pdf, hocr, text, ocr-json'}}
    body = {"file_name": "scan.jpg", "file_data": "aGVsbG8=", "async": True, "outputs": ["hocr", 3]}
    r = requests.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_OUTPUTS", r.text


def test_uploads_are_idempotent_and_a_delete_while_processing_leaves_nothing(edge, tenant):
    org, key = tenant
    hc = edge.host("outputs-test-host")
    r = submit(edge, key, scan_jpeg(), "scan.jpg", outputs="hocr,text")
    assert r.status_code == 202, r.text
    doc_id = r.json()["data"]["id"]
    lease = hc.lease_doc(doc_id)
    assert lease["options"]["outputs"] == ["hocr", "text"]
    lid = lease["leaseId"]
    def put(name: str, body: bytes, ct: str = "text/plain") -> requests.Response:
        return edge.session.put(edge.url(f"/internal/v1/leases/{lid}/artifacts/{name}"), data=body,
                                headers={**hc.headers, "Content-Type": ct}, timeout=30)

    # Twice: recorded once.
    for _ in range(2):
        r = put("hocr", b"<html/>", "text/html")
        assert r.status_code == 200 and r.json() == {"docId": doc_id, "name": "hocr", "size": 7}, r.text
    # Unknown names are refused; a preview (issue #16) is accepted and never listed.
    assert put("pdf", b"x").json()["error"]["code"] == "INVALID_REQUEST"
    assert put("preview-1.png", b"\x89PNG", "image/png").status_code == 200
    # Completing with an output that was not uploaded is refused.
    from harness.edge import processing_result
    r = hc.call("POST", f"/internal/v1/leases/{lid}/complete", json={"result": processing_result(), "outputs": ["hocr", "text"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "INVALID_STATE", r.text
    prefix = f"artifacts/{org.id}/{doc_id}/"
    assert sorted(r2_keys(edge, prefix)) == [prefix + "hocr", prefix + "preview-1.png"]
    # Deleted while processing: every artifact goes, later uploads are refused and leave nothing.
    assert requests.delete(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=30).status_code == 200
    assert r2_keys(edge, prefix) == []
    r = put("text", b"late")
    assert r.status_code == 409 and r.json()["error"]["code"] == "LEASE_LOST", r.text
    assert r2_keys(edge, prefix) == []


def test_completion_lists_exactly_the_uploaded_outputs(edge, tenant):
    _, key = tenant
    hc = edge.host("outputs-test-host")
    doc_id = submit(edge, key, scan_jpeg(), "scan.jpg", outputs="text,hocr").json()["data"]["id"]
    lid = hc.lease_doc(doc_id)["leaseId"]
    from harness.edge import processing_result
    assert hc.call("PUT", f"/internal/v1/leases/{lid}/artifacts/text", data="hello\f".encode()).status_code == 200
    done = {"result": processing_result(), "outputs": ["text"]}
    r = hc.call("POST", f"/internal/v1/leases/{lid}/complete", json=done)
    assert r.status_code == 200 and r.json()["status"] == "completed", r.text
    # A retried completion (its answer lost) finds the job gone; the outputs stay listed once.
    r = hc.call("POST", f"/internal/v1/leases/{lid}/complete", json=done)
    assert r.status_code == 409 and r.json()["error"]["code"] == "LEASE_LOST", r.text
    data = wait_final(edge, key, doc_id)
    assert data["outputs"] == [{"name": "text", "url": f"/v1/documents/{doc_id}/outputs/text",
                                "contentType": "text/plain; charset=utf-8", "fileName": "scan.txt", "size": 6}]
    r = download(edge, key, doc_id, "text")
    assert r.status_code == 200 and r.content == b"hello\f"
    # Asked for but not made: 404 with the precise code.
    r = download(edge, key, doc_id, "hocr")
    assert r.status_code == 404 and r.json()["error"]["code"] == "OUTPUT_NOT_FOUND", r.text


# -- with a real host -------------------------------------------------------------

@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="host-outputs") as h:
        yield h


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing: run scripts/setup")
def test_every_output_from_one_ocr_pass(edge, tenant, other_tenant, host, receiver):
    org, key = tenant
    jpeg = scan_jpeg()
    r = submit(edge, key, jpeg, "scan.jpg", outputs=",".join(ALL), webhookUrl=receiver.url)
    assert r.status_code == 202, r.text
    doc_id = r.json()["data"]["id"]
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "completed", data
    listed = {o["name"]: o for o in data["outputs"]}
    assert list(listed) == ALL
    expect = {"searchable-pdf": ("application/pdf", "scan.pdf"), "hocr": ("text/html; charset=utf-8", "scan.hocr"),
              "text": ("text/plain; charset=utf-8", "scan.txt"), "ocr-json": ("application/json", "scan.ocr.json")}
    got = {}
    for name, (ctype, fname) in expect.items():
        o = listed[name]
        assert o["url"] == f"/v1/documents/{doc_id}/outputs/{name}" and o["contentType"] == ctype and o["fileName"] == fname
        r = requests.get(edge.url(o["url"]), headers=key.headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == ctype
        assert r.headers["content-disposition"] == f"attachment; filename=\"{fname}\"; filename*=UTF-8''{fname}"
        assert len(r.content) == o["size"]
        got[name] = r.content
    # The webhook lists the same outputs.
    d = receiver.wait_for(lambda d: d.json.get("data", {}).get("id") == doc_id, timeout=60)
    assert d.json["data"]["outputs"] == data["outputs"]

    ocr_pages = json.loads(got["ocr-json"])
    words = [w["text"] for p in ocr_pages for line in p["lines"] for w in line["words"]]
    assert " ".join(words) == " ".join(LINES), words
    # Searchable PDF: poppler reads the OCR words on their boxes; the page image is the JPEG itself.
    assert_pdf_matches_ocr(got["searchable-pdf"], ocr_pages)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "s.pdf").write_bytes(got["searchable-pdf"])
        subprocess.run(["pdfimages", "-all", str(Path(tmp) / "s.pdf"), str(Path(tmp) / "img")], check=True)
        images = sorted(Path(tmp).glob("img-*"))
        assert [p.suffix for p in images] == [".jpg"] and images[0].read_bytes() == jpeg
    # hOCR 1.2.
    h = Hocr()
    h.feed(got["hocr"].decode())
    assert h.meta["ocr-capabilities"].split() == ["ocr_page", "ocr_line", "ocrx_word"] and h.meta["ocr-system"]
    assert [" ".join(line) for line in h.pages[0]] == LINES
    # Text: pages separated by form feeds.
    assert got["text"].decode() == "\f".join(p["text"] + "\n" for p in ocr_pages)

    # Organisation-scoped like every read.
    _, other = other_tenant
    r = download(edge, other, doc_id, "hocr")
    assert r.status_code == 404 and r.json()["error"]["code"] == "DOCUMENT_NOT_FOUND"
    r = download(edge, key, doc_id, "pdf")
    assert r.status_code == 404 and r.json()["error"]["code"] == "OUTPUT_NOT_FOUND"
    # Deleting the document deletes its outputs.
    prefix = f"artifacts/{org.id}/{doc_id}/"
    assert len(r2_keys(edge, prefix)) == 4
    assert requests.delete(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=30).status_code == 200
    assert r2_keys(edge, prefix) == []
    assert download(edge, key, doc_id, "text").json()["error"]["code"] == "DOCUMENT_NOT_FOUND"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing: run scripts/setup")
def test_scanned_pdf_and_veryfi_submission(edge, tenant, host):
    _, key = tenant
    import base64
    body = {"file_name": "statement.pdf", "file_data": base64.b64encode(scanned_pdf(2)).decode(), "async": True,
            "document_type": "generic", "outputs": ["searchable-pdf", "ocr-json"]}
    r = requests.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body, timeout=60)
    assert r.status_code in (200, 201, 202), r.text
    deadline = time.monotonic() + 180
    while True:
        v = requests.get(edge.url(f"/api/v8/partner/documents/{r.json()['id']}/"), headers=key.veryfi_headers, timeout=10).json()
        if v["status"] != "in_progress" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert v["status"] == "processed", v
    doc_id = v["meta"]["folio_id"]
    assert [o["name"] for o in v["outputs"]] == ["searchable-pdf", "ocr-json"]
    pdf = download(edge, key, doc_id, "searchable-pdf").content
    ocr_pages = json.loads(download(edge, key, doc_id, "ocr-json").content)
    assert len(ocr_pages) == 2 and all(p["lines"] for p in ocr_pages)
    assert_pdf_matches_ocr(pdf, ocr_pages)
    # No output asked for: none listed, 404 with the precise code.
    plain = submit(edge, key, scan_jpeg(), "plain.jpg").json()["data"]["id"]
    data = wait_final(edge, key, plain)
    assert "outputs" not in data
    r = download(edge, key, plain, "searchable-pdf")
    assert r.status_code == 404 and r.json() == {"success": False, "error": {
        "code": "OUTPUT_NOT_FOUND", "message": "The document has no searchable-pdf output (outputs are made when asked for at submission)"}}


def preview(edge, key, doc_id: str, n: int) -> requests.Response:
    return requests.get(edge.url(f"/v1/documents/{doc_id}/pages/{n}/preview"), headers=key.headers, timeout=30)


def test_pdf_and_tiff_pages_get_preview_rasters(edge, tenant, other_tenant, host):
    """Issue #16: the host stores a small PNG of every page of a PDF or TIFF
    (no output asked for: previews are always made); the preview route serves
    it with the page's aspect ratio, scoped and deleted like the document."""
    org, key = tenant
    tiff = io.BytesIO()
    imgs = [text_page([f"Sheet {i + 1}", "Delivery note 5521"]) for i in range(2)]
    imgs[0].save(tiff, "TIFF", save_all=True, append_images=imgs[1:], dpi=(300, 300))
    for name, content in (("statement.pdf", scanned_pdf(2)), ("notes.tiff", tiff.getvalue())):
        doc_id = submit(edge, key, content, name).json()["data"]["id"]
        data = wait_final(edge, key, doc_id)
        assert data["status"] == "completed", data
        meta = data["metadata"]["pages"]
        assert len(meta) == 2
        for n in (1, 2):
            r = preview(edge, key, doc_id, n)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "image/png" and r.headers["cache-control"] == "private, no-store"
            img = Image.open(io.BytesIO(r.content))
            assert img.format == "PNG" and max(img.size) <= 1200, img.size
            m = meta[n - 1]
            assert m["rotation"] == 0
            got, want = img.width / img.height, m["width"] / m["height"]
            assert abs(got / want - 1) < 0.02, (name, n, img.size, m)
            # About 100 DPI: a third of the 300 DPI OCR raster the boxes are in.
            assert abs(img.width * 3 / m["width"] - 1) < 0.05, (img.size, m)
        r = preview(edge, key, doc_id, 3)
        assert r.status_code == 404 and r.json() == {"success": False, "error": {
            "code": "PREVIEW_NOT_AVAILABLE", "message": "The document has 2 pages: it has no page 3"}}
        _, other = other_tenant
        r = preview(edge, other, doc_id, 1)
        assert r.status_code == 404 and r.json()["error"]["code"] == "DOCUMENT_NOT_FOUND", r.text
        # Never listed as outputs; deleted with the document.
        assert "outputs" not in data
        prefix = f"artifacts/{org.id}/{doc_id}/"
        assert sorted(r2_keys(edge, prefix)) == [prefix + "preview-1.png", prefix + "preview-2.png"]
        assert requests.delete(edge.url(f"/v1/documents/{doc_id}"), headers=key.headers, timeout=30).status_code == 200
        assert r2_keys(edge, prefix) == []
        assert preview(edge, key, doc_id, 1).json()["error"]["code"] == "DOCUMENT_NOT_FOUND"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing: run scripts/setup")
def test_ppocr_reading_makes_the_same_outputs(edge, tenant, host):
    _, key = tenant
    r = submit(edge, key, scan_jpeg(), "scan.jpg", ocrEngine="ppocr", outputs="searchable-pdf,ocr-json")
    assert r.status_code == 202, r.text
    doc_id = r.json()["data"]["id"]
    data = wait_final(edge, key, doc_id)
    assert data["status"] == "completed", data
    assert data["metadata"]["pages"][0]["ocrEngine"] == "ppocr"
    ocr_pages = json.loads(download(edge, key, doc_id, "ocr-json").content)
    assert " ".join(w["text"] for line in ocr_pages[0]["lines"] for w in line["words"]) == " ".join(LINES)
    assert_pdf_matches_ocr(download(edge, key, doc_id, "searchable-pdf").content, ocr_pages)
