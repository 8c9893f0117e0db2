//! Messages between the edge and processing hosts (the internal API, JSON
//! over HTTPS, `Authorization: Bearer <HOST_TOKEN>`):
//!
//! | step      | request                                          | answer                    |
//! |-----------|--------------------------------------------------|---------------------------|
//! | lease     | `POST /internal/v1/leases` [`LeaseRequest`]      | 200 [`Lease`] or 204      |
//! | file      | `GET  /internal/v1/leases/{leaseId}/file`        | the uploaded bytes        |
//! | heartbeat | `POST /internal/v1/leases/{leaseId}/heartbeat`   | [`HeartbeatResponse`]     |
//! | artifact  | `PUT  /internal/v1/leases/{leaseId}/artifacts/{name}` raw body, `Content-Type` | [`ArtifactStored`] |
//! | complete  | `POST /internal/v1/leases/{leaseId}/complete` [`CompleteRequest`] | [`LeaseOutcome`] |
//! | fail      | `POST /internal/v1/leases/{leaseId}/fail` [`FailRequest`]         | [`LeaseOutcome`] |
//!
//! A lease is valid until its `deadline`; heartbeats push the deadline out.
//! An expired lease goes back to the queue; after `maxAttempts` attempts the
//! document fails with `PROCESSING_FAILED`. Errors use the usual envelope;
//! a lost lease answers `LEASE_LOST` (409) and the host drops the job.

use crate::document::ProcessingResult;
use crate::error::{ApiError, ErrorCode};
use crate::filetype::FileKind;
use crate::outputs::OutputName;
use serde::{Deserialize, Serialize};

/// Longest long-poll a host may ask for.
pub const MAX_LEASE_WAIT_SECONDS: u32 = 30;

/// `POST /internal/v1/leases`: ask for the next job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRequest {
    /// A stable name for the host (for logs and the active-host count that
    /// feeds `estimatedCompletionTime`).
    pub host_id: String,
    /// Long-poll: wait up to this many seconds for a job (0 = answer at once;
    /// capped at [`MAX_LEASE_WAIT_SECONDS`]).
    #[serde(default)]
    pub wait_seconds: u32,
    /// Only lease documents of these types (the host's installed extractors).
    /// Empty = any type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub document_types: Vec<String>,
    /// Every document type the host's plugins serve, each with the plugin
    /// that serves it: the edge accepts submissions of these types as well
    /// as its configured `DOCUMENT_TYPES`, so a third-party plugin's type
    /// works through the API once a host runs it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<ServedType>,
}

/// A document type a host serves, and with which plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServedType {
    pub document_type: String,
    pub plugin: String,
    pub version: String,
}

/// The most types one host may report (the rest are ignored).
pub const MAX_SERVED_TYPES: usize = 64;

impl ServedType {
    /// A type name the API would accept: 1 to 64 of `[a-z0-9_-]`.
    pub fn is_valid_name(t: &str) -> bool {
        (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    }
}

/// Which OCR engine reads the pages: the submission option `ocrEngine`
/// (DocuRift form) / `ocr_engine` (Veryfi JSON), carried to the host in
/// [`JobOptions::ocr_engine`]. `auto` lets the host pick per page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrEngineChoice {
    /// The host picks per page: a receipt is kept from Tesseract where it is
    /// sure of the page, else read by PP-OCR; other documents, and languages
    /// PP-OCR cannot read, by Tesseract.
    #[default]
    Auto,
    Tesseract,
    Ppocr,
}

impl OcrEngineChoice {
    /// Every choice, in the order the API documents them.
    pub const ALL: [OcrEngineChoice; 3] = [OcrEngineChoice::Auto, OcrEngineChoice::Tesseract, OcrEngineChoice::Ppocr];

    /// The wire name: `auto`, `tesseract` or `ppocr`.
    pub fn as_str(self) -> &'static str {
        match self {
            OcrEngineChoice::Auto => "auto",
            OcrEngineChoice::Tesseract => "tesseract",
            OcrEngineChoice::Ppocr => "ppocr",
        }
    }

    /// `true` for the default (lets stored options omit it).
    pub fn is_auto(&self) -> bool {
        *self == OcrEngineChoice::Auto
    }
}

impl std::fmt::Display for OcrEngineChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OcrEngineChoice {
    type Err = ApiError;

    /// Case-insensitive, surrounding whitespace ignored; anything else is
    /// `INVALID_REQUEST` naming the value and the accepted ones.
    fn from_str(s: &str) -> Result<Self, ApiError> {
        let wanted = s.trim();
        OcrEngineChoice::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(wanted)).ok_or_else(|| {
            let accepted: Vec<&str> = OcrEngineChoice::ALL.iter().map(|c| c.as_str()).collect();
            ApiError::new(ErrorCode::InvalidRequest, format!("Invalid OCR engine {s:?}: accepted values are {}", accepted.join(", ")))
        })
    }
}

/// Processing options chosen at submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOptions {
    pub document_type: String,
    /// ISO 639-1 code.
    pub language: String,
    pub extract_tables: bool,
    /// Always sent; messages from edges before this option parse as `auto`.
    #[serde(default)]
    pub ocr_engine: OcrEngineChoice,
    /// Outputs to make and upload (`PUT .../artifacts/{name}`) before `complete`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputName>,
}

/// Where and what the uploaded file is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFile {
    /// Absolute URL of `GET /internal/v1/leases/{leaseId}/file` (host token required).
    pub url: String,
    pub size: u64,
    pub kind: FileKind,
    pub file_name: String,
}

/// `200` answer to a lease request: one job, exclusively the host's until `deadline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub lease_id: String,
    pub doc_id: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_attempts: u32,
    /// RFC 3339; heartbeat before it or lose the job.
    pub deadline: String,
    /// How far each heartbeat pushes the deadline.
    pub lease_seconds: u32,
    pub options: JobOptions,
    pub file: JobFile,
}

/// Answer to a heartbeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResponse {
    pub lease_id: String,
    pub deadline: String,
}

/// `pages`: the document's true page count, reported before any page is
/// processed so the edge can re-admit it (credits, the plan's page cap).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PagesRequest {
    pub pages: u32,
}

/// `complete`: the result, exactly as the public `data` object will show it,
/// and the outputs uploaded for it (each must have been uploaded under this
/// document; the document then lists exactly these).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    pub result: ProcessingResult,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputName>,
}

/// `fail`: why processing failed. `retryable` failures (a crashed host, a
/// transient error) go back to the queue while attempts remain; others
/// (corrupt file, plugin error) fail the document at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailRequest {
    pub error: ApiError,
    #[serde(default)]
    pub retryable: bool,
}

/// Answer to an artifact upload (see [`crate::outputs::Artifact`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactStored {
    pub doc_id: String,
    pub name: String,
    pub size: u64,
}

/// What became of the document after `complete` or `fail`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseOutcome {
    pub doc_id: String,
    /// `completed`, `failed`, or `queued` (a retryable failure with attempts left).
    pub status: crate::DocumentStatus,
}

/// Lease ids name their document and attempt (`{docId}.{attempt}.{random}`),
/// so any edge instance can route a host's call without a lookup table.
pub fn lease_id(doc_id: &str, attempt: u32, random: &str) -> String {
    format!("{doc_id}.{attempt}.{random}")
}

/// Splits a lease id into `(doc_id, attempt)`; `None` if it is not one.
pub fn parse_lease_id(lease_id: &str) -> Option<(&str, u32)> {
    let mut parts = lease_id.split('.');
    let (doc, attempt, random) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !crate::ids::is_document_id(doc) || random.is_empty() {
        return None;
    }
    if !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let attempt: u32 = attempt.parse().ok().filter(|a| *a >= 1)?;
    Some((doc, attempt))
}

/// The shortest time one document is assumed to take in the estimate.
pub const MIN_ROUND_MS: u64 = 1000;

/// Estimated processing-time model behind `estimatedCompletionTime`:
/// the jobs ahead are shared by the active hosts, each taking the recent
/// average time, then this one takes one more average.
pub fn estimate_completion_ms(
    now_ms: i64,
    jobs_ahead: u64,
    active_hosts: u32,
    recent_durations_ms: &[u64],
    default_duration_ms: u64,
) -> i64 {
    let avg = if recent_durations_ms.is_empty() {
        default_duration_ms
    } else {
        recent_durations_ms.iter().sum::<u64>() / recent_durations_ms.len() as u64
    }
    // Timestamps have second precision; a floor of one second per round
    // keeps the estimate in the future and growing with the queue's depth.
    .max(MIN_ROUND_MS);
    let hosts = active_hosts.max(1) as u64;
    // Rounds up: 3 jobs ahead on 2 hosts is 2 rounds before this one starts.
    let rounds_ahead = jobs_ahead.div_ceil(hosts);
    now_ms + ((rounds_ahead + 1) * avg) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ids_round_trip() {
        let id = lease_id("doc_abc123xyz456", 2, "k3j4h5");
        assert_eq!(id, "doc_abc123xyz456.2.k3j4h5");
        assert_eq!(parse_lease_id(&id), Some(("doc_abc123xyz456", 2)));
        for bad in [
            "",
            "doc_abc123xyz456",
            "doc_abc123xyz456.0.x",
            "doc_abc123xyz456.1.",
            "x.1.y",
            "doc_abc123xyz456.1.a.b",
            "doc_abc123xyz456.1.a/b",
        ] {
            assert_eq!(parse_lease_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn messages_use_camel_case() {
        let req: LeaseRequest = serde_json::from_str(r#"{"hostId":"h1","waitSeconds":5,"documentTypes":["invoice"]}"#).unwrap();
        assert_eq!(req.wait_seconds, 5);
        let minimal: LeaseRequest = serde_json::from_str(r#"{"hostId":"h1"}"#).unwrap();
        assert_eq!(minimal.wait_seconds, 0);
        let fail: FailRequest = serde_json::from_str(r#"{"error":{"code":"OCR_FAILED","message":"engine crashed"}}"#).unwrap();
        assert_eq!(fail.error.code, ErrorCode::OcrFailed);
        assert!(!fail.retryable);
        let lease = Lease {
            lease_id: "doc_abc123xyz456.1.r".into(),
            doc_id: "doc_abc123xyz456".into(),
            attempt: 1,
            max_attempts: 3,
            deadline: "2024-01-26T10:35:00Z".into(),
            lease_seconds: 60,
            options: JobOptions {
                document_type: "invoice".into(),
                language: "en".into(),
                extract_tables: true,
                ocr_engine: OcrEngineChoice::Ppocr,
                outputs: vec![OutputName::Hocr],
            },
            file: JobFile { url: "https://e/x".into(), size: 10, kind: FileKind::Png, file_name: "a.png".into() },
        };
        let v = serde_json::to_value(&lease).unwrap();
        assert_eq!(v["leaseId"], "doc_abc123xyz456.1.r");
        assert_eq!(v["options"]["extractTables"], true);
        assert_eq!(v["options"]["ocrEngine"], "ppocr");
        assert_eq!(v["file"]["kind"], "png");
        assert_eq!(v["file"]["fileName"], "a.png");
        let back: Lease = serde_json::from_value(v).unwrap();
        assert_eq!(back, lease);
    }

    #[test]
    fn ocr_engine_choices_parse() {
        assert_eq!("auto".parse::<OcrEngineChoice>().unwrap(), OcrEngineChoice::Auto);
        assert_eq!("PPOCR".parse::<OcrEngineChoice>().unwrap(), OcrEngineChoice::Ppocr);
        assert_eq!("tesseract".parse::<OcrEngineChoice>().unwrap(), OcrEngineChoice::Tesseract);
        assert_eq!(" Tesseract\n".parse::<OcrEngineChoice>().unwrap(), OcrEngineChoice::Tesseract);
        for c in OcrEngineChoice::ALL {
            assert_eq!(c.as_str().parse::<OcrEngineChoice>().unwrap(), c);
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(serde_json::from_value::<OcrEngineChoice>(c.as_str().into()).unwrap(), c);
        }
        assert_eq!(OcrEngineChoice::default(), OcrEngineChoice::Auto);
        for bad in ["foo", "", "pp-ocr", "auto,ppocr"] {
            let e = bad.parse::<OcrEngineChoice>().unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{bad:?}");
            assert_eq!(e.http_status(), 400);
            assert!(e.message.contains(&format!("{bad:?}")), "{}", e.message);
            assert!(e.message.ends_with("accepted values are auto, tesseract, ppocr"), "{}", e.message);
        }
        let e = "foo".parse::<OcrEngineChoice>().unwrap_err();
        assert_eq!(e.message, "Invalid OCR engine \"foo\": accepted values are auto, tesseract, ppocr");
    }

    #[test]
    fn job_options_without_ocr_engine_default_to_auto() {
        // A message from an edge that predates the option.
        let old: JobOptions = serde_json::from_str(r#"{"documentType":"receipt","language":"en","extractTables":false}"#).unwrap();
        assert_eq!(old.ocr_engine, OcrEngineChoice::Auto);
        // Always sent, even when it is the default.
        assert_eq!(serde_json::to_value(&old).unwrap()["ocrEngine"], "auto");
        let new: JobOptions =
            serde_json::from_str(r#"{"documentType":"receipt","language":"en","extractTables":false,"ocrEngine":"ppocr"}"#).unwrap();
        assert_eq!(new.ocr_engine, OcrEngineChoice::Ppocr);
        // The wire form is lowercase only; lenient parsing is for submissions.
        assert!(serde_json::from_str::<OcrEngineChoice>(r#""PPOCR""#).is_err());
    }

    #[test]
    fn completion_estimate() {
        // Nothing ahead, no history: one default duration.
        assert_eq!(estimate_completion_ms(1000, 0, 0, &[], 5000), 6000);
        // 3 ahead on 2 hosts: 2 rounds, then ours, at the mean of 2s and 4s.
        assert_eq!(estimate_completion_ms(0, 3, 2, &[2000, 4000], 5000), 9000);
        assert_eq!(estimate_completion_ms(0, 4, 1, &[1000], 5000), 5000);
        // Very fast recent documents still count one second per round.
        assert_eq!(estimate_completion_ms(0, 2, 1, &[5, 7], 5000), 3000);
    }
}
