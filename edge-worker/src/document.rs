//! The Document Durable Object: one per document, named by its id, the
//! authority for its state: `queued -> processing -> completed | failed`
//! (and back to `queued` when a lease expires or a host gives the job back).
//! Every change is written to the KV snapshot that reads use. Reaching a
//! final state settles or refunds credits in the Account DO and hands the
//! document to webhook delivery exactly once; those effects are recorded as
//! pending first and retried by the object's alarm until they succeed.

use crate::config::{FILES, KV};
use crate::http::{ApiResult, args, fail, kv_put_json, now_ms, rpc, rpc_answer, rpc_request};
use crate::model::{
    DocumentRecord, PendingEffects, account_stub, doc_kv_key, queue_shard_for, queue_stub,
};
use crate::queue::{EnqueueArgs, Position};
use folio_core::api::SubmissionAccepted;
use folio_core::{ApiError, DocumentStatus, ErrorCode, ProcessingResult};
use futures_channel::oneshot;
use futures_util::future::{join, select};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::time::Duration;
use worker::{Delay, DurableObject, Env, Request, Response, State, durable_object};

/// Storage key of the record; a deleted document keeps only a tombstone.
const RECORD: &str = "record";
const DELETED: &str = "deleted";
/// Retry delay for pending final-state effects.
const EFFECT_RETRY_MS: i64 = 5_000;

#[durable_object]
pub struct Document {
    state: State,
    env: Env,
    /// Requests waiting for a final state (`POST /v1/documents/process`).
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateArgs {
    pub record: DocumentRecord,
    pub default_processing_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartArgs {
    pub lease_id: String,
    pub attempt: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteArgs {
    pub lease_id: String,
    pub result: ProcessingResult,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailArgs {
    #[serde(default)]
    pub lease_id: Option<String>,
    pub error: ApiError,
    /// From the queue's alarm: the last attempt's lease expired.
    #[serde(default)]
    pub expired: bool,
}

impl DurableObject for Document {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, waiters: RefCell::new(Vec::new()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let (op, body) = match rpc_request(&mut req).await {
            Ok(x) => x,
            Err(f) => return rpc_answer::<()>(Err(f)),
        };
        match op.as_str() {
            "create" => rpc_answer(match args(body) {
                Ok(a) => self.create(a).await,
                Err(f) => Err(f),
            }),
            "get" => rpc_answer(self.load().await),
            "wait" => rpc_answer(self.wait(body["timeoutMs"].as_u64().unwrap_or(0)).await),
            "start" => rpc_answer(match args(body) {
                Ok(a) => self.start(a).await,
                Err(f) => Err(f),
            }),
            "complete" => rpc_answer(match args(body) {
                Ok(a) => self.complete(a).await,
                Err(f) => Err(f),
            }),
            "fail" => rpc_answer(match args(body) {
                Ok(a) => self.fail(a).await,
                Err(f) => Err(f),
            }),
            "requeue" => rpc_answer(self.requeue(body["leaseId"].as_str().unwrap_or("")).await),
            "delete" => rpc_answer(self.delete().await),
            _ => rpc_answer::<()>(Err(fail(ErrorCode::NotFound, format!("unknown document op {op}")))),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Ok(mut rec) = self.load().await {
            self.run_effects(&mut rec).await;
        }
        Response::ok("ok")
    }
}

fn accepted(rec: &DocumentRecord, queue_position: u64, eta_ms: i64) -> SubmissionAccepted {
    SubmissionAccepted {
        id: rec.id.clone(),
        status: rec.status,
        estimated_completion_time: folio_core::time::rfc3339(eta_ms),
        queue_position,
        webhook_configured: rec.options.webhook_url.is_some(),
        created_at: folio_core::time::rfc3339(rec.created_at_ms),
    }
}

fn lease_lost() -> crate::http::Failure {
    fail(ErrorCode::LeaseLost, "The lease has expired or was never granted")
}

impl Document {
    async fn load(&self) -> ApiResult<DocumentRecord> {
        let storage = self.state.storage();
        if storage.get::<bool>(DELETED).await?.unwrap_or(false) {
            return Err(fail(ErrorCode::DocumentNotFound, "Document not found"));
        }
        let text = storage
            .get::<String>(RECORD)
            .await?
            .ok_or_else(|| fail(ErrorCode::DocumentNotFound, "Document not found"))?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Stored as JSON text: serde-wasm-bindgen would turn JSON objects
    /// (`extractedData`, `callbackMetadata`) into JS Maps.
    async fn put_record(&self, rec: &DocumentRecord) -> ApiResult<()> {
        self.state.storage().put(RECORD, serde_json::to_string(rec)?).await?;
        Ok(())
    }

    async fn save(&self, rec: &mut DocumentRecord) -> ApiResult<()> {
        rec.updated_at_ms = now_ms();
        self.put_record(rec).await?;
        self.write_snapshot(rec).await
    }

    async fn write_snapshot(&self, rec: &DocumentRecord) -> ApiResult<()> {
        kv_put_json(&self.env.kv(KV)?, &doc_kv_key(&rec.org_id, &rec.id), &rec.snapshot()).await
    }

    /// Stores a new document and puts it in the queue (idempotent: a second
    /// create answers like the first).
    async fn create(&self, a: CreateArgs) -> ApiResult<SubmissionAccepted> {
        let rec = match self.load().await {
            Ok(existing) => existing,
            Err(_) => {
                let mut rec = a.record;
                rec.status = DocumentStatus::Queued;
                self.put_record(&rec).await?;
                rec
            }
        };
        if rec.status != DocumentStatus::Queued {
            // A repeated create of a document already leased or finished.
            return Ok(accepted(&rec, 0, now_ms()));
        }
        // The snapshot for reads and the queue entry, concurrently.
        let enqueue = async {
            rpc::<_, Position>(
                &queue_stub(&self.env, queue_shard_for(&rec.org_id))?,
                "enqueue",
                &EnqueueArgs {
                    doc_id: rec.id.clone(),
                    org_id: rec.org_id.clone(),
                    rank: rec.options.priority.rank(),
                    document_type: rec.options.document_type.clone(),
                    default_processing_ms: a.default_processing_ms,
                },
            )
            .await
        };
        let (snapshot, pos) = join(self.write_snapshot(&rec), enqueue).await;
        snapshot?;
        let pos = pos?;
        Ok(accepted(&rec, pos.queue_position, pos.estimated_completion_ms))
    }

    /// Waits until the document is final or `timeout_ms` passes; answers the record.
    async fn wait(&self, timeout_ms: u64) -> ApiResult<DocumentRecord> {
        let rec = self.load().await?;
        if rec.status.is_final() || timeout_ms == 0 {
            return Ok(rec);
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().push(tx);
        let _ = select(rx, Delay::from(Duration::from_millis(timeout_ms))).await;
        self.load().await
    }

    fn wake_waiters(&self) {
        for tx in self.waiters.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
    }

    /// A host leased the job: `processing` under this lease.
    async fn start(&self, a: StartArgs) -> ApiResult<DocumentRecord> {
        let mut rec = self.load().await.map_err(|_| lease_lost())?;
        if rec.status.is_final() || a.attempt < rec.attempt {
            return Err(lease_lost());
        }
        rec.status = DocumentStatus::Processing;
        rec.attempt = a.attempt;
        rec.lease_id = Some(a.lease_id);
        self.save(&mut rec).await?;
        self.index_status(&rec, None).await;
        Ok(rec)
    }

    async fn complete(&self, a: CompleteArgs) -> ApiResult<Value> {
        let mut rec = self.load().await.map_err(|_| lease_lost())?;
        let same_lease = rec.lease_id.as_deref() == Some(a.lease_id.as_str());
        if rec.status == DocumentStatus::Completed && same_lease {
            return Ok(json!({"docId": rec.id, "status": rec.status})); // a retried call
        }
        if rec.status != DocumentStatus::Processing || !same_lease {
            return Err(lease_lost());
        }
        rec.status = DocumentStatus::Completed;
        rec.processed_at_ms = Some(now_ms());
        rec.result = Some(a.result);
        rec.error = None;
        self.finish(&mut rec).await?;
        Ok(json!({"docId": rec.id, "status": rec.status}))
    }

    async fn fail(&self, a: FailArgs) -> ApiResult<Value> {
        let mut rec = self.load().await.map_err(|_| lease_lost())?;
        let same_lease = a.lease_id.is_none() || rec.lease_id == a.lease_id;
        if rec.status == DocumentStatus::Failed && same_lease {
            return Ok(json!({"docId": rec.id, "status": rec.status}));
        }
        if rec.status.is_final() || (!a.expired && !same_lease) {
            return Err(lease_lost());
        }
        rec.status = DocumentStatus::Failed;
        rec.processed_at_ms = Some(now_ms());
        rec.error = Some(a.error);
        self.finish(&mut rec).await?;
        Ok(json!({"docId": rec.id, "status": rec.status}))
    }

    /// The lease ended without a result (expired, retryable failure, released).
    async fn requeue(&self, lease_id: &str) -> ApiResult<Value> {
        let mut rec = self.load().await?;
        if rec.status == DocumentStatus::Processing && rec.lease_id.as_deref() == Some(lease_id) {
            rec.status = DocumentStatus::Queued;
            rec.lease_id = None;
            self.save(&mut rec).await?;
            self.index_status(&rec, None).await;
        }
        Ok(json!({"docId": rec.id, "status": rec.status}))
    }

    /// Records the final state with its effects pending, then runs them.
    async fn finish(&self, rec: &mut DocumentRecord) -> ApiResult<()> {
        rec.pending = PendingEffects { account: true, webhook: true };
        self.save(rec).await?;
        self.wake_waiters();
        self.run_effects(rec).await;
        Ok(())
    }

    /// Runs pending final-state effects; what fails is retried by the alarm.
    async fn run_effects(&self, rec: &mut DocumentRecord) {
        if rec.pending.account {
            let pages = rec.result.as_ref().map(|r| r.pages_processed as i64);
            if self.index_status(rec, pages).await {
                rec.pending.account = false;
            }
        }
        if rec.pending.webhook {
            match crate::webhooks::document_finished(&self.env, rec).await {
                Ok(()) => rec.pending.webhook = false,
                Err(e) => worker::console_error!("webhook hand-off for {}: {e}", rec.id),
            }
        }
        let storage = self.state.storage();
        if let Err(f) = self.put_record(rec).await {
            worker::console_error!("saving effects of {}: {:?}", rec.id, f.error);
        }
        if rec.pending.any() {
            let _ = storage.set_alarm(EFFECT_RETRY_MS).await;
        }
    }

    /// Tells the Account DO the document's status (and, when final, the
    /// pages to settle). Returns whether it succeeded.
    async fn index_status(&self, rec: &DocumentRecord, pages: Option<i64>) -> bool {
        let r: ApiResult<Value> = match account_stub(&self.env, &rec.org_id) {
            Ok(stub) => {
                rpc(&stub, "status", &json!({"docId": rec.id, "status": rec.status, "pages": pages})).await
            }
            Err(e) => Err(e.into()),
        };
        match r {
            Ok(_) => true,
            Err(f) => {
                worker::console_error!("account status for {}: {:?}", rec.id, f.error);
                false
            }
        }
    }

    /// Deletes the document: out of the queue, reservation refunded, file,
    /// snapshot and results gone. A tombstone refuses later host calls.
    async fn delete(&self) -> ApiResult<Value> {
        let rec = self.load().await?;
        rpc::<_, Value>(&queue_stub(&self.env, queue_shard_for(&rec.org_id))?, "cancel", &json!({"docId": rec.id}))
            .await?;
        rpc::<_, Value>(&account_stub(&self.env, &rec.org_id)?, "forget", &json!({"docId": rec.id})).await?;
        self.env.bucket(FILES)?.delete(&rec.file_key).await?;
        self.env.kv(KV)?.delete(&doc_kv_key(&rec.org_id, &rec.id)).await?;
        let storage = self.state.storage();
        storage.delete_all().await?;
        storage.put(DELETED, true).await?;
        self.wake_waiters();
        Ok(json!({"id": rec.id, "deleted": true}))
    }
}
