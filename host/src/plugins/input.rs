//! The host's document model ([`crate::model`]) as the WIT `document` a
//! plugin receives.

use super::bindings::wit;
use crate::model;

pub fn to_wit(doc: &model::Document) -> wit::Document {
    wit::Document {
        id: doc.id.clone(),
        document_type: doc.document_type.clone(),
        language: doc.language.clone(),
        extract_tables: doc.extract_tables,
        hints: doc.hints.clone(),
        pages: doc.pages.iter().map(page).collect(),
    }
}

fn page(p: &model::Page) -> wit::Page {
    wit::Page {
        number: p.number,
        width: p.width,
        height: p.height,
        dpi: p.dpi,
        source: match p.source {
            model::PageSource::Ocr => wit::PageSource::Ocr,
            model::PageSource::PdfTextLayer => wit::PageSource::PdfTextLayer,
        },
        text: p.text.clone(),
        lines: p.lines.iter().map(line).collect(),
        rows: rows(&p.lines),
    }
}

/// The page's printed rows (contract 0.2.0), grouped by the one owner of
/// rows, `ocr::layout`.
fn rows(lines: &[model::Line]) -> Vec<wit::Row> {
    crate::ocr::layout::line_rows(lines)
        .into_iter()
        .filter_map(|members| {
            let first = &lines[*members.first()?];
            let picked = || members.iter().map(|&i| &lines[i]);
            Some(wit::Row {
                text: picked().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "),
                bbox: bbox(&picked().fold(first.bbox, |b, l| b.union(&l.bbox))),
                confidence: picked().map(|l| l.confidence).fold(1.0, f32::min),
                lines: members.iter().map(|&i| i as u32).collect(),
            })
        })
        .collect()
}

fn line(l: &model::Line) -> wit::Line {
    wit::Line {
        text: l.text.clone(),
        bbox: bbox(&l.bbox),
        confidence: l.confidence,
        words: l.words.iter().map(|w| wit::Word { text: w.text.clone(), bbox: bbox(&w.bbox), confidence: w.confidence }).collect(),
    }
}

fn bbox(b: &model::BBox) -> wit::Bbox {
    wit::Bbox { left: b.left, top: b.top, width: b.width, height: b.height }
}
