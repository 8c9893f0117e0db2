//! Deployment settings from `wrangler.toml` `[vars]` and secrets. Every
//! setting has a default so a missing var never breaks a request.

use folio_core::api::{Plan, PlanLimits, RateLimit, SubmissionPolicy};
use worker::Env;

/// Binding names (wrangler.toml).
pub const KV: &str = "FOLIO_KV";
pub const FILES: &str = "FOLIO_FILES";
pub const ACCOUNT: &str = "ACCOUNT";
pub const DOCUMENT: &str = "DOCUMENT";
pub const QUEUE: &str = "QUEUE";
/// The `send_email` binding of webhook failure e-mails.
pub const NOTIFY_EMAIL: &str = "NOTIFY_EMAIL";

#[derive(Clone, Debug)]
pub struct Config {
    /// `DOCUMENT_TYPES`: comma-separated extractors the hosts run.
    pub document_types: Vec<String>,
    /// `LANGUAGES`: comma-separated ISO 639-1 codes with OCR models.
    pub languages: Vec<String>,
    /// `ALLOW_LOOPBACK_WEBHOOKS`: accept http://127.0.0.1 / localhost for
    /// webhooks and Veryfi `file_url` (local development and tests only).
    pub allow_loopback: bool,
    /// `MAX_ATTEMPTS`: leases per document before it fails with `PROCESSING_FAILED`.
    pub max_attempts: u32,
    /// `LEASE_SECONDS`: how long a lease (or a heartbeat) keeps a job.
    pub lease_seconds: u32,
    /// `RATE_LIMIT_REQUESTS` per `RATE_LIMIT_WINDOW_SECONDS`, per API key
    /// (keys may carry their own limit, set by the admin API).
    pub rate_limit: RateLimit,
    /// `SYNC_WAIT_SECONDS`: how long `POST /v1/documents/process` waits.
    pub sync_wait_seconds: u32,
    /// `FILE_URL_TIMEOUT_SECONDS`: the whole Veryfi `file_url` download
    /// (every redirect hop and the body), 1 to 60, default 20.
    pub file_url_timeout_seconds: u32,
    /// `DEFAULT_PROCESSING_SECONDS`: the time per document assumed for
    /// `estimatedCompletionTime` before any has been measured.
    pub default_processing_seconds: u32,
    /// Secret `ADMIN_TOKEN`: guards `/admin/v1/*`. Unset = admin API closed.
    pub admin_token: String,
    /// Secret `HOST_TOKEN`: guards `/internal/v1/*`. Unset = host API closed.
    pub host_token: String,
    /// `MAX_PAGES_FREE`, `MAX_PROCESSING_SECONDS_FREE` and the same with
    /// `_PAID`: per-document limits of each plan (defaults: `Plan::default_limits`).
    pub free_limits: PlanLimits,
    pub paid_limits: PlanLimits,
    /// `MAX_PROCESSING_PER_ORG`: documents of one organisation processed at
    /// once; more wait while other organisations' documents go first.
    pub max_processing_per_org: u32,
    /// `FAULT_INJECTION`: tests only, the initial fault rules (see `faults`).
    pub fault_injection: Option<String>,
    /// `EMAIL_DOMAIN`: the domain whose Email Routing hands messages to the
    /// worker; inbound addresses are `{orgId}[.sandbox][+type]@` it. Empty:
    /// no inbox (every message is rejected, `GET /v1/account/email` says so).
    pub email_domain: String,
    /// `EMAIL_FROM`: the sender of failure e-mails (default `notifications@{EMAIL_DOMAIN}`).
    pub email_from: String,
    /// `EMAIL_MAX_MESSAGE_BYTES`: the largest message accepted (default and
    /// most: Email Routing's 25 MiB).
    pub email_max_message_bytes: u64,
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|v| v.to_string())).ok().map(|s| s.trim().to_string())
}

fn number(env: &Env, name: &str, default: u32) -> u32 {
    text(env, name).and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn list(env: &Env, name: &str, default: &str) -> Vec<String> {
    text(env, name).unwrap_or_else(|| default.to_string()).split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn limits(env: &Env, plan: Plan, suffix: &str) -> PlanLimits {
    let d = plan.default_limits();
    PlanLimits {
        max_pages: number(env, &format!("MAX_PAGES_{suffix}"), d.max_pages).max(1),
        max_processing_seconds: number(env, &format!("MAX_PROCESSING_SECONDS_{suffix}"), d.max_processing_seconds).max(1),
    }
}

impl Config {
    pub fn plan_limits(&self, plan: Plan) -> PlanLimits {
        match plan {
            Plan::Free => self.free_limits,
            Plan::Paid => self.paid_limits,
        }
    }

    pub fn from_env(env: &Env) -> Config {
        let email_domain = text(env, "EMAIL_DOMAIN").unwrap_or_default().to_ascii_lowercase();
        Config {
            document_types: list(env, "DOCUMENT_TYPES", "invoice,receipt,generic"),
            languages: list(env, "LANGUAGES", "en"),
            allow_loopback: text(env, "ALLOW_LOOPBACK_WEBHOOKS").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            max_attempts: number(env, "MAX_ATTEMPTS", 3).max(1),
            lease_seconds: number(env, "LEASE_SECONDS", 120).max(1),
            rate_limit: RateLimit {
                requests: number(env, "RATE_LIMIT_REQUESTS", 1200).max(1),
                window_seconds: number(env, "RATE_LIMIT_WINDOW_SECONDS", 60).max(1),
            },
            sync_wait_seconds: number(env, "SYNC_WAIT_SECONDS", 30).min(120),
            file_url_timeout_seconds: number(env, "FILE_URL_TIMEOUT_SECONDS", 20).clamp(1, 60),
            default_processing_seconds: number(env, "DEFAULT_PROCESSING_SECONDS", 10).max(1),
            admin_token: text(env, "ADMIN_TOKEN").unwrap_or_default(),
            host_token: text(env, "HOST_TOKEN").unwrap_or_default(),
            free_limits: limits(env, Plan::Free, "FREE"),
            paid_limits: limits(env, Plan::Paid, "PAID"),
            max_processing_per_org: number(env, "MAX_PROCESSING_PER_ORG", 8).max(1),
            fault_injection: text(env, crate::faults::VAR).filter(|s| !s.is_empty()),
            email_max_message_bytes: text(env, "EMAIL_MAX_MESSAGE_BYTES")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(folio_core::email::MAX_MESSAGE_BYTES)
                .clamp(1, folio_core::email::MAX_MESSAGE_BYTES),
            email_domain: email_domain.clone(),
            email_from: text(env, "EMAIL_FROM").filter(|s| !s.is_empty()).unwrap_or_else(|| format!("notifications@{email_domain}")),
        }
    }

    pub fn submission_policy(&self) -> SubmissionPolicy {
        SubmissionPolicy {
            document_types: self.document_types.clone(),
            languages: self.languages.clone(),
            allow_loopback: self.allow_loopback,
        }
    }
}
