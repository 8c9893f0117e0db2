"""The `language` parameter end to end (issue #12): real `wrangler dev`, a
real `folio work` host (Tesseract with the language's model, the built-in
extractor plugins), documents rendered by tests/languages/generate.py.

Gated on what is installed, never skipped for good:
- a language needs its Tesseract model in $FOLIO_DATA_DIR/tessdata (part A;
  the edge is started with LANGUAGES = the host's installed languages, as
  the issue has the edge follow the host);
- lists (`de,en`), three-letter codes and `auto` run once the edge accepts
  them (part A: a 400 UNSUPPORTED_LANGUAGE for them today skips);
- fr, lv and pl need locale-aware extraction (part B: the receipt plugin
  emits merchantTaxId); German already reads right without it.
"""

import base64
import json
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest import EDGE_VARS  # noqa: E402
from harness.edge import EdgeServer, free_port, wait_final  # noqa: E402
from harness.host import HostProcess  # noqa: E402
from languages import generate  # noqa: E402
from languages.gates import NEEDS_B, installed_languages, locale_extraction_merged  # noqa: E402

LANGS = ["de", "fr", "lv", "pl"]
NEEDS_B_TODAY = {"fr", "lv", "pl"}  # space/zero-width grouping, KOPĀ/SUMA/PVN labels, `09. 02. 2022` dates


@pytest.fixture(scope="module")
def edge():
    langs = installed_languages() or ["en"]
    with EdgeServer(vars={**EDGE_VARS, "LANGUAGES": ",".join(langs)}, name="e2e-lang", port=free_port()) as e:
        yield e


@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="host-lang") as h:
        yield h


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    if not generate.fonts_available():
        pytest.fail(f"DejaVu fonts missing in {generate.font_dir()}: run scripts/setup")
    d = tmp_path_factory.mktemp("lang-docs")
    out = {}
    for f in generate.generate(d, LANGS, invoices=1, receipts=1, seed=3):
        meta = json.loads(f.read_text())
        meta["bytes"] = (f.parent / meta["image"]).read_bytes()
        out[(meta["language"], meta["documentType"])] = meta
    return out


def gate(lang: str):
    if lang not in installed_languages():
        pytest.skip(f"no Tesseract model for {lang} on this host (part A of issue #12 installs it)")
    if lang in NEEDS_B_TODAY and not locale_extraction_merged():
        pytest.skip(NEEDS_B)


def submit(edge, key, doc: dict, language: str) -> requests.Response:
    return requests.post(edge.url("/v1/documents/process/async"), headers=key.headers,
                         files={"file": (doc["image"], doc["bytes"])},
                         data={"documentType": doc["documentType"], "language": language}, timeout=60)


def error(r: requests.Response) -> dict:
    body = r.json()
    assert body["success"] is False, body
    return body["error"]


def a_feature(r: requests.Response, what: str):
    """Skips while the edge refuses a part-A form of `language` (lists, ISO 639-2, auto)."""
    if r.status_code == 400 and error(r)["code"] == "UNSUPPORTED_LANGUAGE":
        pytest.skip(f"the edge refuses {what} (part A of issue #12): {error(r)['message']}")


def assert_invoice(data: dict, doc: dict):
    assert data["status"] == "completed", data
    got, want = data["extractedData"], doc["expected"]
    assert got.get("totalAmount") == pytest.approx(want["totalAmount"]), (got, want)
    assert got.get("invoiceDate") == want["invoiceDate"], (got, want)
    assert got.get("currency") == want["currency"], (got, want)


@pytest.mark.parametrize("lang", LANGS)
def test_docurift_invoice_in_language(edge, tenant, host, docs, lang):
    gate(lang)
    _, key = tenant
    doc = docs[(lang, "invoice")]
    r = submit(edge, key, doc, lang)
    assert r.status_code == 202, r.text
    assert_invoice(wait_final(edge, key, r.json()["data"]["id"]), doc)


@pytest.mark.parametrize("lang", LANGS)
def test_veryfi_receipt_in_language(edge, tenant, host, docs, lang):
    gate(lang)
    _, key = tenant
    doc = docs[(lang, "receipt")]
    body = {"file_name": doc["image"], "file_data": base64.b64encode(doc["bytes"]).decode(), "async": True,
            "document_type": "receipt", "language": lang}
    r = requests.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body, timeout=60)
    assert r.status_code == 200 or r.status_code == 201 or r.status_code == 202, r.text
    vid = r.json()["id"]
    deadline = time.monotonic() + 180
    while True:
        d = requests.get(edge.url(f"/api/v8/partner/documents/{vid}/"), headers=key.veryfi_headers, timeout=10).json()
        if d["status"] != "in_progress" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert d["status"] == "processed", d
    want = doc["expected"]
    assert d["total"] == pytest.approx(want["totalAmount"]), (d, want)
    assert (d.get("date") or "")[:10] == want["date"], (d, want)
    assert d["currency_code"] == want["currency"], (d, want)


def test_auto_detects_german(edge, tenant, host, docs):
    gate("de")
    _, key = tenant
    doc = docs[("de", "invoice")]
    r = submit(edge, key, doc, "auto")
    a_feature(r, "language=auto")
    assert r.status_code == 202, r.text
    data = wait_final(edge, key, r.json()["data"]["id"])
    assert data["metadata"].get("detectedLanguage") == "de", data["metadata"]
    assert_invoice(data, doc)


@pytest.mark.parametrize("language", ["de,en", "deu", "en,de"])
def test_lists_and_three_letter_codes(edge, tenant, host, docs, language):
    gate("de")
    _, key = tenant
    doc = docs[("de", "invoice")]
    r = submit(edge, key, doc, language)
    a_feature(r, f"language={language}")
    assert r.status_code == 202, r.text
    assert_invoice(wait_final(edge, key, r.json()["data"]["id"]), doc)


# 50 real ISO 639-1 codes: a list that long is refused whatever is installed.
FIFTY = ("af,ar,az,be,bg,bn,bs,ca,cs,cy,da,de,el,en,eo,es,et,eu,fa,fi,fr,ga,gl,gu,he,"
         "hi,hr,hu,hy,id,is,it,ja,ka,kk,km,kn,ko,lo,lt,lv,mk,ml,mn,mr,ms,mt,my,ne,nl")


@pytest.mark.parametrize("language,names", [
    ("xx", "xx"),      # not a language
    (",", None),       # an empty list
    (" , ,", None),
    (FIFTY, None),     # 50 languages in one list
    ("ja", "ja"),      # a real language whose model is not installed
])
def test_bad_language_is_a_precise_400(edge, tenant, docs, language, names):
    assert len(FIFTY.split(",")) == 50
    if language == "ja" and "ja" in installed_languages():
        pytest.skip("ja is installed on this host; the not-installed case needs a language that is not")
    _, key = tenant
    r = submit(edge, key, docs[("de", "invoice")], language)
    assert r.status_code == 400, r.text
    e = error(r)
    assert e["code"] == "UNSUPPORTED_LANGUAGE", e
    if names:
        assert names in e["message"], e
    if language == "ja":
        assert "en" in e["message"], f"names what is installed: {e}"
    # The same through the Veryfi endpoint.
    body = {"file_name": "r.png", "file_data": base64.b64encode(docs[("de", "receipt")]["bytes"]).decode(),
            "async": True, "language": language}
    r = requests.post(edge.url("/api/v8/partner/documents/"), headers=key.veryfi_headers, json=body, timeout=60)
    assert r.status_code == 400 and error(r)["code"] == "UNSUPPORTED_LANGUAGE", r.text


def test_missing_language_says_how_to_add_it(edge, tenant, docs):
    """Part A: the refusal of an existing but uninstalled language tells how to install it."""
    _, key = tenant
    probe = submit(edge, key, docs[("de", "invoice")], "de,en")
    a_feature(probe, "language lists")
    r = submit(edge, key, docs[("de", "invoice")], "ja")
    assert r.status_code == 400, r.text
    assert "--languages" in error(r)["message"] or "setup" in error(r)["message"], error(r)
