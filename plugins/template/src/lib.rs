//! Example Folio extractor plugin: purchase orders.
//!
//! Copy this crate to start a plugin of your own (see docs/writing-plugins.md).
//! It reads three labelled fields and the line-item table of a simple purchase
//! order:
//!
//! ```text
//! PO Number: PO-7731
//! Order Date: 2024-03-15
//! 2 x Blue widget @ 12.50
//! Total: 25.00 EUR
//! ```

use folio_plugin_sdk::prelude::*;

struct PurchaseOrders;

impl Extractor for PurchaseOrders {
    fn info() -> PluginInfo {
        PluginInfo::new("template-purchase-order", env!("CARGO_PKG_VERSION"))
            .document_types(&["purchase-order"])
            .description("Example plugin: PO number, order date, total and line items of a purchase order")
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        if doc.pages.is_empty() {
            return Err(ExtractError::invalid_input("the document has no pages"));
        }
        let currency = doc.hint("currency").map(str::to_string);
        let mut out = Extraction::new();
        let mut items = Table::new("lineItems", &["description", "quantity", "unitPrice"]);

        for (page, line) in doc.lines() {
            if let Some(value) = labelled(&line.text, "PO Number") {
                out.push(Field::text("poNumber", value).from_line(page, line));
            } else if let Some(value) = labelled(&line.text, "Order Date") {
                match parse_iso_date(value) {
                    Some((y, m, d)) => out.push(Field::date("orderDate", y, m, d).from_line(page, line)),
                    None => out.warn(format!("unreadable order date {value:?}")),
                }
            } else if let Some(value) = labelled(&line.text, "Total") {
                if let Some((amount, code)) = parse_money(value) {
                    let code = code.or(currency.as_deref());
                    out.push(Field::money("totalAmount", amount, code).from_line(page, line));
                }
            } else if doc.extract_tables
                && let Some(row) = parse_item(&line.text)
            {
                items.push(row.from_line(page, line));
            }
        }
        if !items.rows.is_empty() {
            out.push_table(items);
        }
        if out.get("totalAmount").is_none() {
            out.warn("no total found");
        }
        debug!("{}: {} fields", doc.id, out.fields.len());
        Ok(out.with_confidence_from(&["poNumber", "orderDate", "totalAmount"]))
    }
}

folio_plugin_sdk::export_extractor!(PurchaseOrders);

/// `"Label: value"` -> `value` (label matched case-insensitively).
fn labelled<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let (head, value) = line.split_once(':')?;
    (head.trim().eq_ignore_ascii_case(label) && !value.trim().is_empty()).then(|| value.trim())
}

/// `2024-03-15` -> (2024, 3, 15).
fn parse_iso_date(s: &str) -> Option<(i32, u8, u8)> {
    let mut parts = s.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok().filter(|m| (1..=12).contains(m))?;
    let d = parts.next()?.parse().ok().filter(|d| (1..=31).contains(d))?;
    Some((y, m, d))
}

/// `1,234.50 EUR` -> (1234.5, Some("EUR")).
fn parse_money(s: &str) -> Option<(f64, Option<&str>)> {
    let mut amount = None;
    let mut code = None;
    for token in s.split_whitespace() {
        if token.len() == 3 && token.chars().all(|c| c.is_ascii_uppercase()) {
            code = Some(token);
        } else if let Ok(v) = token.replace(',', "").parse::<f64>() {
            amount = Some(v);
        }
    }
    Some((amount?, code))
}

/// `2 x Blue widget @ 12.50` -> a row (description, quantity, unit price).
fn parse_item(line: &str) -> Option<TableRow> {
    let (qty, rest) = line.split_once(" x ")?;
    let (description, price) = rest.rsplit_once(" @ ")?;
    let qty: f64 = qty.trim().parse().ok()?;
    let (price, _) = parse_money(price)?;
    Some(TableRow::new(vec![Some(description.trim().into()), Some(qty.into()), Some(price.into())]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_plugin_sdk::testing::DocumentBuilder;

    const SAMPLE: &str = "ACME Corp\nPO Number: PO-7731\nOrder Date: 2024-03-15\n2 x Blue widget @ 12.50\nTotal: 25.00 EUR";

    #[test]
    fn extracts_the_sample_purchase_order() {
        let doc = DocumentBuilder::new("purchase-order").page(SAMPLE).build();
        let out = PurchaseOrders::extract(doc).unwrap();
        assert_eq!(out.get("poNumber").unwrap().value, FieldValue::Text("PO-7731".into()));
        assert_eq!(out.get("orderDate").unwrap().value, FieldValue::Date(Date::new(2024, 3, 15)));
        assert_eq!(out.get("totalAmount").unwrap().value, FieldValue::Money(Money::new(25.0, Some("EUR"))));
        assert_eq!(out.tables[0].rows.len(), 1);
        assert_eq!(out.tables[0].rows[0].cells[1], Some(FieldValue::Number(2.0)));
        assert!(out.warnings.is_empty());
        assert!(out.confidence > 0.9);
    }

    #[test]
    fn missing_total_lowers_confidence_and_warns() {
        let doc = DocumentBuilder::new("purchase-order").page("PO Number: PO-1").build();
        let out = PurchaseOrders::extract(doc).unwrap();
        assert_eq!(out.warnings, vec!["no total found".to_string()]);
        assert!(out.confidence < 0.5);
    }

    #[test]
    fn empty_document_is_invalid_input() {
        let doc = DocumentBuilder::new("purchase-order").build();
        assert!(matches!(PurchaseOrders::extract(doc), Err(ExtractError::InvalidInput(_))));
    }
}
