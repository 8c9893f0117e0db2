//! The sandbox plugins run in: one wasmtime [`Engine`] (pooling allocator,
//! epoch interruption with a ticker thread), a [`Linker`] with a WASI that
//! grants nothing, and a fresh [`Store`] per call with memory, log and time
//! limits. A failed call comes back as a [`CallFailure`] saying why.
//!
//! What a plugin can see through WASI (everything else is denied or empty):
//! - no filesystem (no preopened directories), no environment variables, no
//!   arguments, an empty stdin; stdout is discarded;
//! - stderr is captured into a bounded buffer (the host reads a panic message
//!   from it); writes past the bound are dropped, never a trap;
//! - no network: TCP, UDP and name lookup are disabled;
//! - random numbers (Rust's `HashMap` needs them);
//! - the monotonic clock counts from the start of the call; the wall clock is
//!   frozen at the Unix epoch, so output cannot depend on the date;
//! - sleeping and waiting on clocks return at once. Epoch interruption only
//!   stops running wasm, not a host call blocked in a sleep, so a real sleep
//!   would let a plugin outlive its deadline.

use super::SandboxConfig;
use super::bindings::{v0_1_0, v0_2_0};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p2::bindings::cli::stderr;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynOutputStream, DynPollable, OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// How often the epoch ticker advances the engine's epoch; at each tick a
/// running plugin checks its deadline against the wall clock.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The longest log line kept; longer ones are cut (at a char boundary).
const MAX_LOG_LINE_BYTES: usize = 1024;

/// One line a plugin logged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PluginLogLine {
    pub level: &'static str,
    pub message: String,
}

/// Why a call into a plugin failed (the plugin's own `extract-error`s are
/// not failures of the call; they come back as `Ok`).
#[derive(Clone, Debug, PartialEq)]
pub enum CallFailure {
    /// Still running at the deadline; `at`: the guest's innermost frames
    /// (wasm function names, innermost first), when wasmtime captured them.
    Timeout { deadline: Duration, elapsed: Duration, at: Option<String> },
    /// Tried to grow its linear memory past the cap.
    MemoryLimit { limit: usize, requested: usize },
    /// More log calls than allowed for one document.
    LogFlood { max_calls: usize },
    /// Rust panic (message read from stderr).
    Panic { message: String },
    /// Native or guest stack exhausted (deep recursion).
    StackOverflow { detail: String },
    /// Any other trap.
    Trap { detail: String },
    /// Instantiation or a host-side error.
    Other { detail: String },
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallFailure::Timeout { deadline, elapsed, at } => {
                write!(f, "deadline exceeded: still running after {:.2} s (limit {:.2} s)", elapsed.as_secs_f64(), deadline.as_secs_f64())?;
                match at {
                    Some(at) => write!(f, " in {at}"),
                    None => Ok(()),
                }
            }
            CallFailure::MemoryLimit { limit, requested } => write!(
                f,
                "memory limit exceeded: tried to grow linear memory to {:.1} MiB (limit {:.1} MiB)",
                *requested as f64 / MIB,
                *limit as f64 / MIB
            ),
            CallFailure::LogFlood { max_calls } => {
                write!(f, "log flood: more than {max_calls} log calls for one document")
            }
            CallFailure::Panic { message } => write!(f, "panicked: {message}"),
            CallFailure::StackOverflow { detail } => write!(f, "stack overflow (deep recursion?): {detail}"),
            CallFailure::Trap { detail } => write!(f, "trapped: {detail}"),
            CallFailure::Other { detail } => f.write_str(detail),
        }
    }
}

const MIB: f64 = (1 << 20) as f64;

use super::bindings::LogLevel;

/// What one sandboxed call produced, besides its result.
pub struct CallOutcome<R> {
    pub result: Result<R, CallFailure>,
    /// Instantiation plus the call.
    pub elapsed: Duration,
    pub logs: Vec<PluginLogLine>,
    /// Log lines dropped because the byte budget was spent.
    pub logs_dropped: usize,
    /// What the plugin wrote to stderr (bounded).
    pub stderr: String,
}

impl<R> CallOutcome<R> {
    /// Converts the result, keeping the rest.
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> CallOutcome<S> {
        CallOutcome {
            result: self.result.map(f),
            elapsed: self.elapsed,
            logs: self.logs,
            logs_dropped: self.logs_dropped,
            stderr: self.stderr,
        }
    }
}

/// The engine, linker and limits shared by every plugin of a
/// [`PluginHost`](super::PluginHost).
pub struct Sandbox {
    engine: Engine,
    linker: Linker<StoreState>,
    limits: Limits,
    slots: Slots,
}

#[derive(Clone, Debug)]
struct Limits {
    deadline: Duration,
    max_memory_bytes: usize,
    max_log_bytes: usize,
    max_log_calls: usize,
    max_stderr_bytes: usize,
}

impl Sandbox {
    pub fn new(cfg: &SandboxConfig) -> anyhow::Result<Self> {
        let engine = Engine::new(&engine_config(cfg)).map_err(wasm_error)?;
        spawn_epoch_ticker(&engine)?;
        let linker = sandbox_linker(&engine).map_err(wasm_error)?;
        Ok(Sandbox {
            engine,
            linker,
            limits: Limits {
                deadline: cfg.deadline,
                max_memory_bytes: cfg.max_memory_bytes,
                max_log_bytes: cfg.max_log_bytes,
                max_log_calls: cfg.max_log_calls,
                max_stderr_bytes: cfg.max_stderr_bytes,
            },
            slots: Slots::new(cfg.max_concurrent_calls.max(1)),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Links a component against the host (every supported contract
    /// version's imports are in the linker). Fails when the component imports
    /// something the host does not provide; the exports are checked against a
    /// version's world by [`super::versions::VersionedPre::new`].
    pub fn prepare(&self, component: &Component) -> Result<InstancePre<StoreState>, String> {
        self.linker.instantiate_pre(component).map_err(|e| format!("{e:#}"))
    }

    /// Runs `call` (which instantiates the plugin and calls it) in a fresh
    /// store, within the deadline, memory cap and log budget. Blocks while
    /// all pool slots are in use.
    pub fn call<R>(&self, call: impl FnOnce(&mut Store<StoreState>) -> wasmtime::Result<R>) -> CallOutcome<R> {
        let _slot = self.slots.acquire();
        let mut store = self.new_store();
        let started = Instant::now();
        let result = call(&mut store);
        let elapsed = started.elapsed();
        let state = store.data_mut();
        let stderr = state.stderr.text();
        let result = result.map_err(|e| self.classify(e, state, elapsed, &stderr));
        CallOutcome { result, elapsed, logs: std::mem::take(&mut state.log.lines), logs_dropped: state.log.dropped, stderr }
    }

    fn new_store(&self) -> Store<StoreState> {
        let stderr = CapturedOutput::new(self.limits.max_stderr_bytes);
        // Grants nothing: no preopens, env, args; stdin empty, stdout discarded.
        let wasi = WasiCtxBuilder::new().wall_clock(FrozenWallClock).allow_tcp(false).allow_udp(false).allow_ip_name_lookup(false).build();
        let state = StoreState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter { max_memory_bytes: self.limits.max_memory_bytes, exceeded: None },
            log: LogBudget::new(self.limits.max_log_bytes, self.limits.max_log_calls),
            stderr,
            started: Instant::now(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Check the wall clock at every tick rather than counting ticks: on a
        // busy machine the ticker thread runs late, and N late ticks would
        // stretch the deadline.
        let deadline = self.limits.deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            Ok(if ctx.data().started.elapsed() >= deadline { UpdateDeadline::Interrupt } else { UpdateDeadline::Continue(1) })
        });
        store
    }

    fn classify(&self, error: wasmtime::Error, state: &StoreState, elapsed: Duration, stderr: &str) -> CallFailure {
        // Limits the host enforced itself are recorded in the store: they
        // are more precise than the trap they caused.
        if let Some(requested) = state.limiter.exceeded {
            return CallFailure::MemoryLimit { limit: self.limits.max_memory_bytes, requested };
        }
        if state.log.flooded {
            return CallFailure::LogFlood { max_calls: self.limits.max_log_calls };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallFailure::Timeout { deadline: self.limits.deadline, elapsed, at: guest_frames(&error) },
            Some(Trap::StackOverflow) => CallFailure::StackOverflow { detail: "the call stack is exhausted".into() },
            // Rust keeps its stack in linear memory below the data; running
            // off its bottom is an out-of-bounds access.
            Some(Trap::MemoryOutOfBounds) => CallFailure::StackOverflow {
                detail: "out-of-bounds memory access, which is how the guest's shadow stack overflowing ends".into(),
            },
            Some(Trap::UnreachableCodeReached) => match panic_message(stderr) {
                Some(message) => CallFailure::Panic { message },
                None => CallFailure::Trap { detail: "aborted (wasm `unreachable` executed)".into() },
            },
            Some(trap) => CallFailure::Trap { detail: trap.to_string() },
            None => CallFailure::Other { detail: first_line(&format!("{error:#}")) },
        }
    }
}

/// Where the guest was when it trapped: up to five innermost wasm frames by
/// function name (`folio_plugin_hostile::spin <- ...`), from the backtrace
/// wasmtime attaches to traps. Names come from the component's name section
/// (kept by default in Rust's wasm builds); unnamed frames show their index.
fn guest_frames(error: &wasmtime::Error) -> Option<String> {
    let bt = error.downcast_ref::<wasmtime::WasmBacktrace>()?;
    let frames: Vec<String> = bt
        .frames()
        .iter()
        .take(5)
        .map(|f| match f.func_name() {
            Some(name) => rustc_demangle::demangle(name).to_string().split("::h").next().unwrap_or(name).to_string(),
            None => format!("wasm function {}", f.func_index()),
        })
        .collect();
    if frames.is_empty() {
        return None;
    }
    let mut at = frames.join(" <- ");
    truncate_at_char_boundary(&mut at, 400);
    Some(at)
}

/// Converts wasmtime's error type (not `std::error::Error`) for `anyhow`.
pub fn wasm_error(e: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}")
}

fn engine_config(cfg: &SandboxConfig) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    // Instances come from a pool sized for the concurrency: instantiation is
    // a few microseconds. Memory slots keep wasmtime's default size (the
    // per-store limiter enforces `max_memory_bytes`, so exceeding it is
    // reported precisely rather than as a failed `memory.grow`).
    let slots = u32::try_from(cfg.max_concurrent_calls.max(1)).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(16))
        .total_memories(slots.saturating_mul(2))
        .total_tables(slots.saturating_mul(8))
        // Between documents a slot's memory is reset to its initial contents.
        // By default that is `madvise` plus a page fault per page on next use
        // (a quarter of a small call); with PAGEMAP_SCAN (Linux 6.7+) wasmtime
        // finds the dirtied pages and `memset`s them instead, up to this many
        // bytes per memory. Same isolation, ~30% less per call.
        .linear_memory_keep_resident(cfg.keep_resident_bytes)
        .table_keep_resident(cfg.keep_resident_bytes)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) -> anyhow::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new().name("plugin-epoch-ticker".into()).spawn(move || {
        loop {
            std::thread::sleep(EPOCH_TICK);
            match weak.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    })?;
    Ok(())
}

fn sandbox_linker(engine: &Engine) -> wasmtime::Result<Linker<StoreState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    // Replace the two WASI interfaces whose stock behaviour breaks the
    // sandbox: a real sleep blocks past the deadline, and an overflowing
    // in-memory stderr traps.
    linker.allow_shadowing(true);
    monotonic_clock::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
    stderr::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
    linker.allow_shadowing(false);
    // Each supported contract version's host interfaces, under their own
    // versioned names (`folio:extractor/host@0.1.0`, `...@0.2.0`).
    v0_1_0::Extractor::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
    v0_2_0::Extractor::add_to_linker::<StoreState, HasSelf<StoreState>>(&mut linker, |s| s)?;
    Ok(linker)
}

// ------------------------------------------------------------------ per-store state

/// Everything one plugin instance can touch.
pub struct StoreState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    log: LogBudget,
    stderr: CapturedOutput,
    started: Instant,
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl v0_1_0::folio::extractor::types::Host for StoreState {}

impl v0_1_0::folio::extractor::host::Host for StoreState {
    fn log(&mut self, level: v0_1_0::folio::extractor::host::LogLevel, message: String) -> wasmtime::Result<()> {
        use v0_1_0::folio::extractor::host::LogLevel as L;
        let level = match level {
            L::Trace => LogLevel::Trace,
            L::Debug => LogLevel::Debug,
            L::Info => LogLevel::Info,
            L::Warn => LogLevel::Warn,
            L::Error => LogLevel::Error,
        };
        self.log.log(level, message)
    }
}

impl v0_2_0::folio::extractor::types::Host for StoreState {}

impl v0_2_0::folio::extractor::host::Host for StoreState {
    fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        self.log.log(level, message)
    }
}

impl stderr::Host for StoreState {
    fn get_stderr(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(self.stderr.clone());
        Ok(self.table.push(stream)?)
    }
}

impl monotonic_clock::Host for StoreState {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        Ok(u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, _when: monotonic_clock::Instant) -> wasmtime::Result<Resource<DynPollable>> {
        ready_pollable(&mut self.table)
    }

    fn subscribe_duration(&mut self, _duration: monotonic_clock::Duration) -> wasmtime::Result<Resource<DynPollable>> {
        ready_pollable(&mut self.table)
    }
}

/// A pollable that is always ready: sleeps return at once.
struct AlreadyElapsed;

#[wasmtime_wasi::async_trait]
impl Pollable for AlreadyElapsed {
    async fn ready(&mut self) {}
}

fn ready_pollable(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let resource = table.push(AlreadyElapsed)?;
    wasmtime_wasi::p2::subscribe(table, resource)
}

/// The wall clock a plugin sees: always 1970-01-01T00:00:00Z.
struct FrozenWallClock;

impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

/// Enforces the memory cap itself (instead of `StoreLimits`) so that the
/// failure can be reported with the size that was asked for.
struct MemoryLimiter {
    max_memory_bytes: usize,
    exceeded: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            self.exceeded = Some(desired);
            // An error (not `Ok(false)`) traps at once; Rust would otherwise
            // report the failed allocation as an abort.
            wasmtime::bail!("memory limit exceeded");
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        64
    }

    fn memories(&self) -> usize {
        8
    }
}

/// The plugin's log: lines are kept until `max_bytes` are used, later lines
/// are counted and dropped, and more than `max_calls` calls fail the plugin.
struct LogBudget {
    max_bytes: usize,
    max_calls: usize,
    calls: usize,
    kept_bytes: usize,
    dropped: usize,
    flooded: bool,
    lines: Vec<PluginLogLine>,
}

impl LogBudget {
    fn new(max_bytes: usize, max_calls: usize) -> Self {
        LogBudget { max_bytes, max_calls, calls: 0, kept_bytes: 0, dropped: 0, flooded: false, lines: Vec::new() }
    }

    fn log(&mut self, level: LogLevel, mut message: String) -> wasmtime::Result<()> {
        self.calls += 1;
        if self.calls > self.max_calls {
            self.flooded = true;
            wasmtime::bail!("log flood");
        }
        truncate_at_char_boundary(&mut message, MAX_LOG_LINE_BYTES);
        if self.kept_bytes + message.len() > self.max_bytes {
            self.dropped += 1;
            return Ok(());
        }
        self.kept_bytes += message.len();
        self.lines.push(PluginLogLine { level: level_name(level), message });
        Ok(())
    }
}

pub fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// A bounded in-memory output stream: keeps the first `capacity` bytes and
/// silently drops the rest (wasmtime's `MemoryOutputPipe` traps instead).
#[derive(Clone)]
struct CapturedOutput {
    capacity: usize,
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl CapturedOutput {
    fn new(capacity: usize) -> Self {
        CapturedOutput { capacity, buffer: Arc::new(Mutex::new(Vec::new())) }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        let room = self.capacity.saturating_sub(buffer.len());
        buffer.extend_from_slice(&bytes[..bytes.len().min(room)]);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always writable; what doesn't fit is dropped in `write`.
        Ok(64 * 1024)
    }
}

/// The panic message in Rust's panic output
/// (`thread '<unnamed>' panicked at src/lib.rs:3:5:\nmessage\nnote: ...`).
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at ")?;
    let rest = &stderr[start + "panicked at ".len()..];
    let (location, rest) = rest.split_once('\n').unwrap_or((rest, ""));
    let message: Vec<&str> = rest.lines().take_while(|l| !l.starts_with("note: ")).collect();
    let mut text = format!("{} (at {})", message.join(" ").trim(), location.trim_end_matches(':'));
    truncate_at_char_boundary(&mut text, 500);
    Some(text)
}

fn first_line(s: &str) -> String {
    let mut line = s.lines().next().unwrap_or("").to_string();
    truncate_at_char_boundary(&mut line, 500);
    line
}

pub fn truncate_at_char_boundary(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

// ------------------------------------------------------------------ concurrency

/// A counting semaphore: at most as many stores as the pool has slots.
struct Slots {
    free: Mutex<usize>,
    released: Condvar,
}

struct SlotGuard<'a>(&'a Slots);

impl Slots {
    fn new(count: usize) -> Self {
        Slots { free: Mutex::new(count), released: Condvar::new() }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_is_read_from_rust_panic_output() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:40:24:\nhostile plugin panicked on purpose\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(panic_message(stderr).unwrap(), "hostile plugin panicked on purpose (at src/lib.rs:40:24)");
        assert_eq!(panic_message("nothing"), None);
    }

    #[test]
    fn log_budget_drops_then_fails() {
        let mut log = LogBudget::new(10, 3);
        log.log(LogLevel::Info, "12345".into()).unwrap();
        log.log(LogLevel::Info, "123456".into()).unwrap(); // over the byte budget: dropped
        log.log(LogLevel::Info, "1".into()).unwrap();
        assert_eq!(log.lines.len(), 2);
        assert_eq!(log.dropped, 1);
        assert!(log.log(LogLevel::Info, "x".into()).is_err());
        assert!(log.flooded);
    }

    #[test]
    fn captured_output_truncates_instead_of_failing() {
        let mut out = CapturedOutput::new(4);
        out.write(bytes::Bytes::from_static(b"abc")).unwrap();
        out.write(bytes::Bytes::from_static(b"def")).unwrap();
        assert_eq!(out.text(), "abcd");
        assert!(out.check_write().unwrap() > 0);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let mut s = "aé".to_string(); // 'é' is 2 bytes
        truncate_at_char_boundary(&mut s, 2);
        assert_eq!(s, "a");
    }
}
