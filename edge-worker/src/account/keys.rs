//! API keys (stored by hash, revoked in place) and rate windows: one per
//! key, and one per e-mail inbox (`inbox:{profile}`).

use super::*;

impl Account {
    pub(super) fn add_key(&self, a: AddKeyArgs) -> ApiResult<AddedKey> {
        self.account_row()?;
        let (req, win) = match a.rate_limit {
            Some(l) => (SqlStorageValue::Integer(l.requests as i64), SqlStorageValue::Integer(l.window_seconds as i64)),
            None => (SqlStorageValue::Null, SqlStorageValue::Null),
        };
        self.exec(
            "INSERT INTO keys (key_id, key_hash, role, profile, rate_requests, rate_window, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![s(a.key_id.clone()), s(a.key_hash), s(a.role.as_str()), s(a.profile.as_str()), req, win, i(now_ms())],
        )?;
        Ok(AddedKey { key_id: a.key_id })
    }

    /// Marks a key revoked; returns its hash so the caller drops the KV entry.
    pub(super) fn revoke_key(&self, key_id: &str) -> ApiResult<RevokedKey> {
        #[derive(Deserialize)]
        struct Row {
            key_hash: String,
        }
        let row = self
            .exec("SELECT key_hash FROM keys WHERE key_id = ?", vec![s(key_id)])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such key"))?;
        self.exec("UPDATE keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", vec![i(now_ms()), s(key_id)])?;
        Ok(RevokedKey { key_id: key_id.to_string(), key_hash: row.key_hash })
    }

    /// Counts one request against the key's window. Also the authority on
    /// revocation: KV (eventually consistent) only locates the key.
    pub(super) fn rate(&self, a: RateArgs) -> ApiResult<RateCounted> {
        let key = self
            .exec(
                "SELECT k.revoked_at, k.rate_requests, k.rate_window, r.window_start, r.count FROM keys k LEFT JOIN rate r ON r.key_id = k.key_id WHERE k.key_id = ?",
                vec![s(a.key_id.clone())],
            )?
            .to_array::<KeyRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::InvalidApiKey, "Invalid API key"))?;
        if key.revoked_at.is_some() {
            return Err(fail(ErrorCode::InvalidApiKey, "API key has been revoked"));
        }
        let limit = match (key.rate_requests, key.rate_window) {
            (Some(r), Some(w)) => RateLimit { requests: r as u32, window_seconds: w as u32 },
            _ => a.default_limit,
        };
        let window = match (key.window_start, key.count) {
            (Some(start), Some(count)) => (start as i64, count as u32),
            _ => (0, 0),
        };
        let remaining = self.count_in_window(&a.key_id, limit, window)?;
        Ok(RateCounted { remaining })
    }

    /// Counts one request in the rate window of `counter` (a key id, or an
    /// inbox's `inbox:{profile}`), whose current window is `(start, count)`.
    pub(super) fn count_in_window(&self, counter: &str, limit: RateLimit, (start, count): (i64, u32)) -> ApiResult<u32> {
        match rate_check(limit, now_ms(), start, count) {
            RateDecision::Allow { window_start_ms, count } => {
                self.exec(
                    "INSERT INTO rate (key_id, window_start, count) VALUES (?, ?, ?) ON CONFLICT(key_id) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
                    vec![s(counter), i(window_start_ms), i(count as i64)],
                )?;
                Ok(limit.requests.saturating_sub(count))
            }
            RateDecision::Deny { retry_after_seconds } => Err(Failure::rate_limited(retry_after_seconds)),
        }
    }

    /// An inbox's rate window, counted like a key's under the default limit.
    pub(super) fn count_mail(&self, profile: Profile, limit: RateLimit) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Window {
            window_start: f64,
            count: f64,
        }
        let counter = format!("inbox:{}", profile.as_str());
        let window = self
            .exec("SELECT window_start, count FROM rate WHERE key_id = ?", vec![s(counter.clone())])?
            .to_array::<Window>()?
            .into_iter()
            .next()
            .map_or((0, 0), |w| (w.window_start as i64, w.count as u32));
        self.count_in_window(&counter, limit, window).map(|_| ())
    }
}
