//! The bad-input corpus (`fixtures/bad`, made by `fixtures/generate.py`): each
//! file gives its precise error code and a message that says what is wrong,
//! never a panic.

use folio_core::{ApiError, ErrorCode};
use folio_host::input::{InputDocument, InputOptions, PageContent};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Opens the file and converts every page, as the pipeline does before OCR.
fn load(bytes: Vec<u8>) -> Result<Vec<PageContent>, ApiError> {
    let doc = InputDocument::open(bytes, InputOptions::default())?;
    (0..doc.page_count()).map(|i| doc.page(i)).collect()
}

#[track_caller]
fn assert_error(file: &str, code: ErrorCode, message_part: &str) {
    let err = load(fixture(file)).expect_err(file);
    assert_eq!(err.code, code, "{file}: {err}");
    assert!(err.message.contains(message_part), "{file}: message {:?} lacks {message_part:?}", err.message);
    // The error serialises in the spec's envelope.
    let v: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], code.as_str());
}

#[test]
fn empty_file() {
    assert_error("empty.pdf", ErrorCode::InvalidFile, "empty");
}

#[test]
fn wrong_magic_bytes() {
    assert_error("wrong-magic.gif", ErrorCode::InvalidFileType, "Unsupported file format");
    // The name says PNG, the bytes say text: bytes win.
    assert_error("text-named.png", ErrorCode::InvalidFileType, "Unsupported file format");
}

#[test]
fn truncated_png() {
    assert_error("truncated.png", ErrorCode::InvalidFile, "PNG image is corrupt or truncated");
}

#[test]
fn truncated_jpeg() {
    assert_error("truncated.jpg", ErrorCode::InvalidFile, "JPEG image is truncated");
}

#[test]
fn truncated_pdf() {
    assert_error("truncated.pdf", ErrorCode::InvalidFile, "PDF is truncated");
}

#[test]
fn corrupt_pdf() {
    assert_error("garbage.pdf", ErrorCode::InvalidFile, "PDF is corrupt");
}

#[test]
fn truncated_tiff() {
    assert_error("truncated.tiff", ErrorCode::InvalidFile, "TIFF image is corrupt or truncated");
}

#[test]
fn huge_declared_dimensions_are_refused_before_decoding() {
    assert_error("huge-dimensions.png", ErrorCode::InvalidFile, "100000 x 100000 pixels");
    assert_error("huge-dimensions.jpg", ErrorCode::InvalidFile, "60000 x 60000 pixels");
}

#[test]
fn encrypted_pdf_needs_a_password() {
    assert_error("encrypted.pdf", ErrorCode::PdfEncrypted, "password");
}

#[test]
fn zero_page_pdf() {
    assert_error("zero-pages.pdf", ErrorCode::InvalidFile, "no pages");
}

#[test]
fn every_corpus_file_is_covered_and_fails_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let err = load(std::fs::read(&path).unwrap()).expect_err(&path.display().to_string());
        assert!(
            matches!(err.code, ErrorCode::InvalidFile | ErrorCode::InvalidFileType | ErrorCode::PdfEncrypted),
            "{}: {err}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 12, "corpus has {n} files");
}

#[test]
fn arbitrary_prefixes_of_good_files_never_panic() {
    let good = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/good");
    for entry in std::fs::read_dir(good).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in [1, 8, 16, 33, 100, 257, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let _ = load(bytes[..cut.min(bytes.len())].to_vec());
        }
    }
}

/// A one-page PDF whose page objects sit in an object stream that inflates to
/// `inflated` bytes (the objects, then zeros): a few hundred KB on disk.
fn object_stream_bomb(inflated: usize) -> Vec<u8> {
    use flate2::{Compression, write::ZlibEncoder};
    use std::io::Write;
    let (pages, page) = ("<< /Type /Pages /Kids [3 0 R] /Count 1 >> ", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> ");
    let header = format!("2 0 3 {} ", pages.len());
    let first = header.len();
    let objects = format!("{header}{pages}{page}").into_bytes();
    let objects = objects.as_slice();
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(objects).unwrap();
    let zeros = vec![b' '; 1 << 20];
    let mut left = inflated.saturating_sub(objects.len());
    while left > 0 {
        let n = left.min(zeros.len());
        z.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    let stream = z.finish().unwrap();
    let mut pdf = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::new();
    offsets.push(pdf.len());
    pdf.extend_from_slice(b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
    offsets.push(pdf.len());
    pdf.extend_from_slice(
        format!("4 0 obj << /Type /ObjStm /N 2 /First {first} /Filter /FlateDecode /Length {} >>\nstream\n", stream.len()).as_bytes(),
    );
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream\nendobj\n");
    let xref = pdf.len();
    pdf.extend_from_slice(b"5 0 obj << /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length 42 >>\nstream\n");
    // Cross-reference stream: 0 free, 1 at its offset, 2 and 3 in object stream 4, 4 and 5 at theirs.
    let mut rows = Vec::new();
    let mut row = |t: u8, a: u32, b: u16| {
        rows.push(t);
        rows.extend_from_slice(&a.to_be_bytes());
        rows.extend_from_slice(&b.to_be_bytes());
    };
    row(0, 0, 65535);
    row(1, offsets[0] as u32, 0);
    row(2, 4, 0);
    row(2, 4, 1);
    row(1, offsets[1] as u32, 0);
    row(1, xref as u32, 0);
    pdf.extend_from_slice(&rows);
    pdf.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    pdf
}

#[test]
fn an_object_stream_that_inflates_beyond_the_cap_is_refused() {
    // 64 MiB of objects (the cap is 16 MiB) and 1 GiB, each from a small file.
    for inflated in [64usize << 20, 1 << 30] {
        let bytes = object_stream_bomb(inflated);
        assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
        let Err(err) = load(bytes) else { panic!("a PDF whose object stream inflates to {inflated} bytes was opened") };
        assert_eq!(err.code, ErrorCode::InvalidFile, "{err}");
        assert!(err.message.contains("decompresses to more than 16 MiB"), "{}", err.message);
    }
    // The same file with a normal object stream opens.
    let pages = load(object_stream_bomb(4096)).unwrap();
    assert_eq!(pages.len(), 1);
}
