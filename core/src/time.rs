//! Timestamps on the wire. Callers pass the current time in milliseconds since
//! the Unix epoch (the edge reads it from `Date.now()`, the host from the OS),
//! so nothing here needs a clock and everything is unit-tested.

use chrono::{DateTime, SecondsFormat, Utc};

fn datetime(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// ISO 8601 / RFC 3339 in UTC with second precision, as the DocuRift spec
/// writes it: `2024-01-26T10:30:00Z`.
pub fn rfc3339(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The same with milliseconds, for logs: `2024-01-26T10:30:00.123Z`.
pub fn rfc3339_millis(ms: i64) -> String {
    datetime(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Veryfi's `created` format: `2021-10-20 15:27:26` (UTC).
pub fn veryfi_datetime(ms: i64) -> String {
    datetime(ms).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Parses an RFC 3339 timestamp back to milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_specs() {
        // 2024-01-26T10:30:00Z, the DocuRift example's createdAt.
        let ms = 1_706_265_000_000;
        assert_eq!(rfc3339(ms), "2024-01-26T10:30:00Z");
        assert_eq!(rfc3339(ms + 999), "2024-01-26T10:30:00Z");
        assert_eq!(rfc3339_millis(ms + 7), "2024-01-26T10:30:00.007Z");
        assert_eq!(parse_rfc3339("2024-01-26T10:30:00Z"), Some(ms));
        // Veryfi example shape: "2021-10-20 15:27:26".
        assert_eq!(veryfi_datetime(1_634_743_646_000), "2021-10-20 15:27:26");
    }
}
