//! An extractor whose metadata is not sane: a name with spaces and capitals,
//! a version that is not semver and no document types.

use folio_plugin_sdk::prelude::*;

struct BadMetadata;

impl Extractor for BadMetadata {
    fn info() -> PluginInfo {
        PluginInfo::new("Bad Name!", "latest")
    }

    fn extract(_doc: Document) -> Result<Extraction, ExtractError> {
        Ok(Extraction::new())
    }
}

folio_plugin_sdk::export_extractor!(BadMetadata);
