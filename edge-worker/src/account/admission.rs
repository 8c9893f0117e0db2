//! Admission: a submission (or one e-mail's documents, all or none)
//! passes the idempotency, plan, page-cap and credit checks, reserves its
//! pages and is queued; reservations are raised at re-admission and settled
//! or refunded when the document ends.

use super::*;

impl Account {
    /// A submission: counted against the key's rate limit, admitted, its
    /// record kept, and queued. If it cannot be queued it is forgotten again
    /// (reservation refunded) and the error answered.
    pub(super) async fn submit(&self, a: SubmitArgs) -> ApiResult<Submitted> {
        let mut record = a.record;
        self.rate(RateArgs { key_id: record.key_id.clone(), default_limit: a.default_rate_limit })?;
        let doc_id = record.id.clone();
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        let limits = Config::from_env(&self.env).plan_limits(plan);
        let admission = self.admit(&mut record, a.idempotency, &acct, plan, limits)?;
        if let Admission::Existing { .. } = admission {
            return Ok(Submitted { admission, position: None });
        }
        let job = NewJob {
            doc_id: doc_id.clone(),
            org_id: record.org_id.clone(),
            rank: record.options.priority.rank(),
            document_type: record.options.document_type.clone(),
            max_processing_ms: limits.max_processing_seconds as i64 * 1000,
        };
        match self.enqueue(job, a.default_processing_ms).await {
            Ok(position) => Ok(Submitted { admission, position: Some(position) }),
            Err(f) => {
                self.forget(&doc_id)?;
                Err(f)
            }
        }
    }

    /// The documents of one e-mail, all or none: one count against the
    /// inbox's rate limit, every admission check (page caps, credits for
    /// their pages together) before any is admitted, then all admitted and
    /// queued. A message delivered twice (same `Message-ID`) is a replay:
    /// each attachment's idempotency record answers its existing document.
    pub(super) async fn submit_mail(&self, a: SubmitMailArgs) -> ApiResult<MailSubmitted> {
        let Some(first) = a.documents.first() else {
            return Err(fail(ErrorCode::InvalidRequest, "A message without documents"));
        };
        let profile = first.record.profile;
        self.count_mail(profile, a.default_rate_limit)?;
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        let limits = Config::from_env(&self.env).plan_limits(plan);
        // Checks first, with no write in between: nothing is half admitted.
        let mut needed = 0i64;
        for d in &a.documents {
            if self.idempotent_replay(d.idempotency.as_ref())?.is_none() {
                plan.check_priority(d.record.options.priority)?;
                limits.check_pages(d.record.estimated_pages, plan)?;
                needed += d.record.estimated_pages as i64;
            }
        }
        if (acct.credits as i64) < needed {
            return Err(insufficient_credits(needed, acct.credits as i64).into());
        }
        let mut admitted = Vec::new();
        let mut out = Vec::new();
        for d in a.documents {
            let mut record = d.record;
            let acct = self.account_row()?;
            match self.admit(&mut record, d.idempotency, &acct, plan, limits)? {
                Admission::Existing { doc_id, veryfi_id } => out.push(MailDocumentAdmitted { doc_id, veryfi_id, new: false }),
                Admission::Admitted { veryfi_id } => {
                    out.push(MailDocumentAdmitted { doc_id: record.id.clone(), veryfi_id, new: true });
                    admitted.push(NewJob {
                        doc_id: record.id.clone(),
                        org_id: record.org_id.clone(),
                        rank: record.options.priority.rank(),
                        document_type: record.options.document_type.clone(),
                        max_processing_ms: limits.max_processing_seconds as i64 * 1000,
                    });
                }
            }
        }
        let queued = futures_util::future::join_all(admitted.iter().cloned().map(|job| self.enqueue(job, a.default_processing_ms))).await;
        if let Some(Err(f)) = queued.into_iter().find(Result::is_err) {
            // All or none: the ones that did get a place find no record at their first lease and are dropped.
            for job in &admitted {
                self.forget(&job.doc_id)?;
            }
            return Err(f);
        }
        Ok(MailSubmitted { documents: out })
    }

    /// The document an earlier request with this idempotency record created, if any.
    pub(super) fn idempotent_replay(&self, idem: Option<&IdempotencyArgs>) -> ApiResult<Option<String>> {
        let Some(idem) = idem else { return Ok(None) };
        #[derive(Deserialize)]
        struct Row {
            doc_id: String,
        }
        let cutoff = now_ms() - IDEMPOTENCY_TTL_MS;
        Ok(self
            .exec("SELECT doc_id FROM idempotency WHERE idem_key = ? AND created_at >= ?", vec![s(idem.key.clone()), i(cutoff)])?
            .to_array::<Row>()?
            .into_iter()
            .next()
            .map(|r| r.doc_id))
    }

    /// Admission of a new document, atomically: idempotency replay check,
    /// plan check for `high`, credit reservation, Veryfi id (set in
    /// `record`), list index row keeping `record` until the first lease.
    pub(super) fn admit(
        &self,
        record: &mut DocumentRecord,
        idempotency: Option<IdempotencyArgs>,
        acct: &AccountRow,
        plan: Plan,
        limits: PlanLimits,
    ) -> ApiResult<Admission> {
        let now = now_ms();
        if let Some(idem) = &idempotency {
            self.exec("DELETE FROM idempotency WHERE created_at < ?", vec![i(now - IDEMPOTENCY_TTL_MS)])?;
            #[derive(Deserialize)]
            struct Row {
                fingerprint: String,
                doc_id: String,
            }
            let prior = self
                .exec("SELECT fingerprint, doc_id FROM idempotency WHERE idem_key = ?", vec![s(idem.key.clone())])?
                .to_array::<Row>()?
                .into_iter()
                .next();
            if let Some(prior) = prior {
                if prior.fingerprint != idem.fingerprint {
                    return Err(fail(ErrorCode::IdempotencyConflict, "This Idempotency-Key was already used with a different request"));
                }
                let veryfi_id = self.veryfi_id_of(&prior.doc_id)?.unwrap_or(0);
                return Ok(Admission::Existing { doc_id: prior.doc_id, veryfi_id });
            }
        }
        plan.check_priority(record.options.priority)?;
        limits.check_pages(record.estimated_pages, plan)?;
        let pages = record.estimated_pages as i64;
        let available = acct.credits as i64;
        if available < pages {
            return Err(insufficient_credits(pages, available).into());
        }
        let veryfi_id = self.new_veryfi_id()?;
        self.exec("UPDATE account SET credits = credits - ?, reserved = reserved + ? WHERE id = 1", vec![i(pages), i(pages)])?;
        self.exec("INSERT INTO reservations (doc_id, pages) VALUES (?, ?)", vec![s(record.id.clone()), i(pages)])?;
        record.veryfi_id = veryfi_id;
        self.exec(
            "INSERT INTO documents (doc_id, veryfi_id, status, document_type, created_at, record, profile) VALUES (?, ?, 'queued', ?, ?, ?, ?)",
            vec![
                s(record.id.clone()),
                i(veryfi_id as i64),
                s(record.options.document_type.clone()),
                i(record.created_at_ms),
                s(serde_json::to_string(record)?),
                s(record.profile.as_str()),
            ],
        )?;
        if let Some(idem) = idempotency {
            self.exec(
                "INSERT INTO idempotency (idem_key, fingerprint, doc_id, created_at) VALUES (?, ?, ?, ?)",
                vec![s(idem.key), s(idem.fingerprint), s(record.id.clone()), i(now)],
            )?;
        }
        Ok(Admission::Admitted { veryfi_id })
    }

    /// Releases a reservation: `charge` = pages actually used (settle) or
    /// `None` (refund). Idempotent: a reservation is released once.
    pub(super) fn release_reservation(&self, doc_id: &str, charge: Option<i64>) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Row {
            pages: f64,
        }
        let Some(r) = self.exec("SELECT pages FROM reservations WHERE doc_id = ?", vec![s(doc_id)])?.to_array::<Row>()?.into_iter().next()
        else {
            return Ok(());
        };
        let reserved = r.pages as i64;
        // Refund everything, or give back what the reservation over-covered.
        // A document is re-admitted for its true page count before it
        // completes (`readmit`), so it never uses more than it reserved:
        // charging beyond it would take credits below zero.
        let refund = match charge {
            None => reserved,
            Some(used) => {
                if used > reserved {
                    worker::console_error!("{doc_id} used {used} pages with {reserved} reserved; charged {reserved}");
                }
                reserved - used.clamp(0, reserved)
            }
        };
        self.exec("UPDATE account SET credits = credits + ?, reserved = reserved - ? WHERE id = 1", vec![i(refund), i(reserved)])?;
        self.exec("DELETE FROM reservations WHERE doc_id = ?", vec![s(doc_id)])?;
        Ok(())
    }

    /// Re-admission with the host's page count, atomically: within the
    /// plan's page cap, and extra pages reserved from the credits left.
    /// Refusals are answers (the Document DO fails the document with them).
    pub(super) fn readmit(&self, a: ReadmitArgs) -> ApiResult<ReadmitAnswer> {
        let acct = self.account_row()?;
        let plan = Plan::parse(&acct.plan).unwrap_or_default();
        if let Err(error) = Config::from_env(&self.env).plan_limits(plan).check_pages(a.pages, plan) {
            return Ok(ReadmitAnswer::Refused { error });
        }
        #[derive(Deserialize)]
        struct Row {
            pages: f64,
        }
        let Some(r) =
            self.exec("SELECT pages FROM reservations WHERE doc_id = ?", vec![s(a.doc_id.clone())])?.to_array::<Row>()?.into_iter().next()
        else {
            return Err(fail(ErrorCode::InvalidState, format!("Document {} holds no reservation", a.doc_id)));
        };
        let reserved = r.pages as i64;
        let more = a.pages as i64 - reserved;
        if more <= 0 {
            return Ok(ReadmitAnswer::Admitted);
        }
        let credits = acct.credits as i64;
        if credits < more {
            let error = folio_core::ApiError::new(
                ErrorCode::InsufficientCredits,
                format!(
                    "Insufficient credits: the document has {} pages, {reserved} were reserved at upload and {credits} more are available",
                    a.pages
                ),
            );
            return Ok(ReadmitAnswer::Refused { error });
        }
        self.exec("UPDATE account SET credits = credits - ?, reserved = reserved + ? WHERE id = 1", vec![i(more), i(more)])?;
        self.exec("UPDATE reservations SET pages = ? WHERE doc_id = ?", vec![i(a.pages as i64), s(a.doc_id)])?;
        Ok(ReadmitAnswer::Admitted)
    }
}
