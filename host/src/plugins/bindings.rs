//! Host-side bindings for `wit/extractor.wit` (world `extractor`), generated
//! by wasmtime. Sync: no async runtime anywhere in the host. `host.log` is
//! trappable so a plugin that floods the log can be stopped.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "extractor",
    imports: { "folio:extractor/host.log": trappable },
});

pub use folio::extractor::host::LogLevel;
pub use folio::extractor::types as wit;
