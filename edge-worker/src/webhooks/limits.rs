//! Redelivery counters (folio-core's [`RedeliveryLimits`]), each kept by
//! the object that owns its scope, so counting is atomic: the per-document
//! window in the document's `DocumentWebhooks` object, the per-organisation
//! window in the organisation's Account DO (op `count_redelivery`,
//! [`count_organisation_redelivery`]; the `WebhookFailures` objects are per
//! profile, which would double an organisation's budget). A count is
//! synchronous SQL (read, decide, write with no await in between), so two
//! concurrent redeliveries cannot both take the last slot.
//!
//! [`RedeliveryLimits`]: folio_core::webhook::RedeliveryLimits

use crate::http::{ApiResult, Failure, now_ms};
use folio_core::api::{RateDecision, RateLimit, rate_check, rate_give_back};
use folio_core::webhook::{RedeliveryScope, redelivery_rate_limited};
use serde::{Deserialize, Serialize};
use worker::{SqlStorage, SqlStorageValue};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS redelivery_window (
  id INTEGER PRIMARY KEY CHECK (id = 1), window_start INTEGER NOT NULL, count INTEGER NOT NULL);
";

/// The one redelivery window of an object's scope.
pub struct RedeliveryWindow {
    sql: SqlStorage,
    scope: RedeliveryScope,
}

#[derive(Deserialize)]
struct Row {
    window_start: f64,
    count: f64,
}

impl RedeliveryWindow {
    pub fn open(sql: SqlStorage, scope: RedeliveryScope) -> worker::Result<Self> {
        sql.exec(SCHEMA, None)?;
        Ok(RedeliveryWindow { sql, scope })
    }

    fn current(&self) -> worker::Result<(i64, u32)> {
        let rows = self.sql.exec("SELECT window_start, count FROM redelivery_window WHERE id = 1", None)?.to_array::<Row>()?;
        Ok(rows.first().map_or((0, 0), |r| (r.window_start as i64, r.count as u32)))
    }

    fn store(&self, window_start_ms: i64, count: u32) -> worker::Result<()> {
        self.sql.exec(
            "INSERT INTO redelivery_window (id, window_start, count) VALUES (1, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET window_start = excluded.window_start, count = excluded.count",
            vec![SqlStorageValue::Integer(window_start_ms), SqlStorageValue::Integer(count as i64)],
        )?;
        Ok(())
    }

    /// Counts one redelivery against `limit`, or refuses it with `429` and
    /// `Retry-After`. Returns the start of the window it was counted in
    /// (for [`Self::give_back`]).
    pub fn take(&self, limit: RateLimit) -> ApiResult<i64> {
        let (start, count) = self.current()?;
        match rate_check(limit, now_ms(), start, count) {
            RateDecision::Allow { window_start_ms, count } => {
                self.store(window_start_ms, count)?;
                Ok(window_start_ms)
            }
            RateDecision::Deny { retry_after_seconds } => Err(Failure {
                error: redelivery_rate_limited(self.scope, limit, retry_after_seconds),
                retry_after: Some(retry_after_seconds),
            }),
        }
    }

    /// Returns a count taken in the window starting at `taken_in_ms` (the
    /// redelivery was refused further on).
    pub fn give_back(&self, taken_in_ms: i64) -> worker::Result<()> {
        let (start, count) = self.current()?;
        self.store(start, rate_give_back(taken_in_ms, start, count))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountRedeliveryArgs {
    pub limit: RateLimit,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeliveryCounted {
    pub window_start_ms: i64,
}

/// The Account DO's `count_redelivery` op: one redelivery against the
/// organisation's window, in the Account DO's storage.
pub fn count_organisation_redelivery(sql: SqlStorage, a: CountRedeliveryArgs) -> ApiResult<RedeliveryCounted> {
    let window_start_ms = RedeliveryWindow::open(sql, RedeliveryScope::Organisation)?.take(a.limit)?;
    Ok(RedeliveryCounted { window_start_ms })
}
