//! A hostile extractor for the host's sandbox tests (`host/tests/plugin_*.rs`).
//!
//! It handles the document type `hostile` and, as `*`, any type no other
//! plugin handles (so tests can see fallback routing); the hint `attack` picks
//! what it does. Without the hint it behaves: it returns one valid field, so the same
//! component shows the host still works after each attack.

use folio_plugin_sdk::prelude::*;

struct Hostile;

impl Extractor for Hostile {
    fn info() -> PluginInfo {
        PluginInfo::new("hostile", env!("CARGO_PKG_VERSION"))
            .document_types(&["hostile", "*"])
            .description("Misbehaves on request to test the host's sandbox")
    }

    fn extract(doc: Document) -> Result<Extraction, ExtractError> {
        let attack = doc.hint("attack").unwrap_or("none").to_string();
        let mut out = Extraction::new();
        out.confidence = 0.9;
        match attack.as_str() {
            "none" => out.push(Field::text("status", "ok").confidence(0.9)),
            // CPU: never returns.
            "loop" => {
                let mut i: u64 = 0;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            // A blocking host call: WASI sleep. Epoch interruption cannot stop
            // host code, so the host must make this return at once.
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                out.push(Field::text("slept", "yes"));
            }
            // Memory: 16 MiB chunks, touched, until something stops us.
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                for i in 0..4096 {
                    let mut chunk = vec![0u8; 16 << 20];
                    chunk[i % (16 << 20)] = 1;
                    hoard.push(std::hint::black_box(chunk));
                }
                out.push(Field::number("chunks", hoard.len() as f64));
            }
            "recurse" => {
                let depth = recurse(0, &mut [1u8; 64]);
                out.push(Field::number("depth", depth as f64));
            }
            "panic" => panic!("hostile plugin panicked on purpose"),
            // Host-import abuse: far more log calls than any budget.
            "log-flood" => {
                let line = "x".repeat(1024);
                for i in 0..1_000_000 {
                    folio_plugin_sdk::log::log(LogLevel::Error, &format!("{i} {line}"));
                }
            }
            // A lot of stderr must be truncated by the host, not trap.
            "stderr-flood" => {
                let line = "y".repeat(1024);
                for _ in 0..4096 {
                    eprintln!("{line}");
                }
                println!("stdout goes nowhere");
                out.push(Field::text("status", "ok"));
            }
            // What can the plugin see? Each probe reports what happened.
            "snoop" => {
                let fs = match std::fs::read_to_string("/etc/passwd") {
                    Ok(s) => format!("LEAK {} bytes", s.len()),
                    Err(e) => format!("denied: {e}"),
                };
                let dir = match std::fs::read_dir("/") {
                    Ok(d) => format!("LEAK {} entries", d.count()),
                    Err(e) => format!("denied: {e}"),
                };
                let net = match std::net::TcpStream::connect("127.0.0.1:22") {
                    Ok(_) => "LEAK connected".to_string(),
                    Err(e) => format!("denied: {e}"),
                };
                let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(u64::MAX);
                out.push(Field::text("filesystem", fs));
                out.push(Field::text("rootDir", dir));
                out.push(Field::text("network", net));
                out.push(Field::number("envVars", std::env::vars().count() as f64));
                out.push(Field::number("args", std::env::args().count() as f64));
                out.push(Field::number("wallClockSecs", wall as f64));
            }
            // Isolation between documents: keep a secret in a global and on
            // the heap, then look for it while handling the next document.
            "remember" => {
                let secret = doc.hint("secret").unwrap_or_default().to_string();
                *REMEMBERED.lock().unwrap() = secret.clone();
                let leaked: &'static mut String = Box::leak(Box::new(secret.clone()));
                std::hint::black_box(&leaked);
                // Proves the scan below would see the secret if it survived.
                out.push(Field::number("occurrences", count_in_memory(secret.as_bytes()) as f64));
            }
            "recall" => {
                // The hint holds the secret reversed, so the only copy of the
                // secret itself is the needle built here.
                let needle: Vec<u8> = doc.hint("secret-reversed").unwrap_or_default().bytes().rev().collect();
                out.push(Field::text("remembered", REMEMBERED.lock().unwrap().clone()));
                out.push(Field::number("leftovers", count_in_memory(&needle).saturating_sub(1) as f64));
            }
            // Output validation.
            "oversized" => {
                for i in 0..20_000 {
                    out.push(Field::text(&format!("field{i}"), "z".repeat(100)));
                }
            }
            "huge-text" => out.push(Field::text("note", "z".repeat(1 << 20))),
            "bad-confidence" => out.push(Field::text("status", "ok").confidence(1.5)),
            "nan-confidence" => out.push(Field::text("status", "ok").confidence(f32::NAN)),
            "nan-number" => out.push(Field::number("totalAmount", f64::INFINITY)),
            "box-outside" => {
                let page = &doc.pages[0];
                let bbox = Bbox::new(page.width - 10.0, 10.0, 500.0, 40.0);
                out.push(Field::text("status", "ok").source(1, bbox));
            }
            "bad-page" => out.push(Field::text("status", "ok").source(99, Bbox::new(1.0, 1.0, 1.0, 1.0))),
            "bad-key" => out.push(Field::text("Total Amount!", "1")),
            "duplicate-key" => {
                out.push(Field::text("status", "a"));
                out.push(Field::text("status", "b"));
            }
            "bad-date" => out.push(Field::date("invoiceDate", 2024, 2, 30)),
            "ragged-table" => {
                let mut t = Table::new("lineItems", &["description", "amount"]);
                t.push(TableRow::new(vec![Some("only one cell".into())]));
                out.push_table(t);
            }
            "unsupported" => return Err(ExtractError::unsupported("not a hostile document")),
            "invalid-input" => return Err(ExtractError::invalid_input("page 1 is blank")),
            "internal" => return Err(ExtractError::internal("state machine confused")),
            other => return Err(ExtractError::invalid_input(format!("unknown attack {other:?}"))),
        }
        Ok(out)
    }
}

static REMEMBERED: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

/// Occurrences of `needle` anywhere in this instance's linear memory
/// (including the needle itself).
fn count_in_memory(needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    #[cfg(target_arch = "wasm32")]
    {
        let len = core::arch::wasm32::memory_size(0) * 65536;
        let mut count = 0;
        // Address 0 is a valid wasm address but not a valid Rust pointer: start at 1.
        for addr in 1..len.saturating_sub(needle.len()) {
            let matches = needle.iter().enumerate().all(|(i, b)| {
                // SAFETY: every address below memory_size * 64 KiB is readable in wasm.
                unsafe { std::ptr::read_volatile((addr + i) as *const u8) == *b }
            });
            count += usize::from(matches);
        }
        count
    }
    #[cfg(not(target_arch = "wasm32"))]
    0
}

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64, buf: &mut [u8; 64]) -> u64 {
    let mut local = [0u8; 1024];
    local[(depth % 1024) as usize] = buf[(depth % 64) as usize];
    std::hint::black_box(&mut local);
    recurse(depth + 1, buf) + local[0] as u64
}

folio_plugin_sdk::export_extractor!(Hostile);
