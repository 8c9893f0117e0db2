//! The document index: list rows (status, type, profile, time), the record
//! kept until the first lease, and the Veryfi numeric id map.

use super::*;

impl Account {
    /// The record of an admitted document no host has leased yet.
    pub(super) fn record(&self, doc_id: &str) -> ApiResult<Option<DocumentRecord>> {
        #[derive(Deserialize)]
        struct Row {
            record: Option<String>,
        }
        let row = self.exec("SELECT record FROM documents WHERE doc_id = ?", vec![s(doc_id)])?.to_array::<Row>()?.into_iter().next();
        Ok(match row.and_then(|r| r.record) {
            Some(text) => Some(serde_json::from_str(&text)?),
            None => None,
        })
    }

    /// A 12-digit id, unique in this organisation and safe in JavaScript.
    pub(super) fn new_veryfi_id(&self) -> ApiResult<u64> {
        loop {
            let id = 100_000_000_000 + folio_core::ids::random_u64() % 900_000_000_000;
            #[derive(Deserialize)]
            struct N {
                n: f64,
            }
            let taken = self.exec("SELECT COUNT(*) AS n FROM documents WHERE veryfi_id = ?", vec![i(id as i64)])?.one::<N>()?;
            if taken.n == 0.0 {
                return Ok(id);
            }
        }
    }

    pub(super) fn veryfi_id_of(&self, doc_id: &str) -> ApiResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Row {
            veryfi_id: f64,
        }
        Ok(self
            .exec("SELECT veryfi_id FROM documents WHERE doc_id = ?", vec![s(doc_id)])?
            .to_array::<Row>()?
            .first()
            .map(|r| r.veryfi_id as u64))
    }

    /// Removes a document from the index, refunding any reservation (a
    /// submission that failed after admission, or a deleted document).
    pub(super) fn forget(&self, doc_id: &str) -> ApiResult<()> {
        self.release_reservation(doc_id, None)?;
        self.exec("DELETE FROM documents WHERE doc_id = ?", vec![s(doc_id)])?;
        self.exec("DELETE FROM idempotency WHERE doc_id = ?", vec![s(doc_id)])?;
        Ok(())
    }

    /// Index status update; on a final status also settles or refunds
    /// credits. The Document DO reports its first lease here, after which it
    /// holds the record: the copy kept since admission is dropped.
    pub(super) fn set_status(&self, a: StatusArgs) -> ApiResult<()> {
        self.exec(
            "UPDATE documents SET status = ?, record = CASE WHEN ? = 'queued' THEN record ELSE NULL END WHERE doc_id = ?",
            vec![s(a.status.as_str()), s(a.status.as_str()), s(a.doc_id.clone())],
        )?;
        match a.status {
            DocumentStatus::Completed => self.release_reservation(&a.doc_id, Some(a.pages.unwrap_or(0)))?,
            DocumentStatus::Failed => self.release_reservation(&a.doc_id, None)?,
            _ => {}
        }
        Ok(())
    }

    /// The profile's documents, newest first, keyset-paginated on
    /// (created_at, doc_id): a cursor is a position, so it pages the same
    /// under any filter.
    pub(super) fn list(&self, a: ListArgs) -> ApiResult<ListPage> {
        let mut q = String::from("SELECT doc_id, created_at, record FROM documents WHERE profile = ?");
        let mut p = vec![s(a.profile.as_str())];
        if let Some(st) = a.status {
            q.push_str(" AND status = ?");
            p.push(s(st.as_str()));
        }
        if let Some(t) = a.document_type {
            q.push_str(" AND document_type = ?");
            p.push(s(t));
        }
        if let Some(c) = a.cursor {
            q.push_str(" AND (created_at < ? OR (created_at = ? AND doc_id < ?))");
            p.push(i(c.created_at_ms));
            p.push(i(c.created_at_ms));
            p.push(s(c.doc_id));
        }
        q.push_str(" ORDER BY created_at DESC, doc_id DESC LIMIT ?");
        p.push(i(a.limit as i64 + 1));
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
            created_at: f64,
            record: Option<String>,
        }
        let mut rows = self.exec(&q, p)?.to_array::<Row>()?;
        let more = rows.len() > a.limit as usize;
        rows.truncate(a.limit as usize);
        let next_cursor =
            if more { rows.last().map(|r| ListCursor { created_at_ms: r.created_at as i64, doc_id: r.doc_id.clone() }) } else { None };
        let admitted = rows.iter().filter_map(|r| r.record.as_deref()).map(serde_json::from_str).collect::<Result<_, _>>()?;
        Ok(ListPage { doc_ids: rows.into_iter().map(|r| r.doc_id).collect(), next_cursor, admitted })
    }

    /// The document of a Veryfi id, among the profile's documents only.
    pub(super) fn veryfi_lookup(&self, a: VeryfiLookupArgs) -> ApiResult<FoundDocument> {
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
        }
        let row = self
            .exec("SELECT doc_id FROM documents WHERE veryfi_id = ? AND profile = ?", vec![i(a.veryfi_id as i64), s(a.profile.as_str())])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::DocumentNotFound, "Document not found"))?;
        Ok(FoundDocument { doc_id: row.doc_id })
    }
}
