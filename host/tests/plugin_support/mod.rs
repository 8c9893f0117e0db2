//! Shared by the `plugin_*` integration tests: where the test plugins are,
//! sandbox configurations, and scratch directories.
//!
//! The test plugins are built by `scripts/build-plugins` into
//! `$FOLIO_TEST_PLUGINS` (default `$CARGO_TARGET_DIR/wasm32-wasip2/test-plugins`).

#![allow(dead_code)]

use folio_host::model::Document;
use folio_host::plugins::{PluginHost, SandboxConfig, sample};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const TEMPLATE: &str = "folio_plugin_template.wasm";
pub const HOSTILE: &str = "folio_plugin_hostile.wasm";
pub const WRONG_WORLD: &str = "folio_plugin_wrong_world.wasm";
pub const CONTRACT_V0_1: &str = "folio_plugin_contract_v0_1.wasm";
pub const FUTURE_CONTRACT: &str = "examples/future_contract.wasm";
pub const BAD_METADATA: &str = "examples/bad_metadata.wasm";

/// The test plugins' directory.
pub fn test_plugins_dir() -> PathBuf {
    folio_host::cli::plugins::test_plugins_dir()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/test-plugins"))
}

/// A built test plugin; panics with the fix when it has not been built.
pub fn test_plugin(file: &str) -> PathBuf {
    let path = test_plugins_dir().join(file);
    assert!(
        path.is_file(),
        "test plugin {} is missing: run `source scripts/env.sh && scripts/build-plugins` first \
         (or point FOLIO_TEST_PLUGINS at the directory holding it)",
        path.display()
    );
    path
}

/// A directory under the system temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("folio-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The default sandbox with a private compiled-code cache and a small pool.
pub fn config(cache: &Scratch) -> SandboxConfig {
    SandboxConfig { cache_dir: Some(cache.path().to_path_buf()), max_concurrent_calls: 8, ..SandboxConfig::default() }
}

/// A host with the template and hostile plugins loaded.
pub fn host_with(cfg: SandboxConfig) -> PluginHost {
    let mut host = PluginHost::new(cfg).unwrap();
    host.load_file(&test_plugin(TEMPLATE)).unwrap();
    host.load_file(&test_plugin(HOSTILE)).unwrap();
    host
}

pub const PURCHASE_ORDER: &str = "ACME Corp\nPO Number: PO-7731\nOrder Date: 2024-03-15\n2 x Blue widget @ 12.50\nTotal: 25.00 EUR";

pub fn purchase_order() -> Document {
    sample::document("purchase-order", &[PURCHASE_ORDER])
}

/// Splits the purchase order's `Total: 25.00 EUR` line into the two lines
/// OCR makes of a label on the left and its amount far to the right.
pub fn split_total_into_two_lines(doc: &mut Document) {
    use folio_host::model::{BBox, Line};
    let page = &mut doc.pages[0];
    let i = page.lines.iter().position(|l| l.text.starts_with("Total")).expect("a Total line");
    let total = page.lines.remove(i);
    let (label, amount) = total.words.split_at(1);
    let line = |words: &[folio_host::model::Word], shift: f32| {
        let words: Vec<_> = words
            .iter()
            .cloned()
            .map(|mut w| {
                w.bbox.left += shift;
                w
            })
            .collect();
        let bbox = words.iter().skip(1).fold(words[0].bbox, |b: BBox, w| b.union(&w.bbox));
        Line { text: words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "), bbox, confidence: total.confidence, words }
    };
    page.lines.insert(i, line(label, 0.0));
    page.lines.push(line(amount, 1200.0));
    page.text = page.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
}

/// A document for the hostile plugin; `attack` picks its misbehaviour.
pub fn attack(attack: &str) -> Document {
    let mut doc = sample::document("hostile", &["Hostile test document\nTotal: 1.00"]);
    doc.hints.push(("attack".into(), attack.into()));
    doc
}

/// Normal extractions work: the hostile plugin behaving, then the template.
pub fn assert_still_serving(host: &PluginHost) {
    let ok = host.extract(&attack("none")).expect("hostile plugin without an attack");
    assert_eq!(ok.extracted_data["status"], "ok");
    let po = host.extract(&purchase_order()).expect("template plugin on a purchase order");
    assert_eq!(po.extracted_data["poNumber"], "PO-7731");
}

pub const SECOND: Duration = Duration::from_secs(1);
