//! Webhook delivery hand-off.
//!
//! The Document DO calls [`document_finished`] once a document reaches
//! `completed` or `failed`, and keeps calling it (alarm retries) until it
//! returns `Ok` once. Delivery itself (a Delivery DO with alarms, signed
//! DocuRift / Veryfi / Standard Webhooks requests, the retry schedules) is
//! implemented by issue #6; this entry point is where it starts.
//!
//! What the record carries for delivery:
//! - per-document webhook (DocuRift submissions): `doc.options.webhook_url`,
//!   `doc.options.webhook_secret`, `doc.options.callback_metadata`;
//! - account-level webhooks (Veryfi submissions): `doc.org_id` + `doc.profile`
//!   select the profile's settings in the Account DO (`profile` op:
//!   `webhookUrl`, `webhookSecret`, `clientId`, `clientSecret`);
//! - `doc.source` (docurift | veryfi), `doc.veryfi_id`, `doc.file_name`,
//!   and the public document via `doc.data()` (a `DocumentData`).

use crate::model::DocumentRecord;
use worker::{Env, Result};

/// Called exactly once per final state (until it succeeds).
pub async fn document_finished(_env: &Env, doc: &DocumentRecord) -> Result<()> {
    worker::console_log!(
        "document {} finished: {} (webhook: {})",
        doc.id,
        doc.status.as_str(),
        doc.options.webhook_url.is_some()
    );
    Ok(())
}
