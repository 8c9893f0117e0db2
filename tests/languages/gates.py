"""What the installed stack can do, for gating the multilingual tests on the
parts of issue #12 that are not merged yet, from what is installed (never a
hard-coded skip):

- part A (OCR language data, the `language` API): a language is usable when
  its Tesseract model is in $FOLIO_DATA_DIR/tessdata; the edge's own answer
  decides lists, three-letter codes and `auto` (tests/e2e/test_languages.py);
- part B (locale-aware extraction): the built-in receipt plugin emits
  `merchantTaxId`, the field part B adds (its name is in the component).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


def data_dir() -> Path:
    return Path(os.environ.get("FOLIO_DATA_DIR", Path.home() / ".cache/folio/data"))


def installed_languages() -> list[str]:
    """ISO 639-1 codes the host can read: `folio languages`, the one owner of
    that answer (the same list the edge's LANGUAGES follows)."""
    from harness.edge import installed_languages as host_languages

    csv = host_languages()
    return sorted(c for c in (csv or "").split(",") if c)


def plugins_dir() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/folio/target"))
    return Path(os.environ.get("FOLIO_BUILTIN_PLUGINS", target / "wasm32-wasip2/release"))


def locale_extraction_merged() -> bool:
    """Part B is in the built receipt plugin."""
    p = plugins_dir() / "folio_plugin_receipt.wasm"
    return p.is_file() and b"merchantTaxId" in p.read_bytes()


NEEDS_B = "part B of issue #12 (locale-aware extraction) is not in the built receipt plugin (no merchantTaxId)"
