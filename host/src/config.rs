//! Where the host finds its assets and plugins.

use anyhow::{Result, bail};
use std::path::PathBuf;

/// The data directory holding OCR assets (`tesseract-core.wasm`,
/// `tessdata/*.traineddata`): `$FOLIO_DATA_DIR`, else `~/.cache/folio/data`
/// (where `scripts/setup` puts them).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FOLIO_DATA_DIR") {
        return PathBuf::from(d);
    }
    home().join(".cache/folio/data")
}

/// The directory holding the first-party plugin components: `$FOLIO_BUILTIN_PLUGINS`,
/// else `<data dir>/plugins` (where `scripts/build-plugins` installs them).
pub fn builtin_plugins_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FOLIO_BUILTIN_PLUGINS") {
        return PathBuf::from(d);
    }
    data_dir().join("plugins")
}

/// Extra third-party plugin directories: `$FOLIO_PLUGINS_DIR` (colon-separated).
pub fn extra_plugin_dirs() -> Vec<PathBuf> {
    std::env::var_os("FOLIO_PLUGINS_DIR").map(|v| std::env::split_paths(&v).collect()).unwrap_or_default()
}

/// A file in the data directory, with an error that says how to get it.
pub fn data_file(rel: &str) -> Result<PathBuf> {
    let p = data_dir().join(rel);
    if !p.is_file() {
        bail!(
            "missing OCR asset {} (data dir {}): run scripts/setup, or point FOLIO_DATA_DIR at a directory that has it",
            p.display(),
            data_dir().display()
        );
    }
    Ok(p)
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
}
