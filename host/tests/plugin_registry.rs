//! Loading plugins: what is accepted, what is refused and why, routing, and
//! the compiled-code cache.
//!
//! Needs `scripts/build-plugins` (template, hostile and wrong-world plugins).

mod plugin_support;

use folio_core::{ErrorCode, PLUGIN_CONTRACT_VERSION};
use folio_host::plugins::cache::CacheStatus;
use folio_host::plugins::{PluginHost, PluginLoadError, SandboxConfig, sample};
use plugin_support::*;

fn empty_host(cache: &Scratch) -> PluginHost {
    PluginHost::new(config(cache)).unwrap()
}

#[test]
fn the_template_plugin_loads_with_its_metadata() {
    let cache = Scratch::new("plugin-cache");
    let mut host = empty_host(&cache);
    let path = test_plugin(TEMPLATE);
    let info = host.load_file(&path).unwrap();
    assert_eq!(info.name, "template-purchase-order");
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.document_types, vec!["purchase-order".to_string()]);
    assert_eq!(info.contract_version, PLUGIN_CONTRACT_VERSION);
    assert!(info.description.starts_with("Example plugin"));
    assert_eq!(info.path, path);
    assert_eq!(info.sha256.len(), 64);
    assert_eq!(host.plugins(), vec![info]);
    assert_eq!(host.document_types(), vec!["purchase-order".to_string()]);
}

#[test]
fn plugins_of_contract_0_1_0_and_0_2_0_load_and_run_in_one_host() {
    let cache = Scratch::new("plugin-cache");
    let mut host = empty_host(&cache);
    let old = host.load_file(&test_plugin(CONTRACT_V0_1)).unwrap();
    let new = host.load_file(&test_plugin(TEMPLATE)).unwrap();
    assert_eq!(old.contract_version, "0.1.0");
    assert_eq!(new.contract_version, "0.2.0");
    assert_eq!(host.document_types(), vec!["legacy".to_string(), "purchase-order".to_string()]);

    // The 0.1.0 plugin gets its pages without rows and still reads them
    // (its log line crosses the 0.1.0 `host` interface).
    let out = host.extract(&sample::document("legacy", &["Hello\nTotal: 3.00"])).unwrap();
    assert_eq!(out.plugin, "contract-v0-1");
    assert_eq!(out.extracted_data["lineCount"], 2.0);
    assert_eq!(out.extracted_data["totalLine"], "Total: 3.00");
    assert_eq!(out.logs[0].message, "doc_sample: 2 lines");
    // The 0.2.0 plugin reads a total whose label and amount OCR read apart,
    // from the page's rows.
    let mut po = purchase_order();
    split_total_into_two_lines(&mut po);
    let out = host.extract(&po).unwrap();
    assert_eq!(out.plugin, "template-purchase-order");
    assert_eq!(out.extracted_data["totalAmount"], 25.0);
    // And the old plugin still runs after the new one.
    assert_eq!(host.extract(&sample::document("legacy", &["a"])).unwrap().extracted_data["lineCount"], 1.0);
}

#[test]
fn extraction_comes_back_in_docurift_shape() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let out = host.extract(&purchase_order()).unwrap();
    assert_eq!(out.plugin, "template-purchase-order");
    assert_eq!(
        serde_json::Value::Object(out.extracted_data),
        serde_json::json!({
            "poNumber": "PO-7731",
            "orderDate": "2024-03-15",
            "totalAmount": 25.0,
            "lineItems": [{"description": "Blue widget", "quantity": 2.0, "unitPrice": 12.5}],
            "currency": "EUR"
        })
    );
    // Per-key detail: the OCR line's confidence and box on page 1.
    let detail = &out.fields["poNumber"];
    assert_eq!(detail["confidence"], 0.95);
    assert_eq!(detail["page"], 1);
    assert_eq!(detail["bbox"].as_array().unwrap().len(), 4);
    assert_eq!(out.fields["currency"], out.fields["totalAmount"]);
    assert_eq!(out.confidence, 0.95);
    assert!(out.warnings.is_empty());
    assert_eq!(out.logs.len(), 1, "the template logs one debug line");
    assert_eq!(out.logs[0].level, "debug");
}

#[test]
fn routing_falls_back_to_the_catch_all_plugin() {
    let cache = Scratch::new("plugin-cache");
    let mut host = empty_host(&cache);
    host.load_file(&test_plugin(TEMPLATE)).unwrap();
    let err = host.extract(&sample::document("invoice", &["Invoice 1"])).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidDocumentType);
    assert!(err.message.contains("No extractor plugin handles documentType \"invoice\""), "{}", err.message);

    host.load_file(&test_plugin(HOSTILE)).unwrap(); // declares "hostile" and "*"
    assert_eq!(host.plugin_for("purchase-order").unwrap().name, "template-purchase-order");
    assert_eq!(host.plugin_for("invoice").unwrap().name, "hostile");
    let out = host.extract(&sample::document("invoice", &["Invoice 1"])).unwrap();
    assert_eq!(out.plugin, "hostile");
    assert_eq!(host.document_types(), vec!["hostile".to_string(), "purchase-order".to_string()]);
}

#[test]
fn a_plugin_name_is_loaded_once() {
    let cache = Scratch::new("plugin-cache");
    let mut host = empty_host(&cache);
    let path = test_plugin(TEMPLATE);
    host.load_file(&path).unwrap();
    let err = host.load_file(&path).unwrap_err();
    assert!(matches!(err, PluginLoadError::DuplicateName { .. }), "{err}");
    assert!(err.to_string().contains("a plugin named \"template-purchase-order\" is already loaded from"), "{err}");
}

#[test]
fn a_non_wasm_file_is_refused() {
    let scratch = Scratch::new("plugin-files");
    let host = empty_host(&scratch);
    let text = scratch.file("notes.txt", b"This is not a plugin.\n");
    let err = host.inspect_file(&text).unwrap_err();
    assert!(matches!(err, PluginLoadError::NotWasm { .. }), "{err}");
    assert_eq!(err.to_string(), format!("{} is not a WebAssembly file (it does not start with the \\0asm magic bytes)", text.display()));
    let missing = scratch.path().join("missing.wasm");
    assert!(matches!(host.inspect_file(&missing).unwrap_err(), PluginLoadError::Io { .. }));
}

#[test]
fn a_core_module_is_refused() {
    let scratch = Scratch::new("plugin-files");
    let host = empty_host(&scratch);
    // The smallest valid core module: magic + version 1.
    let module = scratch.file("core.wasm", b"\0asm\x01\0\0\0");
    let err = host.inspect_file(&module).unwrap_err();
    assert!(matches!(err, PluginLoadError::CoreModule { .. }), "{err}");
    assert!(err.to_string().contains("is a core WebAssembly module, not a component"), "{err}");
}

#[test]
fn a_truncated_component_is_refused() {
    let scratch = Scratch::new("plugin-files");
    let host = empty_host(&scratch);
    let wasm = std::fs::read(test_plugin(TEMPLATE)).unwrap();
    let truncated = scratch.file("truncated.wasm", &wasm[..wasm.len() / 2]);
    let err = host.inspect_file(&truncated).unwrap_err();
    assert!(matches!(err, PluginLoadError::InvalidComponent { .. }), "{err}");
    assert!(err.to_string().contains("is not a valid WebAssembly component"), "{err}");
}

#[test]
fn a_component_of_another_world_is_refused() {
    let cache = Scratch::new("plugin-cache");
    let host = empty_host(&cache);
    let err = host.inspect_file(&test_plugin(WRONG_WORLD)).unwrap_err();
    assert!(matches!(err, PluginLoadError::WrongWorld { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(
            "is not a Folio extractor: it does not implement the folio:extractor `extractor` world of any contract version this host supports (0.1.0, 0.2.0)"
        ),
        "{message}"
    );
    assert!(message.contains("it exports [greet]"), "{message}");
}

#[test]
fn another_contract_version_is_refused_naming_both_versions() {
    let cache = Scratch::new("plugin-cache");
    let host = empty_host(&cache);
    let err = host.inspect_file(&test_plugin(FUTURE_CONTRACT)).unwrap_err();
    assert!(matches!(err, PluginLoadError::ContractVersion { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("was built against plugin contract folio:extractor@0.3.0, but this host supports contract versions 0.1.0, 0.2.0"),
        "{message}"
    );
}

#[test]
fn insane_metadata_is_refused() {
    let cache = Scratch::new("plugin-cache");
    let host = empty_host(&cache);
    let err = host.inspect_file(&test_plugin(BAD_METADATA)).unwrap_err();
    assert!(matches!(err, PluginLoadError::Metadata { .. }), "{err}");
    assert!(err.to_string().contains("has invalid metadata: name \"Bad Name!\" is not a lowercase identifier"), "{err}");
}

#[test]
fn a_directory_loads_past_bad_files() {
    let dir = Scratch::new("plugin-dir");
    let cache = Scratch::new("plugin-cache");
    std::fs::copy(test_plugin(TEMPLATE), dir.path().join("a-template.wasm")).unwrap();
    std::fs::copy(test_plugin(WRONG_WORLD), dir.path().join("b-wrong-world.wasm")).unwrap();
    dir.file("c-notes.wasm", b"not wasm at all");
    std::fs::copy(test_plugin(HOSTILE), dir.path().join("d-hostile.wasm")).unwrap();
    dir.file("README.txt", b"ignored: only *.wasm files are plugins");

    let mut host = empty_host(&cache);
    let reports = host.load_dir(dir.path()).unwrap();
    let outcome: Vec<(String, bool)> =
        reports.iter().map(|r| (r.path.file_name().unwrap().to_string_lossy().into_owned(), r.result.is_ok())).collect();
    assert_eq!(
        outcome,
        vec![
            ("a-template.wasm".to_string(), true),
            ("b-wrong-world.wasm".to_string(), false),
            ("c-notes.wasm".to_string(), false),
            ("d-hostile.wasm".to_string(), true),
        ]
    );
    assert_eq!(host.plugins().len(), 2);
    assert_eq!(host.failed_loads().len(), 2);
    assert!(host.load_dir(&dir.path().join("nope")).is_err(), "an unreadable directory is an error");
}

#[test]
fn compiled_code_is_cached_and_a_corrupt_entry_is_recompiled() {
    let cache = Scratch::new("plugin-cache");
    let path = test_plugin(TEMPLATE);
    let first = empty_host(&cache).inspect_file(&path).unwrap();
    assert_eq!(first.cache, CacheStatus::Compiled);
    let entries: Vec<_> = std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    let name = entry.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&first.sha256) && name.ends_with(".cwasm"), "{name}");

    // A new host (a new engine, same configuration) loads the cached code.
    assert_eq!(empty_host(&cache).inspect_file(&path).unwrap().cache, CacheStatus::Hit);

    // A damaged entry is compiled again and replaced; the plugin still works.
    std::fs::write(entry, b"garbage").unwrap();
    let mut host = empty_host(&cache);
    let info = host.load_file(&path).unwrap();
    assert!(matches!(info.cache, CacheStatus::Recompiled { .. }), "{:?}", info.cache);
    assert_eq!(host.extract(&purchase_order()).unwrap().extracted_data["poNumber"], "PO-7731");
    assert_eq!(empty_host(&cache).inspect_file(&path).unwrap().cache, CacheStatus::Hit);

    // Without a cache directory nothing is written.
    let no_cache = PluginHost::new(SandboxConfig { cache_dir: None, ..config(&cache) }).unwrap();
    assert_eq!(no_cache.inspect_file(&path).unwrap().cache, CacheStatus::Disabled);
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let cache = Scratch::new("plugin-cache-open");
    let path = test_plugin(TEMPLATE);
    assert_eq!(empty_host(&cache).inspect_file(&path).unwrap().cache, CacheStatus::Compiled);
    // Anyone could now replace the compiled code: it is neither loaded nor rewritten.
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let info = empty_host(&cache).inspect_file(&path).unwrap();
    match &info.cache {
        CacheStatus::CompiledNotStored { reason } => assert!(reason.contains("writable by anyone"), "{reason}"),
        other => panic!("the open cache was used: {other:?}"),
    }
    // Made private again, it is trusted again.
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(empty_host(&cache).inspect_file(&path).unwrap().cache, CacheStatus::Hit);
}

#[test]
fn built_in_plugins_load_and_other_types_fall_back_to_generic() {
    let dir = folio_host::config::builtin_plugins_dir();
    assert!(dir.is_dir(), "built-in plugins missing in {}: run scripts/build-plugins first", dir.display());
    let cache = Scratch::new("plugin-cache");
    let mut host = empty_host(&cache);
    for report in host.load_dir(&dir).unwrap() {
        if let Err(e) = &report.result {
            panic!("built-in plugin refused: {e}");
        }
    }
    for t in folio_core::document::BUILTIN_DOCUMENT_TYPES {
        assert_eq!(&host.plugin_for(t).expect(t).name, t);
    }
    assert_eq!(host.plugin_for("purchase-order").unwrap().name, "generic");
    // A later catch-all (`*`) does not take over from `generic`.
    host.load_file(&test_plugin(HOSTILE)).unwrap();
    assert_eq!(host.plugin_for("purchase-order").unwrap().name, "generic");

    let invoice = sample::document("invoice", &[&sample::invoice_text_pages(150)[0]]);
    let out = host.extract(&invoice).unwrap();
    assert_eq!(out.plugin, "invoice");
    assert!(!out.extracted_data.is_empty());
    let other = host.extract(&sample::document("purchase-order", &[PURCHASE_ORDER])).unwrap();
    assert_eq!(other.plugin, "generic");
}
