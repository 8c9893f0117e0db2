//! Who is calling. Public routes accept either DocuRift's `X-API-Key: frc_...`
//! or Veryfi's `CLIENT-ID` + `AUTHORIZATION: apikey <username>:<frc_ key>`.
//! Keys are looked up by hash in KV; the Account DO then counts the request
//! against the key's rate limit and is the authority on revocation.
//! Host and admin routes use bearer tokens compared in constant time.

use crate::config::{Config, KV};
use crate::http::{ApiResult, Failure, fail, header, kv_get_json, rpc};
use crate::model::{KeyRecord, Profile, Role, VeryfiClientRecord, account_stub, apikey_kv_key, veryfi_kv_key};
use crate::account::RateArgs;
use folio_core::ErrorCode;
use folio_core::secret::{bearer_token, hash_api_key, is_api_key_shaped, token_matches};
use serde_json::{Map, Value};
use worker::{Env, Request};

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
        let Some(v) = &self.veryfi else { return Ok(()) };
        let (Some(ts), Some(sig)) = (&v.timestamp, &v.signature) else { return Ok(()) };
        folio_core::veryfi::verify_request_signature(&v.client.client_secret, params, ts, sig, crate::http::now_ms())
            .map_err(|e| {
                let why = match e {
                    folio_core::veryfi::SignatureError::BadTimestamp => "X-Veryfi-Request-Timestamp is not a timestamp in ms",
                    folio_core::veryfi::SignatureError::Expired => "Request signature has expired (30 minutes)",
                    folio_core::veryfi::SignatureError::Mismatch => "Request signature does not match",
                };
                fail(ErrorCode::InvalidApiKey, why)
            })
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(fail(ErrorCode::Forbidden, "Only admin keys may change account settings"))
        }
    }
}

fn invalid(msg: &str) -> Failure {
    fail(ErrorCode::InvalidApiKey, msg)
}

async fn key_record(env: &Env, key: &str) -> ApiResult<KeyRecord> {
    if !is_api_key_shaped(key) {
        return Err(invalid("Invalid API key"));
    }
    kv_get_json::<KeyRecord>(&env.kv(KV)?, &apikey_kv_key(&hash_api_key(key)))
        .await?
        .ok_or_else(|| invalid("Invalid API key"))
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
        let (username, key) = folio_core::veryfi::parse_authorization(&authz)
            .ok_or_else(|| invalid("AUTHORIZATION must be: apikey <username>:<api key>"))?;
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
    let _: Value = rpc(
        &account_stub(env, &principal.org_id)?,
        "rate",
        &RateArgs { key_id: principal.key_id.clone(), default_limit: cfg.rate_limit },
    )
    .await?;
    Ok(())
}

/// `Authorization: Bearer <HOST_TOKEN>` on the internal host API.
pub fn require_host(req: &Request, cfg: &Config) -> ApiResult<()> {
    let ok = header(req, "authorization")
        .as_deref()
        .and_then(bearer_token)
        .is_some_and(|t| token_matches(t, &cfg.host_token));
    if ok { Ok(()) } else { Err(fail(ErrorCode::InvalidHostToken, "Invalid or missing host token")) }
}

/// `Authorization: Bearer <ADMIN_TOKEN>` on the admin API.
pub fn require_admin_token(req: &Request, cfg: &Config) -> ApiResult<()> {
    let ok = header(req, "authorization")
        .as_deref()
        .and_then(bearer_token)
        .is_some_and(|t| token_matches(t, &cfg.admin_token));
    if ok { Ok(()) } else { Err(fail(ErrorCode::InvalidApiKey, "Invalid or missing admin token")) }
}
