//! The `DocumentWebhooks` Durable Object: one per document (named by its
//! id), holding every delivery of that document's events (the submission's
//! DocuRift webhook, the account's Veryfi webhook, manual redeliveries) with
//! their attempt logs. Its alarm drives the attempts ([`Outbox::pump`]).
//!
//! One object per document rather than per delivery: listing and
//! redelivering are then one call, and a document has at most a handful of
//! deliveries. Due attempts of different deliveries go out concurrently; the
//! price of the single alarm is that while one receiver holds an attempt open
//! (up to its 30 s timeout), another delivery of the same document that
//! falls due meanwhile waits for it.
//!
//! Deleting the document purges the object (`purge`, called by the
//! Document DO's delete): the alarm is cancelled, the storage (events with
//! the extracted data and callback metadata, secrets, attempt logs) deleted,
//! and a tombstone left, so a late hand-over or redelivery cannot bring the
//! deliveries back; every later op answers `DOCUMENT_NOT_FOUND`. As a
//! backstop, before a retry the object also checks that the document still
//! exists, and purges itself if not.
//!
//! Ops (JSON RPC, see `crate::http::rpc`):
//! - `start` [`StartArgs`]: the Document DO's hand-over. Adds the
//!   deliveries, idempotent per kind (it may hand a document over more than
//!   once), arms the alarm for now and, to skip the alarm's dispatch delay,
//!   also runs the due attempts right away in the background (`waitUntil`);
//!   both paths share the in-flight marks.
//! - `redeliver` [`RedeliverArgs`]: a manual redelivery: new deliveries,
//!   each linked to the latest of its kind, sent like `start`'s. Counted
//!   against the document's window here and the organisation's in its
//!   Account DO ([`super::limits`]); over either, `429` with `Retry-After`
//!   and nothing counted or sent.
//! - `list`: every delivery, oldest first, as [`delivery_view`]s.
//! - `purge`: see above; answers [`Purged`].

use super::failures::{FailureRecord, FailuresClient, RecordArgs};
use super::limits::{CountRedeliveryArgs, RedeliveryCounted, RedeliveryWindow};
use super::outbox::{DeliveryKind, Outbox, StoredDelivery, delivery_view};
use super::settings::Settings;
use crate::account::AccountClient;
use crate::document::{DocumentClient, GetRecord};
use crate::http::{ApiResult, fail, now_ms};
use crate::model::Profile as AccountProfile;
use crate::rpc::{Client, answer, decode, operations, reply};
use folio_core::ErrorCode;
use folio_core::ids::new_delivery_id;
use folio_core::time::rfc3339_millis;
use folio_core::webhook::{Delivery, NextStep, RedeliveryScope, WebhookEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{DurableObject, Env, Request, Response, SqlStorage, State, Storage, durable_object};

/// How soon a failed hand-over to the failure ledger is tried again.
const REPORT_RETRY_MS: i64 = 5_000;

#[durable_object]
pub struct DocumentWebhooks {
    state: State,
    env: Env,
}

/// A delivery to create.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDelivery {
    pub kind: DeliveryKind,
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// No secret of its own: signed with the organisation's default secret(s) at each attempt.
    #[serde(default)]
    pub org_signing: bool,
    pub event: WebhookEvent,
    pub document_id: String,
    pub org_id: String,
    pub account_profile: AccountProfile,
    pub veryfi_id: u64,
    /// When the document reached its final state (unix ms).
    #[serde(default)]
    pub finished_at_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartArgs {
    pub deliveries: Vec<NewDelivery>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeliverArgs {
    /// Whose redelivery budget it is.
    pub org_id: String,
    pub deliveries: Vec<NewDelivery>,
    /// Repeat only this delivery's kind.
    #[serde(default)]
    pub only_like: Option<String>,
}

/// The answer of `purge`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Purged {
    pub purged: bool,
}

/// Every delivery with its attempts, as the API shows them (`list`).
#[derive(Serialize, Deserialize)]
pub struct ListDeliveries;

/// Stop and delete everything (`purge`, the document was deleted).
#[derive(Serialize, Deserialize)]
pub struct Purge;

operations! {
    /// The DocumentWebhooks DO's operations. Answers are the API's delivery views.
    pub enum WebhooksRequest for WebhooksObject (super::settings::WEBHOOKS_BINDING) {
        Start(StartArgs) -> Vec<Value>,
        Redeliver(RedeliverArgs) -> Vec<Value>,
        List(ListDeliveries) -> Vec<Value>,
        Purge(Purge) -> Purged,
    }
}

/// A document's webhook deliveries (named by the document id).
pub type WebhooksClient = Client<WebhooksObject>;

/// What a purged object keeps.
const TOMBSTONE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tombstone (id INTEGER PRIMARY KEY CHECK (id = 1), purged_at INTEGER NOT NULL);
";

fn is_purged(sql: &SqlStorage) -> worker::Result<bool> {
    #[derive(Deserialize)]
    struct N {
        n: f64,
    }
    sql.exec(TOMBSTONE_SCHEMA, None)?;
    Ok(sql.exec("SELECT COUNT(*) AS n FROM tombstone", None)?.one::<N>()?.n > 0.0)
}

/// A purged object's document is gone: every op answers as the document routes do.
fn refuse_if_purged(storage: &Storage) -> ApiResult<()> {
    if is_purged(&storage.sql())? { Err(fail(ErrorCode::DocumentNotFound, "Document not found")) } else { Ok(()) }
}

/// Stops every pending attempt and deletes everything the object holds,
/// leaving only the tombstone. The storage calls run behind the object's
/// input gate, so no other event sees the object between them.
async fn purge_storage(storage: &Storage) -> worker::Result<()> {
    storage.delete_alarm().await?;
    storage.delete_all().await?;
    let sql = storage.sql();
    sql.exec(TOMBSTONE_SCHEMA, None)?;
    sql.exec("INSERT OR REPLACE INTO tombstone (id, purged_at) VALUES (1, ?)", vec![now_ms().into()])?;
    Ok(())
}

impl DurableObject for DocumentWebhooks {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match decode::<WebhooksRequest>(&mut req).await {
            Err(f) => answer::<()>(Err(f)),
            Ok(WebhooksRequest::Start(a)) => reply::<StartArgs>(self.start(a).await),
            Ok(WebhooksRequest::Redeliver(a)) => reply::<RedeliverArgs>(self.redeliver(a).await),
            Ok(WebhooksRequest::List(ListDeliveries)) => reply::<ListDeliveries>(self.list()),
            Ok(WebhooksRequest::Purge(Purge)) => reply::<Purge>(self.purge().await),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        run_due(self.state.storage(), self.env.clone()).await;
        Response::ok("ok")
    }
}

/// What the alarm does: every due attempt, failure reports, the next alarm.
/// Never fails (a failing alarm would be retried on the platform's
/// schedule, not ours): problems are logged and the alarm set to try again.
async fn run_due(storage: Storage, env: Env) {
    if purged(&storage) {
        let _ = storage.delete_alarm().await;
        return;
    }
    let settings = Settings::from_env(&env);
    let outbox = match Outbox::open(&storage) {
        Ok(o) => o,
        Err(e) => {
            worker::console_error!("webhooks: {e}");
            let _ = storage.set_alarm(REPORT_RETRY_MS).await;
            return;
        }
    };
    if document_deleted(&env, &outbox).await {
        // "File and results gone": the payloads and the log go with them.
        if let Err(e) = purge_storage(&storage).await {
            worker::console_error!("webhooks: purging a deleted document's deliveries: {e}");
        }
        return;
    }
    if let Err(e) = outbox.pump(&env, &settings).await {
        worker::console_error!("webhooks: pump: {e}");
    }
    if purged(&storage) {
        return; // purged while the attempts were out: nothing left to report or schedule
    }
    let reported = report_failures(&env, &outbox).await;
    reschedule(&storage, &outbox, !reported).await;
}

/// Whether the object was purged (a storage error is logged and counts as
/// not purged: the outbox then meets the same error and retries).
fn purged(storage: &Storage) -> bool {
    is_purged(&storage.sql()).unwrap_or_else(|e| {
        worker::console_error!("webhooks: reading the tombstone: {e}");
        false
    })
}

/// Before a retry, is the document gone (`DELETE /v1/documents/{id}`)?
/// First attempts skip the check (the document has just finished: no
/// extra call on the hot path); a Document DO that cannot answer counts as
/// present, so deliveries never stall on it.
async fn document_deleted(env: &Env, outbox: &Outbox) -> bool {
    let now = now_ms();
    let Ok(all) = outbox.all() else { return false };
    let retry_due = all.iter().find(|d| {
        d.kind != DeliveryKind::AdminNotification
            && !d.delivery.attempts.is_empty()
            && matches!(d.delivery.next_step(now), NextStep::Send { .. })
    });
    let Some(d) = retry_due else { return false };
    let found = match DocumentClient::named(env, &d.delivery.document_id) {
        Ok(doc) => doc.call(&GetRecord).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    matches!(found, Err(f) if f.error.code == ErrorCode::DocumentNotFound)
}

impl DocumentWebhooks {
    async fn start(&self, a: StartArgs) -> ApiResult<Vec<Value>> {
        let storage = self.state.storage();
        refuse_if_purged(&storage)?;
        let outbox = Outbox::open(&storage)?;
        let (out, added) = add_deliveries(&outbox, a.deliveries, false)?;
        self.send_soon(storage, &outbox, added).await;
        Ok(out)
    }

    async fn redeliver(&self, a: RedeliverArgs) -> ApiResult<Vec<Value>> {
        let storage = self.state.storage();
        refuse_if_purged(&storage)?;
        let limits = Settings::from_env(&self.env).redelivery_limits;
        let outbox = Outbox::open(&storage)?;
        // Refusals that are the caller's mistake come before any counting.
        let wanted = only_like(&outbox.all()?, a.deliveries, a.only_like.as_deref())?;
        let window = RedeliveryWindow::open(storage.sql(), RedeliveryScope::Document)?;
        let taken_in = window.take(limits.per_document)?;
        // The organisation's window is its Account DO's: an await, so this
        // object's state is read again afterwards.
        let org_counted: ApiResult<RedeliveryCounted> = match AccountClient::named(&self.env, &a.org_id) {
            Ok(account) => account.call(&CountRedeliveryArgs { limit: limits.per_organisation }).await,
            Err(e) => Err(e.into()),
        };
        refuse_if_purged(&storage)?;
        if let Err(f) = org_counted {
            window.give_back(taken_in)?; // not sent, so not counted
            return Err(f);
        }
        let (out, added) = add_deliveries(&outbox, wanted, true)?;
        self.send_soon(storage, &outbox, added).await;
        Ok(out)
    }

    /// The alarm is the guarantee; running the first attempts right away
    /// saves the alarm's dispatch delay. Both go through the same in-flight
    /// marks, so whichever comes second finds nothing to send.
    async fn send_soon(&self, storage: Storage, outbox: &Outbox, added: bool) {
        reschedule(&storage, outbox, false).await;
        if added {
            self.state.wait_until(run_due(storage, self.env.clone()));
        }
    }

    fn list(&self) -> ApiResult<Vec<Value>> {
        let storage = self.state.storage();
        refuse_if_purged(&storage)?;
        let outbox = Outbox::open(&storage)?;
        Ok(outbox.all()?.iter().map(delivery_view).collect())
    }

    async fn purge(&self) -> ApiResult<Purged> {
        purge_storage(&self.state.storage()).await?;
        Ok(Purged { purged: true })
    }
}

/// With a delivery id, only the deliveries of that delivery's kind.
fn only_like(existing: &[StoredDelivery], mut wanted: Vec<NewDelivery>, like_id: Option<&str>) -> ApiResult<Vec<NewDelivery>> {
    if let Some(id) = like_id {
        let like = existing
            .iter()
            .find(|d| d.id() == id)
            .ok_or_else(|| fail(ErrorCode::NotFound, format!("No delivery {id} for this document")))?;
        wanted.retain(|n| n.kind == like.kind);
        if wanted.is_empty() {
            return Err(fail(ErrorCode::InvalidState, format!("The {} of delivery {id} is no longer configured", kind_name(like.kind))));
        }
    }
    if wanted.is_empty() {
        return Err(fail(ErrorCode::InvalidState, "No webhook is configured for this document"));
    }
    Ok(wanted)
}

/// Stores `wanted` as new deliveries (synchronously, against the deliveries
/// stored now) and returns their views and whether any is new. A hand-over
/// (`redelivery` false) keeps the first delivery of each kind; a
/// redelivery is always new, linked to the latest of its kind.
fn add_deliveries(outbox: &Outbox, wanted: Vec<NewDelivery>, redelivery: bool) -> ApiResult<(Vec<Value>, bool)> {
    let existing = outbox.all()?;
    let now = now_ms();
    let mut out = Vec::new();
    let mut added = false;
    for n in wanted {
        let mut same_kind = existing.iter().filter(|d| d.kind == n.kind);
        if !redelivery && let Some(first) = same_kind.clone().find(|d| d.redelivery_of.is_none()) {
            out.push(delivery_view(first)); // handed over before
            continue;
        }
        let redelivery_of = if redelivery { same_kind.next_back().map(|d| d.id().to_string()) } else { None };
        let d = StoredDelivery {
            delivery: Delivery::new(new_delivery_id(), n.document_id, n.url, n.event, now),
            kind: n.kind,
            secret: n.secret,
            org_signing: n.org_signing,
            org_id: n.org_id,
            account_profile: n.account_profile,
            veryfi_id: Some(n.veryfi_id),
            finished_at_ms: n.finished_at_ms,
            redelivery_of,
            failure_reported: false,
        };
        outbox.insert(&d)?;
        out.push(delivery_view(&d));
        added = true;
    }
    Ok((out, added))
}

/// Records exhausted deliveries in the organisation's failure ledger
/// (which notifies the admins). Returns false if one must be retried.
async fn report_failures(env: &Env, outbox: &Outbox) -> bool {
    let owed: Vec<StoredDelivery> = match outbox.all() {
        Ok(all) => all.into_iter().filter(StoredDelivery::owes_failure_report).collect(),
        Err(e) => {
            worker::console_error!("webhooks: reading deliveries: {e}");
            return false;
        }
    };
    let mut all_ok = true;
    for d in owed {
        let del = &d.delivery;
        let record = RecordArgs {
            org_id: d.org_id.clone(),
            profile: d.account_profile,
            failure: FailureRecord {
                delivery_id: del.delivery_id.clone(),
                document_id: del.document_id.clone(),
                veryfi_id: d.veryfi_id,
                kind: d.kind,
                event: del.event.event.clone(),
                url: del.url.clone(),
                attempts: del.attempts.len() as u32,
                exhausted_at: rfc3339_millis(now_ms()),
            },
        };
        let sent = match FailuresClient::of(env, &d.org_id, d.account_profile) {
            Ok(ledger) => ledger.call(&record).await,
            Err(e) => Err(e.into()),
        };
        let marked = sent.and_then(|_| {
            // Re-read: only this flag changes.
            let mut fresh = outbox.load(d.id())?.ok_or_else(|| fail(ErrorCode::InternalError, "delivery vanished"))?;
            fresh.failure_reported = true;
            outbox.save(&fresh)?;
            Ok(())
        });
        if let Err(f) = marked {
            worker::console_error!("webhooks: reporting {} failed: {:?}", d.id(), f.error);
            all_ok = false;
        }
    }
    all_ok
}

/// Sets the alarm for the earliest work, from what is stored now (so a
/// delivery added while an alarm was running is never overlooked).
async fn reschedule(storage: &Storage, outbox: &Outbox, retry_reports: bool) {
    let now = now_ms();
    let mut wake = match outbox.next_wake(now) {
        Ok(w) => w,
        Err(e) => {
            worker::console_error!("webhooks: {e}");
            Some(now + REPORT_RETRY_MS)
        }
    };
    if retry_reports {
        let retry = now + REPORT_RETRY_MS;
        wake = Some(wake.map_or(retry, |w| w.min(retry)));
    }
    set_or_clear_alarm(storage, wake, now).await;
}

/// Arms the object's alarm for `wake` (unix ms; past times fire at once) or clears it.
pub async fn set_or_clear_alarm(storage: &Storage, wake: Option<i64>, now: i64) {
    let r = match wake {
        Some(at) => storage.set_alarm((at - now).max(0)).await,
        None => storage.delete_alarm().await,
    };
    if let Err(e) = r {
        worker::console_error!("webhooks: setting the alarm: {e}");
    }
}

fn kind_name(k: DeliveryKind) -> &'static str {
    match k {
        DeliveryKind::DocumentWebhook => "document webhook",
        DeliveryKind::AccountWebhook => "account webhook",
        DeliveryKind::AdminNotification => "admin notification",
    }
}
