//! The admin API, guarded by `Authorization: Bearer <ADMIN_TOKEN>`:
//!
//! - `POST   /admin/v1/orgs` `{name, slug?, plan?, credits?, adminEmail?}` ->
//!   the org, its Veryfi client credentials per profile (live, sandbox) and
//!   its default webhook signing secret `webhookSigningSecret` (shown once);
//! - `GET    /admin/v1/orgs/{orgId}`;
//! - `PATCH  /admin/v1/orgs/{orgId}` `{plan?, credits?, addCredits?, adminEmail?}`
//!   (`adminEmail: ""` removes it);
//! - `POST   /admin/v1/orgs/{orgId}/webhook-secret/rotate` -> a new default
//!   signing secret (shown once); the old one keeps co-signing for 24 h;
//! - `GET|PUT /admin/v1/orgs/{orgId}/email?profile=` the inbound e-mail
//!   address and sender allowlist (`crate::inbox`);
//! - `POST   /admin/v1/orgs/{orgId}/keys` `{role, profile, rateLimit?}` -> the
//!   new `frc_` key (shown once; only its hash is stored) and the Veryfi
//!   credential set that goes with it;
//! - `DELETE /admin/v1/orgs/{orgId}/keys/{keyId}` revokes a key;
//! - `GET    /admin/v1/queue` queue statistics.

use crate::account::{
    AccountClient, AccountView, AddKeyArgs, GetAccount, InitArgs, KeyArgs, ProfileArgs, ProfileSettings, RevokedKey, RotateSigning,
    RotatedSecret, UpdateArgs, new_signing_secret, valid_admin_email,
};
use crate::auth::require_admin_token;
use crate::config::{Config, KV};
use crate::http::{ApiResult, fail, json_response, kv_put_json, parse_json, read_body_limited};
use crate::model::{KeyRecord, Profile, Role, VeryfiClientRecord, apikey_kv_key, is_org_id, queue_shards, veryfi_kv_key};
use crate::queue::QueueStats;
use crate::queue::{GetStats, QueueClient};
use folio_core::ErrorCode;
use folio_core::api::{Plan, RateLimit, ok_envelope};
use folio_core::ids::random_token;
use folio_core::secret::hash_api_key;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Env, Request};

const BODY_LIMIT: u64 = 16 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateOrg {
    name: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    credits: Option<i64>,
    #[serde(default)]
    admin_email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PatchOrg {
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    credits: Option<i64>,
    #[serde(default)]
    add_credits: Option<i64>,
    #[serde(default)]
    admin_email: Option<String>,
}

/// A valid admin address, normalised; `""` (remove) passes through.
fn admin_email(e: Option<String>) -> ApiResult<Option<String>> {
    match e.map(|e| e.trim().to_ascii_lowercase()) {
        Some(e) if !e.is_empty() && !valid_admin_email(&e) => Err(bad("adminEmail must be an e-mail address")),
        other => Ok(other),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateKey {
    role: String,
    profile: String,
    #[serde(default)]
    rate_limit: Option<RateLimit>,
}

fn bad(msg: impl Into<String>) -> crate::http::Failure {
    fail(ErrorCode::InvalidRequest, msg)
}

fn parse_plan(p: Option<&str>) -> ApiResult<Option<Plan>> {
    p.map(|p| Plan::parse(p).ok_or_else(|| bad("plan must be \"free\" or \"paid\""))).transpose()
}

/// `acme-corp` from `Acme Corp.`; slugs are the Veryfi `username`.
fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

fn valid_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn org_path(org_id: &str) -> ApiResult<()> {
    if is_org_id(org_id) { Ok(()) } else { Err(fail(ErrorCode::NotFound, "No such organisation")) }
}

pub async fn create_org(mut req: Request, env: Env, cfg: Config) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    let body: CreateOrg = parse_json(&read_body_limited(&mut req, BODY_LIMIT, "Body too large").await?)?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.len() > 200 {
        return Err(bad("name must be 1 to 200 characters"));
    }
    let slug = body.slug.unwrap_or_else(|| slugify(&name));
    if !valid_slug(&slug) {
        return Err(bad("slug must be 1 to 40 of [a-z0-9-]"));
    }
    let plan = parse_plan(body.plan.as_deref())?.unwrap_or_default();
    let credits = body.credits.unwrap_or(0);
    if credits < 0 {
        return Err(bad("credits must not be negative"));
    }
    let admin_email = admin_email(body.admin_email)?.filter(|e| !e.is_empty());
    let signing_secret = new_signing_secret();
    let org_id = format!("org_{}", random_token(20));
    let profiles: Vec<ProfileSettings> = Profile::ALL
        .iter()
        .map(|p| ProfileSettings {
            profile: *p,
            client_id: format!("vrf_{}", random_token(24)),
            client_secret: format!("vcs_{}", random_token(40)),
            webhook_url: None,
            webhook_secret: None,
        })
        .collect();
    let kv = env.kv(KV)?;
    for p in &profiles {
        let rec = VeryfiClientRecord {
            client_id: p.client_id.clone(),
            client_secret: p.client_secret.clone(),
            org_id: org_id.clone(),
            username: slug.clone(),
            profile: p.profile,
        };
        kv_put_json(&kv, &veryfi_kv_key(&p.client_id), &rec).await?;
    }
    let view: AccountView = AccountClient::named(&env, &org_id)?
        .call(&InitArgs {
            org_id: org_id.clone(),
            name,
            slug: slug.clone(),
            plan,
            credits,
            profiles: profiles.clone(),
            admin_email,
            signing_secret: signing_secret.clone(),
        })
        .await?;
    let veryfi: serde_json::Map<String, Value> = profiles
        .iter()
        .map(|p| (p.profile.as_str().to_string(), json!({"clientId": p.client_id, "clientSecret": p.client_secret, "username": slug})))
        .collect();
    json_response(201, &ok_envelope(json!({"organization": view, "veryfi": veryfi, "webhookSigningSecret": signing_secret})))
}

pub async fn get_org(req: Request, env: Env, cfg: Config, org_id: &str) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    org_path(org_id)?;
    let view: AccountView = AccountClient::named(&env, org_id)?.call(&GetAccount).await?;
    json_response(200, &ok_envelope(json!({"organization": view})))
}

pub async fn patch_org(mut req: Request, env: Env, cfg: Config, org_id: &str) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    org_path(org_id)?;
    let body: PatchOrg = parse_json(&read_body_limited(&mut req, BODY_LIMIT, "Body too large").await?)?;
    let view: AccountView = AccountClient::named(&env, org_id)?
        .call(&UpdateArgs {
            plan: parse_plan(body.plan.as_deref())?,
            credits: body.credits,
            add_credits: body.add_credits,
            admin_email: admin_email(body.admin_email)?,
        })
        .await?;
    json_response(200, &ok_envelope(json!({"organization": view})))
}

/// `POST /admin/v1/orgs/{orgId}/webhook-secret/rotate`.
pub async fn rotate_webhook_secret(req: Request, env: Env, cfg: Config, org_id: &str) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    org_path(org_id)?;
    let r: RotatedSecret = AccountClient::named(&env, org_id)?.call(&RotateSigning).await?;
    json_response(
        200,
        &ok_envelope(json!({
            "webhookSigningSecret": r.secret,
            "previousSecretValidUntil": r.previous_valid_until_ms.map(folio_core::time::rfc3339),
        })),
    )
}

pub async fn create_key(mut req: Request, env: Env, cfg: Config, org_id: &str) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    org_path(org_id)?;
    let body: CreateKey = parse_json(&read_body_limited(&mut req, BODY_LIMIT, "Body too large").await?)?;
    let role = Role::parse(&body.role).ok_or_else(|| bad("role must be \"admin\" or \"member\""))?;
    let profile = Profile::parse(&body.profile).ok_or_else(|| bad("profile must be \"live\" or \"sandbox\""))?;
    if body.rate_limit.is_some_and(|l| l.requests == 0 || l.window_seconds == 0) {
        return Err(bad("rateLimit needs requests >= 1 and windowSeconds >= 1"));
    }
    let account = AccountClient::named(&env, org_id)?;
    let view = account.call(&GetAccount).await?;
    let settings = account.call(&ProfileArgs { profile }).await?;
    let key = folio_core::ids::new_api_key();
    let key_id = format!("key_{}", random_token(16));
    let key_hash = hash_api_key(&key);
    account.call(&AddKeyArgs { key_id: key_id.clone(), key_hash: key_hash.clone(), role, profile, rate_limit: body.rate_limit }).await?;
    let rec = KeyRecord { key_id: key_id.clone(), org_id: org_id.to_string(), role, profile };
    kv_put_json(&env.kv(KV)?, &apikey_kv_key(&key_hash), &rec).await?;
    json_response(
        201,
        &ok_envelope(json!({
            "keyId": key_id,
            "apiKey": key,
            "organizationId": org_id,
            "role": role,
            "profile": profile,
            "rateLimit": body.rate_limit,
            "veryfi": {
                "clientId": settings.client_id,
                "clientSecret": settings.client_secret,
                "username": view.slug,
                "apiKey": key,
            }
        })),
    )
}

pub async fn revoke_key(req: Request, env: Env, cfg: Config, org_id: &str, key_id: &str) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    org_path(org_id)?;
    let r: RevokedKey = AccountClient::named(&env, org_id)?.call(&KeyArgs { key_id: key_id.to_string() }).await?;
    env.kv(KV)?.delete(&apikey_kv_key(&r.key_hash)).await?;
    json_response(200, &ok_envelope(json!({"keyId": key_id, "revoked": true})))
}

pub async fn queue_stats(req: Request, env: Env, cfg: Config) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    let mut shards = serde_json::Map::new();
    for shard in queue_shards() {
        let s: QueueStats = QueueClient::named(&env, shard)?.call(&GetStats).await?;
        shards.insert(shard.to_string(), json!(s));
    }
    json_response(200, &ok_envelope(json!({"shards": shards})))
}
