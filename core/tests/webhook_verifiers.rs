//! Cross-verification: Folio's webhook deliveries checked by the specs' own
//! verifier code, run as written in real Python and Node processes.
//!
//! Writes sample deliveries (body bytes + headers) for tricky payloads into a
//! temporary directory, then runs
//! - `tests/webhook_verifiers/check_fixtures.py`: DocuRift `verify_webhook`,
//!   Veryfi `create_signature`, PyPI `standardwebhooks`;
//! - `tests/webhook_verifiers/post_fixtures.mjs`: a real express app with the
//!   DocuRift spec's `verifyWebhookSignature` (after `express.json()`) and the
//!   Veryfi spec's `createSignature`, receiving real POSTs on 127.0.0.1.
//!
//! Every delivery must be accepted and every tampered copy refused.

use folio_core::document::{DocumentData, ProcessingMetadata, ProcessingResult};
use folio_core::error::{ApiError, ErrorCode};
use folio_core::webhook::js_json::MAX_SAFE_INTEGER;
use folio_core::webhook::signature::{standard_webhooks_key, standard_webhooks_secret_for};
use folio_core::webhook::{
    SigningKeys, VeryfiOutcome, WebhookEvent, admin_notification_event, attempt_headers, docurift_event, veryfi_event,
};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn verifiers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/webhook_verifiers")
}

fn document(extracted: Value) -> DocumentData {
    let result = ProcessingResult {
        document_type: "invoice".into(),
        pages_processed: 15,
        confidence: 0.94,
        extracted_data: extracted.as_object().unwrap().clone(),
        metadata: ProcessingMetadata { processing_time_ms: 45230, model_version: "v2.1.0".into(), ..Default::default() },
        ..Default::default()
    };
    let mut d = DocumentData::completed("doc_abc123xyz456".into(), "large-invoice.pdf".into(), result, "2024-01-26T10:32:15Z".into());
    d.organization_id = Some("org_xyz789".into());
    d
}

/// The payloads every secret case delivers: `(name, event)`.
fn sample_events() -> Vec<(&'static str, WebhookEvent)> {
    let at = now_ms();
    let spec_meta = json!({"internalId": "order-12345", "department": "accounts-payable"});
    let mut unicode = document(json!({
        "vendorName": "Café Müller — 請求書 😀",
        "note": "line\u{2028}sep\u{2029} tab\t nl\n cr\r bell\u{7} del\u{7f} nul\u{0}",
        "quotes": "it's \"quoted\", with \\backslashes\\ and </script>",
        "bom": "\u{feff}x\u{ffff}",
    }));
    unicode.file_name = "façture №1 — 請求書.pdf".into();
    let floats = document(json!({
        "totalAmount": 15750.0,
        "sum": 0.1 + 0.2,
        "huge": 1e21,
        "tiny": 1e-7,
        "negZero": -0.0,
        "denormal": 5e-324,
        "max": f64::MAX,
        "bigInt": 12345678901234567890u64,
        "unsafeInt": 9007199254740993u64,
        "negative": -12.5,
        "list": [1.0, 2.50, 1e100, -1e-300],
    }));
    let nested_meta = json!({
        "b": 1, "2": {"10": [], "9": {}}, "1": null, "01": "x", "4294967295": true, "4294967294": false,
        "deep": {"a": [[[{"z": "1", "0": [0.5]}]]]}, "empty": "", "ünï": "cödé",
    });
    let failed = DocumentData::failed(
        "doc_failed0000001".into(),
        "broken \"scan\".pdf".into(),
        "receipt".into(),
        ApiError::new(ErrorCode::PluginFailed, "Plugin \"receipt\" trapped: can't parse 'total', line 3\n\tat offset 0x1f"),
        "2024-01-26T10:32:15Z".into(),
    );
    let meta = |v: &Value| v.as_object().cloned();
    let docurift = |d: &DocumentData, m: Option<Map<String, Value>>| docurift_event(d, m.as_ref(), at).unwrap();
    let created = 1_634_743_646_000; // 2021-10-20 15:27:26
    vec![
        (
            "spec-example",
            docurift(&document(json!({"invoiceNumber": "INV-2024-00456", "totalAmount": 15750.00, "currency": "USD"})), meta(&spec_meta)),
        ),
        ("unicode-and-escapes", docurift(&unicode, meta(&spec_meta))),
        ("js-numbers", docurift(&floats, None)),
        ("integer-like-keys", docurift(&document(json!({"3": "three", "a": 1, "0": "zero"})), meta(&nested_meta))),
        ("document-failed", docurift(&failed, meta(&json!({"retry": 1})))),
        ("veryfi-created", veryfi_event(123456789, created, VeryfiOutcome::Created, at).unwrap()),
        (
            "veryfi-failed",
            veryfi_event(
                MAX_SAFE_INTEGER,
                created,
                VeryfiOutcome::Failed("Plugin \"receipt\" trapped: can't parse 'total', line 3\n\tat ½ \\x1f"),
                at,
            )
            .unwrap(),
        ),
        ("admin-notification", admin_notification_event(&[123456789, 42, MAX_SAFE_INTEGER], at).unwrap()),
    ]
}

/// Secret cases: the DocuRift spec's example secret (not base64, so Standard
/// Webhooks uses its bytes), the Standard Webhooks example secret (base64),
/// and a non-ASCII secret (UTF-8 on every side).
const SECRETS: &[(&str, &str)] = &[
    ("spec-example-secret", "whsec_your_secret_here"),
    ("standard-webhooks-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("non-ascii-secret", "clé secrète ✓"),
];

fn write_fixtures(dir: &Path) {
    let mut cases = Vec::new();
    for (case, secret) in SECRETS {
        let case_dir = dir.join(case);
        std::fs::create_dir_all(&case_dir).unwrap();
        let mut deliveries = Vec::new();
        for (i, (name, event)) in sample_events().into_iter().enumerate() {
            let delivery_id = format!("dlv_fixture{i:02}");
            let headers = attempt_headers(&event, SigningKeys::one(Some(secret)), &delivery_id, 1 + i as u32 % 3, now_ms()).unwrap();
            let body_file = format!("{case}/{i:02}-{name}.json");
            std::fs::write(dir.join(&body_file), event.body.as_bytes()).unwrap();
            let headers: Map<String, Value> = headers.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
            deliveries.push(json!({"name": name, "profile": event.profile, "bodyFile": body_file, "headers": headers}));
        }
        // Control: the spec example as a typical serialiser writes it (spaces,
        // `15750.0`), correctly signed. Python (raw bytes) accepts it; the
        // Node verifier (re-serialising) must refuse it, or the checks above
        // prove nothing about JavaScript-form bodies.
        let mut control = sample_events().remove(0).1;
        control.body =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&control.body).unwrap()).unwrap().replace("15750", "15750.0");
        assert!(control.body.contains("\"totalAmount\": 15750.0"));
        let headers = attempt_headers(&control, SigningKeys::one(Some(secret)), "dlv_control", 1, now_ms()).unwrap();
        let body_file = format!("{case}/control-not-js-form.json");
        std::fs::write(dir.join(&body_file), control.body.as_bytes()).unwrap();
        let headers: Map<String, Value> = headers.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        deliveries.push(json!({"name": "control-not-js-form", "profile": "docurift", "bodyFile": body_file, "headers": headers, "nodeMustRefuse": true}));
        let raw_key = standard_webhooks_key(secret) == secret.as_bytes();
        cases.push(json!({
            "name": case,
            "secret": secret,
            // What a receiver passes to a Standard Webhooks library.
            "standardWebhooksSecret": if raw_key { standard_webhooks_secret_for(secret) } else { secret.to_string() },
            "standardWebhooksKeyIsRaw": raw_key,
            "deliveries": deliveries,
        }));
    }
    std::fs::write(dir.join("cases.json"), serde_json::to_string_pretty(&cases).unwrap()).unwrap();
}

fn fixture_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("folio-webhook-fixtures-{tag}-{}-{}", std::process::id(), now_ms()));
    std::fs::create_dir_all(&dir).unwrap();
    write_fixtures(&dir);
    dir
}

fn tool_available(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run_checker(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    let passed = stdout.lines().filter(|l| l.starts_with("ok")).count();
    // 3 secrets x 8 deliveries, at least 2 checks each.
    assert!(passed >= 48, "{what} ran too few checks ({passed}):\n{stdout}");
    eprintln!("{what}: {passed} checks passed");
}

#[test]
fn python_verifiers_and_standard_webhooks_accept_every_delivery() {
    if !tool_available("python3") {
        eprintln!("SKIPPED: python3 is not installed; the spec's Python verifiers were not run");
        return;
    }
    let dir = fixture_dir("py");
    run_checker(
        Command::new("python3").arg(verifiers_dir().join("check_fixtures.py")).arg(&dir),
        "Python verifiers (DocuRift verify_webhook, Veryfi create_signature, standardwebhooks)",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn node_verifiers_behind_express_accept_every_delivery() {
    if !tool_available("node") {
        eprintln!("SKIPPED: node is not installed; the spec's Node verifiers were not run");
        return;
    }
    let dir = fixture_dir("node");
    run_checker(
        Command::new("node").arg(verifiers_dir().join("post_fixtures.mjs")).arg(&dir),
        "Node verifiers (DocuRift verifyWebhookSignature in express, Veryfi createSignature)",
    );
    std::fs::remove_dir_all(&dir).ok();
}
