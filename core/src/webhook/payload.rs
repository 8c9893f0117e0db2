//! Event bodies, built once per event and sent byte for byte on every attempt.

use super::js_json::{MAX_SAFE_INTEGER, to_js_json};
use super::retry::Profile;
use super::veryfi;
use crate::document::{DocumentData, DocumentStatus};
use crate::error::{ApiError, ErrorCode};
use crate::time::{rfc3339, veryfi_datetime};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One event to deliver: what every attempt sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    pub profile: Profile,
    /// `document.completed`, `document.failed`, `document.created`, `webhooks.failed`.
    pub event: String,
    /// When the event happened, ISO 8601 to the second (`X-DocuRift-Timestamp`).
    pub timestamp: String,
    /// The exact body: JavaScript-form JSON (see [`super::js_json`]).
    pub body: String,
}

pub const DOCUMENT_COMPLETED: &str = "document.completed";
pub const DOCUMENT_FAILED: &str = "document.failed";
/// Veryfi's success event ("Success Webhook Post Request").
pub const DOCUMENT_CREATED: &str = "document.created";
/// Folio's admin digest of deliveries that failed for good.
pub const WEBHOOKS_FAILED: &str = "webhooks.failed";

/// Fields of DocuRift's webhook `data`, in the spec example's order; absent
/// ones are left out (a failed document has no `extractedData`). Fields the
/// document object has beyond the example (`fields`, `warnings`, `ocr`,
/// `createdAt`) are API-only; `outputs` (paths of the outputs asked for) is
/// sent too.
const DOCURIFT_DATA_FIELDS: &[&str] = &[
    "id",
    "organizationId",
    "fileName",
    "documentType",
    "status",
    "pagesProcessed",
    "confidence",
    "extractedData",
    "metadata",
    "processedAt",
    "error",
    // Folio's addition, present when outputs were asked for.
    "outputs",
];

/// DocuRift `document.completed` / `document.failed` for a document in a
/// final state: `{event, timestamp, data, callbackMetadata}` as the spec's
/// "Webhook Payload" shows, `callbackMetadata` echoed when the caller sent it.
/// `at_ms` (unix ms) is the event's `timestamp`.
pub fn docurift_event(doc: &DocumentData, callback_metadata: Option<&Map<String, Value>>, at_ms: i64) -> Result<WebhookEvent, ApiError> {
    let event = match doc.status {
        DocumentStatus::Completed => DOCUMENT_COMPLETED,
        DocumentStatus::Failed => DOCUMENT_FAILED,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!("Document {} is {}: webhooks are sent once it is completed or failed", doc.id, other.as_str()),
            ));
        }
    };
    let Value::Object(mut all) = serde_json::to_value(doc).expect("DocumentData serialises") else {
        unreachable!("DocumentData is a JSON object")
    };
    let data: Map<String, Value> = DOCURIFT_DATA_FIELDS.iter().filter_map(|&k| all.remove(k).map(|v| (k.to_string(), v))).collect();
    let timestamp = rfc3339(at_ms);
    let mut body = Map::new();
    body.insert("event".into(), event.into());
    body.insert("timestamp".into(), timestamp.clone().into());
    body.insert("data".into(), Value::Object(data));
    if let Some(meta) = callback_metadata {
        body.insert("callbackMetadata".into(), Value::Object(meta.clone()));
    }
    Ok(WebhookEvent { profile: Profile::Docurift, event: event.into(), timestamp, body: to_js_json(&Value::Object(body)) })
}

/// How a document ended, for a Veryfi event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VeryfiOutcome<'a> {
    Created,
    /// The failure reason; it is sanitised (see [`veryfi::sanitise_error`]).
    Failed(&'a str),
}

/// Veryfi `document.created` / `document.failed`:
/// `{"event": ..., "data": {"id": 123456789, "created": "2021-10-20 15:27:26"[, "error": "..."]}}`.
/// `id` must be a JavaScript-safe integer (at most 2^53 - 1), or the spec's
/// JavaScript verifier would read another number than Python's. Times are unix ms.
pub fn veryfi_event(id: u64, created_ms: i64, outcome: VeryfiOutcome<'_>, at_ms: i64) -> Result<WebhookEvent, ApiError> {
    check_veryfi_id(id)?;
    let (event, data) = match outcome {
        VeryfiOutcome::Created => (DOCUMENT_CREATED, json!({"id": id, "created": veryfi_datetime(created_ms)})),
        VeryfiOutcome::Failed(reason) => {
            (DOCUMENT_FAILED, json!({"id": id, "created": veryfi_datetime(created_ms), "error": veryfi::sanitise_error(reason)}))
        }
    };
    Ok(WebhookEvent {
        profile: Profile::Veryfi,
        event: event.into(),
        timestamp: rfc3339(at_ms),
        body: to_js_json(&json!({"event": event, "data": data})),
    })
}

/// The admin digest: `{"event": "webhooks.failed", "data": {"ids": [...], "created": "..."}}`,
/// listing the Veryfi document ids whose deliveries all failed (Veryfi's
/// "API Webhook Failed" e-mail, as a signed POST). Signed like a Veryfi
/// event: the data is integers and ASCII, so both verifiers agree.
pub fn admin_notification_event(failed_ids: &[u64], at_ms: i64) -> Result<WebhookEvent, ApiError> {
    if failed_ids.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidState, "An admin notification lists at least one document"));
    }
    failed_ids.iter().try_for_each(|&id| check_veryfi_id(id))?;
    let data = json!({"ids": failed_ids, "created": veryfi_datetime(at_ms)});
    Ok(WebhookEvent {
        profile: Profile::AdminNotification,
        event: WEBHOOKS_FAILED.into(),
        timestamp: rfc3339(at_ms),
        body: to_js_json(&json!({"event": WEBHOOKS_FAILED, "data": data})),
    })
}

fn check_veryfi_id(id: u64) -> Result<(), ApiError> {
    if id == 0 || id > MAX_SAFE_INTEGER {
        return Err(ApiError::new(
            ErrorCode::InternalError,
            format!("Veryfi document id {id} is outside 1..=2^53-1, which JavaScript receivers cannot read exactly"),
        ));
    }
    Ok(())
}

impl WebhookEvent {
    /// The parsed body's `data`, as a receiver sees it.
    pub fn data(&self) -> Result<Value, ApiError> {
        let mut body: Value = serde_json::from_str(&self.body)
            .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("Stored webhook body is not JSON: {e}")))?;
        Ok(body["data"].take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{ProcessingMetadata, ProcessingResult};

    /// 2024-01-26T10:32:15Z, the spec example's timestamp.
    fn at() -> i64 {
        1_706_265_135_000
    }

    /// 2021-10-20 15:27:26, the Veryfi example's `created`.
    const VERYFI_CREATED: i64 = 1_634_743_646_000;

    pub(crate) fn spec_document() -> DocumentData {
        let mut extracted = Map::new();
        extracted.insert("invoiceNumber".into(), "INV-2024-00456".into());
        extracted.insert("totalAmount".into(), json!(15750.00));
        extracted.insert("currency".into(), "USD".into());
        let result = ProcessingResult {
            document_type: "invoice".into(),
            pages_processed: 15,
            confidence: 0.94,
            extracted_data: extracted,
            fields: Map::from_iter([("totalAmount".to_string(), json!({"confidence": 0.9}))]),
            warnings: vec!["low contrast".into()],
            metadata: ProcessingMetadata { processing_time_ms: 45230, model_version: "v2.1.0".into(), ..Default::default() },
            ocr: None,
        };
        let mut d = DocumentData::completed("doc_abc123xyz456".into(), "large-invoice.pdf".into(), result, "2024-01-26T10:32:15Z".into());
        d.organization_id = Some("org_xyz789".into());
        d.created_at = Some("2024-01-26T10:30:00Z".into());
        d
    }

    #[test]
    fn docurift_completed_matches_the_spec_example() {
        let meta = json!({"internalId": "order-12345", "department": "accounts-payable"});
        let e = docurift_event(&spec_document(), meta.as_object(), at()).unwrap();
        // The spec's "Webhook Payload", compacted as JSON.stringify writes it.
        let spec_example = r#"{
          "event": "document.completed",
          "timestamp": "2024-01-26T10:32:15Z",
          "data": {
            "id": "doc_abc123xyz456",
            "organizationId": "org_xyz789",
            "fileName": "large-invoice.pdf",
            "documentType": "invoice",
            "status": "completed",
            "pagesProcessed": 15,
            "confidence": 0.94,
            "extractedData": {"invoiceNumber": "INV-2024-00456", "totalAmount": 15750.00, "currency": "USD"},
            "metadata": {"processingTimeMs": 45230, "modelVersion": "v2.1.0"},
            "processedAt": "2024-01-26T10:32:15Z"
          },
          "callbackMetadata": {"internalId": "order-12345", "department": "accounts-payable"}
        }"#;
        let expected = to_js_json(&serde_json::from_str(spec_example).unwrap());
        assert_eq!(e.body, expected);
        assert!(e.body.contains(r#""totalAmount":15750,"#), "{}", e.body);
        assert_eq!((e.event.as_str(), e.timestamp.as_str(), e.profile), (DOCUMENT_COMPLETED, "2024-01-26T10:32:15Z", Profile::Docurift));
    }

    #[test]
    fn docurift_failed_carries_the_error_and_no_results() {
        let d = DocumentData::failed(
            "doc_abc123xyz456".into(),
            "scan.pdf".into(),
            "invoice".into(),
            ApiError::new(ErrorCode::OcrFailed, "OCR failed on page 2"),
            "2024-01-26T10:32:15Z".into(),
        );
        let e = docurift_event(&d, None, at()).unwrap();
        assert_eq!(
            e.body,
            r#"{"event":"document.failed","timestamp":"2024-01-26T10:32:15Z","data":{"id":"doc_abc123xyz456","fileName":"scan.pdf","documentType":"invoice","status":"failed","processedAt":"2024-01-26T10:32:15Z","error":{"code":"OCR_FAILED","message":"OCR failed on page 2"}}}"#
        );
        assert_eq!(e.event, DOCUMENT_FAILED);
    }

    #[test]
    fn docurift_refuses_unfinished_documents() {
        let mut d = spec_document();
        d.status = DocumentStatus::Processing;
        assert_eq!(docurift_event(&d, None, at()).unwrap_err().code, ErrorCode::InvalidState);
    }

    #[test]
    fn callback_metadata_is_echoed_in_js_order() {
        let meta = json!({"z": 1.0, "10": "ten", "2": {"b": 1, "1": 2}, "s": "</script> \u{2028}"});
        let e = docurift_event(&spec_document(), meta.as_object(), at()).unwrap();
        let tail = &e.body[e.body.find("\"callbackMetadata\"").unwrap()..];
        assert_eq!(tail, "\"callbackMetadata\":{\"2\":{\"1\":2,\"b\":1},\"10\":\"ten\",\"z\":1,\"s\":\"</script> \u{2028}\"}}");
    }

    #[test]
    fn veryfi_events_match_the_spec() {
        let created = VERYFI_CREATED;
        let ok = veryfi_event(123456789, created, VeryfiOutcome::Created, at()).unwrap();
        assert_eq!(ok.body, r#"{"event":"document.created","data":{"id":123456789,"created":"2021-10-20 15:27:26"}}"#);
        assert_eq!(ok.profile, Profile::Veryfi);
        let failed = veryfi_event(123456789, created, VeryfiOutcome::Failed("Plugin \"x\" crashed, sorry"), at()).unwrap();
        assert_eq!(
            failed.body,
            r#"{"event":"document.failed","data":{"id":123456789,"created":"2021-10-20 15:27:26","error":"Plugin `x` crashed; sorry"}}"#
        );
        assert_eq!(
            veryfi::signing_string(&failed.data().unwrap()).unwrap(),
            "{'id': 123456789, 'created': '2021-10-20 15:27:26', 'error': 'Plugin `x` crashed; sorry'}"
        );
        assert!(veryfi_event(0, created, VeryfiOutcome::Created, at()).is_err());
        assert!(veryfi_event(MAX_SAFE_INTEGER + 1, created, VeryfiOutcome::Created, at()).is_err());
        veryfi_event(MAX_SAFE_INTEGER, created, VeryfiOutcome::Created, at()).unwrap();
    }

    #[test]
    fn admin_notification_lists_ids() {
        let e = admin_notification_event(&[5, 3], at()).unwrap();
        assert_eq!(e.body, r#"{"event":"webhooks.failed","data":{"ids":[5,3],"created":"2024-01-26 10:32:15"}}"#);
        assert_eq!(veryfi::signing_string(&e.data().unwrap()).unwrap(), "{'ids': [5, 3], 'created': '2024-01-26 10:32:15'}");
        assert!(admin_notification_event(&[], at()).is_err());
    }
}
