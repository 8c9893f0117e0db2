"""The generated multilingual set through the real host (`folio eval
languages`: real Tesseract, real extractor plugins), one invoice and one
receipt per language. The full set is scripts/bench-languages."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.host import folio_binary  # noqa: E402
from languages import generate, vat  # noqa: E402
from languages.gates import NEEDS_B, installed_languages, locale_extraction_merged  # noqa: E402

# The bar: every field >= 0.95 on clean renders.
BAR = 0.95
# Fields part B adds; English meets the bar on every other field today.
B_FIELDS = {"receipt.merchantTaxId"}


def test_vat_ids_have_valid_check_digits():
    # Published example numbers (tax authorities' / python-stdnum's documentation).
    for v in ["DE136695976", "FR40303265045", "IT00743110157", "ESB58378431", "NL004495445B01",
              "PL8567346215", "PT501964843", "LV40003521600", "GB980780684"]:
        assert vat.valid(v), v
        i = len(v) - (4 if v.startswith("NL") else 1)  # NL: the check digit precedes "B01"
        wrong = v[:i] + str((int(v[i]) + 1) % 10) + v[i + 1:]
        assert not vat.valid(wrong), wrong
    rng = random.Random(7)
    for cc, make in vat.MAKERS.items():
        for _ in range(50):
            v = make(rng)
            assert v.startswith(cc) and vat.valid(v), v


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    if not generate.fonts_available():
        pytest.fail(f"DejaVu fonts missing in {generate.font_dir()}: run scripts/setup")
    d = tmp_path_factory.mktemp("languages")
    files = generate.generate(d, generate.LANGUAGES, invoices=1, receipts=1, seed=1)
    again = generate.generate(tmp_path_factory.mktemp("again"), ["lv"], invoices=1, receipts=1, seed=1)
    assert again[0].read_text() == (d / "lv" / again[0].name).read_text(), "same seed, same documents"
    assert len(files) == 2 * len(generate.LANGUAGES)
    out = subprocess.run([str(folio_binary()), "eval", "languages", str(d), "--json", "-"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    print(out.stderr)  # the tables, shown when a test fails
    return json.loads(out.stdout)


@pytest.mark.parametrize("lang", generate.LANGUAGES)
def test_language_meets_the_bar(evaluated, lang):
    summary = evaluated["languages"][lang]
    if lang not in installed_languages():
        pytest.skip(f"no Tesseract model for {lang} installed (part A of issue #12: scripts/setup installs it)")
    # An installed language never fails a document, whatever part B's state.
    assert summary["failedDocuments"] == 0, summary["errors"]
    b_merged = locale_extraction_merged()
    if lang != "en" and not b_merged:
        pytest.skip(NEEDS_B)
    below = {f: c for f, c in summary["fields"].items()
             if c["accuracy"] < BAR and (b_merged or f not in B_FIELDS)}
    misses = [m for m in evaluated["misses"] if m["language"] == lang]
    assert not below, f"{lang}: fields under {BAR}: {below}\nmisses: {json.dumps(misses, ensure_ascii=False, indent=1)}"
