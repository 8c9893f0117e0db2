//! The default OCR engine (tesseract-wasm in wasmtime) on real pages.
//! Needs the assets from `scripts/setup` ($FOLIO_DATA_DIR).

use folio_host::ocr::pool::EnginePool;
use folio_host::ocr::tesseract_wasm::{TesseractWasm, WasmLimits};
use folio_host::ocr::{GrayImage, OcrEngine, OcrParams, OcrProfile, word_recall};
use std::path::PathBuf;
use std::sync::OnceLock;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/prototypes/tesseract-wasm-shim/testdata").join(name)
}

/// One engine per test binary: instances are reused across tests like in the host.
fn engine() -> &'static EnginePool<TesseractWasm> {
    static ENGINE: OnceLock<EnginePool<TesseractWasm>> = OnceLock::new();
    ENGINE.get_or_init(|| EnginePool::new(TesseractWasm::from_data_dir(WasmLimits::default()).expect("OCR assets (run scripts/setup)"), 2))
}

fn gray(name: &str) -> GrayImage {
    image::open(testdata(name)).expect("test image").to_luma8()
}

#[test]
fn invoice_page_word_recall_is_at_least_99_percent() {
    let lines = engine().recognize(&gray("invoice-300.png"), &OcrParams::new("en", Some(300), OcrProfile::Document)).unwrap();
    let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
    let gt = std::fs::read_to_string(testdata("invoice.gt.txt")).unwrap();
    let recall = word_recall(&gt, &text);
    println!("{text}\nrecall {recall:.4}");
    assert!(recall >= 0.99, "word recall {recall:.4} < 0.99\n{text}");
}
