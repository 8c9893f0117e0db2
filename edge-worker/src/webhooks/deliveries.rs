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
//! Before a retry the object checks that the document still exists: once
//! it is deleted, its deliveries and their log are dropped and nothing more
//! is sent.
//!
//! Ops (JSON RPC, see `crate::http::rpc`):
//! - `start` [`StartArgs`]: add deliveries, arm the alarm for now and, to
//!   skip the alarm's dispatch delay, also run the due attempts right away
//!   in the background (`waitUntil`); both paths share the in-flight marks.
//!   Without `redelivery` it is idempotent per kind (the Document DO may hand
//!   a document over more than once); with it, every delivery is new.
//! - `list`: every delivery, oldest first, as [`delivery_view`]s.

use super::failures::{FailureRecord, RecordArgs, failures_stub};
use super::outbox::{DeliveryKind, Outbox, StoredDelivery, delivery_view};
use super::settings::Settings;
use crate::http::{ApiResult, args, fail, now_ms, rpc, rpc_answer, rpc_request};
use crate::model::{Profile as AccountProfile, document_stub};
use folio_core::ErrorCode;
use folio_core::ids::new_delivery_id;
use folio_core::time::rfc3339_millis;
use folio_core::webhook::{Delivery, NextStep, WebhookEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{DurableObject, Env, Request, Response, State, Storage, durable_object};

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
    /// A manual redelivery: always new deliveries, linked to the latest of their kind.
    #[serde(default)]
    pub redelivery: bool,
    /// With `redelivery`: repeat only this delivery's kind.
    #[serde(default)]
    pub only_like: Option<String>,
}

impl DurableObject for DocumentWebhooks {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let (op, body) = match rpc_request(&mut req).await {
            Ok(x) => x,
            Err(f) => return rpc_answer::<()>(Err(f)),
        };
        match op.as_str() {
            "start" => rpc_answer(match args(body) {
                Ok(a) => self.start(a).await,
                Err(f) => Err(f),
            }),
            "list" => rpc_answer(self.list()),
            _ => rpc_answer::<()>(Err(fail(ErrorCode::NotFound, format!("unknown webhooks op {op}")))),
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
        if let Err(e) = outbox.purge() {
            worker::console_error!("webhooks: purging a deleted document's deliveries: {e}");
        }
        let _ = storage.delete_alarm().await;
        return;
    }
    if let Err(e) = outbox.pump(&settings).await {
        worker::console_error!("webhooks: pump: {e}");
    }
    let reported = report_failures(&env, &outbox).await;
    reschedule(&storage, &outbox, !reported).await;
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
    let answer: ApiResult<Value> = match document_stub(env, &d.delivery.document_id) {
        Ok(stub) => rpc(&stub, "get", &Value::Null).await,
        Err(e) => Err(e.into()),
    };
    matches!(answer, Err(f) if f.error.code == ErrorCode::DocumentNotFound)
}

impl DocumentWebhooks {
    async fn start(&self, a: StartArgs) -> ApiResult<Vec<Value>> {
        let outbox = Outbox::open(&self.state.storage())?;
        let existing = outbox.all()?;
        let mut wanted = a.deliveries;
        if let Some(id) = &a.only_like {
            let like = existing
                .iter()
                .find(|d| d.id() == id)
                .ok_or_else(|| fail(ErrorCode::NotFound, format!("No delivery {id} for this document")))?;
            wanted.retain(|n| n.kind == like.kind);
            if wanted.is_empty() {
                return Err(fail(
                    ErrorCode::InvalidState,
                    format!("The {} of delivery {id} is no longer configured", kind_name(like.kind)),
                ));
            }
        }
        let now = now_ms();
        let mut out = Vec::new();
        let mut added = false;
        for n in wanted {
            let mut same_kind = existing.iter().filter(|d| d.kind == n.kind);
            if !a.redelivery
                && let Some(first) = same_kind.clone().find(|d| d.redelivery_of.is_none())
            {
                out.push(delivery_view(first)); // handed over before
                continue;
            }
            let redelivery_of = if a.redelivery { same_kind.next_back().map(|d| d.id().to_string()) } else { None };
            let d = StoredDelivery {
                delivery: Delivery::new(new_delivery_id(), n.document_id, n.url, n.event, now),
                kind: n.kind,
                secret: n.secret,
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
        let storage = self.state.storage();
        // The alarm is the guarantee; running the first attempts right away
        // saves the alarm's dispatch delay. Both go through the same
        // in-flight marks, so whichever comes second finds nothing to send.
        reschedule(&storage, &outbox, false).await;
        if added {
            self.state.wait_until(run_due(storage, self.env.clone()));
        }
        Ok(out)
    }

    fn list(&self) -> ApiResult<Vec<Value>> {
        let outbox = Outbox::open(&self.state.storage())?;
        Ok(outbox.all()?.iter().map(delivery_view).collect())
    }
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
        let sent: ApiResult<Value> = match failures_stub(env, &d.org_id, d.account_profile) {
            Ok(stub) => rpc(&stub, "record", &record).await,
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
