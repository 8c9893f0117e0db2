//! Uploads without holding them whole in wasm memory. A Worker isolate has
//! 128 MB for JavaScript and wasm together, and wasm memory never shrinks, so
//! a 50 MB upload must not be copied into it: the file stays a JavaScript
//! `Blob`; the edge reads its first bytes (type by magic bytes) and, for
//! PDFs and idempotency fingerprints, scans it in 1 MB slices; R2 receives
//! the Blob's stream. Only TIFF page counting reads the whole file (its page
//! chain may point anywhere in the file).

use crate::http::{ApiResult, fail};
use folio_core::filetype::{PdfPageCounter, estimate_pages};
use folio_core::{ErrorCode, FileKind};
use sha2::{Digest, Sha256};
use worker::js_sys::{Array, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;

const SCAN_CHUNK: f64 = 1024.0 * 1024.0;
/// Enough for every magic-byte rule (PDF allows 1 KB of junk before `%PDF-`).
const HEAD_BYTES: f64 = 4096.0;

fn js_err(e: JsValue) -> crate::http::Failure {
    worker::console_error!("upload: {e:?}");
    fail(ErrorCode::InternalError, "Internal error (reading the upload)")
}

/// An uploaded file: a JavaScript Blob (multipart uploads) or bytes already
/// in wasm (decoded Veryfi `file_data`, `file_url` downloads).
pub enum UploadFile {
    Blob(web_sys::Blob),
    Bytes(Vec<u8>),
}

/// What the edge learns from a file before admitting it.
pub struct Scan {
    pub kind: FileKind,
    pub pages: u32,
    /// SHA-256 of the bytes, when asked for (idempotency fingerprints).
    pub sha256: Option<Vec<u8>>,
}

impl UploadFile {
    pub fn size(&self) -> u64 {
        match self {
            UploadFile::Blob(b) => b.size() as u64,
            UploadFile::Bytes(v) => v.len() as u64,
        }
    }

    async fn read(&self, start: f64, end: f64) -> ApiResult<Vec<u8>> {
        match self {
            UploadFile::Blob(b) => {
                let part = b.slice_with_f64_and_f64(start, end).map_err(js_err)?;
                let buf = JsFuture::from(part.array_buffer()).await.map_err(js_err)?;
                Ok(Uint8Array::new(&buf).to_vec())
            }
            UploadFile::Bytes(v) => {
                let (s, e) = (start as usize, (end as usize).min(v.len()));
                Ok(v.get(s..e).unwrap_or_default().to_vec())
            }
        }
    }

    /// Type, estimated pages and (if `hash`) the SHA-256, in one pass over
    /// slices of the file.
    pub async fn scan(&self, hash: bool) -> ApiResult<Scan> {
        let size = self.size() as f64;
        let head = self.read(0.0, size.min(HEAD_BYTES)).await?;
        let kind = FileKind::detect(&head)?;
        if kind == FileKind::Tiff {
            let all = self.read(0.0, size).await?;
            let sha256 = hash.then(|| Sha256::digest(&all).to_vec());
            return Ok(Scan { kind, pages: estimate_pages(kind, &all), sha256 });
        }
        if kind != FileKind::Pdf && !hash {
            return Ok(Scan { kind, pages: 1, sha256: None });
        }
        let mut pdf = (kind == FileKind::Pdf).then(PdfPageCounter::default);
        let mut hasher = hash.then(Sha256::new);
        let mut at = 0.0;
        while at < size {
            let end = (at + SCAN_CHUNK).min(size);
            let chunk = self.read(at, end).await?;
            if let Some(c) = pdf.as_mut() {
                c.feed(&chunk);
            }
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            at = end;
        }
        let pages = pdf.map(|c| c.finish().max(1)).unwrap_or(1);
        Ok(Scan { kind, pages, sha256: hasher.map(|h| h.finalize().to_vec()) })
    }

    /// The body for R2.
    pub fn into_r2_data(self) -> worker::Data {
        match self {
            UploadFile::Blob(b) => worker::Data::ReadableStream(b.stream()),
            UploadFile::Bytes(v) => worker::Data::Bytes(v),
        }
    }
}

/// The `file` entry of a parsed multipart form, as a Blob (never copied into wasm).
pub fn form_file(form: worker::FormData, name: &str) -> Option<web_sys::File> {
    let js: JsValue = form.into();
    let form: web_sys::FormData = js.unchecked_into();
    form.get(name).dyn_into::<web_sys::File>().ok()
}

/// The request body's reader, if it has a body.
pub fn body_reader(req: &worker::Request) -> Option<web_sys::ReadableStreamDefaultReader> {
    req.inner().body().map(|stream| stream.get_reader().unchecked_into())
}

/// The next chunk a body reader yields (`None` at the end), still in JavaScript.
pub async fn next_chunk(reader: &web_sys::ReadableStreamDefaultReader) -> ApiResult<Option<Uint8Array>> {
    let step = JsFuture::from(reader.read()).await.map_err(js_err)?;
    if Reflect::get(&step, &"done".into()).map_err(js_err)?.as_bool().unwrap_or(true) {
        return Ok(None);
    }
    Ok(Some(Reflect::get(&step, &"value".into()).map_err(js_err)?.unchecked_into()))
}

/// Reads a request body of unknown length (chunked) into a JavaScript Blob,
/// refusing with `FILE_TOO_LARGE` as soon as it passes `limit` bytes.
pub async fn body_to_blob(req: &worker::Request, limit: u64, too_large: &str) -> ApiResult<web_sys::Blob> {
    let parts = Array::new();
    if let Some(reader) = body_reader(req) {
        let mut total = 0u64;
        while let Some(chunk) = next_chunk(&reader).await? {
            total += chunk.length() as u64;
            if total > limit {
                // Past the limit: stop keeping chunks. The rest is read and
                // dropped (cancelling an incoming body mid-upload makes the
                // local runtime restart the worker).
                parts.set_length(0);
                continue;
            }
            parts.push(&chunk);
        }
        if total > limit {
            return Err(fail(ErrorCode::FileTooLarge, too_large));
        }
    }
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js_err)
}
