//! When to tell an organisation's admins that webhooks failed for good.
//!
//! Veryfi: "If all 3 webhook deliveries fail, an API Webhook Failed email
//! will be sent to the configured admin ... Only 1 email is sent per 24-hour
//! period listing all failed webhooks with document ids". Folio POSTs a
//! signed `webhooks.failed` event instead of mailing. The first failure after
//! a quiet day is reported at once; later ones wait in `pending` until 24 h
//! after the last notification and then go out together.

use super::retry::TimeScale;
use serde::{Deserialize, Serialize};

pub const ADMIN_NOTIFICATION_WINDOW_MS: u64 = 24 * 60 * 60 * 1000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminDigest {
    /// When the last notification went out (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sent_at_ms: Option<i64>,
    /// Document ids whose deliveries were exhausted since then, in order, without repeats.
    #[serde(default)]
    pub pending_ids: Vec<u64>,
}

impl AdminDigest {
    pub fn record_failure(&mut self, document_id: u64) {
        if !self.pending_ids.contains(&document_id) {
            self.pending_ids.push(document_id);
        }
    }

    /// The earliest time the next notification may go out, if one is owed.
    pub fn due_at_ms(&self, scale: TimeScale) -> Option<i64> {
        if self.pending_ids.is_empty() {
            return None;
        }
        Some(match self.last_sent_at_ms {
            Some(last) => last + scale.scale_ms(ADMIN_NOTIFICATION_WINDOW_MS) as i64,
            None => i64::MIN,
        })
    }

    /// If a notification is due at `now_ms`, the ids it lists; marks it sent.
    pub fn take_due(&mut self, now_ms: i64, scale: TimeScale) -> Option<Vec<u64>> {
        if self.due_at_ms(scale)? > now_ms {
            return None;
        }
        self.last_sent_at_ms = Some(now_ms);
        Some(std::mem::take(&mut self.pending_ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = ADMIN_NOTIFICATION_WINDOW_MS as i64;

    #[test]
    fn one_notification_per_day_listing_everything() {
        let s = TimeScale::REAL_TIME;
        let mut d = AdminDigest::default();
        assert_eq!(d.take_due(0, s), None, "nothing failed");
        d.record_failure(7);
        assert_eq!(d.take_due(1_000, s), Some(vec![7]), "the first failure goes out at once");
        assert_eq!(d.take_due(1_001, s), None);
        d.record_failure(8);
        d.record_failure(9);
        d.record_failure(8);
        assert_eq!(d.due_at_ms(s), Some(1_000 + DAY));
        assert_eq!(d.take_due(DAY, s), None, "still inside the 24 h window");
        assert_eq!(d.take_due(1_000 + DAY, s), Some(vec![8, 9]));
        assert_eq!(d.take_due(10 * DAY, s), None, "nothing new");
        d.record_failure(10);
        assert_eq!(d.take_due(10 * DAY, s), Some(vec![10]), "a quiet day later: at once again");
    }

    #[test]
    fn window_scales() {
        let s = TimeScale::new(0.001).unwrap();
        let mut d = AdminDigest::default();
        d.record_failure(1);
        d.take_due(0, s).unwrap();
        d.record_failure(2);
        assert_eq!(d.due_at_ms(s), Some(86_400));
    }
}
