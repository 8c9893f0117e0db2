//! The Document Durable Object: one per document, named by its id, the
//! authority for its state once a host has leased it: `processing ->
//! completed | failed` (and back to `queued` when a lease expires or a host
//! gives the job back). Until the first lease the document's record lives in
//! its organisation's Account DO (written at admission); `start` creates the
//! object from it, so a submission never pays for a new Durable Object.
//! Every change is written to the KV snapshot that reads use. Reaching a
//! final state writes that snapshot, settles or refunds credits in the
//! Account DO and hands the document to webhook delivery; those effects are
//! recorded as pending with the final state, under an alarm armed before
//! it, and retried until each has succeeded (each is idempotent).
//!
//! Operations that change the document (start, page count, complete, fail,
//! requeue, delete, the effects) run one at a time (`ops` lock), also across
//! their awaits on other objects: a delete racing a first lease cannot leave
//! a "processing" snapshot behind, whichever comes first.

use crate::account::{AccountClient, Forget, ReadmitAnswer, ReadmitArgs, RecordOf, StatusArgs};
use crate::config::{FILES, KV};
use crate::http::{ApiResult, fail, kv_delete, kv_put_json, now_ms};
use crate::model::{DocumentRecord, PendingEffects, StoredArtifact, doc_kv_key, file_r2_key, queue_shard_for};
use crate::queue::{CancelArgs, QueueClient};
use crate::rpc::{Client, answer, decode, operations, reply};
use folio_core::jobs::ArtifactStored;
use folio_core::outputs::{MAX_ARTIFACTS_BYTES_PER_DOCUMENT, OutputName, artifacts_r2_prefix};
use folio_core::{ApiError, DocumentStatus, ErrorCode, ProcessingResult};
use futures_channel::oneshot;
use futures_util::future::select;
use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::time::Duration;
use worker::{Delay, DurableObject, Env, Request, Response, State, durable_object};

/// Storage key of the record; a deleted document keeps only a tombstone.
const RECORD: &str = "record";
const DELETED: &str = "deleted";
/// The largest result a document keeps: its record is one value in the
/// object's storage (at most 2 MB), next to the rest of the record. The
/// limit's owner is core (`contract::limits`), which checks the chain
/// plugin output < document record < complete body.
pub const MAX_RESULT_BYTES: usize = folio_core::contract::limits::MAX_DOCUMENT_RECORD_BYTES;
/// Retry delay for pending final-state effects.
const EFFECT_RETRY_MS: i64 = 5_000;

#[durable_object]
pub struct Document {
    state: State,
    env: Env,
    /// Requests waiting for a final state (`POST /v1/documents/process`).
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
    /// Held by every operation that changes the document.
    ops: Mutex<()>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartArgs {
    pub lease_id: String,
    pub attempt: u32,
    /// Where the record waits until the first lease (the Account DO).
    pub org_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteArgs {
    pub lease_id: String,
    pub result: ProcessingResult,
    /// The outputs the host uploaded for this result.
    #[serde(default)]
    pub outputs: Vec<OutputName>,
}

/// An artifact stored in R2 by the internal upload, to be recorded.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactArgs {
    pub lease_id: String,
    pub name: String,
    pub size: u64,
}

/// What became of an artifact upload.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ArtifactAnswer {
    Stored(ArtifactStored),
    /// The document was deleted: the caller removes the object it stored.
    Gone,
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
    /// As in [`StartArgs`]: a document whose every lease expired before its
    /// object was created still gets its final state.
    #[serde(default)]
    pub org_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseRef {
    pub lease_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitArgs {
    pub timeout_ms: u64,
}

/// The host's page count, before any page is processed.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PagesArgs {
    pub lease_id: String,
    pub pages: u32,
}

/// What a host call that ends the lease did to the document.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub doc_id: String,
    pub status: DocumentStatus,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteArgs {
    pub org_id: String,
    pub doc_id: String,
}

/// What `delete` answers (and `DELETE /v1/documents/{id}` shows).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
}

/// The record as it is (`get`).
#[derive(Serialize, Deserialize)]
pub struct GetRecord;

operations! {
    /// The Document DO's operations.
    pub enum DocumentRequest for DocumentObject (crate::config::DOCUMENT) {
        Get(GetRecord) -> DocumentRecord,
        Wait(WaitArgs) -> Option<DocumentRecord>,
        Start(StartArgs) -> DocumentRecord,
        Pages(PagesArgs) -> Outcome,
        Artifact(ArtifactArgs) -> ArtifactAnswer,
        Complete(CompleteArgs) -> Outcome,
        Fail(FailArgs) -> Outcome,
        Requeue(LeaseRef) -> Outcome,
        Delete(DeleteArgs) -> Deleted,
    }
}

/// One document's object (named by the document id).
pub type DocumentClient = Client<DocumentObject>;

impl DurableObject for Document {
    fn new(state: State, env: Env) -> Self {
        crate::faults::init(&env);
        Self { state, env, waiters: RefCell::new(Vec::new()), ops: Mutex::new(()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let request = match decode::<DocumentRequest>(&mut req).await {
            Ok(r) => r,
            Err(f) => return answer::<()>(Err(f)),
        };
        match request {
            DocumentRequest::Get(GetRecord) => reply::<GetRecord>(self.load().await),
            DocumentRequest::Wait(a) => reply::<WaitArgs>(self.wait(a.timeout_ms).await),
            changing => {
                // Everything else changes the document: one at a time.
                let _turn = self.ops.lock().await;
                match changing {
                    DocumentRequest::Start(a) => reply::<StartArgs>(self.start(a).await),
                    DocumentRequest::Pages(a) => reply::<PagesArgs>(self.pages(a).await),
                    DocumentRequest::Artifact(a) => reply::<ArtifactArgs>(self.artifact(a).await),
                    DocumentRequest::Complete(a) => reply::<CompleteArgs>(self.complete(a).await),
                    DocumentRequest::Fail(a) => reply::<FailArgs>(self.fail(a).await),
                    DocumentRequest::Requeue(a) => reply::<LeaseRef>(self.requeue(&a.lease_id).await),
                    DocumentRequest::Delete(a) => reply::<DeleteArgs>(self.delete(a).await),
                    DocumentRequest::Get(_) | DocumentRequest::Wait(_) => unreachable!("answered above"),
                }
            }
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let _turn = self.ops.lock().await;
        if let Ok(mut rec) = self.load().await
            && rec.pending.any()
        {
            self.run_effects(&mut rec).await;
        }
        Response::ok("ok")
    }
}

fn lease_lost() -> crate::http::Failure {
    fail(ErrorCode::LeaseLost, "The lease has expired or was never granted")
}

fn not_found() -> crate::http::Failure {
    fail(ErrorCode::DocumentNotFound, "Document not found")
}

/// What the object holds (short-lived, read once per operation: no need to box the record).
#[allow(clippy::large_enum_variant)]
enum Stored {
    Record(DocumentRecord),
    /// Not leased yet: the record is still in the Account DO.
    NotCreated,
    Deleted,
}

impl Document {
    async fn stored(&self) -> ApiResult<Stored> {
        let storage = self.state.storage();
        if storage.get::<bool>(DELETED).await?.unwrap_or(false) {
            return Ok(Stored::Deleted);
        }
        Ok(match storage.get::<String>(RECORD).await? {
            Some(text) => Stored::Record(serde_json::from_str(&text)?),
            None => Stored::NotCreated,
        })
    }

    async fn load(&self) -> ApiResult<DocumentRecord> {
        match self.stored().await? {
            Stored::Record(rec) => Ok(rec),
            Stored::NotCreated | Stored::Deleted => Err(not_found()),
        }
    }

    /// The stored record or, at the first lease, the one the document was
    /// admitted with (from its organisation's Account DO), now stored here.
    async fn load_or_adopt(&self, lease_id: Option<&str>, org_id: Option<&str>) -> ApiResult<DocumentRecord> {
        let doc_id = lease_id.and_then(folio_core::jobs::parse_lease_id).map(|(doc, _)| doc);
        match (self.stored().await?, doc_id.zip(org_id)) {
            (Stored::Record(rec), _) => Ok(rec),
            (Stored::NotCreated, Some((doc_id, org_id))) => {
                let admitted = AccountClient::named(&self.env, org_id)?.call(&RecordOf { doc_id: doc_id.to_string() }).await?;
                let rec = admitted.ok_or_else(lease_lost)?;
                self.put_record(&rec).await?;
                Ok(rec)
            }
            _ => Err(lease_lost()),
        }
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

    /// Waits until the document is final or `timeout_ms` passes; answers the
    /// record, or `None` while no host has leased it yet.
    async fn wait(&self, timeout_ms: u64) -> ApiResult<Option<DocumentRecord>> {
        match self.stored().await? {
            Stored::Deleted => return Err(not_found()),
            Stored::Record(rec) if rec.status.is_final() || timeout_ms == 0 => return Ok(Some(rec)),
            Stored::NotCreated if timeout_ms == 0 => return Ok(None),
            _ => {}
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().push(tx);
        let _ = select(rx, Delay::from(Duration::from_millis(timeout_ms))).await;
        match self.stored().await? {
            Stored::Record(rec) => Ok(Some(rec)),
            Stored::NotCreated => Ok(None),
            Stored::Deleted => Err(not_found()),
        }
    }

    fn wake_waiters(&self) {
        for tx in self.waiters.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
    }

    /// A host leased the job: `processing` under this lease.
    async fn start(&self, a: StartArgs) -> ApiResult<DocumentRecord> {
        let mut rec = self.load_or_adopt(Some(&a.lease_id), Some(&a.org_id)).await?;
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

    /// The host counted the document's pages before processing any: the
    /// Account DO re-admits it for that count (more credits reserved when
    /// the upload's estimate was low). When the pages are over the plan's
    /// cap or not covered by credits, the document fails now with that
    /// error and its reservation refunded; the host is told to stop.
    async fn pages(&self, a: PagesArgs) -> ApiResult<Outcome> {
        let mut rec = self.load().await.map_err(|_| lease_lost())?;
        if rec.status != DocumentStatus::Processing || rec.lease_id.as_deref() != Some(a.lease_id.as_str()) {
            return Err(lease_lost());
        }
        self.readmit(&mut rec, a.pages).await?;
        Ok(Outcome { doc_id: rec.id, status: rec.status })
    }

    /// Re-admission for `pages`: `Ok` with the record updated, or the
    /// document failed with the refusal (which is also answered).
    async fn readmit(&self, rec: &mut DocumentRecord, pages: u32) -> ApiResult<()> {
        if pages <= rec.estimated_pages {
            return Ok(());
        }
        let args = ReadmitArgs { doc_id: rec.id.clone(), pages };
        match AccountClient::named(&self.env, &rec.org_id)?.call(&args).await? {
            ReadmitAnswer::Admitted => {
                rec.estimated_pages = pages;
                self.put_record(rec).await?;
                Ok(())
            }
            ReadmitAnswer::Refused { error } => {
                rec.status = DocumentStatus::Failed;
                rec.processed_at_ms = Some(now_ms());
                rec.error = Some(error.clone());
                self.finish(rec).await?;
                Err(error.into())
            }
        }
    }

    /// Records an artifact the internal API stored in R2 for this lease.
    /// Over the document's budget for artifacts it is dropped from the
    /// record (the caller deletes the object) with `OUTPUT_TOO_LARGE`.
    async fn artifact(&self, a: ArtifactArgs) -> ApiResult<ArtifactAnswer> {
        let mut rec = match self.stored().await? {
            Stored::Deleted => return Ok(ArtifactAnswer::Gone),
            Stored::NotCreated => return Err(lease_lost()),
            Stored::Record(rec) => rec,
        };
        let same_lease = rec.lease_id.as_deref() == Some(a.lease_id.as_str());
        let stored = ArtifactStored { doc_id: rec.id.clone(), name: a.name.clone(), size: a.size };
        let known = rec.artifacts.iter().any(|x| x.name == a.name && x.size == a.size);
        if rec.status.is_final() && same_lease && known {
            return Ok(ArtifactAnswer::Stored(stored)); // a retried upload
        }
        if rec.status != DocumentStatus::Processing || !same_lease {
            return Err(lease_lost());
        }
        rec.artifacts.retain(|x| x.name != a.name);
        if rec.artifact_bytes() + a.size > MAX_ARTIFACTS_BYTES_PER_DOCUMENT {
            self.put_record(&rec).await?;
            return Err(fail(
                ErrorCode::OutputTooLarge,
                format!("{} ({} bytes) would take the document's outputs past {MAX_ARTIFACTS_BYTES_PER_DOCUMENT} bytes", a.name, a.size),
            ));
        }
        rec.artifacts.push(StoredArtifact { name: a.name, size: a.size });
        self.put_record(&rec).await?;
        Ok(ArtifactAnswer::Stored(stored))
    }

    async fn complete(&self, a: CompleteArgs) -> ApiResult<Outcome> {
        let mut rec = self.load().await.map_err(|_| lease_lost())?;
        let same_lease = rec.lease_id.as_deref() == Some(a.lease_id.as_str());
        if rec.status.is_final() && same_lease {
            return self.replayed(rec).await; // a retried call
        }
        if rec.status != DocumentStatus::Processing || !same_lease {
            return Err(lease_lost());
        }
        // Only outputs that were uploaded are listed: never a link to nothing.
        if let Some(missing) = a.outputs.iter().find(|o| !rec.artifacts.iter().any(|x| x.name == o.as_str())) {
            return Err(fail(ErrorCode::InvalidState, format!("Output {missing} was not uploaded; upload it before complete")));
        }
        let mut outputs = a.outputs.clone();
        outputs.sort();
        outputs.dedup();
        rec.outputs = outputs;
        // A host that processed more pages than were admitted (it did not
        // report its count first) is re-admitted now: never a free page.
        if let Err(f) = self.readmit(&mut rec, a.result.pages_processed).await {
            return if rec.status.is_final() { Ok(Outcome { doc_id: rec.id, status: rec.status }) } else { Err(f) };
        }
        rec.processed_at_ms = Some(now_ms());
        let result_bytes = serde_json::to_string(&a.result)?.len();
        if result_bytes > MAX_RESULT_BYTES {
            // Storing it would fail and the job be retried for nothing: the
            // document fails now, with the reason.
            rec.status = DocumentStatus::Failed;
            rec.error = Some(ApiError::new(
                ErrorCode::ProcessingFailed,
                format!("The extraction result is {result_bytes} bytes; a document may hold at most {MAX_RESULT_BYTES}"),
            ));
        } else {
            rec.status = DocumentStatus::Completed;
            rec.result = Some(a.result);
            rec.error = None;
        }
        self.finish(&mut rec).await?;
        Ok(Outcome { doc_id: rec.id, status: rec.status })
    }

    async fn fail(&self, a: FailArgs) -> ApiResult<Outcome> {
        let mut rec = self.load_or_adopt(a.lease_id.as_deref(), a.org_id.as_deref()).await?;
        let same_lease = a.lease_id.is_none() || rec.lease_id == a.lease_id;
        if rec.status == DocumentStatus::Failed && same_lease {
            return self.replayed(rec).await;
        }
        if rec.status.is_final() || (!a.expired && !same_lease) {
            return Err(lease_lost());
        }
        rec.status = DocumentStatus::Failed;
        rec.processed_at_ms = Some(now_ms());
        rec.error = Some(a.error);
        self.finish(&mut rec).await?;
        Ok(Outcome { doc_id: rec.id, status: rec.status })
    }

    /// A host's retried final call: the state stands; effects still owed run now.
    async fn replayed(&self, mut rec: DocumentRecord) -> ApiResult<Outcome> {
        if rec.pending.any() {
            self.run_effects(&mut rec).await;
        }
        Ok(Outcome { doc_id: rec.id, status: rec.status })
    }

    /// The lease ended without a result (expired, retryable failure, released).
    async fn requeue(&self, lease_id: &str) -> ApiResult<Outcome> {
        let mut rec = self.load().await?;
        if rec.status == DocumentStatus::Processing && rec.lease_id.as_deref() == Some(lease_id) {
            rec.status = DocumentStatus::Queued;
            rec.lease_id = None;
            self.save(&mut rec).await?;
            self.index_status(&rec, None).await;
        }
        Ok(Outcome { doc_id: rec.id, status: rec.status })
    }

    /// Records the final state with all its effects pending, under an alarm
    /// armed first (so whatever fails later, the effects are retried), then
    /// runs them.
    async fn finish(&self, rec: &mut DocumentRecord) -> ApiResult<()> {
        rec.pending = PendingEffects::all();
        rec.updated_at_ms = now_ms();
        self.state.storage().set_alarm(EFFECT_RETRY_MS).await?;
        self.put_record(rec).await?;
        self.wake_waiters();
        self.run_effects(rec).await;
        Ok(())
    }

    /// Runs pending final-state effects, each idempotent; what fails is
    /// retried by the alarm.
    async fn run_effects(&self, rec: &mut DocumentRecord) {
        if rec.pending.snapshot {
            match self.write_snapshot(rec).await {
                Ok(()) => rec.pending.snapshot = false,
                Err(f) => worker::console_error!("snapshot of {}: {:?}", rec.id, f.error),
            }
        }
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
        if rec.pending.any()
            && let Err(e) = storage.set_alarm(EFFECT_RETRY_MS).await
        {
            worker::console_error!("arming the effects alarm of {}: {e}", rec.id);
        }
        if let Err(f) = self.put_record(rec).await {
            // The alarm armed by `finish` is still set: the effects run again.
            worker::console_error!("saving effects of {}: {:?}", rec.id, f.error);
        }
    }

    /// Tells the Account DO the document's status (and, when final, the
    /// pages to settle). Returns whether it succeeded.
    async fn index_status(&self, rec: &DocumentRecord, pages: Option<i64>) -> bool {
        let r = match AccountClient::named(&self.env, &rec.org_id) {
            Ok(account) => account.call(&StatusArgs { doc_id: rec.id.clone(), status: rec.status, pages }).await,
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
    /// outputs, snapshot and results gone. A tombstone refuses later host calls; it is
    /// written first when the object was never created, so a lease racing the
    /// delete cannot bring the document back.
    async fn delete(&self, a: DeleteArgs) -> ApiResult<Deleted> {
        let storage = self.state.storage();
        let (org_id, doc_id) = match self.stored().await? {
            Stored::Deleted => return Err(not_found()),
            Stored::Record(rec) => {
                if rec.org_id != a.org_id {
                    return Err(not_found());
                }
                (rec.org_id, rec.id)
            }
            Stored::NotCreated => {
                storage.put(DELETED, true).await?;
                (a.org_id, a.doc_id)
            }
        };
        QueueClient::named(&self.env, queue_shard_for(&org_id))?.call(&CancelArgs { doc_id: doc_id.clone() }).await?;
        AccountClient::named(&self.env, &org_id)?.call(&Forget { doc_id: doc_id.clone() }).await?;
        let bucket = self.env.bucket(FILES)?;
        crate::faults::guard("r2.delete", async { Ok(bucket.delete(&file_r2_key(&org_id, &doc_id)).await?) }).await?;
        // Every artifact under the document's prefix, recorded or not (an
        // upload whose record lost the race with this delete is removed by
        // its own handler, see `internal::artifact`).
        let prefix = artifacts_r2_prefix(&org_id, &doc_id);
        loop {
            let listed = bucket.list().prefix(prefix.clone()).limit(1000).execute().await?;
            let keys: Vec<String> = listed.objects().iter().map(|o| o.key()).collect();
            if keys.is_empty() {
                break;
            }
            bucket.delete_multiple(keys).await?;
            if !listed.truncated() {
                break;
            }
        }
        kv_delete(&self.env.kv(KV)?, &doc_kv_key(&org_id, &doc_id)).await?;
        let _ = storage.delete_alarm().await;
        crate::webhooks::purge_deliveries(&self.env, &doc_id).await?;
        storage.delete_all().await?;
        storage.put(DELETED, true).await?;
        self.wake_waiters();
        Ok(Deleted { id: doc_id, deleted: true })
    }
}
