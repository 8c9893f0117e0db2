//! Any document: labelled key-value pairs (`Label: value`), dates, money
//! amounts, emails, phone numbers, URLs, and tables when the layout has them.
//!
//! Keys: a pair's label in camelCase (`Reference No.:` -> `referenceNo`);
//! unlabelled values get their kind as key, numbered from the second on
//! (`date`, `date2`, `email`, `phone`, `url`, `amount`).

use crate::contact::{email_in, phones_in_row, url_in};
use crate::context::Context;
use crate::layout::Row;
use crate::model::{Document, ExtractError, Extraction, SourceRef, Table, TableRow, Value};
use crate::text::{camel_case, letter_ratio, squash_spaces};
use crate::totals::summarize;

/// Extracts everything recognisable from a document of unknown type.
pub fn extract_generic(doc: &Document) -> Result<Extraction, ExtractError> {
    crate::extract_with(doc, generic_fields)
}

fn generic_fields(doc: &Document, ctx: &Context, out: &mut Extraction) {
    let mut used: Vec<(usize, usize)> = Vec::new(); // (row, token) consumed by a labelled pair

    // 1. Label: value pairs, per cell (so two pairs on one row both count).
    for (ri, row) in ctx.rows.iter().enumerate() {
        for (a, b) in row.cells() {
            if let Some((label, vstart)) = label_in_cell(row, a, b) {
                if vstart >= b {
                    continue;
                }
                let key = camel_case(&label);
                if key.is_empty() || key.len() > 40 {
                    continue;
                }
                let value = typed_value(ctx, ri, vstart, b);
                let conf = 0.8 * (0.5 + 0.5 * row.span_confidence(vstart, b));
                push_numbered(out, &key, value, conf, Some(row.source(vstart, b)));
                used.extend((vstart..b).map(|t| (ri, t)));
            }
        }
    }

    // 2. Dates, emails, URLs, phones and amounts not already part of a pair.
    for hit in &ctx.dates {
        if !(hit.start..hit.end).any(|t| used.contains(&(hit.row, t))) {
            let row = &ctx.rows[hit.row];
            push_numbered(
                out,
                "date",
                Value::Date(hit.date),
                0.7 * (0.5 + 0.5 * row.span_confidence(hit.start, hit.end)),
                Some(row.source(hit.start, hit.end)),
            );
        }
    }
    for (ri, row) in ctx.rows.iter().enumerate() {
        for (ti, tok) in row.tokens.iter().enumerate() {
            if used.contains(&(ri, ti)) {
                continue;
            }
            if let Some(email) = email_in(&tok.text) {
                push_numbered(out, "email", Value::Text(email), 0.85 * tok.confidence.max(0.5), Some(row.source(ti, ti + 1)));
            } else if let Some(url) = url_in(&tok.text) {
                push_numbered(out, "url", Value::Text(url), 0.8 * tok.confidence.max(0.5), Some(row.source(ti, ti + 1)));
            }
        }
        for p in phones_in_row(row) {
            if !(p.start..p.end).any(|t| used.contains(&(ri, t))) {
                let key = if p.fax { "fax" } else { "phone" };
                push_numbered(out, key, Value::Text(p.number), 0.75, Some(row.source(p.start, p.end)));
            }
        }
    }
    let summary = summarize(ctx);
    if let Some(t) = &summary.total {
        crate::fields::push_money(out, ctx, "totalAmount", Some(t));
    }
    for hits in &ctx.amounts {
        for h in hits {
            let explicit = h.amount.currency.is_some() || h.amount.decimals == 2;
            if explicit
                && !used.contains(&(h.row, h.token))
                && summary.total.as_ref().is_none_or(|t| t.hit.row != h.row || t.hit.token != h.token)
            {
                let currency = h.amount.currency.clone().filter(|c| c != "$").or_else(|| ctx.currency.clone());
                let row = &ctx.rows[h.row];
                push_numbered(
                    out,
                    "amount",
                    Value::Money { amount: h.amount.value, currency },
                    0.6 * row.tokens[h.token].confidence.max(0.5),
                    Some(row.source(h.token, h.token + 1)),
                );
            }
        }
    }
    if let Some(c) = &ctx.currency {
        out.push("currency", Value::Text(c.clone()), 0.7, None);
    }

    // 3. Tables.
    if doc.extract_tables {
        out.tables = find_tables(ctx);
    }
    // A long statement holds more values than a document may return: keep
    // the total and currency, then what came first (labelled pairs lead).
    crate::limits::fit(out, &["totalAmount", "currency"]);

    // Honest confidence: how much of the text turned into fields.
    let found = out.fields.len() as f32;
    let coverage = (found / (ctx.rows.len() as f32 * 0.5).max(1.0)).min(1.0);
    let mean = if out.fields.is_empty() { 0.0 } else { out.fields.iter().map(|f| f.confidence).sum::<f32>() / found };
    out.confidence = (mean * (0.4 + 0.6 * coverage)).clamp(0.0, 1.0);
    if out.fields.is_empty() {
        out.warnings.push("no fields recognised".into());
    }
}

/// Adds `key`, or `key2`, `key3`... when taken.
fn push_numbered(out: &mut Extraction, key: &str, value: Value, confidence: f32, source: Option<SourceRef>) {
    let mut k = key.to_string();
    let mut n = 1;
    while out.field(&k).is_some() {
        n += 1;
        k = format!("{key}{n}");
    }
    out.push(&k, value, confidence, source);
}

/// `Label:` at the start of a cell (1 to 5 words, mostly letters, ending in
/// a colon): the label text and the token where the value starts.
fn label_in_cell(row: &Row, a: usize, b: usize) -> Option<(String, usize)> {
    for end in a..b.min(a + 5) {
        let t = &row.tokens[end].text;
        let colon_here = t.ends_with(':') && t.len() > 1;
        let colon_next = row.tokens.get(end + 1).is_some_and(|n| n.text == ":") && end + 1 < b;
        if colon_here || colon_next {
            let label = row.tokens[a..=end].iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
            let label = label.trim_end_matches(':').trim().to_string();
            if letter_ratio(&label) < 0.6 || label.chars().filter(|c| c.is_alphabetic()).count() < 2 {
                return None;
            }
            let value_start = if colon_next { end + 2 } else { end + 1 };
            return Some((label, value_start));
        }
        // Words of a label have no digits (times like `12:30` are values).
        if t.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    None
}

/// A value as its most specific type: a date, an amount, a number, or text.
fn typed_value(ctx: &Context, ri: usize, a: usize, b: usize) -> Value {
    let row = &ctx.rows[ri];
    if let Some(d) = ctx.dates_on(ri).find(|d| d.start == a && d.end == b) {
        return Value::Date(d.date);
    }
    let hits: Vec<_> = ctx.amounts[ri].iter().filter(|h| h.token >= a && h.token < b).collect();
    let currency_only = row.tokens[a..b]
        .iter()
        .enumerate()
        .all(|(k, t)| hits.iter().any(|h| h.token == a + k) || crate::money::currency_of_token(&t.text).is_some());
    if hits.len() == 1 && currency_only {
        let h = hits[0];
        if h.amount.currency.is_some() || h.amount.decimals == 2 {
            let currency = h.amount.currency.clone().filter(|c| c != "$").or_else(|| ctx.currency.clone());
            return Value::Money { amount: h.amount.value, currency };
        }
        if b - a == 1 && !row.tokens[a].text.starts_with('0') {
            return Value::Number(h.amount.value);
        }
    }
    Value::Text(squash_spaces(&row.span_text(a, b)))
}

/// Tables: a header row of 2+ cells followed by 2+ rows whose cells line up
/// under the header's columns.
fn find_tables(ctx: &Context) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut ri = 0;
    while ri + 2 < ctx.rows.len() {
        let header = &ctx.rows[ri];
        let head_cells = header.cells();
        let is_header = head_cells.len() >= 2
            && head_cells.iter().all(|&(a, b)| letter_ratio(&header.span_text(a, b)) >= 0.6)
            && ctx.amounts[ri].is_empty()
            && ctx.dates_on(ri).next().is_none();
        if !is_header {
            ri += 1;
            continue;
        }
        // Column spans from the header, widened to the gaps between them.
        let spans: Vec<(f32, f32)> =
            head_cells.iter().map(|&(a, b)| (header.tokens[a].bbox.left, header.tokens[b - 1].bbox.right())).collect();
        let column_of = |x_left: f32, x_right: f32| -> Option<usize> {
            let mut best = None;
            let mut best_overlap = 0.0;
            for (c, &(l, r)) in spans.iter().enumerate() {
                let overlap = (x_right.min(r) - x_left.max(l)).max(0.0);
                if overlap > best_overlap {
                    best_overlap = overlap;
                    best = Some(c);
                }
            }
            // Right-aligned numbers under a short header: nearest column.
            best.or_else(|| {
                spans
                    .iter()
                    .enumerate()
                    .min_by(|(_, a), (_, b)| {
                        let da = (a.1 - x_right).abs().min((a.0 - x_left).abs());
                        let db = (b.1 - x_right).abs().min((b.0 - x_left).abs());
                        da.total_cmp(&db)
                    })
                    .map(|(c, _)| c)
            })
        };
        let mut rows = Vec::new();
        let mut next = ri + 1;
        while next < ctx.rows.len() {
            let row = &ctx.rows[next];
            let cells = row.cells();
            if cells.len() < 2 || cells.len() > spans.len() + 1 || row.page != header.page {
                break;
            }
            let mut values: Vec<Option<Value>> = vec![None; spans.len()];
            let mut clash = false;
            for &(a, b) in &cells {
                let Some(c) = column_of(row.tokens[a].bbox.left, row.tokens[b - 1].bbox.right()) else { continue };
                if values[c].is_some() {
                    clash = true;
                }
                values[c] = Some(typed_value(ctx, next, a, b));
            }
            if clash {
                break;
            }
            rows.push(TableRow { cells: values, confidence: 0.7 * row.confidence.max(0.3), source: Some(row.row_source()) });
            next += 1;
        }
        if rows.len() >= 2 {
            let mut columns: Vec<String> = Vec::new();
            for &(a, b) in &head_cells {
                let mut name = camel_case(&header.span_text(a, b));
                if name.is_empty() || columns.contains(&name) {
                    name = format!("column{}", columns.len() + 1);
                }
                columns.push(name);
            }
            tables.push(Table {
                name: if tables.is_empty() { "table".into() } else { format!("table{}", tables.len() + 1) },
                columns,
                rows,
            });
            ri = next;
        } else {
            ri += 1;
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BBox, Line, Page};

    fn generic(rows: &[&[(f32, &str)]]) -> Extraction {
        let mut lines = Vec::new();
        for (i, cells) in rows.iter().enumerate() {
            let top = 40.0 + i as f32 * 30.0;
            for (x, text) in cells.iter() {
                lines.push(Line::from_text(text, BBox::new(*x, top, 9.0 * text.chars().count() as f32, 20.0), 0.95));
            }
        }
        let doc = Document {
            language: "en".into(),
            hints: vec![],
            extract_tables: true,
            pages: vec![Page { number: 1, width: 1240.0, height: 1754.0, lines }],
        };
        extract_generic(&doc).unwrap()
    }

    #[test]
    fn labelled_pairs_contacts_and_tables() {
        let e = generic(&[
            &[(60.0, "Shipping Notice")],
            &[(60.0, "Reference No.: SN-4471"), (700.0, "Date: 12 March 2024")],
            &[(60.0, "Carrier: Blue Freight Ltd"), (700.0, "Weight: 12")],
            &[(60.0, "Declared value: EUR 1.250,00")],
            &[(60.0, "Contact ops@bluefreight.example or +44 20 7946 0958")],
            &[(60.0, "Track at https://track.bluefreight.example/SN-4471")],
            &[(60.0, "Item"), (500.0, "Pieces"), (800.0, "Weight kg")],
            &[(60.0, "Pallet A"), (500.0, "4"), (800.0, "8.5")],
            &[(60.0, "Pallet B"), (500.0, "2"), (800.0, "3.5")],
            &[(60.0, "Shipped on 11/03/2024")],
        ]);
        assert_eq!(e.text("referenceNo"), Some("SN-4471"));
        assert_eq!(e.date("date").map(|d| d.iso()).as_deref(), Some("2024-03-12"));
        assert_eq!(e.text("carrier"), Some("Blue Freight Ltd"));
        assert_eq!(e.value("weight"), Some(&Value::Number(12.0)));
        assert_eq!(e.value("declaredValue"), Some(&Value::Money { amount: 1250.0, currency: Some("EUR".into()) }));
        assert_eq!(e.text("email"), Some("ops@bluefreight.example"));
        assert_eq!(e.text("phone"), Some("+44 20 7946 0958"));
        assert!(e.text("url").unwrap().starts_with("https://track.bluefreight.example/"));
        assert_eq!(e.date("date2").map(|d| d.iso()).as_deref(), Some("2024-03-11"), "unlabelled date, day first");
        let t = e.table("table").expect("a table");
        assert_eq!(t.columns, vec!["item", "pieces", "weightKg"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].cells[0], Some(Value::Text("Pallet B".into())));
        assert!(e.confidence > 0.4, "{}", e.confidence);
    }

    #[test]
    fn nothing_recognisable_is_low_confidence() {
        let e = generic(&[&[(60.0, "lorem ipsum dolor")], &[(60.0, "sit amet")]]);
        assert!(e.confidence < 0.2);
        assert!(!e.warnings.is_empty());
    }

    #[test]
    fn a_long_statement_stays_within_the_field_limit() {
        // 400 rows of `date  reference  amount`: ~800 values, more than a
        // document may return; the labelled total must survive the cut.
        let owned: Vec<Vec<(f32, String)>> = (0..400)
            .map(|i| {
                vec![
                    (60.0, format!("{:02}/03/2024", i % 28 + 1)),
                    (300.0, format!("REF{i:05}")),
                    (800.0, format!("{}.{:02}", 10 + i, i % 100)),
                ]
            })
            .chain(std::iter::once(vec![(60.0, "Total due: EUR 9.999,00".to_string())]))
            .collect();
        let rows: Vec<Vec<(f32, &str)>> = owned.iter().map(|r| r.iter().map(|(x, t)| (*x, t.as_str())).collect()).collect();
        let rows: Vec<&[(f32, &str)]> = rows.iter().map(|r| r.as_slice()).collect();
        let e = generic(&rows);
        assert!(crate::limits::check(&e).is_ok(), "{:?}", crate::limits::check(&e));
        assert_eq!(e.fields.len(), crate::limits::MAX_FIELDS);
        assert!(
            e.field("totalDue").is_some() || e.field("totalAmount").is_some(),
            "{:?}",
            e.fields.iter().map(|f| &f.key).collect::<Vec<_>>()
        );
        assert!(e.warnings.iter().any(|w| w.contains("further values not returned")), "{:?}", e.warnings);
    }
}
