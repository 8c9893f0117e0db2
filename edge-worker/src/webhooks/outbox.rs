//! The delivery engine shared by both webhook Durable Objects: a table of
//! deliveries in the object's SQLite storage, and [`Outbox::pump`], which the
//! object's alarm runs to make every due attempt.
//!
//! Exactly-once per attempt, with at-least-once alarms: `pump` marks each due
//! attempt in flight (folio-core's [`Delivery::begin_attempt`]) and writes it
//! before anything is sent, and applies each result to a freshly read row
//! ([`Delivery::finish_attempt`] ignores a result for any other attempt). SQL
//! calls are synchronous, so a read-modify-write of a row cannot interleave
//! with another event of the object, and Durable Objects hold outgoing
//! requests until the writes before them are durable. A repeated alarm thus
//! finds the attempt in flight (or done) and sends nothing; a restart during a
//! request leaves the in-flight row, which is logged as interrupted once its
//! deadline passes and counts as a failed attempt.

use super::send::{Sent, send_attempt};
use super::settings::Settings;
use crate::account::{AccountClient, GetSigningKeys, SigningKeys};
use crate::http::now_ms;
use crate::model::Profile as AccountProfile;
use folio_core::time::rfc3339_millis;
use folio_core::webhook::{Delivery, DeliveryState, NextStep};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use worker::Env;
use worker::{SqlStorage, SqlStorageValue, Storage};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL);
";

/// Why a delivery exists; decides who hears about it failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryKind {
    /// The submission's `webhookUrl` (DocuRift profile).
    DocumentWebhook,
    /// The organisation's account-level webhook of the document's profile (Veryfi profile).
    AccountWebhook,
    /// The `webhooks.failed` digest to the organisation's admins.
    AdminNotification,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::DocumentWebhook => "documentWebhook",
            DeliveryKind::AccountWebhook => "accountWebhook",
            DeliveryKind::AdminNotification => "adminNotification",
        }
    }

    /// Exhausted deliveries of this kind go to the admin digest.
    pub fn is_reported(self) -> bool {
        self != DeliveryKind::AdminNotification
    }
}

/// A delivery as stored: folio-core's state machine plus what sending and
/// reporting need. The secret never leaves the object (see [`delivery_view`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredDelivery {
    pub delivery: Delivery,
    pub kind: DeliveryKind,
    /// `webhookSecret` (DocuRift) or the profile's Veryfi client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// A DocuRift delivery without `webhookSecret`: signed with the
    /// organisation's default secret, looked up at every attempt so a
    /// rotation applies to retries (and the old secret co-signs during the overlap).
    #[serde(default)]
    pub org_signing: bool,
    pub org_id: String,
    pub account_profile: AccountProfile,
    /// The document's numeric (Veryfi) id, listed in admin digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub veryfi_id: Option<u64>,
    /// When the document reached its final state (unix ms), for documents' deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<i64>,
    /// Set on manual redeliveries: the delivery this one repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivery_of: Option<String>,
    /// An exhausted delivery has been recorded in the organisation's failure ledger.
    #[serde(default)]
    pub failure_reported: bool,
}

impl StoredDelivery {
    pub fn id(&self) -> &str {
        &self.delivery.delivery_id
    }

    /// Exhausted and not yet in the failure ledger.
    pub fn owes_failure_report(&self) -> bool {
        self.kind.is_reported() && self.delivery.state == DeliveryState::Exhausted && !self.failure_reported
    }
}

#[derive(Deserialize)]
struct Row {
    body: String,
}

/// The deliveries table of one Durable Object.
pub struct Outbox {
    sql: SqlStorage,
}

impl Outbox {
    /// Opens (creating if needed) the table in a Durable Object's storage.
    pub fn open(storage: &Storage) -> worker::Result<Outbox> {
        let sql = storage.sql();
        sql.exec(SCHEMA, None)?;
        Ok(Outbox { sql })
    }

    pub fn insert(&self, d: &StoredDelivery) -> worker::Result<()> {
        #[derive(Deserialize)]
        struct Next {
            n: f64,
        }
        let seq = self.sql.exec("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM deliveries", None)?.one::<Next>()?.n as i64;
        self.sql.exec(
            "INSERT INTO deliveries (id, seq, kind, body) VALUES (?, ?, ?, ?)",
            vec![
                SqlStorageValue::from(d.id()),
                seq.into(),
                d.kind.as_str().into(),
                serde_json::to_string(d).map_err(|e| worker::Error::RustError(e.to_string()))?.into(),
            ],
        )?;
        Ok(())
    }

    pub fn save(&self, d: &StoredDelivery) -> worker::Result<()> {
        let body = serde_json::to_string(d).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec("UPDATE deliveries SET body = ? WHERE id = ?", vec![body.into(), d.id().into()])?;
        Ok(())
    }

    pub fn load(&self, id: &str) -> worker::Result<Option<StoredDelivery>> {
        let rows = self.sql.exec("SELECT body FROM deliveries WHERE id = ?", vec![id.into()])?.to_array::<Row>()?;
        rows.into_iter().next().map(|r| parse(&r.body)).transpose()
    }

    /// Every delivery, oldest first.
    pub fn all(&self) -> worker::Result<Vec<StoredDelivery>> {
        let rows = self.sql.exec("SELECT body FROM deliveries ORDER BY seq", None)?.to_array::<Row>()?;
        rows.iter().map(|r| parse(&r.body)).collect()
    }

    /// Makes every attempt that is due now, concurrently, and records each
    /// result. Interrupted attempts past their deadline are logged first.
    pub async fn pump(&self, env: &Env, settings: &Settings) -> worker::Result<()> {
        let now = now_ms();
        let mut begun = Vec::new();
        // Synchronous from here to the sends: no other event of the object
        // runs in between, and the in-flight marks are written before any
        // request leaves.
        for mut d in self.all()? {
            if matches!(d.delivery.next_step(now), NextStep::Recover { .. }) {
                d.delivery.recover_interrupted(now, settings.scale);
                self.save(&d)?;
            }
            if let Some(attempt) = d.delivery.begin_attempt(now) {
                self.save(&d)?;
                begun.push((d, attempt));
            }
        }
        let org_keys = &organisation_keys(env, begun.iter().map(|(d, _)| d)).await;
        let results = join_all(begun.iter().map(|(d, attempt)| async move {
            let org = if d.org_signing { org_keys.get(&d.org_id).cloned() } else { None };
            let sent = send_attempt(d, *attempt, settings.allow_loopback, org.as_ref()).await;
            self.finish(d.id(), *attempt, sent, settings).map_err(|e| (d.id().to_string(), e))
        }))
        .await;
        for r in results {
            if let Err((id, e)) = r {
                // The row stays in flight and is recovered after its deadline.
                worker::console_error!("webhook delivery {id}: recording the attempt failed: {e}");
            }
        }
        Ok(())
    }

    /// Applies an attempt's result to the row as it is now.
    fn finish(&self, id: &str, attempt: u32, sent: Sent, settings: &Settings) -> worker::Result<()> {
        let Some(mut d) = self.load(id)? else { return Ok(()) };
        let applied = d.delivery.finish_attempt(attempt, sent.outcome, sent.body.as_deref(), now_ms(), settings.scale).is_some();
        if applied {
            self.save(&d)?;
        }
        Ok(())
    }

    /// When the object must wake next: the earliest due attempt or
    /// in-flight deadline (a time in the past means "now").
    pub fn next_wake(&self, now: i64) -> worker::Result<Option<i64>> {
        let mut wake: Option<i64> = None;
        for d in self.all()? {
            let at = match d.delivery.next_step(now) {
                NextStep::Send { .. } | NextStep::Recover { .. } => now,
                NextStep::WakeAt { at_ms } => at_ms,
                NextStep::Done => continue,
            };
            wake = Some(wake.map_or(at, |w: i64| w.min(at)));
        }
        Ok(wake)
    }
}

/// The default signing secrets of each organisation whose deliveries need
/// them, one Account call per organisation. An organisation whose secrets
/// cannot be read is left out: its attempts fail (logged, retried) rather
/// than go out unsigned.
async fn organisation_keys<'a>(env: &Env, deliveries: impl Iterator<Item = &'a StoredDelivery>) -> HashMap<String, SigningKeys> {
    let mut orgs: Vec<&str> = deliveries.filter(|d| d.org_signing).map(|d| d.org_id.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let mut out = HashMap::new();
    for org in orgs {
        let keys = match AccountClient::named(env, org) {
            Ok(account) => account.call(&GetSigningKeys).await,
            Err(e) => Err(e.into()),
        };
        match keys {
            Ok(k) => {
                out.insert(org.to_string(), k);
            }
            Err(f) => worker::console_error!("webhooks: signing secrets of {org}: {:?}", f.error),
        }
    }
    out
}

fn parse(body: &str) -> worker::Result<StoredDelivery> {
    serde_json::from_str(body).map_err(|e| worker::Error::RustError(format!("stored delivery: {e}")))
}

/// A delivery as the API shows it: everything but the secret and the body.
pub fn delivery_view(d: &StoredDelivery) -> Value {
    let del = &d.delivery;
    let (state, next_attempt_at, stop_reason, in_flight_attempt) = match &del.state {
        DeliveryState::Scheduled { at_ms } => ("scheduled", Some(rfc3339_millis(*at_ms)), None, None),
        DeliveryState::InFlight { attempt, .. } => ("inFlight", None, None, Some(*attempt)),
        DeliveryState::Delivered => ("delivered", None, None, None),
        DeliveryState::Exhausted => ("exhausted", None, None, None),
        DeliveryState::Stopped { reason } => ("stopped", None, Some(*reason), None),
    };
    let mut v = json!({
        "deliveryId": del.delivery_id,
        "kind": d.kind.as_str(),
        "profile": del.event.profile.as_str(),
        "event": del.event.event,
        "url": del.url,
        "state": state,
        "createdAt": del.created_at,
        "attemptCount": del.attempts.len(),
        "maxAttempts": del.event.profile.rules().max_attempts(),
        "attempts": del.attempts,
    });
    let o = v.as_object_mut().expect("object");
    if let Some(t) = next_attempt_at {
        o.insert("nextAttemptAt".into(), t.into());
    }
    if let Some(r) = stop_reason {
        o.insert("stopReason".into(), json!(r));
    }
    if let Some(a) = in_flight_attempt {
        o.insert("inFlightAttempt".into(), a.into());
    }
    if let Some(t) = d.finished_at_ms {
        o.insert("documentFinishedAt".into(), rfc3339_millis(t).into());
    }
    if let Some(r) = &d.redelivery_of {
        o.insert("redeliveryOf".into(), r.clone().into());
    }
    v
}
