//! Veryfi-compatible routes, for Veryfi's own client libraries:
//! `POST /api/v8/partner/documents/` (JSON: base64 `file_data` + `file_name`,
//! or `file_url`; `{"async": true}` answers `{"id": 123456789}` at once,
//! otherwise the call waits like the sync endpoint), and
//! `GET|DELETE /api/v8/partner/documents/{id}/`.

use crate::account::{FoundDocument, VeryfiLookupArgs};
use crate::auth::{self, Principal, authenticate, identify};
use crate::config::Config;
use crate::documents::{delete_document, snapshot};
use crate::http::{ApiResult, fail, json_response, read_body_limited, rpc};
use crate::model::{Source, account_stub};
use crate::submit::{TOO_LARGE, Upload, create_document, refusal_counted, wait_for_final};
use crate::upload::{Scan, UploadFile};
use base64::Engine;
use folio_core::ErrorCode;
use folio_core::api::{RawSubmission, parse_submission};
use folio_core::filetype::MAX_FILE_BYTES;
use folio_core::url_guard::check_public_url;
use folio_core::veryfi::{DEFAULT_VERYFI_DOCUMENT_TYPE, VeryfiSubmission, to_veryfi_document};
use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use worker::{Env, Fetch, Request};

/// Base64 grows a file by 4/3; leave room for the other fields.
const JSON_BODY_LIMIT: u64 = MAX_FILE_BYTES / 3 * 4 + 1024 * 1024;

/// `POST /api/v8/partner/documents/`. Counted against the rate limit by the
/// admission, or when refused before it (as DocuRift submissions are).
pub async fn process(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = identify(&req, &env).await?;
    auth::refuse_while_limited(&principal)?;
    let (upload, scan, wants_async) = match read_submission(&mut req, &cfg, &principal).await {
        Ok(x) => x,
        Err(f) => return Err(refusal_counted(&env, &cfg, &principal, f).await),
    };
    let created = create_document(&env, &cfg, &principal, upload, scan).await?;
    if wants_async {
        return json_response(202, &json!({"id": created.veryfi_id}));
    }
    let rec = wait_for_final(&env, &created.accepted.id, cfg.sync_wait_seconds).await?;
    if let Some(rec) = rec.filter(|r| r.status.is_final()) {
        let doc = to_veryfi_document(&rec.data(), rec.veryfi_id, rec.created_at_ms, rec.updated_at_ms, rec.external_id.as_deref());
        return json_response(201, &doc);
    }
    json_response(202, &json!({"id": created.veryfi_id, "status": "in_progress"}))
}

/// The JSON body: signature checked, options validated, the file decoded
/// (or downloaded) and scanned. Answers whether the client asked for async.
async fn read_submission(req: &mut Request, cfg: &Config, principal: &Principal) -> ApiResult<(Upload, Scan, bool)> {
    let body = read_body_limited(req, JSON_BODY_LIMIT, TOO_LARGE).await?;
    let params: Map<String, Value> =
        serde_json::from_slice(&body).map_err(|e| fail(ErrorCode::InvalidRequest, format!("Invalid JSON body: {e}")))?;
    principal.verify_veryfi_signature(&params)?;
    let sub: VeryfiSubmission =
        serde_json::from_value(Value::Object(params)).map_err(|e| fail(ErrorCode::InvalidRequest, format!("Invalid request: {e}")))?;

    let raw = RawSubmission {
        document_type: Some(sub.document_type.as_deref().unwrap_or(DEFAULT_VERYFI_DOCUMENT_TYPE)),
        language: sub.language.as_deref(),
        ocr_engine: sub.ocr_engine.as_deref(),
        ..Default::default()
    };
    let options = parse_submission(&raw, &cfg.submission_policy())?;
    let (bytes, file_name) = match (&sub.file_data, &sub.file_url, &sub.file_urls) {
        (Some(data), _, _) => (decode_file_data(data)?, sub.file_name.clone().unwrap_or_default()),
        (None, Some(url), _) => download(url, cfg).await?,
        (None, None, Some(urls)) if urls.len() == 1 => download(&urls[0], cfg).await?,
        (None, None, Some(_)) => {
            return Err(fail(ErrorCode::InvalidRequest, "file_urls with more than one URL is not supported; submit each"));
        }
        _ => return Err(fail(ErrorCode::InvalidRequest, "file_data (base64) or file_url is required")),
    };
    let file_name = sub.file_name.clone().filter(|n| !n.is_empty()).unwrap_or(file_name);
    let upload = Upload {
        file: UploadFile::Bytes(bytes),
        file_name,
        options,
        source: Source::Veryfi,
        external_id: sub.external_id.clone(),
        idempotency_key: crate::http::header(req, "idempotency-key"),
    };
    if let Some(k) = &upload.idempotency_key {
        folio_core::api::validate_idempotency_key(k)?;
    }
    let scan = upload.scan().await?;
    Ok((upload, scan, sub.wants_async()))
}

fn decode_file_data(data: &str) -> ApiResult<Vec<u8>> {
    // Tolerate data-URL prefixes and line breaks some clients add.
    let payload = data.rsplit_once(";base64,").map(|(_, b)| b).unwrap_or(data);
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.len() as u64 > MAX_FILE_BYTES.div_ceil(3) * 4 {
        return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| fail(ErrorCode::InvalidRequest, "file_data is not valid base64"))
}

/// Downloads a `file_url` (public HTTPS only, like webhooks), at most 50 MB.
async fn download(raw_url: &str, cfg: &Config) -> ApiResult<(Vec<u8>, String)> {
    let url = check_public_url(raw_url, cfg.allow_loopback)
        .map_err(|r| fail(ErrorCode::InvalidRequest, format!("file_url refused: {}", r.message())))?;
    let name = url.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).unwrap_or_default();
    let mut resp =
        Fetch::Url(url).send().await.map_err(|e| fail(ErrorCode::InvalidRequest, format!("file_url could not be downloaded: {e}")))?;
    if resp.status_code() != 200 {
        return Err(fail(ErrorCode::InvalidRequest, format!("file_url could not be downloaded: HTTP {}", resp.status_code())));
    }
    let declared = resp.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES) {
        return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
    }
    let mut out = Vec::new();
    let mut stream = resp.stream()?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| fail(ErrorCode::InvalidRequest, "file_url download was interrupted"))?;
        if (out.len() + chunk.len()) as u64 > MAX_FILE_BYTES {
            return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, name))
}

fn parse_veryfi_id(raw: &str) -> ApiResult<u64> {
    raw.parse::<u64>().map_err(|_| fail(ErrorCode::DocumentNotFound, "Document not found"))
}

/// The document behind a Veryfi id, among the caller's profile's documents
/// (`documents::snapshot` then checks the record itself).
async fn doc_id_for(env: &Env, principal: &Principal, veryfi_id: u64) -> ApiResult<String> {
    let found: FoundDocument =
        rpc(&account_stub(env, &principal.org_id)?, "veryfi_lookup", &VeryfiLookupArgs { veryfi_id, profile: principal.profile }).await?;
    Ok(found.doc_id)
}

/// `GET /api/v8/partner/documents/{id}/`.
pub async fn get(req: Request, env: Env, cfg: Config, raw_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    principal.verify_veryfi_signature(&Map::new())?;
    let doc_id = doc_id_for(&env, &principal, parse_veryfi_id(raw_id)?).await?;
    let snap = snapshot(&env, &principal, &doc_id).await?;
    json_response(200, &to_veryfi_document(&snap.data, snap.veryfi_id, snap.created_at_ms, snap.updated_at_ms, snap.external_id.as_deref()))
}

/// `DELETE /api/v8/partner/documents/{id}/`.
pub async fn delete(mut req: Request, env: Env, cfg: Config, raw_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let body = read_body_limited(&mut req, 64 * 1024, "Body too large").await.unwrap_or_default();
    let params: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    principal.verify_veryfi_signature(&params)?;
    let doc_id = doc_id_for(&env, &principal, parse_veryfi_id(raw_id)?).await?;
    delete_document(&env, &principal, &doc_id).await?;
    json_response(200, &json!({"status": "ok", "message": "Document has been deleted"}))
}
