//! Invoices: numbers and dates by label, vendor and customer blocks, tax
//! id, money summary and line items.

use crate::context::Context;
use crate::fields::{
    add_days, document_date_labels, labelled_date, other_date_labels, pick_date, push_money, round_cents, text_after_label,
    weighted_confidence,
};
use crate::items::{COLUMNS, find_items, header_row};
use crate::layout::{Row, blocks};
use crate::model::{Document, ExtractError, Extraction, SourceRef, Table, Value};
use crate::party::{CUSTOMER_LABELS, find_issuer, is_detail_row, is_registration_row};
use crate::text::{digit_count, squash_spaces};
use crate::totals::{Role, summarize};
use crate::vocab::Field;

/// Extracts an invoice's fields and its `lineItems` table.
pub fn extract_invoice(doc: &Document) -> Result<Extraction, ExtractError> {
    crate::extract_with(doc, invoice_fields)
}

fn invoice_fields(doc: &Document, ctx: &Context, out: &mut Extraction) {
    let is_number = |v: &str| {
        let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        digit_count(&compact) >= 1
            && (2..=32).contains(&compact.len())
            && crate::date::parse_date(v).is_none()
            && !(compact.contains('.') && crate::money::parse_amount(&compact, ctx.format).is_some_and(|a| a.decimals == 2))
    };
    if let Some((v, src, conf)) = text_after_label(ctx, &ctx.vocab.labels_of(&[Field::InvoiceNumber, Field::InvoiceTitle]), 3, is_number) {
        out.push("invoiceNumber", Value::Text(v), 0.9 * (0.6 + 0.4 * conf), Some(src));
    }

    let invoice_date = labelled_date(ctx, &ctx.vocab.labels(Field::InvoiceDate))
        .or_else(|| pick_date(ctx, &document_date_labels(ctx), &other_date_labels(ctx)));
    if let Some((hit, conf)) = &invoice_date {
        out.push("invoiceDate", Value::Date(hit.date), *conf, Some(ctx.rows[hit.row].source(hit.start, hit.end)));
    }
    if let Some((hit, conf)) = labelled_date(ctx, &ctx.vocab.labels(Field::DueDate))
        .filter(|(h, _)| invoice_date.as_ref().is_none_or(|(i, _)| i.row != h.row || i.start != h.start))
    {
        out.push("dueDate", Value::Date(hit.date), conf, Some(ctx.rows[hit.row].source(hit.start, hit.end)));
    } else if let (Some((inv, _)), Some((days, src))) = (&invoice_date, payment_terms_days(ctx)) {
        // `Net 30` / `Payment terms: 14 days`: the due date follows from them.
        if let Some(due) = add_days(inv.date, days) {
            out.push("dueDate", Value::Date(due), 0.6, Some(src));
        }
    }
    if let Some((v, src, conf)) = text_after_label(ctx, &ctx.vocab.labels(Field::PurchaseOrder), 3, |v| is_number(v) && v.len() >= 3) {
        out.push("purchaseOrder", Value::Text(v), 0.85 * (0.6 + 0.4 * conf), Some(src));
    }

    // Parties: read the page as column blocks so a vendor block on the left
    // and invoice details on the right don't mix.
    let first_page: Vec<Row> = ctx.rows.iter().take_while(|r| r.page == ctx.rows[0].page).cloned().collect();
    let page_blocks = blocks(&first_page);
    let customer = find_customer(&page_blocks);
    // The vendor is looked for before the customer block and everything after it.
    let vendor_rows: Vec<Row> = page_blocks
        .iter()
        .take_while(|b| customer.as_ref().is_none_or(|c| !std::ptr::eq(*b, &page_blocks[c.block])))
        .flatten()
        .cloned()
        .collect();
    let vendor_ctx = Context::from_rows(if vendor_rows.is_empty() { first_page.clone() } else { vendor_rows }, ctx.locale.clone());
    let vendor = find_issuer(&vendor_ctx);
    if let Some(name) = &vendor.name {
        out.push("vendorName", Value::Text(name.text.clone()), name.confidence, Some(name.source));
    }
    if let Some(addr) = &vendor.address {
        out.push("vendorAddress", Value::Text(addr.text.clone()), addr.confidence, Some(addr.source));
    }
    if let Some((v, src, conf)) = crate::fields::pick_tax_id(ctx) {
        out.push("vendorTaxId", Value::Text(v), conf, Some(src));
    }
    if let Some(c) = &customer {
        if let Some((name, src)) = &c.name {
            out.push("customerName", Value::Text(name.clone()), 0.75, Some(*src));
        }
        if let Some((addr, src)) = &c.address {
            out.push("customerAddress", Value::Text(addr.clone()), 0.7, Some(*src));
        }
    }

    let summary = summarize(ctx);
    push_money(out, ctx, "subtotal", summary.subtotal.as_ref());
    push_money(out, ctx, "taxAmount", summary.tax.as_ref());
    push_money(out, ctx, "totalAmount", summary.total.as_ref());
    let due = summary.labelled.iter().find(|l| l.label.amount_due && l.value.as_ref().is_some_and(|v| v.amount.value >= 0.0));
    match due {
        Some(l) => {
            let hit = l.value.clone().unwrap();
            let picked = crate::totals::Picked { value: hit.amount.value, hit, confidence: 0.85 };
            push_money(out, ctx, "amountDue", Some(&picked));
        }
        None => {
            // Nothing paid on the invoice: the total is what is due.
            if let (Some(total), None) = (summary.total.as_ref(), summary.paid.as_ref()) {
                let mut t = total.clone();
                t.confidence *= 0.8;
                push_money(out, ctx, "amountDue", Some(&t));
            } else if let (Some(total), Some(paid)) = (summary.total.as_ref(), summary.paid.as_ref()) {
                let mut t = total.clone();
                t.value = round_cents((total.value - paid.value).max(0.0));
                t.confidence = 0.6;
                push_money(out, ctx, "amountDue", Some(&t));
            }
        }
    }
    if let Some(currency) = &ctx.currency {
        out.push("currency", Value::Text(currency.clone()), 0.8, None);
    }

    if doc.extract_tables {
        let first_summary = summary
            .labelled
            .iter()
            .filter(|l| matches!(l.role, Role::Total(_) | Role::Subtotal | Role::Tax) && l.value.is_some())
            .map(|l| l.row);
        let header = header_row(ctx, 0, ctx.rows.len());
        let from = header.unwrap_or(0);
        let to = first_summary.filter(|r| *r > from).min().unwrap_or(ctx.rows.len());
        let items = if header.is_some() { find_items(ctx, from, to) } else { Vec::new() };
        if !items.is_empty() {
            out.tables.push(Table {
                name: "lineItems".into(),
                columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
                rows: items.iter().map(|i| i.to_row(ctx.currency.as_deref())).collect(),
            });
            let sum: f64 = items.iter().filter_map(|i| i.amount).sum();
            let reference = out.amount("subtotal").or(out.amount("totalAmount"));
            if let Some(r) = reference
                && !crate::money::same_amount(sum, r)
            {
                out.warnings.push(format!("line items add up to {:.2}, not {:.2}", round_cents(sum), r));
            }
        }
    }

    if out.field("totalAmount").is_none() {
        out.warnings.push("no total amount found".into());
    }
    if out.field("invoiceNumber").is_none() {
        out.warnings.push("no invoice number found".into());
    }
    out.confidence = weighted_confidence(
        out,
        &[
            ("totalAmount", 0.3),
            ("invoiceNumber", 0.15),
            ("invoiceDate", 0.15),
            ("vendorName", 0.15),
            ("currency", 0.05),
            ("subtotal", 0.05),
            ("taxAmount", 0.05),
            ("vendorAddress", 0.05),
            ("customerName", 0.05),
        ],
    );
    if summary.total_cross_checked {
        out.confidence = (out.confidence + 0.05).min(1.0);
    }
}

/// `Net 30`, `Payment terms: 14 days`, `zahlbar innerhalb 30 Tagen`.
fn payment_terms_days(ctx: &Context) -> Option<(i64, SourceRef)> {
    for row in &ctx.rows {
        let upper = crate::text::fold(&row.text);
        let words: Vec<&str> = upper.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        for (i, w) in words.iter().enumerate() {
            let n = w.parse::<i64>().ok().filter(|n| (1..=180).contains(n));
            let Some(n) = n else { continue };
            let net_before = i > 0 && words[i - 1] == "NET";
            let days_after =
                words.get(i + 1).is_some_and(|d| matches!(*d, "DAYS" | "DAY" | "TAGE" | "TAGEN" | "JOURS" | "DIAS" | "GIORNI" | "DAGEN"));
            let terms_row =
                words.iter().any(|w| matches!(*w, "TERMS" | "PAYMENT" | "ZAHLBAR" | "ZAHLUNGSZIEL" | "PAIEMENT" | "PAGO" | "BETALING"));
            if net_before || (days_after && terms_row) {
                return Some((n, row.row_source()));
            }
        }
    }
    None
}

struct Customer {
    block: usize,
    name: Option<(String, SourceRef)>,
    address: Option<(String, SourceRef)>,
}

/// The block that starts with (or contains) a bill-to label: the name is
/// the first line after the label, the address the lines that follow until
/// contact details.
fn find_customer(page_blocks: &[Vec<Row>]) -> Option<Customer> {
    for (bi, block) in page_blocks.iter().enumerate() {
        for (li, row) in block.iter().enumerate() {
            let Some((_, a, b)) = row.find_any_label(CUSTOMER_LABELS) else { continue };
            if a > 0 {
                continue;
            }
            let mut lines: Vec<&Row> = Vec::new();
            let rest;
            if b < row.tokens.len() && row.tokens[b..].iter().any(|t| !t.key.is_empty()) {
                let start = (b..row.tokens.len()).find(|&j| !row.tokens[j].key.is_empty()).unwrap();
                rest = row.slice(start, row.tokens.len());
                lines.push(&rest);
            }
            for r in &block[li + 1..] {
                if lines.len() >= 6 || is_detail_row(r) || r.find_any_label(CUSTOMER_LABELS).is_some() {
                    break;
                }
                if is_registration_row(r) {
                    continue;
                }
                lines.push(r);
            }
            if lines.is_empty() {
                return None;
            }
            let name = lines.first().map(|r| (squash_spaces(&r.text), SourceRef { page: r.page, bbox: r.bbox }));
            let address = (lines.len() > 1).then(|| {
                let text = lines[1..].iter().map(|r| squash_spaces(&r.text)).collect::<Vec<_>>().join(" ");
                let bbox = lines[1..].iter().map(|r| r.bbox).reduce(|a, b| a.union(&b)).unwrap();
                (text, SourceRef { page: lines[1].page, bbox })
            });
            return Some(Customer { block: bi, name, address });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BBox, Line, Page};

    /// An invoice page from rows of cells: each cell is (x, text); rows are 30 px apart.
    fn invoice(rows: &[&[(f32, &str)]], hints: &[(&str, &str)]) -> Extraction {
        let mut lines = Vec::new();
        for (i, cells) in rows.iter().enumerate() {
            let top = 40.0 + i as f32 * 30.0;
            for (x, text) in cells.iter() {
                lines.push(Line::from_text(text, BBox::new(*x, top, 9.0 * text.chars().count() as f32, 20.0), 0.96));
            }
        }
        let doc = Document {
            language: "en".into(),
            hints: hints.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            extract_tables: true,
            pages: vec![Page { number: 1, width: 1240.0, height: 1754.0, lines }],
        };
        extract_invoice(&doc).unwrap()
    }

    #[test]
    fn us_invoice_with_two_column_header_bill_to_and_line_items() {
        let e = invoice(
            &[
                &[(60.0, "Northwind Supplies LLC"), (800.0, "INVOICE")],
                &[(60.0, "1200 Harbor Blvd, Suite 400"), (800.0, "Invoice No: INV-2024-00456")],
                &[(60.0, "Oakland, CA 94607"), (800.0, "Invoice Date: 03/04/2024")],
                &[(60.0, "Tel: (510) 555-0188"), (800.0, "Due Date: 04/03/2024")],
                &[(60.0, "Tax ID: 94-1234567"), (800.0, "PO Number: PO-7781")],
                &[],
                &[(60.0, "Bill To:")],
                &[(60.0, "Contoso Retail Inc.")],
                &[(60.0, "55 Market Street")],
                &[(60.0, "San Francisco, CA 94105")],
                &[],
                &[(60.0, "Description"), (700.0, "Qty"), (850.0, "Unit Price"), (1050.0, "Amount")],
                &[(60.0, "Shelving units"), (700.0, "10"), (850.0, "1,200.00"), (1050.0, "12,000.00")],
                &[(60.0, "Installation service"), (700.0, "1"), (850.0, "2,500.00"), (1050.0, "2,500.00")],
                &[(850.0, "Subtotal"), (1050.0, "$14,500.00")],
                &[(850.0, "Sales Tax 8.625%"), (1050.0, "$1,250.63")],
                &[(850.0, "Total"), (1050.0, "$15,750.63")],
                &[(850.0, "Amount Due"), (1050.0, "$15,750.63")],
            ],
            &[("locale", "en-US")],
        );
        assert_eq!(e.text("invoiceNumber"), Some("INV-2024-00456"));
        assert_eq!(e.date("invoiceDate").map(|d| d.iso()).as_deref(), Some("2024-03-04"));
        assert_eq!(e.date("dueDate").map(|d| d.iso()).as_deref(), Some("2024-04-03"));
        assert_eq!(e.text("purchaseOrder"), Some("PO-7781"));
        assert_eq!(e.text("vendorName"), Some("Northwind Supplies LLC"));
        assert_eq!(e.text("vendorAddress"), Some("1200 Harbor Blvd, Suite 400 Oakland, CA 94607"));
        assert_eq!(e.text("vendorTaxId"), Some("94-1234567"));
        assert_eq!(e.text("customerName"), Some("Contoso Retail Inc."));
        assert_eq!(e.text("customerAddress"), Some("55 Market Street San Francisco, CA 94105"));
        assert_eq!(e.amount("subtotal"), Some(14500.0));
        assert_eq!(e.amount("taxAmount"), Some(1250.63));
        assert_eq!(e.amount("totalAmount"), Some(15750.63));
        assert_eq!(e.amount("amountDue"), Some(15750.63));
        assert_eq!(e.text("currency"), Some("USD"));
        let items = e.table("lineItems").expect("line items");
        assert_eq!(items.columns, vec!["description", "quantity", "unitPrice", "amount"]);
        assert_eq!(items.rows.len(), 2);
        assert_eq!(items.rows[0].cells[0], Some(Value::Text("Shelving units".into())));
        assert_eq!(items.rows[0].cells[1], Some(Value::Number(10.0)));
        assert_eq!(items.rows[0].cells[3], Some(Value::Money { amount: 12000.0, currency: Some("USD".into()) }));
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
        assert!(e.confidence > 0.8, "{}", e.confidence);
    }

    #[test]
    fn german_invoice_with_decimal_commas_and_payment_terms() {
        let e = invoice(
            &[
                &[(60.0, "Muster Elektro GmbH")],
                &[(60.0, "Hauptstraße 5")],
                &[(60.0, "10115 Berlin")],
                &[(60.0, "USt-IdNr: DE123456789")],
                &[],
                &[(60.0, "Rechnungsempfänger:"), (800.0, "Rechnungsnummer: 2024-117")],
                &[(60.0, "Beispiel AG"), (800.0, "Rechnungsdatum: 05.03.2024")],
                &[(60.0, "Ringstraße 9"), (800.0, "Zahlbar innerhalb 14 Tagen")],
                &[(60.0, "80331 München")],
                &[],
                &[(60.0, "Beschreibung"), (700.0, "Menge"), (850.0, "Preis"), (1050.0, "Betrag")],
                &[(60.0, "Kabel NYM 3x1,5"), (700.0, "100"), (850.0, "1,20"), (1050.0, "120,00")],
                &[(60.0, "Montage"), (700.0, "2"), (850.0, "45,00"), (1050.0, "90,00")],
                &[(850.0, "Nettobetrag"), (1050.0, "210,00 €")],
                &[(850.0, "MwSt 19%"), (1050.0, "39,90 €")],
                &[(850.0, "Gesamtbetrag"), (1050.0, "249,90 €")],
            ],
            &[("locale", "de-DE")],
        );
        assert_eq!(e.text("invoiceNumber"), Some("2024-117"));
        assert_eq!(e.date("invoiceDate").map(|d| d.iso()).as_deref(), Some("2024-03-05"));
        assert_eq!(e.date("dueDate").map(|d| d.iso()).as_deref(), Some("2024-03-19"), "14 days of payment terms");
        assert_eq!(e.text("vendorName"), Some("Muster Elektro GmbH"));
        assert_eq!(e.text("vendorAddress"), Some("Hauptstraße 5 10115 Berlin"));
        assert_eq!(e.text("vendorTaxId"), Some("DE123456789"));
        assert_eq!(e.text("customerName"), Some("Beispiel AG"));
        assert_eq!(e.text("customerAddress"), Some("Ringstraße 9 80331 München"));
        assert_eq!(e.amount("subtotal"), Some(210.0));
        assert_eq!(e.amount("taxAmount"), Some(39.9));
        assert_eq!(e.amount("totalAmount"), Some(249.9));
        assert_eq!(e.text("currency"), Some("EUR"));
        let items = e.table("lineItems").unwrap();
        assert_eq!(items.rows.len(), 2);
        assert_eq!(items.rows[0].cells[2], Some(Value::Money { amount: 1.2, currency: Some("EUR".into()) }));
    }

    #[test]
    fn spaced_vat_ids_and_charge_lines() {
        // A VAT id printed in groups, and a line item whose description says
        // "charge" (one letter from a payment's "change") before the totals.
        let e = invoice(
            &[
                &[(60.0, "Nordsee Spedition GmbH")],
                &[(60.0, "Kaiserkai 7, 20457 Hamburg")],
                &[(60.0, "VAT ID: DE 812 345 678 | Phone: +49 40 555 0100")],
                &[(60.0, "Invoice No: NS-2024-118"), (800.0, "Invoice Date: 14 March 2024")],
                &[(60.0, "Description"), (700.0, "Qty"), (850.0, "Unit Price"), (1050.0, "Amount")],
                &[(60.0, "Handling charge per pallet"), (700.0, "24"), (850.0, "6.40"), (1050.0, "153.60")],
                &[(60.0, "Freight"), (700.0, "1"), (850.0, "846.40"), (1050.0, "846.40")],
                &[(850.0, "Subtotal"), (1050.0, "1,000.00")],
                &[(850.0, "VAT 19%"), (1050.0, "190.00")],
                &[(850.0, "Total Due (EUR)"), (1050.0, "1,190.00")],
            ],
            &[],
        );
        assert_eq!(e.text("vendorTaxId"), Some("DE812345678"));
        assert_eq!(e.amount("taxAmount"), Some(190.0));
        assert_eq!(e.amount("totalAmount"), Some(1190.0));
    }

    #[test]
    fn an_invoice_without_key_fields_is_low_confidence() {
        let e = invoice(&[&[(60.0, "Meeting notes")], &[(60.0, "Discussed the roadmap")]], &[]);
        assert!(e.confidence < 0.2, "{}", e.confidence);
        assert!(e.warnings.iter().any(|w| w.contains("total")));
    }
}
