//! The PP-OCR engine (PP-OCRv4 ONNX models in `rten`) on real pages: word
//! recall on the invoice scan, receipt rows kept whole, pages at 90°/180°/270°
//! turned upright for both engines, `auto` choosing per document type, and bad
//! input (empty, noise, a 1×10000 strip, a 100 MP page, a deadline) answered
//! with an empty result or a clear error, never a panic.
//! Needs the assets from `scripts/setup` (models in `<data dir>/ppocr`).

use folio_core::{ErrorCode, OcrEngineChoice};
use folio_host::input::RasterPage;
use folio_host::ocr::Rotation;
use folio_host::ocr::pool::EnginePool;
use folio_host::ocr::ppocr::orientation::detect_rotation;
use folio_host::ocr::ppocr::{PpOcr, PpOcrLimits};
use folio_host::ocr::{GrayImage, OcrEngine, OcrError, OcrParams, OcrProfile, word_recall};
use folio_host::pipeline::{EngineKind, EnginePlan, Pipeline, ProcessOptions, default_ocr_pool, default_ppocr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/prototypes/tesseract-wasm-shim/testdata").join(name)
}

fn receipt(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receipts/img").join(name)
}

fn gray(path: PathBuf) -> GrayImage {
    image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_luma8()
}

fn pipeline() -> Pipeline {
    Pipeline::new(default_ocr_pool().expect("OCR assets (run scripts/setup)"), None, 2)
        .with_ppocr(default_ppocr().expect("PP-OCR models (run scripts/setup)"))
}

fn text_of(lines: &[folio_host::model::Line]) -> String {
    lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
}

fn raster(image: GrayImage, dpi: u32) -> RasterPage {
    RasterPage { image, dpi, dpi_known: true }
}

fn params() -> OcrParams {
    OcrParams::new("en", None, OcrProfile::Receipt)
}

#[test]
fn invoice_scan_is_read_with_words_and_boxes() {
    let ppocr = default_ppocr().unwrap();
    let image = gray(shared("invoice-300.png"));
    let lines = ppocr.engine.recognize(&image, &OcrParams::new("en", Some(300), OcrProfile::Document)).unwrap();
    let text = text_of(&lines);
    let recall = word_recall(&std::fs::read_to_string(shared("invoice.gt.txt")).unwrap(), &text);
    println!("{text}\nPP-OCR word recall {recall:.4}");
    assert!(recall >= 0.9, "PP-OCR word recall {recall:.4}\n{text}");
    let (w, h) = image.dimensions();
    for line in &lines {
        assert!(!line.words.is_empty());
        for word in &line.words {
            assert!(!word.text.contains(' '), "{:?}", word.text);
            assert!(word.bbox.left >= 0.0 && word.bbox.right() <= w as f32 + 1.0 && word.bbox.bottom() <= h as f32 + 1.0, "{word:?}");
            assert!(word.bbox.width > 0.0 && word.bbox.height > 0.0, "{word:?}");
            assert!((0.0..=1.0).contains(&word.confidence));
        }
        // Words left to right within their line.
        for pair in line.words.windows(2) {
            assert!(pair[0].bbox.left <= pair[1].bbox.left + 1.0, "{line:?}");
        }
    }
}

#[test]
fn default_settings_keep_the_invoice_at_99_percent_word_recall() {
    // ocrEngine auto on an invoice: the engine auto picks must keep the recall.
    let p = pipeline();
    let plan = p.engine_for(OcrEngineChoice::Auto, "en", OcrProfile::Document).unwrap();
    let page = p.recognize(1, &raster(gray(shared("invoice-300.png")), 300), "en", OcrProfile::Document, plan).unwrap();
    let recall = word_recall(&std::fs::read_to_string(shared("invoice.gt.txt")).unwrap(), &page.text);
    assert!(recall >= 0.99, "auto ({plan:?}) word recall {recall:.4}");
    assert_eq!(page.ocr.as_ref().unwrap().rotation, 0);
}

#[test]
fn receipt_label_and_amount_share_a_line() {
    let ppocr = default_ppocr().unwrap();
    for name in ["001.png", "002.png", "003.png"] {
        let lines = ppocr.engine.recognize(&gray(receipt(name)), &params()).unwrap();
        let text = text_of(&lines);
        let total = lines
            .iter()
            .find(|l| ["TOTAL", "SUMME"].iter().any(|label| l.text.to_uppercase().contains(label)))
            .unwrap_or_else(|| panic!("{name}: no total line\n{text}"));
        assert!(total.text.chars().any(|c| c.is_ascii_digit()), "{name}: the total's amount is on another line:\n{text}");
    }
}

#[test]
fn auto_plans_by_document_type_and_language() {
    let p = pipeline();
    let plan = |choice, language, profile| p.engine_for(choice, language, profile);
    assert_eq!(plan(OcrEngineChoice::Auto, "en", OcrProfile::Receipt).unwrap(), EnginePlan::TesseractUnlessUnsure);
    assert_eq!(plan(OcrEngineChoice::Auto, "en", OcrProfile::Document).unwrap(), EnginePlan::Only(EngineKind::Tesseract));
    assert_eq!(plan(OcrEngineChoice::Tesseract, "en", OcrProfile::Receipt).unwrap(), EnginePlan::Only(EngineKind::Tesseract));
    assert_eq!(plan(OcrEngineChoice::Ppocr, "en", OcrProfile::Document).unwrap(), EnginePlan::Only(EngineKind::Ppocr));
    // A language PP-OCR cannot read: auto falls back, an explicit ppocr is refused by name.
    assert_eq!(plan(OcrEngineChoice::Auto, "de", OcrProfile::Receipt).unwrap(), EnginePlan::Only(EngineKind::Tesseract));
    let err = plan(OcrEngineChoice::Ppocr, "de", OcrProfile::Receipt).unwrap_err();
    assert_eq!(err.code, ErrorCode::UnsupportedLanguage);
    assert!(err.message.contains("ppocr") && err.message.contains("tesseract"), "{}", err.message);
    // Without the models, auto still works (Tesseract) and ppocr says why not.
    let bare = Pipeline::new(default_ocr_pool().unwrap(), None, 1);
    assert_eq!(bare.engine_for(OcrEngineChoice::Auto, "en", OcrProfile::Receipt).unwrap(), EnginePlan::Only(EngineKind::Tesseract));
    assert!(bare.engine_for(OcrEngineChoice::Ppocr, "en", OcrProfile::Receipt).unwrap_err().message.contains("scripts/setup"));
}

/// The clean receipt as a worn, blurred, low-contrast photo of it.
fn worn_photo(clean: &GrayImage) -> GrayImage {
    let small = image::imageops::resize(clean, clean.width() * 2 / 3, clean.height() * 2 / 3, image::imageops::FilterType::Triangle);
    let blurred = image::imageops::blur(&small, 1.2);
    let mut seed = 0x9E3779B97F4A7C15u64;
    GrayImage::from_fn(blurred.width(), blurred.height(), |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed >> 59) as i32 - 16;
        let v = 70 + blurred.get_pixel(x, y).0[0] as i32 * 150 / 255 + noise;
        image::Luma([v.clamp(0, 255) as u8])
    })
}

#[test]
fn processing_reports_the_engine_of_each_page() {
    let p = pipeline();
    let clean = std::fs::read(receipt("001.png")).unwrap();
    let mut worn = Vec::new();
    worn_photo(&gray(receipt("001.png"))).write_to(&mut std::io::Cursor::new(&mut worn), image::ImageFormat::Png).unwrap();
    let cases = [
        (OcrEngineChoice::Auto, &clean, "tesseract"),
        (OcrEngineChoice::Auto, &worn, "ppocr"),
        (OcrEngineChoice::Tesseract, &worn, "tesseract"),
        (OcrEngineChoice::Ppocr, &clean, "ppocr"),
    ];
    for (choice, bytes, engine) in cases {
        let options = ProcessOptions { document_type: "receipt".into(), ocr_engine: choice, ..ProcessOptions::default() };
        let (doc, _) = p.read_document("doc_t", bytes.clone(), &options).unwrap();
        let reading = doc.pages[0].ocr.as_ref().expect("OCR'd page says how");
        assert_eq!(reading.engine, engine, "{choice}: {}", doc.pages[0].text);
        assert!(doc.pages[0].text.contains("MAJU"), "{choice}: {}", doc.pages[0].text);
    }
}

/// Turning the page by `degrees` clockwise, every engine still reads it upright.
#[test]
fn turned_pages_come_out_upright_for_both_engines() {
    let p = pipeline();
    let upright = gray(shared("invoice-300.png"));
    let gt = std::fs::read_to_string(shared("invoice.gt.txt")).unwrap();
    for turn in [Rotation::Cw90, Rotation::Cw180, Rotation::Cw270] {
        let turned = turn.apply(&upright);
        let fix = detect_rotation(&p.ppocr().unwrap().models, &turned).unwrap();
        assert_eq!((turn.degrees() + fix.degrees()) % 360, 0, "turned {} found {}", turn.degrees(), fix.degrees());
        // Tesseract, the costlier check, once on the 180° page.
        let engines: &[EngineKind] =
            if turn == Rotation::Cw180 { &[EngineKind::Ppocr, EngineKind::Tesseract] } else { &[EngineKind::Ppocr] };
        for &engine in engines {
            let page = p.recognize(1, &raster(turned.clone(), 300), "en", OcrProfile::Document, EnginePlan::Only(engine)).unwrap();
            assert_eq!((page.width as u32, page.height as u32), upright.dimensions(), "{engine:?} {}", turn.degrees());
            assert_eq!(page.ocr.as_ref().unwrap().rotation, fix.degrees());
            let recall = word_recall(&gt, &page.text);
            assert!(recall >= 0.9, "{engine:?} on the page turned {}°: recall {recall:.3}", turn.degrees());
        }
    }
    // And an upright receipt is left alone.
    assert_eq!(detect_rotation(&p.ppocr().unwrap().models, &gray(receipt("002.png"))).unwrap(), Rotation::None);
}

#[test]
fn bad_pages_give_empty_results_or_clear_errors() {
    let ppocr = default_ppocr().unwrap();
    let models = ppocr.models.clone();
    // Blank, and tiny.
    assert!(ppocr.engine.recognize(&GrayImage::from_pixel(800, 1000, image::Luma([255])), &params()).unwrap().is_empty());
    assert!(ppocr.engine.recognize(&GrayImage::from_pixel(1, 1, image::Luma([0])), &params()).unwrap().is_empty());
    // A 1x10000 strip and a 10000x1 one.
    assert!(ppocr.engine.recognize(&GrayImage::from_pixel(1, 10_000, image::Luma([0])), &params()).unwrap().is_empty());
    assert!(ppocr.engine.recognize(&GrayImage::from_pixel(10_000, 1, image::Luma([0])), &params()).unwrap().len() <= 1);
    // Noise: whatever it reads, it finishes.
    let mut seed = 0x2545F4914F6CDD1Du64;
    let noise = GrayImage::from_fn(600, 800, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        image::Luma([(seed >> 56) as u8])
    });
    ppocr.engine.recognize(&noise, &params()).unwrap();
    assert_eq!(detect_rotation(&models, &noise).unwrap(), Rotation::None);
    // 100 megapixels: detection works on a bounded copy, so time and memory stay bounded.
    let huge = GrayImage::from_pixel(10_000, 10_000, image::Luma([255]));
    let started = Instant::now();
    assert!(ppocr.engine.recognize(&huge, &params()).unwrap().is_empty());
    println!("100 MP blank page: {:?}", started.elapsed());
    // A deadline fails the page with the engine's error, and the pool recovers.
    let strict = EnginePool::new(PpOcr::new(models, PpOcrLimits { page_deadline: Duration::from_millis(1), ..PpOcrLimits::default() }), 1);
    let err = strict.recognize(&gray(receipt("001.png")), &params()).unwrap_err();
    assert!(matches!(err, OcrError::DeadlineExceeded(_)), "{err:?}");
    assert_eq!(err.to_api_error().code, ErrorCode::OcrFailed);
    let _ = Arc::new(strict);
}
