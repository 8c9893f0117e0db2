//! The searchable-PDF writer checked by an independent reader: poppler's
//! `pdftotext -bbox` (and `pdfimages`), installed by `scripts/setup`. Pages
//! with known words on known boxes (no OCR needed): the reader must find the
//! same words, in reading order, within a couple of points of their boxes;
//! a JPEG upload's image must come back byte for byte; a page read turned
//! must come out upright; a born-digital PDF page must pass through unchanged.

use folio_host::model::{BBox, Document, Line, OcrReading, Page, PageSource, Word};
use folio_host::outputs::pdf::searchable_pdf;
use lopdf::{Object, Stream, dictionary};
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

fn tool(name: &str) -> String {
    let found = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().map(|o| o.status.success()).unwrap_or(false);
    assert!(found, "{name} is missing: run scripts/setup (it installs poppler-utils)");
    name.to_string()
}

fn words_line(words: &[(&str, [f32; 4])]) -> Line {
    let words: Vec<Word> = words
        .iter()
        .map(|(t, [l, top, r, b])| Word { text: t.to_string(), bbox: BBox::from_ltrb(*l, *top, *r, *b), confidence: 0.93 })
        .collect();
    let bbox = words.iter().skip(1).fold(words[0].bbox, |a, w| a.union(&w.bbox));
    Line { text: words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "), bbox, confidence: 0.93, words }
}

fn ocr_page(number: u32, w: f32, h: f32, dpi: u32, rotation: u32, lines: Vec<Line>) -> Page {
    let mut p = Page::from_lines(number, w, h, dpi, PageSource::Ocr, lines);
    p.ocr = Some(OcrReading { engine: "tesseract".into(), model: "test".into(), rotation });
    p
}

fn document(pages: Vec<Page>) -> Document {
    Document {
        id: "doc_test".into(),
        document_type: "generic".into(),
        language: "en".into(),
        extract_tables: false,
        hints: vec![],
        pages,
        detected_language: None,
    }
}

/// `(text, [xmin, ymin, xmax, ymax])` per page, in points, top-left origin, as poppler reads them.
fn pdftotext(pdf: &[u8]) -> Vec<Vec<(String, [f32; 4])>> {
    let dir = tempdir();
    let path = dir.join("x.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new(tool("pdftotext")).arg("-bbox").arg(&path).arg("-").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pages = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("<page ") {
            pages.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let attr = |k: &str| -> f32 {
                let at = rest.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
                rest[at..].split('"').next().unwrap().parse().unwrap()
            };
            let word = rest.split('>').nth(1).unwrap().split("</word").next().unwrap();
            let word = word.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
            pages.last_mut().unwrap().push((word, [attr("xMin"), attr("yMin"), attr("xMax"), attr("yMax")]));
        }
    }
    pages
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("folio-outputs-test-{}-{}", std::process::id(), folio_core::ids::random_u64()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Poppler's words equal the page's OCR words, each box within `tol` points.
fn assert_matches(got: &[(String, [f32; 4])], page: &Page, tol: f32) {
    let k = 72.0 / page.dpi as f32;
    let want: Vec<(String, [f32; 4])> = page
        .lines
        .iter()
        .flat_map(|l| &l.words)
        .map(|w| (w.text.clone(), [w.bbox.left * k, w.bbox.top * k, w.bbox.right() * k, w.bbox.bottom() * k]))
        .collect();
    let texts = |v: &[(String, [f32; 4])]| v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(texts(got), texts(&want));
    for ((t, g), (_, w)) in got.iter().zip(&want) {
        for i in 0..4 {
            assert!((g[i] - w[i]).abs() <= tol, "{t}: poppler {g:?}, OCR {w:?}");
        }
    }
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 200]));
    let mut buf = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut buf), image::ImageFormat::Jpeg).unwrap();
    buf
}

fn invoice_lines() -> Vec<Line> {
    vec![
        words_line(&[
            ("Invoice", [100.0, 100.0, 260.0, 140.0]),
            ("No:", [275.0, 100.0, 340.0, 140.0]),
            ("4711", [355.0, 101.0, 450.0, 141.0]),
        ]),
        words_line(&[
            ("Total", [100.0, 200.0, 210.0, 240.0]),
            ("€99,50", [230.0, 198.0, 390.0, 244.0]),
            ("Größe", [410.0, 200.0, 560.0, 240.0]),
        ]),
    ]
}

#[test]
fn jpeg_scan_keeps_its_bytes_and_gets_words_on_their_boxes() {
    let jpeg = jpeg(1000, 600);
    let page = ocr_page(1, 1000.0, 600.0, 200, 0, invoice_lines());
    let pdf = searchable_pdf(&document(vec![page.clone()]), &jpeg).unwrap();
    let pages = pdftotext(&pdf);
    assert_eq!(pages.len(), 1);
    assert_matches(&pages[0], &page, 2.0);
    // The page image is the upload, byte for byte.
    let dir = tempdir();
    std::fs::write(dir.join("s.pdf"), &pdf).unwrap();
    let ok = Command::new(tool("pdfimages")).arg("-all").arg(dir.join("s.pdf")).arg(dir.join("img")).status().unwrap();
    assert!(ok.success());
    assert_eq!(std::fs::read(dir.join("img-000.jpg")).unwrap(), jpeg);
    // Small beside the image: the text layer costs little.
    assert!(pdf.len() < jpeg.len() + 8 * 1024, "{} vs {}", pdf.len(), jpeg.len());
}

#[test]
fn page_read_turned_comes_out_upright() {
    // Stored sideways (600 x 1000); OCR turned it 90° clockwise and read a 1000 x 600 page.
    let img = image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(600, 1000, image::Luma([255])));
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let page = ocr_page(1, 1000.0, 600.0, 200, 90, invoice_lines());
    let pdf = searchable_pdf(&document(vec![page.clone()]), &png).unwrap();
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let (_, page_id) = doc.get_pages().into_iter().next().unwrap();
    assert_eq!(doc.get_dictionary(page_id).unwrap().get(b"Rotate").unwrap().as_i64().unwrap(), 90);
    assert_matches(&pdftotext(&pdf)[0], &page, 2.0);
    // The PNG's data is embedded as it is: poppler decodes the same pixels.
    let dir = tempdir();
    std::fs::write(dir.join("s.pdf"), &pdf).unwrap();
    assert!(Command::new(tool("pdfimages")).arg("-png").arg(dir.join("s.pdf")).arg(dir.join("img")).status().unwrap().success());
    assert_eq!(image::open(dir.join("img-000.png")).unwrap().into_luma8(), img.into_luma8());
}

#[test]
fn scanned_pdf_gets_a_text_layer_and_born_digital_pages_pass_through() {
    // Page 1 born-digital (Helvetica text), page 2 a full-page JPEG scan.
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    let text = b"BT /F1 12 Tf 72 720 Td (Born digital statement of account) Tj ET".to_vec();
    let c1 = doc.add_object(Stream::new(lopdf::Dictionary::new(), text.clone()));
    let p1 = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()], "Contents" => c1,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    let scan = jpeg(850, 1100);
    let im = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 850, "Height" => 1100, "ColorSpace" => "DeviceRGB",
        "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
        scan.clone(),
    ));
    let c2 = doc.add_object(Stream::new(lopdf::Dictionary::new(), b"q 612 0 0 792 0 0 cm /Im0 Do Q".to_vec()));
    let p2 = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()], "Contents" => c2,
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => im } },
    });
    doc.objects.insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![p1.into(), p2.into()], "Count" => 2 }));
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();

    let born = Page::from_lines(1, 2550.0, 3300.0, 300, PageSource::PdfTextLayer, vec![]);
    let scanned = ocr_page(2, 2550.0, 3300.0, 300, 0, invoice_lines());
    let pdf = searchable_pdf(&document(vec![born, scanned.clone()]), &input).unwrap();
    let pages = pdftotext(&pdf);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["Born", "digital", "statement", "of", "account"]);
    assert_matches(&pages[1], &scanned, 2.0);
    // The born-digital page's content is untouched; the scan is still the same JPEG.
    let out = lopdf::Document::load_mem(&pdf).unwrap();
    let ids: Vec<_> = out.get_pages().into_values().collect();
    // (lopdf ends each content stream it concatenates with a newline)
    assert_eq!(out.get_page_content(ids[0]), [text, b"\n".to_vec()].concat());
    let dir = tempdir();
    std::fs::write(dir.join("s.pdf"), &pdf).unwrap();
    assert!(Command::new(tool("pdfimages")).arg("-all").arg(dir.join("s.pdf")).arg(dir.join("img")).status().unwrap().success());
    assert_eq!(std::fs::read(dir.join("img-000.jpg")).unwrap(), scan);
    assert!(!Path::new(&dir.join("img-001.jpg")).exists());
}

/// `folio process FILE --output ...`: every output from one OCR pass, the
/// PDF's words those of the OCR JSON written beside it.
fn cli_outputs(input: &Path) -> (Vec<u8>, Vec<Page>, String, String) {
    let dir = tempdir();
    let out = |ext: &str| dir.join(format!("out.{ext}"));
    let status = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["process", "--ocr-only"])
        .arg(input)
        .args(["--output".as_ref(), out("pdf").as_os_str(), "-o".as_ref(), out("hocr").as_os_str()])
        .args(["-o".as_ref(), out("txt").as_os_str(), "-o".as_ref(), out("ocr.json").as_os_str()])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let pages: Vec<Page> = serde_json::from_slice(&std::fs::read(out("ocr.json")).unwrap()).unwrap();
    let text = std::fs::read_to_string(out("txt")).unwrap();
    let hocr = std::fs::read_to_string(out("hocr")).unwrap();
    (std::fs::read(out("pdf")).unwrap(), pages, text, hocr)
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good").join(name)
}

#[test]
fn cli_writes_every_output_of_a_multi_page_tiff() {
    let (pdf, pages, text, hocr) = cli_outputs(&fixture("two-pages.tiff"));
    assert_eq!(pages.len(), 2);
    let read = pdftotext(&pdf);
    assert_eq!(read.len(), 2);
    for (got, page) in read.iter().zip(&pages) {
        assert!(!page.lines.is_empty());
        assert_matches(got, page, 2.0);
    }
    assert_eq!(text.split('\u{c}').count(), 2);
    assert_eq!(hocr.matches("class=\"ocr_page\"").count(), 2);
}

#[test]
fn cli_keeps_an_exif_rotated_jpeg_and_shows_it_upright() {
    let input = fixture("exif-rotated.jpg");
    let (pdf, pages, _, _) = cli_outputs(&input);
    assert_matches(&pdftotext(&pdf)[0], &pages[0], 2.0);
    let dir = tempdir();
    std::fs::write(dir.join("s.pdf"), &pdf).unwrap();
    assert!(Command::new(tool("pdfimages")).arg("-all").arg(dir.join("s.pdf")).arg(dir.join("img")).status().unwrap().success());
    assert_eq!(std::fs::read(dir.join("img-000.jpg")).unwrap(), std::fs::read(&input).unwrap());
}
