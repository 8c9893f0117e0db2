//! `folio process` as a user runs it: the DocuRift `data` object per file, in
//! order, the spec's error envelope for files that fail, and the exit code.
//! Needs `scripts/setup` (OCR assets) and `scripts/build-plugins`.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/prototypes/tesseract-wasm-shim/testdata").join(name)
}

fn fixture(dir: &str, name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir).join(name)
}

fn folio(args: &[&str], files: &[PathBuf]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_folio")).arg("process").args(args).args(files).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let values = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>().map(Result::unwrap).collect();
    (out.status.code().unwrap_or(-1), values, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn prints_the_docurift_data_object_for_an_invoice() {
    let (code, out, stderr) = folio(&["--type", "invoice", "--pretty"], &[shared("invoice-300.png")]);
    assert_eq!(code, 0, "{stderr}");
    let d = &out[0];
    for key in ["id", "fileName", "documentType", "status", "pagesProcessed", "confidence", "extractedData", "metadata", "processedAt"] {
        assert!(d.get(key).is_some(), "missing {key} in {d}");
    }
    assert!(d["id"].as_str().unwrap().starts_with("doc_"));
    assert_eq!(d["fileName"], "invoice-300.png");
    assert_eq!(d["documentType"], "invoice");
    assert_eq!(d["status"], "completed");
    assert_eq!(d["pagesProcessed"], 1);
    assert_eq!(d["extractedData"]["invoiceNumber"], "INV-2024-00917");
    assert!(d["metadata"]["processingTimeMs"].as_u64().unwrap() > 0);
    assert!(d["metadata"]["modelVersion"].as_str().unwrap().contains("tesseract-5.3.0-wasm"));
    // The page's size in the units of fields[].bbox (a 300 DPI scan is read as it is).
    let page = &d["metadata"]["pages"][0];
    assert_eq!((page["width"].as_f64(), page["height"].as_f64()), (Some(2481.0), Some(3508.0)), "{page}");
    let total = d["fields"]["totalAmount"]["bbox"].as_array().unwrap();
    assert!(total[0].as_f64().unwrap() + total[2].as_f64().unwrap() <= 2481.0);
    assert!(d["processedAt"].as_str().unwrap().ends_with('Z'));
    assert!(d.get("ocr").is_none(), "OCR pages only with --include-ocr");
}

#[test]
fn several_files_keep_their_order_and_failures_set_the_exit_code() {
    let files = [
        fixture("good", "two-pages.tiff"),
        fixture("bad", "encrypted.pdf"),
        fixture("bad", "wrong-magic.gif"),
        fixture("good", "mixed.pdf"),
    ];
    let (code, out, stderr) = folio(&["--ocr-only"], &files);
    assert_ne!(code, 0);
    assert_eq!(out.len(), 4);
    assert_eq!(out[0]["fileName"], "two-pages.tiff");
    assert_eq!(out[0]["pagesProcessed"], 2);
    assert_eq!(out[0]["ocr"][1]["number"], 2);
    // Failed files print the spec's error envelope.
    assert_eq!(out[1], serde_json::json!({"success": false, "error": {"code": "PDF_ENCRYPTED", "message": out[1]["error"]["message"]}}));
    assert_eq!(out[2]["error"]["code"], "INVALID_FILE_TYPE");
    assert_eq!(out[3]["ocr"][0]["source"], "pdf-text-layer");
    assert_eq!(out[3]["ocr"][1]["source"], "ocr");
    assert!(stderr.contains("encrypted.pdf: PDF_ENCRYPTED"), "{stderr}");
}

#[test]
fn unsupported_language_names_what_is_installed() {
    // Japanese is a real language outside setup's default set.
    let (code, out, _) = folio(&["--type", "receipt", "--language", "ja"], &[shared("receipt-photo.jpg")]);
    assert_eq!(code, 1);
    assert_eq!(out[0]["error"]["code"], "UNSUPPORTED_LANGUAGE");
    let message = out[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("installed:") && message.contains("en") && message.contains("--languages ja"), "{message}");
}
