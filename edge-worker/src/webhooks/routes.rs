//! The webhook routes. The keys that can read the document (its
//! organisation's, of its profile: `documents::snapshot`) may read them;
//! only admin keys may redeliver. Any other document is not found, nor is a
//! deleted one.
//!
//! - `GET /v1/documents/{id}/webhooks`: `{"documentId", "deliveries": [...]}`,
//!   each delivery with its state and every attempt (time, attempt number,
//!   retry count, status, latency, error, at most the first KB of the
//!   response, [`folio_core::webhook::delivery::response_snippet`]).
//! - `POST /v1/documents/{id}/webhooks/redeliver`, optional body
//!   `{"deliveryId": "dlv_..."}`: sends the document's event again as a new
//!   delivery (new delivery id, full retry schedule), to every webhook the
//!   document is owed under the current settings, or only to the kind of
//!   the given delivery. `202` with the new deliveries; `403 FORBIDDEN` for
//!   a non-admin key; `409 INVALID_STATE` before the document is final or
//!   when no webhook is configured; `429 RATE_LIMIT_EXCEEDED` with
//!   `Retry-After` past the document's or the organisation's redelivery
//!   limit (settings.rs).
//! - `GET /v1/webhooks/failures`: the caller's profile's failure ledger,
//!   the ids waiting for the next admin notification, and the
//!   notifications taken (with their delivery logs).

use super::deliveries::{ListDeliveries, RedeliverArgs, WebhooksClient};
use super::failures::{FailuresClient, ViewFailures};
use super::plan_deliveries;
use super::settings::Settings;
use crate::auth::authenticate;
use crate::config::Config;
use crate::document::{DocumentClient, GetRecord};
use crate::documents::snapshot;
use crate::http::{ApiResult, fail, json_response, parse_json, read_body_limited};
use folio_core::ErrorCode;
use folio_core::api::ok_envelope;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request};

/// `GET /v1/documents/{id}/webhooks`.
pub async fn list(req: Request, env: Env, cfg: Config, doc_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    snapshot(&env, &principal, doc_id).await?;
    let deliveries = WebhooksClient::named(&env, doc_id)?.call(&ListDeliveries).await?;
    json_response(200, &ok_envelope(json!({"documentId": doc_id, "deliveries": deliveries})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RedeliverBody {
    #[serde(default)]
    delivery_id: Option<String>,
}

/// `POST /v1/documents/{id}/webhooks/redeliver`.
pub async fn redeliver(mut req: Request, env: Env, cfg: Config, doc_id: &str) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    // Each redelivery is up to 6 attempts to a URL of the sender's choosing.
    principal.require_admin_to("redeliver webhooks")?;
    let status = snapshot(&env, &principal, doc_id).await?.data.status;
    let body = read_body_limited(&mut req, 4 * 1024, "Body too large").await?;
    let only_like = if body.iter().all(u8::is_ascii_whitespace) { None } else { parse_json::<RedeliverBody>(&body)?.delivery_id };
    let not_final = |status: folio_core::DocumentStatus| {
        fail(ErrorCode::InvalidState, format!("Document {doc_id} is {}: webhooks are sent once it is completed or failed", status.as_str()))
    };
    if !status.is_final() {
        return Err(not_final(status));
    }
    // Final, so its Document DO holds the authoritative record.
    let rec = DocumentClient::named(&env, doc_id)?.call(&GetRecord).await?;
    if !rec.status.is_final() {
        return Err(not_final(rec.status));
    }
    let deliveries = plan_deliveries(&env, &rec).await?;
    if deliveries.is_empty() {
        return Err(fail(ErrorCode::InvalidState, "No webhook is configured for this document"));
    }
    let created =
        WebhooksClient::named(&env, doc_id)?.call(&RedeliverArgs { org_id: principal.org_id.clone(), deliveries, only_like }).await?;
    json_response(202, &ok_envelope(json!({"documentId": doc_id, "deliveries": created})))
}

/// `GET /v1/webhooks/failures`.
pub async fn failures(req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let mut view = FailuresClient::of(&env, &principal.org_id, principal.profile)?.call(&ViewFailures).await?;
    let configured = Settings::from_env(&env).admin_notification_url(&principal.org_id, principal.profile).is_some();
    view["profile"] = json!(principal.profile);
    view["adminNotificationUrlConfigured"] = json!(configured);
    json_response(200, &ok_envelope(view))
}
