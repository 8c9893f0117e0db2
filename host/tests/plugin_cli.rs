//! `folio plugins check | list | run` as a user runs them.
//!
//! Needs `scripts/build-plugins` (template and wrong-world plugins).

mod plugin_support;

use plugin_support::*;
use std::process::{Command, Output};

/// Runs `folio` with an isolated cache and plugin directories.
fn folio(scratch: &Scratch, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env("FOLIO_CACHE", scratch.path().join("cache"))
        .env("FOLIO_BUILTIN_PLUGINS", scratch.path().join("builtin"))
        .env_remove("FOLIO_PLUGINS_DIR")
        .output()
        .expect("run folio")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_a_good_plugin_and_prints_its_metadata() {
    let scratch = Scratch::new("plugin-cli");
    let path = test_plugin(TEMPLATE);
    let out = folio(&scratch, &["plugins", "check", path.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("is a valid Folio extractor plugin"), "{stdout}");
    assert!(stdout.contains("name:        template-purchase-order"), "{stdout}");
    assert!(stdout.contains("contract:    folio:extractor@0.2.0 (this host: 0.1.0, 0.2.0)"), "{stdout}");
    assert!(stdout.contains("types:       purchase-order"), "{stdout}");
    assert!(stdout.contains("compiled:    compiled now, cached for next time"), "{stdout}");
    assert!(stdout.contains("smoke test:  ok"), "{stdout}");
    // Second run: from the cache.
    let again = text(&folio(&scratch, &["plugins", "check", path.to_str().unwrap()]).stdout);
    assert!(again.contains("compiled:    loaded from the compiled-plugin cache"), "{again}");
}

#[test]
fn check_fails_clearly_on_bad_files() {
    let scratch = Scratch::new("plugin-cli");
    let notes = scratch.file("notes.txt", b"hello");
    let cases = [
        (notes, "is not a WebAssembly file"),
        (test_plugin(WRONG_WORLD), "does not implement the folio:extractor `extractor` world of any contract version"),
        (test_plugin(FUTURE_CONTRACT), "folio:extractor@0.3.0, but this host supports contract versions 0.1.0, 0.2.0"),
        (test_plugin(BAD_METADATA), "has invalid metadata"),
    ];
    for (path, reason) in cases {
        let out = folio(&scratch, &["plugins", "check", path.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
        assert!(stderr.starts_with("error: plugin refused: "), "{stderr}");
        assert!(stderr.contains(reason), "{}: {stderr}", path.display());
    }
}

#[test]
fn check_runs_the_plugin_on_a_sample_document() {
    // The hostile plugin behaves without an attack hint: the smoke test runs
    // it and reports the keys it returned.
    let scratch = Scratch::new("plugin-cli");
    let out = folio(&scratch, &["plugins", "check", test_plugin(HOSTILE).to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("smoke test:  ok: 1 keys"), "{stdout}");
}

#[test]
fn list_shows_loaded_plugins_and_failures() {
    let scratch = Scratch::new("plugin-cli");
    let builtin = scratch.path().join("builtin");
    std::fs::create_dir_all(&builtin).unwrap();
    std::fs::copy(test_plugin(TEMPLATE), builtin.join("template.wasm")).unwrap();
    // Loaded first (name order), so the template takes purchase-order over.
    std::fs::copy(test_plugin(CONTRACT_V0_1), builtin.join("a-legacy.wasm")).unwrap();
    std::fs::write(builtin.join("broken.wasm"), b"nope").unwrap();
    let out = folio(&scratch, &["plugins", "list"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("NAME"), "{stdout}");
    let row = stdout.lines().find(|l| l.starts_with("template-purchase-order")).expect(&stdout);
    for cell in ["0.1.0", "purchase-order", "template.wasm"] {
        assert!(row.contains(cell), "{row}");
    }
    assert!(stdout.contains("no generic fallback"), "{stdout}");
    // Two plugins for one type: the list says which one serves it.
    let legacy = stdout.lines().find(|l| l.starts_with("contract-v0-1")).expect(&stdout);
    assert!(legacy.contains("legacy,purchase-order (served by template-purchase-order)"), "{legacy}");
    assert!(
        stdout.contains("edge setting for these types (optional, hosts report them): DOCUMENT_TYPES=legacy,purchase-order"),
        "{stdout}"
    );
    assert!(stdout.contains("not loaded:") && stdout.contains("broken.wasm is not a WebAssembly file"), "{stdout}");

    let json = folio(&scratch, &["plugins", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["plugins"][1]["name"], "template-purchase-order");
    assert_eq!(v["plugins"][1]["contractVersion"], "0.2.0");
    assert_eq!(v["plugins"][0]["contractVersion"], "0.1.0");
    assert_eq!(v["failed"].as_array().unwrap().len(), 1);
}

#[test]
fn run_extracts_from_a_text_file() {
    let scratch = Scratch::new("plugin-cli");
    let doc = scratch.file("po.txt", PURCHASE_ORDER.as_bytes());
    let out = folio(&scratch, &["plugins", "run", test_plugin(TEMPLATE).to_str().unwrap(), "--text", doc.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plugin"], "template-purchase-order");
    assert_eq!(v["extractedData"]["poNumber"], "PO-7731");
    assert_eq!(v["extractedData"]["currency"], "EUR");

    // A plugin failure prints the API error envelope and exits 1.
    let out = folio(
        &scratch,
        &["plugins", "run", test_plugin(HOSTILE).to_str().unwrap(), "--text", doc.to_str().unwrap(), "--hint", "attack=panic"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], "PLUGIN_FAILED");
}

#[test]
fn folio_finds_its_built_in_plugins_without_any_environment() {
    // As a user runs it without sourcing scripts/env.sh: no FOLIO_* or
    // CARGO_* variables, another working directory. The built-ins
    // (scripts/build-plugins) sit next to the binary's target directory.
    let scratch = Scratch::new("plugin-cli-noenv");
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_folio")).canonicalize().unwrap();
    let target = exe.parent().and_then(|p| p.parent()).unwrap();
    let builtins = target.join("wasm32-wasip2/release");
    assert!(builtins.join("folio_plugin_invoice.wasm").is_file(), "run scripts/build-plugins first ({})", builtins.display());
    let out = Command::new(&exe)
        .args(["plugins", "list"])
        .current_dir(scratch.path())
        .env_clear()
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(&format!("built-in plugins: {}", builtins.display())), "{stdout}");
    for name in ["generic", "invoice", "receipt"] {
        assert!(stdout.lines().any(|l| l.starts_with(name)), "{name} missing:\n{stdout}");
    }
}
