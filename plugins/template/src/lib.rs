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
//! Total:                     25.00 EUR
//! ```
//!
//! Labels and values are read from the page's *rows* (`doc.rows()`): OCR
//! often reads `Total:` and an amount far to its right as two lines, and
//! a row holds both.

use folio_plugin_sdk::parse::DateOrder;
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
        // `de` documents write 1.234,56 and 15.03.2024.
        let decimal_comma = doc.language == "de";
        let mut out = Extraction::new();
        let mut items = Table::new("lineItems", &["description", "quantity", "unitPrice"]);

        for (page, row) in doc.rows() {
            if let Some(value) = parse::label_value(&row.text, &["PO Number", "PO No", "Order Number"]) {
                out.push(Field::text("poNumber", value).from_row(page, row));
            } else if let Some(value) = parse::label_value(&row.text, &["Order Date", "Date"]) {
                match parse::date(value, DateOrder::DayMonthYear) {
                    Some(date) => out.push(Field::new("orderDate", date).from_row(page, row)),
                    None => out.warn(format!("unreadable order date {value:?}")),
                }
            } else if let Some(value) = parse::label_value(&row.text, &["Total", "Total Amount"]) {
                if let Some(mut money) = parse::money(value, decimal_comma) {
                    money.currency = money.currency.or(currency.clone());
                    out.push(Field::new("totalAmount", money).from_row(page, row));
                }
            } else if doc.extract_tables
                && let Some(item) = parse_item(&row.text, decimal_comma)
            {
                items.push(item.from_row(page, row));
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

/// `2 x Blue widget @ 12.50` -> a row (description, quantity, unit price).
fn parse_item(text: &str, decimal_comma: bool) -> Option<TableRow> {
    let (qty, rest) = text.split_once(" x ")?;
    let (description, price) = rest.rsplit_once(" @ ")?;
    let qty: f64 = qty.trim().parse().ok()?;
    let price = parse::money(price, decimal_comma)?;
    Some(TableRow::new(vec![Some(description.trim().into()), Some(qty.into()), Some(price.amount.into())]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_plugin_sdk::testing::{self, DocumentBuilder};

    // A tab: OCR read the label and the amount as two lines on one row.
    const SAMPLE: &str = "ACME Corp\nPO Number: PO-7731\nOrder Date: 2024-03-15\n2 x Blue widget @ 12.50\nTotal:\t25.00 EUR";

    #[test]
    fn extracts_the_sample_purchase_order() {
        let doc = DocumentBuilder::new("purchase-order").page(SAMPLE).build();
        // `testing::extract` also checks the output as the host will.
        let out = testing::extract::<PurchaseOrders>(doc).unwrap();
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
        let out = testing::extract::<PurchaseOrders>(doc).unwrap();
        assert_eq!(out.warnings, vec!["no total found".to_string()]);
        assert!(out.confidence < 0.5);
    }

    #[test]
    fn empty_document_is_invalid_input() {
        let doc = DocumentBuilder::new("purchase-order").build();
        assert!(matches!(PurchaseOrders::extract(doc), Err(ExtractError::InvalidInput(_))));
    }
}
