//! `POST /bench/bare-upload`: the baseline for the submission benchmark
//! (BENCHMARKS.md, "Edge API"). It does only what any upload endpoint must:
//! parse the multipart body and write the file's bytes to R2. No auth,
//! validation, Durable Objects or KV. Answers 404 unless the deployment
//! sets `BENCH_BARE_UPLOAD = "true"` (never in production).

use crate::config::FILES;
use crate::http::{ApiResult, fail, json_response};
use crate::upload::{UploadFile, form_file};
use folio_core::ErrorCode;
use serde_json::json;
use worker::{Env, Request};

pub fn enabled(env: &Env) -> bool {
    env.var("BENCH_BARE_UPLOAD").map(|v| v.to_string() == "true").unwrap_or(false)
}

pub async fn bare_upload(mut req: Request, env: Env) -> ApiResult {
    let form = req.form_data().await.map_err(|_| fail(ErrorCode::InvalidRequest, "bad form"))?;
    let file = form_file(form, "file").ok_or_else(|| fail(ErrorCode::InvalidRequest, "no file"))?;
    let key = format!("bench/{}", folio_core::ids::random_token(20));
    let size = file.size() as u64;
    let data = UploadFile::Blob(file.into()).into_r2_data();
    env.bucket(FILES)?.put(key.clone(), data).execute().await?;
    json_response(201, &json!({"key": key, "size": size}))
}
