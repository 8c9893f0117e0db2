//! Field helpers shared by the receipt, invoice and generic extractors:
//! choosing a date by its label, reading the value after a label, and
//! turning picked amounts into fields.

use crate::context::{Context, DateHit};
use crate::date::{Time, parse_time};
use crate::model::{Extraction, SourceRef, Value};
use crate::totals::Picked;
use crate::vocab::Field;

/// Labels that mark the document's own date: a receipt's or generic
/// document's date labels and an invoice's.
pub fn document_date_labels(ctx: &Context) -> Vec<&'static str> {
    ctx.vocab.labels_of(&[Field::InvoiceDate, Field::DocumentDate])
}

/// Labels of other dates a document carries (due, delivery, expiry, ...).
pub fn other_date_labels(ctx: &Context) -> Vec<&'static str> {
    ctx.vocab.labels_of(&[Field::DueDate, Field::OtherDate])
}

/// Scores every date and returns the best one for `labels`, avoiding dates
/// labelled with `avoid`. Confidence reflects the label and whether the
/// day/month order was certain.
pub fn pick_date(ctx: &Context, labels: &[&str], avoid: &[&str]) -> Option<(DateHit, f32)> {
    let mut best: Option<(f32, DateHit, bool)> = None;
    for hit in &ctx.dates {
        let row = &ctx.rows[hit.row];
        let mut score = 0.0f32;
        let labelled_here = label_before(row, hit.start, labels);
        let avoided_here = label_before(row, hit.start, avoid);
        let labelled_above = hit.row > 0 && row_ends_with_label(ctx, hit.row - 1, labels) && hit.start == 0;
        let avoided_above = hit.row > 0 && row_ends_with_label(ctx, hit.row - 1, avoid) && hit.start == 0;
        let labelled = (labelled_here && !avoided_here) || (labelled_above && !avoided_above);
        if labelled {
            score += 3.0;
        }
        if avoided_here || avoided_above && !labelled_here {
            score -= 4.0;
        }
        // OCR turns 2018 into 2048 or 2010 into 2070: far-off years lose.
        if !(1990..=2035).contains(&hit.date.year) {
            score -= 3.0;
        }
        if matches!(hit.raw, crate::date::RawDate::Named(_)) || !hit.raw.is_ambiguous() {
            score += 0.2;
        }
        // A time next to it: transaction timestamps.
        if row.tokens[hit.end.min(row.tokens.len())..].iter().any(|t| parse_time(&t.text, None).is_some()) {
            score += 0.3;
        }
        score -= 0.01 * hit.row as f32;
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, *hit, labelled));
        }
    }
    let (score, hit, labelled) = best?;
    let mut conf: f32 = if labelled {
        0.92
    } else if score > -1.0 {
        0.72
    } else {
        0.35
    };
    // `03/04/2024` with no date in the document to settle the order: the
    // caller's locale chose it, or only the day-first default did.
    if hit.raw.is_ambiguous() && !ctx.date_order_from_evidence {
        conf -= if ctx.date_order_from_locale { 0.15 } else { 0.25 };
    }
    let row = &ctx.rows[hit.row];
    Some((hit, conf * (0.6 + 0.4 * row.span_confidence(hit.start, hit.end))))
}

/// Whether one of `labels` appears in `row` before token `before`, with
/// nothing but punctuation between (allowing `Date/Time`).
fn label_before(row: &crate::layout::Row, before: usize, labels: &[&str]) -> bool {
    labels.iter().any(|l| {
        // One OCR slip in a long label word (`venciment`) still names the date.
        let fuzzy = || {
            let words: Vec<String> = l.split_whitespace().map(crate::vocab::normalise).collect();
            row.find_label_words_fuzzy(&words, before)
        };
        row.find_label(l).or_else(fuzzy).is_some_and(|(_, b)| {
            b <= before
                && row.tokens[b..before]
                    .iter()
                    .all(|t| t.key.is_empty() || t.key == "TIME" || t.key.len() <= 2 && !t.key.chars().any(|c| c.is_ascii_digit()))
        })
    })
}

/// Whether `row` ends with one of `labels` (`DATE:` alone, value below).
fn row_ends_with_label(ctx: &Context, ri: usize, labels: &[&str]) -> bool {
    let row = &ctx.rows[ri];
    labels.iter().any(|l| row.find_label(l).is_some_and(|(_, b)| row.tokens[b..].iter().all(|t| t.key.is_empty())))
}

/// The time of day near the chosen date, else after a time label, else the
/// first time on the document.
pub fn pick_time(ctx: &Context, date: Option<&DateHit>) -> Option<(Time, SourceRef)> {
    let time_in = |ri: usize, from: usize| -> Option<(Time, SourceRef)> {
        let row = &ctx.rows[ri];
        (from..row.tokens.len()).find_map(|ti| {
            let next = row.tokens.get(ti + 1).map(|t| t.text.as_str());
            parse_time(&row.tokens[ti].text, next).map(|(t, used)| (t, row.source(ti, if used { ti + 2 } else { ti + 1 })))
        })
    };
    if let Some(d) = date {
        if let Some(t) = time_in(d.row, d.end) {
            return Some(t);
        }
        // Same row before the date, or the row just below.
        if let Some(t) = time_in(d.row, 0) {
            return Some(t);
        }
    }
    for (ri, row) in ctx.rows.iter().enumerate() {
        if let Some((_, b)) = row.find_any_label(&ctx.vocab.labels(Field::Time)).map(|(_, a, b)| (a, b))
            && let Some(t) = time_in(ri, b)
        {
            return Some(t);
        }
    }
    (0..ctx.rows.len()).find_map(|ri| time_in(ri, 0))
}

/// The text after a label on the same row (skipping `:`, `#`, `No.`), or on
/// the next row when the label ends its row. Returns text, source, OCR confidence.
/// The value is the token after the label, or up to `max_tokens` tokens
/// when they are separated by single spaces and all carry digits.
pub fn text_after_label(
    ctx: &Context,
    labels: &[&str],
    max_tokens: usize,
    accept: impl Fn(&str) -> bool,
) -> Option<(String, SourceRef, f32)> {
    // Labels are listed most specific first: `invoice no` anywhere beats a
    // bare `invoice` title.
    for label in labels {
        for (ri, row) in ctx.rows.iter().enumerate() {
            let Some((a, b)) = row.find_label(label) else { continue };
            let mut j = b;
            while j < row.tokens.len()
                && (row.tokens[j].key.is_empty() || matches!(row.tokens[j].key.as_str(), "NO" | "NUMBER" | "NR" | "NUM" | "N"))
            {
                j += 1;
            }
            if j < row.tokens.len() {
                // The value is one token, or several when separated by
                // single spaces (`INV 2024 001`) but not beyond a big gap.
                let mut end = j + 1;
                while end < row.tokens.len() && end - j < max_tokens {
                    let gap = row.tokens[end].bbox.left - row.tokens[end - 1].bbox.right();
                    if gap > row.bbox.height * 1.2
                        || row.tokens[end].key.is_empty()
                        || !row.tokens[end].text.chars().any(|c| c.is_ascii_digit())
                    {
                        break;
                    }
                    end += 1;
                }
                let value = row.span_text(j, end);
                let value = value.trim_matches(|c: char| matches!(c, ':' | ',' | ';' | '#')).to_string();
                if accept(&value) {
                    return Some((value, row.source(j, end), row.span_confidence(j, end)));
                }
            } else if let Some(next) = ctx.rows.get(ri + 1) {
                // The value printed under the label.
                let label_box = row.span_bbox(a, b);
                let below = next
                    .tokens
                    .iter()
                    .position(|t| t.bbox.horizontal_overlap(&label_box) > 0.0 || (t.bbox.left - label_box.left).abs() < label_box.height);
                if let Some(k) = below {
                    let value = next.tokens[k].text.trim_matches(|c: char| matches!(c, ':' | ',' | ';' | '#')).to_string();
                    if next.bbox.top - row.bbox.bottom() < 2.0 * row.bbox.height && accept(&value) {
                        return Some((value, next.source(k, k + 1), next.tokens[k].confidence));
                    }
                }
            }
        }
    }
    None
}

/// The issuer's tax id: the value after a tax-id label (`USt-IdNr.`,
/// `N° TVA`, `NIP`, `PVN reģ. Nr.`, `GST Reg No`), without spaces and
/// punctuation when it is an EU VAT number (`DE 136 695 976`:
/// `DE136695976`; unprefixed ones are checked as the document's country's);
/// else an EU VAT number printed anywhere whose
/// check digits hold. A labelled value that looks like an EU VAT number
/// but fails its check loses confidence.
pub fn pick_tax_id(ctx: &Context) -> Option<(String, SourceRef, f32)> {
    let country = ctx.locale.country().and_then(crate::taxid::vat_prefix_of_region);
    let plausible = |v: &str| {
        crate::text::digit_count(v) >= 5 && v.chars().filter(|c| c.is_alphanumeric()).count() <= 20 && crate::date::parse_date(v).is_none()
    };
    if let Some((v, src, ocr)) = text_after_label(ctx, &ctx.vocab.labels(Field::TaxId), 6, plausible) {
        let conf = 0.6 + 0.4 * ocr;
        return Some(match crate::taxid::parse_vat(&v, country) {
            Some(vat) if vat.checked => (vat.printed(), src, 0.95 * conf),
            Some(vat) => (vat.printed(), src, 0.85 * conf),
            None => {
                let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
                // `DE…`, `FR…`: shaped like a VAT number of a country with a
                // check, yet failing it (a misread digit, most likely).
                let vat_like = compact.len() >= 4 && crate::taxid::vat_prefix_of_region(&compact[..2]).is_some();
                (compact, src, if vat_like { 0.5 } else { 0.85 } * conf)
            }
        });
    }
    for row in &ctx.rows {
        for (ti, tok) in row.tokens.iter().enumerate() {
            let text = tok.text.trim_matches(|c: char| !c.is_alphanumeric());
            if text.len() >= 10
                && text.starts_with(|c: char| c.is_ascii_uppercase())
                && let Some(vat) = crate::taxid::parse_vat(text, None).filter(|v| v.checked)
            {
                return Some((vat.formatted(), row.source(ti, ti + 1), 0.8 * (0.6 + 0.4 * tok.confidence)));
            }
        }
    }
    None
}

/// Adds a money field from a picked amount.
pub fn push_money(out: &mut Extraction, ctx: &Context, key: &str, picked: Option<&Picked>) {
    if let Some(p) = picked {
        let currency = p.hit.amount.currency.as_deref().filter(|c| *c != "$").map(str::to_string).or_else(|| ctx.currency.clone());
        let row = &ctx.rows[p.hit.row];
        let ocr = row.tokens[p.hit.token].confidence;
        let repaired = if p.hit.amount.repaired { 0.85 } else { 1.0 };
        out.push(
            key,
            Value::Money { amount: round_cents(p.value), currency },
            p.confidence * (0.6 + 0.4 * ocr) * repaired,
            Some(row.source(p.hit.token, p.hit.token + 1)),
        );
    }
}

pub fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Document-level confidence: the weighted share of key fields found,
/// each counted at its own confidence.
pub fn weighted_confidence(out: &Extraction, weights: &[(&str, f32)]) -> f32 {
    let total: f32 = weights.iter().map(|(_, w)| w).sum();
    let got: f32 = weights.iter().filter_map(|(k, w)| out.field(k).map(|f| f.confidence * w)).sum();
    if total > 0.0 { (got / total).clamp(0.0, 1.0) } else { 0.0 }
}

/// The date right after one of `labels` (same row, or the row below when
/// the label ends its row); `None` when no date is labelled so.
pub fn labelled_date(ctx: &Context, labels: &[&str]) -> Option<(DateHit, f32)> {
    ctx.dates
        .iter()
        .find(|hit| {
            let row = &ctx.rows[hit.row];
            label_before(row, hit.start, labels) || (hit.row > 0 && hit.start == 0 && row_ends_with_label(ctx, hit.row - 1, labels))
        })
        .map(|hit| {
            let ambiguity = if hit.raw.is_ambiguous() && !ctx.date_order_from_evidence {
                if ctx.date_order_from_locale { 0.15 } else { 0.25 }
            } else {
                0.0
            };
            (*hit, (0.9 - ambiguity) * (0.6 + 0.4 * ctx.rows[hit.row].span_confidence(hit.start, hit.end)))
        })
}

/// `date` plus `days` calendar days.
pub fn add_days(date: crate::model::Date, days: i64) -> Option<crate::model::Date> {
    // Days from civil (Howard Hinnant's algorithm) and back.
    let (y, m, d) = (date.year as i64, date.month as i64, date.day as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // Day number counted from 0000-03-01, shifted by `days`.
    let z = era * 146097 + doe + days;
    let era = (if z >= 0 { z } else { z - 146096 }) / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    crate::model::Date::new(y as i32, m as u8, d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Date;

    #[test]
    fn adding_days_crosses_months_and_leap_years() {
        assert_eq!(add_days(Date::new(2024, 1, 31).unwrap(), 30), Date::new(2024, 3, 1));
        assert_eq!(add_days(Date::new(2023, 12, 15).unwrap(), 30), Date::new(2024, 1, 14));
        assert_eq!(add_days(Date::new(2024, 3, 1).unwrap(), -1), Date::new(2024, 2, 29));
    }
}
