//! The internal host API (`Authorization: Bearer <HOST_TOKEN>`), message
//! types in `folio_core::jobs`:
//!
//! - `POST /internal/v1/leases` lease a job (long-poll), `200` or `204`;
//! - `GET  /internal/v1/leases/{leaseId}/file` the uploaded bytes;
//! - `POST /internal/v1/leases/{leaseId}/heartbeat` extend the lease;
//! - `POST /internal/v1/leases/{leaseId}/pages` the true page count, before
//!   any page is processed: re-admits the document (`200`), or fails it with
//!   `402 INSUFFICIENT_CREDITS` / `400 TOO_MANY_PAGES` and the host stops;
//! - `PUT  /internal/v1/leases/{leaseId}/artifacts/{name}` an output (or a
//!   page preview) made from the OCR, raw body, before `complete`: stored in
//!   R2 under the document's prefix and recorded by the Document DO;
//! - `POST /internal/v1/leases/{leaseId}/complete` the result (and the outputs uploaded for it);
//! - `POST /internal/v1/leases/{leaseId}/fail` an error (retryable or not);
//! - `POST /internal/v1/leases/{leaseId}/release` give the job back unprocessed.
//!
//! The Queue DO owns leases (who holds a job until when); the Document DO
//! owns the document's state. A host call is checked against the queue
//! first, then applied to the document, then the queue is told: a job
//! leaves the queue only after its document recorded the outcome, so a
//! failed call is retried by the host (or the lease expires) and nothing
//! is stranded.

use crate::auth::require_host;
use crate::config::{Config, FILES};
use crate::document::{ArtifactAnswer, ArtifactArgs, CompleteArgs, DocumentClient, FailArgs, LeaseRef, Outcome, PagesArgs, StartArgs};
use crate::http::{ApiResult, content_length, fail, json_response, now_ms, parse_json, read_body_limited};
use crate::model::{DocumentRecord, file_r2_key, queue_shard_for, queue_shards};
use crate::queue::{
    AckArgs, AckKind, AckOutcome, AckResult, CheckLease, HeartbeatAnswer, LeaseArgs, LeaseArgsRef, LeasedJob, LeasedJobView, QueueClient,
};
use folio_core::jobs::{
    CompleteRequest, FailRequest, HeartbeatResponse, JobFile, JobOptions, Lease, LeaseOutcome, LeaseRequest, MAX_LEASE_WAIT_SECONDS,
    MAX_SERVED_TYPES, PagesRequest, ServedType, parse_lease_id,
};
use folio_core::outputs::{Artifact, MAX_ARTIFACT_BYTES, OutputName, artifact_r2_key};
use folio_core::{ApiError, DocumentStatus, ErrorCode};

use worker::{Env, Headers, Request, Response};

/// Result JSON can be large (OCR output when asked for), but not unbounded
/// (owner: core's `contract::limits`).
const RESULT_BODY_LIMIT: u64 = folio_core::contract::limits::MAX_COMPLETE_BODY_BYTES as u64;

fn lease_lost() -> crate::http::Failure {
    fail(ErrorCode::LeaseLost, "The lease has expired or was never granted")
}

fn shard_of(lease_id: &str) -> ApiResult<&'static str> {
    // One shard today; with sharding the lease id would carry it.
    parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    Ok(queue_shard_for(""))
}

/// `POST /internal/v1/leases`.
pub async fn lease(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    require_host(&req, &cfg)?;
    let origin = {
        let url = req.url()?;
        url.origin().ascii_serialization()
    };
    let body: LeaseRequest = parse_json(&read_body_limited(&mut req, 64 * 1024, "Body too large").await?)?;
    if body.host_id.trim().is_empty() || body.host_id.len() > 200 {
        return Err(fail(ErrorCode::InvalidRequest, "hostId must be 1 to 200 characters"));
    }
    // What the host's plugins serve; names the API could not accept are dropped.
    let served: Vec<ServedType> = body
        .serves
        .iter()
        .filter(|t| ServedType::is_valid_name(&t.document_type) && t.plugin.len() <= 200 && t.version.len() <= 64)
        .take(MAX_SERVED_TYPES)
        .cloned()
        .collect();
    let wait_ms = body.wait_seconds.min(MAX_LEASE_WAIT_SECONDS) as u64 * 1000;
    let deadline = now_ms() + wait_ms as i64;
    // A job whose document is gone (deleted meanwhile) is dropped and the next one tried.
    for _ in 0..16 {
        for shard in queue_shards() {
            let remaining = (deadline - now_ms()).max(0) as u64;
            let job: Option<LeasedJob> = QueueClient::named(&env, shard)?
                .call(&LeaseArgs {
                    host_id: body.host_id.clone(),
                    wait_ms: remaining,
                    document_types: body.document_types.clone(),
                    serves: served.clone(),
                    lease_seconds: cfg.lease_seconds,
                    max_attempts: cfg.max_attempts,
                    max_per_org: cfg.max_processing_per_org,
                })
                .await?;
            let Some(job) = job else { continue };
            let started: ApiResult<DocumentRecord> = DocumentClient::named(&env, &job.doc_id)?
                .call(&StartArgs { lease_id: job.lease_id.clone(), attempt: job.attempt, org_id: job.org_id.clone() })
                .await;
            match started {
                Ok(rec) => return json_response(200, &lease_message(&origin, &job, &rec, cfg.lease_seconds)),
                Err(f) if f.error.code == ErrorCode::LeaseLost => {
                    let _: ApiResult<AckResult> =
                        QueueClient::named(&env, shard)?.call(&AckArgs { lease_id: job.lease_id, kind: AckKind::Done }).await;
                }
                Err(f) => {
                    // Give it back untouched; the host retries.
                    let _: ApiResult<AckResult> =
                        QueueClient::named(&env, shard)?.call(&AckArgs { lease_id: job.lease_id, kind: AckKind::Release }).await;
                    return Err(f);
                }
            }
        }
        if now_ms() >= deadline {
            break;
        }
    }
    Ok(Response::empty()?.with_status(204))
}

fn lease_message(origin: &str, job: &LeasedJob, rec: &DocumentRecord, lease_seconds: u32) -> Lease {
    Lease {
        lease_id: job.lease_id.clone(),
        doc_id: job.doc_id.clone(),
        attempt: job.attempt,
        max_attempts: job.max_attempts,
        deadline: folio_core::time::rfc3339(job.deadline_ms),
        lease_seconds,
        options: JobOptions {
            document_type: rec.options.document_type.clone(),
            language: rec.options.language.clone(),
            extract_tables: rec.options.extract_tables,
            ocr_engine: rec.options.ocr_engine,
            outputs: rec.options.outputs.clone(),
        },
        file: JobFile {
            url: format!("{origin}/internal/v1/leases/{}/file", job.lease_id),
            size: rec.file_size,
            kind: rec.file_kind,
            file_name: rec.file_name.clone(),
        },
    }
}

/// The current job of a lease (or `LEASE_LOST`).
async fn check(env: &Env, lease_id: &str) -> ApiResult<LeasedJobView> {
    QueueClient::named(env, shard_of(lease_id)?)?.call(&CheckLease { lease_id: lease_id.to_string() }).await
}

/// `GET /internal/v1/leases/{leaseId}/file`.
pub async fn file(req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let job = check(&env, lease_id).await?;
    let (doc_id, org_id) = (job.doc_id.as_str(), job.org_id.as_str());
    let bucket = env.bucket(FILES)?;
    let obj = crate::faults::guard("r2.get", async { Ok(bucket.get(file_r2_key(org_id, doc_id)).execute().await?) })
        .await?
        .ok_or_else(|| fail(ErrorCode::DocumentNotFound, "The document's file is gone"))?;
    let headers = Headers::new();
    headers.set("content-type", &obj.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into()))?;
    headers.set("content-length", &obj.size().to_string())?;
    let body = obj.body().ok_or_else(|| fail(ErrorCode::InternalError, "Empty object"))?;
    Ok(Response::from_body(body.response_body()?)?.with_headers(headers))
}

/// `POST /internal/v1/leases/{leaseId}/heartbeat`.
pub async fn heartbeat(req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let args = LeaseArgsRef { lease_id: lease_id.to_string(), lease_seconds: cfg.lease_seconds };
    let r: HeartbeatAnswer = QueueClient::named(&env, shard_of(lease_id)?)?.call(&args).await?;
    json_response(200, &HeartbeatResponse { lease_id: lease_id.to_string(), deadline: folio_core::time::rfc3339(r.deadline_ms) })
}

async fn ack(env: &Env, lease_id: &str, kind: AckKind) -> ApiResult<AckResult> {
    QueueClient::named(env, shard_of(lease_id)?)?.call(&AckArgs { lease_id: lease_id.to_string(), kind }).await
}

fn outcome(doc_id: &str, status: DocumentStatus) -> ApiResult {
    json_response(200, &LeaseOutcome { doc_id: doc_id.to_string(), status })
}

/// `POST /internal/v1/leases/{leaseId}/pages`.
pub async fn pages(mut req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let body: PagesRequest = parse_json(&read_body_limited(&mut req, 4 * 1024, "Body too large").await?)?;
    let (doc_id, _) = parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    check(&env, lease_id).await?;
    let answer: ApiResult<Outcome> =
        DocumentClient::named(&env, doc_id)?.call(&PagesArgs { lease_id: lease_id.to_string(), pages: body.pages }).await;
    match answer {
        Ok(done) => outcome(doc_id, done.status),
        Err(f) => {
            if matches!(f.error.code, ErrorCode::InsufficientCredits | ErrorCode::TooManyPages) {
                // The document failed with this error: the job is done.
                remove_job(&env, lease_id, doc_id).await;
            }
            Err(f)
        }
    }
}

/// Takes a job whose document recorded its final state out of the queue
/// (if this fails, the lease expires and the queue finds it final).
async fn remove_job(env: &Env, lease_id: &str, doc_id: &str) {
    if let Err(f) = ack(env, lease_id, AckKind::Done).await {
        worker::console_warn!("ack of {doc_id}: {:?}", f.error);
    }
}

/// `POST /internal/v1/leases/{leaseId}/complete`.
pub async fn complete(mut req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let body: CompleteRequest = parse_json(&read_body_limited(&mut req, RESULT_BODY_LIMIT, "Result too large").await?)?;
    let (doc_id, _) = parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    check(&env, lease_id).await?;
    let args = CompleteArgs { lease_id: lease_id.to_string(), result: body.result, outputs: body.outputs };
    let done = DocumentClient::named(&env, doc_id)?.call(&args).await?;
    remove_job(&env, lease_id, doc_id).await;
    // `failed` when the result was too large to keep or its pages not covered.
    outcome(doc_id, done.status)
}

/// `POST /internal/v1/leases/{leaseId}/fail`. The document records a
/// final failure before its job leaves the queue.
pub async fn fail_job(mut req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let body: FailRequest = parse_json(&read_body_limited(&mut req, 64 * 1024, "Body too large").await?)?;
    let (doc_id, _) = parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    let doc = DocumentClient::named(&env, doc_id)?;
    let error = if body.retryable {
        let r = ack(&env, lease_id, AckKind::Retry).await?;
        if r.result == AckOutcome::Requeued {
            let _: ApiResult<Outcome> = doc.call(&LeaseRef { lease_id: lease_id.to_string() }).await;
            return outcome(doc_id, DocumentStatus::Queued);
        }
        ApiError::new(
            ErrorCode::ProcessingFailed,
            format!("Processing failed after {} attempts; last error: {}: {}", r.attempt, body.error.code, body.error.message),
        )
    } else {
        check(&env, lease_id).await?;
        body.error
    };
    let args = FailArgs { lease_id: Some(lease_id.to_string()), error, expired: false, org_id: None };
    let done = doc.call(&args).await?;
    remove_job(&env, lease_id, doc_id).await;
    outcome(doc_id, done.status)
}

/// `POST /internal/v1/leases/{leaseId}/release`: back in line, attempt not spent.
pub async fn release(req: Request, env: Env, cfg: Config, lease_id: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let (doc_id, _) = parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    ack(&env, lease_id, AckKind::Release).await?;
    let _: ApiResult<Outcome> = DocumentClient::named(&env, doc_id)?.call(&LeaseRef { lease_id: lease_id.to_string() }).await;
    outcome(doc_id, DocumentStatus::Queued)
}

/// `PUT /internal/v1/leases/{leaseId}/artifacts/{name}`: one output (or page
/// preview) of the leased document, raw body. Stored in R2 first, then
/// recorded by the Document DO, which holds the document's operations in
/// order: a delete that ran before the record (and so could not see the
/// object) makes the DO answer `Gone`, and the object is removed here. A
/// retried upload overwrites the same key with the same bytes (outputs are a
/// function of the file and options) and is recorded once.
pub async fn artifact(req: Request, env: Env, cfg: Config, lease_id: &str, name: &str) -> ApiResult {
    require_host(&req, &cfg)?;
    let artifact = Artifact::parse(name).ok_or_else(|| {
        fail(
            ErrorCode::InvalidRequest,
            format!("Unknown artifact {name:?}: outputs are {}; previews preview-{{page}}.png", OutputName::names()),
        )
    })?;
    let (doc_id, _) = parse_lease_id(lease_id).ok_or_else(lease_lost)?;
    let job = check(&env, lease_id).await?;
    let too_large = format!("An output may have at most {MAX_ARTIFACT_BYTES} bytes");
    if content_length(&req).is_some_and(|len| len > MAX_ARTIFACT_BYTES) {
        return Err(fail(ErrorCode::OutputTooLarge, too_large));
    }
    // Kept as a JavaScript Blob: never copied into wasm memory.
    let blob = crate::upload::body_to_blob(&req, MAX_ARTIFACT_BYTES, &too_large)
        .await
        .map_err(|f| if f.error.code == ErrorCode::FileTooLarge { fail(ErrorCode::OutputTooLarge, too_large.clone()) } else { f })?;
    let size = blob.size() as u64;
    let key = artifact_r2_key(&job.org_id, doc_id, &artifact);
    let bucket = env.bucket(FILES)?;
    let meta = worker::HttpMetadata { content_type: Some(artifact.content_type().to_string()), ..Default::default() };
    crate::faults::guard("r2.put", async {
        bucket.put(key.clone(), worker::Data::ReadableStream(blob.stream())).http_metadata(meta).execute().await?;
        Ok(())
    })
    .await?;
    let args = ArtifactArgs { lease_id: lease_id.to_string(), name: artifact.name(), size };
    let answer = DocumentClient::named(&env, doc_id)?.call(&args).await;
    match answer {
        Ok(ArtifactAnswer::Stored(stored)) => json_response(200, &stored),
        Ok(ArtifactAnswer::Gone) => {
            let _ = bucket.delete(key).await;
            Err(fail(ErrorCode::LeaseLost, "The document was deleted"))
        }
        Err(f) => {
            if f.error.code == ErrorCode::OutputTooLarge {
                let _ = bucket.delete(key).await;
            }
            Err(f)
        }
    }
}
