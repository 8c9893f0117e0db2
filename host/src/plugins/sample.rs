//! Synthetic documents from plain text, for running plugins without OCR:
//! `folio plugins run --text`, `folio plugins check`'s smoke test, the
//! benchmarks and tests. Each text line becomes a line of whitespace-separated
//! words on an A4 page at 300 dpi (2480 x 3508 px) with confidence 0.95; the
//! same layout as `folio_plugin_sdk::testing` on the guest side.

use crate::model::{BBox, Document, Line, Page, PageSource, Word};

pub const PAGE_WIDTH: f32 = 2480.0;
pub const PAGE_HEIGHT: f32 = 3508.0;
const MARGIN: f32 = 150.0;
const LINE_HEIGHT: f32 = 50.0;
const CHAR_WIDTH: f32 = 24.0;
const CONFIDENCE: f32 = 0.95;

/// A document with one page per entry of `pages`. Lines that do not fit on
/// a page run off its bottom edge are clamped to it.
pub fn document(document_type: &str, pages: &[&str]) -> Document {
    Document {
        id: "doc_sample".to_string(),
        document_type: document_type.to_string(),
        language: "en".to_string(),
        extract_tables: true,
        hints: Vec::new(),
        pages: pages.iter().enumerate().map(|(i, text)| page(i as u32 + 1, text)).collect(),
        detected_language: None,
    }
}

fn page(number: u32, text: &str) -> Page {
    let max_top = PAGE_HEIGHT - MARGIN - LINE_HEIGHT;
    let lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, t)| line(t, (MARGIN + i as f32 * LINE_HEIGHT).min(max_top)))
        .collect();
    Page::from_lines(number, PAGE_WIDTH, PAGE_HEIGHT, 300, PageSource::Ocr, lines)
}

fn line(text: &str, top: f32) -> Line {
    let right_edge = PAGE_WIDTH - MARGIN;
    let mut left = MARGIN;
    let words: Vec<Word> = text
        .split_whitespace()
        .map(|w| {
            let width = (w.chars().count() as f32 * CHAR_WIDTH).min(right_edge - left).max(0.0);
            let word = Word { text: w.to_string(), bbox: BBox { left, top, width, height: LINE_HEIGHT * 0.8 }, confidence: CONFIDENCE };
            left = (left + width + CHAR_WIDTH).min(right_edge);
            word
        })
        .collect();
    let bbox = match (words.first(), words.last()) {
        (Some(first), Some(last)) => first.bbox.union(&last.bbox),
        _ => BBox { left: MARGIN, top, width: 0.0, height: LINE_HEIGHT * 0.8 },
    };
    Line { text: text.trim().to_string(), bbox, confidence: CONFIDENCE, words }
}

/// About `words` words of invoice-like text over pages of ~500 words: the
/// benchmark's "3,000-word document".
pub fn invoice_text_pages(words: usize) -> Vec<String> {
    let header = "ACME Industrial Supplies GmbH\nHauptstrasse 12, 10115 Berlin\nInvoice Number: INV-2024-0042\nInvoice Date: 2024-03-15\nDue Date: 2024-04-14\nPO Number: PO-7731\nOrder Date: 2024-03-01\n";
    let mut pages = Vec::new();
    let mut page = String::from(header);
    let mut count = header.split_whitespace().count();
    let mut item = 0;
    while count < words {
        item += 1;
        let line = format!("{} x Stainless steel hex bolt M8 size {item} zinc plated @ {}.50\n", item % 9 + 1, item % 40 + 1);
        count += line.split_whitespace().count();
        page.push_str(&line);
        if page.split_whitespace().count() >= 500 {
            pages.push(std::mem::take(&mut page));
        }
    }
    page.push_str("Subtotal: 1,180.00 EUR\nVAT 19%: 224.20 EUR\nTotal: 1,404.20 EUR\n");
    pages.push(page);
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_stay_inside_the_page() {
        let long = "word ".repeat(400);
        let tall = "line\n".repeat(200);
        let doc = document("generic", &[&long, &tall]);
        for p in &doc.pages {
            for l in &p.lines {
                for b in std::iter::once(&l.bbox).chain(l.words.iter().map(|w| &w.bbox)) {
                    assert!(b.left >= 0.0 && b.right() <= p.width && b.top >= 0.0 && b.bottom() <= p.height, "{b:?}");
                }
            }
        }
    }

    #[test]
    fn invoice_text_has_the_requested_size() {
        let pages = invoice_text_pages(3000);
        let words: usize = pages.iter().map(|p| p.split_whitespace().count()).sum();
        assert!((3000..3100).contains(&words), "{words}");
        assert!(pages.len() >= 6);
    }
}
