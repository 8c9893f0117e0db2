//! E-mail in (Veryfi's "Webhook for Email collector"): a message to an
//! organisation's inbox becomes documents. Cloudflare Email Routing hands the
//! message to the worker's `email` handler ([`email`], exported here); the
//! rules are folio-core's [`folio_core::email`].
//!
//! - Address: `{orgId}@{EMAIL_DOMAIN}` (live) or `{orgId}.sandbox@...`, with
//!   an optional `+{documentType}` tag (`{orgId}+invoice@...`).
//! - Sender: the envelope sender must be on the profile's allowlist
//!   (`PUT /v1/account/email`, admin keys; an empty list accepts nobody).
//! - Documents: every PDF or image attachment (inline images and forwarded
//!   messages' attachments too), admitted together in one Account call, as
//!   uploads are (magic bytes, size, page caps, credits, and the inbox's own
//!   rate limit at the API keys' default), all or none. Each gets
//!   `source: "email"` and `email: {from, subject, messageId}`; it is
//!   processed like any upload and the profile's account webhook fires when
//!   it completes or fails.
//! - Refusals reject the message with the reason (a permanent SMTP error
//!   the sender sees); nothing is stored. A failure of Folio itself (storage
//!   unavailable) throws instead, which Email Routing reports as temporary,
//!   so the sending server retries; a retried message is recognised by its
//!   `Message-ID` and does not create its documents twice.
//!
//! API: `GET /v1/account/email` (the caller's profile's address and
//! allowlist), `PUT /v1/account/email` `{"allowedSenders": [...]}` (admin
//! keys), and the same under `/admin/v1/orgs/{orgId}/email?profile=`.

use crate::account::{AccountClient, IdempotencyArgs, InboxArgs, InboxSetArgs, InboxSettings, MailDocument, SubmitMailArgs};
use crate::auth::authenticate;
use crate::config::Config;
use crate::http::{ApiResult, Failure, fail, json_response, now_ms, parse_json, read_body_limited};
use crate::model::{DocumentRecord, NewDocument, Profile, Source};
use crate::submit::{delete_file, put_file};
use crate::upload::UploadFile;
use folio_core::ErrorCode;
use folio_core::api::{RawSubmission, ok_envelope, parse_submission, sanitize_file_name};
use folio_core::document::EmailOrigin;
use folio_core::email::{InboundAddress, MAX_DOCUMENTS_PER_MESSAGE, MailRejection, SenderAllowlist, document_type_for, read_message};
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::JsValue;
use worker::{Env, ForwardableEmailMessage, Request};

/// The worker's `email` handler. Written out rather than with
/// `#[event(email)]`, whose glue panics on an error: a panic would take the
/// whole isolate down, where a rejected promise is all Email Routing needs
/// to answer the sending server with a temporary failure.
mod export {
    use worker::wasm_bindgen;
    use worker::wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen(
        js_name = "email",
        wasm_bindgen = ::worker::wasm_bindgen,
        wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
        js_sys = ::worker::js_sys
    )]
    pub async fn email(
        message: worker::ForwardableEmailMessage,
        env: worker::Env,
        _ctx: worker::worker_sys::Context,
    ) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
        super::email(message, env).await
    }
}

async fn email(message: ForwardableEmailMessage, env: Env) -> Result<JsValue, JsValue> {
    crate::faults::init(&env);
    let (from, to) = (message.from(), message.to());
    match receive(&message, &env).await {
        Ok(docs) => {
            worker::console_log!("email from {from} to {to}: {} document(s) {:?}", docs.len(), docs);
            Ok(JsValue::UNDEFINED)
        }
        Err(Outcome::Rejected(reason)) => {
            worker::console_log!("email from {from} to {to} rejected: {reason}");
            reject(&message, &reason.to_string()).await;
            Ok(JsValue::UNDEFINED)
        }
        Err(Outcome::Temporary(why)) => {
            worker::console_error!("email from {from} to {to}: temporary failure: {why}");
            Err(JsValue::from_str(&format!("temporary failure: {why}")))
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The incoming message, seen as something whose `setReject` may answer a value.
    type Rejectable;
    #[wasm_bindgen(method, js_name = setReject)]
    fn set_reject_returning(this: &Rejectable, reason: &str) -> JsValue;
}

/// `message.setReject(reason)`, awaited when it returns something: in
/// production it is synchronous, but under `wrangler dev` the message is an
/// RPC stub whose call answers a promise, and an unawaited call lands after
/// the handler has returned (the message then counts as accepted).
async fn reject(message: &ForwardableEmailMessage, reason: &str) {
    use worker::wasm_bindgen::JsCast;
    let ret = message.unchecked_ref::<Rejectable>().set_reject_returning(reason);
    if !ret.is_undefined() {
        // `Promise.resolve` adopts the RPC promise (a thenable, not a `Promise` instance).
        let settled = worker::wasm_bindgen_futures::JsFuture::from(worker::js_sys::Promise::resolve(&ret)).await;
        if let Err(e) = settled {
            worker::console_error!("setReject: {e:?}");
        }
    }
}

enum Outcome {
    /// A permanent refusal, given to the sender.
    Rejected(MailRejection),
    /// Folio could not take it now; the sending server should retry.
    Temporary(String),
}

impl From<MailRejection> for Outcome {
    fn from(r: MailRejection) -> Self {
        Outcome::Rejected(r)
    }
}

/// API refusals (credits, rate limit, plan) are the sender's answer; internal errors are temporary.
fn from_failure(f: Failure) -> Outcome {
    match f.error.code {
        ErrorCode::InternalError => Outcome::Temporary(f.error.message),
        ErrorCode::NotFound => Outcome::Rejected(MailRejection::UnknownRecipient),
        code => Outcome::Rejected(MailRejection::Refused { code: code.as_str().to_string(), message: f.error.message }),
    }
}

fn temporary(e: impl std::fmt::Display) -> Outcome {
    Outcome::Temporary(e.to_string())
}

/// Turns one message into documents; the ids created.
async fn receive(message: &ForwardableEmailMessage, env: &Env) -> Result<Vec<String>, Outcome> {
    let cfg = Config::from_env(env);
    let address = InboundAddress::parse(&message.to(), &cfg.email_domain).ok_or(MailRejection::UnknownRecipient)?;
    let profile = if address.sandbox { Profile::Sandbox } else { Profile::Live };
    let account = AccountClient::named(env, &address.org_id).map_err(temporary)?;
    let inbox = account.call(&InboxArgs { profile }).await.map_err(from_failure)?;
    let sender = message.from().trim().to_ascii_lowercase();
    if !inbox.allowlist().allows(&sender) {
        return Err(MailRejection::SenderNotAllowed.into());
    }
    let size = message.raw_size() as u64;
    if size > cfg.email_max_message_bytes {
        return Err(MailRejection::TooLarge { bytes: size, limit: cfg.email_max_message_bytes }.into());
    }
    let raw = message.raw_bytes().await.map_err(temporary)?;
    let contents = read_message(&raw, cfg.email_max_message_bytes)?;
    drop(raw);
    // The configured types and those hosts serve: a +tag may name a plugin's own type.
    let policy = crate::queue::submission_policy(env, &cfg, address.document_type.as_deref()).await;
    let document_type = document_type_for(&address, &contents.subject, &policy.document_types)?;
    let raw_options = RawSubmission { document_type: Some(&document_type), ..RawSubmission::default() };
    let options = parse_submission(&raw_options, &policy).map_err(|e| from_failure(e.into()))?;
    let origin = EmailOrigin { from: sender.clone(), subject: contents.subject.clone(), message_id: contents.message_id.clone() };
    let now = now_ms();
    let mut documents = Vec::with_capacity(MAX_DOCUMENTS_PER_MESSAGE);
    for (n, doc) in contents.documents.into_iter().enumerate() {
        let upload = UploadFile::Bytes(doc.bytes);
        let scan = upload.scan(true).await.map_err(from_failure)?;
        let record = DocumentRecord::new(
            NewDocument {
                id: folio_core::ids::new_document_id(),
                org_id: address.org_id.clone(),
                key_id: format!("inbox:{}", profile.as_str()),
                profile,
                source: Source::Email,
                email: Some(origin.clone()),
                external_id: None,
                file_name: sanitize_file_name(&doc.file_name, scan.kind),
                file_kind: scan.kind,
                file_size: upload.size(),
                options: options.clone(),
                estimated_pages: scan.pages,
            },
            now,
        );
        // The same message delivered again (Email Routing retries after a
        // temporary failure) finds each attachment's earlier document.
        let idempotency = origin.message_id.as_ref().map(|id| IdempotencyArgs {
            key: format!("email:{}:{id}#{n}", profile.as_str()),
            fingerprint: scan.sha256.as_deref().map(hex::encode).unwrap_or_default(),
        });
        documents.push((record, idempotency, upload));
    }
    store_and_admit(env, &cfg, documents).await
}

/// Files to R2, then one Account call admits them all or none; on refusal
/// the files are deleted again. Replayed attachments' fresh copies are dropped.
async fn store_and_admit(
    env: &Env,
    cfg: &Config,
    documents: Vec<(DocumentRecord, Option<IdempotencyArgs>, UploadFile)>,
) -> Result<Vec<String>, Outcome> {
    let mut stored: Vec<String> = Vec::new();
    let mut args = SubmitMailArgs {
        documents: Vec::new(),
        default_rate_limit: cfg.rate_limit,
        default_processing_ms: cfg.default_processing_seconds as u64 * 1000,
    };
    let org_id = documents.first().map(|(r, _, _)| r.org_id.clone()).unwrap_or_default();
    for (record, idempotency, file) in documents {
        if let Err(f) = put_file(env, &record.file_key, record.file_kind, file).await {
            for key in &stored {
                delete_file(env, key).await;
            }
            return Err(from_failure(f));
        }
        stored.push(record.file_key.clone());
        args.documents.push(MailDocument { record, idempotency });
    }
    let account = AccountClient::named(env, &org_id).map_err(temporary)?;
    let submitted = account.call(&args).await;
    match submitted {
        Ok(s) => {
            for (d, key) in s.documents.iter().zip(&stored) {
                if !d.new {
                    delete_file(env, key).await;
                }
            }
            Ok(s.documents.into_iter().map(|d| d.doc_id).collect())
        }
        Err(f) => {
            for key in &stored {
                delete_file(env, key).await;
            }
            Err(from_failure(f))
        }
    }
}

/// `GET /v1/account/email` and the admin API's view.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InboxView {
    profile: Profile,
    /// Where to send documents; `null` while `EMAIL_DOMAIN` is not set.
    address: Option<String>,
    /// The address per document type (the `+type` tag).
    addresses_by_type: serde_json::Map<String, serde_json::Value>,
    default_document_type: &'static str,
    allowed_senders: Vec<String>,
    max_message_bytes: u64,
    max_documents_per_message: usize,
}

fn inbox_view(cfg: &Config, org_id: &str, s: InboxSettings) -> InboxView {
    let domain = Some(cfg.email_domain.as_str()).filter(|d| !d.is_empty());
    let sandbox = s.profile == Profile::Sandbox;
    let addresses_by_type = match domain {
        Some(d) => cfg.document_types.iter().map(|t| (t.clone(), InboundAddress::format(org_id, sandbox, Some(t), d).into())).collect(),
        None => serde_json::Map::new(),
    };
    InboxView {
        profile: s.profile,
        address: domain.map(|d| InboundAddress::format(org_id, sandbox, None, d)),
        addresses_by_type,
        default_document_type: folio_core::email::DEFAULT_DOCUMENT_TYPE,
        allowed_senders: s.allowed_senders,
        max_message_bytes: cfg.email_max_message_bytes,
        max_documents_per_message: MAX_DOCUMENTS_PER_MESSAGE,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InboxBody {
    allowed_senders: Vec<String>,
}

async fn read_allowlist(req: &mut Request) -> ApiResult<Vec<String>> {
    let body: InboxBody = parse_json(&read_body_limited(req, 64 * 1024, "Body too large").await?)?;
    let list = SenderAllowlist::parse(&body.allowed_senders).map_err(|m| fail(ErrorCode::InvalidRequest, m))?;
    Ok(list.entries().to_vec())
}

/// `GET /v1/account/email`.
pub async fn get(req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    let s: InboxSettings = AccountClient::named(&env, &principal.org_id)?.call(&InboxArgs { profile: principal.profile }).await?;
    json_response(200, &ok_envelope(inbox_view(&cfg, &principal.org_id, s)))
}

/// `PUT /v1/account/email` `{"allowedSenders": [...]}` (admin keys; the caller's profile).
pub async fn put(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    let principal = authenticate(&req, &env, &cfg).await?;
    principal.require_admin()?;
    let allowed_senders = read_allowlist(&mut req).await?;
    let s: InboxSettings =
        AccountClient::named(&env, &principal.org_id)?.call(&InboxSetArgs { profile: principal.profile, allowed_senders }).await?;
    json_response(200, &ok_envelope(inbox_view(&cfg, &principal.org_id, s)))
}

/// `GET|PUT /admin/v1/orgs/{orgId}/email?profile=live|sandbox` (default live).
pub async fn admin(mut req: Request, env: Env, cfg: Config, org_id: &str, set: bool) -> ApiResult {
    crate::auth::require_admin_token(&req, &cfg)?;
    if !crate::model::is_org_id(org_id) {
        return Err(fail(ErrorCode::NotFound, "No such organisation"));
    }
    let profile = match req.url()?.query_pairs().find(|(k, _)| k == "profile").map(|(_, v)| v.to_string()) {
        None => Profile::Live,
        Some(p) => Profile::parse(&p).ok_or_else(|| fail(ErrorCode::InvalidRequest, "profile must be \"live\" or \"sandbox\""))?,
    };
    let account = AccountClient::named(&env, org_id)?;
    let s: InboxSettings = if set {
        let allowed_senders = read_allowlist(&mut req).await?;
        account.call(&InboxSetArgs { profile, allowed_senders }).await?
    } else {
        account.call(&InboxArgs { profile }).await?
    };
    json_response(200, &ok_envelope(inbox_view(&cfg, org_id, s)))
}
