//! A minimal Emscripten + embind runtime for wasmtime: just enough of what
//! Emscripten's generated JavaScript glue does for `tesseract-core.wasm`
//! (npm `tesseract-wasm` 0.11.0) to run without JavaScript.
//!
//! An embind module registers its C++ types and classes by calling imports
//! (`_embind_register_*`) from its static constructors. We record those calls
//! in a [`Registry`], then call class constructors and methods by name through
//! the invoker functions the module put in its function table, converting
//! "wire" values the way embind's JS does.
//!
//! Emscripten minifies import and export names per build. The names below
//! belong to the pinned `tesseract-core.wasm` (sha256 in `scripts/setup`);
//! [`EmscriptenImport::from_minified`] refuses any import it does not know, so
//! a different build fails loudly at link time instead of misbehaving.

mod emval;
mod imports;
mod memory;
mod names;
mod registry;
mod wire;

use std::collections::HashMap;
use wasmtime::{AsContext, AsContextMut, Caller, Engine, ExternType, Func, Linker, Memory, Module, Ref, StoreLimits, Table, Val, ValType};

/// Wasm page size.
const WASM_PAGE: u64 = 64 * 1024;
/// Keep at most this much of the module's stdout/stderr (Tesseract warnings).
const LOG_LIMIT: usize = 8 * 1024;

pub type Result<T, E = wasmtime::Error> = std::result::Result<T, E>;

use emval::EmvalHeap;
use memory::*;
use registry::*;
use wire::*;

pub use emval::EMVAL_UNDEFINED;
pub use imports::linker_for;
pub use memory::{memory_bytes, read_bytes, read_u32, with_memory_mut, write_bytes, write_u32};
pub use names::{EmscriptenImport, exports};
pub use registry::{Registry, Value};
pub use wire::{alloc_std_string, call, call_method, construct, destroy, free, malloc};

/// The exports the runtime itself needs.
#[derive(Clone, Copy)]
struct RuntimeExports {
    memory: Memory,
    table: Table,
    malloc: Func,
    free: Func,
}

/// Host-side state of one Emscripten module instance (the `T` of its `Store`).
pub struct EmscriptenState {
    exports: Option<RuntimeExports>,
    pub registry: Registry,
    emvals: EmvalHeap,
    /// The module's environment (`environ_get`), `KEY=VALUE`.
    env: Vec<String>,
    /// The tail of what the module wrote to stdout/stderr.
    log: Vec<u8>,
    /// Memory cap, enforced by wasmtime on every `memory.grow`.
    pub limits: StoreLimits,
    /// Set when the module asked for more memory than the cap allows.
    pub heap_limit_hit: bool,
    /// When set, a call of a JS function value past this instant traps (see
    /// [`EmscriptenState::new_callback`]).
    pub deadline: Option<std::time::Instant>,
    /// Set when a call trapped because of [`Self::deadline`].
    pub deadline_hit: bool,
}

impl EmscriptenState {
    pub fn new(env: Vec<String>, limits: StoreLimits) -> Self {
        Self {
            exports: None,
            registry: Registry::default(),
            emvals: EmvalHeap::default(),
            env,
            log: Vec::new(),
            limits,
            heap_limit_hit: false,
            deadline: None,
            deadline_hit: false,
        }
    }

    /// An `emscripten::val` handle standing for a JS function, to pass where
    /// the module wants a callback (tesseract-wasm's progress callback, which
    /// Tesseract calls for every recognised word). Calling it does nothing
    /// until [`Self::deadline`] has passed; then it traps, which stops the
    /// module: a deadline that costs nothing while running.
    pub fn new_callback(&mut self) -> u32 {
        self.emvals.insert(Value::Str("callback".into()))
    }

    /// Must be called right after instantiation, before any export runs.
    pub fn bind_exports(store: &mut impl AsContextMut<Data = EmscriptenState>, instance: &wasmtime::Instance) -> Result<()> {
        let memory = instance.get_memory(&mut *store, exports::MEMORY);
        let table = instance.get_table(&mut *store, exports::TABLE);
        let malloc = instance.get_func(&mut *store, exports::MALLOC);
        let free = instance.get_func(&mut *store, exports::FREE);
        let (Some(memory), Some(table), Some(malloc), Some(free)) = (memory, table, malloc, free) else {
            wasmtime::bail!("not the expected Emscripten build: missing memory/table/malloc/free exports");
        };
        store.as_context_mut().data_mut().exports = Some(RuntimeExports { memory, table, malloc, free });
        Ok(())
    }

    /// What the module printed last (Tesseract's warnings), for error messages.
    pub fn log_tail(&self) -> String {
        String::from_utf8_lossy(&self.log).trim().to_string()
    }

    fn append_log(&mut self, bytes: &[u8]) {
        self.log.extend_from_slice(bytes);
        if self.log.len() > LOG_LIMIT {
            let cut = self.log.len() - LOG_LIMIT;
            self.log.drain(..cut);
        }
    }

    fn rt(&self) -> Result<RuntimeExports> {
        self.exports.ok_or_else(|| wasmtime::format_err!("Emscripten exports not bound yet"))
    }
}
