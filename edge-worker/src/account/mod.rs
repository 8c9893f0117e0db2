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

mod admission;
mod enqueue;
mod index;
mod keys;
mod organisation;
mod profiles;
mod settings;
mod sql;

pub use settings::{InboxArgs, InboxSetArgs, InboxSettings, RotatedSecret, SigningKeys, new_signing_secret, valid_admin_email};

use crate::config::Config;
use crate::http::{ApiResult, Failure, fail, now_ms};
use crate::model::{DocumentRecord, Profile, Role, queue_shard_for};
use crate::queue::{EnqueueArgs, NewJob, Position, QueueClient};
use crate::rpc::{Client, answer, decode, operations, reply};
use crate::sql::{add_column_if_missing, i, s};
use crate::webhooks::limits::{CountRedeliveryArgs, RedeliveryCounted, count_organisation_redelivery};
use folio_core::api::{ListCursor, Plan, PlanLimits, RateDecision, RateLimit, insufficient_credits, rate_check};
use folio_core::coalesce::Coalescer;
use folio_core::{DocumentStatus, ErrorCode};
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
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
    /// Queue entries of concurrent submissions, sent to the Queue DO together.
    queue_entries: Coalescer<NewJob, ApiResult<Position>>,
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

/// The record kept for a document no host has leased yet (`record`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordOf {
    pub doc_id: String,
}

/// Undo an admission whose answer may have been lost (`abort`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Abort {
    pub doc_id: String,
}

/// Drop a deleted document from the index, refunding its reservation (`forget`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Forget {
    pub doc_id: String,
}

/// The organisation (`get`).
#[derive(Serialize, Deserialize)]
pub struct GetAccount;

/// A key stored (`add_key`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddedKey {
    pub key_id: String,
}

/// A request counted (`rate`): what is left of the window.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateCounted {
    pub remaining: u32,
}

/// The default signing secrets now (`signing_keys`).
#[derive(Serialize, Deserialize)]
pub struct GetSigningKeys;

/// A new default signing secret (`rotate_signing`).
#[derive(Serialize, Deserialize)]
pub struct RotateSigning;

operations! {
    /// The Account DO's operations.
    pub enum AccountRequest for AccountObject (crate::config::ACCOUNT) {
        Init(InitArgs) -> AccountView,
        Get(GetAccount) -> AccountView,
        Update(UpdateArgs) -> AccountView,
        AddKey(AddKeyArgs) -> AddedKey,
        RevokeKey(KeyArgs) -> RevokedKey,
        Rate(RateArgs) -> RateCounted,
        Submit(SubmitArgs) -> Submitted,
        SubmitMail(SubmitMailArgs) -> MailSubmitted,
        Record(RecordOf) -> Option<DocumentRecord>,
        Abort(Abort) -> (),
        Forget(Forget) -> (),
        Status(StatusArgs) -> (),
        Readmit(ReadmitArgs) -> ReadmitAnswer,
        List(ListArgs) -> ListPage,
        VeryfiLookup(VeryfiLookupArgs) -> FoundDocument,
        Profile(ProfileArgs) -> ProfileSettings,
        WebhookSet(WebhookSetArgs) -> ProfileSettings,
        Inbox(InboxArgs) -> InboxSettings,
        InboxSet(InboxSetArgs) -> InboxSettings,
        SigningKeys(GetSigningKeys) -> SigningKeys,
        RotateSigning(RotateSigning) -> RotatedSecret,
        CountRedelivery(CountRedeliveryArgs) -> RedeliveryCounted,
    }
}

/// One organisation's Account DO (named by the organisation id).
pub type AccountClient = Client<AccountObject>;

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

impl DurableObject for Account {
    fn new(state: State, env: Env) -> Self {
        crate::faults::init(&env);
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("account schema: {e}");
        }
        for (column, add) in [("record", ADD_RECORD_COLUMN), ("profile", ADD_PROFILE_COLUMN)] {
            if let Err(e) = add_column_if_missing(&sql, "documents", column, add) {
                worker::console_error!("account schema ({column} column): {e}");
            }
        }
        if let Err(e) = sql.exec(LIST_INDEX, None) {
            worker::console_error!("account schema (list index): {e}");
        }
        if let Err(e) = sql.exec(settings::SCHEMA, None) {
            worker::console_error!("account schema (settings): {e}");
        }
        Self { state, env, queue_entries: Coalescer::new() }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        use AccountRequest as R;
        match decode::<AccountRequest>(&mut req).await {
            Err(f) => answer::<()>(Err(f)),
            Ok(R::Init(a)) => reply::<InitArgs>(self.init(a)),
            Ok(R::Get(GetAccount)) => reply::<GetAccount>(self.view()),
            Ok(R::Update(a)) => reply::<UpdateArgs>(self.update(a)),
            Ok(R::AddKey(a)) => reply::<AddKeyArgs>(self.add_key(a)),
            Ok(R::RevokeKey(a)) => reply::<KeyArgs>(self.revoke_key(&a.key_id)),
            Ok(R::Rate(a)) => reply::<RateArgs>(self.rate(a)),
            Ok(R::Submit(a)) => reply::<SubmitArgs>(self.submit(a).await),
            Ok(R::SubmitMail(a)) => reply::<SubmitMailArgs>(self.submit_mail(a).await),
            Ok(R::Record(a)) => reply::<RecordOf>(self.record(&a.doc_id)),
            Ok(R::Abort(a)) => reply::<Abort>(self.forget(&a.doc_id)),
            Ok(R::Forget(a)) => reply::<Forget>(self.forget(&a.doc_id)),
            Ok(R::Status(a)) => reply::<StatusArgs>(self.set_status(a)),
            Ok(R::Readmit(a)) => reply::<ReadmitArgs>(self.readmit(a)),
            Ok(R::List(a)) => reply::<ListArgs>(self.list(a)),
            Ok(R::VeryfiLookup(a)) => reply::<VeryfiLookupArgs>(self.veryfi_lookup(a)),
            Ok(R::Profile(a)) => reply::<ProfileArgs>(self.profile(a.profile)),
            Ok(R::WebhookSet(a)) => reply::<WebhookSetArgs>(self.webhook_set(a)),
            Ok(R::Inbox(a)) => reply::<InboxArgs>(self.inbox(a.profile)),
            Ok(R::InboxSet(a)) => reply::<InboxSetArgs>(self.inbox_set(a)),
            Ok(R::SigningKeys(GetSigningKeys)) => reply::<GetSigningKeys>(self.signing_keys()),
            Ok(R::RotateSigning(RotateSigning)) => reply::<RotateSigning>(self.rotate_signing()),
            Ok(R::CountRedelivery(a)) => reply::<CountRedeliveryArgs>(count_organisation_redelivery(self.state.storage().sql(), a)),
        }
    }
}
