//! Error codes and the error envelope shared by every Folio surface.
//!
//! The DocuRift spec fixes the envelope and the first six codes:
//! `{"success": false, "error": {"code": "INVALID_WEBHOOK_URL", "message": "..."}}`
//! with `INVALID_FILE_TYPE` 400, `INVALID_WEBHOOK_URL` 400, `FILE_TOO_LARGE` 413,
//! `INVALID_API_KEY` 401, `INSUFFICIENT_CREDITS` 402, `RATE_LIMIT_EXCEEDED` 429.
//! Everything else follows the same shape.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $status:literal), )*) => {
        /// Every error code Folio can answer with, and its HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The wire name, e.g. `INVALID_FILE_TYPE`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status an API response with this code carries.
            pub fn http_status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            pub fn parse(s: &str) -> Option<ErrorCode> {
                match s { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    // --- From the DocuRift spec's error table.
    /// Unsupported file format (decided by magic bytes, never by name).
    InvalidFileType = ("INVALID_FILE_TYPE", 400),
    /// Webhook URL is not HTTPS or not public.
    InvalidWebhookUrl = ("INVALID_WEBHOOK_URL", 400),
    /// File exceeds the 50 MB limit.
    FileTooLarge = ("FILE_TOO_LARGE", 413),
    /// API key invalid, unknown or revoked.
    InvalidApiKey = ("INVALID_API_KEY", 401),
    /// Not enough credits (pages) for the estimated page count.
    InsufficientCredits = ("INSUFFICIENT_CREDITS", 402),
    /// Too many requests for this key; see `Retry-After`.
    RateLimitExceeded = ("RATE_LIMIT_EXCEEDED", 429),

    // --- Request validation beyond the spec's table.
    /// The request is malformed (not multipart, bad JSON, missing `file`).
    InvalidRequest = ("INVALID_REQUEST", 400),
    /// The file is of a supported type but truncated or corrupt.
    InvalidFile = ("INVALID_FILE", 400),
    /// The PDF needs a password.
    PdfEncrypted = ("PDF_ENCRYPTED", 400),
    /// The document has more pages than Folio accepts.
    TooManyPages = ("TOO_MANY_PAGES", 400),
    /// `documentType` names no installed extractor.
    InvalidDocumentType = ("INVALID_DOCUMENT_TYPE", 400),
    /// `language` is not ISO 639-1 or has no installed OCR model.
    UnsupportedLanguage = ("UNSUPPORTED_LANGUAGE", 400),
    /// `priority` is not `normal` or `high`.
    InvalidPriority = ("INVALID_PRIORITY", 400),
    /// `priority=high` on a plan that does not include it.
    PriorityNotAllowed = ("PRIORITY_NOT_ALLOWED", 403),
    /// `callbackMetadata` is not a JSON object (or is too large).
    InvalidCallbackMetadata = ("INVALID_CALLBACK_METADATA", 400),
    /// `extractTables` is not a boolean.
    InvalidExtractTables = ("INVALID_EXTRACT_TABLES", 400),
    /// `outputs` names an output Folio does not make (the message lists the valid ones).
    InvalidOutputs = ("INVALID_OUTPUTS", 400),
    /// The document has no such output: not asked for at submission, not made yet, or unknown.
    OutputNotFound = ("OUTPUT_NOT_FOUND", 404),
    /// A host's output upload is larger than a document may store.
    OutputTooLarge = ("OUTPUT_TOO_LARGE", 413),
    /// The same `Idempotency-Key` was reused with a different request.
    IdempotencyConflict = ("IDEMPOTENCY_CONFLICT", 409),
    /// The key is valid but its role may not do this (e.g. a member changing webhook settings).
    Forbidden = ("FORBIDDEN", 403),
    /// No such document in the caller's organisation.
    DocumentNotFound = ("DOCUMENT_NOT_FOUND", 404),
    /// The document exists but has no preview image of this page (yet):
    /// PDF and TIFF pages until the host stores previews, or no such page.
    PreviewNotAvailable = ("PREVIEW_NOT_AVAILABLE", 404),
    /// No such route.
    NotFound = ("NOT_FOUND", 404),
    /// The route exists but not with this method.
    MethodNotAllowed = ("METHOD_NOT_ALLOWED", 405),
    /// The document is not in a state that allows this (e.g. redeliver before completion).
    InvalidState = ("INVALID_STATE", 409),

    // --- Processing failures (reported in `data.error` and `document.failed`).
    /// OCR failed on a page (engine error, deadline, memory cap).
    OcrFailed = ("OCR_FAILED", 500),
    /// The extractor plugin trapped, timed out, ran out of memory or returned invalid output.
    PluginFailed = ("PLUGIN_FAILED", 500),
    /// Processing was attempted the maximum number of times without finishing.
    ProcessingFailed = ("PROCESSING_FAILED", 500),

    // --- Infrastructure.
    /// Host token missing or wrong on the internal API.
    InvalidHostToken = ("INVALID_HOST_TOKEN", 401),
    /// The lease is unknown, expired or held by another host.
    LeaseLost = ("LEASE_LOST", 409),
    /// A bug or an unavailable dependency.
    InternalError = ("INTERNAL_ERROR", 500),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"code": "...", "message": "..."}`: the inner error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The full envelope: `{"success": false, "error": {...}}`.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope { success: false, error: self.clone() }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.envelope()).expect("error envelope serialises")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub success: bool,
    pub error: ApiError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_error_table_statuses() {
        // DocuRift "Error Codes Reference" table, verbatim.
        let table = [
            ("INVALID_FILE_TYPE", 400),
            ("INVALID_WEBHOOK_URL", 400),
            ("FILE_TOO_LARGE", 413),
            ("INVALID_API_KEY", 401),
            ("INSUFFICIENT_CREDITS", 402),
            ("RATE_LIMIT_EXCEEDED", 429),
        ];
        for (code, status) in table {
            let c = ErrorCode::parse(code).unwrap();
            assert_eq!(c.http_status(), status, "{code}");
            assert_eq!(c.as_str(), code);
        }
    }

    #[test]
    fn envelope_matches_spec_shape() {
        // Spec, 400 Bad Request:
        // {"success": false, "error": {"code": "INVALID_WEBHOOK_URL", "message": "Webhook URL must be HTTPS and publicly accessible"}}
        let e = ApiError::new(ErrorCode::InvalidWebhookUrl, "Webhook URL must be HTTPS and publicly accessible");
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"success": false, "error": {"code": "INVALID_WEBHOOK_URL", "message": "Webhook URL must be HTTPS and publicly accessible"}})
        );
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
    }
}
