//! Webhook delivery: signed, retried by Durable Object alarms,
//! observable and replayable. The rules (payload bytes, signatures, retry
//! profiles, the alarm-safe state machine, the 24 h admin digest) are
//! folio-core's `webhook` module; this is the glue around them.
//!
//! Flow: the Document DO calls [`document_finished`] once a document is
//! `completed` or `failed` (again until it returns `Ok`). It works out the
//! deliveries the document is owed and hands them to the document's
//! [`deliveries::DocumentWebhooks`] object, whose alarm sends each attempt
//! ([`outbox`], [`send`]). Exhausted deliveries go to the organisation's
//! [`failures::WebhookFailures`] ledger, which notifies the admins.
//!
//! What a finished document is owed:
//! - its submission's `webhookUrl` (DocuRift API): `document.completed` /
//!   `document.failed` in the DocuRift shape, `callbackMetadata` echoed,
//!   `X-DocuRift-*` headers signed with `webhookSecret` or, without one,
//!   the organisation's default secret (`whsec_...`, shown at creation,
//!   rotated by the admin API with a 24 h overlap during which the old one
//!   adds a second Standard Webhooks signature), Standard Webhooks headers;
//!   DocuRift retry profile (6 attempts).
//! - the organisation's account-level webhook of the document's profile
//!   (live or sandbox, `PUT /v1/account/webhook`), for every document of
//!   that profile whichever API submitted it, as Veryfi's account webhook
//!   is: `document.created` / `document.failed` with `data` =
//!   `{id, created[, error]}` (`id` the numeric document id), signed
//!   `x-veryfi-signature` with the profile's Veryfi client secret (the
//!   account's `webhookSecret` is not used: Veryfi receivers verify with the
//!   client secret); Veryfi retry profile (3 attempts).
//!
//! API ([`routes`]): `GET /v1/documents/{id}/webhooks` (deliveries and every
//! attempt), `POST /v1/documents/{id}/webhooks/redeliver` (the same event
//! again, as a new delivery; admin keys only, limited per document and per
//! organisation, [`limits`]), `GET /v1/webhooks/failures` (the caller's
//! profile's failure ledger and admin notifications).
//!
//! Deleting a document purges its deliveries ([`purge_deliveries`]).
//!
//! Settings: [`settings`] (`WEBHOOK_TIME_SCALE`, `ADMIN_NOTIFICATION_URL`,
//! the redelivery limits).

pub mod deliveries;
pub mod failures;
pub mod limits;
mod outbox;
mod routes;
mod send;
mod settings;

pub use routes::{failures as failures_route, list, redeliver};

use crate::account::{AccountClient, ProfileArgs};
use crate::http::{ApiResult, now_ms};
use crate::model::DocumentRecord;
use deliveries::{NewDelivery, Purge, StartArgs, WebhooksClient};
use folio_core::webhook::{VeryfiOutcome, docurift_event, veryfi_event};
use folio_core::{DocumentStatus, ErrorCode};
use outbox::DeliveryKind;
use worker::{Env, Result};

/// Called by the Document DO once per final state, until it succeeds (so
/// it must be, and is, idempotent: the deliveries object keeps the first
/// hand-over of each kind).
pub async fn document_finished(env: &Env, doc: &DocumentRecord) -> Result<()> {
    let r: ApiResult<()> = async {
        let deliveries = plan_deliveries(env, doc).await?;
        if deliveries.is_empty() {
            return Ok(());
        }
        WebhooksClient::named(env, &doc.id)?.call(&StartArgs { deliveries }).await?;
        Ok(())
    }
    .await;
    r.map_err(|f| worker::Error::RustError(format!("webhook hand-off: {}", f.error)))
}

/// Called by the Document DO's delete: stops the document's pending
/// deliveries and deletes them with their payloads, secrets and log, for good.
pub async fn purge_deliveries(env: &Env, doc_id: &str) -> ApiResult<()> {
    WebhooksClient::named(env, doc_id)?.call(&Purge).await?;
    Ok(())
}

/// The deliveries a finished document is owed under the current settings.
pub(crate) async fn plan_deliveries(env: &Env, doc: &DocumentRecord) -> ApiResult<Vec<NewDelivery>> {
    let at = doc.processed_at_ms.unwrap_or_else(now_ms);
    let new = |kind, url: String, secret: Option<String>, event| NewDelivery {
        kind,
        url,
        org_signing: secret.is_none(),
        secret,
        event,
        document_id: doc.id.clone(),
        org_id: doc.org_id.clone(),
        account_profile: doc.profile,
        veryfi_id: doc.veryfi_id,
        finished_at_ms: doc.processed_at_ms,
    };
    let mut out = Vec::new();
    if let Some(url) = &doc.options.webhook_url {
        let event = docurift_event(&doc.data(), doc.options.callback_metadata.as_ref(), at)?;
        out.push(new(DeliveryKind::DocumentWebhook, url.clone(), doc.options.webhook_secret.clone(), event));
    }
    let profile = AccountClient::named(env, &doc.org_id)?.call(&ProfileArgs { profile: doc.profile }).await?;
    if let Some(url) = profile.webhook_url {
        let reason;
        let outcome = match doc.status {
            DocumentStatus::Completed => VeryfiOutcome::Created,
            DocumentStatus::Failed => {
                reason = doc.error.as_ref().map_or("Processing failed", |e| e.message.as_str());
                VeryfiOutcome::Failed(reason)
            }
            other => {
                return Err(crate::http::fail(
                    ErrorCode::InvalidState,
                    format!("Document {} is {}: webhooks are sent once it is completed or failed", doc.id, other.as_str()),
                ));
            }
        };
        let event = veryfi_event(doc.veryfi_id, doc.created_at_ms, outcome, at)?;
        out.push(new(DeliveryKind::AccountWebhook, url, Some(profile.client_secret), event));
    }
    Ok(out)
}
