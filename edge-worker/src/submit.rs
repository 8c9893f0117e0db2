//! Submissions. `POST /v1/documents/process/async` and `POST
//! /v1/documents/process` (DocuRift multipart) and the Veryfi JSON endpoint
//! all end in [`create_document`]: detect the file type by magic bytes,
//! estimate pages, store the bytes in R2, then one Account DO call admits
//! (rate limit, idempotency, plan, credits) and queues the job; it keeps the
//! record until the first lease, which creates the Document DO.

use crate::account::{Abort, AccountClient, Admission, IdempotencyArgs, SubmitArgs};
use crate::auth::{self, Principal, count_request, identify};
use crate::config::{Config, FILES};
use crate::document::DocumentClient;
use crate::http::{ApiResult, Failure, content_length, fail, header, json_response, now_ms};
use crate::model::{DocumentRecord, NewDocument, Source, queue_shard_for};
use crate::queue::QueueClient;
use crate::queue::{Position, PositionArgs};
use crate::upload::{Scan, UploadFile, body_to_blob, form_file};
use folio_core::api::{
    RawSubmission, SubmissionAccepted, SubmissionOptions, accepted_envelope, ok_envelope, parse_submission, sanitize_file_name,
    submission_fingerprint_of_digest, validate_idempotency_key,
};
use folio_core::filetype::MAX_FILE_BYTES;
use folio_core::{DocumentStatus, ErrorCode, FileKind};
use worker::{Env, FormEntry, Headers, Method, Request, RequestInit};

/// Room for multipart framing and the text fields around a 50 MB file.
pub const FORM_OVERHEAD_BYTES: u64 = 256 * 1024;

pub const TOO_LARGE: &str = "File exceeds 50MB limit";

/// A validated upload, ready to be admitted.
pub struct Upload {
    pub file: UploadFile,
    pub file_name: String,
    pub options: SubmissionOptions,
    pub source: Source,
    pub external_id: Option<String>,
    pub idempotency_key: Option<String>,
}

/// The outcome of [`create_document`].
pub struct Created {
    pub accepted: SubmissionAccepted,
    pub veryfi_id: u64,
}

/// Reads the multipart form without buffering more than the limit: a
/// declared `Content-Length` over it is refused before reading; an
/// undeclared (chunked) body is read up to the limit and then refused.
async fn read_form(req: &mut Request) -> ApiResult<worker::FormData> {
    let content_type = header(req, "content-type").unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(fail(ErrorCode::InvalidRequest, "Content-Type must be multipart/form-data"));
    }
    let limit = MAX_FILE_BYTES + FORM_OVERHEAD_BYTES;
    let bad_form = |_| fail(ErrorCode::InvalidRequest, "The multipart/form-data body could not be parsed");
    match content_length(req) {
        Some(len) if len > limit => Err(fail(ErrorCode::FileTooLarge, TOO_LARGE)),
        Some(_) => req.form_data().await.map_err(bad_form),
        None => {
            let body = body_to_blob(req, limit, TOO_LARGE).await?;
            let headers = Headers::new();
            headers.set("content-type", &content_type)?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
            let mut copy = Request::new_with_init("https://form/", &init)?;
            copy.form_data().await.map_err(bad_form)
        }
    }
}

fn text_field(form: &worker::FormData, name: &str) -> ApiResult<Option<String>> {
    match form.get(name) {
        None => Ok(None),
        Some(FormEntry::Field(v)) => Ok(Some(v)),
        Some(FormEntry::File(_)) => Err(fail(ErrorCode::InvalidRequest, format!("{name} must be a text field"))),
    }
}

/// Parses and validates a DocuRift multipart submission.
async fn parse_docurift_upload(req: &mut Request, env: &Env, cfg: &Config) -> ApiResult<Upload> {
    let idempotency_key = header(req, "idempotency-key");
    if let Some(k) = &idempotency_key {
        validate_idempotency_key(k)?;
    }
    let form = read_form(req).await?;
    match form.get("file") {
        Some(FormEntry::File(_)) => {}
        Some(FormEntry::Field(_)) => return Err(fail(ErrorCode::InvalidRequest, "file must be a file upload")),
        None => return Err(fail(ErrorCode::InvalidRequest, "Missing required field: file")),
    }
    let fields: Vec<Option<String>> = [
        "documentType",
        "language",
        "priority",
        "extractTables",
        "callbackMetadata",
        "webhookUrl",
        "webhookSecret",
        "ocrEngine",
        "outputs",
    ]
    .iter()
    .map(|n| text_field(&form, n))
    .collect::<ApiResult<_>>()?;
    let raw = RawSubmission {
        document_type: fields[0].as_deref(),
        language: fields[1].as_deref(),
        priority: fields[2].as_deref(),
        extract_tables: fields[3].as_deref(),
        callback_metadata: fields[4].as_deref(),
        webhook_url: fields[5].as_deref(),
        webhook_secret: fields[6].as_deref(),
        ocr_engine: fields[7].as_deref(),
        outputs: fields[8].as_deref(),
    };
    let options = parse_submission(&raw, &crate::queue::submission_policy(env, cfg, raw.document_type).await)?;
    let file = form_file(form, "file").ok_or_else(|| fail(ErrorCode::InvalidRequest, "file must be a file upload"))?;
    let file_name = file.name();
    let file = UploadFile::Blob(file.into());
    if file.size() > MAX_FILE_BYTES {
        return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
    }
    Ok(Upload { file, file_name, options, source: Source::Docurift, external_id: None, idempotency_key })
}

/// Authenticates and reads a DocuRift submission. The request is counted
/// against the rate limit by the admission (`create_document`), or here when
/// the upload is refused before that.
async fn accept_docurift(req: &mut Request, env: &Env, cfg: &Config) -> ApiResult<(Principal, Upload, Scan)> {
    let principal = identify(req, env).await?;
    auth::refuse_while_limited(&principal)?;
    let read = async {
        let upload = parse_docurift_upload(req, env, cfg).await?;
        let scan = upload.scan().await?;
        Ok::<_, Failure>((upload, scan))
    };
    match read.await {
        Ok((upload, scan)) => Ok((principal, upload, scan)),
        Err(f) => Err(refusal_counted(env, cfg, &principal, f).await),
    }
}

/// `POST /v1/documents/process/async`.
pub async fn process_async(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let (principal, upload, scan) = accept_docurift(&mut req, &env, &cfg).await?;
    let created = create_document(&env, &cfg, &principal, upload, scan).await?;
    json_response(202, &accepted_envelope(&created.accepted))
}

/// `POST /v1/documents/process`: waits up to `SYNC_WAIT_SECONDS` for the
/// result; `200` with the document when it finished, else `202` as async.
pub async fn process_sync(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let (principal, upload, scan) = accept_docurift(&mut req, &env, &cfg).await?;
    let created = create_document(&env, &cfg, &principal, upload, scan).await?;
    let rec = wait_for_final(&env, &created.accepted.id, cfg.sync_wait_seconds).await?;
    if let Some(rec) = rec.as_ref().filter(|r| r.status.is_final()) {
        return json_response(200, &ok_envelope(rec.data()));
    }
    let mut accepted = created.accepted;
    accepted.status = rec.map_or(DocumentStatus::Queued, |r| r.status);
    json_response(202, &accepted_envelope(&accepted))
}

/// Waits (in the Document DO) until the document is final or the time is
/// up; `None` while no host has leased it yet.
pub async fn wait_for_final(env: &Env, doc_id: &str, seconds: u32) -> ApiResult<Option<DocumentRecord>> {
    DocumentClient::named(env, doc_id)?.call(&crate::document::WaitArgs { timeout_ms: seconds as u64 * 1000 }).await
}

impl Upload {
    /// Type, pages and (with an `Idempotency-Key`) the hash of the file.
    pub async fn scan(&self) -> ApiResult<Scan> {
        if self.file.size() > MAX_FILE_BYTES {
            return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
        }
        self.file.scan(self.idempotency_key.is_some()).await
    }
}

/// Stores, admits and queues a validated upload; answers the `202` data.
/// The file goes to R2 first (a host may lease the job the moment it is
/// queued), then one Account DO call counts the request against the rate
/// limit, admits it (idempotency, plan, credits), keeps its record and
/// queues it. The file is removed again if that refuses. No Document DO and
/// no KV write on this path: reads of a document no host has leased yet are
/// answered from the Account DO (see `documents::snapshot`).
pub async fn create_document(env: &Env, cfg: &Config, principal: &Principal, upload: Upload, scan: Scan) -> ApiResult<Created> {
    let (kind, pages) = (scan.kind, scan.pages);
    let file_name = sanitize_file_name(&upload.file_name, kind);
    let doc_id = folio_core::ids::new_document_id();
    let now = now_ms();
    let idempotency = match (&upload.idempotency_key, &scan.sha256) {
        (Some(key), Some(digest)) => Some(IdempotencyArgs {
            key: format!("{}:{key}", principal.key_id),
            fingerprint: submission_fingerprint_of_digest(digest, &file_name, &upload.options),
        }),
        _ => None,
    };
    let record = DocumentRecord::new(
        NewDocument {
            id: doc_id.clone(),
            org_id: principal.org_id.clone(),
            key_id: principal.key_id.clone(),
            profile: principal.profile,
            source: upload.source,
            email: None,
            external_id: upload.external_id,
            file_name,
            file_kind: kind,
            file_size: upload.file.size(),
            options: upload.options,
            estimated_pages: pages,
        },
        now,
    );
    let file_key = record.file_key.clone();
    let args = SubmitArgs {
        record,
        idempotency,
        default_rate_limit: cfg.rate_limit,
        default_processing_ms: cfg.default_processing_seconds as u64 * 1000,
    };
    put_file(env, &file_key, kind, upload.file).await?;
    let account = AccountClient::named(env, &principal.org_id)?;
    let submitted = account.call(&args).await;
    let submitted = match submitted {
        Ok(s) => s,
        Err(f) => {
            delete_file(env, &file_key).await;
            if f.error.code == ErrorCode::InternalError {
                // The answer may have been lost after admission: undo it (a no-op otherwise).
                let _ = account.call(&Abort { doc_id: doc_id.to_string() }).await;
            }
            auth::note_refusal(principal, &f);
            return Err(f);
        }
    };
    match (submitted.admission, submitted.position) {
        (Admission::Admitted { veryfi_id }, Some(pos)) => Ok(Created {
            accepted: SubmissionAccepted {
                id: doc_id,
                status: DocumentStatus::Queued,
                estimated_completion_time: folio_core::time::rfc3339(pos.estimated_completion_ms),
                queue_position: pos.queue_position,
                webhook_configured: args.record.options.webhook_url.is_some(),
                created_at: folio_core::time::rfc3339(now),
            },
            veryfi_id,
        }),
        (Admission::Existing { doc_id: existing, veryfi_id }, _) => {
            // An idempotent replay: the bytes just written belong to no document.
            delete_file(env, &file_key).await;
            replay(env, cfg, principal, &existing, veryfi_id).await
        }
        (Admission::Admitted { .. }, None) => Err(fail(ErrorCode::InternalError, "Internal error (no queue position)")),
    }
}

/// A submission refused before it reached the Account DO is still counted
/// against the key's rate limit; a rate-limit or revoked-key answer wins
/// over the reason it was refused.
pub async fn refusal_counted(env: &Env, cfg: &Config, principal: &Principal, refusal: Failure) -> Failure {
    match count_request(env, cfg, principal).await {
        Ok(()) => refusal,
        Err(limit) => limit,
    }
}

pub async fn put_file(env: &Env, key: &str, kind: FileKind, file: UploadFile) -> ApiResult<()> {
    let meta = worker::HttpMetadata { content_type: Some(kind.mime_type().to_string()), ..Default::default() };
    let bucket = env.bucket(FILES)?;
    crate::faults::guard("r2.put", async {
        bucket.put(key.to_string(), file.into_r2_data()).http_metadata(meta).execute().await?;
        Ok(())
    })
    .await
}

pub async fn delete_file(env: &Env, key: &str) {
    if let Ok(bucket) = env.bucket(FILES) {
        let _ = bucket.delete(key.to_string()).await;
    }
}

/// The answer to a repeated `Idempotency-Key`: the same document, as it is now.
async fn replay(env: &Env, cfg: &Config, principal: &Principal, doc_id: &str, veryfi_id: u64) -> ApiResult<Created> {
    let snap = crate::documents::snapshot(env, principal, doc_id).await;
    let pos: Position = QueueClient::named(env, queue_shard_for(&principal.org_id))?
        .call(&PositionArgs { doc_id: doc_id.to_string(), default_processing_ms: cfg.default_processing_seconds as u64 * 1000 })
        .await?;
    let (status, webhook, created) = match snap {
        Ok(s) => (s.data.status, s.webhook_configured, s.created_at_ms),
        // The first request is still storing it.
        Err(_) => (DocumentStatus::Queued, false, now_ms()),
    };
    Ok(Created {
        accepted: SubmissionAccepted {
            id: doc_id.to_string(),
            status,
            estimated_completion_time: folio_core::time::rfc3339(pos.estimated_completion_ms),
            queue_position: pos.queue_position,
            webhook_configured: webhook,
            created_at: folio_core::time::rfc3339(created),
        },
        veryfi_id,
    })
}
