//! Limits on manual redelivery (`POST /v1/documents/{id}/webhooks/redeliver`).
//! Each redelivery is a new delivery with a full retry schedule (up to 6
//! attempts to a URL of the caller's choosing), so unbounded redelivery
//! would turn Folio into an amplifier. Redeliveries are counted in fixed
//! windows ([`crate::api::rate_check`]) per document and per organisation;
//! past either limit the answer is `429 RATE_LIMIT_EXCEEDED` with
//! `Retry-After`.

use crate::api::RateLimit;
use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

pub const DEFAULT_PER_DOCUMENT: u32 = 5;
pub const DEFAULT_PER_ORGANISATION: u32 = 100;
pub const DEFAULT_WINDOW_SECONDS: u32 = 3600;

/// How many redeliveries a document and an organisation may have per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeliveryLimits {
    pub per_document: RateLimit,
    pub per_organisation: RateLimit,
}

impl Default for RedeliveryLimits {
    fn default() -> Self {
        let window_seconds = DEFAULT_WINDOW_SECONDS;
        RedeliveryLimits {
            per_document: RateLimit { requests: DEFAULT_PER_DOCUMENT, window_seconds },
            per_organisation: RateLimit { requests: DEFAULT_PER_ORGANISATION, window_seconds },
        }
    }
}

/// Which limit refused a redelivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RedeliveryScope {
    Document,
    Organisation,
}

impl RedeliveryLimits {
    /// The limits from their settings (`None` = unset, the default). A value
    /// that is not a whole number of at least 1 keeps the default and is
    /// reported, so a typo can never lift a limit.
    pub fn from_settings(per_document: Option<&str>, per_organisation: Option<&str>, window_seconds: Option<&str>) -> (Self, Vec<String>) {
        let mut problems = Vec::new();
        let mut count = |name: &str, value: Option<&str>, default: u32| match value.map(|v| v.trim().parse::<u32>()) {
            None => default,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => {
                problems.push(format!("{name} must be a whole number of at least 1, not {:?}; using {default}", value.unwrap_or("")));
                default
            }
        };
        let window_seconds = count("WEBHOOK_REDELIVERY_WINDOW_SECONDS", window_seconds, DEFAULT_WINDOW_SECONDS);
        let per_document = count("WEBHOOK_REDELIVERY_LIMIT_PER_DOCUMENT", per_document, DEFAULT_PER_DOCUMENT);
        let per_organisation = count("WEBHOOK_REDELIVERY_LIMIT_PER_ORG", per_organisation, DEFAULT_PER_ORGANISATION);
        let limits = RedeliveryLimits {
            per_document: RateLimit { requests: per_document, window_seconds },
            per_organisation: RateLimit { requests: per_organisation, window_seconds },
        };
        (limits, problems)
    }

    pub fn for_scope(&self, scope: RedeliveryScope) -> RateLimit {
        match scope {
            RedeliveryScope::Document => self.per_document,
            RedeliveryScope::Organisation => self.per_organisation,
        }
    }
}

/// The `429` for a redelivery over `limit`.
pub fn redelivery_rate_limited(scope: RedeliveryScope, limit: RateLimit, retry_after_seconds: u32) -> ApiError {
    let whose = match scope {
        RedeliveryScope::Document => "this document",
        RedeliveryScope::Organisation => "this organisation",
    };
    ApiError::new(
        ErrorCode::RateLimitExceeded,
        format!(
            "Too many webhook redeliveries for {whose} (at most {} per {} s); retry after {retry_after_seconds} s",
            limit.requests, limit.window_seconds
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_settings() {
        let (l, problems) = RedeliveryLimits::from_settings(None, None, None);
        assert_eq!(l, RedeliveryLimits::default());
        assert!(problems.is_empty());
        assert_eq!(l.per_document, RateLimit { requests: 5, window_seconds: 3600 });
        assert_eq!(l.per_organisation, RateLimit { requests: 100, window_seconds: 3600 });
        let (l, problems) = RedeliveryLimits::from_settings(Some("2"), Some(" 3 "), Some("60"));
        assert!(problems.is_empty());
        assert_eq!(l.for_scope(RedeliveryScope::Document), RateLimit { requests: 2, window_seconds: 60 });
        assert_eq!(l.for_scope(RedeliveryScope::Organisation), RateLimit { requests: 3, window_seconds: 60 });
    }

    #[test]
    fn bad_settings_keep_the_defaults() {
        for bad in ["0", "-1", "lots", "1.5", ""] {
            let (l, problems) = RedeliveryLimits::from_settings(Some(bad), Some(bad), Some(bad));
            assert_eq!(l, RedeliveryLimits::default(), "{bad:?}");
            assert_eq!(problems.len(), 3, "{bad:?}");
            assert!(problems[0].contains("WEBHOOK_REDELIVERY_WINDOW_SECONDS"));
        }
    }

    #[test]
    fn refusal_names_its_scope_and_limit() {
        let e = redelivery_rate_limited(RedeliveryScope::Document, RateLimit { requests: 5, window_seconds: 3600 }, 42);
        assert_eq!(e.code, ErrorCode::RateLimitExceeded);
        assert_eq!(e.http_status(), 429);
        assert_eq!(e.message, "Too many webhook redeliveries for this document (at most 5 per 3600 s); retry after 42 s");
        let e = redelivery_rate_limited(RedeliveryScope::Organisation, RateLimit { requests: 100, window_seconds: 3600 }, 1);
        assert!(e.message.contains("this organisation"));
    }
}
