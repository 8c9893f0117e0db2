//! The Account Durable Object: one per organisation, named by its org id.
//! It owns everything that must change atomically for an organisation:
//! plan and credits (reserve at upload, settle on completion, refund on
//! failure), its API keys' state and per-key rate-limit windows,
//! `Idempotency-Key` records, the document list index (filters and cursors,
//! per profile), the Veryfi numeric id -> document id map (per profile), the
//! account-level webhook settings and Veryfi client credentials of each
//! profile (live, sandbox), the organisation's webhook redelivery window
//! (`crate::webhooks::limits`), and its other settings ([`settings`]: admin
//! e-mail, default webhook signing secret, inbound e-mail allowlists).
//!
//! A submission is one call here (`submit`): the rate-limit count, the
//! admission, the document's record (kept until a host first leases it; the
//! Document DO is created from it then) and the job's place in the queue.
//! Queue entries from concurrent submissions go to the Queue DO together in
//! one call ([`Account::enqueue`]).
//!
//! State lives in the object's SQLite database. Every operation runs its SQL
//! without awaiting in between, so each is atomic (a Durable Object runs one
//! event at a time between awaits).

mod settings;

pub use settings::{InboxArgs, InboxSetArgs, InboxSettings, RotatedSecret, SigningKeys, new_signing_secret, valid_admin_email};

use crate::config::Config;
use crate::http::{ApiResult, Failure, args, fail, now_ms, rpc, rpc_answer, rpc_request};
use crate::model::{DocumentRecord, Profile, Role, queue_shard_for, queue_stub};
use crate::queue::{EnqueueArgs, NewJob, Position};
use crate::webhooks::limits::count_organisation_redelivery;
use folio_core::api::{ListCursor, Plan, PlanLimits, RateDecision, RateLimit, insufficient_credits, rate_check};
use folio_core::{DocumentStatus, ErrorCode};
use futures_channel::oneshot;
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::time::Duration;
use worker::{Delay, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State, durable_object};

/// How long a submission waits for its place in the queue before it fails
/// (and is undone) rather than hang.
const QUEUE_WAIT_MS: u64 = 20_000;

/// Idempotency records are honoured for a day, as is usual for the header.
const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS account (
  id INTEGER PRIMARY KEY CHECK (id = 1), org_id TEXT NOT NULL, name TEXT NOT NULL, slug TEXT NOT NULL,
  plan TEXT NOT NULL, credits INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, role TEXT NOT NULL, profile TEXT NOT NULL,
  rate_requests INTEGER, rate_window INTEGER, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS rate (key_id TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
  profile TEXT PRIMARY KEY, client_id TEXT NOT NULL, client_secret TEXT NOT NULL,
  webhook_url TEXT, webhook_secret TEXT, updated_at INTEGER);
CREATE TABLE IF NOT EXISTS idempotency (
  idem_key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, doc_id TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reservations (doc_id TEXT PRIMARY KEY, pages INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  doc_id TEXT PRIMARY KEY, veryfi_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL,
  document_type TEXT NOT NULL, created_at INTEGER NOT NULL);
";

/// Accounts created before `documents` kept the submitted record (JSON, until the first lease).
const ADD_RECORD_COLUMN: &str = "ALTER TABLE documents ADD COLUMN record TEXT";

/// Accounts created before `documents` kept the profile that submitted each
/// document: their rows count as live, except those whose kept record says
/// otherwise (documents no host has leased yet).
const ADD_PROFILE_COLUMN: &str = "
ALTER TABLE documents ADD COLUMN profile TEXT NOT NULL DEFAULT 'live';
UPDATE documents SET profile = json_extract(record, '$.profile') WHERE json_extract(record, '$.profile') IN ('live', 'sandbox');
";

/// Lists are per profile, newest first; needs the profile column.
const LIST_INDEX: &str = "
DROP INDEX IF EXISTS documents_by_time;
CREATE INDEX IF NOT EXISTS documents_by_profile_time ON documents(profile, created_at DESC, doc_id DESC);
";

#[durable_object]
pub struct Account {
    state: State,
    env: Env,
    /// Queue entries waiting for the next call to the Queue DO, each with
    /// the submission waiting for its position.
    pending_jobs: RefCell<Vec<(NewJob, oneshot::Sender<ApiResult<Position>>)>>,
    /// A call to the Queue DO is in flight.
    flushing: Cell<bool>,
    /// Submissions waiting for that call to end (their entries came too late for it).
    flush_turns: RefCell<Vec<oneshot::Sender<()>>>,
}

/// A profile's Veryfi credentials and webhook settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSettings {
    pub profile: Profile,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// What the admin API and `GET /v1/account` show.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub org_id: String,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    /// Pages available (may be negative after a document used more pages than estimated).
    pub credits: i64,
    /// Pages reserved by documents still in progress.
    pub reserved: i64,
    pub created_at: String,
    /// Where webhook failure e-mails go (`None`: not sent).
    #[serde(default)]
    pub admin_email: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitArgs {
    pub org_id: String,
    pub name: String,
    pub slug: String,
    pub plan: Plan,
    pub credits: i64,
    pub profiles: Vec<ProfileSettings>,
    pub admin_email: Option<String>,
    /// The default webhook signing secret (generated by the caller, which shows it once).
    pub signing_secret: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateArgs {
    pub plan: Option<Plan>,
    pub credits: Option<i64>,
    pub add_credits: Option<i64>,
    /// A new admin address; `Some("")` removes it.
    #[serde(default)]
    pub admin_email: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddKeyArgs {
    pub key_id: String,
    pub key_hash: String,
    pub role: Role,
    pub profile: Profile,
    pub rate_limit: Option<RateLimit>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateArgs {
    pub key_id: String,
    pub default_limit: RateLimit,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyArgs {
    pub key: String,
    pub fingerprint: String,
}

/// Everything a submission needs from its organisation, in one call.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitArgs {
    /// The new document, as submitted: its key, estimated pages (reserved),
    /// priority and type are what admission checks.
    pub record: DocumentRecord,
    pub idempotency: Option<IdempotencyArgs>,
    /// For keys without a limit of their own.
    pub default_rate_limit: RateLimit,
    pub default_processing_ms: u64,
}

/// One document of an e-mail: its record and (from the `Message-ID`) idempotency.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailDocument {
    pub record: DocumentRecord,
    pub idempotency: Option<IdempotencyArgs>,
}

/// Everything one e-mail's documents need from the organisation, in one call.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmitMailArgs {
    pub documents: Vec<MailDocument>,
    /// The inbox's limit (the API keys' default).
    pub default_rate_limit: RateLimit,
    pub default_processing_ms: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailDocumentAdmitted {
    pub doc_id: String,
    pub veryfi_id: u64,
    /// False for a replay of a message already accepted.
    pub new: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSubmitted {
    pub documents: Vec<MailDocumentAdmitted>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitted {
    pub admission: Admission,
    /// The new job's place (`None` for an idempotent replay).
    pub position: Option<Position>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Admission {
    /// New document: credits reserved, index row and Veryfi id created.
    Admitted { veryfi_id: u64 },
    /// Replay of an earlier request with the same `Idempotency-Key`.
    Existing { doc_id: String, veryfi_id: u64 },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyArgs {
    pub key_id: String,
}

/// A revoked key: its hash, so the caller drops the KV entry.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedKey {
    pub key_id: String,
    pub key_hash: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileArgs {
    pub profile: Profile,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocArgs {
    pub doc_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusArgs {
    pub doc_id: String,
    pub status: DocumentStatus,
    /// Pages actually processed (completed documents): settles the reservation.
    #[serde(default)]
    pub pages: Option<i64>,
}

/// The host's page count for a document being processed.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadmitArgs {
    pub doc_id: String,
    pub pages: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum ReadmitAnswer {
    /// The reservation covers the pages (raised if it had to be).
    Admitted,
    /// Over the plan's page cap, or not enough credits: the document fails with `error`.
    Refused { error: folio_core::ApiError },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListArgs {
    /// The caller's profile: only its documents are listed.
    pub profile: Profile,
    pub status: Option<DocumentStatus>,
    pub document_type: Option<String>,
    pub limit: u32,
    pub cursor: Option<ListCursor>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    pub doc_ids: Vec<String>,
    pub next_cursor: Option<ListCursor>,
    /// The records kept for documents of the page no host has leased yet
    /// (the snapshot is not in KV before that).
    #[serde(default)]
    pub admitted: Vec<DocumentRecord>,
}

/// A Veryfi numeric id, looked up among the caller's profile's documents.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VeryfiLookupArgs {
    pub veryfi_id: u64,
    pub profile: Profile,
}

/// The document a lookup found.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundDocument {
    pub doc_id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSetArgs {
    pub profile: Profile,
    pub url: Option<String>,
    pub secret: Option<String>,
}

#[derive(Deserialize)]
struct AccountRow {
    org_id: String,
    name: String,
    slug: String,
    plan: String,
    credits: f64,
    reserved: f64,
    created_at: f64,
}

#[derive(Deserialize)]
struct KeyRow {
    revoked_at: Option<f64>,
    rate_requests: Option<f64>,
    rate_window: Option<f64>,
    /// The key's current rate window, if it has one.
    window_start: Option<f64>,
    count: Option<f64>,
}

#[derive(Deserialize)]
struct ProfileRow {
    profile: String,
    client_id: String,
    client_secret: String,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
}

fn s(v: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(v.into())
}

fn i(v: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(v)
}

impl DurableObject for Account {
    fn new(state: State, env: Env) -> Self {
        crate::faults::init(&env);
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("account schema: {e}");
        }
        for (column, add) in [("record", ADD_RECORD_COLUMN), ("profile", ADD_PROFILE_COLUMN)] {
            let has_column = sql
                .exec("SELECT COUNT(*) AS n FROM pragma_table_info('documents') WHERE name = ?", vec![s(column)])
                .and_then(|c| c.one::<Value>())
                .is_ok_and(|v| v["n"].as_f64() == Some(1.0));
            if !has_column && let Err(e) = sql.exec(add, None) {
                worker::console_error!("account schema ({column} column): {e}");
            }
        }
        if let Err(e) = sql.exec(LIST_INDEX, None) {
            worker::console_error!("account schema (list index): {e}");
        }
        if let Err(e) = sql.exec(settings::SCHEMA, None) {
            worker::console_error!("account schema (settings): {e}");
        }
        Self { state, env, pending_jobs: RefCell::new(Vec::new()), flushing: Cell::new(false), flush_turns: RefCell::new(Vec::new()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let (op, body) = match rpc_request(&mut req).await {
            Ok(x) => x,
            Err(f) => return rpc_answer::<()>(Err(f)),
        };
        match op.as_str() {
            "init" => rpc_answer(args(body).and_then(|a| self.init(a))),
            "get" => rpc_answer(self.view()),
            "update" => rpc_answer(args(body).and_then(|a| self.update(a))),
            "add_key" => rpc_answer(args(body).and_then(|a| self.add_key(a))),
            "revoke_key" => rpc_answer(args(body).and_then(|a: KeyArgs| self.revoke_key(&a.key_id))),
            "rate" => rpc_answer(args(body).and_then(|a| self.rate(a))),
            "submit" => rpc_answer(match args(body) {
                Ok(a) => self.submit(a).await,
                Err(f) => Err(f),
            }),
            "record" => rpc_answer(args(body).and_then(|a: DocArgs| self.record(&a.doc_id))),
            "abort" => rpc_answer(args(body).and_then(|a: DocArgs| self.forget(&a.doc_id))),
            "forget" => rpc_answer(args(body).and_then(|a: DocArgs| self.forget(&a.doc_id))),
            "status" => rpc_answer(args(body).and_then(|a| self.set_status(a))),
            "readmit" => rpc_answer(args(body).and_then(|a| self.readmit(a))),
            "list" => rpc_answer(args(body).and_then(|a| self.list(a))),
            "veryfi_lookup" => rpc_answer(args(body).and_then(|a| self.veryfi_lookup(a))),
            "profile" => rpc_answer(args(body).and_then(|a: ProfileArgs| self.profile(a.profile))),
            "webhook_set" => rpc_answer(args(body).and_then(|a| self.webhook_set(a))),
            "inbox" => rpc_answer(args(body).and_then(|a: InboxArgs| self.inbox(a.profile))),
            "inbox_set" => rpc_answer(args(body).and_then(|a| self.inbox_set(a))),
            "submit_mail" => rpc_answer(match args(body) {
                Ok(a) => self.submit_mail(a).await,
                Err(f) => Err(f),
            }),
            "signing_keys" => rpc_answer(self.signing_keys()),
            "rotate_signing" => rpc_answer(self.rotate_signing()),
            "count_redelivery" => rpc_answer(args(body).and_then(|a| count_organisation_redelivery(self.state.storage().sql(), a))),
            _ => rpc_answer::<()>(Err(fail(ErrorCode::NotFound, format!("unknown account op {op}")))),
        }
    }
}

impl Account {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn exec(&self, q: &str, params: Vec<SqlStorageValue>) -> ApiResult<worker::SqlCursor> {
        Ok(self.sql().exec(q, params)?)
    }

    fn account_row(&self) -> ApiResult<AccountRow> {
        self.exec("SELECT * FROM account WHERE id = 1", vec![])?
            .to_array::<AccountRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such organisation"))
    }

    fn init(&self, a: InitArgs) -> ApiResult<AccountView> {
        if self.account_row().is_ok() {
            return Err(fail(ErrorCode::InvalidState, "Organisation already exists"));
        }
        self.exec(
            "INSERT INTO account (id, org_id, name, slug, plan, credits, reserved, created_at) VALUES (1, ?, ?, ?, ?, ?, 0, ?)",
            vec![s(a.org_id), s(a.name), s(a.slug), s(a.plan.as_str()), i(a.credits), i(now_ms())],
        )?;
        for p in a.profiles {
            self.exec(
                "INSERT INTO profiles (profile, client_id, client_secret, webhook_url, webhook_secret, updated_at) VALUES (?, ?, ?, NULL, NULL, ?)",
                vec![s(p.profile.as_str()), s(p.client_id), s(p.client_secret), i(now_ms())],
            )?;
        }
        self.set_admin_email(a.admin_email)?;
        self.init_signing_secret(a.signing_secret)?;
        self.view()
    }

    fn view(&self) -> ApiResult<AccountView> {
        let r = self.account_row()?;
        Ok(AccountView {
            org_id: r.org_id,
            name: r.name,
            slug: r.slug,
            plan: Plan::parse(&r.plan).unwrap_or_default(),
            credits: r.credits as i64,
            reserved: r.reserved as i64,
            created_at: folio_core::time::rfc3339(r.created_at as i64),
            admin_email: self.admin_email()?,
        })
    }

    fn update(&self, a: UpdateArgs) -> ApiResult<AccountView> {
        self.account_row()?;
        if let Some(plan) = a.plan {
            self.exec("UPDATE account SET plan = ? WHERE id = 1", vec![s(plan.as_str())])?;
        }
        if let Some(c) = a.credits {
            self.exec("UPDATE account SET credits = ? WHERE id = 1", vec![i(c)])?;
        }
        if let Some(c) = a.add_credits {
            self.exec("UPDATE account SET credits = credits + ? WHERE id = 1", vec![i(c)])?;
        }
        if let Some(e) = a.admin_email {
            self.set_admin_email(Some(e).filter(|e| !e.is_empty()))?;
        }
        self.view()
    }

    fn add_key(&self, a: AddKeyArgs) -> ApiResult<Value> {
        self.account_row()?;
        let (req, win) = match a.rate_limit {
            Some(l) => (SqlStorageValue::Integer(l.requests as i64), SqlStorageValue::Integer(l.window_seconds as i64)),
            None => (SqlStorageValue::Null, SqlStorageValue::Null),
        };
        self.exec(
            "INSERT INTO keys (key_id, key_hash, role, profile, rate_requests, rate_window, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(a.key_id.clone()), s(a.key_hash), s(a.role.as_str()), s(a.profile.as_str()), req, win, i(now_ms())],
        )?;
        Ok(json!({"keyId": a.key_id}))
    }

    /// Marks a key revoked; returns its hash so the caller drops the KV entry.
    fn revoke_key(&self, key_id: &str) -> ApiResult<RevokedKey> {
        #[derive(Deserialize)]
        struct Row {
            key_hash: String,
        }
        let row = self
            .exec("SELECT key_hash FROM keys WHERE key_id = ?", vec![s(key_id)])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such key"))?;
        self.exec("UPDATE keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", vec![i(now_ms()), s(key_id)])?;
        Ok(RevokedKey { key_id: key_id.to_string(), key_hash: row.key_hash })
    }

    /// Counts one request against the key's window. Also the authority on
    /// revocation: KV (eventually consistent) only locates the key.
    fn rate(&self, a: RateArgs) -> ApiResult<Value> {
        let key = self
            .exec(
                "SELECT k.revoked_at, k.rate_requests, k.rate_window, r.window_start, r.count FROM keys k LEFT JOIN rate r ON r.key_id = k.key_id WHERE k.key_id = ?",
                vec![s(a.key_id.clone())],
            )?
            .to_array::<KeyRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::InvalidApiKey, "Invalid API key"))?;
        if key.revoked_at.is_some() {
            return Err(fail(ErrorCode::InvalidApiKey, "API key has been revoked"));
        }
        let limit = match (key.rate_requests, key.rate_window) {
            (Some(r), Some(w)) => RateLimit { requests: r as u32, window_seconds: w as u32 },
            _ => a.default_limit,
        };
        let window = match (key.window_start, key.count) {
            (Some(start), Some(count)) => (start as i64, count as u32),
            _ => (0, 0),
        };
        let remaining = self.count_in_window(&a.key_id, limit, window)?;
        Ok(json!({ "remaining": remaining }))
    }

    /// Counts one request in the rate window of `counter` (a key id, or an
    /// inbox's `inbox:{profile}`), whose current window is `(start, count)`.
    fn count_in_window(&self, counter: &str, limit: RateLimit, (start, count): (i64, u32)) -> ApiResult<u32> {
        match rate_check(limit, now_ms(), start, count) {
            RateDecision::Allow { window_start_ms, count } => {
                self.exec(
                    "INSERT INTO rate (key_id, window_start, count) VALUES (?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
                    vec![s(counter), i(window_start_ms), i(count as i64)],
                )?;
                Ok(limit.requests.saturating_sub(count))
            }
            RateDecision::Deny { retry_after_seconds } => Err(Failure::rate_limited(retry_after_seconds)),
        }
    }

    /// An inbox's rate window, counted like a key's under the default limit.
    fn count_mail(&self, profile: Profile, limit: RateLimit) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Window {
            window_start: f64,
            count: f64,
        }
        let counter = format!("inbox:{}", profile.as_str());
        let window = self
            .exec("SELECT window_start, count FROM rate WHERE key_id = ?", vec![s(counter.clone())])?
            .to_array::<Window>()?
            .into_iter()
            .next()
            .map_or((0, 0), |w| (w.window_start as i64, w.count as u32));
        self.count_in_window(&counter, limit, window).map(|_| ())
    }

    /// A submission: counted against the key's rate limit, admitted, its
    /// record kept, and queued. If it cannot be queued it is forgotten again
    /// (reservation refunded) and the error answered.
    async fn submit(&self, a: SubmitArgs) -> ApiResult<Submitted> {
        let mut record = a.record;
        self.rate(RateArgs { key_id: record.key_id.clone(), default_limit: a.default_rate_limit })?;
        let doc_id = record.id.clone();
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        let limits = Config::from_env(&self.env).plan_limits(plan);
        let admission = self.admit(&mut record, a.idempotency, &acct, plan, limits)?;
        if let Admission::Existing { .. } = admission {
            return Ok(Submitted { admission, position: None });
        }
        let job = NewJob {
            doc_id: doc_id.clone(),
            org_id: record.org_id.clone(),
            rank: record.options.priority.rank(),
            document_type: record.options.document_type.clone(),
            max_processing_ms: limits.max_processing_seconds as i64 * 1000,
        };
        match self.enqueue(job, a.default_processing_ms).await {
            Ok(position) => Ok(Submitted { admission, position: Some(position) }),
            Err(f) => {
                self.forget(&doc_id)?;
                Err(f)
            }
        }
    }

    /// The documents of one e-mail, all or none: one count against the
    /// inbox's rate limit, every admission check (page caps, credits for
    /// their pages together) before any is admitted, then all admitted and
    /// queued. A message delivered twice (same `Message-ID`) is a replay:
    /// each attachment's idempotency record answers its existing document.
    async fn submit_mail(&self, a: SubmitMailArgs) -> ApiResult<MailSubmitted> {
        let Some(first) = a.documents.first() else {
            return Err(fail(ErrorCode::InvalidRequest, "A message without documents"));
        };
        let profile = first.record.profile;
        self.count_mail(profile, a.default_rate_limit)?;
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        let limits = Config::from_env(&self.env).plan_limits(plan);
        // Checks first, with no write in between: nothing is half admitted.
        let mut needed = 0i64;
        for d in &a.documents {
            if self.idempotent_replay(d.idempotency.as_ref())?.is_none() {
                plan.check_priority(d.record.options.priority)?;
                limits.check_pages(d.record.estimated_pages, plan)?;
                needed += d.record.estimated_pages as i64;
            }
        }
        if (acct.credits as i64) < needed {
            return Err(insufficient_credits(needed, acct.credits as i64).into());
        }
        let mut admitted = Vec::new();
        let mut out = Vec::new();
        for d in a.documents {
            let mut record = d.record;
            let acct = self.account_row()?;
            match self.admit(&mut record, d.idempotency, &acct, plan, limits)? {
                Admission::Existing { doc_id, veryfi_id } => out.push(MailDocumentAdmitted { doc_id, veryfi_id, new: false }),
                Admission::Admitted { veryfi_id } => {
                    out.push(MailDocumentAdmitted { doc_id: record.id.clone(), veryfi_id, new: true });
                    admitted.push(NewJob {
                        doc_id: record.id.clone(),
                        org_id: record.org_id.clone(),
                        rank: record.options.priority.rank(),
                        document_type: record.options.document_type.clone(),
                        max_processing_ms: limits.max_processing_seconds as i64 * 1000,
                    });
                }
            }
        }
        let queued = futures_util::future::join_all(admitted.iter().cloned().map(|job| self.enqueue(job, a.default_processing_ms))).await;
        if let Some(Err(f)) = queued.into_iter().find(Result::is_err) {
            // All or none: the ones that did get a place find no record at their first lease and are dropped.
            for job in &admitted {
                self.forget(&job.doc_id)?;
            }
            return Err(f);
        }
        Ok(MailSubmitted { documents: out })
    }

    /// The document an earlier request with this idempotency record created, if any.
    fn idempotent_replay(&self, idem: Option<&IdempotencyArgs>) -> ApiResult<Option<String>> {
        let Some(idem) = idem else { return Ok(None) };
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
        }
        let cutoff = now_ms() - IDEMPOTENCY_TTL_MS;
        Ok(self
            .exec("SELECT doc_id FROM idempotency WHERE idem_key = ? AND created_at >= ?", vec![s(idem.key.clone()), i(cutoff)])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .map(|r| r.doc_id))
    }

    /// Puts a job in the queue and answers its position. Jobs from
    /// submissions that arrive while a call to the Queue DO is in flight
    /// wait and go together in the next call: one queue call for many
    /// submissions under load, none of them answered before it is queued.
    async fn enqueue(&self, job: NewJob, default_processing_ms: u64) -> ApiResult<Position> {
        let doc_id = job.doc_id.clone();
        let waited =
            select(Box::pin(self.enqueue_waiting(job, default_processing_ms)), Delay::from(Duration::from_millis(QUEUE_WAIT_MS))).await;
        match waited {
            Either::Left((answer, _)) => answer,
            Either::Right(_) => {
                // No answer in time: give up on this entry (if it was sent
                // after all, the first lease finds no record and drops it).
                self.pending_jobs.borrow_mut().retain(|(j, _)| j.doc_id != doc_id);
                worker::console_error!("queue place for {doc_id}: no answer in {QUEUE_WAIT_MS} ms");
                Err(fail(ErrorCode::InternalError, "Internal error (queue did not answer); please retry"))
            }
        }
    }

    async fn enqueue_waiting(&self, job: NewJob, default_processing_ms: u64) -> ApiResult<Position> {
        let shard = queue_shard_for(&job.org_id);
        let dropped = || fail(ErrorCode::InternalError, "Internal error (queue call dropped)");
        let (tx, mut rx) = oneshot::channel();
        self.pending_jobs.borrow_mut().push((job, tx));
        loop {
            if !self.flushing.get() {
                self.flush_jobs(shard, default_processing_ms).await;
            }
            match rx.try_recv() {
                Ok(Some(answer)) => return answer,
                Ok(None) => {}
                Err(_) => return Err(dropped()),
            }
            // Another submission's call is in flight: wait for the answer,
            // or for that call to end with this entry still pending.
            let (turn_tx, turn_rx) = oneshot::channel();
            self.flush_turns.borrow_mut().push(turn_tx);
            if let Either::Left((answer, _)) = select(&mut rx, turn_rx).await {
                return answer.unwrap_or_else(|_| Err(dropped()));
            }
        }
    }

    /// Sends the pending queue entries to the Queue DO in one call and
    /// answers each waiting submission; then wakes the submissions whose
    /// entries arrived meanwhile, so one of them sends the next call. (Also
    /// when this event is cancelled mid-call: the guard's drop.)
    async fn flush_jobs(&self, shard: &str, default_processing_ms: u64) {
        struct Flushing<'a>(&'a Account);
        impl Drop for Flushing<'_> {
            fn drop(&mut self) {
                self.0.flushing.set(false);
                for turn in self.0.flush_turns.borrow_mut().drain(..) {
                    let _ = turn.send(());
                }
            }
        }
        let batch: Vec<_> = self.pending_jobs.borrow_mut().drain(..).collect();
        if batch.is_empty() {
            return;
        }
        self.flushing.set(true);
        let _guard = Flushing(self);
        let (jobs, waiting): (Vec<NewJob>, Vec<_>) = batch.into_iter().unzip();
        let answer: ApiResult<Vec<Position>> = match queue_stub(&self.env, shard) {
            Ok(queue) => rpc(&queue, "enqueue", &EnqueueArgs { jobs, default_processing_ms }).await,
            Err(e) => Err(e.into()),
        };
        match answer {
            Ok(positions) if positions.len() == waiting.len() => {
                for (tx, pos) in waiting.into_iter().zip(positions) {
                    let _ = tx.send(Ok(pos));
                }
            }
            other => {
                let error = match other {
                    Err(f) => f.error,
                    Ok(_) => folio_core::ApiError::new(ErrorCode::InternalError, "Internal error (queue answer)"),
                };
                for tx in waiting {
                    let _ = tx.send(Err(Failure { error: error.clone(), retry_after: None }));
                }
            }
        }
    }

    /// The record of an admitted document no host has leased yet.
    fn record(&self, doc_id: &str) -> ApiResult<Option<DocumentRecord>> {
        #[derive(Deserialize)]
        struct Row {
            record: Option<String>,
        }
        let row = self.exec("SELECT record FROM documents WHERE doc_id = ?", vec![s(doc_id)])?.to_array::<Row>()?.into_iter().next();
        Ok(match row.and_then(|r| r.record) {
            Some(text) => Some(serde_json::from_str(&text)?),
            None => None,
        })
    }

    /// Admission of a new document, atomically: idempotency replay check,
    /// plan check for `high`, credit reservation, Veryfi id (set in
    /// `record`), list index row keeping `record` until the first lease.
    fn admit(
        &self,
        record: &mut DocumentRecord,
        idempotency: Option<IdempotencyArgs>,
        acct: &AccountRow,
        plan: Plan,
        limits: PlanLimits,
    ) -> ApiResult<Admission> {
        let now = now_ms();
        if let Some(idem) = &idempotency {
            self.exec("DELETE FROM idempotency WHERE created_at < ?", vec![i(now - IDEMPOTENCY_TTL_MS)])?;
            #[derive(Deserialize)]
            struct Row {
                fingerprint: String,
                doc_id: String,
            }
            let prior = self
                .exec("SELECT fingerprint, doc_id FROM idempotency WHERE idem_key = ?", vec![s(idem.key.clone())])?
                .to_array::<Row>()?
                .into_iter()
                .next();
            if let Some(prior) = prior {
                if prior.fingerprint != idem.fingerprint {
                    return Err(fail(ErrorCode::IdempotencyConflict, "This Idempotency-Key was already used with a different request"));
                }
                let veryfi_id = self.veryfi_id_of(&prior.doc_id)?.unwrap_or(0);
                return Ok(Admission::Existing { doc_id: prior.doc_id, veryfi_id });
            }
        }
        plan.check_priority(record.options.priority)?;
        limits.check_pages(record.estimated_pages, plan)?;
        let pages = record.estimated_pages as i64;
        let available = acct.credits as i64;
        if available < pages {
            return Err(insufficient_credits(pages, available).into());
        }
        let veryfi_id = self.new_veryfi_id()?;
        self.exec("UPDATE account SET credits = credits - ?, reserved = reserved + ? WHERE id = 1", vec![i(pages), i(pages)])?;
        self.exec("INSERT INTO reservations (doc_id, pages) VALUES (?, ?)", vec![s(record.id.clone()), i(pages)])?;
        record.veryfi_id = veryfi_id;
        self.exec(
            "INSERT INTO documents (doc_id, veryfi_id, status, document_type, created_at, record, profile) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            vec![
                s(record.id.clone()),
                i(veryfi_id as i64),
                s(record.options.document_type.clone()),
                i(record.created_at_ms),
                s(serde_json::to_string(record)?),
                s(record.profile.as_str()),
            ],
        )?;
        if let Some(idem) = idempotency {
            self.exec(
                "INSERT INTO idempotency (idem_key, fingerprint, doc_id, created_at) VALUES (?, ?, ?, ?)",
                vec![s(idem.key), s(idem.fingerprint), s(record.id.clone()), i(now)],
            )?;
        }
        Ok(Admission::Admitted { veryfi_id })
    }

    /// A 12-digit id, unique in this organisation and safe in JavaScript.
    fn new_veryfi_id(&self) -> ApiResult<u64> {
        loop {
            let id = 100_000_000_000 + folio_core::ids::random_u64() % 900_000_000_000;
            #[derive(Deserialize)]
            struct N {
                n: f64,
            }
            let taken = self.exec("SELECT COUNT(*) AS n FROM documents WHERE veryfi_id = ?", vec![i(id as i64)])?.one::<N>()?;
            if taken.n == 0.0 {
                return Ok(id);
            }
        }
    }

    fn veryfi_id_of(&self, doc_id: &str) -> ApiResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Row {
            veryfi_id: f64,
        }
        Ok(self
            .exec("SELECT veryfi_id FROM documents WHERE doc_id = ?", vec![s(doc_id)])?
            .to_array::<Row>()?
            .first()
            .map(|r| r.veryfi_id as u64))
    }

    /// Releases a reservation: `charge` = pages actually used (settle) or
    /// `None` (refund). Idempotent: a reservation is released once.
    fn release_reservation(&self, doc_id: &str, charge: Option<i64>) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Row {
            pages: f64,
        }
        let Some(r) = self.exec("SELECT pages FROM reservations WHERE doc_id = ?", vec![s(doc_id)])?.to_array::<Row>()?.into_iter().next()
        else {
            return Ok(());
        };
        let reserved = r.pages as i64;
        // Refund everything, or give back what the reservation over-covered.
        // A document is re-admitted for its true page count before it
        // completes (`readmit`), so it never uses more than it reserved:
        // charging beyond it would take credits below zero.
        let refund = match charge {
            None => reserved,
            Some(used) => {
                if used > reserved {
                    worker::console_error!("{doc_id} used {used} pages with {reserved} reserved; charged {reserved}");
                }
                reserved - used.clamp(0, reserved)
            }
        };
        self.exec("UPDATE account SET credits = credits + ?, reserved = reserved - ? WHERE id = 1", vec![i(refund), i(reserved)])?;
        self.exec("DELETE FROM reservations WHERE doc_id = ?", vec![s(doc_id)])?;
        Ok(())
    }

    /// Re-admission with the host's page count, atomically: within the
    /// plan's page cap, and extra pages reserved from the credits left.
    /// Refusals are answers (the Document DO fails the document with them).
    fn readmit(&self, a: ReadmitArgs) -> ApiResult<ReadmitAnswer> {
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        if let Err(error) = Config::from_env(&self.env).plan_limits(plan).check_pages(a.pages, plan) {
            return Ok(ReadmitAnswer::Refused { error });
        }
        #[derive(Deserialize)]
        struct Row {
            pages: f64,
        }
        let Some(r) =
            self.exec("SELECT pages FROM reservations WHERE doc_id = ?", vec![s(a.doc_id.clone())])?.to_array::<Row>()?.into_iter().next()
        else {
            return Err(fail(ErrorCode::InvalidState, format!("Document {} holds no reservation", a.doc_id)));
        };
        let reserved = r.pages as i64;
        let more = a.pages as i64 - reserved;
        if more <= 0 {
            return Ok(ReadmitAnswer::Admitted);
        }
        let credits = acct.credits as i64;
        if credits < more {
            let error = folio_core::ApiError::new(
                ErrorCode::InsufficientCredits,
                format!(
                    "Insufficient credits: the document has {} pages, {reserved} were reserved at upload and {credits} more are available",
                    a.pages
                ),
            );
            return Ok(ReadmitAnswer::Refused { error });
        }
        self.exec("UPDATE account SET credits = credits - ?, reserved = reserved + ? WHERE id = 1", vec![i(more), i(more)])?;
        self.exec("UPDATE reservations SET pages = ? WHERE doc_id = ?", vec![i(a.pages as i64), s(a.doc_id)])?;
        Ok(ReadmitAnswer::Admitted)
    }

    /// Removes a document from the index, refunding any reservation (a
    /// submission that failed after admission, or a deleted document).
    fn forget(&self, doc_id: &str) -> ApiResult<Value> {
        self.release_reservation(doc_id, None)?;
        self.exec("DELETE FROM documents WHERE doc_id = ?", vec![s(doc_id)])?;
        self.exec("DELETE FROM idempotency WHERE doc_id = ?", vec![s(doc_id)])?;
        Ok(json!({"docId": doc_id}))
    }

    /// Index status update; on a final status also settles or refunds
    /// credits. The Document DO reports its first lease here, after which it
    /// holds the record: the copy kept since admission is dropped.
    fn set_status(&self, a: StatusArgs) -> ApiResult<Value> {
        self.exec(
            "UPDATE documents SET status = ?, record = CASE WHEN ? = 'queued' THEN record ELSE NULL END WHERE doc_id = ?",
            vec![s(a.status.as_str()), s(a.status.as_str()), s(a.doc_id.clone())],
        )?;
        match a.status {
            DocumentStatus::Completed => self.release_reservation(&a.doc_id, Some(a.pages.unwrap_or(0)))?,
            DocumentStatus::Failed => self.release_reservation(&a.doc_id, None)?,
            _ => {}
        }
        Ok(json!({"docId": a.doc_id}))
    }

    /// The profile's documents, newest first, keyset-paginated on
    /// (created_at, doc_id): a cursor is a position, so it pages the same
    /// under any filter.
    fn list(&self, a: ListArgs) -> ApiResult<ListPage> {
        let mut q = String::from("SELECT doc_id, created_at, record FROM documents WHERE profile = ?");
        let mut p = vec![s(a.profile.as_str())];
        if let Some(st) = a.status {
            q.push_str(" AND status = ?");
            p.push(s(st.as_str()));
        }
        if let Some(t) = a.document_type {
            q.push_str(" AND document_type = ?");
            p.push(s(t));
        }
        if let Some(c) = a.cursor {
            q.push_str(" AND (created_at < ? OR (created_at = ? AND doc_id < ?))");
            p.push(i(c.created_at_ms));
            p.push(i(c.created_at_ms));
            p.push(s(c.doc_id));
        }
        q.push_str(" ORDER BY created_at DESC, doc_id DESC LIMIT ?");
        p.push(i(a.limit as i64 + 1));
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
            created_at: f64,
            record: Option<String>,
        }
        let mut rows = self.exec(&q, p)?.to_array::<Row>()?;
        let more = rows.len() > a.limit as usize;
        rows.truncate(a.limit as usize);
        let next_cursor =
            if more { rows.last().map(|r| ListCursor { created_at_ms: r.created_at as i64, doc_id: r.doc_id.clone() }) } else { None };
        let admitted = rows.iter().filter_map(|r| r.record.as_deref()).map(serde_json::from_str).collect::<Result<_, _>>()?;
        Ok(ListPage { doc_ids: rows.into_iter().map(|r| r.doc_id).collect(), next_cursor, admitted })
    }

    /// The document of a Veryfi id, among the profile's documents only.
    fn veryfi_lookup(&self, a: VeryfiLookupArgs) -> ApiResult<FoundDocument> {
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
        }
        let row = self
            .exec("SELECT doc_id FROM documents WHERE veryfi_id = ? AND profile = ?", vec![i(a.veryfi_id as i64), s(a.profile.as_str())])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::DocumentNotFound, "Document not found"))?;
        Ok(FoundDocument { doc_id: row.doc_id })
    }

    fn profile(&self, profile: Profile) -> ApiResult<ProfileSettings> {
        let row = self
            .exec("SELECT * FROM profiles WHERE profile = ?", vec![s(profile.as_str())])?
            .to_array::<ProfileRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such profile"))?;
        Ok(ProfileSettings {
            profile: Profile::parse(&row.profile).unwrap_or(Profile::Live),
            client_id: row.client_id,
            client_secret: row.client_secret,
            webhook_url: row.webhook_url,
            webhook_secret: row.webhook_secret,
        })
    }

    fn webhook_set(&self, a: WebhookSetArgs) -> ApiResult<ProfileSettings> {
        self.profile(a.profile)?;
        self.exec(
            "UPDATE profiles SET webhook_url = ?, webhook_secret = ?, updated_at = ? WHERE profile = ?",
            vec![a.url.into(), a.secret.into(), i(now_ms()), s(a.profile.as_str())],
        )?;
        self.profile(a.profile)
    }
}
