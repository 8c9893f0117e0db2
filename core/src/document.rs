//! The public document object: what DocuRift returns under `data` for
//! `GET /v1/documents/{id}`, what `document.completed` webhooks carry, and
//! what `folio process` prints. Defined once here; the host fills the
//! processing part ([`ProcessingResult`]) and the edge the rest.

use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Lifecycle of a document. The spec's submission response uses `queued` and
/// `processing`; polling ends at `completed` or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    Queued,
    Processing,
    Completed,
    Failed,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Queued => "queued",
            DocumentStatus::Processing => "processing",
            DocumentStatus::Completed => "completed",
            DocumentStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => DocumentStatus::Queued,
            "processing" => DocumentStatus::Processing,
            "completed" => DocumentStatus::Completed,
            "failed" => DocumentStatus::Failed,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, DocumentStatus::Completed | DocumentStatus::Failed)
    }
}

/// `metadata` of a processed document: `{"processingTimeMs": 45230, "modelVersion": "v2.1.0"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingMetadata {
    pub processing_time_ms: u64,
    pub model_version: String,
    /// How each page was read (Folio's addition; absent in results stored before it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PageMetadata>,
    /// ISO 639-1 code of the language `language=auto` detected (Folio's
    /// addition; absent for explicit languages and in older results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_language: Option<String>,
}

/// How one page was read: from the PDF's text layer, or by which OCR engine
/// and model, after turning it upright by `rotation` degrees clockwise.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageMetadata {
    /// 1-based.
    pub page: u32,
    /// `ocr` or `pdf-text-layer`.
    pub source: String,
    /// `tesseract` or `ppocr` (OCR'd pages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_engine: Option<String>,
    /// The engine's model, e.g. `tesseract-5.3.0-wasm/eng` or `ppocr-v4-rten-0.27`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Clockwise turn applied before OCR: 0, 90, 180 or 270.
    #[serde(default)]
    pub rotation: u32,
    /// The upright page's size in the units of `fields[].bbox` (pixels of the
    /// page as read: the OCR raster, or the text layer at 300 DPI), so a
    /// viewer can scale boxes onto any rendering of the page. Absent in
    /// results stored before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
}

/// Per-field detail kept beside the flat `extractedData` values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDetail {
    pub confidence: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    /// `[left, top, width, height]` in page pixels.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bbox: Option<[f64; 4]>,
}

/// What the host produces for one document and posts back to the edge.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingResult {
    pub document_type: String,
    pub pages_processed: u32,
    pub confidence: f64,
    /// Flat camelCase keys with plain JSON values, DocuRift style.
    pub extracted_data: Map<String, Value>,
    /// Confidence and source box per key of `extracted_data`.
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub metadata: ProcessingMetadata,
    /// OCR output per page, only when asked for (`--include-ocr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<Value>,
}

/// The `data` object of a document, in DocuRift's field order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentData {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organization_id: Option<String>,
    pub file_name: String,
    pub document_type: String,
    pub status: DocumentStatus,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pages_processed: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub extracted_data: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fields: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metadata: Option<ProcessingMetadata>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub processed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ApiError>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ocr: Option<Value>,
    /// How it arrived: `api` (DocuRift), `veryfi` or `email`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// The message an `email` document came in.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<EmailOrigin>,
    /// The outputs asked for at submission that exist, with their API paths
    /// (completed documents that asked for any; Folio's addition).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub outputs: Option<Vec<crate::outputs::OutputLink>>,
}

/// The e-mail a document was attached to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailOrigin {
    /// The envelope sender (the address the allowlist admitted).
    pub from: String,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_id: Option<String>,
}

impl DocumentData {
    /// A completed document from a host result.
    pub fn completed(id: String, file_name: String, result: ProcessingResult, processed_at: String) -> Self {
        Self {
            id,
            organization_id: None,
            file_name,
            document_type: result.document_type,
            status: DocumentStatus::Completed,
            pages_processed: Some(result.pages_processed),
            confidence: Some(result.confidence),
            extracted_data: Some(result.extracted_data),
            fields: Some(result.fields),
            warnings: result.warnings,
            metadata: Some(result.metadata),
            processed_at: Some(processed_at),
            error: None,
            created_at: None,
            ocr: result.ocr,
            source: None,
            email: None,
            outputs: None,
        }
    }

    /// A failed document.
    pub fn failed(id: String, file_name: String, document_type: String, error: ApiError, processed_at: String) -> Self {
        Self {
            id,
            organization_id: None,
            file_name,
            document_type,
            status: DocumentStatus::Failed,
            pages_processed: None,
            confidence: None,
            extracted_data: None,
            fields: None,
            warnings: Vec::new(),
            metadata: None,
            processed_at: Some(processed_at),
            error: Some(error),
            created_at: None,
            ocr: None,
            source: None,
            email: None,
            outputs: None,
        }
    }
}

/// Document types are plugin-defined identifiers: lowercase ASCII letters,
/// digits, `-` and `_`, starting with a letter, at most 64 bytes.
pub fn validate_document_type(s: &str) -> Result<(), ApiError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidDocumentType,
            format!("Invalid documentType {s:?}: use a lowercase identifier such as invoice, receipt or generic"),
        ))
    }
}

/// The first-party document types.
pub const BUILTIN_DOCUMENT_TYPES: &[&str] = &["invoice", "receipt", "generic"];

/// The default document type (spec: "Default: generic").
pub const DEFAULT_DOCUMENT_TYPE: &str = "generic";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_document_serialises_in_spec_shape() {
        let mut extracted = Map::new();
        extracted.insert("invoiceNumber".into(), Value::from("INV-2024-00456"));
        extracted.insert("totalAmount".into(), Value::from(15750.0));
        extracted.insert("currency".into(), Value::from("USD"));
        let r = ProcessingResult {
            document_type: "invoice".into(),
            pages_processed: 15,
            confidence: 0.94,
            extracted_data: extracted,
            metadata: ProcessingMetadata { processing_time_ms: 45230, model_version: "v2.1.0".into(), ..Default::default() },
            ..Default::default()
        };
        let d = DocumentData::completed("doc_abc123xyz456".into(), "large-invoice.pdf".into(), r, "2024-01-26T10:32:15Z".into());
        let v = serde_json::to_value(&d).unwrap();
        for key in ["id", "fileName", "documentType", "status", "pagesProcessed", "confidence", "extractedData", "metadata", "processedAt"]
        {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["status"], "completed");
        assert_eq!(v["metadata"]["processingTimeMs"], 45230);
        assert_eq!(v["metadata"]["modelVersion"], "v2.1.0");
        assert!(v.get("error").is_none());
    }

    #[test]
    fn document_types() {
        for ok in ["invoice", "receipt", "generic", "purchase-order", "w2_form"] {
            validate_document_type(ok).unwrap();
        }
        for bad in ["", "Invoice", "1abc", "a b", "x".repeat(65).as_str()] {
            assert_eq!(validate_document_type(bad).unwrap_err().code, ErrorCode::InvalidDocumentType);
        }
    }
}
