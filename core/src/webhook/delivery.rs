//! One delivery (one event to one URL) as a state machine, and its log.
//!
//! Durable Object alarms fire at least once, so the engine must never send an
//! attempt twice. The rule: the attempt is recorded as in flight (and
//! persisted) *before* the request goes out; only a delivery that is
//! `scheduled` and due may start an attempt; a result is applied only to the
//! attempt in flight with the same number. If the worker dies mid-request the
//! in-flight record outlives it: once its deadline has passed, the attempt is
//! logged as interrupted and counts as a failure, and the schedule continues
//! from there. So a duplicate alarm finds nothing to do, and a restart
//! neither loses nor repeats an attempt.

use super::payload::WebhookEvent;
use super::retry::{AttemptOutcome, Decision, StopReason, TimeScale, decide};
use crate::time::rfc3339_millis;
use serde::{Deserialize, Serialize};

/// How much of a response body the log keeps.
pub const RESPONSE_SNIPPET_BYTES: usize = 1024;

/// Time added to an attempt's timeouts before an in-flight attempt is
/// presumed interrupted (the fetch itself may overrun its timeout slightly).
pub const IN_FLIGHT_GRACE_MS: u64 = 5_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum DeliveryState {
    /// The next attempt may start at `at_ms` (unix milliseconds).
    #[serde(rename_all = "camelCase")]
    Scheduled {
        at_ms: i64,
    },
    /// Attempt `attempt` was started and has no recorded result yet.
    #[serde(rename_all = "camelCase")]
    InFlight {
        attempt: u32,
        started_at_ms: i64,
        deadline_ms: i64,
    },
    Delivered,
    Exhausted,
    #[serde(rename_all = "camelCase")]
    Stopped {
        reason: StopReason,
    },
}

/// What the engine should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Start attempt `attempt` now (through [`Delivery::begin_attempt`]).
    Send { attempt: u32 },
    /// Nothing to do before this time: set the alarm.
    WakeAt { at_ms: i64 },
    /// An in-flight attempt outlived its deadline: record it as interrupted
    /// ([`Delivery::recover_interrupted`]) and look again.
    Recover { attempt: u32 },
    /// Delivered, exhausted or stopped.
    Done,
}

/// One line of the delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    /// 1-based.
    pub attempt: u32,
    /// `attempt - 1`, as sent in `X-DocuRift-Retry-Count`.
    pub retry_count: u32,
    /// When the request started, RFC 3339 with milliseconds.
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first [`RESPONSE_SNIPPET_BYTES`] of the response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub response_truncated: bool,
    /// `delivered`, `retryScheduled`, `exhausted` or `stopped`.
    pub result: AttemptResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttemptResult {
    Delivered,
    RetryScheduled,
    Exhausted,
    Stopped,
}

/// One event on its way to one URL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// `webhook-id` / `X-DocuRift-Delivery-Id`: the same on every attempt.
    pub delivery_id: String,
    pub document_id: String,
    pub url: String,
    pub event: WebhookEvent,
    pub created_at: String,
    #[serde(flatten)]
    pub state: DeliveryState,
    pub attempts: Vec<AttemptRecord>,
}

impl Delivery {
    /// A delivery whose first attempt is due at once.
    pub fn new(delivery_id: String, document_id: String, url: String, event: WebhookEvent, now_ms: i64) -> Self {
        Delivery {
            delivery_id,
            document_id,
            url,
            event,
            created_at: rfc3339_millis(now_ms),
            state: DeliveryState::Scheduled { at_ms: now_ms },
            attempts: Vec::new(),
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.state, DeliveryState::Delivered | DeliveryState::Exhausted | DeliveryState::Stopped { .. })
    }

    pub fn next_step(&self, now_ms: i64) -> NextStep {
        match self.state {
            DeliveryState::Scheduled { at_ms } if at_ms <= now_ms => NextStep::Send { attempt: self.attempts.len() as u32 + 1 },
            DeliveryState::Scheduled { at_ms } => NextStep::WakeAt { at_ms },
            DeliveryState::InFlight { attempt, deadline_ms, .. } if deadline_ms <= now_ms => NextStep::Recover { attempt },
            DeliveryState::InFlight { deadline_ms, .. } => NextStep::WakeAt { at_ms: deadline_ms },
            DeliveryState::Delivered | DeliveryState::Exhausted | DeliveryState::Stopped { .. } => NextStep::Done,
        }
    }

    /// Marks the next attempt as in flight and returns its number, or `None`
    /// when no attempt is due (too early, one already in flight, finished).
    /// Persist the delivery before sending.
    pub fn begin_attempt(&mut self, now_ms: i64) -> Option<u32> {
        let NextStep::Send { attempt } = self.next_step(now_ms) else {
            return None;
        };
        let rules = self.event.profile.rules();
        let deadline_ms = now_ms + (rules.attempt_deadline_ms() + IN_FLIGHT_GRACE_MS) as i64;
        self.state = DeliveryState::InFlight { attempt, started_at_ms: now_ms, deadline_ms };
        Some(attempt)
    }

    /// Records how attempt `attempt` ended and moves the delivery on.
    /// Returns `None`, changing nothing, unless that attempt is the one in
    /// flight (a late or duplicate result).
    pub fn finish_attempt(
        &mut self,
        attempt: u32,
        outcome: AttemptOutcome,
        response_body: Option<&[u8]>,
        now_ms: i64,
        scale: TimeScale,
    ) -> Option<Decision> {
        let DeliveryState::InFlight { attempt: in_flight, started_at_ms, .. } = self.state else {
            return None;
        };
        if in_flight != attempt {
            return None;
        }
        let decision = decide(self.event.profile, attempt, &outcome, now_ms, scale);
        let (result, state, next_at) = match decision {
            Decision::Delivered => (AttemptResult::Delivered, DeliveryState::Delivered, None),
            Decision::RetryAfterMs(wait) => {
                let at_ms = now_ms + wait as i64;
                (AttemptResult::RetryScheduled, DeliveryState::Scheduled { at_ms }, Some(at_ms))
            }
            Decision::Exhausted => (AttemptResult::Exhausted, DeliveryState::Exhausted, None),
            Decision::Stopped(reason) => (AttemptResult::Stopped, DeliveryState::Stopped { reason }, None),
        };
        let (snippet, truncated) = match response_body {
            Some(b) => {
                let (s, t) = response_snippet(b);
                (Some(s), t)
            }
            None => (None, false),
        };
        self.attempts.push(AttemptRecord {
            attempt,
            retry_count: attempt - 1,
            started_at: rfc3339_millis(started_at_ms),
            status: outcome.status(),
            latency_ms: (now_ms - started_at_ms).max(0) as u64,
            error: outcome.error_text(self.event.profile.rules()),
            response_body: snippet,
            response_truncated: truncated,
            result,
            next_attempt_at: next_at.map(rfc3339_millis),
        });
        self.state = state;
        Some(decision)
    }

    /// Logs an in-flight attempt whose deadline has passed as interrupted.
    pub fn recover_interrupted(&mut self, now_ms: i64, scale: TimeScale) -> Option<Decision> {
        match self.next_step(now_ms) {
            NextStep::Recover { attempt } => self.finish_attempt(attempt, AttemptOutcome::Interrupted, None, now_ms, scale),
            _ => None,
        }
    }

    /// A fresh delivery of the same event to the same URL (manual
    /// redelivery): a new id, so receivers that deduplicate on the id do
    /// not drop it, and a full new schedule.
    pub fn redeliver(&self, new_delivery_id: String, now_ms: i64) -> Delivery {
        Delivery::new(new_delivery_id, self.document_id.clone(), self.url.clone(), self.event.clone(), now_ms)
    }
}

/// The start of a response body as text of at most
/// [`RESPONSE_SNIPPET_BYTES`] UTF-8 bytes (the cap holds for what is stored,
/// not just for what was read): invalid bytes become U+FFFD (3 bytes each,
/// so a binary answer keeps fewer of its bytes), and the text is cut on a
/// character boundary. The flag says whether anything was cut.
pub fn response_snippet(body: &[u8]) -> (String, bool) {
    let head = &body[..body.len().min(RESPONSE_SNIPPET_BYTES + 3)];
    let mut text = String::from_utf8_lossy(head).into_owned();
    let mut truncated = body.len() > head.len();
    if text.len() > RESPONSE_SNIPPET_BYTES {
        let mut end = RESPONSE_SNIPPET_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        truncated = true;
    }
    (text, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::retry::Profile;

    const T0: i64 = 1_706_265_135_000; // 2024-01-26T10:32:15Z

    fn event(profile: Profile) -> WebhookEvent {
        WebhookEvent { profile, event: "document.completed".into(), timestamp: "2024-01-26T10:32:15Z".into(), body: "{}".into() }
    }

    fn delivery(profile: Profile) -> Delivery {
        Delivery::new("dlv_1".into(), "doc_1".into(), "https://example.com/h".into(), event(profile), T0)
    }

    fn fail() -> AttemptOutcome {
        AttemptOutcome::Response { status: 500, retry_after: None }
    }

    /// Drives a delivery with a receiver answering `answers` in turn, firing
    /// every alarm twice (at-least-once), and returns the attempt start times.
    fn run(d: &mut Delivery, mut answer: impl FnMut(u32) -> AttemptOutcome, scale: TimeScale) -> Vec<i64> {
        let mut now = T0;
        let mut sent = Vec::new();
        for _ in 0..100 {
            match d.next_step(now) {
                NextStep::Send { .. } => {
                    let a = d.begin_attempt(now).unwrap();
                    assert_eq!(d.begin_attempt(now), None, "a duplicate alarm must not start a second attempt");
                    sent.push(now);
                    let done = now + 7;
                    d.finish_attempt(a, answer(a), Some(b"ok"), done, scale).unwrap();
                    assert_eq!(d.finish_attempt(a, answer(a), None, done, scale), None, "a duplicate result is ignored");
                    now = done;
                }
                NextStep::WakeAt { at_ms } => now = at_ms,
                NextStep::Recover { .. } => unreachable!(),
                NextStep::Done => return sent,
            }
        }
        panic!("delivery never finished");
    }

    #[test]
    fn failing_n_times_then_succeeding_takes_n_plus_1_attempts() {
        for n in 0..=5u32 {
            let mut d = delivery(Profile::Docurift);
            let sent = run(
                &mut d,
                |a| if a <= n { fail() } else { AttemptOutcome::Response { status: 200, retry_after: None } },
                TimeScale::REAL_TIME,
            );
            assert_eq!(sent.len() as u32, n + 1);
            assert_eq!(d.state, DeliveryState::Delivered);
            let retry_counts: Vec<u32> = d.attempts.iter().map(|a| a.retry_count).collect();
            assert_eq!(retry_counts, (0..=n).collect::<Vec<_>>());
            // Spacing: each wait measured from the end of the previous attempt (7 ms).
            let waits: Vec<i64> = sent.windows(2).map(|w| w[1] - w[0] - 7).collect();
            assert_eq!(waits, [60_000, 300_000, 1_800_000, 7_200_000, 86_400_000][..n as usize]);
        }
    }

    #[test]
    fn failing_forever_gives_exactly_6_or_3_attempts() {
        let mut d = delivery(Profile::Docurift);
        assert_eq!(run(&mut d, |_| fail(), TimeScale::REAL_TIME).len(), 6);
        assert_eq!(d.state, DeliveryState::Exhausted);
        assert_eq!(d.attempts.last().unwrap().result, AttemptResult::Exhausted);
        assert!(d.attempts[..5].iter().all(|a| a.result == AttemptResult::RetryScheduled && a.next_attempt_at.is_some()));

        let mut v = delivery(Profile::Veryfi);
        let sent = run(&mut v, |_| AttemptOutcome::Timeout, TimeScale::new(0.001).unwrap());
        assert_eq!(sent.len(), 3);
        assert_eq!(sent.windows(2).map(|w| w[1] - w[0] - 7).collect::<Vec<_>>(), [60, 300]);
        assert_eq!(v.state, DeliveryState::Exhausted);
    }

    #[test]
    fn gone_stops_at_once() {
        let mut d = delivery(Profile::Docurift);
        let sent =
            run(&mut d, |a| AttemptOutcome::Response { status: if a == 2 { 410 } else { 503 }, retry_after: None }, TimeScale::REAL_TIME);
        assert_eq!(sent.len(), 2);
        assert_eq!(d.state, DeliveryState::Stopped { reason: StopReason::Gone });
    }

    #[test]
    fn an_interrupted_attempt_counts_once_and_is_not_resent() {
        let mut d = delivery(Profile::Docurift);
        let a = d.begin_attempt(T0).unwrap();
        // The worker dies here. Alarms before the deadline find the attempt in flight.
        let deadline = T0 + 30_000 + IN_FLIGHT_GRACE_MS as i64;
        assert_eq!(d.next_step(T0 + 1_000), NextStep::WakeAt { at_ms: deadline });
        assert_eq!(d.begin_attempt(T0 + 1_000), None);
        assert_eq!(d.recover_interrupted(T0 + 1_000, TimeScale::REAL_TIME), None);
        // After the deadline: recorded as interrupted, next attempt on schedule.
        assert_eq!(d.next_step(deadline), NextStep::Recover { attempt: a });
        assert_eq!(d.recover_interrupted(deadline, TimeScale::REAL_TIME), Some(Decision::RetryAfterMs(60_000)));
        assert_eq!(d.recover_interrupted(deadline, TimeScale::REAL_TIME), None, "only once");
        assert_eq!(d.attempts.len(), 1);
        assert!(d.attempts[0].error.as_deref().unwrap().starts_with("interrupted"));
        assert_eq!(d.next_step(deadline + 60_000), NextStep::Send { attempt: 2 });
        // The lost attempt's late answer changes nothing.
        assert_eq!(d.finish_attempt(1, fail(), None, deadline + 1, TimeScale::REAL_TIME), None);
    }

    #[test]
    fn log_records_what_happened() {
        let mut d = delivery(Profile::Docurift);
        let a = d.begin_attempt(T0).unwrap();
        let body = "é".repeat(600); // 1200 bytes; the 1024 limit falls inside a character
        d.finish_attempt(
            a,
            AttemptOutcome::Response { status: 502, retry_after: None },
            Some(body.as_bytes()),
            T0 + 42,
            TimeScale::REAL_TIME,
        );
        let r = &d.attempts[0];
        assert_eq!((r.attempt, r.retry_count, r.status, r.latency_ms), (1, 0, Some(502), 42));
        assert_eq!(r.started_at, "2024-01-26T10:32:15.000Z");
        assert_eq!(r.error.as_deref(), Some("HTTP 502"));
        assert_eq!(r.response_body.as_deref(), Some("é".repeat(512).as_str()));
        assert!(r.response_truncated);
        assert_eq!(r.next_attempt_at.as_deref(), Some("2024-01-26T10:33:15.042Z"));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["state"], "scheduled");
        assert_eq!(json["atMs"], T0 + 42 + 60_000);
        assert_eq!(json["attempts"][0]["result"], "retryScheduled");
        let back: Delivery = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn snippets() {
        assert_eq!(response_snippet(b"short"), ("short".into(), false));
        let exact = vec![b'a'; RESPONSE_SNIPPET_BYTES];
        assert!(!response_snippet(&exact).1);
        let mut long = vec![b'a'; RESPONSE_SNIPPET_BYTES - 1];
        long.extend_from_slice("€".as_bytes()); // 3 bytes across the limit
        let (s, t) = response_snippet(&long);
        assert!(t);
        assert_eq!(s.len(), RESPONSE_SNIPPET_BYTES - 1);
        // Invalid UTF-8 turns into 3-byte U+FFFDs: still at most the cap stored.
        let binary = vec![0x80u8; 2000];
        let (s, t) = response_snippet(&binary);
        assert!(t);
        assert_eq!(s, "\u{FFFD}".repeat(RESPONSE_SNIPPET_BYTES / 3));
        let (s, t) = response_snippet(&[0xFFu8; RESPONSE_SNIPPET_BYTES]);
        assert!(t && s.len() <= RESPONSE_SNIPPET_BYTES);
        // A short invalid body that fits after replacement is whole.
        assert_eq!(response_snippet(&[0xFF, b'a']), ("\u{FFFD}a".into(), false));
        // Whatever the input, the stored text is within the cap.
        for body in [vec![b'a'; 1_500_000], vec![0xFF; 1_500_000], "é€😀".repeat(100_000).into_bytes()] {
            let (s, t) = response_snippet(&body);
            assert!(t && !s.is_empty() && s.len() <= RESPONSE_SNIPPET_BYTES, "{}", s.len());
        }
    }

    #[test]
    fn redelivery_is_a_new_delivery_of_the_same_event() {
        let mut d = delivery(Profile::Docurift);
        run(&mut d, |_| fail(), TimeScale::REAL_TIME);
        let r = d.redeliver("dlv_2".into(), T0 + 5);
        assert_eq!((r.event.clone(), r.url.clone()), (d.event.clone(), d.url.clone()));
        assert_eq!(r.next_step(T0 + 5), NextStep::Send { attempt: 1 });
        assert!(r.attempts.is_empty());
    }
}
