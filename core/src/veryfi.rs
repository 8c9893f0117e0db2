//! Veryfi compatibility: how Veryfi's client libraries authenticate and sign
//! requests, what their `POST /api/v8/partner/documents/` body carries, and
//! how a Folio document looks as a Veryfi document.
//!
//! Credentials (issued by the admin API): `CLIENT-ID` = the profile's client
//! id (`vrf_...`), `AUTHORIZATION: apikey <username>:<api key>` with username
//! = the organisation's slug and api key = a `frc_` key of that profile, and
//! the profile's client secret for the optional request signature.

use crate::document::{DocumentData, DocumentStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::Sha256;

/// Veryfi: "Signatures are valid for 30 minutes from the time of generation."
pub const SIGNATURE_MAX_AGE_MS: i64 = 30 * 60 * 1000;

/// `AUTHORIZATION: apikey <username>:<api key>` -> `(username, api key)`.
pub fn parse_authorization(header: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("apikey") {
        return None;
    }
    let (user, key) = rest.trim().split_once(':')?;
    (!user.is_empty() && !key.is_empty()).then_some((user, key))
}

/// The JSON body of `POST /api/v8/partner/documents/` (fields Folio uses;
/// others, like `categories` or `boost_mode`, are accepted and ignored).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct VeryfiSubmission {
    #[serde(default)]
    pub file_data: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub file_url: Option<String>,
    #[serde(default)]
    pub file_urls: Option<Vec<String>>,
    #[serde(default, rename = "async")]
    pub is_async: Option<Value>,
    #[serde(default)]
    pub external_id: Option<String>,
    /// Folio extension: the extractor to use (default `receipt`, Veryfi's
    /// receipts-and-invoices model).
    #[serde(default)]
    pub document_type: Option<String>,
    /// Folio extension, ISO 639-1.
    #[serde(default)]
    pub language: Option<String>,
    /// Folio extension: `auto` (default), `tesseract` or `ppocr`.
    #[serde(default)]
    pub ocr_engine: Option<String>,
    /// Folio extension: outputs to make, `["searchable-pdf", "hocr"]` or `"hocr,text"`.
    #[serde(default)]
    pub outputs: Option<Value>,
}

/// The extractor Veryfi submissions use unless they say otherwise.
pub const DEFAULT_VERYFI_DOCUMENT_TYPE: &str = "receipt";

impl VeryfiSubmission {
    /// `outputs` as the comma-separated text the DocuRift form sends;
    /// `INVALID_OUTPUTS` when it is neither a string nor a list of strings.
    pub fn outputs_text(&self) -> Result<Option<String>, crate::ApiError> {
        let wrong = || {
            crate::ApiError::new(
                crate::ErrorCode::InvalidOutputs,
                format!("outputs must be a list of output names ({})", crate::outputs::OutputName::names()),
            )
        };
        match &self.outputs {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Array(items)) => {
                let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                let names = names.ok_or_else(wrong)?;
                if names.iter().any(|n| n.contains(',')) {
                    return Err(crate::outputs::parse_output_list(names).unwrap_err());
                }
                Ok(Some(names.join(",")))
            }
            Some(_) => Err(wrong()),
        }
    }

    /// v8 uses true/false; v7 clients send 1/0.
    pub fn wants_async(&self) -> bool {
        match &self.is_async {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "True"),
            _ => false,
        }
    }
}

/// The string Veryfi's Python client signs: `timestamp:<ts>,<key>:<str(value)>,...`
/// with Python's `str()` of each top-level value (a string as it is, other
/// values as their repr, shared with the webhook signer). `None` when a value
/// has no certain Python form (non-ASCII inside a container).
pub fn signature_payload_python(params: &Map<String, Value>, timestamp: &str) -> Option<String> {
    let mut s = format!("timestamp:{timestamp}");
    for (k, v) in params {
        s.push(',');
        s.push_str(k);
        s.push(':');
        match v {
            Value::String(text) => s.push_str(text),
            other => s.push_str(&crate::webhook::veryfi::python_str(other).ok()?),
        }
    }
    Some(s)
}

/// The string Veryfi's Node client signs: the same layout with JavaScript's
/// `${value}`, then `encodeURI`'d.
pub fn signature_payload_js(params: &Map<String, Value>, timestamp: &str) -> String {
    let mut s = format!("timestamp:{timestamp}");
    for (k, v) in params {
        s.push(',');
        s.push_str(k);
        s.push(':');
        js_string(v, &mut s);
    }
    encode_uri(&s)
}

/// Base64 HMAC-SHA256, as both clients compute it.
pub fn sign(client_secret: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Why a request signature was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    BadTimestamp,
    Expired,
    Mismatch,
}

/// Checks `X-Veryfi-Request-Timestamp` (ms since the epoch, at most 30
/// minutes old or early) and `X-Veryfi-Request-Signature` against the JSON
/// body's top-level parameters, accepting either client's payload form.
pub fn verify_request_signature(
    client_secret: &str,
    params: &Map<String, Value>,
    timestamp: &str,
    signature: &str,
    now_ms: i64,
) -> Result<(), SignatureError> {
    let mut check = RequestSignature::start(client_secret, timestamp, now_ms)?;
    for (k, v) in params {
        check.member(k, v);
    }
    check.verify(signature)
}

/// [`verify_request_signature`] fed one top-level member at a time, and a
/// string value in parts: a submission's `file_data` (up to ~70 MB) is
/// signed as it streams by, never held whole. Computes both clients'
/// payloads ([`signature_payload_python`], [`signature_payload_js`]) at once.
pub struct RequestSignature {
    /// `None` once a value has no certain Python form.
    python: Option<Hmac<Sha256>>,
    js: Hmac<Sha256>,
    encoded: String,
}

impl RequestSignature {
    /// Checks the timestamp (the client's, trimmed, is part of the payload).
    pub fn start(client_secret: &str, timestamp: &str, now_ms: i64) -> Result<Self, SignatureError> {
        let timestamp = timestamp.trim();
        let ts: i64 = timestamp.parse().map_err(|_| SignatureError::BadTimestamp)?;
        if (now_ms - ts).abs() > SIGNATURE_MAX_AGE_MS {
            return Err(SignatureError::Expired);
        }
        let mut check = RequestSignature {
            python: Some(Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()).expect("any key length")),
            js: Hmac::<Sha256>::new_from_slice(encode_uri(client_secret).as_bytes()).expect("any key length"),
            encoded: String::new(),
        };
        check.both(b"timestamp:");
        check.both(timestamp.as_bytes());
        Ok(check)
    }

    /// A whole top-level member.
    pub fn member(&mut self, key: &str, value: &Value) {
        match value {
            Value::String(text) => {
                self.string_member(key);
                self.string_part(text.as_bytes());
            }
            other => {
                self.both(b",");
                self.both(key.as_bytes());
                self.both(b":");
                match crate::webhook::veryfi::python_str(other) {
                    Ok(py) => self.python_only(py.as_bytes()),
                    Err(_) => self.python = None,
                }
                let mut js = String::new();
                js_string(other, &mut js);
                self.js_only(js.as_bytes());
            }
        }
    }

    /// Starts a member whose string value follows in [`Self::string_part`]s.
    pub fn string_member(&mut self, key: &str) {
        self.both(b",");
        self.both(key.as_bytes());
        self.both(b":");
    }

    /// The next UTF-8 bytes of a string value (JSON escapes resolved).
    pub fn string_part(&mut self, text: &[u8]) {
        self.both(text);
    }

    /// Compares with the presented `X-Veryfi-Request-Signature`.
    pub fn verify(self, signature: &str) -> Result<(), SignatureError> {
        let presented = signature.trim().as_bytes();
        let python = self.python.map(|m| STANDARD.encode(m.finalize().into_bytes()));
        let js = STANDARD.encode(self.js.finalize().into_bytes());
        if python.iter().chain([&js]).any(|c| crate::secret::constant_time_eq(c.as_bytes(), presented)) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    fn both(&mut self, bytes: &[u8]) {
        self.python_only(bytes);
        self.js_only(bytes);
    }

    fn python_only(&mut self, bytes: &[u8]) {
        if let Some(m) = self.python.as_mut() {
            m.update(bytes);
        }
    }

    fn js_only(&mut self, bytes: &[u8]) {
        if bytes.iter().all(|&b| uri_keeps(b)) {
            self.js.update(bytes); // base64 text: nothing to encode
        } else {
            self.encoded.clear();
            encode_uri_into(bytes, &mut self.encoded);
            self.js.update(self.encoded.as_bytes());
        }
    }
}

fn js_string(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(s),
        // Array.prototype.toString: elements joined by ",", null becomes "".
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    js_string(item, out);
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// JavaScript's `encodeURI`.
fn encode_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_uri_into(s.as_bytes(), &mut out);
    out
}

/// `encodeURI` byte by byte (it escapes each UTF-8 byte of a character alike).
fn encode_uri_into(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if uri_keeps(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn uri_keeps(b: u8) -> bool {
    const KEEP: &[u8] = b";,/?:@&=+$-_.!~*'()#";
    b.is_ascii_alphanumeric() || KEEP.contains(&b)
}

/// Veryfi's document `status` for a Folio status: `processed` when done,
/// `in_progress` while queued or processing, `failed` on failure.
pub fn veryfi_status(s: DocumentStatus) -> &'static str {
    match s {
        DocumentStatus::Queued | DocumentStatus::Processing => "in_progress",
        DocumentStatus::Completed => "processed",
        DocumentStatus::Failed => "failed",
    }
}

/// Folio `extractedData` keys with a different name in Veryfi documents.
const FIELD_ALIASES: &[(&str, &str)] = &[
    ("totalAmount", "total"),
    ("total", "total"),
    ("subtotalAmount", "subtotal"),
    ("taxAmount", "tax"),
    ("currency", "currency_code"),
    ("invoiceDate", "date"),
    ("receiptDate", "date"),
    ("documentDate", "date"),
    ("dueDate", "due_date"),
    ("purchaseOrderNumber", "purchase_order_number"),
    ("rawText", "ocr_text"),
    ("text", "ocr_text"),
];

/// `vendorName` -> `vendor_name`.
pub fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A Folio document as Veryfi's `GET /api/v8/partner/documents/{id}/` shows
/// it: numeric `id`, `created_date`/`updated_date` as `YYYY-MM-DD HH:MM:SS`
/// (UTC), Veryfi's `status`, the extracted fields in snake_case with Veryfi's
/// names where they differ (`total`, `currency_code`, `date`, a `vendor`
/// object from `vendorName`/`merchantName`), and Folio's own id under `meta`.
pub fn to_veryfi_document(data: &DocumentData, veryfi_id: u64, created_ms: i64, updated_ms: i64, external_id: Option<&str>) -> Value {
    let created = crate::time::veryfi_datetime(created_ms);
    let mut doc = Map::new();
    doc.insert("id".into(), json!(veryfi_id));
    doc.insert("external_id".into(), json!(external_id));
    // "created" is what Veryfi's webhooks name it; documents use created_date.
    doc.insert("created".into(), json!(created));
    doc.insert("created_date".into(), json!(created));
    doc.insert("updated_date".into(), json!(crate::time::veryfi_datetime(updated_ms)));
    doc.insert("status".into(), json!(veryfi_status(data.status)));
    doc.insert("document_type".into(), json!(data.document_type));
    doc.insert("img_file_name".into(), json!(data.file_name));
    if let Some(extracted) = &data.extracted_data {
        for (k, v) in extracted {
            match k.as_str() {
                "vendorName" | "merchantName" | "vendor" | "merchant" if !v.is_object() => {
                    doc.insert("vendor".into(), json!({ "name": v }));
                }
                _ => {
                    let name =
                        FIELD_ALIASES.iter().find(|(from, _)| from == k).map(|(_, to)| to.to_string()).unwrap_or_else(|| snake_case(k));
                    doc.entry(name).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if let Some(c) = data.confidence {
        doc.insert("confidence".into(), json!(c));
    }
    if let Some(p) = data.pages_processed {
        doc.insert("pages".into(), json!(p));
    }
    if let Some(e) = &data.error {
        doc.insert("error".into(), json!(e.message));
        doc.insert("error_code".into(), json!(e.code));
    }
    let mut meta = Map::new();
    meta.insert("folio_id".into(), json!(data.id));
    if let Some(m) = &data.metadata {
        meta.insert("processing_time_ms".into(), json!(m.processing_time_ms));
        meta.insert("model_version".into(), json!(m.model_version));
    }
    doc.insert("meta".into(), Value::Object(meta));
    // Folio's addition: the outputs asked for (API paths, read with the `frc_` key).
    if let Some(outputs) = &data.outputs {
        doc.insert("outputs".into(), json!(outputs));
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{ProcessingMetadata, ProcessingResult};

    fn params() -> Map<String, Value> {
        // What veryfi-python's process_document sends with async=True.
        serde_json::from_str(
            r#"{"file_name": "receipt.png", "file_data": "iVBORw0K", "categories": ["Advertising & Marketing", "Automotive"], "auto_delete": false, "async": true}"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_authorization() {
        assert_eq!(parse_authorization("apikey acme:frc_x"), Some(("acme", "frc_x")));
        assert_eq!(parse_authorization("APIKEY acme:frc_x"), Some(("acme", "frc_x")));
        assert_eq!(parse_authorization("Bearer acme:frc_x"), None);
        assert_eq!(parse_authorization("apikey acme"), None);
        assert_eq!(parse_authorization("apikey :k"), None);
    }

    #[test]
    fn python_payload_matches_python_str() {
        // Python: f"timestamp:{ts}" + f",{key}:{value}" for each item.
        assert_eq!(
            signature_payload_python(&params(), "1700000000000").unwrap(),
            "timestamp:1700000000000,file_name:receipt.png,file_data:iVBORw0K,categories:['Advertising & Marketing', 'Automotive'],auto_delete:False,async:True"
        );
        let odd: Map<String, Value> = serde_json::from_str(r#"{"a": null, "b": ["it's", "x\"y"], "c": {"k": 1.5}, "d": 3}"#).unwrap();
        assert_eq!(signature_payload_python(&odd, "1").unwrap(), r#"timestamp:1,a:None,b:["it's", 'x"y'],c:{'k': 1.5},d:3"#);
    }

    #[test]
    fn js_payload_matches_template_string_and_encode_uri() {
        // Node: `${payload},${key}:${value}` then encodeURI().
        assert_eq!(
            signature_payload_js(&params(), "1700000000000"),
            "timestamp:1700000000000,file_name:receipt.png,file_data:iVBORw0K,categories:Advertising%20&%20Marketing,Automotive,auto_delete:false,async:true"
        );
    }

    #[test]
    fn verifies_either_client() {
        let secret = "vcs_secret";
        let now = 1_700_000_000_000i64;
        let ts = now.to_string();
        let py = sign(secret, &signature_payload_python(&params(), &ts).unwrap());
        let js = sign(secret, &signature_payload_js(&params(), &ts));
        assert_ne!(py, js);
        verify_request_signature(secret, &params(), &ts, &py, now).unwrap();
        verify_request_signature(secret, &params(), &ts, &js, now + 60_000).unwrap();
        assert_eq!(verify_request_signature("other", &params(), &ts, &py, now), Err(SignatureError::Mismatch));
        assert_eq!(verify_request_signature(secret, &params(), &ts, &py, now + SIGNATURE_MAX_AGE_MS + 1), Err(SignatureError::Expired));
        assert_eq!(verify_request_signature(secret, &params(), "soon", &py, now), Err(SignatureError::BadTimestamp));
        // A tampered body no longer matches.
        let mut p = params();
        p.insert("file_name".into(), json!("other.png"));
        assert_eq!(verify_request_signature(secret, &p, &ts, &py, now), Err(SignatureError::Mismatch));
    }

    #[test]
    fn streamed_signature_equals_the_whole_body_one() {
        let secret = "vcs_secret";
        let now = 1_700_000_000_000i64;
        let ts = now.to_string();
        let mut body = params();
        body.insert("file_data".into(), json!("data:image/png;base64,iVBO\nRw0K é"));
        body.insert("meta".into(), json!({"k": [1, "é"]})); // no certain Python form: JS only
        for p in [params(), body] {
            let py = signature_payload_python(&p, &ts).map(|s| sign(secret, &s));
            let js = sign(&encode_uri(secret), &signature_payload_js(&p, &ts));
            for presented in py.iter().chain([&js]) {
                let mut check = RequestSignature::start(secret, &format!(" {ts} "), now).unwrap();
                for (k, v) in &p {
                    match v.as_str() {
                        // A string in parts, split inside a UTF-8 character.
                        Some(text) => {
                            check.string_member(k);
                            let (a, b) = text.as_bytes().split_at(text.len() - 1);
                            check.string_part(a);
                            check.string_part(b);
                        }
                        None => check.member(k, v),
                    }
                }
                check.verify(presented).unwrap();
            }
        }
        assert_eq!(RequestSignature::start(secret, "x", now).err(), Some(SignatureError::BadTimestamp));
    }

    #[test]
    fn async_flag_forms() {
        let s = |v: Value| VeryfiSubmission { is_async: Some(v), ..Default::default() };
        assert!(s(json!(true)).wants_async());
        assert!(s(json!(1)).wants_async());
        assert!(!s(json!(false)).wants_async());
        assert!(!VeryfiSubmission::default().wants_async());
    }

    #[test]
    fn maps_a_completed_document() {
        let mut extracted = Map::new();
        extracted.insert("vendorName".into(), json!("ACME"));
        extracted.insert("totalAmount".into(), json!(12.5));
        extracted.insert("currency".into(), json!("USD"));
        extracted.insert("invoiceNumber".into(), json!("INV-1"));
        let r = ProcessingResult {
            document_type: "receipt".into(),
            pages_processed: 1,
            confidence: 0.9,
            extracted_data: extracted,
            metadata: ProcessingMetadata { processing_time_ms: 10, model_version: "v1".into(), ..Default::default() },
            ..Default::default()
        };
        let d = DocumentData::completed("doc_abc123xyz456".into(), "r.png".into(), r, "2021-10-20T15:27:30Z".into());
        let v = to_veryfi_document(&d, 123456789, 1_634_743_646_000, 1_634_743_650_000, Some("ext-1"));
        assert_eq!(v["id"], 123456789);
        assert_eq!(v["created_date"], "2021-10-20 15:27:26");
        assert_eq!(v["status"], "processed");
        assert_eq!(v["vendor"]["name"], "ACME");
        assert_eq!(v["total"], 12.5);
        assert_eq!(v["currency_code"], "USD");
        assert_eq!(v["invoice_number"], "INV-1");
        assert_eq!(v["external_id"], "ext-1");
        assert_eq!(v["meta"]["folio_id"], "doc_abc123xyz456");
    }

    #[test]
    fn outputs_member_as_list_or_text() {
        let sub = |v: Value| serde_json::from_value::<VeryfiSubmission>(json!({"outputs": v})).unwrap().outputs_text();
        assert_eq!(sub(json!(["searchable-pdf", "hocr"])).unwrap().as_deref(), Some("searchable-pdf,hocr"));
        assert_eq!(sub(json!("text")).unwrap().as_deref(), Some("text"));
        assert_eq!(sub(Value::Null).unwrap(), None);
        for bad in [json!(["hocr", 3]), json!({"a": 1}), json!(["hocr,pdf"])] {
            assert_eq!(sub(bad.clone()).unwrap_err().code, crate::ErrorCode::InvalidOutputs, "{bad}");
        }
    }
}
