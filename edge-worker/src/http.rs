//! HTTP plumbing shared by every route and Durable Object: the error type
//! (always answered in the spec's envelope), JSON responses, bounded body
//! reads, and the small JSON-RPC used between the worker and its Durable
//! Objects (`POST https://do/<op>` with JSON arguments; `200` with the result
//! or an error envelope; small JSON travels base64 in the `x-rpc` header).

use folio_core::{ApiError, ErrorCode};
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Request, Response};

/// An error answer: the envelope plus, for `429`, `Retry-After`.
#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    pub retry_after: Option<u32>,
}

pub type ApiResult<T = Response> = std::result::Result<T, Failure>;

pub fn fail(code: ErrorCode, message: impl Into<String>) -> Failure {
    Failure { error: ApiError::new(code, message), retry_after: None }
}

impl Failure {
    /// `429 RATE_LIMIT_EXCEEDED`, with its `Retry-After`.
    pub fn rate_limited(retry_after_seconds: u32) -> Failure {
        Failure { error: folio_core::api::rate_limited(retry_after_seconds), retry_after: Some(retry_after_seconds) }
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure { error, retry_after: None }
    }
}

impl From<worker::Error> for Failure {
    fn from(e: worker::Error) -> Self {
        worker::console_error!("internal error: {e}");
        fail(ErrorCode::InternalError, "Internal error; please retry")
    }
}

impl From<worker::KvError> for Failure {
    fn from(e: worker::KvError) -> Self {
        worker::console_error!("KV error: {e}");
        fail(ErrorCode::InternalError, "Internal error (storage); please retry")
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        worker::console_error!("JSON error: {e}");
        fail(ErrorCode::InternalError, "Internal error (serialisation)")
    }
}

/// The envelope response for a failure.
pub fn error_response(f: &Failure) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if let Some(s) = f.retry_after {
        let _ = headers.set("retry-after", &s.to_string());
    }
    Response::ok(f.error.to_json())
        .map(|r| r.with_status(f.error.http_status()).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().expect("empty response"))
}

/// A JSON response with `status`.
pub fn json_response(status: u16, value: &impl Serialize) -> ApiResult {
    Ok(Response::from_json(value)?.with_status(status))
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten().filter(|v| !v.is_empty())
}

pub fn content_length(req: &Request) -> Option<u64> {
    header(req, "content-length").and_then(|v| v.trim().parse().ok())
}

/// Reads the body, refusing with `FILE_TOO_LARGE` when it passes `limit`
/// bytes: a declared length over it is refused before reading, and the body
/// is never buffered beyond the limit.
pub async fn read_body_limited(req: &mut Request, limit: u64, too_large: &str) -> ApiResult<Vec<u8>> {
    if content_length(req).is_some_and(|len| len > limit) {
        return Err(fail(ErrorCode::FileTooLarge, too_large));
    }
    let mut out = Vec::new();
    let mut stream = match req.stream() {
        Ok(s) => s,
        Err(_) => return Ok(out), // no body
    };
    let mut over = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| fail(ErrorCode::InvalidRequest, "The request body could not be read"))?;
        if over || out.len() as u64 + chunk.len() as u64 > limit {
            // Keep reading but drop the rest: cancelling an incoming body
            // mid-upload makes the local runtime restart the worker.
            over = true;
            out = Vec::new();
            continue;
        }
        out.extend_from_slice(&chunk);
    }
    if over {
        return Err(fail(ErrorCode::FileTooLarge, too_large));
    }
    Ok(out)
}

/// Parses a JSON request body (already read) with a precise error.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| fail(ErrorCode::InvalidRequest, format!("Invalid JSON body: {e}")))
}

/// Milliseconds since the epoch, from the runtime's clock.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

/// Writes `value` to KV as JSON text. (Passing a struct to `KvStore::put`
/// goes through serde-wasm-bindgen, which turns JSON objects held in
/// `serde_json::Map`s into JS Maps that stringify as `{}`.)
pub async fn kv_put_json(kv: &worker::KvStore, key: &str, value: &impl Serialize) -> ApiResult<()> {
    let text = serde_json::to_string(value)?;
    crate::faults::guard("kv.put", async { Ok(kv.put(key, text)?.execute().await?) }).await
}

pub async fn kv_delete(kv: &worker::KvStore, key: &str) -> ApiResult<()> {
    crate::faults::guard("kv.delete", async { Ok(kv.delete(key).await?) }).await
}

/// Reads a JSON value written by [`kv_put_json`] (parsed by serde_json, so
/// numbers and objects come back exactly as written).
pub async fn kv_get_json<T: DeserializeOwned>(kv: &worker::KvStore, key: &str) -> ApiResult<Option<T>> {
    match crate::faults::guard("kv.get", async { Ok(kv.get(key).text().await?) }).await? {
        Some(text) => Ok(Some(serde_json::from_str(&text)?)),
        None => Ok(None),
    }
}
