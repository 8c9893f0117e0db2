//! The money summary of a receipt or invoice: subtotal, tax, tip, rounding,
//! total, amount paid and change. Rows are classified by their labels (in
//! several languages); the total is then chosen among the labelled
//! candidates by cross-checks: cash minus change, subtotal plus tax
//! (plus rounding/service, minus discount), agreement between candidates,
//! and position before the payment lines.

use crate::context::{AmountHit, Context};
use crate::money::{cents, same_amount};
use crate::vocab::{Method, SummaryLabel};

fn same_cents(a: f64, b: f64) -> bool {
    cents(a) == cents(b)
}

fn round2(v: f64) -> f64 {
    cents(v) as f64 / 100.0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A total; the number is the label's strength (3 = explicit final total).
    Total(u8),
    Subtotal,
    Tax,
    Rounding,
    Discount,
    ServiceCharge,
    Tip,
    Paid,
    Change,
    /// `TOTAL QTY`, `ITEM COUNT`: looks like a total, is not money.
    NotMoney,
}

/// A row whose label gives it a role, with the amount that goes with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub row: usize,
    pub role: Role,
    /// The vocabulary entry that matched.
    pub label: &'static SummaryLabel,
    pub label_start: usize,
    pub label_end: usize,
    pub value: Option<AmountHit>,
    /// More than one amount after the label (a tax summary line).
    pub multi: bool,
}

/// Classifies every row that carries a summary label.
pub fn classify(ctx: &Context) -> Vec<Labelled> {
    let labels = ctx.vocab.summary();
    let mut out = Vec::new();
    for (ri, row) in ctx.rows.iter().enumerate() {
        let mut best: Option<(usize, usize, usize, bool)> = None; // (label idx, start, end, exact)
        for (li, label) in labels.iter().enumerate() {
            let (key, words) = (&label.key, &label.words);
            // A label deep inside a description (`... TOTAL CARE SHAMPOO`)
            // is not a summary line: it must start within the first three
            // tokens. OCR misspells labels (`Tatal`, `Raunding`): one edit in
            // a word of five letters or more still counts, below exact matches.
            let found = match row.find_label_key_upto(key, 2) {
                Some((a, b)) => Some((a, b, true)),
                // A word that is itself a label word is not a misreading of
                // another one (`charge` is not `change`).
                None => row.find_label_words_fuzzy(words, 2).map(|(a, b)| (a, b, false)).filter(|&(a, _, _)| {
                    words.iter().enumerate().all(|(k, w)| {
                        let got = row.tokens[a + k].label_key.as_str();
                        got == w || !ctx.vocab.is_label_word(got)
                    })
                }),
            };
            if let Some((a, b, exact)) = found {
                let better = match best {
                    None => true,
                    Some((_, ba, bb, bexact)) => a < ba || (a == ba && (b > bb || (b == bb && exact && !bexact))),
                };
                if better {
                    best = Some((li, a, b, exact));
                }
            }
        }
        let Some((li, a, b, _)) = best else { continue };
        let label = &labels[li];
        let mut role = label.role;
        // `TOTAL (EXCLUDING GST)` is a subtotal, `TOTAL (INCL. GST)` a final total.
        if let Role::Total(strength) = role {
            let qualifier: Vec<&str> = row.tokens[b..]
                .iter()
                .take_while(|t| !t.text.ends_with(')'))
                .chain(row.tokens[b..].iter().find(|t| t.text.ends_with(')')))
                .filter(|_| row.tokens.get(b).is_some_and(|t| t.text.starts_with('(')))
                .map(|t| t.key.as_str())
                .collect();
            if qualifier.iter().any(|k| matches!(*k, "EXCL" | "EXCLUDING" | "EXCLUSIVE" | "EX" | "BEFORE" | "NETT" | "NET")) {
                role = Role::Subtotal;
            } else if qualifier.iter().any(|k| matches!(*k, "INCL" | "INCLUDING" | "INCLUSIVE" | "INC")) {
                role = Role::Total(strength.max(3));
            }
        }
        let after: Vec<&AmountHit> = ctx.amounts_after(ri, b).filter(|h| plausible_money(ctx, h)).collect();
        let (mut value, multi) = match after.len() {
            0 => (date_shaped_amount(ctx, ri, b).or_else(|| value_below(ctx, ri, b)), false),
            1 => (Some(after[0].clone()), false),
            _ => (after.last().map(|a| (*a).clone()), true),
        };
        // A payment word opening a described line with a quantity and prices
        // is an item (`Carta per stampante A4  6  343,57  2.061,42`).
        if matches!(role, Role::Paid | Role::Change) && multi {
            let first = after.first().map_or(row.tokens.len(), |h| h.token);
            let words = row.tokens[b..first].iter().filter(|t| t.key.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
            if words >= 2 {
                continue;
            }
        }
        if let Some(v) = value.as_mut() {
            // Payments printed as negatives (`CASH -50.00`) are still payments.
            if matches!(role, Role::Paid | Role::Change) {
                v.amount.value = v.amount.value.abs();
            }
            // A "rounding" line holding a whole amount is the rounded total.
            if role == Role::Rounding && v.amount.value.abs() >= 1.0 {
                role = Role::Total(2);
            }
        }
        out.push(Labelled { row: ri, role, label, label_start: a, label_end: b, value, multi });
    }
    out
}

/// After a money label, a token taken for a date that also reads as an
/// amount with two decimals is the amount (OCR's `4.1.00` for `41.00`).
fn date_shaped_amount(ctx: &Context, ri: usize, label_end: usize) -> Option<AmountHit> {
    let row = &ctx.rows[ri];
    ctx.dates_on(ri).filter(|d| d.start >= label_end && d.end == d.start + 1).find_map(|d| {
        let amount = crate::money::parse_amount(&row.tokens[d.start].text, ctx.format).filter(|a| a.decimals == 2)?;
        let hit = AmountHit { row: ri, token: d.start, amount };
        plausible_money(ctx, &hit).then_some(hit)
    })
}

/// The amount on the next row when the label ends its own row (`TOTAL:` /
/// `55.10`): the next row must hold nothing but amounts and currency marks.
fn value_below(ctx: &Context, ri: usize, label_end: usize) -> Option<AmountHit> {
    let row = &ctx.rows[ri];
    let trailing_is_noise = row.tokens[label_end..].iter().all(|t| t.key.is_empty() || crate::money::currency_of_token(&t.text).is_some());
    if !trailing_is_noise {
        return None;
    }
    let next = ctx.rows.get(ri + 1)?;
    if next.page != row.page || next.bbox.top - row.bbox.bottom() > 1.5 * row.bbox.height.max(next.bbox.height) {
        return None;
    }
    let hits = &ctx.amounts[ri + 1];
    let only_amounts = next
        .tokens
        .iter()
        .enumerate()
        .all(|(ti, t)| t.key.is_empty() || hits.iter().any(|h| h.token == ti) || crate::money::currency_of_token(&t.text).is_some());
    if only_amounts { hits.last().filter(|h| plausible_money(ctx, h)).cloned() } else { None }
}

/// Money on a summary line has decimals (`12.00`, `.57`), unless the
/// document has no decimal amounts at all (yen, rupiah, won); never a long
/// code (`2008011381468`) or a zero-padded number (`000584089600`).
fn plausible_money(ctx: &Context, h: &AmountHit) -> bool {
    let text = &ctx.rows[h.row].tokens[h.token].text;
    let int_digits = text.split(['.', ',']).next().map(crate::text::digit_count).unwrap_or(0);
    if int_digits > 9 {
        return false;
    }
    if h.amount.decimals > 0 {
        return h.amount.decimals <= 3;
    }
    let document_has_decimals = ctx.amounts.iter().flatten().any(|a| a.amount.decimals == 2);
    !document_has_decimals && !text.starts_with('0') && int_digits <= 9
}

#[derive(Clone, Debug, PartialEq)]
pub struct Picked {
    pub value: f64,
    pub hit: AmountHit,
    pub confidence: f32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub subtotal: Option<Picked>,
    pub tax: Option<Picked>,
    pub tip: Option<Picked>,
    pub rounding: Option<Picked>,
    pub discount: Option<Picked>,
    pub total: Option<Picked>,
    pub paid: Option<Picked>,
    pub change: Option<Picked>,
    /// The total agrees with subtotal + tax or with paid - change.
    pub total_cross_checked: bool,
    /// The method the payment line names (`CASH`: cash, `VISA`: visa).
    pub payment_method: Option<Method>,
    /// Every labelled summary row (see [`classify`]).
    pub labelled: Vec<Labelled>,
}

fn pick(l: &Labelled, conf: f32) -> Option<Picked> {
    let hit = l.value.clone()?;
    Some(Picked { value: hit.amount.value, hit, confidence: conf })
}

/// The summary of the document's money lines.
pub fn summarize(ctx: &Context) -> Summary {
    let labelled = classify(ctx);
    let with_value = |role: fn(&Role) -> bool| labelled.iter().filter(move |l| role(&l.role) && l.value.is_some());

    let first_payment_row =
        labelled.iter().filter(|l| matches!(l.role, Role::Paid | Role::Change) && l.value.is_some()).map(|l| l.row).min();
    let before_payment = |row: usize| first_payment_row.is_none_or(|p| row <= p);

    let subtotal = with_value(|r| *r == Role::Subtotal)
        .find(|l| before_payment(l.row) && !l.multi)
        .or_else(|| with_value(|r| *r == Role::Subtotal).next());
    let taxes: Vec<&Labelled> = with_value(|r| *r == Role::Tax).filter(|l| before_payment(l.row)).collect();
    let tax = taxes.iter().find(|l| !l.multi).or(taxes.first()).copied();
    let rounding = with_value(|r| *r == Role::Rounding).find(|l| before_payment(l.row));
    let discount = with_value(|r| *r == Role::Discount).find(|l| before_payment(l.row));
    let service = with_value(|r| *r == Role::ServiceCharge).find(|l| before_payment(l.row));
    let tip = with_value(|r| *r == Role::Tip).next();
    let paid = with_value(|r| *r == Role::Paid).find(|l| l.value.as_ref().is_some_and(|v| v.amount.value > 0.0));
    let change = with_value(|r| *r == Role::Change).find(|l| paid.is_none_or(|p| l.row >= p.row));

    let v = |l: Option<&Labelled>| l.and_then(|l| l.value.as_ref()).map(|h| h.amount.value);
    let paid_minus_change = match (v(paid), v(change)) {
        (Some(p), Some(c)) if p >= c => Some(p - c),
        _ => None,
    };
    let sub_v = v(subtotal);
    let mut sums: Vec<f64> = Vec::new();
    if let Some(s) = sub_v {
        let tax_v = v(tax).unwrap_or(0.0);
        let round_v = v(rounding).unwrap_or(0.0);
        let svc_v = v(service).unwrap_or(0.0);
        let disc_v = v(discount).map(f64::abs).unwrap_or(0.0);
        for with_tax in [true, false] {
            for with_round in [true, false] {
                for with_disc in [false, true] {
                    let total = s + if with_tax { tax_v } else { 0.0 } + svc_v + if with_round { round_v } else { 0.0 }
                        - if with_disc { disc_v } else { 0.0 };
                    sums.push(total);
                }
            }
        }
    }

    // The items above the first summary line add up to the subtotal or total.
    let first_summary =
        labelled.iter().filter(|l| matches!(l.role, Role::Total(_) | Role::Subtotal) && l.value.is_some()).map(|l| l.row).min();
    let item_sum: Option<f64> = first_summary.and_then(|end| {
        let items = crate::items::find_items(ctx, 0, end);
        (!items.is_empty()).then(|| items.iter().filter_map(|i| i.amount).sum())
    });
    let mut item_totals: Vec<f64> = Vec::new();
    if let Some(s) = item_sum {
        item_totals.push(s);
        item_totals.push(s + v(tax).unwrap_or(0.0));
        item_totals.push(s + v(rounding).unwrap_or(0.0));
        item_totals.push(s + v(tax).unwrap_or(0.0) + v(rounding).unwrap_or(0.0));
    }

    let candidates: Vec<&Labelled> = labelled
        .iter()
        .filter(|l| matches!(l.role, Role::Total(_)))
        .filter(|l| l.value.as_ref().is_some_and(|h| h.amount.decimals > 0 || ctx.format.decimal_comma || h.amount.value >= 1.0))
        .collect();
    let max_value = candidates.iter().filter_map(|l| v(Some(l))).fold(0.0f64, f64::max);
    // Returns and credit notes: the largest figure is not the total then.
    let has_negative_totals = candidates.iter().filter_map(|l| v(Some(l))).any(|x| x < 0.0);
    let last_total_row = candidates.iter().filter(|l| before_payment(l.row)).map(|l| l.row).max();
    let mut best: Option<(f32, &Labelled, bool)> = None;
    for c in &candidates {
        let value = v(Some(c)).unwrap();
        let Role::Total(strength) = c.role else { continue };
        let mut score = strength as f32;
        let mut checked = false;
        if let Some(pmc) = paid_minus_change {
            if same_cents(pmc, value) {
                score += 2.5;
                checked = true;
            }
        } else if v(paid).is_some_and(|p| same_cents(p, value)) {
            score += 1.5;
            checked = true;
        }
        if sums.iter().any(|s| same_amount(*s, value)) && value > 0.0 {
            score += 1.5;
            checked = true;
        }
        if item_totals.iter().any(|s| same_cents(*s, value)) && value > 0.0 {
            score += 0.8;
            checked = true;
        }
        // The last total before the payment lines is usually the final one.
        if last_total_row == Some(c.row) {
            score += 0.5;
        }
        if let Some(r) = v(rounding)
            && r != 0.0
            && candidates.iter().any(|o| !std::ptr::eq(*o, *c) && v(Some(o)).is_some_and(|ov| same_cents(ov + r, value)))
        {
            score += 1.0;
        }
        let agreeing = candidates.iter().filter(|o| !std::ptr::eq(**o, *c) && v(Some(o)).is_some_and(|ov| same_cents(ov, value))).count();
        score += 0.3 * agreeing.min(3) as f32;
        if same_cents(value, max_value) && !has_negative_totals {
            score += 0.5;
        }
        if c.multi {
            score -= 0.7;
        }
        if value <= 0.0 {
            score -= 3.0;
        }
        if !before_payment(c.row) {
            score -= 1.0;
        }
        // Nobody pays less than the total (cash covers it, cards match it).
        if v(paid).is_some_and(|p| value > p + 0.5) {
            score -= 2.0;
        }
        if c.label_start == 0 {
            score += 0.3;
        }
        if best.is_none_or(|(s, _, _)| score > s) {
            best = Some((score, c, checked));
        }
    }

    let mut total = best.and_then(|(_, l, checked)| {
        let Role::Total(strength) = l.role else { return None };
        let conf = if checked {
            0.95
        } else if strength >= 2 {
            0.75
        } else {
            0.55
        };
        pick(l, conf)
    });
    let total_cross_checked = best.is_some_and(|(_, _, c)| c);
    // No labelled total: cash minus change; else subtotal plus tax when
    // that figure is printed somewhere (a total whose label OCR lost); else
    // the subtotal.
    if total.is_none() {
        // The amount paid printed again on an unlabelled line (`DUE` lost by
        // OCR) is the total even when the change was misread.
        let paid_repeated = paid.and_then(|p| {
            let pv = p.value.as_ref()?.amount.value;
            ctx.amounts.iter().flatten().find(|h| {
                h.row != p.row
                    && h.row < p.row
                    && same_cents(h.amount.value, pv)
                    && plausible_money(ctx, h)
                    && !labelled.iter().any(|l| l.row == h.row)
            })
        });
        let printed = |x: f64| ctx.amounts.iter().flatten().any(|h| same_cents(h.amount.value, x));
        if let (Some(pmc), Some(p)) = (paid_minus_change.filter(|x| printed(*x)), paid) {
            total = pick(p, 0.6).map(|mut t| {
                t.value = pmc;
                t
            });
        } else if let Some(hit) = paid_repeated {
            total = Some(Picked { value: hit.amount.value, hit: hit.clone(), confidence: 0.55 });
        } else if let (Some(pmc), Some(p)) = (paid_minus_change, paid) {
            total = pick(p, 0.5).map(|mut t| {
                t.value = pmc;
                t
            });
        } else if let Some(hit) =
            sums.iter().find_map(|s| ctx.amounts.iter().flatten().find(|h| same_cents(h.amount.value, *s) && plausible_money(ctx, h)))
        {
            total = Some(Picked { value: hit.amount.value, hit: hit.clone(), confidence: 0.6 });
        } else if let (Some(s), Some(t)) = (subtotal, tax) {
            // Subtotal and tax both labelled: their sum, unprinted.
            total = pick(s, 0.4).map(|mut p| {
                p.value = round2(p.value + v(Some(t)).unwrap_or(0.0));
                p
            });
        } else if let Some(s) = subtotal {
            total = pick(s, 0.35);
        } else if let Some(p) = paid {
            // Only a payment line: paid exactly (card payments).
            total = pick(p, 0.35);
        }
    }

    // A subtotal that does not add up with the tax to the total, while its
    // items do, was misread (`7 376,25` as `73176,25`): the figure both
    // agree on stands, less sure. Only when nothing else enters the sum.
    let mut subtotal_picked = subtotal.and_then(|l| pick(l, 0.8));
    if let (Some(s), Some(t), Some(tax_v), Some(items)) = (subtotal_picked.as_mut(), total.as_ref(), v(tax), item_sum)
        && rounding.is_none()
        && discount.is_none()
        && service.is_none()
    {
        let net = round2(t.value - tax_v);
        if net > 0.0 && !same_cents(s.value, net) && same_cents(items, net) {
            s.value = net;
            s.confidence = 0.6;
        }
    }

    Summary {
        subtotal: subtotal_picked,
        tax: tax.and_then(|l| pick(l, 0.75)),
        tip: tip.and_then(|l| pick(l, 0.75)),
        rounding: rounding.and_then(|l| pick(l, 0.7)),
        discount: discount.and_then(|l| pick(l, 0.7)),
        total,
        paid: paid.and_then(|l| pick(l, 0.75)),
        change: change.and_then(|l| pick(l, 0.75)),
        total_cross_checked,
        payment_method: paid.and_then(|l| l.label.method),
        labelled: labelled.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::doc_from_boxes;
    use crate::model::Document;

    fn doc(lines: &[&str]) -> Document {
        let boxes: Vec<(f32, f32, f32, f32, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, t)| (20.0, 20.0 + i as f32 * 30.0, 20.0 + 10.0 * t.len() as f32, 40.0 + i as f32 * 30.0, *t))
            .collect();
        doc_from_boxes(&boxes)
    }

    fn total_of(lines: &[&str]) -> Option<f64> {
        summarize(&Context::new(&doc(lines))).total.map(|t| t.value)
    }

    #[test]
    fn total_is_cross_checked_against_cash_and_change() {
        let lines = [
            "ITEM A 80.00",
            "TOTAL SALES : 327.00",
            "DISCOUNT : 0.00",
            "TOTAL : 0.00",
            "ROUNDING : 0.00",
            "TOTAL SALES : 327.00",
            "CASH : 327.00",
            "CHANGE : 0.00",
        ];
        let s = summarize(&Context::new(&doc(&lines)));
        assert_eq!(s.total.as_ref().map(|t| t.value), Some(327.0));
        assert!(s.total_cross_checked);
        assert_eq!(s.payment_method, Some(Method::Cash));
    }

    #[test]
    fn rounded_total_beats_unrounded_and_tax_summary_lines_lose() {
        let lines = [
            "SUB-TOTAL (EX) : 52.00",
            "TOTAL TAX : 3.12",
            "ROUNDING : -0.02",
            "TOTAL : 55.10",
            "CASH : 60.00",
            "CHANGE : 4.90",
            "GST SUMMARY AMOUNT TAX",
            "TOTAL : 52.00 3.12",
        ];
        let s = summarize(&Context::new(&doc(&lines)));
        assert_eq!(s.total.as_ref().unwrap().value, 55.10);
        assert_eq!(s.subtotal.as_ref().unwrap().value, 52.0);
        assert_eq!(s.tax.as_ref().unwrap().value, 3.12);
        assert_eq!(s.rounding.as_ref().unwrap().value, -0.02);
        assert!(s.total_cross_checked);
    }

    #[test]
    fn subtotal_plus_tax_confirms_the_total_without_payment_lines() {
        let lines = ["Subtotal $100.00", "Sales Tax (8%) $8.00", "Total $108.00", "Total items 3"];
        let s = summarize(&Context::new(&doc(&lines)));
        assert_eq!(s.total.as_ref().unwrap().value, 108.0);
        assert!(s.total_cross_checked);
        assert_eq!(s.tax.as_ref().unwrap().value, 8.0);
    }

    #[test]
    fn value_on_the_row_below_the_label() {
        assert_eq!(total_of(&["SUBTOTAL 9.00", "TOTAL:", "RM 9.00", "THANK YOU"]), Some(9.0));
    }

    #[test]
    fn german_receipt_with_decimal_commas() {
        let lines = ["Brot 2,50", "Kaffee 1.234,50", "Summe EUR 1.237,00", "MwSt 19% 197,50", "Gegeben 1.250,00", "Rückgeld 13,00"];
        let mut d = doc(&lines);
        d.language = "de".into();
        let s = summarize(&Context::new(&d));
        assert_eq!(s.total.as_ref().unwrap().value, 1237.0);
        assert!(s.total_cross_checked);
    }

    #[test]
    fn line_items_decide_between_an_ocr_misread_total_and_the_real_one() {
        let lines = ["MODELLING CLAY 1 9.00 9.00", "Total : 9.00", "Rounding Adjustment 0.00", "Round d Total (RM): 9.60", "CHANGE 1.00"];
        let s = summarize(&Context::new(&doc(&lines)));
        assert_eq!(s.total.as_ref().unwrap().value, 9.0);
    }

    #[test]
    fn an_amount_ocr_made_look_like_a_date_still_counts_after_a_total_label() {
        assert_eq!(
            total_of(&["Total RM Incl. of GST 40.99", "Rounding Adj 0.01", "Total RM 4.1.00", "Cash 51.00", "CHANGE 10.00"]),
            Some(41.0)
        );
    }

    #[test]
    fn counts_are_not_totals() {
        assert_eq!(total_of(&["TOTAL QTY: 3", "TOTAL ITEM(S): 2", "TOTAL 12.30", "VISA 12.30"]), Some(12.3));
    }

    #[test]
    fn ocr_confused_total_amount_is_repaired() {
        assert_eq!(total_of(&["T0TAL 1O.5O", "CASH 20.00", "CHANGE 9.50"]), Some(10.5));
    }

    #[test]
    fn a_line_item_charge_is_not_a_change_line() {
        // `charge` is one edit from `change`, but a label word in its own right.
        let lines = ["Handling charge per pallet 24 6.40 153.60", "Subtotal 3,420.35", "VAT 19% 649.87", "Total Due (EUR) 4,070.22"];
        let s = summarize(&Context::new(&doc(&lines)));
        assert_eq!(s.tax.as_ref().map(|t| t.value), Some(649.87));
        assert!(s.total_cross_checked);
    }
}
