//! Helpers for the Durable Objects' SQLite storage, shared by the Account
//! and Queue objects.

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

/// A text parameter.
pub fn s(v: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(v.into())
}

/// An integer parameter.
pub fn i(v: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(v)
}

/// Runs `add` (the statements adding `column` to `table`) unless the column
/// is there already: an object created by an older version of the worker
/// gains the columns added since. A check that fails counts as "missing",
/// so the `ALTER` reports the real problem.
pub fn add_column_if_missing(sql: &SqlStorage, table: &str, column: &str, add: &str) -> worker::Result<()> {
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let present = sql
        .exec("SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?", vec![s(table), s(column)])
        .and_then(|c| c.one::<Count>())
        .is_ok_and(|c| c.n == 1.0);
    if present { Ok(()) } else { sql.exec(add, None).map(|_| ()) }
}
