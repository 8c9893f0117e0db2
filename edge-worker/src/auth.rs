//! Who is calling. Public routes accept either DocuRift's `X-API-Key: frc_...`
//! or Veryfi's `CLIENT-ID` + `AUTHORIZATION: apikey <username>:<frc_ key>`.
//! Keys are looked up by hash in KV; the Account DO then counts the request
//! against the key's rate limit and is the authority on revocation.
//! Host and admin routes use bearer tokens compared in constant time.
//!
//! Each isolate remembers, for a minute, what KV said about a key (its
//! organisation, role and profile never change; revocation is decided by the
//! Account DO on every request, so a remembered key cannot outlive it), and
//! until when a key is rate limited (refused requests are not counted, so
//! refusing them here changes only the cost).

use crate::account::AccountClient;
use crate::account::RateArgs;
use crate::config::{Config, KV};
use crate::http::{ApiResult, Failure, fail, header, kv_get_json};
use crate::model::{KeyRecord, Profile, Role, VeryfiClientRecord, apikey_kv_key, veryfi_kv_key};
use folio_core::ErrorCode;
use folio_core::secret::{bearer_token, hash_api_key, is_api_key_shaped, token_matches};
use folio_core::veryfi::{RequestSignature, SignatureError};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Request};

const KEY_MEMORY_MS: i64 = 60_000;
/// Entries kept per isolate before the memory starts over.
const MEMORY_ENTRIES: usize = 10_000;

thread_local! {
    /// sha256 of a key -> its KV record and when it was read.
    static KEYS: RefCell<HashMap<String, (KeyRecord, i64)>> = RefCell::new(HashMap::new());
    /// key id -> until when its last `429` holds (ms).
    static LIMITED: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}

fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
    if map.len() >= MEMORY_ENTRIES {
        map.clear();
    }
    map.insert(k, v);
}

/// Refuses a request of a key that is rate limited right now (as the Account
/// DO would), without asking it.
pub fn refuse_while_limited(principal: &Principal) -> ApiResult<()> {
    let now = crate::http::now_ms();
    let limited = LIMITED.with(|m| m.borrow().get(&principal.key_id).copied());
    match limited {
        Some(until) if until > now => Err(Failure::rate_limited(((until - now + 999) / 1000) as u32)),
        _ => Ok(()),
    }
}

/// Remembers a `429` from the Account DO until its `Retry-After`.
pub fn note_refusal(principal: &Principal, f: &Failure) {
    if let (ErrorCode::RateLimitExceeded, Some(secs)) = (f.error.code, f.retry_after) {
        let until = crate::http::now_ms() + secs as i64 * 1000;
        LIMITED.with(|m| remember(&mut m.borrow_mut(), principal.key_id.clone(), until));
    }
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub org_id: String,
    pub key_id: String,
    pub role: Role,
    pub profile: Profile,
    /// Present when the caller used Veryfi credentials.
    pub veryfi: Option<VeryfiAuth>,
}

/// Veryfi credentials of a request, with its optional signature headers.
#[derive(Clone, Debug)]
pub struct VeryfiAuth {
    pub client: VeryfiClientRecord,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
}

impl Principal {
    /// Verifies `X-Veryfi-Request-Signature` against the JSON body's
    /// parameters when the client sent one (Veryfi's SDKs sign when given a
    /// client secret). Requests without the headers are accepted.
    pub fn verify_veryfi_signature(&self, params: &Map<String, Value>) -> ApiResult<()> {
        let Some(mut check) = self.start_veryfi_signature()? else { return Ok(()) };
        for (k, v) in params {
            check.member(k, v);
        }
        self.finish_veryfi_signature(check)
    }

    /// The signature check of a request whose body is fed to it as it
    /// streams in (`None`: the request is not signed). The timestamp is
    /// checked here, before the body is read.
    pub fn start_veryfi_signature(&self) -> ApiResult<Option<RequestSignature>> {
        let Some(v) = &self.veryfi else { return Ok(None) };
        let (Some(ts), Some(_)) = (&v.timestamp, &v.signature) else { return Ok(None) };
        RequestSignature::start(&v.client.client_secret, ts, crate::http::now_ms()).map(Some).map_err(signature_refused)
    }

    /// Compares a fed [`RequestSignature`] with the presented signature.
    pub fn finish_veryfi_signature(&self, check: RequestSignature) -> ApiResult<()> {
        let presented = self.veryfi.as_ref().and_then(|v| v.signature.as_deref()).unwrap_or_default();
        check.verify(presented).map_err(signature_refused)
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        self.require_admin_to("change account settings")
    }

    /// `403 FORBIDDEN` "Only admin keys may {action}" for other keys.
    pub fn require_admin_to(&self, action: &str) -> ApiResult<()> {
        if self.role == Role::Admin { Ok(()) } else { Err(fail(ErrorCode::Forbidden, format!("Only admin keys may {action}"))) }
    }
}

fn signature_refused(e: SignatureError) -> Failure {
    let why = match e {
        SignatureError::BadTimestamp => "X-Veryfi-Request-Timestamp is not a timestamp in ms",
        SignatureError::Expired => "Request signature has expired (30 minutes)",
        SignatureError::Mismatch => "Request signature does not match",
    };
    fail(ErrorCode::InvalidApiKey, why)
}

fn invalid(msg: &str) -> Failure {
    fail(ErrorCode::InvalidApiKey, msg)
}

async fn key_record(env: &Env, key: &str) -> ApiResult<KeyRecord> {
    if !is_api_key_shaped(key) {
        return Err(invalid("Invalid API key"));
    }
    let hash = hash_api_key(key);
    let now = crate::http::now_ms();
    if let Some((rec, _)) = KEYS.with(|m| m.borrow().get(&hash).cloned()).filter(|(_, at)| now - at < KEY_MEMORY_MS) {
        return Ok(rec);
    }
    let rec = kv_get_json::<KeyRecord>(&env.kv(KV)?, &apikey_kv_key(&hash)).await?.ok_or_else(|| invalid("Invalid API key"))?;
    KEYS.with(|m| remember(&mut m.borrow_mut(), hash, (rec.clone(), now)));
    Ok(rec)
}

/// Authenticates a public API request and counts it against the key's rate limit.
pub async fn authenticate(req: &Request, env: &Env, cfg: &Config) -> ApiResult<Principal> {
    let principal = identify(req, env).await?;
    count_request(env, cfg, &principal).await?;
    Ok(principal)
}

/// Who the credentials belong to (KV lookups only; see [`count_request`]).
pub async fn identify(req: &Request, env: &Env) -> ApiResult<Principal> {
    let principal = if let Some(key) = header(req, "x-api-key") {
        let rec = key_record(env, key.trim()).await?;
        Principal { org_id: rec.org_id, key_id: rec.key_id, role: rec.role, profile: rec.profile, veryfi: None }
    } else if let Some(client_id) = header(req, "client-id") {
        let authz = header(req, "authorization").ok_or_else(|| invalid("Missing AUTHORIZATION: apikey <username>:<api key>"))?;
        let (username, key) =
            folio_core::veryfi::parse_authorization(&authz).ok_or_else(|| invalid("AUTHORIZATION must be: apikey <username>:<api key>"))?;
        let rec = key_record(env, key).await?;
        let client = kv_get_json::<VeryfiClientRecord>(&env.kv(KV)?, &veryfi_kv_key(client_id.trim()))
            .await?
            .ok_or_else(|| invalid("Invalid CLIENT-ID"))?;
        if client.org_id != rec.org_id || client.profile != rec.profile || client.username != username {
            return Err(invalid("CLIENT-ID, username and API key do not belong together"));
        }
        Principal {
            org_id: rec.org_id,
            key_id: rec.key_id,
            role: rec.role,
            profile: rec.profile,
            veryfi: Some(VeryfiAuth {
                client,
                timestamp: header(req, "x-veryfi-request-timestamp"),
                signature: header(req, "x-veryfi-request-signature"),
            }),
        }
    } else {
        return Err(invalid("Missing API key: send X-API-Key (or Veryfi's CLIENT-ID and AUTHORIZATION)"));
    };
    Ok(principal)
}

/// Counts the request against the key's rate limit in the Account DO,
/// which is also the authority on revocation (`INVALID_API_KEY`).
pub async fn count_request(env: &Env, cfg: &Config, principal: &Principal) -> ApiResult<()> {
    refuse_while_limited(principal)?;
    let counted = AccountClient::named(env, &principal.org_id)?
        .call(&RateArgs { key_id: principal.key_id.clone(), default_limit: cfg.rate_limit })
        .await;
    if let Err(f) = &counted {
        note_refusal(principal, f);
    }
    counted.map(|_| ())
}

/// `Authorization: Bearer <HOST_TOKEN>` on the internal host API.
pub fn require_host(req: &Request, cfg: &Config) -> ApiResult<()> {
    let ok = header(req, "authorization").as_deref().and_then(bearer_token).is_some_and(|t| token_matches(t, &cfg.host_token));
    if ok { Ok(()) } else { Err(fail(ErrorCode::InvalidHostToken, "Invalid or missing host token")) }
}

/// `Authorization: Bearer <ADMIN_TOKEN>` on the admin API.
pub fn require_admin_token(req: &Request, cfg: &Config) -> ApiResult<()> {
    let ok = header(req, "authorization").as_deref().and_then(bearer_token).is_some_and(|t| token_matches(t, &cfg.admin_token));
    if ok { Ok(()) } else { Err(fail(ErrorCode::InvalidApiKey, "Invalid or missing admin token")) }
}
