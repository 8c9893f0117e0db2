//! Good inputs: every accepted format becomes pages with the right geometry,
//! PDF pages with text use their text layer (with positions), pages without
//! text become rasters for OCR.

use folio_core::FileKind;
use folio_host::input::{InputDocument, InputOptions, PageContent, RasterPage};
use folio_host::model::{Page, PageSource};
use folio_host::ocr::word_recall;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good").join(name)).unwrap()
}

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/prototypes/tesseract-wasm-shim/testdata").join(name)
}

fn open(bytes: Vec<u8>) -> InputDocument {
    InputDocument::open(bytes, InputOptions::default()).unwrap()
}

fn raster(doc: &InputDocument, i: usize) -> RasterPage {
    match doc.page(i).unwrap() {
        PageContent::Raster(r) => r,
        PageContent::TextLayer(p) => panic!("page {i} came from the text layer: {}", p.text),
    }
}

fn text_layer(doc: &InputDocument, i: usize) -> Page {
    match doc.page(i).unwrap() {
        PageContent::TextLayer(p) => p,
        PageContent::Raster(_) => panic!("page {i} needs OCR"),
    }
}

#[test]
fn multi_page_tiff_gives_each_page() {
    let doc = open(fixture("two-pages.tiff"));
    assert_eq!(doc.kind(), FileKind::Tiff);
    assert_eq!(doc.page_count(), 2);
    for i in 0..2 {
        let r = raster(&doc, i);
        assert_eq!(r.image.dimensions(), (1240, 600));
        assert_eq!((r.dpi, r.dpi_known), (300, true));
    }
    // The pages differ (different text).
    assert_ne!(raster(&doc, 0).image.as_raw(), raster(&doc, 1).image.as_raw());
}

#[test]
fn exif_orientation_is_honoured() {
    // Stored 300 x 1000 (portrait) with Orientation=6; displayed landscape.
    let r = raster(&open(fixture("exif-rotated.jpg")), 0);
    assert_eq!(r.image.dimensions(), (1000, 300));
    // The text starts at the left margin of the upright page: dark pixels in
    // the left half of the top rows, none in the right quarter.
    let dark =
        |x0: u32, x1: u32| (40..120).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|&(x, y)| r.image.get_pixel(x, y)[0] < 100).count();
    assert!(dark(40, 500) > 200, "no text where an upright page has it");
    assert_eq!(dark(900, 1000), 0);
}

#[test]
fn transparency_becomes_white_background() {
    let r = raster(&open(fixture("transparent.png")), 0);
    assert_eq!(r.image.get_pixel(0, 0)[0], 255);
    assert!(r.image.pixels().filter(|p| p[0] < 64).count() > 500, "text lost");
}

#[test]
fn coarse_scans_are_enlarged() {
    let r = raster(&open(fixture("scan-100dpi.png")), 0);
    assert_eq!(r.image.dimensions(), (1200, 300));
    assert_eq!((r.dpi, r.dpi_known), (200, true));
}

#[test]
fn webp_decodes() {
    let doc = open(fixture("sample.webp"));
    assert_eq!(doc.kind(), FileKind::Webp);
    let r = raster(&doc, 0);
    assert!(r.image.width() >= 900);
}

#[test]
fn pdf_page_count_is_known_before_any_page_is_converted() {
    assert_eq!(open(fixture("mixed.pdf")).page_count(), 2);
}

#[test]
fn pdf_text_layer_has_words_with_positions() {
    let doc = open(fixture("mixed.pdf"));
    let page = text_layer(&doc, 0);
    assert_eq!(page.source, PageSource::PdfTextLayer);
    assert_eq!((page.dpi, page.number), (300, 1));
    assert_eq!((page.width.round(), page.height.round()), (2550.0, 3300.0)); // US Letter at 300 DPI
    assert_eq!(page.text, "Folio text layer sample\nInvoice No: INV-0042 Total: 99.50 EUR\nKerned words");
    // "Folio" starts 72 pt from the left, its line 72 pt below the top (baseline) minus the ascent.
    let folio = &page.lines[0].words[0];
    assert_eq!(folio.text, "Folio");
    assert!((folio.bbox.left - 300.0).abs() < 1.0, "{:?}", folio.bbox);
    assert!((folio.bbox.bottom() - (792.0 - 720.0 + 0.25 * 12.0) * 300.0 / 72.0).abs() < 2.0, "{:?}", folio.bbox);
    // Helvetica widths: "Folio" at 12 pt is 611+556+222+222+556 = 2167/1000 em.
    assert!((folio.bbox.width - 2.167 * 12.0 * 300.0 / 72.0).abs() < 1.0, "{:?}", folio.bbox);
    // Text shown 200 pt further right lands there.
    let total = page.lines[1].words.iter().find(|w| w.text == "Total:").unwrap();
    assert!((total.bbox.left - 272.0 * 300.0 / 72.0).abs() < 1.0, "{:?}", total.bbox);
    // A TJ gap of 250/1000 em separates words.
    assert_eq!(page.lines[2].words.len(), 2);
    assert!(page.lines.iter().flat_map(|l| &l.words).all(|w| w.confidence == 1.0));
}

#[test]
fn pdf_pages_without_text_are_rasterised() {
    let doc = open(fixture("mixed.pdf"));
    let r = raster(&doc, 1);
    assert_eq!((r.dpi, r.dpi_known), (300, true));
    assert_eq!(r.image.width(), 2550);
    // The embedded scan is drawn near the top-left: dark pixels there.
    assert!(r.image.pixels().filter(|p| p[0] < 100).count() > 1000);
}

#[test]
fn pdf_with_only_an_owner_password_opens() {
    let doc = open(fixture("owner-password-only.pdf"));
    assert_eq!(text_layer(&doc, 0).lines[0].text, "Folio text layer sample");
}

#[test]
fn born_digital_invoice_uses_its_text_layer() {
    let doc = open(std::fs::read(shared("invoice.pdf")).unwrap());
    let page = text_layer(&doc, 0);
    let gt = std::fs::read_to_string(shared("invoice.gt.txt")).unwrap();
    let recall = word_recall(&gt, &page.text);
    assert_eq!(recall, 1.0, "{}", page.text);
    // Lines are in reading order: the total comes after the items.
    let pos = |s: &str| page.lines.iter().position(|l| l.text.contains(s)).unwrap();
    assert!(pos("Invoice No:") < pos("Bill To:"));
    assert!(pos("Handling charge") < pos("Total Due"));
}

#[test]
fn scanned_invoice_pdf_gives_its_scan_at_300_dpi() {
    // One full-page Flate-compressed RGB image: decoded directly, at its own 2481 x 3508 pixels.
    let doc = open(std::fs::read(shared("invoice-scanned.pdf")).unwrap());
    let r = raster(&doc, 0);
    assert_eq!((r.dpi, r.dpi_known), (300, true));
    assert_eq!(r.image.dimensions(), (2481, 3508));
}

#[test]
fn scanned_invoice_pdf_also_renders_at_300_dpi() {
    // The rendering path (hayro), taken by pages that are not one plain full-page image.
    let pdf = folio_host::input::pdf::PdfInput::open(&std::fs::read(shared("invoice-scanned.pdf")).unwrap()).unwrap();
    let r = pdf.rasterize(0).unwrap();
    assert_eq!((r.dpi, r.image.dimensions()), (300, (2480, 3507)));
}

#[test]
fn scanner_jpeg_pages_are_decoded_not_rendered() {
    // Rendering would give 2550 x 3300 at 300 DPI; the scan itself is 150 DPI.
    let r = raster(&open(fixture("scanner-jpeg.pdf")), 0);
    assert_eq!(r.image.dimensions(), (1275, 1650));
    assert_eq!((r.dpi, r.dpi_known), (150, true));
    assert!(r.image.pixels().filter(|p| p[0] < 100).count() > 1000, "the scan's text is there");
}

#[test]
fn pdf_rendering_has_a_deadline() {
    // Page 2 of mixed.pdf is rendered (see above); with no time to render it
    // fails precisely instead of holding the host.
    let options = InputOptions { render_deadline: std::time::Duration::from_micros(1), ..InputOptions::default() };
    let doc = InputDocument::open(fixture("mixed.pdf"), options).unwrap();
    let Err(e) = doc.page(1) else { panic!("rendered within 1 µs") };
    assert_eq!(e.code, folio_core::ErrorCode::ProcessingFailed);
    assert!(e.message.contains("Page 2 of the PDF did not render within"), "{}", e.message);
    // The text layer page does not render, so it has no deadline to miss.
    assert!(matches!(doc.page(0).unwrap(), PageContent::TextLayer(_)));
}
