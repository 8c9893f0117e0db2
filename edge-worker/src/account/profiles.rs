//! Each profile's (live, sandbox) Veryfi credentials and account webhook.

use super::*;

impl Account {
    pub(super) fn profile(&self, profile: Profile) -> ApiResult<ProfileSettings> {
        let row = self
            .exec("SELECT * FROM profiles WHERE profile = ?", vec![s(profile.as_str())])?
            .to_array::<ProfileRow>()?
            .into_iter()
            .next()
            .ok_or_else(|| fail(ErrorCode::NotFound, "No such profile"))?;
        Ok(ProfileSettings {
            profile: Profile::parse(&row.profile).unwrap_or(Profile::Live),
            client_id: row.client_id,
            client_secret: row.client_secret,
            webhook_url: row.webhook_url,
            webhook_secret: row.webhook_secret,
        })
    }

    pub(super) fn webhook_set(&self, a: WebhookSetArgs) -> ApiResult<ProfileSettings> {
        self.profile(a.profile)?;
        self.exec(
            "UPDATE profiles SET webhook_url = ?, webhook_secret = ?, updated_at = ? WHERE profile = ?",
            vec![a.url.into(), a.secret.into(), i(now_ms()), s(a.profile.as_str())],
        )?;
        self.profile(a.profile)
    }
}
