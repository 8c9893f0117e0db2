//! Webhook settings from `wrangler.toml` `[vars]`:
//!
//! - `WEBHOOK_TIME_SCALE` (default `"1"`, real time): a factor in (0, 1]
//!   applied to every wait of the retry schedules, to `Retry-After` and to
//!   the 24 h admin notification window. Tests set `"0.001"` (1 min becomes
//!   60 ms). Timeouts are never scaled. A value that is not a number in
//!   (0, 1] is logged and ignored (real time): a typo can slow tests down but
//!   never speed production up.
//! - `ADMIN_NOTIFICATION_URL` (default empty: no notification is sent; the
//!   failures stay readable at `GET /v1/webhooks/failures`): where the
//!   `webhooks.failed` digest is POSTed. `{organizationId}` and `{profile}`
//!   in it are replaced by the organisation's id and `live`/`sandbox`, so one
//!   endpoint can tell organisations apart. Checked like any webhook URL
//!   (HTTPS and public; loopback only with `ALLOW_LOOPBACK_WEBHOOKS`).
//! - `WEBHOOK_REDELIVERY_LIMIT_PER_DOCUMENT` (default `"5"`),
//!   `WEBHOOK_REDELIVERY_LIMIT_PER_ORG` (default `"100"`) per
//!   `WEBHOOK_REDELIVERY_WINDOW_SECONDS` (default `"3600"`): manual
//!   redeliveries allowed per document and per organisation in a fixed
//!   window (folio-core's [`RedeliveryLimits`]). A value that is not a
//!   whole number of at least 1 is logged and the default used.
//! - `ALLOW_LOOPBACK_WEBHOOKS` (read through [`crate::config::Config`]).

use crate::config::Config;
use crate::model::Profile as AccountProfile;
use folio_core::webhook::{RedeliveryLimits, TimeScale};
use worker::Env;

/// Binding of the per-document [`super::deliveries::DocumentWebhooks`] object.
pub const WEBHOOKS_BINDING: &str = "WEBHOOKS";
/// Binding of the per-organisation-profile [`super::failures::WebhookFailures`] object.
pub const FAILURES_BINDING: &str = "WEBHOOK_FAILURES";

#[derive(Clone, Debug)]
pub struct Settings {
    pub scale: TimeScale,
    pub allow_loopback: bool,
    pub redelivery_limits: RedeliveryLimits,
    admin_notification_url: Option<String>,
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string().trim().to_string()).filter(|v| !v.is_empty())
}

impl Settings {
    pub fn from_env(env: &Env) -> Settings {
        let scale = match var(env, "WEBHOOK_TIME_SCALE").map(|s| TimeScale::parse(&s)) {
            None => TimeScale::REAL_TIME,
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                worker::console_error!("WEBHOOK_TIME_SCALE ignored: {e}");
                TimeScale::REAL_TIME
            }
        };
        let (redelivery_limits, problems) = RedeliveryLimits::from_settings(
            var(env, "WEBHOOK_REDELIVERY_LIMIT_PER_DOCUMENT").as_deref(),
            var(env, "WEBHOOK_REDELIVERY_LIMIT_PER_ORG").as_deref(),
            var(env, "WEBHOOK_REDELIVERY_WINDOW_SECONDS").as_deref(),
        );
        for p in problems {
            worker::console_error!("{p}");
        }
        Settings {
            scale,
            allow_loopback: Config::from_env(env).allow_loopback,
            redelivery_limits,
            admin_notification_url: var(env, "ADMIN_NOTIFICATION_URL"),
        }
    }

    /// Where an organisation profile's admin digest goes, if anywhere.
    pub fn admin_notification_url(&self, org_id: &str, profile: AccountProfile) -> Option<String> {
        self.admin_notification_url.as_ref().map(|u| u.replace("{organizationId}", org_id).replace("{profile}", profile.as_str()))
    }
}
