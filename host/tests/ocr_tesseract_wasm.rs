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

fn data_dir() -> PathBuf {
    folio_host::config::data_dir()
}

#[test]
fn missing_assets_say_how_to_get_them() {
    let tmp = std::env::temp_dir().join(format!("folio-ocr-missing-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let err = TesseractWasm::new(&tmp.join("tesseract-core.wasm"), &data_dir().join("tessdata"), None, WasmLimits::default())
        .err()
        .expect("missing module");
    assert!(err.to_string().contains("tesseract-core.wasm"), "{err}");
    let err = TesseractWasm::new(&data_dir().join("tesseract-core.wasm"), &tmp, None, WasmLimits::default()).err().expect("missing models");
    assert!(err.to_string().contains("scripts/setup"), "{err}");
    assert_eq!(err.to_api_error().code, folio_core::ErrorCode::InternalError);
}

#[test]
fn another_emscripten_build_is_refused_by_name() {
    // A module importing a.zz, which the pinned build does not have.
    let wasm: &[u8] = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x08\x01\x01a\x02zz\0\0";
    let tmp = std::env::temp_dir().join(format!("folio-ocr-other-{}.wasm", std::process::id()));
    std::fs::write(&tmp, wasm).unwrap();
    let err = TesseractWasm::new(&tmp, &data_dir().join("tessdata"), None, WasmLimits::default()).err().expect("refused");
    assert!(err.to_string().contains("unknown import a.zz"), "{err}");
}

#[test]
fn compiled_module_is_cached_and_a_corrupt_cache_is_replaced() {
    let cache = std::env::temp_dir().join(format!("folio-ocr-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let wasm = data_dir().join("tesseract-core.wasm");
    let tessdata = data_dir().join("tessdata");
    TesseractWasm::new(&wasm, &tessdata, Some(&cache), WasmLimits::default()).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].file_name().unwrap().to_string_lossy().ends_with(".cwasm"));
    let good = std::fs::metadata(&files[0]).unwrap().len();
    std::fs::write(&files[0], b"not a compiled module").unwrap();
    let engine = EnginePool::new(TesseractWasm::new(&wasm, &tessdata, Some(&cache), WasmLimits::default()).unwrap(), 1);
    assert_eq!(std::fs::metadata(&files[0]).unwrap().len(), good);
    // And the recompiled module works.
    let page = image::imageops::crop_imm(&gray("invoice-300.png"), 200, 200, 900, 150).to_image();
    let lines = engine.recognize(&page, &OcrParams::new("en", Some(300), OcrProfile::Document)).unwrap();
    assert!(lines.iter().any(|l| l.text.contains("Nordwind")), "{lines:?}");
    let _ = std::fs::remove_dir_all(&cache);
}
