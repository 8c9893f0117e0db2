//! The `WebhookFailures` Durable Object: one per organisation and profile
//! (named `{orgId}:{live|sandbox}`), the ledger of deliveries that failed for
//! good and the admin notification.
//!
//! Veryfi: "If all 3 webhook deliveries fail, an API Webhook Failed email
//! will be sent to the configured admin ... Only 1 email is sent per 24-hour
//! period listing all failed webhooks with document ids". Folio POSTs a
//! `webhooks.failed` event instead (folio-core's
//! [`admin_notification_event`]: `{"event": "webhooks.failed", "data":
//! {"ids": [...], "created": "..."}}`, the ids being the documents' numeric
//! ids) to `ADMIN_NOTIFICATION_URL`, signed like a Veryfi webhook with the
//! profile's client secret (`x-veryfi-signature`, plus Standard Webhooks
//! headers), and delivered with the Veryfi retry rules. The 24 h rule is
//! folio-core's [`AdminDigest`]: the first failure after a quiet day goes out
//! at once, later ones together 24 h after the previous notification. Any
//! exhausted delivery counts: the account webhook's (Veryfi profile) and a
//! submission's own `webhookUrl` (DocuRift profile). Deliveries stopped by
//! `410 Gone` or the URL guard are not failures of the receiver and are not
//! listed.
//!
//! Without `ADMIN_NOTIFICATION_URL` the digest is still taken (and shown as
//! skipped), so the API tells what would have been sent.
//!
//! Ops: `record` [`RecordArgs`] (idempotent per delivery id), `view`.

use super::deliveries::set_or_clear_alarm;
use super::outbox::{DeliveryKind, Outbox, StoredDelivery, delivery_view};
use super::settings::{FAILURES_BINDING, Settings};
use crate::account::{AccountClient, GetAccount, ProfileArgs};
use crate::http::{ApiResult, now_ms};
use crate::model::Profile as AccountProfile;
use crate::rpc::{Client, answer, decode, operations, reply};
use folio_core::ids::new_delivery_id;
use folio_core::time::rfc3339_millis;
use folio_core::webhook::{AdminDigest, Delivery, admin_notification_event};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{DurableObject, Env, Request, Response, SqlStorage, State, durable_object};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS failures (delivery_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, body TEXT NOT NULL);
";

/// Failures kept in the ledger (the oldest are dropped beyond this).
const LEDGER_LIMIT: i64 = 1000;
/// How many of each list `view` shows, newest first.
const VIEW_LIMIT: i64 = 100;
/// Retry delay when the admin notification cannot be prepared (the Account DO is unavailable).
const RETRY_MS: i64 = 5_000;

/// Whether a failure was new to the ledger (`record`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub recorded: bool,
}

/// The ledger as `GET /v1/webhooks/failures` shows it (`view`).
#[derive(Serialize, Deserialize)]
pub struct ViewFailures;

operations! {
    /// The WebhookFailures DO's operations.
    pub enum FailuresRequest for FailuresObject (FAILURES_BINDING) {
        Record(RecordArgs) -> Recorded,
        View(ViewFailures) -> Value,
    }
}

/// An organisation profile's failure ledger.
pub type FailuresClient = Client<FailuresObject>;

impl FailuresClient {
    /// The ledger of `org_id`'s `profile` (named `{orgId}:{live|sandbox}`).
    pub fn of(env: &Env, org_id: &str, profile: AccountProfile) -> worker::Result<Self> {
        Self::named(env, &format!("{org_id}:{}", profile.as_str()))
    }
}

#[durable_object]
pub struct WebhookFailures {
    state: State,
    env: Env,
}

/// One delivery that failed for good.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureRecord {
    pub delivery_id: String,
    pub document_id: String,
    #[serde(default)]
    pub veryfi_id: Option<u64>,
    pub kind: DeliveryKind,
    pub event: String,
    pub url: String,
    pub attempts: u32,
    pub exhausted_at: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordArgs {
    pub org_id: String,
    pub profile: AccountProfile,
    pub failure: FailureRecord,
}

/// Whose ledger this is (stored with the first failure).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Owner {
    org_id: String,
    profile: AccountProfile,
}

/// One digest taken: sent as `delivery_id`, or skipped for `skipped`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notice {
    created_at: String,
    ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delivery_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    /// The e-mail to the organisation's admin address, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<EmailNotice>,
}

/// One failure e-mail and how sending it went.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailNotice {
    to: String,
    state: EmailState,
    #[serde(default)]
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sent_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
enum EmailState {
    Pending,
    /// Handed to `send_email`, no answer yet (since `sending_since_ms`).
    Sending {
        since_ms: i64,
    },
    Sent,
    Failed,
}

/// Sends of one failure e-mail before it is given up (logged as failed).
const EMAIL_ATTEMPTS: u32 = 3;
/// A send with no answer after this long counts as a failed attempt.
const EMAIL_SEND_DEADLINE_MS: i64 = 60_000;

#[derive(Deserialize)]
struct Body {
    body: String,
}

impl DurableObject for WebhookFailures {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            worker::console_error!("webhook failures schema: {e}");
        }
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        match decode::<FailuresRequest>(&mut req).await {
            Err(f) => answer::<()>(Err(f)),
            Ok(FailuresRequest::Record(a)) => reply::<RecordArgs>(self.record(a).await),
            Ok(FailuresRequest::View(ViewFailures)) => reply::<ViewFailures>(self.view()),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let settings = Settings::from_env(&self.env);
        let mut notified = self.notify_if_due(&settings).await;
        if notified.is_ok()
            && let Some(owner) = self.meta::<Owner>("owner").ok().flatten()
        {
            notified = self.send_emails(&owner).await;
        }
        if let Err(f) = &notified {
            worker::console_error!("admin notification: {:?}", f.error);
        }
        match Outbox::open(&self.state.storage()) {
            Ok(outbox) => {
                if let Err(e) = outbox.pump(&self.env, &settings).await {
                    worker::console_error!("admin notification delivery: {e}");
                }
            }
            Err(e) => worker::console_error!("admin notification delivery: {e}"),
        }
        self.reschedule(&settings, notified.is_err()).await;
        Response::ok("ok")
    }
}

/// The failure e-mail: Veryfi's "API Webhook Failed" message, through the
/// `send_email` binding ([`crate::config::NOTIFY_EMAIL`]).
async fn send_failure_email(env: &Env, from: &str, to: &str, owner: &Owner, ids: &[u64]) -> Result<(), String> {
    use worker::SendEmailBuilder;
    let binding =
        env.send_email(crate::config::NOTIFY_EMAIL).map_err(|e| format!("send_email binding {}: {e}", crate::config::NOTIFY_EMAIL))?;
    let listed: Vec<String> = ids.iter().map(u64::to_string).collect();
    let subject = format!("Folio: API webhook failed for {} document(s)", ids.len());
    let body = format!(
        "Webhook deliveries to your {profile} account webhook failed after every retry.\n\n\
         Organisation: {org}\nDocuments (numeric ids): {list}\n\n\
         The deliveries and each attempt are at GET /v1/webhooks/failures (and per document at\n\
         GET /v1/documents/{{id}}/webhooks), where an admin key can redeliver them.\n\
         At most one of these e-mails is sent per 24 hours.\n",
        profile = owner.profile.as_str(),
        org = owner.org_id,
        list = listed.join(", "),
    );
    let message = SendEmailBuilder::builder(from, to, &subject).text(&body).build();
    binding.send_with_builder(&message).await.map(|_| ()).map_err(|e| format!("send_email: {}", js_error_text(&e)))
}

fn js_error_text(e: &worker::js_sys::Error) -> String {
    String::from(e.message())
}

fn text<T: Serialize>(v: &T) -> ApiResult<String> {
    Ok(serde_json::to_string(v)?)
}

impl WebhookFailures {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> ApiResult<Option<T>> {
        let rows = self.sql().exec("SELECT body FROM meta WHERE key = ?", vec![key.into()])?.to_array::<Body>()?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some(serde_json::from_str(&r.body)?)),
            None => Ok(None),
        }
    }

    fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> ApiResult<()> {
        self.sql().exec(
            "INSERT INTO meta (key, body) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET body = excluded.body",
            vec![key.into(), text(value)?.into()],
        )?;
        Ok(())
    }

    fn digest(&self) -> ApiResult<AdminDigest> {
        Ok(self.meta("digest")?.unwrap_or_default())
    }

    async fn record(&self, a: RecordArgs) -> ApiResult<Recorded> {
        let settings = Settings::from_env(&self.env);
        let sql = self.sql();
        #[derive(Deserialize)]
        struct N {
            n: f64,
        }
        let known =
            sql.exec("SELECT COUNT(*) AS n FROM failures WHERE delivery_id = ?", vec![a.failure.delivery_id.clone().into()])?.one::<N>()?.n
                > 0.0;
        if !known {
            // One synchronous batch: ledger row, digest and owner change together.
            if self.meta::<Owner>("owner")?.is_none() {
                self.set_meta("owner", &Owner { org_id: a.org_id.clone(), profile: a.profile })?;
            }
            let seq = sql.exec("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM failures", None)?.one::<N>()?.n as i64;
            sql.exec(
                "INSERT INTO failures (delivery_id, seq, body) VALUES (?, ?, ?)",
                vec![a.failure.delivery_id.clone().into(), seq.into(), text(&a.failure)?.into()],
            )?;
            sql.exec("DELETE FROM failures WHERE seq <= ?", vec![(seq - LEDGER_LIMIT).into()])?;
            if let Some(id) = a.failure.veryfi_id {
                let mut digest = self.digest()?;
                digest.record_failure(id);
                self.set_meta("digest", &digest)?;
            }
        }
        let notified = self.notify_if_due(&settings).await;
        self.reschedule(&settings, notified.is_err()).await;
        Ok(Recorded { recorded: !known })
    }

    /// Takes the digest if one is due and queues its notification.
    async fn notify_if_due(&self, settings: &Settings) -> ApiResult<()> {
        let due = self.digest()?.due_at_ms(settings.scale);
        if due.is_none_or(|at| at > now_ms()) {
            return Ok(());
        }
        let Some(owner) = self.meta::<Owner>("owner")? else { return Ok(()) };
        let url = settings.admin_notification_url(&owner.org_id, owner.profile);
        // The signing secret and the admin's address first: everything after
        // them is one synchronous batch.
        let account = AccountClient::named(&self.env, &owner.org_id)?;
        let secret = match &url {
            Some(_) => Some(account.call(&ProfileArgs { profile: owner.profile }).await?.client_secret),
            None => None,
        };
        let view = account.call(&GetAccount).await?;
        let now = now_ms();
        let mut digest = self.digest()?;
        let Some(ids) = digest.take_due(now, settings.scale) else { return Ok(()) };
        let email = view.admin_email.map(|to| EmailNotice { to, state: EmailState::Pending, attempts: 0, sent_at: None, error: None });
        let mut notice = Notice { created_at: rfc3339_millis(now), ids: ids.clone(), delivery_id: None, skipped: None, email };
        match url {
            Some(url) => {
                let event = admin_notification_event(&ids, now)?;
                let d = StoredDelivery {
                    delivery: Delivery::new(new_delivery_id(), String::new(), url, event, now),
                    kind: DeliveryKind::AdminNotification,
                    secret,
                    org_signing: false,
                    org_id: owner.org_id.clone(),
                    account_profile: owner.profile,
                    veryfi_id: None,
                    finished_at_ms: None,
                    redelivery_of: None,
                    failure_reported: false,
                };
                Outbox::open(&self.state.storage())?.insert(&d)?;
                notice.delivery_id = Some(d.delivery.delivery_id.clone());
            }
            None if notice.email.is_none() => {
                notice.skipped = Some("ADMIN_NOTIFICATION_URL is not set and the organisation has no admin e-mail".into())
            }
            None => {}
        }
        self.set_meta("digest", &digest)?;
        self.sql().exec("INSERT INTO notices (body) VALUES (?)", vec![text(&notice)?.into()])?;
        self.send_emails(&owner).await
    }

    /// Sends every failure e-mail that is due (new, or a failed attempt to
    /// retry), each marked in flight before it is handed over, so an alarm
    /// running beside this call never sends it twice.
    async fn send_emails(&self, owner: &Owner) -> ApiResult<()> {
        let cfg = crate::config::Config::from_env(&self.env);
        for (seq, mut notice) in self.notices_owing_email()? {
            let Some(mut email) = notice.email.clone() else { continue };
            email.attempts += 1;
            email.state = EmailState::Sending { since_ms: now_ms() };
            notice.email = Some(email.clone());
            self.save_notice(seq, &notice)?;
            let sent = send_failure_email(&self.env, &cfg.email_from, &email.to, owner, &notice.ids).await;
            email.state = match &sent {
                Ok(()) => EmailState::Sent,
                Err(_) if email.attempts >= EMAIL_ATTEMPTS => EmailState::Failed,
                Err(_) => EmailState::Pending,
            };
            email.sent_at = sent.is_ok().then(|| rfc3339_millis(now_ms()));
            email.error = sent.err();
            if let Some(e) = &email.error {
                worker::console_error!("failure e-mail to the admin of {}: {e}", owner.org_id);
            }
            notice.email = Some(email);
            self.save_notice(seq, &notice)?;
        }
        Ok(())
    }

    /// Notices whose e-mail is pending, or was handed over and never answered.
    fn notices_owing_email(&self) -> ApiResult<Vec<(i64, Notice)>> {
        #[derive(Deserialize)]
        struct Row {
            seq: f64,
            body: String,
        }
        let now = now_ms();
        let mut out = Vec::new();
        for r in self.sql().exec("SELECT seq, body FROM notices ORDER BY seq DESC LIMIT ?", vec![VIEW_LIMIT.into()])?.to_array::<Row>()? {
            let notice: Notice = serde_json::from_str(&r.body)?;
            let owed = notice.email.as_ref().is_some_and(|e| match e.state {
                EmailState::Pending => true,
                EmailState::Sending { since_ms } => now - since_ms > EMAIL_SEND_DEADLINE_MS,
                EmailState::Sent | EmailState::Failed => false,
            });
            if owed {
                out.push((r.seq as i64, notice));
            }
        }
        Ok(out)
    }

    fn save_notice(&self, seq: i64, notice: &Notice) -> ApiResult<()> {
        self.sql().exec("UPDATE notices SET body = ? WHERE seq = ?", vec![text(notice)?.into(), seq.into()])?;
        Ok(())
    }

    async fn reschedule(&self, settings: &Settings, retry_soon: bool) {
        let now = now_ms();
        let mut wake = Outbox::open(&self.state.storage()).and_then(|o| o.next_wake(now)).unwrap_or_else(|e| {
            worker::console_error!("admin notification: {e}");
            Some(now + RETRY_MS)
        });
        let mut consider = |at: i64| wake = Some(wake.map_or(at, |w| w.min(at)));
        match self.digest() {
            Ok(d) => {
                if let Some(at) = d.due_at_ms(settings.scale) {
                    consider(at);
                }
            }
            Err(_) => consider(now + RETRY_MS),
        }
        if retry_soon || self.notices_owing_email().map_or(true, |n| !n.is_empty()) {
            consider(now + RETRY_MS);
        }
        set_or_clear_alarm(&self.state.storage(), wake, now).await;
    }

    fn view(&self) -> ApiResult<Value> {
        let settings = Settings::from_env(&self.env);
        let sql = self.sql();
        let failures: Vec<Value> = sql
            .exec("SELECT body FROM failures ORDER BY seq DESC LIMIT ?", vec![VIEW_LIMIT.into()])?
            .to_array::<Body>()?
            .iter()
            .map(|r| serde_json::from_str(&r.body))
            .collect::<Result<_, _>>()?;
        let outbox = Outbox::open(&self.state.storage())?;
        let notices: Vec<Notice> = sql
            .exec("SELECT body FROM notices ORDER BY seq DESC LIMIT ?", vec![VIEW_LIMIT.into()])?
            .to_array::<Body>()?
            .iter()
            .map(|r| serde_json::from_str(&r.body))
            .collect::<Result<_, _>>()?;
        let mut notifications = Vec::new();
        for n in notices {
            let mut v = json!(n);
            if let Some(id) = &n.delivery_id
                && let Some(d) = outbox.load(id)?
            {
                v["delivery"] = delivery_view(&d);
            }
            notifications.push(v);
        }
        let digest = self.digest()?;
        Ok(json!({
            "failures": failures,
            "pendingIds": digest.pending_ids,
            "lastNotifiedAt": digest.last_sent_at_ms.map(rfc3339_millis),
            "nextNotificationAt": digest.due_at_ms(settings.scale).map(|at| rfc3339_millis(at.max(now_ms()))),
            "notifications": notifications,
        }))
    }
}
