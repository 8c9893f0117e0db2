//! Everything decided once per document before fields are extracted: rows,
//! locale, number format, day/month order, currency, and every date and
//! amount found, with their positions.

use crate::date::{RawDate, find_dates, infer_order_with_evidence};
use crate::layout::{Row, build_rows};
use crate::locale::{DateOrder, Locale};
use crate::model::{Date, Document};
use crate::money::{Amount, NumberFormat, currency_of_token, parse_amount, resolve_dollar};
use crate::vocab::Vocabulary;

/// A date found in the document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateHit {
    pub row: usize,
    pub start: usize,
    pub end: usize,
    pub raw: RawDate,
    /// Under the document's order.
    pub date: Date,
}

/// A money-like number found in the document.
#[derive(Clone, Debug, PartialEq)]
pub struct AmountHit {
    pub row: usize,
    /// Token index of the number (a currency token before it is not included).
    pub token: usize,
    pub amount: Amount,
}

pub struct Context {
    pub rows: Vec<Row>,
    pub locale: Locale,
    /// The labels of the document's language (plus English).
    pub vocab: &'static Vocabulary,
    pub format: NumberFormat,
    pub date_order: DateOrder,
    /// The order was settled by a date in the document (a day above 12),
    /// not by the locale default.
    pub date_order_from_evidence: bool,
    /// Otherwise the caller's language or region decided it (`en-US`: month
    /// first); false when nothing did and day-first is only the default.
    pub date_order_from_locale: bool,
    /// ISO 4217 code of the document's currency, when there is evidence or a hint.
    pub currency: Option<String>,
    pub dates: Vec<DateHit>,
    /// Per row, the amounts on it (left to right).
    pub amounts: Vec<Vec<AmountHit>>,
}

impl Context {
    pub fn new(doc: &Document) -> Context {
        Context::from_rows(build_rows(doc), Locale::from_document(doc))
    }

    /// The same analysis over rows arranged differently (e.g. the column
    /// blocks of an invoice header, see [`crate::layout::blocks`]).
    pub fn from_rows(mut rows: Vec<Row>, locale: Locale) -> Context {
        crate::layout::repair_split_amounts(&mut rows);
        crate::layout::split_glued_days(&mut rows);
        // Space-grouped thousands (`8 394,62`) are common wherever the decimal
        // is a comma, even where glibc names none (pt_PT) or a dot; the join
        // needs a tight gap, so a quantity column is never glued to a price.
        if locale.space_grouping() || locale.decimal_comma() {
            crate::layout::join_space_groups(&mut rows);
        }
        let format = NumberFormat::infer(rows.iter().flat_map(|r| r.tokens.iter().map(|t| t.text.as_str())), locale.decimal_comma());

        let mut raw_dates = Vec::new();
        for (ri, row) in rows.iter().enumerate() {
            let texts = row.texts();
            for f in find_dates(&texts) {
                raw_dates.push((ri, f));
            }
        }
        let (date_order, date_order_from_evidence) = infer_order_with_evidence(raw_dates.iter().map(|(_, f)| &f.raw), &locale);
        let dates: Vec<DateHit> = raw_dates
            .iter()
            .filter_map(|&(row, f)| {
                let date = f.raw.resolve(date_order)?;
                Some(DateHit { row, start: f.start, end: f.end, raw: f.raw, date })
            })
            .collect();

        let mut amounts = Vec::with_capacity(rows.len());
        let mut marks: Vec<String> = Vec::new();
        for (ri, row) in rows.iter().enumerate() {
            let in_date = |ti: usize| dates.iter().any(|d| d.row == ri && ti >= d.start && ti < d.end);
            let mut hits = Vec::new();
            for (ti, tok) in row.tokens.iter().enumerate() {
                if let Some(code) = currency_of_token(&tok.text) {
                    marks.push(code.to_string());
                }
                if in_date(ti) || looks_like_time_or_code(&tok.text) {
                    continue;
                }
                if let Some(mut amount) = parse_amount(&tok.text, format) {
                    match amount.currency.as_deref() {
                        // Glued to the number (`RM9.75`): a marker of its own.
                        Some(glued) => marks.push(glued.to_string()),
                        None if ti > 0 => {
                            amount.currency = currency_of_token(&row.tokens[ti - 1].text).map(str::to_string);
                        }
                        None => {}
                    }
                    hits.push(AmountHit { row: ri, token: ti, amount });
                }
            }
            amounts.push(hits);
        }
        let currency = document_currency(&marks, &locale);
        // Labels of every listed language (`de,en`); the locale is the first's.
        let vocab = Vocabulary::for_language(if locale.languages.is_empty() { &locale.language } else { &locale.languages });
        // English alone is written both ways; other languages day first.
        let date_order_from_locale =
            !date_order_from_evidence && (locale.region.is_some() || !matches!(locale.language.as_str(), "" | "en"));
        Context { rows, locale, vocab, format, date_order, date_order_from_evidence, date_order_from_locale, currency, dates, amounts }
    }

    /// Amounts on `row` at or after token `from`.
    pub fn amounts_after(&self, row: usize, from: usize) -> impl Iterator<Item = &AmountHit> {
        self.amounts[row].iter().filter(move |a| a.token >= from)
    }

    /// Dates on `row`.
    pub fn dates_on(&self, row: usize) -> impl Iterator<Item = &DateHit> {
        self.dates.iter().filter(move |d| d.row == row)
    }
}

/// `12:30`, `#123`, `1/2`: tokens that parse as numbers but are not amounts.
fn looks_like_time_or_code(t: &str) -> bool {
    t.contains(':') && t.chars().filter(|c| c.is_ascii_digit()).count() >= 3 || t.starts_with('#') || t.contains('/') || t.ends_with('%')
}

/// The document's currency: the most frequent explicit marker (codes and
/// unambiguous symbols); a bare `$` resolves through the locale; with no
/// marker at all the caller's hint or the region's currency.
fn document_currency(marks: &[String], locale: &Locale) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for m in marks {
        match counts.iter_mut().find(|(c, _)| c == m) {
            Some((_, n)) => *n += 1,
            None => counts.push((m.as_str(), 1)),
        }
    }
    let best_explicit = counts.iter().filter(|(c, _)| *c != "$").max_by_key(|(_, n)| *n).map(|(c, _)| c.to_string());
    if let Some(hint) = locale.currency.as_deref() {
        // An explicit marker in the document beats the hint only when the
        // hint's currency never appears.
        if best_explicit.as_deref().is_none_or(|b| counts.iter().any(|(c, _)| *c == hint) || b == hint) {
            return Some(hint.to_string());
        }
    }
    if best_explicit.is_some() {
        return best_explicit;
    }
    if counts.iter().any(|(c, _)| *c == "$") {
        return Some(resolve_dollar(locale.default_currency()).to_string());
    }
    locale.default_currency().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::doc_from_boxes;

    #[test]
    fn currency_comes_from_markers_then_locale() {
        let doc = doc_from_boxes(&[(0.0, 0.0, 100.0, 20.0, "TOTAL RM 12.00"), (0.0, 30.0, 100.0, 50.0, "CASH RM20.00")]);
        let ctx = Context::new(&doc);
        assert_eq!(ctx.currency.as_deref(), Some("MYR"));
        assert_eq!(ctx.amounts[0][0].amount.currency.as_deref(), Some("MYR"), "currency token before the number");

        let mut doc = doc_from_boxes(&[(0.0, 0.0, 100.0, 20.0, "TOTAL $8.20")]);
        assert_eq!(Context::new(&doc).currency.as_deref(), Some("USD"));
        doc.hints.push(("locale".into(), "en-SG".into()));
        assert_eq!(Context::new(&doc).currency.as_deref(), Some("SGD"), "a bare $ in Singapore");

        let mut doc = doc_from_boxes(&[(0.0, 0.0, 100.0, 20.0, "Summe 12,50")]);
        doc.hints.push(("locale".into(), "de-AT".into()));
        let ctx = Context::new(&doc);
        assert_eq!(ctx.currency.as_deref(), Some("EUR"), "no marker: the region's currency");
        assert_eq!(ctx.format, NumberFormat::COMMA);
    }

    #[test]
    fn dates_and_times_are_not_amounts() {
        let doc = doc_from_boxes(&[(0.0, 0.0, 300.0, 20.0, "12.03.2018 14:30 TOTAL 1.234,56 7% 12/2")]);
        let ctx = Context::new(&doc);
        eprintln!("amounts {:?}", ctx.amounts);
        let values: Vec<f64> = ctx.amounts[0].iter().map(|a| a.amount.value).collect();
        assert_eq!(values, vec![1234.56]);
        assert_eq!(ctx.dates.len(), 1);
        assert_eq!(ctx.dates[0].date.iso(), "2018-03-12");
    }
}
