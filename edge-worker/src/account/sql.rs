//! SQL helpers every part of the Account DO uses: the storage handle,
//! one statement, and the organisation row.

use super::*;

impl Account {
    pub(super) fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    pub(super) fn exec(&self, q: &str, params: Vec<SqlStorageValue>) -> ApiResult<worker::SqlCursor> {
        Ok(self.sql().exec(q, params)?)
    }

    pub(super) fn account_row(&self) -> ApiResult<AccountRow> {
        self.exec("SELECT * FROM account WHERE id = 1", vec![])?
            .to_array::<AccountRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such organisation"))
    }
}
