//! Native extraction-only harness over an SROIE-style folder, driven by the
//! ground-truth lines in `box/` (no OCR, no wasm): fast iteration on the
//! receipt extractor. `folio eval sroie` is the product command.
//!
//!     cargo run -p folio-extract --example sroie -- ../shared/datasets/sroie-dev [-v] [--field=total]
//!         [--doc=NNN] [--ocr=DIR]   (DIR: pages dumped by `folio eval sroie --dump-ocr DIR`)

use folio_extract::eval::{Expected, FIELDS, Predicted, Tally, document_from_box_lines, parse_box_lines, score};
use folio_extract::model::{BBox, Line, Word};

/// Lines of a page dumped by `folio eval sroie --dump-ocr` (the host's JSON model).
fn ocr_lines(json: &str) -> Vec<Line> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let bbox = |b: &serde_json::Value| {
        let f = |k: &str| b[k].as_f64().unwrap_or(0.0) as f32;
        BBox::new(f("left"), f("top"), f("width"), f("height"))
    };
    v["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| Line {
            text: l["text"].as_str().unwrap_or("").to_string(),
            bbox: bbox(&l["bbox"]),
            confidence: l["confidence"].as_f64().unwrap_or(0.0) as f32,
            words: l["words"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|w| Word {
                    text: w["text"].as_str().unwrap_or("").to_string(),
                    bbox: bbox(&w["bbox"]),
                    confidence: w["confidence"].as_f64().unwrap_or(0.0) as f32,
                })
                .collect(),
        })
        .collect()
}

/// The document for `name`: from `--ocr=DIR` dumps when given, else from box/.
fn load(dir: &std::path::Path, ocr: Option<&str>, name: &str) -> Option<folio_extract::Document> {
    match ocr {
        Some(o) => {
            Some(document_from_box_lines(ocr_lines(&std::fs::read_to_string(std::path::Path::new(o).join(format!("{name}.json"))).ok()?)))
        }
        None => Some(document_from_box_lines(parse_box_lines(&std::fs::read_to_string(dir.join("box").join(format!("{name}.csv"))).ok()?))),
    }
}
use folio_extract::extract_receipt;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().map(String::as_str).unwrap_or("../shared/datasets/sroie-dev"));
    let verbose = args.iter().any(|a| a == "-v");
    let only: Option<&str> = args.iter().find_map(|a| a.strip_prefix("--field="));
    let ocr: Option<&str> = args.iter().find_map(|a| a.strip_prefix("--ocr="));
    // `--doc=NNN`: dump that document's rows, labelled summary lines and fields.
    if let Some(doc_name) = args.iter().find_map(|a| a.strip_prefix("--doc=")) {
        let doc = load(&dir, ocr, doc_name).expect("document");
        let ctx = folio_extract::context::Context::new(&doc);
        for (i, r) in ctx.rows.iter().enumerate() {
            println!("{i:3} [{:5.0}-{:5.0}] {}", r.bbox.top, r.bbox.bottom(), r.text);
        }
        for l in folio_extract::totals::classify(&ctx) {
            println!("row {:3} {:?} {:?} value={:?} multi={}", l.row, l.role, l.label, l.value.map(|v| v.amount.value), l.multi);
        }
        let e = extract_receipt(&doc).unwrap();
        for f in &e.fields {
            println!("{:16} {:?} ({:.2})", f.key, f.value, f.confidence);
        }
        for t in &e.tables {
            for r in &t.rows {
                println!("  item {:?}", r.cells);
            }
        }
        println!("confidence {:.2} warnings {:?}", e.confidence, e.warnings);
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.join("key"))
        .expect("key/ directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    let mut tally = Tally::default();
    let mut slowest = 0u128;
    let mut slowest_name = String::new();
    for name in &names {
        let key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("key").join(format!("{name}.json"))).unwrap()).unwrap();
        let get = |k: &str| key.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let expected = Expected { company: get("company"), date: get("date"), address: get("address"), total: get("total") };
        let Some(doc) = load(&dir, ocr, name) else { continue };
        // Best of three runs: the timing of the extraction, not of the machine.
        let mut best = u128::MAX;
        let mut extraction = None;
        for _ in 0..3 {
            let t = Instant::now();
            extraction = Some(extract_receipt(&doc).unwrap());
            best = best.min(t.elapsed().as_micros());
        }
        let extraction = extraction.unwrap();
        if best > slowest {
            slowest = best;
            slowest_name = name.clone();
        }
        let predicted = Predicted::from_extraction(&extraction);
        let s = score(&expected, &predicted);
        tally.add(s);
        if verbose {
            for (i, f) in FIELDS.iter().enumerate() {
                if !s[i] && only.is_none_or(|o| o == *f) {
                    println!("{name} {f:8} want {:?}\n{:21}got  {:?}", expected.field(f), "", predicted.field(f));
                }
            }
        }
    }
    println!("documents: {}  (slowest extraction {} µs: {slowest_name})", tally.documents, slowest);
    for (i, f) in FIELDS.iter().enumerate() {
        println!("{f:8} {:.3} ({}/{})", tally.accuracy(i), tally.correct[i], tally.documents);
    }
}
