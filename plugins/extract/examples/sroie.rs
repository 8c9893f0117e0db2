//! Native extraction-only harness over an SROIE-style folder, driven by the
//! ground-truth lines in `box/` (no OCR, no wasm): fast iteration on the
//! receipt extractor. `folio eval sroie` is the product command.
//!
//!     cargo run -p folio-extract --example sroie -- ../shared/datasets/sroie-dev [-v]

use folio_extract::eval::{Expected, FIELDS, Predicted, Tally, document_from_box_lines, parse_box_lines, score};
use folio_extract::extract_receipt;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().map(String::as_str).unwrap_or("../shared/datasets/sroie-dev"));
    let verbose = args.iter().any(|a| a == "-v");
    let only: Option<&str> = args.iter().find_map(|a| a.strip_prefix("--field="));
    // `--doc=NNN`: dump that document's rows, labelled summary lines and fields.
    if let Some(doc_name) = args.iter().find_map(|a| a.strip_prefix("--doc=")) {
        let csv = std::fs::read_to_string(dir.join("box").join(format!("{doc_name}.csv"))).unwrap();
        let doc = document_from_box_lines(parse_box_lines(&csv));
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
    for name in &names {
        let key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("key").join(format!("{name}.json"))).unwrap()).unwrap();
        let get = |k: &str| key.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let expected = Expected { company: get("company"), date: get("date"), address: get("address"), total: get("total") };
        let Ok(csv) = std::fs::read_to_string(dir.join("box").join(format!("{name}.csv"))) else { continue };
        let doc = document_from_box_lines(parse_box_lines(&csv));
        let t = Instant::now();
        let extraction = extract_receipt(&doc).unwrap();
        slowest = slowest.max(t.elapsed().as_micros());
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
    println!("documents: {}  (slowest extraction {} µs)", tally.documents, slowest);
    for (i, f) in FIELDS.iter().enumerate() {
        println!("{f:8} {:.3} ({}/{})", tally.accuracy(i), tally.correct[i], tally.documents);
    }
}
