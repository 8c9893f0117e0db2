#!/usr/bin/env python3
"""Folio's PP-OCR engine against the reference Python implementation, side by side.

Both read the same receipts with the same PP-OCRv4 models, each pinned to a
core of its own (taskset) and started together, model loading included once:

- Folio:     `folio process --ocr-only --ocr-engine ppocr --type receipt --jobs 1 IMAGES...`
             (the whole product path: input stage, page orientation, detection,
             direction classifier, recognition, layout), on core 0;
- reference: `rapidocr-onnxruntime==1.4.4` (ONNX Runtime) with its default
             settings, `RapidOCR()(path)` per image, on core 1.

Prints wall time and peak RSS of each process, their ratio, and how much of
the reference's text Folio also read (word recall, order-free), then writes
a JSON summary. Run through `scripts/bench-ppocr`, which installs the reference
into a virtualenv of its own (pinned in tests/bench/requirements-ppocr.txt).

Usage: ppocr_vs_reference.py --folio BIN --python VENV_PYTHON [--limit 20] [--json out.json] DIR
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REFERENCE = r"""
import json, sys, time
t0 = time.perf_counter()
from rapidocr_onnxruntime import RapidOCR
engine = RapidOCR()
loaded = time.perf_counter() - t0
out = []
for path in sys.argv[1:]:
    t = time.perf_counter()
    result, _ = engine(path)
    out.append({"image": path, "seconds": time.perf_counter() - t,
                "lines": [r[1] for r in (result or [])]})
json.dump({"loadSeconds": loaded, "images": out}, sys.stdout)
"""


def words(lines):
    return Counter(w for line in lines for w in line.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path, help="SROIE-style folder with img/")
    ap.add_argument("--folio", required=True)
    ap.add_argument("--python", required=True, help="python of the venv with rapidocr-onnxruntime")
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--json", type=Path, default=Path("bench-ppocr.json"))
    args = ap.parse_args()

    images = sorted(p for p in (args.dir / "img").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[: args.limit]
    if not images:
        sys.exit(f"no images in {args.dir / 'img'}")
    if (os.cpu_count() or 1) < 2:
        sys.exit("needs two cores: one for each side")

    env = dict(os.environ, RTEN_NUM_THREADS="1", OMP_NUM_THREADS="1")
    folio_argv = [args.folio, "process", "--ocr-only", "--ocr-engine", "ppocr", "--type", "receipt", "--jobs", "1", *map(str, images)]
    ref_argv = [args.python, "-c", REFERENCE, *map(str, images)]

    # Side by side: both start now, each on its own core, each measured by wait4.
    procs = {}
    for name, core, argv in (("folio", 0, folio_argv), ("reference", 1, ref_argv)):
        out_path = Path(f"/tmp/bench-ppocr-{name}-{os.getpid()}.out")
        err_path = Path(f"/tmp/bench-ppocr-{name}-{os.getpid()}.err")
        out_f, err_f = open(out_path, "wb"), open(err_path, "wb")
        p = subprocess.Popen(["taskset", "-c", str(core), *argv], stdout=out_f, stderr=err_f, env=env)
        procs[p.pid] = {"name": name, "start": time.perf_counter(), "out": out_path, "err": err_path, "files": (out_f, err_f)}
    results = {}
    while procs:
        pid, status, ru = os.wait4(-1, 0)
        if pid not in procs:
            continue
        info = procs.pop(pid)
        wall = time.perf_counter() - info["start"]
        for f in info["files"]:
            f.close()
        out, err = info["out"].read_text(), info["err"].read_text()
        info["out"].unlink()
        info["err"].unlink()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{info['name']} failed ({status}):\n{err[-3000:]}")
        results[info["name"]] = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peakRssMiB": ru.ru_maxrss / 1024, "stdout": out}

    # Folio prints one JSON document per line (a file each); the reference one JSON object.
    folio_docs = [json.loads(line) for line in results["folio"]["stdout"].splitlines() if line.strip()]
    folio_lines = []
    for doc in folio_docs:
        pages = ((doc.get("data") or doc).get("ocr") or [])
        folio_lines.append([line["text"] for page in pages for line in page["lines"]])
    ref = json.loads(results["reference"]["stdout"])
    ref_lines = [img["lines"] for img in ref["images"]]
    def recall(split):
        hit = total = 0
        for mine, theirs in zip(folio_lines, ref_lines):
            have, want = split(mine), split(theirs)
            hit += sum(min(n, have[w]) for w, n in want.items())
            total += sum(want.values())
        return hit / total if total else 1.0
    # Words differ where Folio splits words the model ran together; characters
    # (spaces ignored) say whether the same text was read.
    agreement = recall(words)
    char_agreement = recall(lambda lines: Counter(c for line in lines for c in line if not c.isspace()))

    f, r = results["folio"], results["reference"]
    ratio = f["wall"] / r["wall"]
    print(f"{len(images)} receipts from {args.dir / 'img'}, one core each, side by side, model loading included")
    print(f"  {'':<26} {'wall s':>8} {'CPU s':>8} {'peak RSS MiB':>13}")
    print(f"  {'Folio PP-OCR (rten)':<26} {f['wall']:>8.2f} {f['cpu']:>8.2f} {f['peakRssMiB']:>13.0f}")
    print(f"  {'rapidocr-onnxruntime 1.4.4':<26} {r['wall']:>8.2f} {r['cpu']:>8.2f} {r['peakRssMiB']:>13.0f}")
    print(f"  wall-time ratio Folio / reference: {ratio:.2f}  (target <= 1.0)")
    print(f"  reference words also read by Folio: {agreement:.1%}; characters (spaces ignored): {char_agreement:.1%}")
    summary = {
        "images": len(images),
        "folio": {k: f[k] for k in ("wall", "cpu", "peakRssMiB")},
        "reference": {k: r[k] for k in ("wall", "cpu", "peakRssMiB")} | {"loadSeconds": ref["loadSeconds"]},
        "wallRatio": ratio,
        "referenceWordsReadByFolio": agreement,
        "referenceCharactersReadByFolio": char_agreement,
    }
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"JSON summary: {args.json}")


if __name__ == "__main__":
    main()
