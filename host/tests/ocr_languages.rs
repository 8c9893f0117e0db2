//! OCR in the document's language: a German page rendered here (Pillow and
//! DejaVu Sans, whose glyphs cover ä ö ü ß: Pillow's built-in font has none)
//! is read with `deu` and keeps its
//! umlauts and ß; `auto` detects German from an English first pass and reads
//! the page again with `deu`; lists and PP-OCR's English-only alphabet.
//! Needs `scripts/setup` (the default language set includes German).

use folio_core::{ErrorCode, OcrEngineChoice};
use folio_host::model::Document;
use folio_host::pipeline::{Pipeline, ProcessOptions};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const GERMAN: &[&str] = &[
    "Rechnung Nr. 2024-117 vom 14. März 2024",
    "Lieferadresse: Hauptstraße 12, 80331 München",
    "Größe der Lieferung: drei Kartons, Gewicht 14 kg",
    "Zahlbar innerhalb von vierzehn Tagen ohne Abzug.",
    "Gesamtbetrag einschließlich Mehrwertsteuer: 1.234,56 EUR",
    "Vielen Dank für Ihren Auftrag und freundliche Grüße.",
];

/// DejaVu Sans: `$FOLIO_TEST_FONT`, else the copy `scripts/setup` pins into
/// `<data dir>/fonts` (Debian's fonts-dejavu-core, unpacked, not installed).
fn font() -> PathBuf {
    let path = std::env::var_os("FOLIO_TEST_FONT")
        .map(PathBuf::from)
        .unwrap_or_else(|| folio_host::config::data_dir().join("fonts/DejaVuSans.ttf"));
    assert!(path.is_file(), "{} missing: run scripts/setup, or set FOLIO_TEST_FONT to a TTF with umlauts", path.display());
    path
}

/// A 300 DPI page with `lines` in DejaVu Sans, as PNG bytes.
fn render(lines: &[&str]) -> Vec<u8> {
    let out = std::env::temp_dir().join(format!("folio-ocr-languages-{}.png", std::process::id()));
    let script = r#"
import sys
from PIL import Image, ImageDraw, ImageFont
lines = sys.argv[3:]
img = Image.new("L", (2200, 140 + 90 * len(lines)), 255)
draw = ImageDraw.Draw(img)
font = ImageFont.truetype(sys.argv[2], size=48)
for i, line in enumerate(lines):
    draw.text((80, 80 + 90 * i), line, fill=0, font=font)
img.save(sys.argv[1], dpi=(300, 300))
"#;
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&out)
        .arg(font())
        .args(lines)
        .status()
        .expect("python3 (scripts/setup installs Pillow)");
    assert!(status.success(), "rendering with Pillow failed");
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

fn german_page() -> Vec<u8> {
    static PAGE: OnceLock<Vec<u8>> = OnceLock::new();
    PAGE.get_or_init(|| render(GERMAN)).clone()
}

fn pipeline() -> Pipeline {
    Pipeline::with_default_engine(None).expect("OCR assets (run scripts/setup)")
}

fn read(language: &str, engine: OcrEngineChoice) -> Result<Document, folio_core::ApiError> {
    let options =
        ProcessOptions { document_type: "invoice".into(), language: language.into(), ocr_engine: engine, ..ProcessOptions::default() };
    pipeline().read_document("doc_lang", german_page(), &options).map(|(d, _)| d)
}

fn model(doc: &Document) -> String {
    doc.pages[0].ocr.as_ref().map(|r| r.model.clone()).unwrap_or_default()
}

fn assert_german_words(doc: &Document) {
    let text = &doc.pages[0].text;
    for word in ["Hauptstraße", "München", "Größe", "einschließlich", "Grüße", "März"] {
        assert!(text.contains(word), "{word:?} missing from\n{text}");
    }
}

#[test]
fn german_is_read_with_the_german_model() {
    for language in ["de", "deu", "GER"] {
        let doc = read(language, OcrEngineChoice::Auto).unwrap();
        assert_eq!(doc.language, "de");
        assert_eq!(doc.detected_language, None);
        assert!(model(&doc).ends_with("/deu"), "{}", model(&doc));
        assert_german_words(&doc);
    }
}

#[test]
fn auto_detects_german_and_reads_it_again_in_german() {
    let doc = read("auto", OcrEngineChoice::Auto).unwrap();
    assert_eq!(doc.detected_language.as_deref(), Some("de"));
    assert_eq!(doc.language, "de");
    assert!(model(&doc).ends_with("/deu"), "{}", model(&doc));
    assert_german_words(&doc);
}

#[test]
fn auto_keeps_english_pages_english() {
    let page = render(&[
        "Invoice number 2024-117 issued on March 14, 2024",
        "Delivery address: 12 High Street, Springfield",
        "Payment is due within fourteen days without deduction.",
        "Thank you for your order and kind regards.",
    ]);
    let options = ProcessOptions { document_type: "invoice".into(), language: "auto".into(), ..ProcessOptions::default() };
    let (doc, _) = pipeline().read_document("doc_lang", page, &options).unwrap();
    assert_eq!(doc.detected_language.as_deref(), Some("en"));
    assert_eq!(doc.language, "en");
    assert!(model(&doc).ends_with("/eng"), "{}", model(&doc));
}

#[test]
fn a_list_keeps_the_surer_reading() {
    let doc = read("en,de", OcrEngineChoice::Auto).unwrap();
    // The extractor gets the whole list (labels of both; dates and numbers
    // follow the first); the page keeps the German reading.
    assert_eq!(doc.language, "en,de");
    assert!(model(&doc).ends_with("/deu"), "{}", model(&doc));
    assert_german_words(&doc);
}

#[test]
fn ppocr_refuses_languages_it_cannot_read() {
    let p = pipeline();
    if p.ppocr().is_none() {
        eprintln!("PP-OCR models not installed: skipped");
        return;
    }
    for language in ["de", "de,en", "en,de"] {
        let e = read(language, OcrEngineChoice::Ppocr).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedLanguage, "{language}");
        assert!(e.message.contains("ocrEngine ppocr reads en only"), "{}", e.message);
    }
    // auto never hands a German receipt to PP-OCR.
    let plan = p.engine_for(OcrEngineChoice::Auto, "de,en", folio_host::ocr::OcrProfile::Receipt).unwrap();
    assert_eq!(plan, folio_host::pipeline::EnginePlan::Only(folio_host::pipeline::EngineKind::Tesseract));
}
