//! A plugin of contract 0.1.0, frozen: generated straight from
//! `plugins/sdk/wit/since_v0.1.0` (pages without `rows`), the world a
//! plugin built with the 0.1.0 SDK implements. The host must load and run
//! it next to 0.2.0 plugins (host/tests/plugin_registry.rs).

// The generated export signatures mirror the WIT (11 arguments for a page record).
#![allow(clippy::too_many_arguments)]

wit_bindgen::generate!({
    path: "../../sdk/wit/since_v0.1.0",
    world: "extractor",
});

use folio::extractor::host::{LogLevel, log};
use folio::extractor::types::{Field, FieldValue};

struct Legacy;

impl Guest for Legacy {
    fn metadata() -> PluginInfo {
        PluginInfo {
            name: "contract-v0-1".into(),
            version: "0.1.0".into(),
            // Also purchase-order, which the template serves when loaded after it
            // (`plugins list` says so: host/tests/plugin_cli.rs).
            document_types: vec!["legacy".into(), "purchase-order".into()],
            contract_version: "0.1.0".into(),
            description: "Test plugin of contract 0.1.0: counts lines and reads `Total:` from a line".into(),
        }
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        let lines: Vec<_> = doc.pages.iter().flat_map(|p| p.lines.iter().map(move |l| (p.number, l))).collect();
        log(LogLevel::Info, &format!("{}: {} lines", doc.id, lines.len()));
        let mut fields =
            vec![Field { key: "lineCount".into(), value: FieldValue::Number(lines.len() as f64), confidence: 1.0, source: None }];
        if let Some((_, line)) = lines.iter().find(|(_, l)| l.text.starts_with("Total:")) {
            fields.push(Field {
                key: "totalLine".into(),
                value: FieldValue::Text(line.text.clone()),
                confidence: line.confidence,
                source: None,
            });
        }
        Ok(Extraction { fields, tables: vec![], confidence: 1.0, warnings: vec![] })
    }
}

export!(Legacy);
