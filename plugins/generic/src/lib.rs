//! The first-party generic extractor and fallback for any document type: a
//! thin adapter from the plugin contract to `folio_extract::extract_generic`.

use folio_plugin_sdk::prelude::*;

struct Generic;

impl Extractor for Generic {
    fn info() -> PluginInfo {
        // `*`: the host falls back to this plugin for types no other plugin handles.
        PluginInfo::new("generic", env!("CARGO_PKG_VERSION"))
            .document_types(&["generic", "*"])
            .description("Any document: labelled key-value pairs, dates, money amounts, emails, phone numbers, URLs, tables")
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        folio_extract_bridge::run(doc, folio_extract_bridge::extract::extract_generic)
    }
}

folio_plugin_sdk::export_extractor!(Generic);
