//! The glue every first-party plugin shares: SDK (WIT) document ->
//! [`folio_extract::model::Document`], run an extractor, and the result back
//! to an SDK [`Extraction`], made safe for the host's validation (finite
//! numbers, confidences in 0..1, boxes inside their page, unique keys).

use folio_extract::model as m;

/// The extractors, re-exported so plugins depend on this crate alone.
pub use folio_extract as extract;
use folio_plugin_sdk::prelude::*;

/// The WIT document as folio-extract's input model.
pub fn to_model(doc: &Document) -> m::Document {
    m::Document {
        language: doc.language.clone(),
        hints: doc.hints.clone(),
        extract_tables: doc.extract_tables,
        pages: doc
            .pages
            .iter()
            .map(|p| m::Page {
                number: p.number,
                width: p.width,
                height: p.height,
                lines: p
                    .lines
                    .iter()
                    .map(|l| m::Line {
                        text: l.text.clone(),
                        bbox: bbox_in(l.bbox),
                        confidence: l.confidence,
                        words: l
                            .words
                            .iter()
                            .map(|w| m::Word { text: w.text.clone(), bbox: bbox_in(w.bbox), confidence: w.confidence })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn bbox_in(b: Bbox) -> m::BBox {
    m::BBox::new(b.left, b.top, b.width, b.height)
}

/// Page sizes by page number, to keep output boxes inside their page.
struct Pages(Vec<(u32, f32, f32)>);

impl Pages {
    fn of(doc: &Document) -> Pages {
        Pages(doc.pages.iter().map(|p| (p.number, p.width, p.height)).collect())
    }

    fn source(&self, s: Option<m::SourceRef>) -> Option<SourceRef> {
        let s = s?;
        let &(_, w, h) = self.0.iter().find(|(n, _, _)| *n == s.page)?;
        let left = s.bbox.left.clamp(0.0, w);
        let top = s.bbox.top.clamp(0.0, h);
        let right = s.bbox.right().clamp(left, w);
        let bottom = s.bbox.bottom().clamp(top, h);
        if ![left, top, right, bottom].iter().all(|v| v.is_finite()) {
            return None;
        }
        Some(SourceRef { page: s.page, bbox: Bbox { left, top, width: right - left, height: bottom - top } })
    }
}

fn confidence(c: f32) -> f32 {
    if c.is_finite() { c.clamp(0.0, 1.0) } else { 0.0 }
}

fn value_out(v: m::Value) -> Option<FieldValue> {
    Some(match v {
        m::Value::Text(s) => FieldValue::Text(s),
        m::Value::Number(n) if n.is_finite() => FieldValue::Number(n),
        m::Value::Money { amount, currency } if amount.is_finite() => FieldValue::Money(Money { amount, currency }),
        m::Value::Date(d) => FieldValue::Date(Date { year: d.year, month: d.month, day: d.day }),
        m::Value::Boolean(b) => FieldValue::Boolean(b),
        _ => return None,
    })
}

/// folio-extract's result as the WIT extraction for `doc`.
pub fn from_model(doc: &Document, e: m::Extraction) -> Extraction {
    let pages = Pages::of(doc);
    let mut fields: Vec<Field> = Vec::with_capacity(e.fields.len());
    for f in e.fields {
        if fields.iter().any(|g| g.key == f.key) {
            continue;
        }
        if let Some(value) = value_out(f.value) {
            fields.push(Field { key: f.key, value, confidence: confidence(f.confidence), source: pages.source(f.source) });
        }
    }
    let tables = e
        .tables
        .into_iter()
        .map(|t| {
            let width = t.columns.len();
            Table {
                name: t.name,
                columns: t.columns,
                rows: t
                    .rows
                    .into_iter()
                    .map(|r| {
                        let mut cells: Vec<Option<FieldValue>> = r.cells.into_iter().map(|c| c.and_then(value_out)).collect();
                        cells.resize(width, None);
                        TableRow { cells, confidence: confidence(r.confidence), source: pages.source(r.source) }
                    })
                    .collect(),
            }
        })
        .collect();
    Extraction { fields, tables, confidence: confidence(e.confidence), warnings: e.warnings }
}

pub fn error_out(e: m::ExtractError) -> ExtractError {
    match e {
        m::ExtractError::Unsupported(msg) => ExtractError::UnsupportedDocument(msg),
        m::ExtractError::InvalidInput(msg) => ExtractError::InvalidInput(msg),
    }
}

/// Runs `extractor` on a WIT document and converts the result back.
pub fn run(doc: Document, extractor: fn(&m::Document) -> Result<m::Extraction, m::ExtractError>) -> Result<Extraction, ExtractError> {
    let model = to_model(&doc);
    extractor(&model).map(|e| from_model(&doc, e)).map_err(error_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lines: &[&str]) -> Document {
        Document {
            id: "doc_test".into(),
            document_type: "receipt".into(),
            language: "en".into(),
            extract_tables: true,
            hints: vec![],
            pages: vec![Page {
                number: 1,
                width: 400.0,
                height: 300.0,
                dpi: 300,
                source: PageSource::Ocr,
                text: lines.join("\n"),
                lines: lines
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Line {
                        text: t.to_string(),
                        bbox: Bbox { left: 10.0, top: 10.0 + 30.0 * i as f32, width: 380.0, height: 20.0 },
                        confidence: 0.9,
                        words: vec![],
                    })
                    .collect(),
                rows: vec![],
            }],
        }
    }

    #[test]
    fn a_receipt_round_trips_through_the_wit_types() {
        let d = doc(&[
            "ACME STORE SDN BHD",
            "NO 1, JALAN MAJU,",
            "43000 KAJANG",
            "DATE 25/12/2018",
            "TOTAL RM 12.50",
            "CASH 20.00",
            "CHANGE 7.50",
        ]);
        let e = run(d, folio_extract::extract_receipt).unwrap();
        let total = e.fields.iter().find(|f| f.key == "totalAmount").unwrap();
        assert_eq!(total.value, FieldValue::Money(Money { amount: 12.5, currency: Some("MYR".into()) }));
        let src = total.source.unwrap();
        assert!(src.bbox.left >= 0.0 && src.bbox.left + src.bbox.width <= 400.0);
        let date = e.fields.iter().find(|f| f.key == "date").unwrap();
        assert_eq!(date.value, FieldValue::Date(Date { year: 2018, month: 12, day: 25 }));
        assert!(e.fields.iter().all(|f| (0.0..=1.0).contains(&f.confidence)));
    }

    #[test]
    fn a_document_without_pages_is_invalid_input() {
        let mut d = doc(&[]);
        d.pages.clear();
        assert!(matches!(run(d, folio_extract::extract_receipt), Err(ExtractError::InvalidInput(_))));
    }
}
