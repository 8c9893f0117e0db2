//! Outputs made from one OCR pass: a searchable PDF ([`pdf`]),
//! hOCR ([`hocr`]), plain text and the OCR JSON, from the document model the
//! pipeline built and the uploaded bytes. Names, content types and file
//! names are `folio_core::outputs`'s.

pub mod hocr;
pub mod pdf;
pub mod preview;

use crate::model::{Document, Page};
use folio_core::{ApiError, OutputName};
use std::time::{Duration, Instant};

/// One made output.
#[derive(Clone, Debug)]
pub struct MadeOutput {
    pub name: OutputName,
    pub bytes: Vec<u8>,
    /// Time it took to make (for `folio bench outputs`).
    pub elapsed: Duration,
}

/// Makes `name` for `document`, read from `file` (the uploaded bytes).
pub fn make(name: OutputName, document: &Document, file: &[u8], file_name: &str) -> Result<Vec<u8>, ApiError> {
    Ok(match name {
        OutputName::SearchablePdf => pdf::searchable_pdf(document, file)?,
        OutputName::Hocr => hocr::hocr(document, file_name).into_bytes(),
        OutputName::Text => text(&document.pages).into_bytes(),
        OutputName::OcrJson => serde_json::to_vec(&crate::pipeline::ocr_json(&document.pages)).expect("pages serialise"),
    })
}

/// Makes every output in `names`, in order, timing each.
pub fn make_all(names: &[OutputName], document: &Document, file: &[u8], file_name: &str) -> Result<Vec<MadeOutput>, ApiError> {
    names
        .iter()
        .map(|name| {
            let started = Instant::now();
            let bytes = make(*name, document, file, file_name)?;
            Ok(MadeOutput { name: *name, bytes, elapsed: started.elapsed() })
        })
        .collect()
}

/// Plain text: each page's lines in reading order, one per line, pages
/// separated by a form feed (as Tesseract's `txt` output).
pub fn text(pages: &[Page]) -> String {
    pages.iter().map(|p| if p.text.is_empty() { String::new() } else { format!("{}\n", p.text) }).collect::<Vec<_>>().join("\u{c}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BBox, Line, PageSource, Word};

    pub(crate) fn page(number: u32, words: &[(&str, [f32; 4])]) -> Page {
        let words: Vec<Word> = words
            .iter()
            .map(|(t, [l, top, r, b])| Word { text: t.to_string(), bbox: BBox::from_ltrb(*l, *top, *r, *b), confidence: 0.9 })
            .collect();
        let bbox = words.iter().skip(1).fold(words[0].bbox, |a, w| a.union(&w.bbox));
        let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
        let line = Line { text, bbox, confidence: 0.9, words };
        Page::from_lines(number, 1000.0, 1400.0, 300, PageSource::Ocr, vec![line])
    }

    #[test]
    fn text_pages_are_separated_by_form_feeds() {
        let pages = vec![
            page(1, &[("Hello", [10.0, 10.0, 60.0, 30.0]), ("world", [70.0, 10.0, 120.0, 30.0])]),
            page(2, &[("Two", [1.0, 1.0, 2.0, 2.0])]),
        ];
        assert_eq!(text(&pages), "Hello world\n\u{c}Two\n");
    }
}
