//! Tesseract 5.3.0 from npm `tesseract-wasm` 0.11.0 (`tesseract-core.wasm`, the
//! SIMD build) running inside wasmtime, driven through its embind `OCREngine` API.
//!
//! Performance notes (measured in `../shared/prototypes/tesseract-wasm-shim/PERF-NOTES.md`):
//! - Tesseract's CPU detection has no CPUID under Emscripten and falls back to a
//!   generic int8 matrix kernel that takes ~70% of the time. The module reads
//!   `DOTPRODUCT=sse` from its environment in a static constructor, so we put
//!   it in the environment before `__wasm_call_ctors`: ~3x faster.
//! - Pages go in as 8-bit gray, not RGBA: ~10% faster, and it avoids the
//!   channel-order slip of tesseract-wasm's JS copy (RGBA bytes copied into
//!   Leptonica's 0xRRGGBBAA words).
//! - wasmtime's defaults (4 GiB reservation + guard pages, signal-based traps)
//!   stay: explicit bounds checks cost 25-60%.
//! - The per-page deadline is not wasmtime's epoch interruption, which checks a
//!   counter on every loop back-edge and made recognition 60% slower (1.52 s
//!   against 0.95 s user CPU for the invoice page). Instead tesseract-wasm's
//!   progress callback, which Tesseract calls for every word it recognises,
//!   traps once the deadline has passed. Layout analysis before the first word
//!   is not interruptible; it is bounded by the page size (`input::MAX_OCR_PIXELS`).

use super::embind::{self, EmscriptenState, Value};
use super::pool::{OcrBackend, OcrInstance};
use super::{GrayImage, OcrError, OcrParams, RecognizedWord, assemble_lines, languages_in_tessdata, word_from_ltrb};
use crate::model::Line;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::{Config, Engine, InstancePre, Module, Store, StoreLimitsBuilder, Val};

pub const TESSERACT_VERSION: &str = "5.3.0";
pub const TESSERACT_WASM_VERSION: &str = "0.11.0";
/// The module file in the data directory (installed by `scripts/setup`).
pub const MODULE_FILE: &str = "tesseract-core.wasm";

/// The module's environment: selects the SSE int8 kernels (see module docs).
const MODULE_ENV: &[&str] = &["DOTPRODUCT=sse"];

/// Resource limits of one engine instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasmLimits {
    /// Cap on the instance's linear memory. The module itself declares 1 GiB as its maximum.
    pub memory_bytes: u64,
    /// Wall-clock limit for recognising one page (checked at every recognised word).
    pub page_deadline: Duration,
}

impl Default for WasmLimits {
    fn default() -> Self {
        // A 300 DPI A4 page takes about 1 s and 150 MiB.
        Self { memory_bytes: 1 << 30, page_deadline: Duration::from_secs(60) }
    }
}

/// The compiled module plus what is needed to create instances of it.
pub struct TesseractWasm {
    engine: Engine,
    pre: InstancePre<EmscriptenState>,
    tessdata: PathBuf,
    limits: WasmLimits,
    /// traineddata bytes by tessdata model name, read once.
    models: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

/// Where compiled modules are cached: `$FOLIO_OCR_CACHE_DIR`, else `<data dir>/compiled`.
pub fn default_cache_dir() -> PathBuf {
    match std::env::var_os("FOLIO_OCR_CACHE_DIR") {
        Some(d) => PathBuf::from(d),
        None => crate::config::data_dir().join("compiled"),
    }
}

impl TesseractWasm {
    /// The engine from the data directory (`$FOLIO_DATA_DIR`), with a clear
    /// error naming the missing file when `scripts/setup` has not run.
    pub fn from_data_dir(limits: WasmLimits) -> Result<Self, OcrError> {
        let wasm = crate::config::data_file(MODULE_FILE).map_err(|e| OcrError::Assets(format!("{e:#}")))?;
        let tessdata = crate::config::data_dir().join("tessdata");
        Self::new(&wasm, &tessdata, Some(&default_cache_dir()), limits)
    }

    /// `cache_dir`: where to keep the compiled module (None: compile every time).
    pub fn new(wasm_path: &Path, tessdata: &Path, cache_dir: Option<&Path>, limits: WasmLimits) -> Result<Self, OcrError> {
        let wasm = std::fs::read(wasm_path).map_err(|e| OcrError::Assets(format!("reading {}: {e}", wasm_path.display())))?;
        if languages_in_tessdata(tessdata).is_empty() {
            return Err(OcrError::Assets(format!(
                "no *.traineddata in {}: run scripts/setup, or point FOLIO_DATA_DIR at a directory that has tessdata/eng.traineddata",
                tessdata.display()
            )));
        }
        let engine = Engine::new(&engine_config()).map_err(engine_err)?;
        let module = load_or_compile(&engine, &wasm, cache_dir)?;
        let linker = embind::linker_for(&engine, &module).map_err(engine_err)?;
        let pre = linker.instantiate_pre(&module).map_err(engine_err)?;
        Ok(Self { engine, pre, tessdata: tessdata.to_path_buf(), limits, models: Mutex::default() })
    }

    pub fn limits(&self) -> WasmLimits {
        self.limits
    }

    fn model(&self, language: &str) -> Result<Arc<Vec<u8>>, OcrError> {
        let name = folio_core::language::tesseract_model(language)
            .ok_or_else(|| OcrError::Assets(format!("no Tesseract model name for language {language:?}")))?;
        let mut models = self.models.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = models.get(name) {
            return Ok(m.clone());
        }
        let path = self.tessdata.join(format!("{name}.traineddata"));
        let bytes = Arc::new(std::fs::read(&path).map_err(|e| OcrError::Assets(format!("reading {}: {e}", path.display())))?);
        models.insert(name.to_string(), bytes.clone());
        Ok(bytes)
    }
}

/// wasmtime configuration for the OCR module: the defaults (Cranelift, SIMD,
/// memory reservation, signal-based traps); see the module docs.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_simd(true);
    config
}

/// Loads the compiled module from `cache_dir`, keyed by the module's sha256 and
/// wasmtime's compatibility hash of this engine configuration; compiles (a few
/// seconds) and stores it when absent or unusable.
fn load_or_compile(engine: &Engine, wasm: &[u8], cache_dir: Option<&Path>) -> Result<Module, OcrError> {
    // A directory others could write to is not trusted with native code (see
    // config::private_cache_dir): compile every time instead.
    let cache_dir = cache_dir.filter(|d| match crate::config::private_cache_dir(d) {
        Ok(()) => true,
        Err(reason) => {
            eprintln!("folio: OCR module cache: {reason}");
            false
        }
    });
    let cache_file = cache_dir.map(|d| d.join(format!("tesseract-core-{}.cwasm", cache_key(engine, wasm))));
    if let Some(path) = &cache_file
        && path.is_file()
    {
        // SAFETY: the file was written by `Module::serialize` below for this
        // exact module and engine configuration (both are in its name). A file
        // that fails wasmtime's own header checks is recompiled.
        if let Ok(module) = unsafe { Module::deserialize_file(engine, path) } {
            return Ok(module);
        }
    }
    let module = Module::new(engine, wasm).map_err(engine_err)?;
    if let Some(path) = &cache_file {
        // Best effort: a read-only data dir only costs the compile next time.
        let _ = store_atomically(path, &module);
    }
    Ok(module)
}

fn cache_key(engine: &Engine, wasm: &[u8]) -> String {
    let digest = Sha256::digest(wasm);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{}-{:016x}", hex::encode(&digest[..12]), h.finish())
}

fn store_atomically(path: &Path, module: &Module) -> std::io::Result<()> {
    let bytes = module.serialize().map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Several processes (parallel test binaries) may race: write aside, then rename.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn engine_err(e: wasmtime::Error) -> OcrError {
    OcrError::Engine(format!("{e:#}"))
}

impl OcrBackend for TesseractWasm {
    type Instance = WasmTesseract;

    fn version(&self) -> String {
        format!("tesseract-{TESSERACT_VERSION}-wasm")
    }

    fn installed_languages(&self) -> Vec<String> {
        languages_in_tessdata(&self.tessdata)
    }

    fn new_instance(&self, language: &str) -> Result<WasmTesseract, OcrError> {
        let model = self.model(language)?;
        let mut instance = WasmTesseract::instantiate(self)?;
        instance.load_model(&model)?;
        Ok(instance)
    }
}

/// One instance of the module with an `OCREngine` and a loaded model.
pub struct WasmTesseract {
    store: Store<EmscriptenState>,
    ocr_engine: u32,
    /// The progress callback handed to `getTextBoxes`; enforces the deadline.
    progress: u32,
    limits: WasmLimits,
}

/// `TextItem.flags` bit set on the first word of a line (tesseract-wasm `layoutFlags`).
const FLAG_START_OF_LINE: i64 = 1;

impl WasmTesseract {
    fn instantiate(backend: &TesseractWasm) -> Result<Self, OcrError> {
        let limits = StoreLimitsBuilder::new().memory_size(backend.limits.memory_bytes as usize).build();
        let env = MODULE_ENV.iter().map(|s| s.to_string()).collect();
        let mut store = Store::new(&backend.engine, EmscriptenState::new(env, limits));
        store.limiter(|s| &mut s.limits);
        let progress = store.data_mut().new_callback();
        let mut this = Self { store, ocr_engine: 0, progress, limits: backend.limits };
        let instance = backend.pre.instantiate(&mut this.store).map_err(|e| this.error(e))?;
        EmscriptenState::bind_exports(&mut this.store, &instance).map_err(|e| this.error(e))?;
        // __wasm_call_ctors: reads DOTPRODUCT and registers the embind API.
        let ctors = instance.get_typed_func::<(), ()>(&mut this.store, embind::exports::CALL_CTORS).map_err(|e| this.error(e))?;
        ctors.call(&mut this.store, ()).map_err(|e| this.error(e))?;
        this.ocr_engine = embind::construct(&mut this.store, "OCREngine", &[]).map_err(|e| this.error(e))?;
        Ok(this)
    }

    /// Linear memory in use (it only grows), for memory measurements.
    pub fn memory_bytes(&self) -> u64 {
        embind::memory_bytes(&self.store)
    }

    fn call(&mut self, method: &str, args: &[Val]) -> Result<Value, OcrError> {
        let this = self.ocr_engine;
        embind::call_method(&mut self.store, "OCREngine", this, method, args).map_err(|e| self.error(e))
    }

    /// Calls a method returning tesseract-wasm's `{error}` result object.
    fn call_checked(&mut self, method: &str, args: &[Val]) -> Result<Value, OcrError> {
        let v = self.call(method, args)?;
        match v.error_message() {
            Some(msg) => Err(self.failure(format!("OCREngine.{method}: {msg}"))),
            None => Ok(v),
        }
    }

    fn with_string_args<R>(&mut self, strings: &[&[u8]], f: impl FnOnce(&mut Self, &[Val]) -> Result<R, OcrError>) -> Result<R, OcrError> {
        let mut ptrs = Vec::with_capacity(strings.len());
        for s in strings {
            let p = embind::alloc_std_string(&mut self.store, s).map_err(|e| self.error(e))?;
            ptrs.push(p);
        }
        let args: Vec<Val> = ptrs.iter().map(|&p| Val::I32(p as i32)).collect();
        let result = f(self, &args)?;
        // After a failure the instance is discarded, so only a success needs tidying.
        for p in ptrs {
            embind::free(&mut self.store, p).map_err(|e| self.error(e))?;
        }
        Ok(result)
    }

    /// One model per instance: tesseract-wasm's `loadModel` passes this one
    /// buffer to `TessBaseAPI::Init` (as language `eng`), so `deu+eng` cannot
    /// be loaded; the pipeline reads a list of languages model by model.
    fn load_model(&mut self, traineddata: &[u8]) -> Result<(), OcrError> {
        self.with_string_args(&[traineddata], |this, args| this.call_checked("loadModel", args).map(drop))
    }

    fn set_variable(&mut self, name: &str, value: &str) -> Result<(), OcrError> {
        self.with_string_args(&[name.as_bytes(), value.as_bytes()], |this, args| this.call_checked("setVariable", args).map(drop))
    }

    /// Hands Tesseract an 8-bit gray page. tesseract-wasm's `Image` class only
    /// allocates 32 bpp Leptonica PIXes, so we allocate one and rewrite its
    /// header to 8 bpp (the buffer is 4x larger than needed).
    fn load_gray_image(&mut self, image: &GrayImage, dpi: Option<u32>) -> Result<(), OcrError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Err(OcrError::Engine("empty page image".into()));
        }
        let img = embind::construct(&mut self.store, "Image", &[Val::I32(w as i32), Val::I32(h as i32)]).map_err(|e| self.error(e))?;
        let result = self.fill_pix_gray(img, image, dpi).and_then(|()| {
            self.call("clearImage", &[])?;
            self.call_checked("loadImage", &[Val::I32(img as i32)]).map(drop)
        });
        // loadImage keeps its own reference to the PIX, so our Image goes; after
        // a failure the instance is discarded and the first error is the one to report.
        result?;
        embind::destroy(&mut self.store, "Image", img).map_err(|e| self.error(e))
    }

    fn fill_pix_gray(&mut self, img: u32, image: &GrayImage, dpi: Option<u32>) -> Result<(), OcrError> {
        // struct Image { PIX* pix_; }   struct Pix { u32 w, h, d, spp, wpl, refcount;
        //   i32 xres, yres, informat, special; char* text; PixColormap* colormap; u32* data; }
        const D: u32 = 8;
        const SPP: u32 = 12;
        const WPL: u32 = 16;
        const XRES: u32 = 24;
        const YRES: u32 = 28;
        const DATA: u32 = 48;
        let (w, h) = image.dimensions();
        let st = &mut self.store;
        let pix = embind::read_u32(st, img).map_err(engine_err)?;
        if pix == 0 {
            // pixCreate returned null: the module could not allocate the page.
            return Err(self.failure(format!("no memory for a {w} x {h} page image")));
        }
        let st = &mut self.store;
        let (pw, pd) = (embind::read_u32(st, pix).map_err(engine_err)?, embind::read_u32(st, pix + D).map_err(engine_err)?);
        if pw != w || pd != 32 {
            return Err(OcrError::Engine(format!("unexpected Leptonica PIX layout (w={pw}, d={pd})")));
        }
        let data = embind::read_u32(st, pix + DATA).map_err(engine_err)?;
        let wpl = w.div_ceil(4);
        let res = dpi.unwrap_or(0);
        for (offset, value) in [(D, 8), (SPP, 1), (WPL, wpl), (XRES, res), (YRES, res)] {
            embind::write_u32(st, pix + offset, value).map_err(engine_err)?;
        }
        let row_bytes = wpl as usize * 4;
        let src = image.as_raw();
        embind::with_memory_mut(st, data, row_bytes * h as usize, |dst| {
            for (dst_row, src_row) in dst.chunks_exact_mut(row_bytes).zip(src.chunks_exact(w as usize)) {
                // Leptonica packs 8 bpp pixels big-endian within 32-bit words:
                // on little-endian wasm, pixel x lives at byte x ^ 3. Padding is white.
                dst_row.fill(255);
                for (x, &v) in src_row.iter().enumerate() {
                    dst_row[x ^ 3] = v;
                }
            }
        })
        .map_err(engine_err)
    }

    /// Runs recognition (on first use) and returns every word with its flags.
    fn words(&mut self) -> Result<Vec<RecognizedWord>, OcrError> {
        let unit = self
            .store
            .data()
            .registry
            .enum_value("TextUnit.Word")
            .ok_or_else(|| OcrError::Engine("module registered no TextUnit.Word".into()))?;
        let progress = self.progress;
        let vector = match self.call("getTextBoxes", &[Val::I32(unit), Val::I32(progress as i32)])? {
            Value::Ptr(p) => p,
            other => return Err(OcrError::Engine(format!("getTextBoxes returned {other:?}"))),
        };
        const VECTOR: &str = "vector<TextRect>";
        let st = &mut self.store;
        let mut read_all = || -> embind::Result<Vec<RecognizedWord>> {
            let n = embind::call_method(st, VECTOR, vector, "size", &[])?.as_i64().unwrap_or(0);
            let mut out = Vec::with_capacity(n as usize);
            for i in 0..n {
                let item = embind::call_method(st, VECTOR, vector, "get", &[Val::I32(i as i32)])?;
                let rect = item.field("rect");
                let side = |k: &str| rect.and_then(|r| r.field(k)).and_then(Value::as_f64).unwrap_or(0.0) as f32;
                let text = item.field("text").and_then(Value::as_str).unwrap_or("");
                let confidence = item.field("confidence").and_then(Value::as_f64).unwrap_or(0.0) as f32;
                let flags = item.field("flags").and_then(Value::as_i64).unwrap_or(0);
                out.push(RecognizedWord {
                    word: word_from_ltrb(text, [side("left"), side("top"), side("right"), side("bottom")], confidence),
                    starts_line: flags & FLAG_START_OF_LINE != 0,
                });
            }
            embind::destroy(st, VECTOR, vector)?;
            Ok(out)
        };
        read_all().map_err(|e| self.error(e))
    }

    /// A failure reported by the module: the memory cap if it was hit, else an engine error.
    fn failure(&self, message: String) -> OcrError {
        if self.store.data().heap_limit_hit {
            OcrError::MemoryCap { cap_bytes: self.limits.memory_bytes }
        } else {
            OcrError::Engine(message)
        }
    }

    /// Maps a wasmtime error to why OCR failed.
    fn error(&self, e: wasmtime::Error) -> OcrError {
        if self.store.data().deadline_hit {
            return OcrError::DeadlineExceeded(self.limits.page_deadline);
        }
        if self.store.data().heap_limit_hit {
            return OcrError::MemoryCap { cap_bytes: self.limits.memory_bytes };
        }
        let log = self.store.data().log_tail();
        let log = log.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        if log.is_empty() { OcrError::Engine(format!("{e:#}")) } else { OcrError::Engine(format!("{e:#} (module log: {log})")) }
    }
}

impl OcrInstance for WasmTesseract {
    fn recognize(&mut self, image: &GrayImage, params: &OcrParams) -> Result<Vec<Line>, OcrError> {
        self.store.data_mut().deadline = Some(Instant::now() + self.limits.page_deadline);
        self.load_gray_image(image, params.dpi)?;
        for (name, value) in params.tesseract_variables() {
            self.set_variable(name, &value)?;
        }
        let words = self.words();
        self.store.data_mut().deadline = None;
        let words = words?;
        // Free the page inside the module now rather than at the next page.
        self.call("clearImage", &[])?;
        Ok(assemble_lines(words))
    }
}
