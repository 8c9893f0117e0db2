//! The headers of one attempt. The body never changes between attempts; the
//! Standard Webhooks timestamp and signature do (the spec: "Every time an
//! attempt is retried the timestamp of the attempt is updated"), and so does
//! `X-DocuRift-Retry-Count`.

use super::payload::WebhookEvent;
use super::retry::Profile;
use super::signature::{docurift_signature, standard_webhooks_key, standard_webhooks_signature, veryfi_signature};
use super::veryfi;
use crate::error::{ApiError, ErrorCode};

pub const USER_AGENT: &str = concat!("Folio-Webhooks/", env!("CARGO_PKG_VERSION"));

/// The secrets a delivery is signed with: `current` always (when there is
/// one), and during a rotation of the organisation's default secret also the
/// `retiring` one, as a second Standard Webhooks signature (the spec's
/// space-separated list), so receivers still holding the old secret verify
/// until the overlap ends.
#[derive(Clone, Copy, Debug, Default)]
pub struct SigningKeys<'a> {
    pub current: Option<&'a str>,
    pub retiring: Option<&'a str>,
}

impl<'a> SigningKeys<'a> {
    pub fn one(secret: Option<&'a str>) -> Self {
        SigningKeys { current: secret, retiring: None }
    }
}

/// The headers for attempt number `attempt` (1-based) of delivery `delivery_id`, sent at `now_ms` (unix ms).
///
/// - every profile: `Content-Type`, `User-Agent`, and the Standard Webhooks
///   `webhook-id` (= the delivery id, the same on every retry),
///   `webhook-timestamp` (this attempt, unix seconds) and, with a secret,
///   `webhook-signature` (`v1,<current> v1,<retiring>` during a rotation);
/// - DocuRift: `X-DocuRift-Event`, `X-DocuRift-Timestamp` (the event's time),
///   `X-DocuRift-Delivery-Id`, `X-DocuRift-Retry-Count` (0 on the first
///   attempt) and, with a secret, `X-DocuRift-Signature` (current secret).
///   Deliveries without their own `webhookSecret` are signed with the
///   organisation's default secret (the edge passes it in `keys`).
/// - Veryfi and the admin notification: `x-veryfi-signature` (a secret is required).
pub fn attempt_headers(
    event: &WebhookEvent,
    keys: SigningKeys<'_>,
    delivery_id: &str,
    attempt: u32,
    now_ms: i64,
) -> Result<Vec<(&'static str, String)>, ApiError> {
    // The id is part of the signed `{id}.{ts}.{body}`; a `.` would make it ambiguous.
    if delivery_id.is_empty() || delivery_id.contains('.') || attempt == 0 {
        return Err(ApiError::new(ErrorCode::InternalError, format!("Invalid delivery id {delivery_id:?} or attempt {attempt}")));
    }
    let secret = keys.current.filter(|s| !s.is_empty());
    let retiring = keys.retiring.filter(|s| !s.is_empty() && Some(*s) != secret);
    let body = event.body.as_bytes();
    let timestamp = now_ms.div_euclid(1000);
    let mut h: Vec<(&'static str, String)> = vec![
        ("Content-Type", "application/json".into()),
        ("User-Agent", USER_AGENT.into()),
        ("webhook-id", delivery_id.into()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    if let Some(s) = secret {
        let sign = |k: &str| standard_webhooks_signature(&standard_webhooks_key(k), delivery_id, timestamp, body);
        let mut value = sign(s);
        if let Some(old) = retiring {
            value = format!("{value} {}", sign(old));
        }
        h.push(("webhook-signature", value));
    }
    match event.profile {
        Profile::Docurift => {
            h.push(("X-DocuRift-Event", event.event.clone()));
            h.push(("X-DocuRift-Timestamp", event.timestamp.clone()));
            h.push(("X-DocuRift-Delivery-Id", delivery_id.into()));
            h.push(("X-DocuRift-Retry-Count", (attempt - 1).to_string()));
            if let Some(s) = secret {
                h.push(("X-DocuRift-Signature", docurift_signature(s, body)));
            }
        }
        Profile::Veryfi | Profile::AdminNotification => {
            let s = secret.ok_or_else(|| ApiError::new(ErrorCode::InternalError, "Veryfi deliveries need the account's client secret"))?;
            let signing = veryfi::signing_string(&event.data()?)
                .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("Cannot sign Veryfi data: {e}")))?;
            h.push(("x-veryfi-signature", veryfi_signature(s, &signing)));
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::payload::{VeryfiOutcome, veryfi_event};
    use crate::webhook::signature::{verify_docurift, verify_standard_webhooks, verify_veryfi};

    const NOW: i64 = 1_706_265_600_123; // 2024-01-26T10:40:00.123Z

    fn get<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn docurift() -> WebhookEvent {
        WebhookEvent {
            profile: Profile::Docurift,
            event: "document.completed".into(),
            timestamp: "2024-01-26T10:32:15Z".into(),
            body: r#"{"event":"document.completed","data":{"id":"doc_1"}}"#.into(),
        }
    }

    #[test]
    fn docurift_headers() {
        let e = docurift();
        let h = attempt_headers(&e, SigningKeys::one(Some("whsec_your_secret_here")), "dlv_abc", 3, NOW).unwrap();
        assert_eq!(get(&h, "X-DocuRift-Event"), Some("document.completed"));
        assert_eq!(get(&h, "X-DocuRift-Timestamp"), Some("2024-01-26T10:32:15Z"));
        assert_eq!(get(&h, "X-DocuRift-Delivery-Id"), Some("dlv_abc"));
        assert_eq!(get(&h, "X-DocuRift-Retry-Count"), Some("2"));
        assert_eq!(get(&h, "webhook-id"), Some("dlv_abc"));
        assert_eq!(get(&h, "webhook-timestamp"), Some("1706265600"));
        assert_eq!(get(&h, "Content-Type"), Some("application/json"));
        assert!(verify_docurift("whsec_your_secret_here", e.body.as_bytes(), get(&h, "X-DocuRift-Signature").unwrap()));
        let key = standard_webhooks_key("whsec_your_secret_here");
        assert!(verify_standard_webhooks(&key, "dlv_abc", 1706265600, e.body.as_bytes(), get(&h, "webhook-signature").unwrap()));
        assert!(get(&h, "x-veryfi-signature").is_none());
    }

    #[test]
    fn unsigned_without_secret_and_first_attempt_is_retry_zero() {
        let h = attempt_headers(&docurift(), SigningKeys::default(), "dlv_abc", 1, NOW).unwrap();
        assert_eq!(get(&h, "X-DocuRift-Retry-Count"), Some("0"));
        assert!(get(&h, "X-DocuRift-Signature").is_none());
        assert!(get(&h, "webhook-signature").is_none());
        assert!(attempt_headers(&docurift(), SigningKeys::default(), "dlv.abc", 1, NOW).is_err());
        assert!(attempt_headers(&docurift(), SigningKeys::default(), "dlv_abc", 0, NOW).is_err());
    }

    #[test]
    fn rotation_signs_with_both_secrets() {
        let e = docurift();
        let (new, old) = ("whsec_bmV3LXNlY3JldC1ieXRlcw==", "whsec_b2xkLXNlY3JldC1ieXRlcw==");
        let h = attempt_headers(&e, SigningKeys { current: Some(new), retiring: Some(old) }, "dlv_r", 1, NOW).unwrap();
        let sigs = get(&h, "webhook-signature").unwrap();
        assert_eq!(sigs.split(' ').count(), 2);
        for secret in [new, old] {
            let key = standard_webhooks_key(secret);
            assert!(verify_standard_webhooks(&key, "dlv_r", 1706265600, e.body.as_bytes(), sigs), "{secret}");
        }
        assert!(verify_docurift(new, e.body.as_bytes(), get(&h, "X-DocuRift-Signature").unwrap()));
        // The same secret twice is one signature.
        let h = attempt_headers(&e, SigningKeys { current: Some(new), retiring: Some(new) }, "dlv_r", 1, NOW).unwrap();
        assert_eq!(get(&h, "webhook-signature").unwrap().split(' ').count(), 1);
    }

    #[test]
    fn veryfi_headers() {
        let created = 1_634_743_646_000; // 2021-10-20 15:27:26
        let e = veryfi_event(123456789, created, VeryfiOutcome::Created, created).unwrap();
        let h = attempt_headers(&e, SigningKeys::one(Some("client-secret")), "dlv_v", 1, NOW).unwrap();
        let sig = get(&h, "x-veryfi-signature").unwrap();
        assert!(verify_veryfi("client-secret", "{'id': 123456789, 'created': '2021-10-20 15:27:26'}", sig));
        assert!(get(&h, "X-DocuRift-Event").is_none());
        assert!(get(&h, "webhook-signature").is_some());
        assert!(attempt_headers(&e, SigningKeys::default(), "dlv_v", 1, NOW).is_err());
    }
}
