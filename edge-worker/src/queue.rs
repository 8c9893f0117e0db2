//! The Queue Durable Object: one per shard (see `model::queue_shard_for`).
//! A priority FIFO of documents waiting for a host: `high` before `normal`,
//! first in first out within a priority. Leasing hands a job to a host until
//! a deadline; heartbeats extend it; the object's alarm fires at the earliest
//! deadline and puts expired jobs back in line (keeping their place), or,
//! after `maxAttempts` attempts, fails the document with `PROCESSING_FAILED`.
//!
//! Fairness: within a priority, leases rotate across organisations (the
//! organisation leased longest ago goes first, FIFO within it), and an
//! organisation has at most `MAX_PROCESSING_PER_ORG` documents leased at
//! once. A lease never outlives its attempt's processing deadline (the
//! plan's `max_processing_seconds` from the first lease of the attempt):
//! heartbeats extend it up to there, and a job that reaches it fails at
//! once instead of being retried.
//!
//! Long-polling hosts wait here: a lease request with nothing to hand out
//! parks a waiter that the next enqueue serves at once.

use crate::document::{DocumentClient, FailArgs, LeaseRef, Outcome};
use crate::http::{ApiResult, fail, now_ms};
use crate::rpc::{Client, answer, decode, operations, reply};
use crate::sql::{add_column_if_missing, i, s};
use folio_core::ErrorCode;
use folio_core::api::SubmissionPolicy;
use folio_core::jobs::{ServedType, estimate_completion_ms};
use futures_channel::oneshot;
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;
use worker::{Delay, DurableObject, Env, Request, Response, SqlStorageValue, State, durable_object};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
  doc_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, rank INTEGER NOT NULL, seq INTEGER NOT NULL,
  document_type TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 3, lease_id TEXT, deadline INTEGER, leased_at INTEGER, host_id TEXT);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(state, rank, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS durations (id INTEGER PRIMARY KEY AUTOINCREMENT, ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS org_turns (org_id TEXT PRIMARY KEY, last_turn INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS host_types (
  document_type TEXT PRIMARY KEY, plugin TEXT NOT NULL, version TEXT NOT NULL, host_id TEXT NOT NULL, seen_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_org ON jobs(org_id, state);
";

/// Columns added after the first release (queues created before them get them here).
const ADDED_COLUMNS: &[(&str, &str)] = &[("max_processing_ms", "INTEGER"), ("processing_deadline", "INTEGER"), ("failure", "TEXT")];

/// Processing times kept for the estimate.
const RECENT_DURATIONS: i64 = 50;
/// A host counts as active for the estimate this long after its last lease request.
const HOST_ACTIVE_MS: i64 = 60_000;
/// A document type a host reported is accepted this long after the last
/// report (a day: submissions keep working while hosts restart or scale to zero).
const SERVED_TYPE_TTL_MS: i64 = 24 * 3600 * 1000;
/// Retry delay for notifying a Document DO after its last attempt expired.
const NOTIFY_RETRY_MS: i64 = 5_000;

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewJob {
    pub doc_id: String,
    pub org_id: String,
    /// `Priority::rank()`: 0 = high, 1 = normal.
    pub rank: i64,
    pub document_type: String,
    /// The plan's processing deadline per attempt.
    pub max_processing_ms: i64,
}

/// Jobs to add, in order (one call for many submissions: see `account::Account::enqueue`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnqueueArgs {
    pub jobs: Vec<NewJob>,
    pub default_processing_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// 1-based place among queued jobs; 0 when not queued (leased or gone).
    pub queue_position: u64,
    pub estimated_completion_ms: i64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseArgs {
    pub host_id: String,
    pub wait_ms: u64,
    pub document_types: Vec<String>,
    pub lease_seconds: u32,
    pub max_attempts: u32,
    /// Leased documents one organisation may hold at once.
    pub max_per_org: u32,
    /// The types the host's plugins serve (validated by the caller).
    #[serde(default)]
    pub serves: Vec<ServedType>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeasedJob {
    pub doc_id: String,
    pub org_id: String,
    pub attempt: u32,
    pub max_attempts: u32,
    pub lease_id: String,
    pub deadline_ms: i64,
}

/// A queued document's place and estimate (`position`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionArgs {
    pub doc_id: String,
    pub default_processing_ms: u64,
}

/// The job a current lease holds (`check`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeasedJobView {
    pub doc_id: String,
    pub org_id: String,
    pub attempt: u32,
}

/// A heartbeat's new lease deadline.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatAnswer {
    pub deadline_ms: i64,
}

/// A document's job to drop (`cancel`; answered back once dropped).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelArgs {
    pub doc_id: String,
}

/// A lease to extend by `lease_seconds` (`heartbeat`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseArgsRef {
    pub lease_id: String,
    #[serde(default)]
    pub lease_seconds: u32,
}

/// The job a lease holds, if the lease is still current (`check`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckLease {
    pub lease_id: String,
}

/// `stats`.
#[derive(Serialize, Deserialize)]
pub struct GetStats;

/// The document types hosts reported in the last day (`served_types`).
#[derive(Serialize, Deserialize)]
pub struct GetServedTypes;

operations! {
    /// The Queue DO's operations.
    pub enum QueueRequest for QueueObject (crate::config::QUEUE) {
        Enqueue(EnqueueArgs) -> Vec<Position>,
        Position(PositionArgs) -> Position,
        Lease(LeaseArgs) -> Option<LeasedJob>,
        Check(CheckLease) -> LeasedJobView,
        Heartbeat(LeaseArgsRef) -> HeartbeatAnswer,
        Ack(AckArgs) -> AckResult,
        Cancel(CancelArgs) -> CancelArgs,
        Stats(GetStats) -> QueueStats,
        ServedTypes(GetServedTypes) -> Vec<ServedType>,
    }
}

/// A queue shard.
pub type QueueClient = Client<QueueObject>;

/// What to do with a leased job when its host reports back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckKind {
    /// Done (completed or failed for good): remove it.
    Done,
    /// A retryable failure: back in line while attempts remain.
    Retry,
    /// Given back unprocessed (host shutting down): back in line, attempt not spent.
    Release,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckArgs {
    pub lease_id: String,
    pub kind: AckKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckOutcome {
    /// Gone from the queue.
    Removed,
    /// Back in line.
    Requeued,
    /// A retryable failure on the last attempt: the job stays leased until
    /// its document has recorded the failure (then `Done` removes it).
    Exhausted,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckResult {
    pub result: AckOutcome,
    pub attempt: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queued: u64,
    pub leased: u64,
    pub active_hosts: u64,
    pub average_processing_ms: Option<u64>,
    /// Document types hosts serve (reported in the last day), with their plugins.
    #[serde(default)]
    pub served_types: Vec<ServedType>,
}

struct Load {
    hosts: u32,
    durations: Vec<u64>,
}

struct Waiter {
    args: LeaseArgs,
    tx: oneshot::Sender<LeasedJob>,
}

#[durable_object]
pub struct Queue {
    state: State,
    env: Env,
    waiters: RefCell<VecDeque<Waiter>>,
}

#[derive(Deserialize)]
struct JobRow {
    doc_id: String,
    org_id: String,
    rank: f64,
    seq: f64,
    state: String,
    attempt: f64,
    max_attempts: f64,
    lease_id: Option<String>,
    deadline: Option<f64>,
    leased_at: Option<f64>,
    #[serde(default)]
    processing_deadline: Option<f64>,
    #[serde(default)]
    max_processing_ms: Option<f64>,
    #[serde(default)]
    failure: Option<String>,
}

impl DurableObject for Queue {
    fn new(state: State, env: Env) -> Self {
        crate::faults::init(&env);
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("queue schema: {e}");
        }
        for (column, kind) in ADDED_COLUMNS {
            if let Err(e) = add_column_if_missing(&sql, "jobs", column, &format!("ALTER TABLE jobs ADD COLUMN {column} {kind}")) {
                worker::console_error!("queue schema ({column}): {e}");
            }
        }
        Self { state, env, waiters: RefCell::new(VecDeque::new()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let r = match decode(&mut req).await {
            Err(f) => answer::<()>(Err(f)),
            Ok(QueueRequest::Enqueue(a)) => reply::<EnqueueArgs>(self.enqueue(a)),
            Ok(QueueRequest::Position(a)) => reply::<PositionArgs>(self.position(&a.doc_id, a.default_processing_ms)),
            Ok(QueueRequest::Lease(a)) => reply::<LeaseArgs>(self.lease(a).await),
            Ok(QueueRequest::Check(a)) => reply::<CheckLease>(self.check(&a.lease_id).map(|j| j.view())),
            Ok(QueueRequest::Heartbeat(a)) => reply::<LeaseArgsRef>(self.heartbeat(a)),
            Ok(QueueRequest::Ack(a)) => reply::<AckArgs>(self.ack(a)),
            Ok(QueueRequest::Cancel(a)) => reply::<CancelArgs>(self.cancel(&a.doc_id)),
            Ok(QueueRequest::Stats(GetStats)) => reply::<GetStats>(self.stats()),
            Ok(QueueRequest::ServedTypes(GetServedTypes)) => reply::<GetServedTypes>(self.served_types()),
        };
        self.reschedule_alarm().await;
        r
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.expire_leases().await;
        self.reschedule_alarm().await;
        Response::ok("ok")
    }
}

impl JobRow {
    fn view(&self) -> LeasedJobView {
        LeasedJobView { doc_id: self.doc_id.clone(), org_id: self.org_id.clone(), attempt: self.attempt as u32 }
    }
}

impl Queue {
    fn exec(&self, q: &str, params: Vec<SqlStorageValue>) -> ApiResult<worker::SqlCursor> {
        Ok(self.state.storage().sql().exec(q, params)?)
    }

    fn next_seq(&self) -> ApiResult<i64> {
        #[derive(Deserialize)]
        struct V {
            value: f64,
        }
        let v = self
            .exec(
                "INSERT INTO counters (name, value) VALUES ('seq', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
                vec![],
            )?
            .one::<V>()?;
        Ok(v.value as i64)
    }

    fn job(&self, doc_id: &str) -> ApiResult<Option<JobRow>> {
        Ok(self.exec("SELECT * FROM jobs WHERE doc_id = ?", vec![s(doc_id)])?.to_array::<JobRow>()?.into_iter().next())
    }

    /// Adds documents in order (idempotent: an existing job keeps its
    /// place); answers each one's position.
    fn enqueue(&self, a: EnqueueArgs) -> ApiResult<Vec<Position>> {
        for job in &a.jobs {
            if self.job(&job.doc_id)?.is_none() {
                let seq = self.next_seq()?;
                self.exec(
                    "INSERT INTO jobs (doc_id, org_id, rank, seq, document_type, state, attempt, max_processing_ms) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?)",
                    vec![
                        s(job.doc_id.clone()),
                        s(job.org_id.clone()),
                        i(job.rank),
                        i(seq),
                        s(job.document_type.clone()),
                        i(job.max_processing_ms),
                    ],
                )?;
            }
        }
        // Positions are computed before waiters take the jobs, so a
        // submission never reports position 0.
        let load = self.load()?;
        let positions =
            a.jobs.iter().map(|j| self.position_with(&j.doc_id, &load, a.default_processing_ms)).collect::<ApiResult<Vec<_>>>()?;
        self.serve_waiters()?;
        Ok(positions)
    }

    fn position(&self, doc_id: &str, default_processing_ms: u64) -> ApiResult<Position> {
        self.position_with(doc_id, &self.load()?, default_processing_ms)
    }

    /// What the estimate needs besides the job: active hosts, recent durations.
    fn load(&self) -> ApiResult<Load> {
        #[derive(Deserialize)]
        struct N {
            n: f64,
        }
        let hosts =
            self.exec("SELECT COUNT(*) AS n FROM hosts WHERE seen_at > ?", vec![i(now_ms() - HOST_ACTIVE_MS)])?.one::<N>()?.n as u32;
        Ok(Load { hosts, durations: self.recent_durations()? })
    }

    fn position_with(&self, doc_id: &str, load: &Load, default_processing_ms: u64) -> ApiResult<Position> {
        let now = now_ms();
        let Some(job) = self.job(doc_id)? else {
            return Ok(Position { queue_position: 0, estimated_completion_ms: now });
        };
        #[derive(Deserialize)]
        struct N {
            n: f64,
        }
        let ahead = if job.state == "queued" {
            self.exec(
                "SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued' AND (rank < ? OR (rank = ? AND seq < ?))",
                vec![i(job.rank as i64), i(job.rank as i64), i(job.seq as i64)],
            )?
            .one::<N>()?
            .n as u64
        } else {
            0
        };
        let eta = if job.state == "queued" {
            estimate_completion_ms(now, ahead, load.hosts, &load.durations, default_processing_ms)
        } else {
            // Being processed: one duration from when it started.
            let started = job.leased_at.unwrap_or(now as f64) as i64;
            estimate_completion_ms(started, 0, 1, &load.durations, default_processing_ms).max(now)
        };
        let queue_position = if job.state == "queued" { ahead + 1 } else { 0 };
        Ok(Position { queue_position, estimated_completion_ms: eta })
    }

    fn recent_durations(&self) -> ApiResult<Vec<u64>> {
        #[derive(Deserialize)]
        struct D {
            ms: f64,
        }
        Ok(self
            .exec("SELECT ms FROM durations ORDER BY id DESC LIMIT ?", vec![i(RECENT_DURATIONS)])?
            .to_array::<D>()?
            .into_iter()
            .map(|d| d.ms as u64)
            .collect())
    }

    /// Takes the next matching job for a host, if any (synchronous, atomic).
    fn take(&self, a: &LeaseArgs) -> ApiResult<Option<LeasedJob>> {
        let now = now_ms();
        self.exec(
            "INSERT INTO hosts (host_id, seen_at) VALUES (?, ?) ON CONFLICT(host_id) DO UPDATE SET seen_at = excluded.seen_at",
            vec![s(a.host_id.clone()), i(now)],
        )?;
        for t in &a.serves {
            self.exec(
                "INSERT INTO host_types (document_type, plugin, version, host_id, seen_at) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT(document_type) DO UPDATE SET plugin = excluded.plugin, version = excluded.version, host_id = excluded.host_id, seen_at = excluded.seen_at",
                vec![s(t.document_type.clone()), s(t.plugin.clone()), s(t.version.clone()), s(a.host_id.clone()), i(now)],
            )?;
        }
        // Highest priority first; within it the organisation whose turn
        // came longest ago, skipping organisations at their cap; FIFO within one.
        let mut q = String::from(
            "SELECT j.* FROM jobs j LEFT JOIN org_turns t ON t.org_id = j.org_id WHERE j.state = 'queued' \
             AND (SELECT COUNT(*) FROM jobs l WHERE l.org_id = j.org_id AND l.state = 'leased') < ?",
        );
        let mut p = vec![i(a.max_per_org as i64)];
        if !a.document_types.is_empty() {
            q.push_str(" AND j.document_type IN (");
            q.push_str(&vec!["?"; a.document_types.len()].join(","));
            q.push(')');
            p.extend(a.document_types.iter().map(|t| s(t.clone())));
        }
        q.push_str(" ORDER BY j.rank, COALESCE(t.last_turn, 0), j.seq LIMIT 1");
        let Some(job) = self.exec(&q, p)?.to_array::<JobRow>()?.into_iter().next() else {
            return Ok(None);
        };
        let attempt = job.attempt as u32 + 1;
        let lease_id = folio_core::jobs::lease_id(&job.doc_id, attempt, &folio_core::ids::random_token(12));
        let processing_deadline = now + job.max_processing_ms.map_or(i64::MAX / 2, |ms| ms as i64);
        let deadline = (now + a.lease_seconds as i64 * 1000).min(processing_deadline);
        self.exec(
            "UPDATE jobs SET state = 'leased', attempt = ?, max_attempts = ?, lease_id = ?, deadline = ?, leased_at = ?, host_id = ?, processing_deadline = ? WHERE doc_id = ?",
            vec![
                i(attempt as i64),
                i(a.max_attempts as i64),
                s(lease_id.clone()),
                i(deadline),
                i(now),
                s(a.host_id.clone()),
                i(processing_deadline),
                s(job.doc_id.clone()),
            ],
        )?;
        let turn = self.next_seq()?;
        self.exec(
            "INSERT INTO org_turns (org_id, last_turn) VALUES (?, ?) ON CONFLICT(org_id) DO UPDATE SET last_turn = excluded.last_turn",
            vec![s(job.org_id.clone()), i(turn)],
        )?;
        Ok(Some(LeasedJob {
            doc_id: job.doc_id,
            org_id: job.org_id,
            attempt,
            max_attempts: a.max_attempts,
            lease_id,
            deadline_ms: deadline,
        }))
    }

    /// Puts a leased job back in line without spending the attempt.
    fn untake(&self, job: &LeasedJob) -> ApiResult<()> {
        self.exec(
            "UPDATE jobs SET state = 'queued', attempt = attempt - 1, lease_id = NULL, deadline = NULL, leased_at = NULL, host_id = NULL WHERE doc_id = ? AND lease_id = ?",
            vec![s(job.doc_id.clone()), s(job.lease_id.clone())],
        )?;
        Ok(())
    }

    /// Hands newly queued jobs to parked long-poll requests, oldest first.
    fn serve_waiters(&self) -> ApiResult<()> {
        loop {
            let Some(w) = self.waiters.borrow_mut().pop_front() else { return Ok(()) };
            if w.tx.is_canceled() {
                continue;
            }
            match self.take(&w.args)? {
                Some(job) => {
                    if let Err(job) = w.tx.send(job) {
                        // The request gave up in the meantime.
                        self.untake(&job)?;
                    }
                }
                None => {
                    // Nothing for this waiter's document types; keep it parked.
                    self.waiters.borrow_mut().push_front(w);
                    // Others may accept different types: try them once each.
                    let parked: Vec<Waiter> = self.waiters.borrow_mut().drain(..).collect();
                    let mut keep = VecDeque::new();
                    for w in parked {
                        if w.tx.is_canceled() {
                            continue;
                        }
                        match self.take(&w.args)? {
                            Some(job) => {
                                if let Err(job) = w.tx.send(job) {
                                    self.untake(&job)?;
                                }
                            }
                            None => keep.push_back(w),
                        }
                    }
                    *self.waiters.borrow_mut() = keep;
                    return Ok(());
                }
            }
        }
    }

    async fn lease(&self, a: LeaseArgs) -> ApiResult<Option<LeasedJob>> {
        if let Some(job) = self.take(&a)? {
            return Ok(Some(job));
        }
        if a.wait_ms == 0 {
            return Ok(None);
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().push_back(Waiter { args: a.clone(), tx });
        let timeout = Delay::from(Duration::from_millis(a.wait_ms));
        match select(rx, timeout).await {
            Either::Left((Ok(job), _)) => Ok(Some(job)),
            // Timed out (the dropped receiver makes serve_waiters skip this waiter).
            _ => Ok(None),
        }
    }

    /// The job a lease belongs to, if the lease is still current.
    fn check(&self, lease_id: &str) -> ApiResult<JobRow> {
        let lost = || fail(ErrorCode::LeaseLost, "The lease has expired or was never granted");
        let (doc_id, _) = folio_core::jobs::parse_lease_id(lease_id).ok_or_else(lost)?;
        let job = self.job(doc_id)?.ok_or_else(lost)?;
        let current =
            job.state == "leased" && job.lease_id.as_deref() == Some(lease_id) && job.deadline.is_some_and(|d| d as i64 > now_ms());
        if current { Ok(job) } else { Err(lost()) }
    }

    /// Extends a lease, never past its attempt's processing deadline.
    fn heartbeat(&self, a: LeaseArgsRef) -> ApiResult<HeartbeatAnswer> {
        let job = self.check(&a.lease_id)?;
        let mut deadline = now_ms() + a.lease_seconds.max(1) as i64 * 1000;
        if let Some(limit) = job.processing_deadline {
            deadline = deadline.min(limit as i64);
        }
        self.exec("UPDATE jobs SET deadline = ? WHERE doc_id = ?", vec![i(deadline), s(job.doc_id)])?;
        Ok(HeartbeatAnswer { deadline_ms: deadline })
    }

    fn ack(&self, a: AckArgs) -> ApiResult<AckResult> {
        let job = self.check(&a.lease_id)?;
        let attempt = job.attempt as u32;
        let requeue = match a.kind {
            AckKind::Done => false,
            AckKind::Retry if attempt < job.max_attempts as u32 => true,
            // The last attempt: removed only once its document recorded the failure.
            AckKind::Retry => return Ok(AckResult { result: AckOutcome::Exhausted, attempt }),
            AckKind::Release => true,
        };
        if a.kind == AckKind::Done
            && let Some(started) = job.leased_at
        {
            let ms = (now_ms() - started as i64).max(0);
            self.exec("INSERT INTO durations (ms) VALUES (?)", vec![i(ms)])?;
            self.exec("DELETE FROM durations WHERE id <= (SELECT MAX(id) FROM durations) - ?", vec![i(RECENT_DURATIONS)])?;
        }
        if requeue {
            let spent = if a.kind == AckKind::Release { 1 } else { 0 };
            self.exec(
                "UPDATE jobs SET state = 'queued', attempt = attempt - ?, lease_id = NULL, deadline = NULL, leased_at = NULL, host_id = NULL WHERE doc_id = ?",
                vec![i(spent), s(job.doc_id.clone())],
            )?;
            self.serve_waiters()?;
            return Ok(AckResult { result: AckOutcome::Requeued, attempt });
        }
        self.exec("DELETE FROM jobs WHERE doc_id = ?", vec![s(job.doc_id)])?;
        // The organisation may be under its cap again.
        self.serve_waiters()?;
        Ok(AckResult { result: AckOutcome::Removed, attempt })
    }

    fn cancel(&self, doc_id: &str) -> ApiResult<CancelArgs> {
        self.exec("DELETE FROM jobs WHERE doc_id = ?", vec![s(doc_id)])?;
        Ok(CancelArgs { doc_id: doc_id.to_string() })
    }

    /// Types hosts reported within [`SERVED_TYPE_TTL_MS`], by name.
    fn served_types(&self) -> ApiResult<Vec<ServedType>> {
        #[derive(Deserialize)]
        struct Row {
            document_type: String,
            plugin: String,
            version: String,
        }
        let rows = self
            .exec(
                "SELECT document_type, plugin, version FROM host_types WHERE seen_at > ? ORDER BY document_type",
                vec![i(now_ms() - SERVED_TYPE_TTL_MS)],
            )?
            .to_array::<Row>()?;
        Ok(rows.into_iter().map(|r| ServedType { document_type: r.document_type, plugin: r.plugin, version: r.version }).collect())
    }

    fn stats(&self) -> ApiResult<QueueStats> {
        #[derive(Deserialize)]
        struct N {
            n: f64,
        }
        let count = |q: &str, p: Vec<SqlStorageValue>| -> ApiResult<u64> { Ok(self.exec(q, p)?.one::<N>()?.n as u64) };
        let durations = self.recent_durations()?;
        Ok(QueueStats {
            queued: count("SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued'", vec![])?,
            leased: count("SELECT COUNT(*) AS n FROM jobs WHERE state = 'leased'", vec![])?,
            active_hosts: count("SELECT COUNT(*) AS n FROM hosts WHERE seen_at > ?", vec![i(now_ms() - HOST_ACTIVE_MS)])?,
            average_processing_ms: (!durations.is_empty()).then(|| durations.iter().sum::<u64>() / durations.len() as u64),
            served_types: self.served_types()?,
        })
    }

    /// Alarm work: expired leases go back in line, or fail their document
    /// once attempts are used up. Exhausted jobs stay (state `exhausted`)
    /// until their Document DO has been told.
    async fn expire_leases(&self) {
        let now = now_ms();
        let expired = match self
            .exec("SELECT * FROM jobs WHERE state = 'leased' AND deadline <= ?", vec![i(now)])
            .and_then(|c| Ok(c.to_array::<JobRow>()?))
        {
            Ok(rows) => rows,
            Err(f) => {
                worker::console_error!("expire_leases: {:?}", f.error);
                return;
            }
        };
        let mut requeued = Vec::new();
        for job in &expired {
            // Out of time for good: another attempt would take as long.
            let timed_out = job.processing_deadline.is_some_and(|p| p as i64 <= now);
            let last = timed_out || job.attempt as i64 >= job.max_attempts as i64;
            let failure = if timed_out {
                let limit_s = job.max_processing_ms.unwrap_or(0.0) as i64 / 1000;
                format!("Processing did not finish within the plan's limit of {limit_s} s per document")
            } else {
                format!("Processing did not finish after {} attempts (lease expired)", job.attempt as u32)
            };
            let r = if last {
                self.exec(
                    "UPDATE jobs SET state = 'exhausted', deadline = ?, failure = ? WHERE doc_id = ?",
                    vec![i(now), s(failure), s(job.doc_id.clone())],
                )
            } else {
                self.exec(
                    "UPDATE jobs SET state = 'queued', lease_id = NULL, deadline = NULL, leased_at = NULL, host_id = NULL WHERE doc_id = ?",
                    vec![s(job.doc_id.clone())],
                )
            };
            if let Err(f) = r {
                worker::console_error!("expire {}: {:?}", job.doc_id, f.error);
            } else if !last {
                requeued.push(job);
            }
        }
        let _ = self.serve_waiters();
        // Tell documents whose lease expired that they are queued again (best
        // effort: a stale "processing" corrects itself at the next lease).
        for job in requeued {
            if let Some(lease_id) = &job.lease_id {
                let r: ApiResult<Outcome> = match DocumentClient::named(&self.env, &job.doc_id) {
                    Ok(doc) => doc.call(&LeaseRef { lease_id: lease_id.clone() }).await,
                    Err(e) => Err(e.into()),
                };
                if let Err(f) = r {
                    worker::console_warn!("requeue notice for {}: {:?}", job.doc_id, f.error);
                }
            }
        }
        // Fail documents whose last attempt expired; retried until delivered.
        let exhausted = self
            .exec("SELECT * FROM jobs WHERE state = 'exhausted' AND deadline <= ?", vec![i(now)])
            .and_then(|c| Ok(c.to_array::<JobRow>()?))
            .unwrap_or_default();
        for job in exhausted {
            let message = job.failure.clone().unwrap_or_else(|| format!("Processing did not finish after {} attempts", job.attempt as u32));
            let error = folio_core::ApiError::new(ErrorCode::ProcessingFailed, message);
            let r: ApiResult<Outcome> = match DocumentClient::named(&self.env, &job.doc_id) {
                Ok(doc) => {
                    let args = FailArgs { lease_id: job.lease_id.clone(), error, expired: true, org_id: Some(job.org_id.clone()) };
                    doc.call(&args).await
                }
                Err(e) => Err(e.into()),
            };
            match r {
                Ok(_) => {
                    let _ = self.exec("DELETE FROM jobs WHERE doc_id = ? AND state = 'exhausted'", vec![s(job.doc_id)]);
                }
                Err(f) => {
                    worker::console_warn!("exhausted notice for {}: {:?}; retrying", job.doc_id, f.error);
                    let _ = self.exec("UPDATE jobs SET deadline = ? WHERE doc_id = ?", vec![i(now_ms() + NOTIFY_RETRY_MS), s(job.doc_id)]);
                }
            }
        }
    }

    /// Arms the alarm for the earliest lease deadline (or pending notice).
    async fn reschedule_alarm(&self) {
        #[derive(Deserialize)]
        struct M {
            m: Option<f64>,
        }
        let next = self
            .exec("SELECT MIN(deadline) AS m FROM jobs WHERE state IN ('leased', 'exhausted')", vec![])
            .and_then(|c| Ok(c.one::<M>()?))
            .ok()
            .and_then(|m| m.m);
        let storage = self.state.storage();
        let current = storage.get_alarm().await.ok().flatten();
        match next {
            Some(at) => {
                let at = at as i64;
                if current != Some(at) {
                    let offset = (at - now_ms()).max(1);
                    if let Err(e) = storage.set_alarm(offset).await {
                        worker::console_error!("set_alarm: {e}");
                    }
                }
            }
            None => {
                if current.is_some() {
                    let _ = storage.delete_alarm().await;
                }
            }
        }
    }
}

/// The submission rules, with the document types hosts serve added to the
/// configured `DOCUMENT_TYPES` when the request names a type outside them
/// (asked of the Queue DO then only, and remembered by the isolate for ten
/// seconds): a third-party plugin's type works through the API once a host
/// runs it, with no `wrangler.toml` edit.
pub async fn submission_policy(env: &Env, cfg: &crate::config::Config, requested: Option<&str>) -> SubmissionPolicy {
    let mut policy = cfg.submission_policy();
    let Some(t) = requested.map(str::trim).filter(|t| !t.is_empty()) else { return policy };
    if policy.document_types.iter().any(|k| k == t) {
        return policy;
    }
    for served in served_type_names(env).await {
        if !policy.document_types.contains(&served) {
            policy.document_types.push(served);
        }
    }
    policy
}

thread_local! {
    /// The served types this isolate last read, and when (unix ms).
    static SERVED_CACHE: RefCell<Option<(i64, Vec<String>)>> = const { RefCell::new(None) };
}
const SERVED_CACHE_MS: i64 = 10_000;

async fn served_type_names(env: &Env) -> Vec<String> {
    let now = now_ms();
    if let Some(names) = SERVED_CACHE.with(|c| c.borrow().as_ref().filter(|(at, _)| now - at < SERVED_CACHE_MS).map(|(_, n)| n.clone())) {
        return names;
    }
    let mut names = Vec::new();
    for shard in crate::model::queue_shards() {
        match QueueClient::named(env, shard) {
            Ok(q) => match q.call(&GetServedTypes).await {
                Ok(types) => names.extend(types.into_iter().map(|t| t.document_type)),
                Err(f) => worker::console_error!("served types: {:?}", f.error),
            },
            Err(e) => worker::console_error!("served types: {e}"),
        }
    }
    names.sort();
    names.dedup();
    SERVED_CACHE.with(|c| *c.borrow_mut() = Some((now, names.clone())));
    names
}
