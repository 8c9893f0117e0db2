//! Hostile plugins: each attack ends in its precise error (or is harmless),
//! and a normal extraction succeeds right after it in the same process.
//!
//! Needs `scripts/build-plugins` (the hostile and template plugins).

mod plugin_support;

use folio_core::ErrorCode;
use folio_host::plugins::{PluginHost, SandboxConfig};
use plugin_support::*;
use std::time::{Duration, Instant};

/// Runs an attack that must fail with `code`; returns the message.
fn failing(host: &PluginHost, name: &str, code: ErrorCode) -> String {
    let err = host.extract(&attack(name)).expect_err(name);
    assert_eq!(err.code, code, "{name}: {err}");
    assert_still_serving(host);
    err.message
}

fn plugin_failed(host: &PluginHost, name: &str) -> String {
    let message = failing(host, name, ErrorCode::PluginFailed);
    assert!(message.starts_with("Plugin hostile 0.1.0 failed: "), "{message}");
    message
}

#[test]
fn infinite_loop_hits_the_default_two_second_deadline() {
    let cache = Scratch::new("plugin-cache");
    let cfg = config(&cache);
    assert_eq!(cfg.deadline, Duration::from_secs(2));
    let host = host_with(cfg);
    let started = Instant::now();
    let message = plugin_failed(&host, "loop");
    let elapsed = started.elapsed();
    assert!(message.contains("deadline exceeded: still running after 2."), "{message}");
    assert!(message.contains("(limit 2.00 s)"), "{message}");
    // Where the guest was: its wasm backtrace, by function name.
    assert!(message.contains("(limit 2.00 s) in <folio_plugin_hostile::") && message.contains("::extract"), "{message}");
    // One tick late at most on a quiet machine; allow for a loaded one.
    assert!(elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[test]
fn sleeping_cannot_outlive_the_deadline() {
    // A WASI sleep blocks in host code, where epoch interruption cannot reach:
    // the sandbox makes clock waits return at once.
    let cache = Scratch::new("plugin-cache");
    let host = host_with(SandboxConfig { deadline: Duration::from_millis(500), ..config(&cache) });
    let started = Instant::now();
    let out = host.extract(&attack("sleep")).expect("sleep returns at once");
    assert_eq!(out.extracted_data["slept"], "yes");
    assert!(started.elapsed() < SECOND, "{:?}", started.elapsed());
    assert_still_serving(&host);
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let message = plugin_failed(&host, "alloc");
    assert!(message.contains("memory limit exceeded: tried to grow linear memory to 1"), "{message}");
    assert!(message.contains("(limit 128.0 MiB)"), "{message}");

    let small = host_with(SandboxConfig { max_memory_bytes: 32 << 20, ..config(&cache) });
    let message = plugin_failed(&small, "alloc");
    assert!(message.contains("(limit 32.0 MiB)"), "{message}");
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let message = plugin_failed(&host, "recurse");
    assert!(message.contains("stack overflow"), "{message}");
}

#[test]
fn panic_reports_the_panic_message() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let message = plugin_failed(&host, "panic");
    assert!(message.contains("panicked: hostile plugin panicked on purpose (at plugins/testing/hostile/src/lib.rs:"), "{message}");
}

#[test]
fn log_flood_is_stopped() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let started = Instant::now();
    let message = plugin_failed(&host, "log-flood");
    assert!(message.ends_with("log flood: more than 1000 log calls for one document"), "{message}");
    assert!(started.elapsed() < SECOND, "{:?}", started.elapsed());
}

#[test]
fn log_output_is_bounded() {
    let cache = Scratch::new("plugin-cache");
    // 40 calls allowed, 2 KiB kept: the 1 KiB lines after the second are dropped.
    let host = host_with(SandboxConfig { max_log_calls: 40, max_log_bytes: 2048, ..config(&cache) });
    let message = plugin_failed(&host, "log-flood");
    assert!(message.contains("more than 40 log calls"), "{message}");
    let out = host.extract(&purchase_order()).unwrap();
    assert!(out.logs.iter().map(|l| l.message.len()).sum::<usize>() <= 2048);
}

#[test]
fn stderr_flood_is_truncated_not_fatal() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let out = host.extract(&attack("stderr-flood")).expect("4 MiB of stderr is dropped, not a trap");
    assert_eq!(out.extracted_data["status"], "ok");
    assert_still_serving(&host);
}

#[test]
fn oversized_output_is_refused() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let message = plugin_failed(&host, "oversized");
    assert!(message.ends_with("invalid output: too many fields: 20000 (limit 256)"), "{message}");
    let message = plugin_failed(&host, "huge-text");
    assert!(message.ends_with("invalid output: field `note`: text is 1048576 bytes (limit 16384)"), "{message}");
}

#[test]
fn invalid_output_is_refused_with_the_reason() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let cases = [
        ("bad-confidence", "field `status`: confidence 1.5 is not within 0..1"),
        ("nan-confidence", "field `status`: confidence NaN is not within 0..1"),
        ("nan-number", "field `totalAmount`: number inf is not finite"),
        ("box-outside", "field `status`: box [2470, 10, 500, 40] is not inside page 1 (2480 x 3508)"),
        ("bad-page", "field `status`: source page 99 does not exist (the document has 1 pages)"),
        ("bad-key", "field key: `Total Amount!` is not a camelCase key"),
        ("duplicate-key", "key `status` is used twice"),
        ("bad-date", "field `invoiceDate`: 2024-2-30 is not a calendar date"),
        ("ragged-table", "table `lineItems` row 1 has 1 cells for 2 columns"),
    ];
    for (name, reason) in cases {
        let message = plugin_failed(&host, name);
        assert!(message.contains(&format!("invalid output: {reason}")), "{name}: {message}");
    }
}

#[test]
fn plugin_errors_map_to_api_errors() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let m = failing(&host, "unsupported", ErrorCode::InvalidDocumentType);
    assert_eq!(m, "Plugin hostile 0.1.0 does not support this document: not a hostile document");
    let m = failing(&host, "invalid-input", ErrorCode::InvalidFile);
    assert_eq!(m, "Plugin hostile 0.1.0 rejected the document as invalid input: page 1 is blank");
    let m = failing(&host, "internal", ErrorCode::PluginFailed);
    assert_eq!(m, "Plugin hostile 0.1.0 failed: internal error: state machine confused");
}

#[test]
fn the_plugin_sees_no_filesystem_network_environment_or_date() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(config(&cache));
    let out = host.extract(&attack("snoop")).expect("probing is answered, not fatal");
    let data = &out.extracted_data;
    for key in ["filesystem", "rootDir", "network"] {
        let v = data[key].as_str().unwrap();
        assert!(v.starts_with("denied: "), "{key}: {v}");
    }
    assert_eq!(data["envVars"], 0.0);
    assert_eq!(data["args"], 0.0);
    assert_eq!(data["wallClockSecs"], 0.0, "the wall clock is frozen at the Unix epoch");
}

#[test]
fn nothing_survives_from_one_document_to_the_next() {
    let cache = Scratch::new("plugin-cache");
    // One pool slot: the second document reuses the first one's memory slot.
    let host = host_with(SandboxConfig { max_concurrent_calls: 1, ..config(&cache) });
    let secret = "folio-secret-7f3a9c";
    let mut doc = attack("remember");
    doc.hints.push(("secret".into(), secret.into()));
    let first = host.extract(&doc).unwrap();
    assert!(first.extracted_data["occurrences"].as_f64().unwrap() >= 2.0, "the scan finds the stored secret");

    let mut doc = attack("recall");
    doc.hints.push(("secret-reversed".into(), secret.chars().rev().collect()));
    let next = host.extract(&doc).unwrap();
    assert_eq!(next.extracted_data["remembered"], "", "globals start fresh");
    assert_eq!(next.extracted_data["leftovers"], 0.0, "no copy of the secret left in linear memory");
}

#[test]
fn many_threads_with_attacks_among_them() {
    let cache = Scratch::new("plugin-cache");
    let host = host_with(SandboxConfig { deadline: Duration::from_millis(300), max_concurrent_calls: 4, ..config(&cache) });
    let attacks = ["loop", "alloc", "panic", "recurse", "log-flood", "oversized"];
    std::thread::scope(|s| {
        for t in 0..8 {
            let host = &host;
            s.spawn(move || {
                for i in 0..12 {
                    if (t + i) % 3 == 0 {
                        let name = attacks[(t + i) % attacks.len()];
                        let err = host.extract(&attack(name)).expect_err(name);
                        assert_eq!(err.code, ErrorCode::PluginFailed, "{name}: {err}");
                    } else {
                        let po = host.extract(&purchase_order()).unwrap();
                        assert_eq!(po.extracted_data["totalAmount"], 25.0);
                    }
                }
            });
        }
    });
    assert_still_serving(&host);
}
