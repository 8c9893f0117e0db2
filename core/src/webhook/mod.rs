//! Webhook delivery rules, without I/O: payloads and their exact bytes,
//! signatures, retry profiles, the delivery state machine and its log, and
//! the admin digest. The edge worker's delivery Durable Object is glue
//! around these.
//!
//! - [`js_json`]: JSON exactly as `JSON.stringify(JSON.parse(..))` writes it,
//!   so the DocuRift Node verifier (which re-serialises) agrees with the
//!   Python one (which hashes the raw body).
//! - [`payload`]: DocuRift `document.completed`/`document.failed`, Veryfi
//!   `document.created`/`document.failed`, the admin `webhooks.failed` digest.
//! - [`signature`]: `X-DocuRift-Signature`, Standard Webhooks `webhook-signature`,
//!   `x-veryfi-signature`; [`veryfi`]: the Python-repr string Veryfi signs.
//! - [`request`]: the headers of one attempt.
//! - [`retry`]: profiles, time scale, and `decide` (what follows an attempt).
//! - [`delivery`]: one delivery as a state machine safe against repeated alarms, and its log.
//! - [`admin`]: one admin notification per 24 h.
//! - [`redelivery`]: the per-document and per-organisation limits on manual redelivery.

pub mod admin;
pub mod delivery;
pub mod js_json;
pub mod payload;
pub mod redelivery;
pub mod request;
pub mod retry;
pub mod signature;
pub mod veryfi;

pub use admin::AdminDigest;
pub use delivery::{AttemptRecord, Delivery, DeliveryState, NextStep};
pub use js_json::to_js_json;
pub use payload::{VeryfiOutcome, WebhookEvent, admin_notification_event, docurift_event, veryfi_event};
pub use redelivery::{RedeliveryLimits, RedeliveryScope, redelivery_rate_limited};
pub use request::{SigningKeys, attempt_headers};
pub use retry::{AttemptOutcome, Decision, Profile, StopReason, TimeScale, decide};
