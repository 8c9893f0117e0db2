//! Receipts: merchant, date and time, money summary, payment method and
//! line items.

use crate::contact::phones_in_row;
use crate::context::Context;
use crate::fields::{document_date_labels, other_date_labels, pick_date, pick_time, push_money, weighted_confidence};
use crate::items::{COLUMNS, find_items};
use crate::model::{Document, ExtractError, Extraction, Table, Value};
use crate::party::find_issuer;
use crate::totals::{Role, summarize};

/// Extracts a receipt's fields (`merchantName`, `merchantAddress`,
/// `merchantPhone`, `merchantTaxId`, `date`, `time`, `subtotal`, `taxAmount`, `tipAmount`,
/// `totalAmount`, `currency`, `paymentMethod`) and the `lineItems` table.
pub fn extract_receipt(doc: &Document) -> Result<Extraction, ExtractError> {
    crate::extract_with(doc, receipt_fields)
}

fn receipt_fields(doc: &Document, ctx: &Context, out: &mut Extraction) {
    let party = find_issuer(ctx);
    if let Some(name) = &party.name {
        out.push("merchantName", Value::Text(name.text.clone()), name.confidence, Some(name.source));
    }
    if let Some(addr) = &party.address {
        out.push("merchantAddress", Value::Text(addr.text.clone()), addr.confidence, Some(addr.source));
    }
    // The merchant's phone: the first non-fax number in the header half.
    let header_rows = ctx.rows.len().div_ceil(2);
    if let Some((ri, p)) =
        ctx.rows[..header_rows].iter().enumerate().find_map(|(ri, r)| phones_in_row(r).into_iter().find(|p| !p.fax).map(|p| (ri, p)))
    {
        let row = &ctx.rows[ri];
        out.push(
            "merchantPhone",
            Value::Text(p.number),
            0.8 * row.span_confidence(p.start, p.end).max(0.5),
            Some(row.source(p.start, p.end)),
        );
    }

    if let Some((v, src, conf)) = crate::fields::pick_tax_id(ctx) {
        out.push("merchantTaxId", Value::Text(v), conf, Some(src));
    }

    let date = pick_date(ctx, &document_date_labels(ctx), &other_date_labels(ctx));
    if let Some((hit, conf)) = &date {
        out.push("date", Value::Date(hit.date), *conf, Some(ctx.rows[hit.row].source(hit.start, hit.end)));
    }
    if let Some((time, source)) = pick_time(ctx, date.as_ref().map(|(h, _)| h)) {
        out.push("time", Value::Text(time.format()), 0.8, Some(source));
    }

    let summary = summarize(ctx);
    push_money(out, ctx, "subtotal", summary.subtotal.as_ref());
    push_money(out, ctx, "taxAmount", summary.tax.as_ref());
    push_money(out, ctx, "tipAmount", summary.tip.as_ref());
    push_money(out, ctx, "totalAmount", summary.total.as_ref());
    if let Some(currency) = &ctx.currency {
        out.push("currency", Value::Text(currency.clone()), 0.8, None);
    }
    if let Some(method) = summary.payment_method {
        let source = summary.paid.as_ref().map(|p| ctx.rows[p.hit.row].row_source());
        out.push("paymentMethod", Value::Text(method.as_str().to_string()), 0.7, source);
    }

    if doc.extract_tables {
        let from = party
            .address
            .as_ref()
            .and_then(|a| a.rows.last().copied())
            .or(party.name.as_ref().and_then(|n| n.rows.last().copied()))
            .map(|r| r + 1)
            .unwrap_or(0);
        let to = summary
            .labelled
            .iter()
            .filter(|l| l.row >= from && matches!(l.role, Role::Total(_) | Role::Subtotal | Role::Tax | Role::Paid) && l.value.is_some())
            .map(|l| l.row)
            .min()
            .unwrap_or(ctx.rows.len());
        let items = find_items(ctx, from, to);
        if !items.is_empty() {
            let currency = ctx.currency.as_deref();
            out.tables.push(Table {
                name: "lineItems".into(),
                columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
                rows: items.iter().map(|i| i.to_row(currency)).collect(),
            });
        }
    }

    if out.field("totalAmount").is_none() {
        out.warnings.push("no total amount found".into());
    } else if !summary.total_cross_checked {
        out.warnings.push("the total could not be cross-checked against subtotal + tax or payment".into());
    }
    if out.field("date").is_none() {
        out.warnings.push("no date found".into());
    }
    out.confidence = weighted_confidence(
        out,
        &[
            ("totalAmount", 0.35),
            ("date", 0.2),
            ("merchantName", 0.2),
            ("merchantAddress", 0.1),
            ("currency", 0.05),
            ("time", 0.05),
            ("subtotal", 0.05),
        ],
    );
    if summary.total_cross_checked {
        out.confidence = (out.confidence + 0.05).min(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::tests::doc_from_boxes;

    fn receipt(lines: &[&str], hints: &[(&str, &str)]) -> Extraction {
        let boxes: Vec<(f32, f32, f32, f32, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, t)| (20.0, 20.0 + i as f32 * 30.0, 20.0 + 10.0 * t.len() as f32, 40.0 + i as f32 * 30.0, *t))
            .collect();
        let mut doc = doc_from_boxes(&boxes);
        doc.extract_tables = true;
        doc.hints = hints.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        extract_receipt(&doc).unwrap()
    }

    #[test]
    fn malaysian_receipt() {
        let r = receipt(
            &[
                "KEDAI MAJU ENTERPRISE",
                "(JM0123456-X)",
                "NO. 5, JALAN BESAR,",
                "81100 JOHOR BAHRU, JOHOR.",
                "TEL : 07-555 1234",
                "CASH BILL",
                "DATE: 25/12/2018 8:13:39 PM",
                "ITEM QTY PRICE AMOUNT",
                "MODELLING CLAY 1 9.00 9.00",
                "SUB TOTAL 9.00",
                "ROUNDING ADJ 0.00",
                "TOTAL (RM): 9.00",
                "CASH 10.00",
                "CHANGE 1.00",
            ],
            &[],
        );
        assert_eq!(r.text("merchantName"), Some("KEDAI MAJU ENTERPRISE"));
        assert_eq!(r.text("merchantAddress"), Some("NO. 5, JALAN BESAR, 81100 JOHOR BAHRU, JOHOR."));
        assert_eq!(r.text("merchantPhone"), Some("07-555 1234"));
        assert_eq!(r.date("date").map(|d| d.iso()).as_deref(), Some("2018-12-25"));
        assert_eq!(r.text("time"), Some("20:13:39"));
        assert_eq!(r.amount("totalAmount"), Some(9.0));
        assert_eq!(r.amount("subtotal"), Some(9.0));
        assert_eq!(r.text("currency"), Some("MYR"), "RM in the total label");
        assert_eq!(r.text("paymentMethod"), Some("cash"));
        let items = r.table("lineItems").unwrap();
        assert_eq!(items.rows.len(), 1);
        assert_eq!(items.rows[0].cells[0], Some(Value::Text("MODELLING CLAY".into())));
        assert!(r.confidence > 0.8, "all key fields found and cross-checked: {}", r.confidence);
    }

    #[test]
    fn us_receipt_is_month_first_with_tip() {
        let r = receipt(
            &[
                "Joe's Diner",
                "123 Main Street",
                "Springfield, IL 62701",
                "03/04/2024 7:45 PM",
                "Burger 12.00",
                "Subtotal $12.00",
                "Tax $1.02",
                "Tip $2.00",
                "Total $15.02",
                "VISA $15.02",
            ],
            &[("locale", "en-US")],
        );
        assert_eq!(r.date("date").map(|d| d.iso()).as_deref(), Some("2024-03-04"));
        assert_eq!(r.amount("tipAmount"), Some(2.0));
        assert_eq!(r.amount("totalAmount"), Some(15.02));
        assert_eq!(r.text("currency"), Some("USD"));
        assert_eq!(r.text("paymentMethod"), Some("visa"));
        assert_eq!(r.text("merchantName"), Some("Joe's Diner"));
    }

    #[test]
    fn german_receipt_with_decimal_commas_and_day_first_dates() {
        let r = receipt(
            &[
                "Bäckerei Schmidt GmbH",
                "Bahnhofstraße 12",
                "80335 München",
                "Datum: 03.04.2024 08:15",
                "Brezel 2 x 0,90 1,80",
                "Kaffee 2,50",
                "Summe EUR 4,30",
                "MwSt 7% 0,28",
                "Bar 10,00",
                "Rückgeld 5,70",
            ],
            &[("locale", "de")],
        );
        assert_eq!(r.date("date").map(|d| d.iso()).as_deref(), Some("2024-04-03"));
        assert_eq!(r.amount("totalAmount"), Some(4.3));
        assert_eq!(r.text("currency"), Some("EUR"));
        assert_eq!(r.text("merchantName"), Some("Bäckerei Schmidt GmbH"));
        assert_eq!(r.text("merchantAddress"), Some("Bahnhofstraße 12 80335 München"));
        assert_eq!(r.text("paymentMethod"), Some("cash"));
    }

    #[test]
    fn missing_key_fields_give_low_confidence() {
        let r = receipt(&["THANK YOU", "PLEASE COME AGAIN"], &[]);
        assert!(r.confidence < 0.3, "{}", r.confidence);
        assert!(r.warnings.iter().any(|w| w.contains("total")));
        let empty = extract_receipt(&Document::default());
        assert!(matches!(empty, Err(ExtractError::InvalidInput(_))));
    }
}
