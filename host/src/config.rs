//! Where the host finds its assets and plugins.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// The data directory holding OCR assets (`tesseract-core.wasm`,
/// `tessdata/*.traineddata`): `$FOLIO_DATA_DIR`, else `~/.cache/folio/data`
/// (where `scripts/setup` puts them).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FOLIO_DATA_DIR") {
        return PathBuf::from(d);
    }
    home().join(".cache/folio/data")
}

/// The directory holding the first-party plugin components, so that `folio`
/// finds them from any directory without `scripts/env.sh`:
/// 1. `$FOLIO_BUILTIN_PLUGINS`, when set;
/// 2. the build's own: cargo puts `folio` in `<target>/debug/` or
///    `<target>/release/`, and `scripts/build-plugins` the built-ins in
///    `<target>/wasm32-wasip2/release/`, so a binary run by path (or through
///    a symlink on the PATH) finds the plugins built next to it;
/// 3. `<data dir>/plugins`, for a binary installed elsewhere with the
///    plugins copied there.
pub fn builtin_plugins_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FOLIO_BUILTIN_PLUGINS") {
        return PathBuf::from(d);
    }
    if let Some(d) = plugins_next_to_the_binary()
        && has_wasm(&d)
    {
        return d;
    }
    data_dir().join("plugins")
}

/// `<target>/wasm32-wasip2/release` for a binary at `<target>/<profile>/folio`.
fn plugins_next_to_the_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    // Test binaries live one level deeper (`<target>/debug/deps/`).
    let profile_dir = exe.parent()?;
    let target = if profile_dir.ends_with("deps") { profile_dir.parent()?.parent()? } else { profile_dir.parent()? };
    Some(target.join("wasm32-wasip2/release"))
}

fn has_wasm(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "wasm"))))
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

/// Makes `dir` (and missing parents) readable and writable by this user only,
/// for caches of compiled native code, and checks that it can be trusted:
/// owned by this user and not writable by group or others. Loading a compiled
/// artefact maps native code into the process, and wasmtime checks only that
/// it came from a compatible engine, not who wrote it.
pub fn private_cache_dir(dir: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if !dir.exists() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "{} belongs to user {}, not to this user ({me}): not used as a cache of compiled code",
            dir.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "{} is writable by {} (mode {:o}): not used as a cache of compiled code",
            dir.display(),
            if meta.mode() & 0o002 != 0 { "anyone" } else { "its group" },
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("folio-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn cache_dirs_are_created_private() {
        let d = scratch("new").join("compiled");
        private_cache_dir(&d).unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        // An existing private (or merely world-readable) directory is fine.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_cache_dir(&d).unwrap();
    }

    #[test]
    fn cache_dirs_others_can_write_or_own_are_refused() {
        let d = scratch("open");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = private_cache_dir(&d).unwrap_err();
        assert!(err.contains("writable by anyone"), "{err}");
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(private_cache_dir(&d).unwrap_err().contains("its group"));
        // Another user's directory (only root can make one to test with).
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::os::unix::fs::chown(&d, Some(65534), None).unwrap();
            assert!(private_cache_dir(&d).unwrap_err().contains("belongs to user 65534"));
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
