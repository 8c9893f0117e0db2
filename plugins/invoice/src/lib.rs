//! The first-party invoice extractor: a thin adapter from the plugin
//! contract to `folio_extract::extract_invoice`.

use folio_plugin_sdk::prelude::*;

struct Invoice;

impl Extractor for Invoice {
    fn info() -> PluginInfo {
        PluginInfo::new("invoice", env!("CARGO_PKG_VERSION")).document_types(&["invoice"]).description(
            "Invoices: invoiceNumber, invoiceDate, dueDate, purchaseOrder, vendor and customer name/address, vendorTaxId, subtotal, taxAmount, totalAmount, amountDue, currency, lineItems",
        )
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        folio_extract_bridge::run(doc, folio_extract_bridge::extract::extract_invoice)
    }
}

folio_plugin_sdk::export_extractor!(Invoice);
