//! An extractor that claims a contract version this host does not speak
//! (0.3.0). It bypasses the SDK's `export_extractor!`, which would overwrite
//! the version, and implements the generated `Guest` trait directly.

use folio_plugin_sdk::bindings::Guest;
use folio_plugin_sdk::prelude::*;

struct FutureContract;

impl Guest for FutureContract {
    fn metadata() -> PluginInfo {
        let mut info = PluginInfo::new("future-contract", "1.0.0").document_types(&["future"]);
        info.contract_version = "0.3.0".to_string();
        info
    }

    fn extract(_doc: Document) -> Result<Extraction, ExtractError> {
        Ok(Extraction::new())
    }
}

folio_plugin_sdk::bindings::__export_extractor_world!(FutureContract with_types_in folio_plugin_sdk::bindings);
