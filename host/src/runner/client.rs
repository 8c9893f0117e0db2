//! HTTP client for the edge's internal host API (see `folio_core::jobs`).

use folio_core::OutputName;
use folio_core::jobs::{ArtifactStored, CompleteRequest, FailRequest, HeartbeatResponse, Lease, LeaseOutcome, LeaseRequest, PagesRequest};
use folio_core::outputs::Artifact;
use folio_core::{ApiError, ErrorCode, ProcessingResult};
use std::time::Duration;

/// Why a call to the edge did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// The edge could not be reached or answered garbage: retry with backoff.
    #[error("edge unreachable: {0}")]
    Transport(String),
    /// The lease expired or belongs to another host: drop the job.
    #[error("lease lost: {0}")]
    LeaseLost(String),
    /// The edge answered with an error envelope.
    #[error("edge answered {status}: {error}")]
    Api { status: u16, error: ApiError },
}

pub struct EdgeClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

/// Uploads are at most 50 MB; leave room for framing.
const MAX_FILE_BYTES: u64 = folio_core::filetype::MAX_FILE_BYTES + 1024 * 1024;

impl EdgeClient {
    pub fn new(base: &str, token: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Long-polls last up to MAX_LEASE_WAIT_SECONDS; give them headroom.
            .timeout_global(Some(Duration::from_secs(folio_core::jobs::MAX_LEASE_WAIT_SECONDS as u64 + 30)))
            .http_status_as_error(false)
            .build()
            .into();
        Self { base: base.trim_end_matches('/').to_string(), token: token.to_string(), agent }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Long-polls for a job; `Ok(None)` when none arrived within `wait_seconds`.
    pub fn lease(&self, req: &LeaseRequest) -> Result<Option<Lease>, EdgeError> {
        let mut resp = self
            .agent
            .post(format!("{}/internal/v1/leases", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(req)
            .map_err(transport)?;
        match resp.status().as_u16() {
            204 => Ok(None),
            200 => resp.body_mut().read_json::<Lease>().map(Some).map_err(transport),
            status => Err(api_error(status, &mut resp)),
        }
    }

    /// Downloads the leased file.
    pub fn fetch_file(&self, lease: &Lease) -> Result<Vec<u8>, EdgeError> {
        let mut resp =
            self.agent.get(&lease.file.url).header("Authorization", format!("Bearer {}", self.token)).call().map_err(transport)?;
        match resp.status().as_u16() {
            200 => resp.body_mut().with_config().limit(MAX_FILE_BYTES).read_to_vec().map_err(transport),
            status => Err(api_error(status, &mut resp)),
        }
    }

    pub fn heartbeat(&self, lease_id: &str) -> Result<HeartbeatResponse, EdgeError> {
        self.post_json(&format!("/internal/v1/leases/{lease_id}/heartbeat"), &serde_json::json!({}))
    }

    /// The document's page count, before any page is processed.
    pub fn pages(&self, lease_id: &str, pages: u32) -> Result<LeaseOutcome, EdgeError> {
        self.post_json(&format!("/internal/v1/leases/{lease_id}/pages"), &PagesRequest { pages })
    }

    pub fn complete(&self, lease_id: &str, result: ProcessingResult, outputs: Vec<OutputName>) -> Result<LeaseOutcome, EdgeError> {
        self.post_json(&format!("/internal/v1/leases/{lease_id}/complete"), &CompleteRequest { result, outputs })
    }

    /// Stores an output (or page preview) of the leased document at the edge.
    pub fn put_artifact(&self, lease_id: &str, artifact: &Artifact, bytes: &[u8]) -> Result<ArtifactStored, EdgeError> {
        let mut resp = self
            .agent
            .put(format!("{}/internal/v1/leases/{lease_id}/artifacts/{}", self.base, artifact.name()))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", artifact.content_type())
            .send(bytes)
            .map_err(transport)?;
        match resp.status().as_u16() {
            200 => resp.body_mut().read_json::<ArtifactStored>().map_err(transport),
            status => Err(api_error(status, &mut resp)),
        }
    }

    pub fn fail(&self, lease_id: &str, error: ApiError, retryable: bool) -> Result<LeaseOutcome, EdgeError> {
        self.post_json(&format!("/internal/v1/leases/{lease_id}/fail"), &FailRequest { error, retryable })
    }

    /// Gives a job back without spending an attempt (used on shutdown).
    pub fn release(&self, lease_id: &str) -> Result<LeaseOutcome, EdgeError> {
        self.post_json(&format!("/internal/v1/leases/{lease_id}/release"), &serde_json::json!({}))
    }

    fn post_json<B: serde::Serialize, T: serde::de::DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, EdgeError> {
        let mut resp = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(body)
            .map_err(transport)?;
        match resp.status().as_u16() {
            200 => resp.body_mut().read_json::<T>().map_err(transport),
            status => Err(api_error(status, &mut resp)),
        }
    }
}

fn transport(e: ureq::Error) -> EdgeError {
    EdgeError::Transport(e.to_string())
}

fn api_error(status: u16, resp: &mut ureq::http::Response<ureq::Body>) -> EdgeError {
    let body = resp.body_mut().with_config().limit(64 * 1024).read_to_string().unwrap_or_default();
    let error = serde_json::from_str::<folio_core::error::ErrorEnvelope>(&body).map(|e| e.error).unwrap_or_else(|_| {
        ApiError::new(ErrorCode::InternalError, format!("HTTP {status}: {}", body.chars().take(200).collect::<String>()))
    });
    if error.code == ErrorCode::LeaseLost {
        return EdgeError::LeaseLost(error.message);
    }
    // 5xx and 429 are the edge's trouble, not the job's: retry like a transport error.
    if status >= 500 || status == 429 {
        return EdgeError::Transport(format!("HTTP {status}: {error}"));
    }
    EdgeError::Api { status, error }
}
