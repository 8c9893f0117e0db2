//! `GET /v1/openapi.json`: the OpenAPI 3.1 description of the public API
//! (`openapi.json` beside this file; `tests/edge/test_openapi.py` checks it
//! against the running worker).

use crate::http::ApiResult;
use worker::{Headers, Response};

const DOCUMENT: &str = include_str!("openapi.json");

pub fn serve() -> ApiResult {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::ok(DOCUMENT)?.with_headers(headers))
}
