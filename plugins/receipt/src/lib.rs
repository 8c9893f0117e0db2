//! The first-party receipt extractor: a thin adapter from the plugin
//! contract to `folio_extract::extract_receipt`.

use folio_plugin_sdk::prelude::*;

struct Receipt;

impl Extractor for Receipt {
    fn info() -> PluginInfo {
        PluginInfo::new("receipt", env!("CARGO_PKG_VERSION"))
            .document_types(&["receipt"])
            .description("Receipts: merchantName, merchantAddress, merchantPhone, merchantTaxId, date, time, subtotal, taxAmount, tipAmount, totalAmount, currency, paymentMethod, lineItems")
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        folio_extract_bridge::run(doc, folio_extract_bridge::extract::extract_receipt)
    }
}

folio_plugin_sdk::export_extractor!(Receipt);
