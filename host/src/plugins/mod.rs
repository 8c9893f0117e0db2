//! Extractor plugins: WASI components implementing `plugins/sdk/wit/since_v*/extractor.wit`
//! (`folio:extractor`), loaded into a registry and run sandboxed.
//!
//! ```no_run
//! use folio_host::plugins::{PluginHost, SandboxConfig};
//! # fn doc() -> folio_host::model::Document { unimplemented!() }
//! let host = PluginHost::with_default_plugins(SandboxConfig::default())?;
//! let extracted = host.extract(&doc()).map_err(|e| anyhow::anyhow!("{e}"))?;
//! println!("{} {} -> {:?}", extracted.plugin, extracted.plugin_version, extracted.extracted_data);
//! # anyhow::Ok(())
//! ```
//!
//! **Loading** ([`PluginHost::load_file`], [`PluginHost::load_dir`]): a file is
//! accepted when it is a WebAssembly component (not a core module, not some
//! other file), targets the `extractor` world of a contract version in
//! [`folio_core::contract::SUPPORTED_CONTRACT_VERSIONS`] (one bindings module
//! each, see [`bindings`] and [`versions`]; compatible: same major, for 0.x
//! the same minor) and its `metadata()` is sane (lowercase name,
//! semver version, valid document types). Otherwise a [`PluginLoadError`]
//! says which rule failed. Compiled code is cached on disk (see [`cache`]),
//! keyed by the wasm's sha256 and the engine configuration.
//! [`PluginHost::with_default_plugins`] loads the built-in directory
//! ([`crate::config::builtin_plugins_dir`]) then the extra directories
//! ([`crate::config::extra_plugin_dirs`]); a bad file is reported and skipped.
//!
//! **Routing**: a document goes to the plugin that declares its
//! `document_type`; failing that to the plugin declaring `generic`, then to
//! one declaring `*`. When two plugins declare the same type, the one loaded
//! later wins (so an extra directory can replace a built-in); a second plugin
//! with an already loaded *name* is refused.
//!
//! **Sandbox** (see [`sandbox`] for what WASI exposes): one engine per
//! `PluginHost`, a fresh instance per document, a wall-clock deadline
//! ([`SandboxConfig::deadline`]), a memory cap, a log budget and validation of
//! the output (see [`output`]). A trap, timeout, memory blow-up, log flood or
//! invalid output becomes an [`ApiError`] with code `PLUGIN_FAILED` and the
//! reason; the host is unaffected. The plugin's own errors map to
//! `INVALID_DOCUMENT_TYPE` (unsupported-document), `INVALID_FILE`
//! (invalid-input) and `PLUGIN_FAILED` (internal).
//!
//! `PluginHost` is `Send + Sync`: call [`PluginHost::extract`] from many
//! threads at once (at most [`SandboxConfig::max_concurrent_calls`] run at a
//! time; more wait). The engine is private to the `PluginHost`, so other
//! engines (OCR) can use different settings.
//!
//! Besides extraction: [`Extracted`] carries the plugin's log lines;
//! [`PluginHost::inspect_file`] validates a file without registering it
//! (`folio plugins check`, the load benchmark); [`PluginHost::failed_loads`]
//! keeps the reports of files `with_default_plugins` skipped.

pub mod bindings;
pub mod cache;
pub mod contract;
pub mod input;
pub mod output;
pub mod sample;
pub mod sandbox;
pub mod versions;

use bindings::wit;
use cache::{CacheStatus, CompiledCache};
use folio_core::contract::output::Limits as OutputLimits;
use folio_core::{ApiError, ErrorCode};
use sandbox::{CallOutcome, Sandbox};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use versions::VersionedPre;

pub use sandbox::{CallFailure, PluginLogLine};

/// Limits and settings of the plugin sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Wall-clock limit for instantiating a plugin and one call (2 s).
    pub deadline: Duration,
    /// Linear-memory cap per instance (128 MiB).
    pub max_memory_bytes: usize,
    /// Log bytes kept per document; later lines are dropped (64 KiB).
    pub max_log_bytes: usize,
    /// Log calls allowed per document; one more fails the plugin (1,000).
    pub max_log_calls: usize,
    /// Stderr bytes kept per document (the panic message is read from it; 16 KiB).
    pub max_stderr_bytes: usize,
    /// Output limits: fields (256), tables (16), rows per table (5,000),
    /// columns per table (32), warnings (64), bytes per text value or warning
    /// (16 KiB) and text bytes in all (1 MiB: the edge keeps results of up
    /// to 1.5 MB per document, JSON and per-field detail included).
    /// Default: the contract's (owner: `folio_core::contract::limits`).
    pub output: OutputLimits,
    /// Instances that may run at once (the pooling allocator's size; 32).
    pub max_concurrent_calls: usize,
    /// Bytes of each pooled linear memory reset in place (`memset` of the
    /// dirtied pages) rather than returned to the kernel between documents
    /// (8 MiB): faster reuse for up to this much resident memory per slot.
    pub keep_resident_bytes: usize,
    /// Where compiled plugins are cached (`None`: compile on every load).
    /// Default: [`default_cache_dir`]. Must be trusted: see [`cache`].
    pub cache_dir: Option<PathBuf>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            deadline: Duration::from_secs(2),
            max_memory_bytes: 128 << 20,
            max_log_bytes: 64 << 10,
            max_log_calls: 1_000,
            max_stderr_bytes: 16 << 10,
            output: OutputLimits::default(),
            max_concurrent_calls: 32,
            keep_resident_bytes: 8 << 20,
            cache_dir: Some(default_cache_dir()),
        }
    }
}

/// `$FOLIO_CACHE/plugin-cache`, else `~/.cache/folio/plugin-cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FOLIO_CACHE") {
        return PathBuf::from(dir).join("plugin-cache");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/folio/plugin-cache")
}

/// A loaded plugin, as `folio plugins list` shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub document_types: Vec<String>,
    pub contract_version: String,
    pub description: String,
    /// The `.wasm` file it was loaded from.
    pub path: PathBuf,
    /// sha256 of that file, hex.
    pub sha256: String,
    /// Whether the compiled code came from the cache.
    #[serde(skip)]
    pub cache: CacheStatus,
}

/// Why a file was not loaded as a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginLoadError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a WebAssembly file (it does not start with the \\0asm magic bytes)")]
    NotWasm { path: PathBuf },
    #[error("{path} is a core WebAssembly module, not a component: build the plugin with `cargo build --target wasm32-wasip2`")]
    CoreModule { path: PathBuf },
    #[error("{path} is not a valid WebAssembly component: {reason}")]
    InvalidComponent { path: PathBuf, reason: String },
    #[error(
        "{path} is not a Folio extractor: it does not implement the folio:extractor `extractor` world of any contract version this host supports ({host}) ({reason})"
    )]
    WrongWorld { path: PathBuf, host: String, reason: String },
    #[error(
        "{path} was built against plugin contract folio:extractor@{plugin}, but this host supports contract versions {host} \
         (compatible: the same major version, for 0.x the same minor): rebuild it with a folio-plugin-sdk for one of them"
    )]
    ContractVersion { path: PathBuf, plugin: String, host: String },
    #[error("{path} has invalid metadata: {reason}")]
    Metadata { path: PathBuf, reason: String },
    #[error("{path}: calling metadata() failed: {reason}")]
    MetadataCallFailed { path: PathBuf, reason: String },
    #[error("{path}: a plugin named {name:?} is already loaded from {existing}")]
    DuplicateName { path: PathBuf, name: String, existing: PathBuf },
}

/// The outcome of loading one file of a directory.
#[derive(Debug)]
pub struct LoadReport {
    pub path: PathBuf,
    pub result: Result<PluginInfo, PluginLoadError>,
}

/// What a plugin extracted from one document, in the API's shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extracted {
    pub plugin: String,
    pub plugin_version: String,
    /// DocuRift `extractedData`: flat camelCase keys, plain JSON values.
    pub extracted_data: Map<String, Value>,
    /// Per key of `extracted_data`: confidence, page, bbox.
    pub fields: Map<String, Value>,
    pub confidence: f64,
    pub warnings: Vec<String>,
    /// Instantiation plus the call (serialised as `elapsedMs`).
    #[serde(rename = "elapsedMs", serialize_with = "serialize_ms")]
    pub elapsed: Duration,
    /// What the plugin logged (bounded).
    pub logs: Vec<PluginLogLine>,
}

fn serialize_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

struct LoadedPlugin {
    info: PluginInfo,
    pre: VersionedPre,
}

/// The plugin registry and the sandbox that runs its plugins.
pub struct PluginHost {
    cfg: SandboxConfig,
    sandbox: Sandbox,
    cache: CompiledCache,
    plugins: Vec<LoadedPlugin>,
    /// document type -> index into `plugins`.
    routes: HashMap<String, usize>,
    failed_loads: Vec<LoadReport>,
}

impl PluginHost {
    /// An empty registry.
    pub fn new(cfg: SandboxConfig) -> anyhow::Result<Self> {
        let sandbox = Sandbox::new(&cfg)?;
        let cache = CompiledCache::new(sandbox.engine(), cfg.cache_dir.clone());
        Ok(PluginHost { cfg, sandbox, cache, plugins: Vec::new(), routes: HashMap::new(), failed_loads: Vec::new() })
    }

    /// A registry with the built-in plugins ([`crate::config::builtin_plugins_dir`])
    /// and those of [`crate::config::extra_plugin_dirs`], in that order.
    /// Files that fail to load are skipped and kept in [`Self::failed_loads`];
    /// a missing extra directory is an error, a missing built-in one is not
    /// (the registry is then empty, which `folio plugins list` shows).
    pub fn with_default_plugins(cfg: SandboxConfig) -> anyhow::Result<Self> {
        let mut host = PluginHost::new(cfg)?;
        let builtin = crate::config::builtin_plugins_dir();
        if builtin.is_dir() {
            host.load_dir(&builtin)?;
        }
        for dir in crate::config::extra_plugin_dirs() {
            host.load_dir(&dir)?;
        }
        Ok(host)
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.cfg
    }

    /// Loads every `*.wasm` file in `dir` (not recursively, in name order).
    /// Errs only when the directory cannot be read.
    pub fn load_dir(&mut self, dir: &Path) -> anyhow::Result<Vec<LoadReport>> {
        let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("cannot read plugin directory {}: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
            .collect();
        paths.sort();
        let mut reports = Vec::with_capacity(paths.len());
        for path in paths {
            let result = self.load_file(&path);
            if let Err(e) = &result {
                self.failed_loads.push(LoadReport { path: path.clone(), result: Err(clone_load_error(e)) });
            }
            reports.push(LoadReport { path, result });
        }
        Ok(reports)
    }

    /// Validates a plugin file and adds it to the registry.
    pub fn load_file(&mut self, path: &Path) -> Result<PluginInfo, PluginLoadError> {
        let (info, pre) = self.prepare_file(path)?;
        if let Some(existing) = self.plugins.iter().find(|p| p.info.name == info.name) {
            return Err(PluginLoadError::DuplicateName { path: path.to_path_buf(), name: info.name, existing: existing.info.path.clone() });
        }
        let index = self.plugins.len();
        for t in &info.document_types {
            self.routes.insert(t.clone(), index);
        }
        self.plugins.push(LoadedPlugin { info: info.clone(), pre });
        Ok(info)
    }

    /// Validates a plugin file exactly as [`Self::load_file`] does, without
    /// adding it to the registry.
    pub fn inspect_file(&self, path: &Path) -> Result<PluginInfo, PluginLoadError> {
        self.prepare_file(path).map(|(info, _)| info)
    }

    fn prepare_file(&self, path: &Path) -> Result<(PluginInfo, VersionedPre), PluginLoadError> {
        let path_buf = path.to_path_buf();
        let wasm = std::fs::read(path).map_err(|source| PluginLoadError::Io { path: path_buf.clone(), source })?;
        // Magic bytes, then the version/layer field: 1 = core module, 0x0d.. = component.
        if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
            return Err(PluginLoadError::NotWasm { path: path_buf });
        }
        if wasm[4..8] == [1, 0, 0, 0] {
            return Err(PluginLoadError::CoreModule { path: path_buf });
        }
        let sha256 = cache::sha256_hex(&wasm);
        let engine = self.sandbox.engine();
        let (component, cache_status) = self
            .cache
            .load_or_compile(engine, &wasm, &sha256)
            .map_err(|e| PluginLoadError::InvalidComponent { path: path_buf.clone(), reason: format!("{e:#}") })?;

        // A component built against contract X imports the host interfaces
        // at version X (`folio:extractor/host@X`): that picks the bindings,
        // and an unsupported X gets a message naming both versions instead
        // of "wrong world". A component importing none of them (it never
        // logs) is tried against each version's world, newest first.
        let imported = contract::imported_contract_versions(engine, &component);
        let mut candidates: Vec<&'static str> = Vec::new();
        for v in &imported {
            match contract::supported_version_for(v) {
                Some(s) if !candidates.contains(&s) => candidates.push(s),
                Some(_) => {}
                None => {
                    return Err(PluginLoadError::ContractVersion {
                        path: path_buf,
                        plugin: v.clone(),
                        host: contract::supported_versions(),
                    });
                }
            }
        }
        if candidates.is_empty() {
            candidates = contract::SUPPORTED_CONTRACT_VERSIONS.iter().rev().copied().collect();
        }
        let wrong_world = |reason: String| {
            let exports = contract::export_names(engine, &component);
            PluginLoadError::WrongWorld {
                path: path_buf.clone(),
                host: contract::supported_versions(),
                reason: format!("it exports [{}]; {reason}", exports.join(", ")),
            }
        };
        let instance_pre = self.sandbox.prepare(&component).map_err(wrong_world)?;
        let mut reasons = Vec::new();
        let pre = candidates
            .iter()
            .find_map(|v| VersionedPre::new(v, instance_pre.clone()).map_err(|e| reasons.push(format!("{v}: {e}"))).ok())
            .ok_or_else(|| wrong_world(reasons.join("; ")))?;

        let outcome = pre.metadata(&self.sandbox);
        let meta = outcome
            .result
            .map_err(|failure| PluginLoadError::MetadataCallFailed { path: path_buf.clone(), reason: failure.to_string() })?;
        if contract::parse_version(&meta.contract_version).is_none() {
            return Err(PluginLoadError::Metadata {
                path: path_buf.clone(),
                reason: format!("contract version {:?} is not a semver version", contract::clip(&meta.contract_version)),
            });
        }
        // The version the plugin claims must be the one its interfaces speak.
        if !contract::contract_compatible(&meta.contract_version, pre.version()) {
            return Err(PluginLoadError::ContractVersion {
                path: path_buf,
                plugin: meta.contract_version,
                host: contract::supported_versions(),
            });
        }
        contract::validate_metadata(&meta).map_err(|reason| PluginLoadError::Metadata { path: path_buf.clone(), reason })?;

        let info = PluginInfo {
            name: meta.name,
            version: meta.version,
            document_types: meta.document_types,
            contract_version: meta.contract_version,
            description: meta.description,
            path: path_buf,
            sha256,
            cache: cache_status,
        };
        Ok((info, pre))
    }

    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        self.plugins.iter().map(|p| p.info.clone()).collect()
    }

    /// Files [`Self::load_dir`] (and so [`Self::with_default_plugins`]) could not load.
    pub fn failed_loads(&self) -> &[LoadReport] {
        &self.failed_loads
    }

    /// The document types some plugin declares (sorted; without `*`).
    pub fn document_types(&self) -> Vec<String> {
        let mut types: Vec<String> = self.routes.keys().filter(|t| *t != contract::ANY_DOCUMENT_TYPE).cloned().collect();
        types.sort();
        types
    }

    /// The plugin a document type is routed to: its own, else `generic`, else `*`.
    pub fn plugin_for(&self, document_type: &str) -> Option<&PluginInfo> {
        self.route(document_type).map(|p| &p.info)
    }

    fn route(&self, document_type: &str) -> Option<&LoadedPlugin> {
        [document_type, folio_core::document::DEFAULT_DOCUMENT_TYPE, contract::ANY_DOCUMENT_TYPE]
            .iter()
            .find_map(|t| self.routes.get(*t))
            .map(|&i| &self.plugins[i])
    }

    /// Runs the plugin for `doc.document_type` on the document, sandboxed.
    pub fn extract(&self, doc: &crate::model::Document) -> Result<Extracted, ApiError> {
        let plugin = self.route(&doc.document_type).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidDocumentType,
                format!(
                    "No extractor plugin handles documentType {:?} and no generic plugin is installed (installed types: {})",
                    contract::clip(&doc.document_type),
                    self.document_types().join(", ")
                ),
            )
        })?;
        let info = &plugin.info;
        let wit_doc = input::to_wit(doc);
        let CallOutcome { result, elapsed, logs, .. } = plugin.pre.extract(&self.sandbox, &wit_doc);
        let failed =
            |reason: String| ApiError::new(ErrorCode::PluginFailed, format!("Plugin {} {} failed: {reason}", info.name, info.version));
        let extraction = match result {
            Err(failure) => return Err(failed(failure.to_string())),
            Ok(Err(plugin_error)) => return Err(plugin_error_to_api(info, plugin_error)),
            Ok(Ok(extraction)) => extraction,
        };
        output::validate(&extraction, doc, &self.cfg).map_err(|reason| failed(format!("invalid output: {reason}")))?;
        let converted = output::convert(extraction);
        Ok(Extracted {
            plugin: info.name.clone(),
            plugin_version: info.version.clone(),
            extracted_data: converted.extracted_data,
            fields: converted.fields,
            confidence: converted.confidence,
            warnings: converted.warnings,
            elapsed,
            logs,
        })
    }
}

/// The plugin's own `extract-error` as the API error it stands for.
fn plugin_error_to_api(info: &PluginInfo, e: wit::ExtractError) -> ApiError {
    let (code, what, message) = match e {
        wit::ExtractError::UnsupportedDocument(m) => (ErrorCode::InvalidDocumentType, "does not support this document", m),
        wit::ExtractError::InvalidInput(m) => (ErrorCode::InvalidFile, "rejected the document as invalid input", m),
        wit::ExtractError::Internal(m) => (ErrorCode::PluginFailed, "failed: internal error", m),
    };
    let mut message = contract::clip(&message);
    sandbox::truncate_at_char_boundary(&mut message, 500);
    ApiError::new(code, format!("Plugin {} {} {what}: {message}", info.name, info.version))
}

/// `PluginLoadError` holds an `io::Error`, which is not `Clone`.
fn clone_load_error(e: &PluginLoadError) -> PluginLoadError {
    match e {
        PluginLoadError::Io { path, source } => {
            PluginLoadError::Io { path: path.clone(), source: std::io::Error::new(source.kind(), source.to_string()) }
        }
        PluginLoadError::NotWasm { path } => PluginLoadError::NotWasm { path: path.clone() },
        PluginLoadError::CoreModule { path } => PluginLoadError::CoreModule { path: path.clone() },
        PluginLoadError::InvalidComponent { path, reason } => {
            PluginLoadError::InvalidComponent { path: path.clone(), reason: reason.clone() }
        }
        PluginLoadError::WrongWorld { path, host, reason } => {
            PluginLoadError::WrongWorld { path: path.clone(), host: host.clone(), reason: reason.clone() }
        }
        PluginLoadError::ContractVersion { path, plugin, host } => {
            PluginLoadError::ContractVersion { path: path.clone(), plugin: plugin.clone(), host: host.clone() }
        }
        PluginLoadError::Metadata { path, reason } => PluginLoadError::Metadata { path: path.clone(), reason: reason.clone() },
        PluginLoadError::MetadataCallFailed { path, reason } => {
            PluginLoadError::MetadataCallFailed { path: path.clone(), reason: reason.clone() }
        }
        PluginLoadError::DuplicateName { path, name, existing } => {
            PluginLoadError::DuplicateName { path: path.clone(), name: name.clone(), existing: existing.clone() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_host_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PluginHost>();
    }

    #[test]
    fn plugin_errors_map_to_precise_api_errors() {
        let info = PluginInfo {
            name: "invoice".into(),
            version: "1.0.0".into(),
            document_types: vec!["invoice".into()],
            contract_version: "0.1.0".into(),
            description: String::new(),
            path: PathBuf::from("invoice.wasm"),
            sha256: String::new(),
            cache: CacheStatus::Disabled,
        };
        let e = plugin_error_to_api(&info, wit::ExtractError::UnsupportedDocument("a receipt".into()));
        assert_eq!(e.code, ErrorCode::InvalidDocumentType);
        assert_eq!(e.message, "Plugin invoice 1.0.0 does not support this document: a receipt");
        assert_eq!(plugin_error_to_api(&info, wit::ExtractError::InvalidInput("x".into())).code, ErrorCode::InvalidFile);
        assert_eq!(plugin_error_to_api(&info, wit::ExtractError::Internal("x".into())).code, ErrorCode::PluginFailed);
    }
}
