//! The rules a component must meet to be loaded as a plugin: it targets the
//! `folio:extractor` world, at a contract version this host speaks, with sane
//! metadata.

use super::bindings::wit;
use folio_core::document::validate_document_type;
use semver::Version;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The WIT package every plugin implements.
pub const CONTRACT_PACKAGE: &str = "folio:extractor";

/// The document type a fallback plugin declares.
pub const ANY_DOCUMENT_TYPE: &str = "*";

const MAX_NAME_BYTES: usize = 64;
const MAX_DESCRIPTION_BYTES: usize = 1024;
const MAX_DOCUMENT_TYPES: usize = 64;

pub use folio_core::contract::output::clip;
pub use folio_core::contract::{SUPPORTED_CONTRACT_VERSIONS, contract_compatible, parse_version, supported_version_for};

/// The supported versions for messages: `0.1.0, 0.2.0`.
pub fn supported_versions() -> String {
    SUPPORTED_CONTRACT_VERSIONS.join(", ")
}

/// The contract versions in the component's `folio:extractor/...@x.y.z`
/// imports (a component built against another version imports the host
/// interfaces at that version, which the linker cannot satisfy: this tells
/// that case apart from a component of another world).
pub fn imported_contract_versions(engine: &Engine, component: &Component) -> Vec<String> {
    let prefix = format!("{CONTRACT_PACKAGE}/");
    let mut versions: Vec<String> = component
        .component_type()
        .imports(engine)
        .filter_map(|(name, _)| name.strip_prefix(&prefix)?.split_once('@').map(|(_, v)| v.to_string()))
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

/// Names of the component's top-level exports, for error messages.
pub fn export_names(engine: &Engine, component: &Component) -> Vec<String> {
    component.component_type().exports(engine).map(|(name, _)| name.to_string()).collect()
}

/// Checks what `metadata()` returned (the contract version is checked separately).
pub fn validate_metadata(info: &wit::PluginInfo) -> Result<(), String> {
    if !is_plugin_name(&info.name) {
        return Err(format!(
            "name {:?} is not a lowercase identifier (a-z, 0-9, '-', '_', starting with a letter, at most {MAX_NAME_BYTES} bytes)",
            clip(&info.name)
        ));
    }
    if let Err(e) = Version::parse(&info.version) {
        return Err(format!("version {:?} is not a semver version ({e})", clip(&info.version)));
    }
    if info.document_types.is_empty() {
        return Err("it declares no document types (use \"*\" for a fallback plugin)".into());
    }
    if info.document_types.len() > MAX_DOCUMENT_TYPES {
        return Err(format!("it declares {} document types (limit {MAX_DOCUMENT_TYPES})", info.document_types.len()));
    }
    for (i, t) in info.document_types.iter().enumerate() {
        if t != ANY_DOCUMENT_TYPE && validate_document_type(t).is_err() {
            return Err(format!("document type {:?} is not a lowercase identifier such as invoice or purchase-order", clip(t)));
        }
        if info.document_types[..i].contains(t) {
            return Err(format!("document type {t:?} is listed twice"));
        }
    }
    if info.description.len() > MAX_DESCRIPTION_BYTES {
        return Err(format!("description is {} bytes (limit {MAX_DESCRIPTION_BYTES})", info.description.len()));
    }
    if info.description.chars().any(char::is_control) {
        return Err("description contains control characters".into());
    }
    Ok(())
}

fn is_plugin_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_BYTES
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, version: &str, types: &[&str]) -> wit::PluginInfo {
        wit::PluginInfo {
            name: name.into(),
            version: version.into(),
            document_types: types.iter().map(|t| t.to_string()).collect(),
            contract_version: "0.1.0".into(),
            description: "test".into(),
        }
    }

    #[test]
    fn metadata_rules() {
        validate_metadata(&info("invoice", "0.1.0", &["invoice", "receipt"])).unwrap();
        validate_metadata(&info("generic", "1.2.3-beta.1", &["*"])).unwrap();
        let err = |i| validate_metadata(&i).unwrap_err();
        assert!(err(info("Bad Name!", "0.1.0", &["x"])).contains("name \"Bad Name!\""));
        assert!(err(info("ok", "latest", &["x"])).contains("not a semver version"));
        assert!(err(info("ok", "1.0.0", &[])).contains("no document types"));
        assert!(err(info("ok", "1.0.0", &["Invoice"])).contains("document type \"Invoice\""));
        assert!(err(info("ok", "1.0.0", &["a", "a"])).contains("listed twice"));
    }
}
