//! Public API rules with no I/O: submission fields (DocuRift's multipart form
//! and Veryfi's JSON map onto the same [`RawSubmission`]), the `202` answer,
//! list queries and cursors, idempotency fingerprints, rate-limit windows.

use crate::DocumentStatus;
use crate::document::{DEFAULT_DOCUMENT_TYPE, validate_document_type};
use crate::error::{ApiError, ErrorCode};
use crate::filetype::FileKind;
use crate::jobs::OcrEngineChoice;
use crate::language::{DEFAULT_LANGUAGE, parse_language};
use crate::url_guard::validate_webhook_url;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Largest `callbackMetadata` accepted (its JSON text), echoed in every webhook.
pub const MAX_CALLBACK_METADATA_BYTES: usize = 4096;
/// Longest `webhookSecret`.
pub const MAX_WEBHOOK_SECRET_LEN: usize = 256;
/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// Longest stored file name.
pub const MAX_FILE_NAME_LEN: usize = 255;
/// Page size bounds for `GET /v1/documents`.
pub const DEFAULT_LIST_LIMIT: u32 = 20;
pub const MAX_LIST_LIMIT: u32 = 100;

/// Spec: "Processing priority: normal, high (paid plans only) Default: normal".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    #[default]
    Normal,
    High,
}

impl Priority {
    pub fn parse(s: &str) -> Result<Priority, ApiError> {
        match s {
            "normal" => Ok(Priority::Normal),
            "high" => Ok(Priority::High),
            _ => Err(ApiError::new(ErrorCode::InvalidPriority, format!("Invalid priority {s:?}: use \"normal\" or \"high\""))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    /// Queue rank: lower is served first.
    pub fn rank(self) -> i64 {
        match self {
            Priority::High => 0,
            Priority::Normal => 1,
        }
    }
}

/// Plans decide whether `priority=high` is allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    #[default]
    Free,
    Paid,
}

impl Plan {
    pub fn parse(s: &str) -> Option<Plan> {
        match s {
            "free" => Some(Plan::Free),
            "paid" => Some(Plan::Paid),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Paid => "paid",
        }
    }

    /// `PRIORITY_NOT_ALLOWED` for `high` on a free plan.
    pub fn check_priority(self, p: Priority) -> Result<(), ApiError> {
        if p == Priority::High && self != Plan::Paid {
            return Err(ApiError::new(ErrorCode::PriorityNotAllowed, "priority \"high\" is available on paid plans only"));
        }
        Ok(())
    }
}

/// What one document may use, per plan (a deployment overrides the
/// defaults with `[vars]`, see the edge's `Config::plan_limits`): a page
/// cap, enforced at admission and again when the host counts the pages,
/// and a processing deadline per attempt that heartbeats cannot extend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanLimits {
    pub max_pages: u32,
    pub max_processing_seconds: u32,
}

impl Plan {
    pub fn default_limits(self) -> PlanLimits {
        match self {
            Plan::Free => PlanLimits { max_pages: 100, max_processing_seconds: 600 },
            Plan::Paid => PlanLimits { max_pages: 2000, max_processing_seconds: 3600 },
        }
    }
}

impl PlanLimits {
    /// `TOO_MANY_PAGES` over the cap.
    pub fn check_pages(&self, pages: u32, plan: Plan) -> Result<(), ApiError> {
        if pages > self.max_pages {
            return Err(ApiError::new(
                ErrorCode::TooManyPages,
                format!("The document has {pages} pages; the {} plan accepts at most {} per document", plan.as_str(), self.max_pages),
            ));
        }
        Ok(())
    }
}

/// `extractTables`: a boolean ("Default: true"). Forms send text, so
/// `true`/`false`/`1`/`0` are accepted, case-insensitively.
pub fn parse_extract_tables(s: &str) -> Result<bool, ApiError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::new(ErrorCode::InvalidExtractTables, format!("Invalid extractTables {s:?}: use true or false"))),
    }
}

/// `callbackMetadata`: "Custom metadata to include in the webhook payload",
/// an object. Forms send it as JSON text.
pub fn parse_callback_metadata(s: &str) -> Result<Map<String, Value>, ApiError> {
    if s.len() > MAX_CALLBACK_METADATA_BYTES {
        return Err(ApiError::new(
            ErrorCode::InvalidCallbackMetadata,
            format!("callbackMetadata is larger than {MAX_CALLBACK_METADATA_BYTES} bytes"),
        ));
    }
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::new(ErrorCode::InvalidCallbackMetadata, "callbackMetadata must be a JSON object")),
        Err(e) => Err(ApiError::new(ErrorCode::InvalidCallbackMetadata, format!("callbackMetadata is not valid JSON: {e}"))),
    }
}

/// A display-safe file name: the last path component, control characters
/// removed, at most [`MAX_FILE_NAME_LEN`] bytes; `document.<ext>` when nothing is left.
pub fn sanitize_file_name(name: &str, kind: FileKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = base.chars().filter(|c| !c.is_control()).collect();
    clean = clean.trim().to_string();
    while clean.len() > MAX_FILE_NAME_LEN {
        clean.pop();
    }
    if clean.is_empty() || clean == "." || clean == ".." { format!("document.{}", kind.extension()) } else { clean }
}

/// What the deployment accepts (from the worker's configuration).
#[derive(Clone, Debug)]
pub struct SubmissionPolicy {
    /// Document types with an installed extractor (`DOCUMENT_TYPES`).
    pub document_types: Vec<String>,
    /// ISO 639-1 codes with an installed OCR model (`LANGUAGES`).
    pub languages: Vec<String>,
    /// Accept loopback webhook URLs (local development only).
    pub allow_loopback: bool,
}

/// Submission fields as received, text as the client sent it. Empty
/// strings count as absent (HTML forms send empty fields).
#[derive(Clone, Debug, Default)]
pub struct RawSubmission<'a> {
    pub document_type: Option<&'a str>,
    pub language: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub extract_tables: Option<&'a str>,
    pub callback_metadata: Option<&'a str>,
    pub webhook_url: Option<&'a str>,
    pub webhook_secret: Option<&'a str>,
    /// `auto` (the default), `tesseract` or `ppocr`, any case.
    pub ocr_engine: Option<&'a str>,
    /// Comma-separated output names (`searchable-pdf,hocr,text,ocr-json`).
    pub outputs: Option<&'a str>,
}

/// Validated submission options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionOptions {
    pub document_type: String,
    pub language: String,
    pub priority: Priority,
    pub extract_tables: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_metadata: Option<Map<String, Value>>,
    /// Records stored before this option load as `auto`; `auto` is not
    /// written, so fingerprints of requests without it are unchanged.
    #[serde(default, skip_serializing_if = "OcrEngineChoice::is_auto")]
    pub ocr_engine: OcrEngineChoice,
    /// Outputs to make besides the JSON result, in
    /// `OutputName::ALL` order; not written when empty (fingerprints of
    /// requests without it are unchanged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<crate::outputs::OutputName>,
}

fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

/// Validates every field, each with its precise error code.
pub fn parse_submission(raw: &RawSubmission, policy: &SubmissionPolicy) -> Result<SubmissionOptions, ApiError> {
    let document_type = present(raw.document_type).unwrap_or(DEFAULT_DOCUMENT_TYPE).trim();
    validate_document_type(document_type)?;
    if !policy.document_types.iter().any(|t| t == document_type) {
        return Err(ApiError::new(
            ErrorCode::InvalidDocumentType,
            format!("Unknown documentType {document_type:?}; available: {}", policy.document_types.join(", ")),
        ));
    }
    let language = present(raw.language).unwrap_or(DEFAULT_LANGUAGE).trim();
    let installed: Vec<&str> = policy.languages.iter().map(String::as_str).collect();
    // Stored and sent to the host in canonical form (`de,en`, `auto`).
    let language = parse_language(language, &installed)?.to_string();
    let priority = present(raw.priority).map(|p| Priority::parse(p.trim())).transpose()?.unwrap_or_default();
    let extract_tables = present(raw.extract_tables).map(parse_extract_tables).transpose()?.unwrap_or(true);
    let callback_metadata = present(raw.callback_metadata).map(parse_callback_metadata).transpose()?;
    let ocr_engine = present(raw.ocr_engine).map(str::parse::<OcrEngineChoice>).transpose()?.unwrap_or_default();
    let outputs = present(raw.outputs).map(crate::outputs::parse_outputs).transpose()?.unwrap_or_default();
    let webhook_url = present(raw.webhook_url).map(|u| validate_webhook_url(u, policy.allow_loopback)).transpose()?;
    let webhook_secret = present(raw.webhook_secret).map(str::to_string);
    if webhook_secret.as_ref().is_some_and(|s| s.len() > MAX_WEBHOOK_SECRET_LEN) {
        return Err(ApiError::new(ErrorCode::InvalidRequest, format!("webhookSecret is longer than {MAX_WEBHOOK_SECRET_LEN} characters")));
    }
    Ok(SubmissionOptions {
        document_type: document_type.to_string(),
        language,
        priority,
        extract_tables,
        webhook_url,
        webhook_secret,
        callback_metadata,
        ocr_engine,
        outputs,
    })
}

/// The spec's `202` body `data`: `id`, `status`, `estimatedCompletionTime`,
/// `queuePosition`, `webhookConfigured`, `createdAt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionAccepted {
    pub id: String,
    pub status: DocumentStatus,
    pub estimated_completion_time: String,
    /// 1-based position among queued documents (1 = next to be picked up).
    pub queue_position: u64,
    pub webhook_configured: bool,
    pub created_at: String,
}

/// The spec's message when a webhook is configured.
pub const ACCEPTED_MESSAGE_WEBHOOK: &str = "Document submitted for processing. You will receive a webhook notification when complete.";
/// The message when there is no webhook to wait for.
pub const ACCEPTED_MESSAGE_POLL: &str = "Document submitted for processing. Poll GET /v1/documents/{id} for the result.";

/// `{"success": true, "data": {...}, "message": "..."}`.
pub fn accepted_envelope(accepted: &SubmissionAccepted) -> Value {
    let message = if accepted.webhook_configured { ACCEPTED_MESSAGE_WEBHOOK } else { ACCEPTED_MESSAGE_POLL };
    serde_json::json!({"success": true, "data": accepted, "message": message})
}

/// `{"success": true, "data": ...}`.
pub fn ok_envelope(data: impl Serialize) -> Value {
    serde_json::json!({"success": true, "data": data})
}

/// `Idempotency-Key`: 1..=255 visible ASCII characters.
pub fn validate_idempotency_key(k: &str) -> Result<(), ApiError> {
    if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY_LEN || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters"));
    }
    Ok(())
}

/// What identifies "the same request" for an `Idempotency-Key`: the file
/// bytes, its name and every option. A retry must match it; the same key
/// with a different request is `IDEMPOTENCY_CONFLICT`.
pub fn submission_fingerprint(file: &[u8], file_name: &str, options: &SubmissionOptions) -> String {
    submission_fingerprint_of_digest(&Sha256::digest(file), file_name, options)
}

/// [`submission_fingerprint`] from the file's SHA-256 (hashed in chunks by the edge).
pub fn submission_fingerprint_of_digest(file_sha256: &[u8], file_name: &str, options: &SubmissionOptions) -> String {
    let mut h = Sha256::new();
    h.update(file_sha256);
    h.update(file_name.as_bytes());
    h.update([0]);
    h.update(serde_json::to_vec(options).expect("options serialise"));
    hex::encode(h.finalize())
}

/// `GET /v1/documents` query: `status`, `documentType`, `limit`, `cursor`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListQuery {
    pub status: Option<DocumentStatus>,
    pub document_type: Option<String>,
    pub limit: u32,
    pub cursor: Option<ListCursor>,
}

/// Position after the last document of a page (lists run newest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub created_at_ms: i64,
    pub doc_id: String,
}

impl ListCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.created_at_ms, self.doc_id))
    }

    pub fn decode(s: &str) -> Option<ListCursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (ms, id) = raw.split_once(':')?;
        crate::ids::is_document_id(id).then(|| Some(ListCursor { created_at_ms: ms.parse().ok()?, doc_id: id.to_string() }))?
    }
}

pub fn parse_list_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ListQuery, ApiError> {
    let bad = |m: String| ApiError::new(ErrorCode::InvalidRequest, m);
    let mut q = ListQuery { limit: DEFAULT_LIST_LIMIT, ..Default::default() };
    for (k, v) in pairs {
        match k {
            "status" => {
                q.status = Some(
                    DocumentStatus::parse(v)
                        .ok_or_else(|| bad(format!("Invalid status {v:?}: use queued, processing, completed or failed")))?,
                )
            }
            "documentType" => {
                validate_document_type(v)?;
                q.document_type = Some(v.to_string());
            }
            "limit" => {
                q.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIST_LIMIT).contains(l))
                    .ok_or_else(|| bad(format!("Invalid limit {v:?}: use 1 to {MAX_LIST_LIMIT}")))?
            }
            "cursor" => q.cursor = Some(ListCursor::decode(v).ok_or_else(|| bad("Invalid cursor".into()))?),
            _ => {}
        }
    }
    Ok(q)
}

/// Per-key request limit: at most `requests` per fixed window of `window_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub requests: u32,
    pub window_seconds: u32,
}

/// The state of one key's window after counting a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    /// Allowed; store the new window start and count.
    Allow { window_start_ms: i64, count: u32 },
    /// Refused; `Retry-After` is this many seconds (at least 1).
    Deny { retry_after_seconds: u32 },
}

/// Fixed-window counting: a request in the current window increments its
/// count; one past the window starts a new window.
pub fn rate_check(limit: RateLimit, now_ms: i64, window_start_ms: i64, count: u32) -> RateDecision {
    let window_ms = limit.window_seconds.max(1) as i64 * 1000;
    if now_ms >= window_start_ms + window_ms || now_ms < window_start_ms {
        return RateDecision::Allow { window_start_ms: now_ms, count: 1 };
    }
    if count < limit.requests {
        return RateDecision::Allow { window_start_ms, count: count + 1 };
    }
    let remaining_ms = window_start_ms + window_ms - now_ms;
    RateDecision::Deny { retry_after_seconds: ((remaining_ms + 999) / 1000).max(1) as u32 }
}

/// Undoes one count that [`rate_check`] allowed in the window starting at
/// `taken_in_ms` (a request refused further on, e.g. by another limit), if
/// that window is still the stored one; a newer window is left alone.
pub fn rate_give_back(taken_in_ms: i64, window_start_ms: i64, count: u32) -> u32 {
    if window_start_ms == taken_in_ms { count.saturating_sub(1) } else { count }
}

/// The `429` error.
pub fn rate_limited(retry_after_seconds: u32) -> ApiError {
    ApiError::new(ErrorCode::RateLimitExceeded, format!("Too many requests for this API key; retry after {retry_after_seconds} s"))
}

/// The `402` error, in the spec's words.
pub fn insufficient_credits(needed: i64, available: i64) -> ApiError {
    ApiError::new(
        ErrorCode::InsufficientCredits,
        format!("Insufficient credits for estimated page count ({needed} needed, {available} available)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_cap_per_plan() {
        let free = Plan::Free.default_limits();
        assert!(free.check_pages(free.max_pages, Plan::Free).is_ok());
        let e = free.check_pages(free.max_pages + 1, Plan::Free).unwrap_err();
        assert_eq!(e.code, ErrorCode::TooManyPages);
        assert!(e.message.contains("free plan accepts at most 100"), "{}", e.message);
        assert!(Plan::Paid.default_limits().max_pages > free.max_pages);
    }

    fn policy() -> SubmissionPolicy {
        SubmissionPolicy {
            document_types: vec!["invoice".into(), "receipt".into(), "generic".into()],
            languages: vec!["en".into()],
            allow_loopback: false,
        }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let o = parse_submission(&RawSubmission::default(), &policy()).unwrap();
        assert_eq!(o.document_type, "generic"); // "Default: generic"
        assert_eq!(o.language, "en"); // "Default: en"
        assert_eq!(o.priority, Priority::Normal); // "Default: normal"
        assert!(o.extract_tables); // "Default: true"
        assert_eq!(o.webhook_url, None);
        assert_eq!(o.ocr_engine, OcrEngineChoice::Auto);
        let empty = RawSubmission { document_type: Some(""), priority: Some(" "), ocr_engine: Some(""), ..Default::default() };
        assert_eq!(parse_submission(&empty, &policy()).unwrap(), o);
    }

    #[test]
    fn language_is_stored_canonical() {
        let policy = SubmissionPolicy { languages: vec!["en".into(), "de".into()], ..policy() };
        for (input, want) in [("DEU, en", "de,en"), ("ger", "de"), ("de,de", "de"), ("Auto", "auto")] {
            let raw = RawSubmission { language: Some(input), ..Default::default() };
            assert_eq!(parse_submission(&raw, &policy).unwrap().language, want, "{input}");
        }
        let raw = RawSubmission { language: Some("de,lv"), ..Default::default() };
        let e = parse_submission(&raw, &policy).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedLanguage);
        assert!(e.message.contains("\"lv\" is not installed"), "{}", e.message);
    }

    #[test]
    fn each_bad_field_has_its_code() {
        let cases: Vec<(RawSubmission, ErrorCode)> = vec![
            (RawSubmission { document_type: Some("passport"), ..Default::default() }, ErrorCode::InvalidDocumentType),
            (RawSubmission { document_type: Some("Invoice!"), ..Default::default() }, ErrorCode::InvalidDocumentType),
            (RawSubmission { language: Some("english"), ..Default::default() }, ErrorCode::UnsupportedLanguage),
            (RawSubmission { language: Some("de"), ..Default::default() }, ErrorCode::UnsupportedLanguage),
            (RawSubmission { priority: Some("urgent"), ..Default::default() }, ErrorCode::InvalidPriority),
            (RawSubmission { extract_tables: Some("yes"), ..Default::default() }, ErrorCode::InvalidExtractTables),
            (RawSubmission { callback_metadata: Some("[1,2]"), ..Default::default() }, ErrorCode::InvalidCallbackMetadata),
            (RawSubmission { callback_metadata: Some("{nope"), ..Default::default() }, ErrorCode::InvalidCallbackMetadata),
            (RawSubmission { webhook_url: Some("http://example.com/h"), ..Default::default() }, ErrorCode::InvalidWebhookUrl),
            (RawSubmission { webhook_url: Some("https://10.1.2.3/h"), ..Default::default() }, ErrorCode::InvalidWebhookUrl),
            (RawSubmission { ocr_engine: Some("foo"), ..Default::default() }, ErrorCode::InvalidRequest),
        ];
        for (raw, code) in cases {
            assert_eq!(parse_submission(&raw, &policy()).unwrap_err().code, code, "{raw:?}");
        }
        let big = format!("{{\"k\":\"{}\"}}", "x".repeat(MAX_CALLBACK_METADATA_BYTES));
        let raw = RawSubmission { callback_metadata: Some(&big), ..Default::default() };
        assert_eq!(parse_submission(&raw, &policy()).unwrap_err().code, ErrorCode::InvalidCallbackMetadata);
    }

    #[test]
    fn good_fields_parse() {
        let raw = RawSubmission {
            document_type: Some("invoice"),
            priority: Some("high"),
            extract_tables: Some("FALSE"),
            callback_metadata: Some(r#"{"internalId":"order-12345","department":"accounts-payable"}"#),
            webhook_url: Some("https://your-app.com/webhooks/docurift"),
            webhook_secret: Some("whsec_your_secret_here"),
            ..Default::default()
        };
        let o = parse_submission(&raw, &policy()).unwrap();
        assert_eq!(o.priority, Priority::High);
        assert!(!o.extract_tables);
        assert_eq!(o.callback_metadata.unwrap()["internalId"], "order-12345");
        assert_eq!(o.webhook_url.as_deref(), Some("https://your-app.com/webhooks/docurift"));
    }

    #[test]
    fn ocr_engine_option() {
        let engine =
            |v: Option<&str>| parse_submission(&RawSubmission { ocr_engine: v, ..Default::default() }, &policy()).map(|o| o.ocr_engine);
        assert_eq!(engine(None).unwrap(), OcrEngineChoice::Auto);
        assert_eq!(engine(Some("")).unwrap(), OcrEngineChoice::Auto);
        assert_eq!(engine(Some("  ")).unwrap(), OcrEngineChoice::Auto);
        assert_eq!(engine(Some("auto")).unwrap(), OcrEngineChoice::Auto);
        assert_eq!(engine(Some("PPOCR")).unwrap(), OcrEngineChoice::Ppocr);
        assert_eq!(engine(Some("tesseract")).unwrap(), OcrEngineChoice::Tesseract);
        let e = engine(Some("foo")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.contains("\"foo\"") && e.message.contains("auto, tesseract, ppocr"), "{}", e.message);
    }

    #[test]
    fn stored_options_load_and_keep_their_form() {
        // A record written before `ocrEngine` existed.
        let old = r#"{"documentType":"invoice","language":"en","priority":"normal","extractTables":true}"#;
        let o: SubmissionOptions = serde_json::from_str(old).unwrap();
        assert_eq!(o.ocr_engine, OcrEngineChoice::Auto);
        // `auto` is not written: the same JSON (and idempotency fingerprint) as before.
        assert_eq!(serde_json::to_string(&o).unwrap(), old);
        let p = SubmissionOptions { ocr_engine: OcrEngineChoice::Ppocr, ..o };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["ocrEngine"], "ppocr");
        assert_eq!(serde_json::from_value::<SubmissionOptions>(v).unwrap(), p);
    }

    #[test]
    fn plans_gate_high_priority() {
        assert_eq!(Plan::Free.check_priority(Priority::High).unwrap_err().code, ErrorCode::PriorityNotAllowed);
        Plan::Free.check_priority(Priority::Normal).unwrap();
        Plan::Paid.check_priority(Priority::High).unwrap();
        assert!(Priority::High.rank() < Priority::Normal.rank());
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("../../etc/passwd", FileKind::Pdf), "passwd");
        assert_eq!(sanitize_file_name("C:\\Users\\me\\scan.pdf", FileKind::Pdf), "scan.pdf");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.png", FileKind::Png), "abc.png");
        assert_eq!(sanitize_file_name("", FileKind::Jpeg), "document.jpg");
        assert_eq!(sanitize_file_name("..", FileKind::Tiff), "document.tiff");
        assert!(sanitize_file_name(&"é".repeat(300), FileKind::Png).len() <= MAX_FILE_NAME_LEN);
    }

    #[test]
    fn accepted_envelope_has_the_spec_shape() {
        let a = SubmissionAccepted {
            id: "doc_abc123xyz456".into(),
            status: DocumentStatus::Queued,
            estimated_completion_time: "2024-01-26T10:35:00Z".into(),
            queue_position: 3,
            webhook_configured: true,
            created_at: "2024-01-26T10:30:00Z".into(),
        };
        let v = accepted_envelope(&a);
        let keys: Vec<&str> = v["data"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "status", "estimatedCompletionTime", "queuePosition", "webhookConfigured", "createdAt"]);
        assert_eq!(v["success"], true);
        assert_eq!(v["message"], ACCEPTED_MESSAGE_WEBHOOK);
    }

    #[test]
    fn fingerprints_cover_file_and_options() {
        let o = parse_submission(&RawSubmission::default(), &policy()).unwrap();
        let a = submission_fingerprint(b"file", "a.png", &o);
        assert_eq!(a, submission_fingerprint(b"file", "a.png", &o));
        assert_ne!(a, submission_fingerprint(b"filf", "a.png", &o));
        assert_ne!(a, submission_fingerprint(b"file", "b.png", &o));
        let mut o2 = o.clone();
        o2.extract_tables = false;
        assert_ne!(a, submission_fingerprint(b"file", "a.png", &o2));
        let mut o3 = o.clone();
        o3.ocr_engine = OcrEngineChoice::Ppocr;
        assert_ne!(a, submission_fingerprint(b"file", "a.png", &o3));
        validate_idempotency_key("order-42/retry").unwrap();
        assert!(validate_idempotency_key("").is_err());
        assert!(validate_idempotency_key("has space").is_err());
    }

    #[test]
    fn list_queries_and_cursors() {
        let c = ListCursor { created_at_ms: 1_706_265_000_000, doc_id: "doc_abc123xyz456".into() };
        assert_eq!(ListCursor::decode(&c.encode()), Some(c.clone()));
        assert_eq!(ListCursor::decode("garbage!"), None);
        let q = parse_list_query([("status", "completed"), ("documentType", "invoice"), ("limit", "5"), ("cursor", c.encode().as_str())])
            .unwrap();
        assert_eq!(q.status, Some(DocumentStatus::Completed));
        assert_eq!(q.limit, 5);
        assert_eq!(q.cursor, Some(c));
        assert_eq!(parse_list_query([]).unwrap().limit, DEFAULT_LIST_LIMIT);
        for bad in [("status", "done"), ("limit", "0"), ("limit", "101"), ("cursor", "x"), ("documentType", "A B")] {
            assert!(parse_list_query([bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fixed_window_rate_limit() {
        let l = RateLimit { requests: 2, window_seconds: 10 };
        assert_eq!(rate_check(l, 1000, 0, 0), RateDecision::Allow { window_start_ms: 0, count: 1 });
        assert_eq!(rate_check(l, 2000, 0, 1), RateDecision::Allow { window_start_ms: 0, count: 2 });
        assert_eq!(rate_check(l, 2500, 0, 2), RateDecision::Deny { retry_after_seconds: 8 });
        assert_eq!(rate_check(l, 9999, 0, 2), RateDecision::Deny { retry_after_seconds: 1 });
        assert_eq!(rate_check(l, 10_000, 0, 2), RateDecision::Allow { window_start_ms: 10_000, count: 1 });
        // Giving back a count of the current window; a newer window keeps its own.
        assert_eq!(rate_give_back(0, 0, 2), 1);
        assert_eq!(rate_give_back(0, 0, 0), 0);
        assert_eq!(rate_give_back(0, 10_000, 1), 1);
    }

    #[test]
    fn outputs_option() {
        use crate::outputs::OutputName;
        let parse = |v: Option<&str>| parse_submission(&RawSubmission { outputs: v, ..Default::default() }, &policy());
        assert_eq!(parse(None).unwrap().outputs, vec![]);
        assert_eq!(parse(Some("text,hocr,text")).unwrap().outputs, vec![OutputName::Hocr, OutputName::Text]);
        assert_eq!(parse(Some("nope")).unwrap_err().code, ErrorCode::InvalidOutputs);
        // Not written when empty: fingerprints of requests without it are unchanged.
        assert!(serde_json::to_value(parse(None).unwrap()).unwrap().get("outputs").is_none());
        assert_eq!(serde_json::to_value(parse(Some("text")).unwrap()).unwrap()["outputs"], serde_json::json!(["text"]));
    }
}
