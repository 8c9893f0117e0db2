//! Line items: the rows between the header and the money summary. Columns
//! come from a header row (`DESCRIPTION QTY UNIT PRICE AMOUNT`) when there is
//! one, else from position (the rightmost amount is the line amount, an
//! amount before it the unit price, a small number before that the
//! quantity). Descriptions printed on their own row, above or below the
//! numbers, are attached to them.

use crate::context::Context;
use crate::model::{SourceRef, TableRow, Value};
use crate::money::same_amount;
use crate::text::letter_ratio;

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub description: Option<String>,
    pub quantity: Option<f64>,
    pub unit_price: Option<f64>,
    pub amount: Option<f64>,
    pub confidence: f32,
    pub source: SourceRef,
}

impl Item {
    /// As a `lineItems` table row: description, quantity, unitPrice, amount.
    pub fn to_row(&self, currency: Option<&str>) -> TableRow {
        let money = |v: Option<f64>| v.map(|amount| Value::Money { amount, currency: currency.map(str::to_string) });
        TableRow {
            cells: vec![
                self.description.clone().map(Value::Text),
                self.quantity.map(Value::Number),
                money(self.unit_price),
                money(self.amount),
            ],
            confidence: self.confidence,
            source: Some(self.source),
        }
    }
}

pub const COLUMNS: [&str; 4] = ["description", "quantity", "unitPrice", "amount"];

const HEADER_WORDS: &[&str] = &[
    "ITEM",
    "ITEMS",
    "DESCRIPTION",
    "DESC",
    "CODEDESC",
    "PRODUCT",
    "ARTICLE",
    "QTY",
    "QUANTITY",
    "QTE",
    "PRICE",
    "UPRICE",
    "UP",
    "SPRICE",
    "UNIT",
    "UNITPRICE",
    "AMOUNT",
    "AMT",
    "TOTAL",
    "DISC",
    "RATE",
    "HOURS",
    "MENGE",
    "PREIS",
    "EINZELPREIS",
    "BETRAG",
    "GESAMT",
    "ARTIKEL",
    "BEZEICHNUNG",
    "BESCHREIBUNG",
    "POS",
    "DESIGNATION",
    "PRIX",
    "MONTANT",
    "CANT",
    "CANTIDAD",
    "PRECIO",
    "IMPORTE",
    "DESCRIPCION",
    "CODE",
    "NAME",
    "SERVICE",
    "PARTICULARS",
    "DETAILS",
    "TAX",
    "EACH",
];

/// Index of the table header row in `[from, to)`, if any: the last row with
/// at least two header words and one of them a quantity/price/amount word.
pub fn header_row(ctx: &Context, from: usize, to: usize) -> Option<usize> {
    let mut found = None;
    for ri in from..to {
        let row = &ctx.rows[ri];
        let words = row.tokens.iter().filter(|t| HEADER_WORDS.contains(&t.key.as_str())).count();
        let numeric_col = row.has_word(&[
            "QTY",
            "QUANTITY",
            "PRICE",
            "AMOUNT",
            "AMT",
            "MENGE",
            "PREIS",
            "BETRAG",
            "QTE",
            "PRIX",
            "MONTANT",
            "CANT",
            "PRECIO",
            "IMPORTE",
            "UPRICE",
            "UNITPRICE",
            "RATE",
        ]);
        if words >= 2 && numeric_col && ctx.amounts[ri].is_empty() && words * 2 >= row.tokens.iter().filter(|t| !t.key.is_empty()).count() {
            found = Some(ri);
        }
    }
    found
}

/// Finds the items in rows `[from, to)`.
pub fn find_items(ctx: &Context, from: usize, to: usize) -> Vec<Item> {
    if from >= to {
        return Vec::new();
    }
    let start = header_row(ctx, from, to).map(|h| h + 1).unwrap_or(from);
    struct Parsed {
        row: usize,
        desc: Option<String>,
        numbers: Vec<f64>,
        qty: Option<f64>,
    }
    let mut parsed: Vec<Parsed> = Vec::new();
    for ri in start..to {
        let row = &ctx.rows[ri];
        let amounts: Vec<_> = ctx.amounts[ri].iter().filter(|a| a.amount.decimals > 0).collect();
        let first_num_tok = amounts.first().map(|a| a.token).unwrap_or(row.tokens.len());
        // Description: the text before the numbers, minus leading codes
        // (barcodes, SKUs) and stray punctuation.
        let desc_tokens: Vec<&str> = row.tokens[..first_num_tok]
            .iter()
            .map(|t| t.text.as_str())
            .skip_while(|t| t.len() >= 5 && t.chars().all(|c| c.is_ascii_digit()))
            .collect();
        let mut qty = None;
        let mut desc_end = desc_tokens.len();
        // A quantity just before the numbers: `2`, `2X`, `X2`, `2 PC`, `1.000`.
        for (k, t) in desc_tokens.iter().enumerate().rev().take(3) {
            let q = t.trim_start_matches(['x', 'X']).trim_end_matches(['x', 'X', '@', '*']);
            if let Ok(v) = q.replace(',', ".").parse::<f64>()
                && v > 0.0
                && v < 1000.0
                && q.len() <= 6
            {
                qty = Some(v);
                desc_end = k;
                break;
            }
            if !matches!(t.to_ascii_uppercase().as_str(), "PC" | "PCS" | "X" | "@" | "*" | "EA" | "UNIT" | "UNITS" | "KG") {
                break;
            }
        }
        let desc_text = desc_tokens[..desc_end].join(" ");
        let desc_text = desc_text.trim_matches(|c: char| c == '-' || c == '*' || c == ':' || c.is_whitespace()).to_string();
        let desc = (letter_ratio(&desc_text) >= 0.4 && desc_text.chars().filter(|c| c.is_alphabetic()).count() >= 2).then_some(desc_text);
        let numbers: Vec<f64> = amounts.iter().map(|a| a.amount.value).collect();
        if desc.is_none() && numbers.is_empty() {
            continue;
        }
        parsed.push(Parsed { row: ri, desc, numbers, qty });
    }

    // Where do descriptions without numbers go: to the numbers below
    // (printed first) or above? Decided by the first numbers-only row.
    let first_numeric = parsed.iter().position(|p| !p.numbers.is_empty());
    let desc_first = match first_numeric {
        Some(i) if parsed[i].desc.is_none() => i > 0 && parsed[i - 1].numbers.is_empty(),
        _ => true,
    };

    let mut items = Vec::new();
    let mut pending: Option<(String, usize)> = None;
    let mut i = 0;
    while i < parsed.len() {
        let p = &parsed[i];
        if p.numbers.is_empty() {
            if desc_first {
                // Descriptions spanning two rows are joined.
                pending = Some(match pending.take() {
                    Some((d, r)) if p.row == r + 1 => (format!("{d} {}", p.desc.as_deref().unwrap_or("")), p.row),
                    _ => (p.desc.clone().unwrap_or_default(), p.row),
                });
            } else if let Some(last) = items.last_mut() {
                let last: &mut Item = last;
                if last.description.is_none() {
                    last.description = p.desc.clone();
                    last.source.bbox = last.source.bbox.union(&ctx.rows[p.row].bbox);
                }
            }
            i += 1;
            continue;
        }
        let mut description = p.desc.clone();
        let mut bbox = ctx.rows[p.row].bbox;
        if description.is_none()
            && desc_first
            && let Some((d, r)) = pending.take()
        {
            description = Some(d);
            bbox = bbox.union(&ctx.rows[r].bbox);
        }
        pending = None;
        let (quantity, unit_price, amount) = assign_numbers(&p.numbers, p.qty);
        let consistent = match (quantity, unit_price, amount) {
            (Some(q), Some(u), Some(a)) => same_amount(q * u, a),
            _ => false,
        };
        let conf = (if consistent { 0.9 } else { 0.65 }) * ctx.rows[p.row].confidence.max(0.3);
        items.push(Item {
            description,
            quantity,
            unit_price,
            amount,
            confidence: conf,
            source: SourceRef { page: ctx.rows[p.row].page, bbox },
        });
        i += 1;
    }
    items.retain(|it| it.amount.is_some() && (it.description.is_some() || it.unit_price.is_some()));
    items
}

/// Quantity, unit price and amount from a row's numbers (left to right) and
/// a quantity read from the text.
fn assign_numbers(numbers: &[f64], qty: Option<f64>) -> (Option<f64>, Option<f64>, Option<f64>) {
    let amount = numbers.last().copied();
    match numbers.len() {
        0 => (qty, None, None),
        1 => (qty, qty.and_then(|q| amount.map(|a| a / q)).filter(|_| qty.is_some_and(|q| q == 1.0)), amount),
        _ => {
            let a = amount.unwrap();
            // Prefer the pair (quantity, unit price) whose product is the amount.
            for (ui, &u) in numbers[..numbers.len() - 1].iter().enumerate().rev() {
                if let Some(q) = qty
                    && same_amount(q * u, a)
                {
                    return (Some(q), Some(u), Some(a));
                }
                for &q in &numbers[..ui] {
                    if q > 0.0 && q.fract() == 0.0 && same_amount(q * u, a) {
                        return (Some(q), Some(u), Some(a));
                    }
                }
                if same_amount(u, a) {
                    return (Some(qty.unwrap_or(1.0)), Some(u), Some(a));
                }
            }
            // Unit price is the number before the amount.
            (qty, Some(numbers[numbers.len() - 2]), Some(a))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::doc_from_boxes;

    fn items_of(lines: &[&str]) -> Vec<Item> {
        let boxes: Vec<(f32, f32, f32, f32, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, t)| (20.0, 20.0 + i as f32 * 30.0, 20.0 + 10.0 * t.len() as f32, 40.0 + i as f32 * 30.0, *t))
            .collect();
        let ctx = Context::new(&doc_from_boxes(&boxes));
        find_items(&ctx, 0, ctx.rows.len())
    }

    #[test]
    fn inline_items_with_header() {
        let items = items_of(&["DESCRIPTION QTY PRICE AMOUNT", "Widget large 2 5.00 10.00", "Gadget 1 3.50 3.50", "Service fee 12.00"]);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].description.as_deref(), Some("Widget large"));
        assert_eq!((items[0].quantity, items[0].unit_price, items[0].amount), (Some(2.0), Some(5.0), Some(10.0)));
        assert_eq!(items[2].description.as_deref(), Some("Service fee"));
        assert_eq!(items[2].amount, Some(12.0));
    }

    #[test]
    fn descriptions_on_their_own_row() {
        let before = items_of(&["T5 JOINT 2PIN 2PCS", "1 2.83 2.83", "LED TRACK LIGHT", "2 33.02 66.04"]);
        assert_eq!(before.len(), 2);
        assert_eq!(before[1].description.as_deref(), Some("LED TRACK LIGHT"));
        assert_eq!((before[1].quantity, before[1].unit_price), (Some(2.0), Some(33.02)));
        let after = items_of(&["1072 1 80.00 80.00", "REPAIR ENGINE", "70549 2 8.00 16.00", "OVERFLOW ASSY"]);
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].description.as_deref(), Some("REPAIR ENGINE"));
        assert_eq!(after[1].description.as_deref(), Some("OVERFLOW ASSY"));
        assert_eq!(after[1].quantity, Some(2.0));
    }

    #[test]
    fn decimal_comma_items() {
        let boxes = [(20.0, 20.0, 300.0, 40.0, "Brötchen 3 x 0,45 1,35"), (20.0, 50.0, 300.0, 70.0, "Kaffee 2,90")];
        let mut doc = doc_from_boxes(&boxes);
        doc.hints.push(("locale".into(), "de-DE".into()));
        let ctx = Context::new(&doc);
        let items = find_items(&ctx, 0, ctx.rows.len());
        assert_eq!(items.len(), 2);
        assert_eq!((items[0].quantity, items[0].unit_price, items[0].amount), (Some(3.0), Some(0.45), Some(1.35)));
        assert_eq!(items[0].description.as_deref(), Some("Brötchen"));
    }
}
