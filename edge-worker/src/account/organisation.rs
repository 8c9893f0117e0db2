//! The organisation itself: created once, read, plan and credits changed
//! by the admin API.

use super::*;

impl Account {
    pub(super) fn init(&self, a: InitArgs) -> ApiResult<AccountView> {
        if self.account_row().is_ok() {
            return Err(fail(ErrorCode::InvalidState, "Organisation already exists"));
        }
        self.exec(
            "INSERT INTO account (id, org_id, name, slug, plan, credits, reserved, created_at) VALUES (1, ?, ?, ?, ?, ?, 0, ?)",
            vec![s(a.org_id), s(a.name), s(a.slug), s(a.plan.as_str()), i(a.credits), i(now_ms())],
        )?;
        for p in a.profiles {
            self.exec(
                "INSERT INTO profiles (profile, client_id, client_secret, webhook_url, webhook_secret, updated_at) VALUES (?, ?, ?, NULL, NULL, ?)",
                vec![s(p.profile.as_str()), s(p.client_id), s(p.client_secret), i(now_ms())],
            )?;
        }
        self.set_admin_email(a.admin_email)?;
        self.init_signing_secret(a.signing_secret)?;
        self.view()
    }

    pub(super) fn view(&self) -> ApiResult<AccountView> {
        let r = self.account_row()?;
        Ok(AccountView {
            org_id: r.org_id,
            name: r.name,
            slug: r.slug,
            plan: Plan::parse(&r.plan).unwrap_or_default(),
            credits: r.credits as i64,
            reserved: r.reserved as i64,
            created_at: folio_core::time::rfc3339(r.created_at as i64),
            admin_email: self.admin_email()?,
        })
    }

    pub(super) fn update(&self, a: UpdateArgs) -> ApiResult<AccountView> {
        self.account_row()?;
        if let Some(plan) = a.plan {
            self.exec("UPDATE account SET plan = ? WHERE id = 1", vec![s(plan.as_str())])?;
        }
        if let Some(c) = a.credits {
            self.exec("UPDATE account SET credits = ? WHERE id = 1", vec![i(c)])?;
        }
        if let Some(c) = a.add_credits {
            self.exec("UPDATE account SET credits = credits + ? WHERE id = 1", vec![i(c)])?;
        }
        if let Some(e) = a.admin_email {
            self.set_admin_email(Some(e).filter(|e| !e.is_empty()))?;
        }
        self.view()
    }
}
