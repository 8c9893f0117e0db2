//! Reading and deleting documents, and the caller's account:
//! `GET /v1/documents/{id}`, `GET /v1/documents`, `DELETE /v1/documents/{id}`,
//! `GET /v1/documents/{id}/outputs/{name}`, `GET /v1/documents/{id}/file`,
//! `GET /v1/documents/{id}/pages/{n}/preview`, `GET /v1/account`,
//! `GET|PUT /v1/account/webhook`.
//!
//! Every lookup is scoped to the caller's organisation and profile: snapshots
//! live under `doc:{orgId}:{docId}` and the list index in the org's Account
//! DO, and a key reaches only documents submitted by a key of its own profile
//! (live or sandbox, see [`reachable`]). Any other id simply is not found (404).

use crate::account::{AccountClient, AccountView, GetAccount, ListArgs, ListPage, ProfileSettings, RecordOf, WebhookSetArgs};
use crate::auth::{Principal, authenticate};
use crate::config::{Config, FILES, KV};
use crate::document::{DocumentClient, GetRecord};
use crate::http::{ApiResult, fail, json_response, kv_get_json, parse_json, read_body_limited};
use crate::model::{DocumentRecord, DocumentSnapshot, Profile, doc_kv_key, file_r2_key};
use folio_core::api::{ok_envelope, parse_list_query};
use folio_core::outputs::{Artifact, OutputName, PREVIEW_PAGES, artifact_r2_key, content_disposition};
use folio_core::url_guard::validate_webhook_url;
use folio_core::{ErrorCode, FileKind, ids};
use futures_util::future::join_all;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use worker::{Env, Headers, Request, Response};

fn not_found() -> crate::http::Failure {
    fail(ErrorCode::DocumentNotFound, "Document not found")
}

/// The access rule for documents, the one place it is decided (the list
/// index applies the same rule in its SQL): a key reaches the documents of
/// its own organisation submitted under its own profile, as Veryfi keeps
/// them apart ("Dev profiles aka sandbox have separate api keys"). Any other
/// document answers exactly as one that does not exist, so its existence
/// does not leak.
fn reachable(principal: &Principal, org_id: &str, profile: Profile) -> ApiResult<()> {
    if org_id == principal.org_id && profile == principal.profile { Ok(()) } else { Err(not_found()) }
}

/// The snapshot of `rec`, if the caller may reach it.
fn snapshot_of(principal: &Principal, rec: &DocumentRecord) -> ApiResult<DocumentSnapshot> {
    reachable(principal, &rec.org_id, rec.profile)?;
    Ok(rec.snapshot())
}

/// The caller's snapshot of `doc_id`: from KV, written by the Document DO on
/// every change once a host has leased the document; before that (or when KV
/// has not caught up, or holds a snapshot from before snapshots named their
/// profile) from the authority: the record the organisation's Account DO
/// keeps from admission to the first lease, then the Document DO.
pub async fn snapshot(env: &Env, principal: &Principal, doc_id: &str) -> ApiResult<DocumentSnapshot> {
    if !ids::is_document_id(doc_id) {
        return Err(not_found());
    }
    let cached = kv_get_json::<DocumentSnapshot>(&env.kv(KV)?, &doc_kv_key(&principal.org_id, doc_id)).await?;
    if let Some(s) = cached
        && let Some(profile) = s.profile
    {
        // The KV key is the caller's organisation's.
        reachable(principal, &principal.org_id, profile)?;
        return Ok(s);
    }
    let admitted: Option<DocumentRecord> =
        AccountClient::named(env, &principal.org_id)?.call(&RecordOf { doc_id: doc_id.to_string() }).await?;
    let rec = match admitted {
        Some(rec) => rec,
        None => DocumentClient::named(env, doc_id)?.call(&GetRecord).await.map_err(|_| not_found())?,
    };
    snapshot_of(principal, &rec)
}

/// `GET /v1/documents/{id}`.
pub async fn get(req: Request, env: Env, cfg: Config, doc_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let snap = snapshot(&env, &principal, doc_id).await?;
    json_response(200, &ok_envelope(snap.data))
}

/// `GET /v1/documents/{id}/outputs/{name}`: an output the document lists
/// (`data.outputs`), streamed from R2 with its `Content-Type` and an
/// attachment `Content-Disposition`. Scoped like every read; an output the
/// document does not list (not asked for, not made yet, unknown name) is
/// `OUTPUT_NOT_FOUND`.
pub async fn get_output(req: Request, env: Env, cfg: Config, doc_id: &str, name: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let snap = snapshot(&env, &principal, doc_id).await?;
    let data = snap.data;
    let link = data.outputs.iter().flatten().find(|l| l.name.as_str() == name).cloned().ok_or_else(|| {
        let why = match OutputName::parse(name) {
            None => format!("Unknown output {name:?}: valid outputs are {}", OutputName::names()),
            Some(_) if data.status != folio_core::DocumentStatus::Completed => {
                format!("The document is {}; its outputs exist once it is completed", data.status.as_str())
            }
            Some(o) => format!("The document has no {o} output (outputs are made when asked for at submission)"),
        };
        fail(ErrorCode::OutputNotFound, why)
    })?;
    let key = artifact_r2_key(&principal.org_id, doc_id, &Artifact::Output(link.name));
    let bucket = env.bucket(FILES)?;
    let obj = crate::faults::guard("r2.get", async { Ok(bucket.get(key).execute().await?) })
        .await?
        .ok_or_else(|| fail(ErrorCode::OutputNotFound, format!("The {} output is gone", link.name)))?;
    let headers = Headers::new();
    headers.set("content-type", &link.content_type)?;
    headers.set("content-length", &obj.size().to_string())?;
    headers.set("content-disposition", &content_disposition(&link.file_name))?;
    headers.set("cache-control", "private, no-store")?;
    let body = obj.body().ok_or_else(|| fail(ErrorCode::InternalError, "Empty object"))?;
    Ok(Response::from_body(body.response_body()?)?.with_headers(headers))
}

/// `GET /v1/documents?status=&documentType=&limit=&cursor=`, newest first.
pub async fn list(req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let url = req.url()?;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let q = parse_list_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let page: ListPage = AccountClient::named(&env, &principal.org_id)?
        .call(&ListArgs { profile: principal.profile, status: q.status, document_type: q.document_type, limit: q.limit, cursor: q.cursor })
        .await?;
    let admitted: HashMap<&str, &DocumentRecord> = page.admitted.iter().map(|r| (r.id.as_str(), r)).collect();
    let snaps = join_all(page.doc_ids.iter().map(|id| {
        let known = admitted.get(id.as_str()).map(|r| snapshot_of(&principal, r));
        let principal = &principal;
        let env = &env;
        async move {
            match known {
                Some(s) => s,
                None => snapshot(env, principal, id).await,
            }
        }
    }))
    .await;
    // A document deleted between the index read and now is skipped, as is
    // one the index counts as live only because it predates the profile
    // column (its record knows better).
    // Any other failure fails the page: a transient storage error must not
    // make a document silently missing from it.
    let mut data = Vec::with_capacity(snaps.len());
    for snap in snaps {
        match snap {
            Ok(s) => data.push(json!(s.data)),
            Err(f) if f.error.code == ErrorCode::DocumentNotFound => {}
            Err(f) => return Err(f),
        }
    }
    json_response(
        200,
        &json!({
            "success": true,
            "data": data,
            "pagination": {
                "limit": q.limit,
                "hasMore": page.next_cursor.is_some(),
                "nextCursor": page.next_cursor.map(|c| c.encode()),
            }
        }),
    )
}

/// Deletes a document the caller may reach: file and results gone.
pub async fn delete_document(env: &Env, principal: &Principal, doc_id: &str) -> ApiResult<crate::document::Deleted> {
    // Access check first: another organisation's or profile's id is not found.
    snapshot(env, principal, doc_id).await?;
    DocumentClient::named(env, doc_id)?
        .call(&crate::document::DeleteArgs { org_id: principal.org_id.clone(), doc_id: doc_id.to_string() })
        .await
}

/// `DELETE /v1/documents/{id}`.
pub async fn delete(req: Request, env: Env, cfg: Config, doc_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let gone = delete_document(&env, &principal, doc_id).await?;
    json_response(200, &ok_envelope(gone))
}

/// `GET /v1/account`: plan and credits (pages).
pub async fn account(req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let view: AccountView = AccountClient::named(&env, &principal.org_id)?.call(&GetAccount).await?;
    json_response(
        200,
        &ok_envelope(json!({"account": view, "key": {"keyId": principal.key_id, "role": principal.role, "profile": principal.profile}})),
    )
}

fn webhook_view(p: &ProfileSettings) -> Value {
    json!({
        "profile": p.profile,
        "url": p.webhook_url,
        "secretConfigured": p.webhook_secret.is_some(),
    })
}

/// `GET /v1/account/webhook`: the account-level webhook of the caller's profile.
pub async fn get_webhook(req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let p: ProfileSettings =
        AccountClient::named(&env, &principal.org_id)?.call(&crate::account::ProfileArgs { profile: principal.profile }).await?;
    json_response(200, &ok_envelope(webhook_view(&p)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebhookBody {
    url: Option<String>,
    #[serde(default)]
    secret: Option<String>,
}

/// `PUT /v1/account/webhook` `{"url": "https://...", "secret": "..."}` (admin
/// keys only; `url: null` removes it). Applies to the caller's profile:
/// sandbox keys set the sandbox webhook.
pub async fn put_webhook(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    principal.require_admin()?;
    let body: WebhookBody = parse_json(&read_body_limited(&mut req, 16 * 1024, "Body too large").await?)?;
    let url = body.url.as_deref().map(|u| validate_webhook_url(u, cfg.allow_loopback)).transpose()?;
    if body.secret.as_ref().is_some_and(|s| s.is_empty() || s.len() > folio_core::api::MAX_WEBHOOK_SECRET_LEN) {
        return Err(fail(ErrorCode::InvalidRequest, "secret must be 1 to 256 characters"));
    }
    let p: ProfileSettings = AccountClient::named(&env, &principal.org_id)?
        .call(&WebhookSetArgs { profile: principal.profile, url, secret: body.secret })
        .await?;
    json_response(200, &ok_envelope(webhook_view(&p)))
}

/// The uploaded bytes of a document the caller may reach, from R2, with the
/// type decided at upload (magic bytes, kept as the object's content type;
/// `None` for an object stored without one).
async fn stored_file(
    env: &Env,
    principal: &Principal,
    doc_id: &str,
) -> ApiResult<(worker::Object, Option<FileKind>, folio_core::document::DocumentData)> {
    // Access first: another organisation's or profile's id is not found.
    let snap = snapshot(env, principal, doc_id).await?;
    let bucket = env.bucket(FILES)?;
    let obj = crate::faults::guard("r2.get", async { Ok(bucket.get(file_r2_key(&principal.org_id, doc_id)).execute().await?) })
        .await?
        .ok_or_else(not_found)?;
    let content_type = obj.http_metadata().content_type.unwrap_or_default();
    let kind =
        [FileKind::Pdf, FileKind::Png, FileKind::Jpeg, FileKind::Webp, FileKind::Tiff].into_iter().find(|k| k.mime_type() == content_type);
    Ok((obj, kind, snap.data))
}

/// Streams a stored object with headers that keep a browser from treating
/// it as anything but the file it is (no sniffing, no scripts, private).
fn file_response(obj: worker::Object, content_type: &str, disposition: &str) -> ApiResult {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    headers.set("content-length", &obj.size().to_string())?;
    headers.set("content-disposition", disposition)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("content-security-policy", "default-src 'none'; sandbox")?;
    headers.set("cache-control", "private, no-store")?;
    let body = obj.body().ok_or_else(|| fail(ErrorCode::InternalError, "Empty object"))?;
    Ok(Response::from_body(body.response_body()?)?.with_headers(headers))
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): a
/// header-safe ASCII name (no quotes, backslashes or semicolons) and the
/// exact name percent-encoded.
fn attachment(file_name: &str) -> String {
    let ascii: String = file_name.chars().filter(|c| (c.is_ascii_graphic() || *c == ' ') && !matches!(c, '"' | '\\' | ';')).collect();
    let ascii = if ascii.trim().is_empty() { "document".to_string() } else { ascii };
    let exact: String = file_name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

/// `GET /v1/documents/{id}/file`: the uploaded file as stored, with its
/// detected `Content-Type` (any state; gone once the document is deleted).
pub async fn file(req: Request, env: Env, cfg: Config, doc_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let (obj, kind, data) = stored_file(&env, &principal, doc_id).await?;
    file_response(obj, kind.map_or("application/octet-stream", FileKind::mime_type), &attachment(&data.file_name))
}

/// `GET /v1/documents/{id}/pages/{n}/preview`: an image of page `n` to draw
/// `fields[].bbox` on (scaled by `metadata.pages[].width/height`). A PNG,
/// JPEG or WebP upload is its own one-page preview. For PDF and TIFF pages
/// the host stores a small PNG of each of the first [`PREVIEW_PAGES`] pages
/// with the result (`preview-{n}.png`, deleted with the document); a page
/// without one (not processed yet, beyond the cap, processed before
/// previews were made, or beyond the last page) is `404 PREVIEW_NOT_AVAILABLE`.
pub async fn preview(req: Request, env: Env, cfg: Config, doc_id: &str, page: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let n: u32 = page
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| fail(ErrorCode::InvalidRequest, "The page number must be a whole number from 1"))?;
    // Access first (and the kind): another organisation's id is not found.
    let (obj, kind, data) = stored_file(&env, &principal, doc_id).await?;
    match kind {
        Some(k @ (FileKind::Png | FileKind::Jpeg | FileKind::Webp)) if n == 1 => file_response(obj, k.mime_type(), "inline"),
        Some(FileKind::Png | FileKind::Jpeg | FileKind::Webp) => {
            Err(fail(ErrorCode::PreviewNotAvailable, format!("The document is a single image: it has no page {n}")))
        }
        Some(FileKind::Pdf | FileKind::Tiff) => {
            drop(obj);
            if let Some(pages) = data.pages_processed.filter(|p| n > *p) {
                return Err(fail(ErrorCode::PreviewNotAvailable, format!("The document has {pages} pages: it has no page {n}")));
            }
            if n > PREVIEW_PAGES {
                return Err(fail(
                    ErrorCode::PreviewNotAvailable,
                    format!("No preview image of page {n}: previews are stored for the first {PREVIEW_PAGES} pages only"),
                ));
            }
            let key = artifact_r2_key(&principal.org_id, doc_id, &Artifact::Preview { page: n });
            let bucket = env.bucket(FILES)?;
            let stored = crate::faults::guard("r2.get", async { Ok(bucket.get(key).execute().await?) }).await?;
            match stored {
                Some(png) => file_response(png, Artifact::Preview { page: n }.content_type(), "inline"),
                None if data.status != folio_core::DocumentStatus::Completed => Err(fail(
                    ErrorCode::PreviewNotAvailable,
                    format!("No preview image of page {n} yet: previews are stored when the document is processed"),
                )),
                None => Err(fail(
                    ErrorCode::PreviewNotAvailable,
                    format!("No preview image of page {n} was stored (documents processed before page previews were made have none)"),
                )),
            }
        }
        None => Err(fail(ErrorCode::PreviewNotAvailable, "No preview image: the stored file has no known type")),
    }
}
