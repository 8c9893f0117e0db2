//! Field extraction for Folio's first-party extractor plugins (invoice,
//! receipt, generic), as plain Rust: the plugins are thin adapters from the
//! WIT types to [`model`] and back, so everything here is tested natively.
//!
//! The pipeline per document: [`layout`] groups OCR lines into rows of
//! tokens; [`context::Context`] decides the number format, day/month order and
//! currency from the whole document; field extractors then look for labels,
//! positions and cross-checks (a total that equals subtotal + tax, or cash
//! minus change) rather than vendor templates.

pub mod contact;
pub mod context;
pub mod date;
pub mod eval;
pub mod fields;
pub mod generic;
pub mod invoice;
pub mod items;
pub mod layout;
pub mod limits;
pub mod locale;
pub mod model;
pub mod money;
pub mod party;
pub mod receipt;
pub mod taxid;
pub mod text;
pub mod totals;
pub mod vocab;

pub use model::{Document, ExtractError, Extraction};

#[cfg(test)]
mod language_tests;

/// What every extractor does around its own work: refuse a document without
/// pages, build the [`context::Context`], answer a document without text
/// with a warning, and keep the result within the contract's
/// [`limits`] (an extractor that must choose what to keep calls
/// [`limits::fit`] itself first).
fn extract_with(doc: &Document, fields: impl FnOnce(&Document, &context::Context, &mut Extraction)) -> Result<Extraction, ExtractError> {
    model::validate(doc)?;
    let ctx = context::Context::new(doc);
    let mut out = Extraction::default();
    if ctx.rows.is_empty() {
        out.warnings.push("the document has no text".into());
        return Ok(out);
    }
    fields(doc, &ctx, &mut out);
    limits::fit(&mut out, &[]);
    Ok(out)
}
pub use generic::extract_generic;
pub use invoice::extract_invoice;
pub use receipt::extract_receipt;

#[cfg(test)]
mod robustness {
    //! OCR output is arbitrary text: every extractor must return, never panic.
    use crate::model::{BBox, Document, Line, Page};

    /// Deterministic pseudo-random documents of receipt-like junk.
    fn junk_documents() -> Vec<Document> {
        const PIECES: &[&str] = &[
            "TOTAL",
            "Total:",
            "SUB",
            "TOTAL(RM)",
            "RM",
            "$",
            "€",
            "12.50",
            "1,234.56",
            "1.234,56",
            "-0.02",
            "(0.17)",
            "49.",
            "39",
            "0",
            ":",
            "|",
            "DATE",
            "25/12/2018",
            "12/31/2024",
            "2018-13-45",
            "05",
            "MAR",
            "2018",
            "OCT",
            "3,",
            "8:13:39",
            "PM",
            "SDN",
            "BHD",
            "S/B",
            "SON",
            "BH0",
            "JALAN",
            "NO.5",
            "81100",
            "TEL:",
            "07-5547360",
            "GST",
            "CASH",
            "CHANGE",
            "Rounding",
            "Tatal",
            "Bill",
            "To:",
            "Invoice",
            "No:",
            "Net",
            "30",
            "days",
            "x",
            "2X",
            "@",
            "a@b.com",
            "www.x.my",
            "https://x.io/a",
            "(",
            ")",
            "Qty",
            "Price",
            "Amount",
            "ß",
            "日本",
            "\u{200b}",
            "",
        ];
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        (0..200)
            .map(|_| {
                let lines = (0..next(40))
                    .map(|i| {
                        let text = (0..next(8)).map(|_| PIECES[next(PIECES.len())]).collect::<Vec<_>>().join(" ");
                        let x = next(600) as f32;
                        Line::from_text(
                            &text,
                            BBox::new(x, i as f32 * 20.0 + next(15) as f32, next(400) as f32, 5.0 + next(30) as f32),
                            0.5,
                        )
                    })
                    .collect();
                Document {
                    language: ["en", "de", ""][next(3)].into(),
                    hints: vec![("locale".into(), ["en-US", "de_DE", "x", ""][next(4)].into())],
                    extract_tables: true,
                    pages: vec![Page { number: 1, width: 800.0, height: 1000.0, lines }],
                }
            })
            .collect()
    }

    #[test]
    fn extractors_never_panic_on_junk() {
        for doc in junk_documents() {
            for f in [crate::extract_receipt, crate::extract_invoice, crate::extract_generic] {
                let e = f(&doc).expect("pages are present");
                assert!(crate::limits::check(&e).is_ok(), "{:?}", crate::limits::check(&e));
                assert!((0.0..=1.0).contains(&e.confidence));
                assert!(e.fields.iter().all(|f| f.confidence.is_finite()));
            }
        }
    }
}
