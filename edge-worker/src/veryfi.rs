//! Veryfi-compatible routes, for Veryfi's own client libraries:
//! `POST /api/v8/partner/documents/` (JSON: base64 `file_data` + `file_name`,
//! or `file_url`; `{"async": true}` answers `{"id": 123456789}` at once,
//! otherwise the call waits like the sync endpoint), and
//! `GET|DELETE /api/v8/partner/documents/{id}/`.

use crate::account::AccountClient;
use crate::account::{FoundDocument, VeryfiLookupArgs};
use crate::auth::{self, Principal, authenticate, identify};
use crate::config::Config;
use crate::documents::{delete_document, snapshot};
use crate::http::{ApiResult, Failure, content_length, fail, json_response, read_body_limited};
use crate::model::Source;
use crate::submit::{TOO_LARGE, Upload, create_document, refusal_counted, wait_for_final};
use crate::upload::{Scan, UploadFile};
use folio_core::ErrorCode;
use folio_core::api::{RawSubmission, parse_submission};
use folio_core::filetype::MAX_FILE_BYTES;
use folio_core::url_guard::check_public_url;
use folio_core::veryfi::{DEFAULT_VERYFI_DOCUMENT_TYPE, RequestSignature, VeryfiSubmission, to_veryfi_document};
use folio_core::veryfi_body::{BodyError, FileData, MAX_OTHER_MEMBERS_BYTES, ScannedBody, VeryfiBodyScanner};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use serde_json::{Map, Value, json};
use std::pin::pin;
use std::time::Duration;
use worker::js_sys::{Array, Uint8Array};
use worker::{AbortController, AbortSignal, Delay, Env, Fetch, Request, RequestInit, RequestRedirect, Url, web_sys};

/// Base64 grows a file by 4/3; leave room for the other fields.
const JSON_BODY_LIMIT: u64 = MAX_FILE_BYTES / 3 * 4 + MAX_OTHER_MEMBERS_BYTES as u64;
/// Decoded `file_data` is handed to JavaScript in parts of this size.
const DECODED_PART_BYTES: usize = 1024 * 1024;
/// Redirects a `file_url` download follows, each hop checked by the URL guard.
const MAX_FILE_URL_REDIRECTS: usize = 3;
/// Every download failure reads the same: the target's status or body is
/// not the caller's business (and may be an internal service's).
const DOWNLOAD_FAILED: &str = "file_url could not be downloaded";

/// `POST /api/v8/partner/documents/`. Counted against the rate limit by the
/// admission, or when refused before it (as DocuRift submissions are).
pub async fn process(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = identify(&req, &env).await?;
    auth::refuse_while_limited(&principal)?;
    let (upload, scan, wants_async) = match read_submission(&mut req, &env, &cfg, &principal).await {
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
async fn read_submission(req: &mut Request, env: &Env, cfg: &Config, principal: &Principal) -> ApiResult<(Upload, Scan, bool)> {
    if content_length(req).is_some_and(|len| len > JSON_BODY_LIMIT) {
        return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
    }
    let signature = principal.start_veryfi_signature()?;
    let (body, signature, decoded) = scan_body(req, signature).await?;
    if let Some(check) = signature {
        principal.finish_veryfi_signature(check)?;
    }
    let sub: VeryfiSubmission =
        serde_json::from_value(Value::Object(body.params)).map_err(|e| fail(ErrorCode::InvalidRequest, format!("Invalid request: {e}")))?;

    let outputs = sub.outputs_text()?;
    let raw = RawSubmission {
        document_type: Some(sub.document_type.as_deref().unwrap_or(DEFAULT_VERYFI_DOCUMENT_TYPE)),
        language: sub.language.as_deref(),
        ocr_engine: sub.ocr_engine.as_deref(),
        outputs: outputs.as_deref(),
        ..Default::default()
    };
    let options = parse_submission(&raw, &crate::queue::submission_policy(env, cfg, raw.document_type).await)?;
    let (file, file_name) = match (body.file_data, &sub.file_url, &sub.file_urls) {
        (FileData::Decoded, _, _) => (UploadFile::Blob(decoded), String::new()),
        (FileData::Refused(e), _, _) => return Err(body_refused(e)),
        (FileData::Absent, Some(url), _) => download(url, cfg).await?,
        (FileData::Absent, None, Some(urls)) if urls.len() == 1 => download(&urls[0], cfg).await?,
        (FileData::Absent, None, Some(_)) => {
            return Err(fail(ErrorCode::InvalidRequest, "file_urls with more than one URL is not supported; submit each"));
        }
        _ => return Err(fail(ErrorCode::InvalidRequest, "file_data (base64) or file_url is required")),
    };
    let file_name = sub.file_name.clone().filter(|n| !n.is_empty()).unwrap_or(file_name);
    let upload = Upload {
        file,
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

fn body_refused(e: BodyError) -> Failure {
    match e {
        BodyError::FileTooLarge => fail(ErrorCode::FileTooLarge, TOO_LARGE),
        BodyError::OtherMembersTooLarge => fail(ErrorCode::FileTooLarge, e.message()),
        _ => fail(ErrorCode::InvalidRequest, e.message()),
    }
}

/// Reads the body through [`VeryfiBodyScanner`] as it streams in. Memory:
/// each incoming chunk is copied into wasm, scanned and dropped; decoded
/// file bytes leave wasm in 1 MB parts and become a JavaScript Blob. So wasm
/// holds a chunk, 1 MB of file and the small members, never the ~70 MB body
/// or the 50 MB file (wasm memory never shrinks); JavaScript holds the parts
/// and then the Blob (the parts are garbage once it is built).
async fn scan_body(
    req: &Request,
    signature: Option<RequestSignature>,
) -> ApiResult<(ScannedBody, Option<RequestSignature>, web_sys::Blob)> {
    let mut scanner = VeryfiBodyScanner::new(MAX_FILE_BYTES, signature);
    let parts = Array::new();
    let mut chunk = Vec::new();
    let mut decoded = Vec::with_capacity(DECODED_PART_BYTES + DECODED_PART_BYTES / 8);
    let mut refused: Option<Failure> = None;
    let mut total = 0u64;
    if let Some(reader) = crate::upload::body_reader(req) {
        while let Some(part) = crate::upload::next_chunk(&reader).await? {
            total += part.length() as u64;
            if refused.is_none() && total > JSON_BODY_LIMIT {
                refused = Some(fail(ErrorCode::FileTooLarge, TOO_LARGE));
            }
            if refused.is_some() {
                // Read the rest and drop it: cancelling an incoming body
                // mid-upload makes the local runtime restart the worker.
                continue;
            }
            chunk.resize(part.length() as usize, 0);
            part.copy_to(&mut chunk);
            if let Err(e) = scanner.feed(&chunk, &mut decoded) {
                refused = Some(body_refused(e));
                continue;
            }
            if decoded.len() >= DECODED_PART_BYTES {
                parts.push(&Uint8Array::from(&decoded[..]));
                decoded.clear();
            }
        }
    }
    if let Some(f) = refused {
        return Err(f);
    }
    let (body, signature) = scanner.finish(&mut decoded).map_err(body_refused)?;
    if !decoded.is_empty() {
        parts.push(&Uint8Array::from(&decoded[..]));
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(read_failed)?;
    Ok((body, signature, blob))
}

fn read_failed(e: worker::wasm_bindgen::JsValue) -> Failure {
    worker::console_error!("veryfi body: {e:?}");
    fail(ErrorCode::InvalidRequest, "The request body could not be read")
}

/// Downloads a `file_url` (public HTTPS only, like webhooks), at most 50 MB,
/// within `FILE_URL_TIMEOUT_SECONDS` in all.
async fn download(raw_url: &str, cfg: &Config) -> ApiResult<(UploadFile, String)> {
    let url = check_public_url(raw_url, cfg.allow_loopback)
        .map_err(|r| fail(ErrorCode::InvalidRequest, format!("file_url refused: {}", r.message())))?;
    let name = url.path_segments().and_then(|mut s| s.next_back().map(str::to_string)).unwrap_or_default();
    let abort = AbortController::default();
    let signal = abort.signal();
    let timeout = Delay::from(Duration::from_secs(cfg.file_url_timeout_seconds.into()));
    let fetched = match select(pin!(fetch_following_redirects(url, cfg, &signal)), timeout).await {
        Either::Left((fetched, _)) => fetched?,
        Either::Right(_) => {
            abort.abort(); // stop the fetch or body still in flight
            let secs = cfg.file_url_timeout_seconds;
            return Err(fail(ErrorCode::InvalidRequest, format!("{DOWNLOAD_FAILED} within {secs} seconds")));
        }
    };
    Ok((UploadFile::Bytes(fetched), name))
}

/// Fetches with redirects followed by hand, so the URL guard sees every hop.
async fn fetch_following_redirects(mut url: Url, cfg: &Config, signal: &AbortSignal) -> ApiResult<Vec<u8>> {
    let download_failed = |_| fail(ErrorCode::InvalidRequest, DOWNLOAD_FAILED);
    let mut redirects = 0;
    let mut resp = loop {
        let mut init = RequestInit::new();
        init.with_redirect(RequestRedirect::Manual);
        let req = Request::new_with_init(url.as_str(), &init).map_err(download_failed)?;
        let resp = Fetch::Request(req).send_with_signal(signal).await.map_err(download_failed)?;
        if !matches!(resp.status_code(), 301 | 302 | 303 | 307 | 308) {
            break resp;
        }
        redirects += 1;
        if redirects > MAX_FILE_URL_REDIRECTS {
            return Err(fail(ErrorCode::InvalidRequest, format!("file_url redirected more than {MAX_FILE_URL_REDIRECTS} times")));
        }
        let location = resp.headers().get("location").ok().flatten().ok_or_else(|| fail(ErrorCode::InvalidRequest, DOWNLOAD_FAILED))?;
        let next = url.join(&location).map_err(|_| fail(ErrorCode::InvalidRequest, DOWNLOAD_FAILED))?;
        url = check_public_url(next.as_str(), cfg.allow_loopback)
            .map_err(|r| fail(ErrorCode::InvalidRequest, format!("file_url redirect refused: {}", r.message())))?;
    };
    if resp.status_code() != 200 {
        return Err(fail(ErrorCode::InvalidRequest, DOWNLOAD_FAILED));
    }
    let declared = resp.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_FILE_BYTES) {
        return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0) as usize);
    let mut stream = resp.stream()?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| fail(ErrorCode::InvalidRequest, "file_url download was interrupted"))?;
        if (out.len() + chunk.len()) as u64 > MAX_FILE_BYTES {
            return Err(fail(ErrorCode::FileTooLarge, TOO_LARGE));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn parse_veryfi_id(raw: &str) -> ApiResult<u64> {
    raw.parse::<u64>().map_err(|_| fail(ErrorCode::DocumentNotFound, "Document not found"))
}

/// The document behind a Veryfi id, among the caller's profile's documents
/// (`documents::snapshot` then checks the record itself).
async fn doc_id_for(env: &Env, principal: &Principal, veryfi_id: u64) -> ApiResult<String> {
    let found: FoundDocument =
        AccountClient::named(env, &principal.org_id)?.call(&VeryfiLookupArgs { veryfi_id, profile: principal.profile }).await?;
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
