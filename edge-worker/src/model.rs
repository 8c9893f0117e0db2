//! Records the worker stores, and where:
//!
//! | what                         | where                                  |
//! |------------------------------|----------------------------------------|
//! | uploaded bytes               | R2 `files/{orgId}/{docId}`             |
//! | outputs, previews (artifacts)| R2 `artifacts/{orgId}/{docId}/{name}` (`folio_core::outputs`) |
//! | API key -> org, role, profile| KV `apikey:{sha256(key)}` ([`KeyRecord`]) |
//! | Veryfi client id -> org      | KV `veryfi:{clientId}` ([`VeryfiClientRecord`]) |
//! | document snapshot (reads)    | KV `doc:{orgId}:{docId}` ([`DocumentSnapshot`]), written by the Document DO |
//! | document state (authority)   | Document DO `docId` ([`DocumentRecord`]) |
//! | plan, credits, keys, rate windows, idempotency, list index, Veryfi ids, account webhooks | Account DO `orgId` |
//! | job queue and leases         | Queue DO `shard` (one shard: `global`) |

use folio_core::api::SubmissionOptions;
use folio_core::outputs::{OutputLink, OutputName};
use folio_core::{ApiError, DocumentData, DocumentStatus, FileKind, ProcessingResult};
use serde::{Deserialize, Serialize};

/// What a key may do. Only admins change account settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

/// Live or sandbox: Veryfi's "Dev profiles aka sandbox have separate api
/// keys hence can have a different webhook URL in the settings".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Live,
    Sandbox,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Live, Profile::Sandbox];
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "live" => Some(Profile::Live),
            "sandbox" => Some(Profile::Sandbox),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Live => "live",
            Profile::Sandbox => "sandbox",
        }
    }
}

/// KV `apikey:{sha256(key)}`. The key itself is never stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    pub key_id: String,
    pub org_id: String,
    pub role: Role,
    pub profile: Profile,
}

/// KV `veryfi:{clientId}`: a Veryfi credential set of one profile. The
/// client secret is an HMAC key (request signatures, Veryfi webhooks), so it
/// is kept as issued.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VeryfiClientRecord {
    pub client_id: String,
    pub client_secret: String,
    pub org_id: String,
    /// The `username` of `AUTHORIZATION: apikey username:key` (the org slug).
    pub username: String,
    pub profile: Profile,
}

/// Which API a document came in through (decides the webhook format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Docurift,
    Veryfi,
    /// An attachment of a message to the organisation's inbox (`inbox`).
    Email,
}

impl Source {
    /// The document's `source` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Docurift => "api",
            Source::Veryfi => "veryfi",
            Source::Email => "email",
        }
    }
}

/// Side effects of reaching a final state, retried by the Document DO's
/// alarm until each has succeeded once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingEffects {
    /// Write the final state to the KV snapshot reads use.
    #[serde(default)]
    pub snapshot: bool,
    /// Settle (completed) or refund (failed) the reserved credits, update the list index.
    pub account: bool,
    /// Hand the document to webhook delivery (`webhooks::document_finished`).
    pub webhook: bool,
}

impl PendingEffects {
    /// Everything a final state owes.
    pub fn all() -> PendingEffects {
        PendingEffects { snapshot: true, account: true, webhook: true }
    }

    pub fn any(&self) -> bool {
        self.snapshot || self.account || self.webhook
    }
}

/// The Document DO's state: everything known about one document.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRecord {
    pub id: String,
    pub org_id: String,
    pub key_id: String,
    pub profile: Profile,
    pub source: Source,
    /// The message an e-mailed document came in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<folio_core::document::EmailOrigin>,
    /// The numeric id Veryfi clients use.
    pub veryfi_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub file_name: String,
    pub file_kind: FileKind,
    pub file_size: u64,
    /// R2 key of the bytes.
    pub file_key: String,
    /// Submission options, including `webhookUrl`, `webhookSecret` and
    /// `callbackMetadata` for webhook delivery.
    pub options: SubmissionOptions,
    /// Pages reserved at upload.
    pub estimated_pages: u32,
    pub status: DocumentStatus,
    /// Attempts started so far.
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ProcessingResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    #[serde(default)]
    pub pending: PendingEffects,
    /// Artifacts the host uploaded under this document (any attempt): what
    /// `complete` may list and what deleting the document removes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<StoredArtifact>,
    /// The outputs the completion listed (each one uploaded): `data.outputs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputName>,
}

/// One uploaded artifact (`folio_core::outputs::Artifact` by name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredArtifact {
    pub name: String,
    pub size: u64,
}

/// Who and what a new document is, before admission.
pub struct NewDocument {
    pub id: String,
    pub org_id: String,
    /// The submitting key, or `inbox:{profile}` for e-mailed documents.
    pub key_id: String,
    pub profile: Profile,
    pub source: Source,
    pub email: Option<folio_core::document::EmailOrigin>,
    pub external_id: Option<String>,
    pub file_name: String,
    pub file_kind: FileKind,
    pub file_size: u64,
    pub options: SubmissionOptions,
    pub estimated_pages: u32,
}

impl DocumentRecord {
    /// The record of a document about to be admitted (queued, attempt 0,
    /// its file at [`file_r2_key`]; the Veryfi id comes with the admission).
    pub fn new(d: NewDocument, now_ms: i64) -> DocumentRecord {
        DocumentRecord {
            file_key: file_r2_key(&d.org_id, &d.id),
            id: d.id,
            org_id: d.org_id,
            key_id: d.key_id,
            profile: d.profile,
            source: d.source,
            email: d.email,
            veryfi_id: 0,
            external_id: d.external_id,
            file_name: d.file_name,
            file_kind: d.file_kind,
            file_size: d.file_size,
            options: d.options,
            estimated_pages: d.estimated_pages,
            status: DocumentStatus::Queued,
            attempt: 0,
            lease_id: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            processed_at_ms: None,
            result: None,
            error: None,
            pending: PendingEffects::default(),
            artifacts: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// `data.outputs`: the completion's outputs with their paths and sizes.
    pub fn output_links(&self) -> Option<Vec<OutputLink>> {
        if self.status != DocumentStatus::Completed || self.outputs.is_empty() {
            return None;
        }
        let size = |o: OutputName| self.artifacts.iter().find(|a| a.name == o.as_str()).map_or(0, |a| a.size);
        Some(self.outputs.iter().map(|o| OutputLink::new(&self.id, &self.file_name, *o, size(*o))).collect())
    }

    /// Bytes of all stored artifacts.
    pub fn artifact_bytes(&self) -> u64 {
        self.artifacts.iter().map(|a| a.size).sum()
    }

    /// The public `data` object (DocuRift shape).
    pub fn data(&self) -> DocumentData {
        let processed_at = self.processed_at_ms.map(folio_core::time::rfc3339);
        let mut d = match (self.status, &self.result, &self.error) {
            (DocumentStatus::Completed, Some(result), _) => {
                DocumentData::completed(self.id.clone(), self.file_name.clone(), result.clone(), processed_at.unwrap_or_default())
            }
            (DocumentStatus::Failed, _, error) => DocumentData::failed(
                self.id.clone(),
                self.file_name.clone(),
                self.options.document_type.clone(),
                error.clone().unwrap_or_else(|| ApiError::new(folio_core::ErrorCode::ProcessingFailed, "Processing failed")),
                processed_at.unwrap_or_default(),
            ),
            _ => DocumentData {
                id: self.id.clone(),
                organization_id: None,
                file_name: self.file_name.clone(),
                document_type: self.options.document_type.clone(),
                status: self.status,
                pages_processed: None,
                confidence: None,
                extracted_data: None,
                fields: None,
                warnings: Vec::new(),
                metadata: None,
                processed_at: None,
                error: None,
                created_at: None,
                ocr: None,
                source: None,
                email: None,
                outputs: None,
            },
        };
        d.organization_id = Some(self.org_id.clone());
        d.outputs = self.output_links();
        d.created_at = Some(folio_core::time::rfc3339(self.created_at_ms));
        d.source = Some(self.source.as_str().to_string());
        d.email = self.email.clone();
        d
    }

    pub fn snapshot(&self) -> DocumentSnapshot {
        DocumentSnapshot {
            data: self.data(),
            veryfi_id: self.veryfi_id,
            external_id: self.external_id.clone(),
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            webhook_configured: self.options.webhook_url.is_some(),
            profile: Some(self.profile),
        }
    }
}

/// KV `doc:{orgId}:{docId}`: what reads need, without asking the Document DO.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSnapshot {
    pub data: DocumentData,
    pub veryfi_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The submission named a webhook URL (the `202`'s `webhookConfigured`).
    #[serde(default)]
    pub webhook_configured: bool,
    /// The profile of the key that submitted it: only keys of that profile
    /// read it. `None` in snapshots written before it was recorded (reads
    /// then ask the authority, which always knew it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

pub fn apikey_kv_key(key_hash: &str) -> String {
    format!("apikey:{key_hash}")
}

pub fn veryfi_kv_key(client_id: &str) -> String {
    format!("veryfi:{client_id}")
}

pub fn doc_kv_key(org_id: &str, doc_id: &str) -> String {
    format!("doc:{org_id}:{doc_id}")
}

pub fn file_r2_key(org_id: &str, doc_id: &str) -> String {
    format!("files/{org_id}/{doc_id}")
}

/// The queue shard a document goes to. One shard for now; the key is
/// explicit so sharding by organisation and priority is a local change
/// (hosts would then poll [`queue_shards`] in turn).
pub fn queue_shard_for(_org_id: &str) -> &'static str {
    "global"
}

pub fn queue_shards() -> &'static [&'static str] {
    &["global"]
}

/// Is `s` an organisation id (`org_` + 8..40 of `[a-z0-9]`)?
pub fn is_org_id(s: &str) -> bool {
    s.strip_prefix("org_").is_some_and(|t| (8..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}
