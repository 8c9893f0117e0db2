//! File type detection by magic bytes. The edge uses it to validate uploads
//! and the host to pick a decoder, so both always agree. Names and declared
//! content types are never trusted.

use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// The upload formats the DocuRift spec lists: PDF, PNG, JPG/JPEG, WEBP, TIFF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Webp,
    Tiff,
}

/// Largest upload accepted: 50 MB, as in the spec ("Maximum size: 50MB").
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

impl FileKind {
    pub fn mime_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Webp => "image/webp",
            FileKind::Tiff => "image/tiff",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Webp => "webp",
            FileKind::Tiff => "tiff",
        }
    }

    /// Detect the format from the first bytes of the file.
    pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
        // PDF: "%PDF-" may be preceded by junk within the first 1024 bytes (ISO 32000 tolerance).
        let head = &bytes[..bytes.len().min(1024)];
        if head.windows(5).any(|w| w == b"%PDF-") {
            return Some(FileKind::Pdf);
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(FileKind::Png);
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(FileKind::Jpeg);
        }
        if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Some(FileKind::Webp);
        }
        if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            return Some(FileKind::Tiff);
        }
        None
    }

    /// Like [`FileKind::sniff`], with the spec's error when nothing matches.
    pub fn detect(bytes: &[u8]) -> Result<FileKind, ApiError> {
        if bytes.is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidFile, "The file is empty"));
        }
        FileKind::sniff(bytes)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidFileType, "Unsupported file format: use PDF, PNG, JPG, WEBP, or TIFF"))
    }
}

/// A cheap page-count estimate for credit reservation at upload, without
/// parsing the file: PDF page objects are counted from `/Type /Page`
/// markers (names decoded, so `/P#61ge` counts), TIFF pages by walking the
/// IFD chain (wherever it points, each IFD once); other images are one page.
/// Page objects inside compressed object streams are not visible here: the
/// host reports the true count before it processes any page and the edge
/// re-admits the document for it (more credits reserved, or refused).
pub fn estimate_pages(kind: FileKind, bytes: &[u8]) -> u32 {
    match kind {
        FileKind::Pdf => estimate_pdf_pages(bytes).max(1),
        FileKind::Tiff => count_tiff_pages(bytes).max(1),
        _ => 1,
    }
}

fn estimate_pdf_pages(bytes: &[u8]) -> u32 {
    let mut counter = PdfPageCounter::default();
    counter.feed(bytes);
    counter.finish()
}

/// [`estimate_pages`] for a PDF read in chunks (the edge scans uploads
/// without holding them whole in memory): feed every chunk in order, then
/// `finish`. Counts the same markers as the whole-file estimate, also when a
/// marker is split across chunks.
#[derive(Clone, Debug, Default)]
pub struct PdfPageCounter {
    names: PdfNameDecoder,
    /// The end of the previous window, long enough to hold a split marker.
    tail: Vec<u8>,
    count: u32,
}

/// Decodes `#xx` escapes inside PDF names as a byte stream goes by (a
/// name may be split across chunks): `/P#61ge` is the name `/Page`.
#[derive(Clone, Debug, Default)]
struct PdfNameDecoder {
    in_name: bool,
    /// Hex digits of an escape seen so far, after its `#`.
    escape: Option<Vec<u8>>,
}

impl PdfNameDecoder {
    fn decode(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len());
        for &b in chunk {
            if let Some(digits) = self.escape.as_mut() {
                if b.is_ascii_hexdigit() {
                    digits.push(b);
                    if digits.len() == 2 {
                        let text = std::str::from_utf8(digits).unwrap_or("00");
                        out.push(u8::from_str_radix(text, 16).unwrap_or(0));
                        self.escape = None;
                    }
                    continue;
                }
                // Not an escape after all: keep what was seen.
                out.push(b'#');
                out.extend(self.escape.take().unwrap_or_default());
            }
            let delimiter = b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b);
            if self.in_name && b == b'#' {
                self.escape = Some(Vec::with_capacity(2));
                continue;
            }
            if delimiter {
                self.in_name = b == b'/';
            }
            out.push(b);
        }
        out
    }
}

/// Longest marker span kept between chunks ("/Type", whitespace, "/Page", one byte).
const PDF_MARKER_CARRY: usize = 64;

impl PdfPageCounter {
    pub fn feed(&mut self, chunk: &[u8]) {
        let chunk = self.names.decode(chunk);
        let mut window = std::mem::take(&mut self.tail);
        let carried = window.len();
        window.extend_from_slice(&chunk);
        self.count += count_pdf_markers(&window, carried, false);
        let keep = window.len().min(PDF_MARKER_CARRY);
        self.tail = window[window.len() - keep..].to_vec();
    }

    /// The page count (at least 1 is applied by [`estimate_pages`]).
    pub fn finish(mut self) -> u32 {
        let tail = std::mem::take(&mut self.tail);
        self.count + count_pdf_markers(&tail, tail.len(), true)
    }
}

/// Counts "/Type /Page" and "/Type/Page" not followed by "s" (which would be
/// /Pages). Only markers whose decisive byte (the one after "/Page") lies at
/// or beyond `new_from` are counted (earlier ones were counted with the
/// previous window); at the end of a window the decisive byte is unknown, so
/// such a marker waits for the next window, unless `last` (then the end of
/// the file counts as a delimiter).
fn count_pdf_markers(bytes: &[u8], new_from: usize, last: bool) -> u32 {
    let mut n = 0u32;
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], b"/Type") {
        let mut j = i + pos + 5;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\r' | b'\n' | b'\t') {
            j += 1;
        }
        if bytes[j..].starts_with(b"/Page") {
            let decisive = j + 5;
            let counted_here = if decisive < bytes.len() {
                decisive >= new_from && !bytes[decisive].is_ascii_alphanumeric()
            } else {
                last && decisive >= new_from
            };
            if counted_here {
                n += 1;
            }
        }
        i = j.max(i + pos + 1);
    }
    n
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn count_tiff_pages(b: &[u8]) -> u32 {
    let le = b.starts_with(b"II");
    let rd16 = |o: usize| -> Option<u32> {
        let s = b.get(o..o + 2)?;
        Some(if le { u16::from_le_bytes([s[0], s[1]]) } else { u16::from_be_bytes([s[0], s[1]]) } as u32)
    };
    let rd32 = |o: usize| -> Option<u32> {
        let s = b.get(o..o + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    };
    let mut pages = 0;
    let mut off = rd32(4).unwrap_or(0) as usize;
    // IFDs may come in any order in the file; each is counted once, so a
    // chain that loops ends, and the walk is bounded.
    let mut seen = std::collections::HashSet::new();
    while off != 0 && pages < 10_000 && seen.insert(off) {
        let Some(n) = rd16(off) else { break };
        pages += 1;
        match rd32(off + 2 + 12 * n as usize) {
            Some(o) => off = o as usize,
            None => break,
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(FileKind::Webp));
        assert_eq!(FileKind::sniff(b"II*\0\x08\0\0\0"), Some(FileKind::Tiff));
        assert_eq!(FileKind::sniff(b"MM\0*\0\0\0\x08"), Some(FileKind::Tiff));
        assert_eq!(FileKind::sniff(b"GIF89a"), None);
        assert_eq!(FileKind::sniff(b"PK\x03\x04"), None);
    }

    #[test]
    fn detect_errors_are_precise() {
        assert_eq!(FileKind::detect(b"").unwrap_err().code, ErrorCode::InvalidFile);
        assert_eq!(FileKind::detect(b"hello").unwrap_err().code, ErrorCode::InvalidFileType);
    }

    #[test]
    fn estimates_pdf_pages() {
        let pdf = b"%PDF-1.4\n1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R] /Count 2>> endobj\n2 0 obj <</Type /Page>> endobj 3 0 obj <</Type/Page /Parent 1 0 R>> endobj";
        assert_eq!(estimate_pages(FileKind::Pdf, pdf), 2);
        assert_eq!(estimate_pages(FileKind::Pdf, b"%PDF-1.4 garbage"), 1);
        assert_eq!(estimate_pages(FileKind::Png, b"\x89PNG"), 1);
    }

    #[test]
    fn hex_escaped_names_count() {
        let pdf =
            b"%PDF-1.4\n2 0 obj <</Type /P#61ge>> endobj 3 0 obj <</#54ype/Pag#65 /Parent 1 0 R>> endobj 4 0 obj <</Type /Pag#65s>> endobj";
        assert_eq!(estimate_pages(FileKind::Pdf, pdf), 2);
        for chunk_size in [1, 2, 3, 5, 7] {
            let mut c = PdfPageCounter::default();
            for chunk in pdf.chunks(chunk_size) {
                c.feed(chunk);
            }
            assert_eq!(c.finish(), 2, "chunk size {chunk_size}");
        }
        // A '#' that starts no escape is kept as it was.
        assert_eq!(PdfNameDecoder::default().decode(b"/A#zz /B#4 /C"), b"/A#zz /B#4 /C");
    }

    #[test]
    fn tiff_chain_pointing_backwards_counts_every_page() {
        // Header -> IFD at 30 -> IFD at 8 -> IFD at 16 -> end: three pages, out of file order.
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&30u32.to_le_bytes());
        t.resize(40, 0);
        let ifd = |t: &mut Vec<u8>, at: usize, next: u32| {
            t[at..at + 2].copy_from_slice(&0u16.to_le_bytes());
            t[at + 2..at + 6].copy_from_slice(&next.to_le_bytes());
        };
        ifd(&mut t, 30, 8);
        ifd(&mut t, 8, 16);
        ifd(&mut t, 16, 0);
        assert_eq!(estimate_pages(FileKind::Tiff, &t), 3);
        // A loop ends.
        ifd(&mut t, 16, 30);
        assert_eq!(estimate_pages(FileKind::Tiff, &t), 3);
    }

    #[test]
    fn chunked_pdf_count_matches_the_whole_file_count() {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        for i in 0..40 {
            let sep: &[u8] = if i % 2 == 0 { b" " } else { b"\r\n  " };
            pdf.extend_from_slice(format!("{i} 0 obj <</Type").as_bytes());
            pdf.extend_from_slice(sep);
            pdf.extend_from_slice(b"/Page /Parent 1 0 R>> endobj\n");
        }
        pdf.extend_from_slice(b"1 0 obj <</Type /Pages /Count 40>> endobj\n<</Type /Page");
        let whole = estimate_pages(FileKind::Pdf, &pdf);
        assert_eq!(whole, 41);
        for chunk_size in [1, 2, 3, 5, 7, 13, 64, 100, 4096] {
            let mut c = PdfPageCounter::default();
            for chunk in pdf.chunks(chunk_size) {
                c.feed(chunk);
            }
            assert_eq!(c.finish(), whole, "chunk size {chunk_size}");
        }
    }

    #[test]
    fn counts_tiff_ifds_and_survives_loops() {
        // Two IFDs with zero entries each, little-endian.
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        t.extend_from_slice(&14u32.to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(estimate_pages(FileKind::Tiff, &t), 2);
        // An IFD pointing at itself stops the walk.
        let mut l = b"II*\0".to_vec();
        l.extend_from_slice(&8u32.to_le_bytes());
        l.extend_from_slice(&0u16.to_le_bytes());
        l.extend_from_slice(&8u32.to_le_bytes());
        assert_eq!(estimate_pages(FileKind::Tiff, &l), 1);
    }
}
