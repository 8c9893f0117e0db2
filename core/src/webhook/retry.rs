//! Retry profiles and the one rule that decides what follows an attempt.
//!
//! **DocuRift** (spec "Webhook Retry Policy", plus the Standard Webhooks
//! status etiquette the issue asks for): first attempt at once, then retries
//! after 1 min, 5 min, 30 min, 2 h and 24 h (6 attempts in all). Success is a
//! 2xx. Everything else is a failure: other statuses, 3xx (redirects are not
//! followed), the 30 s timeout, connection errors. `410 Gone` stops the
//! delivery at once. `429` (and `503`) with `Retry-After` push the next
//! attempt back: the wait is the larger of the scheduled wait and the
//! receiver's `Retry-After` (seconds or HTTP date), the latter capped at
//! 24 h so a receiver cannot park a delivery forever. The attempt still
//! counts, so a receiver answering 429 forever still gets exactly 6 attempts.
//!
//! **Veryfi** (spec "Webhook Errors and retries"): any status below 400 is a
//! success; 3 deliveries in all with increasing waits (1 min, then 5 min);
//! 3 s to connect and 20 s for the response. The spec knows no 410 or
//! `Retry-After` rule, so neither applies.
//!
//! [`TimeScale`] shrinks every wait (the schedule, `Retry-After`, the admin
//! notification window) for tests; timeouts are not scaled.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which contract a delivery follows: payload, headers and retry rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Per-document webhooks (`webhookUrl` at submission), DocuRift shape.
    Docurift,
    /// Account-level webhooks, Veryfi shape (`document.created` / `document.failed`).
    Veryfi,
    /// The signed "webhooks failed" digest to the organisation's admins;
    /// retried like Veryfi deliveries, and never itself reported.
    AdminNotification,
}

impl Profile {
    pub fn rules(self) -> &'static RetryRules {
        match self {
            Profile::Docurift => &DOCURIFT_RULES,
            Profile::Veryfi | Profile::AdminNotification => &VERYFI_RULES,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Docurift => "docurift",
            Profile::Veryfi => "veryfi",
            Profile::AdminNotification => "admin_notification",
        }
    }
}

/// Which statuses count as delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuccessRule {
    /// 200..=299 (DocuRift: "If your webhook endpoint returns a non-2xx status code, DocuRift will retry").
    Status2xx,
    /// 100..=399 (Veryfi: "any response code < 400 considered successful").
    StatusBelow400,
}

impl SuccessRule {
    pub fn is_success(self, status: u16) -> bool {
        match self {
            SuccessRule::Status2xx => (200..300).contains(&status),
            SuccessRule::StatusBelow400 => (100..400).contains(&status),
        }
    }
}

/// The retry behaviour of a profile.
#[derive(Debug, PartialEq, Eq)]
pub struct RetryRules {
    /// Waits before attempt 2, 3, ...; attempts in all = `waits_ms.len() + 1`.
    pub waits_ms: &'static [u64],
    pub success: SuccessRule,
    /// `410 Gone` ends the delivery without further attempts.
    pub stop_on_gone: bool,
    /// `429` / `503` with `Retry-After` can lengthen the next wait.
    pub honour_retry_after: bool,
    /// Time allowed to establish the connection, if the profile sets one apart.
    pub connect_timeout_ms: Option<u64>,
    /// Time allowed for the whole response (DocuRift: "must respond within 30 seconds").
    pub response_timeout_ms: u64,
}

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

/// The longest `Retry-After` honoured, the longest step of the DocuRift schedule.
pub const MAX_RETRY_AFTER_MS: u64 = 24 * HOUR;

pub static DOCURIFT_RULES: RetryRules = RetryRules {
    waits_ms: &[MINUTE, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 24 * HOUR],
    success: SuccessRule::Status2xx,
    stop_on_gone: true,
    honour_retry_after: true,
    connect_timeout_ms: None,
    response_timeout_ms: 30_000,
};

pub static VERYFI_RULES: RetryRules = RetryRules {
    waits_ms: &[MINUTE, 5 * MINUTE],
    success: SuccessRule::StatusBelow400,
    stop_on_gone: false,
    honour_retry_after: false,
    connect_timeout_ms: Some(3_000),
    response_timeout_ms: 20_000,
};

impl RetryRules {
    pub fn max_attempts(&self) -> u32 {
        self.waits_ms.len() as u32 + 1
    }

    /// The longest an attempt can take before it has certainly ended.
    pub fn attempt_deadline_ms(&self) -> u64 {
        self.connect_timeout_ms.unwrap_or(0) + self.response_timeout_ms
    }
}

/// A factor applied to every wait, for tests: `0.001` turns 1 min into 60 ms.
/// `1` (the default) leaves the schedule alone.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeScale(f64);

impl Default for TimeScale {
    fn default() -> Self {
        TimeScale(1.0)
    }
}

impl TimeScale {
    pub const REAL_TIME: TimeScale = TimeScale(1.0);

    /// A factor in `(0, 1]`.
    pub fn new(factor: f64) -> Result<Self, String> {
        if factor.is_finite() && factor > 0.0 && factor <= 1.0 {
            Ok(TimeScale(factor))
        } else {
            Err(format!("time scale must be a number in (0, 1], got {factor}"))
        }
    }

    /// Reads a setting such as `WEBHOOK_TIME_SCALE`: empty means real time.
    pub fn parse(setting: &str) -> Result<Self, String> {
        let s = setting.trim();
        if s.is_empty() {
            return Ok(Self::REAL_TIME);
        }
        let factor: f64 = s.parse().map_err(|_| format!("time scale must be a number in (0, 1], got {s:?}"))?;
        Self::new(factor)
    }

    pub fn factor(self) -> f64 {
        self.0
    }

    pub fn scale_ms(self, ms: u64) -> u64 {
        (ms as f64 * self.0).round() as u64
    }
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AttemptOutcome {
    /// The receiver answered (any status, redirects included: they are not followed).
    Response {
        status: u16,
        /// The raw `Retry-After` header, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<String>,
    },
    /// No complete response within the profile's timeouts.
    Timeout,
    /// DNS, TCP or TLS failure, reset connection.
    ConnectionError { message: String },
    /// The URL guard refused the destination; trying again would be refused again.
    Blocked { reason: String },
    /// The worker stopped between sending and recording the response (found
    /// after a restart): the receiver may or may not have seen it, and
    /// sending it again under the same attempt number could double it, so it
    /// counts as a failed attempt.
    Interrupted,
}

impl AttemptOutcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Response { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short description for the delivery log (`None` for a success).
    pub fn error_text(&self, rules: &RetryRules) -> Option<String> {
        match self {
            AttemptOutcome::Response { status, .. } if rules.success.is_success(*status) => None,
            AttemptOutcome::Response { status, .. } if (300..400).contains(status) => {
                Some(format!("HTTP {status}: redirects are not followed"))
            }
            AttemptOutcome::Response { status, .. } => Some(format!("HTTP {status}")),
            AttemptOutcome::Timeout => Some(format!("timed out after {} ms", rules.attempt_deadline_ms())),
            AttemptOutcome::ConnectionError { message } => Some(format!("connection error: {message}")),
            AttemptOutcome::Blocked { reason } => Some(format!("destination refused: {reason}")),
            AttemptOutcome::Interrupted => Some("interrupted: the worker stopped before the response was recorded".into()),
        }
    }
}

/// Why a delivery ended without success before its attempts ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    /// The receiver answered `410 Gone`.
    Gone,
    /// The URL guard refused the destination.
    Blocked,
}

/// What follows an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Delivered,
    /// Try again after this many (already scaled) milliseconds.
    RetryAfterMs(u64),
    /// All attempts failed.
    Exhausted,
    Stopped(StopReason),
}

/// The rule: after attempt number `attempt` (1-based) of a delivery under
/// `profile` ended with `outcome` at `now_ms` (unix ms), what happens next?
pub fn decide(profile: Profile, attempt: u32, outcome: &AttemptOutcome, now_ms: i64, scale: TimeScale) -> Decision {
    let rules = profile.rules();
    let (status, retry_after) = match outcome {
        AttemptOutcome::Response { status, retry_after } => (Some(*status), retry_after.as_deref()),
        AttemptOutcome::Blocked { .. } => return Decision::Stopped(StopReason::Blocked),
        _ => (None, None),
    };
    if let Some(status) = status {
        if rules.success.is_success(status) {
            return Decision::Delivered;
        }
        if status == 410 && rules.stop_on_gone {
            return Decision::Stopped(StopReason::Gone);
        }
    }
    if attempt >= rules.max_attempts() {
        return Decision::Exhausted;
    }
    let mut wait = rules.waits_ms[attempt.max(1) as usize - 1];
    if rules.honour_retry_after
        && matches!(status, Some(429 | 503))
        && let Some(asked) = retry_after.and_then(|h| parse_retry_after_ms(h, now_ms))
    {
        wait = wait.max(asked.min(MAX_RETRY_AFTER_MS));
    }
    Decision::RetryAfterMs(scale.scale_ms(wait))
}

/// `Retry-After` (RFC 9110 §10.2.3) as milliseconds from `now_ms`: either
/// delay-seconds or an HTTP date (IMF-fixdate, or the obsolete RFC 850 and
/// asctime forms). A date in the past means 0. `None` when unparseable.
pub fn parse_retry_after_ms(value: &str, now_ms: i64) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values rather than overflow; the caller caps them anyway.
        return Some(v.parse::<u64>().unwrap_or(u64::MAX / 1000).saturating_mul(1000));
    }
    let date = parse_http_date(v)?;
    Some((date.timestamp_millis() - now_ms).max(0) as u64)
}

fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc2822(v) {
        return Some(d.with_timezone(&Utc));
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"].iter().find_map(|f| NaiveDateTime::parse_from_str(v, f).ok()).map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-26T10:32:15Z.
    fn now() -> i64 {
        1_706_265_135_000
    }

    fn status(s: u16) -> AttemptOutcome {
        AttemptOutcome::Response { status: s, retry_after: None }
    }

    fn decide_real(p: Profile, attempt: u32, o: &AttemptOutcome) -> Decision {
        decide(p, attempt, o, now(), TimeScale::REAL_TIME)
    }

    #[test]
    fn docurift_schedule_is_the_specs() {
        // "Retry attempts: Up to 5 retries. Retry schedule: 1 min, 5 min, 30 min, 2 hours, 24 hours"
        let waits: Vec<Decision> = (1..=6).map(|a| decide_real(Profile::Docurift, a, &status(500))).collect();
        assert_eq!(
            waits,
            [
                Decision::RetryAfterMs(60_000),
                Decision::RetryAfterMs(300_000),
                Decision::RetryAfterMs(1_800_000),
                Decision::RetryAfterMs(7_200_000),
                Decision::RetryAfterMs(86_400_000),
                Decision::Exhausted,
            ]
        );
        assert_eq!(Profile::Docurift.rules().max_attempts(), 6);
    }

    #[test]
    fn docurift_success_and_failures() {
        for s in [200, 201, 204, 299] {
            assert_eq!(decide_real(Profile::Docurift, 1, &status(s)), Decision::Delivered, "{s}");
        }
        for s in [100, 301, 302, 307, 308, 400, 401, 404, 500, 502] {
            assert_eq!(decide_real(Profile::Docurift, 1, &status(s)), Decision::RetryAfterMs(60_000), "{s}");
        }
        assert_eq!(decide_real(Profile::Docurift, 2, &AttemptOutcome::Timeout), Decision::RetryAfterMs(300_000));
        let conn = AttemptOutcome::ConnectionError { message: "refused".into() };
        assert_eq!(decide_real(Profile::Docurift, 6, &conn), Decision::Exhausted);
        assert_eq!(decide_real(Profile::Docurift, 3, &status(410)), Decision::Stopped(StopReason::Gone));
        assert_eq!(decide_real(Profile::Docurift, 6, &status(410)), Decision::Stopped(StopReason::Gone));
        let blocked = AttemptOutcome::Blocked { reason: "private address".into() };
        assert_eq!(decide_real(Profile::Docurift, 1, &blocked), Decision::Stopped(StopReason::Blocked));
        assert_eq!(decide_real(Profile::Docurift, 1, &AttemptOutcome::Interrupted), Decision::RetryAfterMs(60_000));
        assert_eq!(Profile::Docurift.rules().response_timeout_ms, 30_000);
    }

    #[test]
    fn retry_after_lengthens_but_never_shortens_the_wait() {
        let ra = |s: u16, v: &str| AttemptOutcome::Response { status: s, retry_after: Some(v.into()) };
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(429, "120")), Decision::RetryAfterMs(120_000));
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(429, "5")), Decision::RetryAfterMs(60_000));
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(503, "600")), Decision::RetryAfterMs(600_000));
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(500, "600")), Decision::RetryAfterMs(60_000), "only 429/503");
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(429, "garbage")), Decision::RetryAfterMs(60_000));
        assert_eq!(decide_real(Profile::Docurift, 1, &ra(429, "99999999999999999999")), Decision::RetryAfterMs(MAX_RETRY_AFTER_MS));
        assert_eq!(decide_real(Profile::Docurift, 2, &ra(429, "Fri, 26 Jan 2024 11:32:15 GMT")), Decision::RetryAfterMs(3_600_000));
        // Still counts as an attempt: the 6th 429 exhausts.
        assert_eq!(decide_real(Profile::Docurift, 6, &ra(429, "1")), Decision::Exhausted);
        // Scaled like everything else.
        let fast = TimeScale::new(0.001).unwrap();
        assert_eq!(decide(Profile::Docurift, 1, &ra(429, "120"), now(), fast), Decision::RetryAfterMs(120));
        // Veryfi knows no Retry-After.
        assert_eq!(decide_real(Profile::Veryfi, 1, &ra(429, "600")), Decision::RetryAfterMs(60_000));
    }

    #[test]
    fn retry_after_formats() {
        let n = now();
        assert_eq!(parse_retry_after_ms("0", n), Some(0));
        assert_eq!(parse_retry_after_ms(" 30 ", n), Some(30_000));
        assert_eq!(parse_retry_after_ms("Fri, 26 Jan 2024 10:33:15 GMT", n), Some(60_000));
        assert_eq!(parse_retry_after_ms("Friday, 26-Jan-24 10:33:15 GMT", n), Some(60_000));
        assert_eq!(parse_retry_after_ms("Fri Jan 26 10:33:15 2024", n), Some(60_000));
        assert_eq!(parse_retry_after_ms("Thu, 25 Jan 2024 10:33:15 GMT", n), Some(0), "past dates mean now");
        for bad in ["", "-5", "1.5", "soon", "Fri, 32 Jan 2024 10:33:15 GMT"] {
            assert_eq!(parse_retry_after_ms(bad, n), None, "{bad:?}");
        }
    }

    #[test]
    fn veryfi_rules() {
        // "any response code < 400 considered successful", "tries 2 more times with an increasing wait period".
        for s in [200, 202, 301, 302, 399] {
            assert_eq!(decide_real(Profile::Veryfi, 1, &status(s)), Decision::Delivered, "{s}");
        }
        assert_eq!(decide_real(Profile::Veryfi, 1, &status(400)), Decision::RetryAfterMs(60_000));
        assert_eq!(decide_real(Profile::Veryfi, 2, &status(410)), Decision::RetryAfterMs(300_000));
        assert_eq!(decide_real(Profile::Veryfi, 3, &status(500)), Decision::Exhausted);
        let r = Profile::Veryfi.rules();
        assert_eq!((r.max_attempts(), r.connect_timeout_ms, r.response_timeout_ms), (3, Some(3_000), 20_000));
        assert!(r.waits_ms.windows(2).all(|w| w[0] < w[1]), "increasing waits");
        assert_eq!(Profile::AdminNotification.rules(), r);
    }

    #[test]
    fn time_scale() {
        assert_eq!(TimeScale::default(), TimeScale::REAL_TIME);
        assert_eq!(TimeScale::parse("").unwrap(), TimeScale::REAL_TIME);
        let s = TimeScale::parse("0.001").unwrap();
        assert_eq!(s.scale_ms(60_000), 60);
        assert_eq!(s.scale_ms(86_400_000), 86_400);
        assert_eq!(decide(Profile::Docurift, 1, &status(500), now(), s), Decision::RetryAfterMs(60));
        for bad in ["0", "-1", "2", "NaN", "inf", "fast"] {
            assert!(TimeScale::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_texts() {
        let r = Profile::Docurift.rules();
        assert_eq!(status(200).error_text(r), None);
        assert_eq!(status(302).error_text(r).unwrap(), "HTTP 302: redirects are not followed");
        assert_eq!(status(302).error_text(Profile::Veryfi.rules()), None);
        assert_eq!(status(503).error_text(r).unwrap(), "HTTP 503");
        assert_eq!(AttemptOutcome::Timeout.error_text(r).unwrap(), "timed out after 30000 ms");
    }
}
