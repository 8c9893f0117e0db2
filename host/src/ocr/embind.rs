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

use std::collections::HashMap;
use wasmtime::{AsContext, AsContextMut, Caller, Engine, ExternType, Func, Linker, Memory, Module, Ref, StoreLimits, Table, Val, ValType};

/// Wasm page size.
const WASM_PAGE: u64 = 64 * 1024;
/// Keep at most this much of the module's stdout/stderr (Tesseract warnings).
const LOG_LIMIT: usize = 8 * 1024;

pub type Result<T, E = wasmtime::Error> = std::result::Result<T, E>;

/// The Emscripten runtime functions `tesseract-core.wasm` imports (module `a`),
/// keyed by their minified names in that build (see `wasmImports` in
/// `dist/lib.js` of the npm package).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmscriptenImport {
    CxaThrow,
    SyscallNoop,
    SyscallOpenat,
    FinalizeValueObject,
    RegisterBigint,
    RegisterBool,
    RegisterClass,
    RegisterClassConstructor,
    RegisterClassFunction,
    RegisterEmval,
    RegisterEnum,
    RegisterEnumValue,
    RegisterFloat,
    RegisterInteger,
    RegisterMemoryView,
    RegisterStdString,
    RegisterStdWString,
    RegisterValueObject,
    RegisterValueObjectField,
    RegisterVoid,
    GetNowIsMonotonic,
    EmvalCall,
    EmvalDecref,
    EmvalIncref,
    EmvalTakeValue,
    TimeToTm,
    Mktime,
    Tzset,
    Abort,
    DateNow,
    GetNow,
    MemcpyBig,
    ResizeHeap,
    EnvironGet,
    EnvironSizesGet,
    FdClose,
    FdRead,
    FdSeek,
    FdWrite,
    Strftime,
}

impl EmscriptenImport {
    pub fn from_minified(name: &str) -> Option<Self> {
        use EmscriptenImport::*;
        Some(match name {
            "e" => CxaThrow,
            // fcntl64, getcwd, ioctl, rmdir, unlinkat: no filesystem; report success.
            "s" | "F" | "H" | "B" | "C" => SyscallNoop,
            "t" => SyscallOpenat,
            "g" => FinalizeValueObject,
            "y" => RegisterBigint,
            "Q" => RegisterBool,
            "k" => RegisterClass,
            "j" => RegisterClassConstructor,
            "a" => RegisterClassFunction,
            "P" => RegisterEmval,
            "w" => RegisterEnum,
            "q" => RegisterEnumValue,
            "v" => RegisterFloat,
            "d" => RegisterInteger,
            "b" => RegisterMemoryView,
            "u" => RegisterStdString,
            "o" => RegisterStdWString,
            "i" => RegisterValueObject,
            "c" => RegisterValueObjectField,
            "R" => RegisterVoid,
            "J" => GetNowIsMonotonic,
            "T" => EmvalCall,
            "f" => EmvalDecref,
            "p" => EmvalIncref,
            "m" => EmvalTakeValue,
            "K" | "L" => TimeToTm,
            "M" => Mktime,
            "N" => Tzset,
            "h" => Abort,
            "l" => DateNow,
            "I" => GetNow,
            "O" => MemcpyBig,
            "A" => ResizeHeap,
            "D" => EnvironGet,
            "E" => EnvironSizesGet,
            "n" => FdClose,
            "G" => FdRead,
            "x" => FdSeek,
            "r" => FdWrite,
            "S" | "z" => Strftime,
            _ => return None,
        })
    }
}

/// Minified export names of the same build.
pub mod exports {
    pub const MEMORY: &str = "U";
    pub const CALL_CTORS: &str = "V";
    pub const MALLOC: &str = "W";
    pub const TABLE: &str = "X";
    pub const FREE: &str = "Y";
}

/// How embind marshals a registered type.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Void,
    Bool,
    Int { size: u32, signed: bool },
    Float { size: u32 },
    BigInt,
    StdString,
    StdWString,
    Emval,
    MemoryView,
    Enum,
    ValueObject,
    Class,
}

#[derive(Clone, Debug)]
struct Field {
    name: String,
    getter_return_type: u32,
    getter: u32,
    getter_context: u32,
}

#[derive(Clone, Debug, Default)]
struct ValueObjectType {
    destructor: u32,
    fields: Vec<Field>,
}

#[derive(Clone, Debug)]
struct Method {
    invoker: u32,
    context: u32,
    /// `[return, this, args...]`
    arg_types: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Constructor {
    invoker: u32,
    raw_constructor: u32,
}

#[derive(Clone, Debug, Default)]
struct Class {
    destructor: u32,
    /// By embind arg count (return value + arguments).
    constructors: HashMap<u32, Constructor>,
    methods: HashMap<String, Method>,
}

/// Types, classes and enums registered by the module's static constructors.
#[derive(Default)]
pub struct Registry {
    types: HashMap<u32, Kind>,
    type_names: HashMap<u32, String>,
    value_objects: HashMap<u32, ValueObjectType>,
    classes: HashMap<String, Class>,
    class_by_type: HashMap<u32, String>,
    enum_values: HashMap<String, i32>,
}

impl Registry {
    fn set_type(&mut self, raw: u32, name: String, kind: Kind) {
        self.types.insert(raw, kind);
        self.type_names.insert(raw, name);
    }

    /// The value of `Enum.Name`, e.g. `TextUnit.Word`.
    pub fn enum_value(&self, qualified: &str) -> Option<i32> {
        self.enum_values.get(qualified).copied()
    }
}

/// A value converted from embind's wire format.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Undefined,
    Int(i64),
    Float(f64),
    Str(String),
    /// A value object (`value_object<T>`), fields in registration order.
    Object(Vec<(String, Value)>),
    /// A pointer to a class instance (owned by the caller).
    Ptr(u32),
    /// A `typed_memory_view` into linear memory: element count and address.
    MemoryView {
        len: u32,
        addr: u32,
    },
}

impl Value {
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) => Some(*f as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The `error` field of tesseract-wasm's result objects, if set.
    pub fn error_message(&self) -> Option<&str> {
        self.field("error").and_then(Value::as_str).filter(|s| !s.is_empty())
    }
}

/// embind's handle table for `emscripten::val` objects. Handles 1..=4 are the
/// reserved constants (undefined, null, true, false).
#[derive(Default)]
struct EmvalHeap {
    slots: Vec<Option<(Value, u32)>>,
    free: Vec<u32>,
}

const FIRST_EMVAL_HANDLE: u32 = 5;
pub const EMVAL_UNDEFINED: u32 = 1;

impl EmvalHeap {
    fn insert(&mut self, v: Value) -> u32 {
        if v == Value::Undefined {
            return EMVAL_UNDEFINED;
        }
        if let Some(h) = self.free.pop() {
            self.slots[(h - FIRST_EMVAL_HANDLE) as usize] = Some((v, 1));
            h
        } else {
            self.slots.push(Some((v, 1)));
            self.slots.len() as u32 - 1 + FIRST_EMVAL_HANDLE
        }
    }
    fn slot(&mut self, h: u32) -> Option<&mut Option<(Value, u32)>> {
        h.checked_sub(FIRST_EMVAL_HANDLE).and_then(|i| self.slots.get_mut(i as usize))
    }
    fn incref(&mut self, h: u32) {
        if let Some(Some((_, rc))) = self.slot(h) {
            *rc += 1;
        }
    }
    fn decref(&mut self, h: u32) {
        let Some(slot) = self.slot(h) else { return };
        if let Some((_, rc)) = slot {
            *rc -= 1;
            if *rc == 0 {
                *slot = None;
                self.free.push(h);
            }
        }
    }
    /// Reads the value and drops the caller's reference (embind's `requireHandle` + `decref`).
    fn take(&mut self, h: u32) -> Value {
        let v = self.slot(h).and_then(|s| s.as_ref().map(|(v, _)| v.clone())).unwrap_or(Value::Undefined);
        self.decref(h);
        v
    }
}

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

// ---------------------------------------------------------------------------
// Linear memory helpers: bounds-checked, so a misbehaving module cannot make
// the host panic.

fn memory(c: &impl AsContext<Data = EmscriptenState>) -> Result<Memory> {
    Ok(c.as_context().data().rt()?.memory)
}

pub fn read_bytes(c: &impl AsContext<Data = EmscriptenState>, addr: u32, len: u32) -> Result<Vec<u8>> {
    let m = memory(c)?;
    let data = m.data(c);
    let range = addr as usize..addr as usize + len as usize;
    data.get(range).map(<[u8]>::to_vec).ok_or_else(|| wasmtime::format_err!("read of {len} bytes at {addr:#x} is out of bounds"))
}

pub fn write_bytes(c: &mut impl AsContextMut<Data = EmscriptenState>, addr: u32, bytes: &[u8]) -> Result<()> {
    let m = memory(c)?;
    let data = m.data_mut(&mut *c);
    let range = addr as usize..addr as usize + bytes.len();
    data.get_mut(range)
        .ok_or_else(|| wasmtime::format_err!("write of {} bytes at {addr:#x} is out of bounds", bytes.len()))?
        .copy_from_slice(bytes);
    Ok(())
}

pub fn read_u32(c: &impl AsContext<Data = EmscriptenState>, addr: u32) -> Result<u32> {
    let b = read_bytes(c, addr, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

pub fn write_u32(c: &mut impl AsContextMut<Data = EmscriptenState>, addr: u32, v: u32) -> Result<()> {
    write_bytes(c, addr, &v.to_le_bytes())
}

fn read_cstr(c: &impl AsContext<Data = EmscriptenState>, addr: u32) -> Result<String> {
    let m = memory(c)?;
    let data = m.data(c);
    let tail = data.get(addr as usize..).ok_or_else(|| wasmtime::format_err!("string at {addr:#x} is out of bounds"))?;
    let len = tail.iter().position(|&b| b == 0).ok_or_else(|| wasmtime::format_err!("unterminated string at {addr:#x}"))?;
    Ok(String::from_utf8_lossy(&tail[..len]).into_owned())
}

/// Current size of linear memory in bytes (it only grows).
pub fn memory_bytes(c: &impl AsContext<Data = EmscriptenState>) -> u64 {
    memory(c).map(|m| m.data_size(c) as u64).unwrap_or(0)
}

/// Gives mutable access to a region of linear memory.
pub fn with_memory_mut<R>(
    c: &mut impl AsContextMut<Data = EmscriptenState>,
    addr: u32,
    len: usize,
    f: impl FnOnce(&mut [u8]) -> R,
) -> Result<R> {
    let m = memory(c)?;
    let data = m.data_mut(&mut *c);
    let region = data
        .get_mut(addr as usize..addr as usize + len)
        .ok_or_else(|| wasmtime::format_err!("region of {len} bytes at {addr:#x} is out of bounds"))?;
    Ok(f(region))
}

fn as_i32(v: &Val) -> i32 {
    match v {
        Val::I32(i) => *i,
        Val::I64(i) => *i as i32,
        _ => 0,
    }
}

fn as_u32(v: &Val) -> u32 {
    as_i32(v) as u32
}

// ---------------------------------------------------------------------------
// Calling into the module.

/// The function at `index` of the module's indirect function table.
fn table_func(c: &mut impl AsContextMut<Data = EmscriptenState>, index: u32) -> Result<Func> {
    let table = c.as_context().data().rt()?.table;
    match table.get(&mut *c, index as u64) {
        Some(Ref::Func(Some(f))) => Ok(f),
        _ => wasmtime::bail!("no function at table index {index}"),
    }
}

/// Calls `f`, widening i32 arguments where the signature wants i64/f32/f64
/// (embind passes some integers as doubles).
pub fn call(c: &mut impl AsContextMut<Data = EmscriptenState>, f: &Func, args: &[Val]) -> Result<Option<Val>> {
    let ty = f.ty(&*c);
    if ty.params().len() != args.len() {
        wasmtime::bail!("arity mismatch: function takes {} arguments, got {}", ty.params().len(), args.len());
    }
    let args: Vec<Val> = args
        .iter()
        .zip(ty.params())
        .map(|(a, t)| match (a, t) {
            (Val::I32(i), ValType::I64) => Val::I64(*i as i64),
            (Val::I32(i), ValType::F32) => Val::F32((*i as f32).to_bits()),
            (Val::I32(i), ValType::F64) => Val::F64((*i as f64).to_bits()),
            (a, _) => *a,
        })
        .collect();
    let mut results = vec![Val::I32(0); ty.results().len()];
    f.call(&mut *c, &args, &mut results)?;
    Ok(results.into_iter().next())
}

pub fn malloc(c: &mut impl AsContextMut<Data = EmscriptenState>, size: u32) -> Result<u32> {
    let f = c.as_context().data().rt()?.malloc;
    let p = call(c, &f, &[Val::I32(size as i32)])?.map(|v| as_u32(&v)).unwrap_or(0);
    if p == 0 {
        wasmtime::bail!("malloc({size}) failed in the module");
    }
    Ok(p)
}

pub fn free(c: &mut impl AsContextMut<Data = EmscriptenState>, ptr: u32) -> Result<()> {
    let f = c.as_context().data().rt()?.free;
    call(c, &f, &[Val::I32(ptr as i32)])?;
    Ok(())
}

/// Allocates a `std::string` argument in embind's wire format (length-prefixed
/// bytes). As in embind's JS, the caller frees it after the call.
pub fn alloc_std_string(c: &mut impl AsContextMut<Data = EmscriptenState>, bytes: &[u8]) -> Result<u32> {
    let len = u32::try_from(bytes.len()).map_err(|_| wasmtime::format_err!("string too long"))?;
    let p = malloc(c, 4 + len + 1)?;
    write_u32(c, p, len)?;
    write_bytes(c, p + 4, bytes)?;
    write_bytes(c, p + 4 + len, &[0])?;
    Ok(p)
}

/// Converts a wire value of embind type `raw_type` into a [`Value`], freeing
/// temporaries the way embind's `fromWireType` does.
fn from_wire(c: &mut impl AsContextMut<Data = EmscriptenState>, raw_type: u32, wire: Option<Val>) -> Result<Value> {
    let kind = c.as_context().data().registry.types.get(&raw_type).copied().unwrap_or(Kind::Void);
    let Some(w) = wire else { return Ok(Value::Undefined) };
    Ok(match kind {
        Kind::Void | Kind::StdWString => Value::Undefined,
        Kind::Bool | Kind::Enum => Value::Int(as_i32(&w) as i64),
        Kind::Int { size, signed } => {
            let x = as_i32(&w);
            Value::Int(match (size, signed) {
                (1, true) => x as i8 as i64,
                (1, false) => x as u8 as i64,
                (2, true) => x as i16 as i64,
                (2, false) => x as u16 as i64,
                (_, false) => x as u32 as i64,
                _ => x as i64,
            })
        }
        Kind::BigInt => match w {
            Val::I64(i) => Value::Int(i),
            other => Value::Int(as_i32(&other) as i64),
        },
        Kind::Float { .. } => match w {
            Val::F32(b) => Value::Float(f32::from_bits(b) as f64),
            Val::F64(b) => Value::Float(f64::from_bits(b)),
            _ => Value::Float(0.0),
        },
        Kind::StdString => {
            let p = as_u32(&w);
            let len = read_u32(c, p)?;
            let bytes = read_bytes(c, p + 4, len)?;
            free(c, p)?;
            Value::Str(String::from_utf8_lossy(&bytes).into_owned())
        }
        Kind::Emval => {
            let h = as_u32(&w);
            c.as_context_mut().data_mut().emvals.take(h)
        }
        Kind::MemoryView => {
            let p = as_u32(&w);
            Value::MemoryView { len: read_u32(c, p)?, addr: read_u32(c, p + 4)? }
        }
        Kind::ValueObject => {
            let p = as_u32(&w);
            let vo = c.as_context().data().registry.value_objects.get(&raw_type).cloned().unwrap_or_default();
            let mut fields = Vec::with_capacity(vo.fields.len());
            for f in &vo.fields {
                let getter = table_func(c, f.getter)?;
                let r = call(c, &getter, &[Val::I32(f.getter_context as i32), Val::I32(p as i32)])?;
                fields.push((f.name.clone(), from_wire(c, f.getter_return_type, r)?));
            }
            let dtor = table_func(c, vo.destructor)?;
            call(c, &dtor, &[Val::I32(p as i32)])?;
            Value::Object(fields)
        }
        Kind::Class => Value::Ptr(as_u32(&w)),
    })
}

/// embind's `readValueFromPointer`, used by `_emval_take_value`.
fn read_from_pointer(c: &mut impl AsContextMut<Data = EmscriptenState>, raw_type: u32, p: u32) -> Result<Value> {
    let kind = c.as_context().data().registry.types.get(&raw_type).copied().unwrap_or(Kind::Void);
    match kind {
        Kind::MemoryView => Ok(Value::MemoryView { len: read_u32(c, p)?, addr: read_u32(c, p + 4)? }),
        Kind::Float { size: 4 } => Ok(Value::Float(f32::from_bits(read_u32(c, p)?) as f64)),
        Kind::Float { .. } => {
            let b = read_bytes(c, p, 8)?;
            Ok(Value::Float(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
        }
        _ => {
            let w = read_u32(c, p)?;
            from_wire(c, raw_type, Some(Val::I32(w as i32)))
        }
    }
}

/// Calls `class.method` on `this` (a pointer from [`construct`]).
pub fn call_method(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, this: u32, method: &str, args: &[Val]) -> Result<Value> {
    let m = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .and_then(|cl| cl.methods.get(method))
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("the module registered no method {class}.{method}"))?;
    let invoker = table_func(c, m.invoker)?;
    let mut full = Vec::with_capacity(args.len() + 2);
    full.push(Val::I32(m.context as i32));
    full.push(Val::I32(this as i32));
    full.extend_from_slice(args);
    let r = call(c, &invoker, &full)?;
    from_wire(c, m.arg_types[0], r)
}

/// `new Class(args...)`; returns the instance pointer.
pub fn construct(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, args: &[Val]) -> Result<u32> {
    let ctor = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .and_then(|cl| cl.constructors.get(&(args.len() as u32 + 1)))
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("the module registered no {class} constructor with {} arguments", args.len()))?;
    let invoker = table_func(c, ctor.invoker)?;
    let mut full = Vec::with_capacity(args.len() + 1);
    full.push(Val::I32(ctor.raw_constructor as i32));
    full.extend_from_slice(args);
    let p = call(c, &invoker, &full)?.map(|v| as_u32(&v)).unwrap_or(0);
    if p == 0 {
        wasmtime::bail!("{class} constructor returned null");
    }
    Ok(p)
}

/// `instance.delete()`.
pub fn destroy(c: &mut impl AsContextMut<Data = EmscriptenState>, class: &str, this: u32) -> Result<()> {
    let d = c
        .as_context()
        .data()
        .registry
        .classes
        .get(class)
        .map(|cl| cl.destructor)
        .ok_or_else(|| wasmtime::format_err!("the module registered no class {class}"))?;
    let f = table_func(c, d)?;
    call(c, &f, &[Val::I32(this as i32)])?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Imports.

/// Defines every function import of `module` in `linker`, or fails naming the
/// first import this runtime does not implement.
pub fn define_imports(linker: &mut Linker<EmscriptenState>, module: &Module) -> Result<()> {
    for import in module.imports() {
        let ExternType::Func(ty) = import.ty() else { continue };
        let which = EmscriptenImport::from_minified(import.name()).ok_or_else(|| {
            wasmtime::format_err!(
                "unsupported tesseract-core.wasm build: unknown import {}.{} (Folio supports npm tesseract-wasm 0.11.0)",
                import.module(),
                import.name()
            )
        })?;
        linker.func_new(import.module(), import.name(), ty.clone(), move |caller, args, results| dispatch(caller, which, args, results))?;
    }
    Ok(())
}

/// A linker ready for `module`, for instantiating many stores.
pub fn linker_for(engine: &Engine, module: &Module) -> Result<Linker<EmscriptenState>> {
    let mut linker = Linker::new(engine);
    define_imports(&mut linker, module)?;
    Ok(linker)
}

fn set_result(results: &mut [Val], v: i32) {
    if let Some(r) = results.first_mut() {
        *r = Val::I32(v);
    }
}

const WASI_EBADF: i32 = 8;
const WASI_ESPIPE: i32 = 70;
const ENOENT: i32 = 44;

fn dispatch(mut c: Caller<'_, EmscriptenState>, which: EmscriptenImport, a: &[Val], r: &mut [Val]) -> Result<()> {
    use EmscriptenImport::*;
    let arg = |i: usize| a.get(i).map(as_u32).unwrap_or(0);
    match which {
        CxaThrow => wasmtime::bail!("the module threw a C++ exception"),
        Abort => wasmtime::bail!("the module called abort()"),
        SyscallNoop => set_result(r, 0),
        // No filesystem: Tesseract only probes for config files.
        SyscallOpenat => set_result(r, -ENOENT),
        RegisterVoid => register(&mut c, arg(0), arg(1), Kind::Void)?,
        RegisterBool => register(&mut c, arg(0), arg(1), Kind::Bool)?,
        RegisterInteger => {
            let name = read_cstr(&c, arg(1))?;
            let signed = !name.contains("unsigned");
            c.data_mut().registry.set_type(arg(0), name, Kind::Int { size: arg(2), signed });
        }
        RegisterBigint => register(&mut c, arg(0), arg(1), Kind::BigInt)?,
        RegisterFloat => register(&mut c, arg(0), arg(1), Kind::Float { size: arg(2) })?,
        RegisterStdString => register(&mut c, arg(0), arg(1), Kind::StdString)?,
        RegisterStdWString => register(&mut c, arg(0), arg(2), Kind::StdWString)?,
        RegisterEmval => register(&mut c, arg(0), arg(1), Kind::Emval)?,
        RegisterMemoryView => register(&mut c, arg(0), arg(2), Kind::MemoryView)?,
        RegisterEnum => register(&mut c, arg(0), arg(1), Kind::Enum)?,
        RegisterEnumValue => {
            let name = read_cstr(&c, arg(1))?;
            let reg = &mut c.data_mut().registry;
            let enum_name = reg.type_names.get(&arg(0)).cloned().unwrap_or_default();
            reg.enum_values.insert(format!("{enum_name}.{name}"), arg(2) as i32);
        }
        // (rawType, name, constructorSignature, rawConstructor, destructorSignature, rawDestructor)
        RegisterValueObject => {
            let name = read_cstr(&c, arg(1))?;
            let reg = &mut c.data_mut().registry;
            reg.set_type(arg(0), name, Kind::ValueObject);
            reg.value_objects.insert(arg(0), ValueObjectType { destructor: arg(5), fields: Vec::new() });
        }
        // (structType, fieldName, getterReturnType, getterSignature, getter, getterContext, setter...)
        RegisterValueObjectField => {
            let name = read_cstr(&c, arg(1))?;
            let field = Field { name, getter_return_type: arg(2), getter: arg(4), getter_context: arg(5) };
            match c.data_mut().registry.value_objects.get_mut(&arg(0)) {
                Some(vo) => vo.fields.push(field),
                None => wasmtime::bail!("value object field registered before its object"),
            }
        }
        FinalizeValueObject => {}
        // (rawType, rawPointerType, rawConstPointerType, baseClassRawType, getActualTypeSignature,
        //  getActualType, upcastSignature, upcast, downcastSignature, downcast, name, destructorSignature, rawDestructor)
        RegisterClass => {
            let name = read_cstr(&c, arg(10))?;
            let reg = &mut c.data_mut().registry;
            for i in 0..3 {
                reg.set_type(arg(i), name.clone(), Kind::Class);
            }
            reg.class_by_type.insert(arg(0), name.clone());
            reg.classes.insert(name, Class { destructor: arg(12), ..Default::default() });
        }
        // (rawClassType, argCount, rawArgTypesAddr, invokerSignature, invoker, rawConstructor)
        RegisterClassConstructor => {
            let class = class_name(&c, arg(0))?;
            let ctor = Constructor { invoker: arg(4), raw_constructor: arg(5) };
            if let Some(cl) = c.data_mut().registry.classes.get_mut(&class) {
                cl.constructors.insert(arg(1), ctor);
            }
        }
        // (rawClassType, methodName, argCount, rawArgTypesAddr, invokerSignature, rawInvoker, context, isPureVirtual)
        RegisterClassFunction => {
            let class = class_name(&c, arg(0))?;
            let name = read_cstr(&c, arg(1))?;
            let arg_types = (0..arg(2)).map(|i| read_u32(&c, arg(3) + 4 * i)).collect::<Result<Vec<_>>>()?;
            if arg_types.is_empty() {
                wasmtime::bail!("method {class}.{name} registered without a return type");
            }
            let method = Method { invoker: arg(5), context: arg(6), arg_types };
            if let Some(cl) = c.data_mut().registry.classes.get_mut(&class) {
                cl.methods.insert(name, method);
            }
        }
        GetNowIsMonotonic => set_result(r, 1),
        EmvalIncref => c.data_mut().emvals.incref(arg(0)),
        EmvalDecref => c.data_mut().emvals.decref(arg(0)),
        EmvalTakeValue => {
            let v = read_from_pointer(&mut c, arg(0), arg(1))?;
            let h = c.data_mut().emvals.insert(v);
            set_result(r, h as i32);
        }
        // Only callbacks we handed out are called (see `new_callback`).
        EmvalCall => {
            let state = c.data_mut();
            if state.deadline.is_some_and(|d| std::time::Instant::now() > d) {
                state.deadline_hit = true;
                wasmtime::bail!("deadline exceeded");
            }
            set_result(r, EMVAL_UNDEFINED as i32);
        }
        // gmtime/localtime: Tesseract only formats timestamps for debug output.
        TimeToTm => {
            let tm = a.last().map(as_u32).unwrap_or(0);
            write_bytes(&mut c, tm, &[0u8; 36])?;
        }
        Mktime => {
            if let Some(x) = r.first_mut() {
                *x = match x {
                    Val::I64(_) => Val::I64(0),
                    Val::F64(_) => Val::F64(0),
                    _ => Val::I32(0),
                }
            }
        }
        Tzset => {}
        DateNow | GetNow => {
            let now_ms =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
            if let Some(x) = r.first_mut() {
                *x = Val::F64(now_ms.to_bits());
            }
        }
        MemcpyBig => {
            let (dst, src, n) = (arg(0) as usize, arg(1) as usize, arg(2) as usize);
            let m = memory(&c)?;
            let data = m.data_mut(&mut c);
            if src.checked_add(n).is_none_or(|e| e > data.len()) || dst.checked_add(n).is_none_or(|e| e > data.len()) {
                wasmtime::bail!("memcpy out of bounds");
            }
            data.copy_within(src..src + n, dst);
        }
        ResizeHeap => {
            let ok = resize_heap(&mut c, arg(0) as u64)?;
            set_result(r, ok as i32);
        }
        EnvironSizesGet => {
            let env = c.data().env.clone();
            let total: usize = env.iter().map(|e| e.len() + 1).sum();
            write_u32(&mut c, arg(0), env.len() as u32)?;
            write_u32(&mut c, arg(1), total as u32)?;
            set_result(r, 0);
        }
        // environ_get(char** environ, char* environ_buf)
        EnvironGet => {
            let env = c.data().env.clone();
            let (mut ptrs, mut buf) = (arg(0), arg(1));
            for e in &env {
                write_u32(&mut c, ptrs, buf)?;
                write_bytes(&mut c, buf, e.as_bytes())?;
                write_bytes(&mut c, buf + e.len() as u32, &[0])?;
                ptrs += 4;
                buf += e.len() as u32 + 1;
            }
            set_result(r, 0);
        }
        FdClose | FdRead => set_result(r, WASI_EBADF),
        FdSeek => set_result(r, WASI_ESPIPE),
        // fd_write(fd, iovs, iovs_len, nwritten): stdout and stderr both go to the log.
        FdWrite => {
            let (iovs, count, nwritten) = (arg(1), arg(2), arg(3));
            let mut total = 0u32;
            for i in 0..count {
                let ptr = read_u32(&c, iovs + 8 * i)?;
                let len = read_u32(&c, iovs + 8 * i + 4)?;
                let bytes = read_bytes(&c, ptr, len)?;
                c.data_mut().append_log(&bytes);
                total += len;
            }
            write_u32(&mut c, nwritten, total)?;
            set_result(r, 0);
        }
        Strftime => set_result(r, 0),
    }
    Ok(())
}

fn register(c: &mut Caller<'_, EmscriptenState>, raw: u32, name_ptr: u32, kind: Kind) -> Result<()> {
    let name = read_cstr(c, name_ptr)?;
    c.data_mut().registry.set_type(raw, name, kind);
    Ok(())
}

fn class_name(c: &Caller<'_, EmscriptenState>, raw: u32) -> Result<String> {
    c.data()
        .registry
        .class_by_type
        .get(&raw)
        .cloned()
        .ok_or_else(|| wasmtime::format_err!("member registered for unknown class type {raw}"))
}

/// `emscripten_resize_heap`: grow linear memory to at least `requested` bytes,
/// over-allocating by 20% like Emscripten's JS does. Returns false when the
/// memory cap (or the module's declared maximum) refuses.
fn resize_heap(c: &mut Caller<'_, EmscriptenState>, requested: u64) -> Result<bool> {
    let m = memory(c)?;
    let current = m.data_size(&*c) as u64;
    let max = m.ty(&*c).maximum().map(|p| p * WASM_PAGE).unwrap_or(1 << 32);
    if requested > max {
        c.data_mut().heap_limit_hit = true;
        return Ok(false);
    }
    let want = requested.max(current + current / 5).min(max);
    let pages = want.div_ceil(WASM_PAGE).saturating_sub(current / WASM_PAGE);
    // Try the generous size first, then exactly what was asked for.
    if m.grow(&mut *c, pages).is_ok() {
        return Ok(true);
    }
    let exact = requested.div_ceil(WASM_PAGE).saturating_sub(current / WASM_PAGE);
    if exact < pages && m.grow(&mut *c, exact).is_ok() {
        return Ok(true);
    }
    c.data_mut().heap_limit_hit = true;
    Ok(false)
}
