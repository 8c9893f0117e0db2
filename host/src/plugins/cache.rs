//! Compiled-plugin cache: Cranelift output (`Component::serialize`) stored as
//! `<cache dir>/<sha256 of the wasm>-<engine fingerprint>.cwasm`.
//!
//! The engine fingerprint hashes `Engine::precompile_compatibility_hash`,
//! which covers the wasmtime version, target, compiler flags, tunables and
//! wasm features, so a different build of the host or a different sandbox
//! configuration never picks up an incompatible artefact. Entries are written
//! atomically (temp file + rename). An entry that fails to load is compiled
//! again and overwritten, never an error.
//!
//! Trust: loading a `.cwasm` maps native code into the process
//! (`Component::deserialize_file` is `unsafe`). wasmtime checks that the file
//! was produced by a compatible engine, not that it is genuine, so the cache
//! directory must be writable only by the user running `folio`: it is created
//! 0700, and one owned by another user or writable by group or others is not
//! used at all ([`crate::config::private_cache_dir`]).

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a component was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    /// Loaded from a cached compiled artefact.
    Hit,
    /// Compiled, and stored in the cache.
    Compiled,
    /// Compiled; a cache entry existed but could not be loaded (and was replaced).
    Recompiled { reason: String },
    /// Compiled; storing it failed (the plugin still works).
    CompiledNotStored { reason: String },
    /// Compiled; caching is off.
    Disabled,
}

pub struct CompiledCache {
    dir: Option<PathBuf>,
    engine_fingerprint: String,
}

impl CompiledCache {
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        CompiledCache { dir, engine_fingerprint: engine_fingerprint(engine) }
    }

    /// 16 hex digits identifying the engine configuration.
    pub fn engine_fingerprint(&self) -> &str {
        &self.engine_fingerprint
    }

    /// Where the compiled form of the wasm with this sha256 lives.
    pub fn entry_path(&self, wasm_sha256: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        Some(dir.join(format!("{wasm_sha256}-{}.cwasm", self.engine_fingerprint)))
    }

    /// The compiled component for `wasm`, from the cache when possible.
    /// Errors only when the wasm itself does not compile.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8], wasm_sha256: &str) -> Result<(Component, CacheStatus), wasmtime::Error> {
        let Some(path) = self.entry_path(wasm_sha256) else {
            return Ok((Component::from_binary(engine, wasm)?, CacheStatus::Disabled));
        };
        if let Some(dir) = &self.dir
            && let Err(reason) = crate::config::private_cache_dir(dir)
        {
            // Neither read nor written: someone else could have put native code there.
            return Ok((Component::from_binary(engine, wasm)?, CacheStatus::CompiledNotStored { reason }));
        }
        let mut stale = None;
        if path.is_file() {
            // SAFETY: the cache directory is trusted (see module docs), the
            // file name binds it to this wasm and engine configuration, and
            // wasmtime rejects artefacts from an incompatible engine.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheStatus::Hit)),
                Err(e) => stale = Some(format!("{e}")),
            }
        }
        let component = Component::from_binary(engine, wasm)?;
        let status = match store_entry(&component, &path) {
            Err(reason) => CacheStatus::CompiledNotStored { reason },
            Ok(()) => match stale {
                Some(reason) => CacheStatus::Recompiled { reason },
                None => CacheStatus::Compiled,
            },
        };
        Ok((component, status))
    }
}

fn store_entry(component: &Component, path: &Path) -> Result<(), String> {
    let bytes = component.serialize().map_err(|e| format!("serialising: {e}"))?;
    let dir = path.parent().ok_or("cache entry has no directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| format!("writing {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("renaming to {}: {e}", path.display())
    })
}

/// sha256 over the engine's compatibility hash, as 16 hex digits.
fn engine_fingerprint(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..8])
}

/// Feeds `Hash` output into sha256: stable across runs and Rust versions,
/// unlike `DefaultHasher`.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        0 // unused: the digest is read from the inner hasher
    }
}

/// Hex sha256 of a file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
