//! Organisation settings kept by the Account DO beside credits and keys: the
//! admin's e-mail address (webhook failure e-mails), the default webhook
//! signing secret with its rotation overlap, and each profile's inbound
//! e-mail allowlist. One `settings` row per item, in the object's SQLite.

use super::{Account, i, s};
use crate::http::{ApiResult, fail, now_ms};
use crate::model::Profile;
use folio_core::ErrorCode;
use folio_core::email::SenderAllowlist;
use serde::{Deserialize, Serialize};

pub(super) const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);";

/// After a rotation the previous default secret still signs (as a second
/// Standard Webhooks signature) for this long, so receivers can switch over.
pub const SIGNING_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// A new default signing secret: `whsec_` + base64 of 24 random bytes, the
/// Standard Webhooks serialisation every official library accepts as is.
pub fn new_signing_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    for chunk in bytes.chunks_mut(8) {
        let r = folio_core::ids::random_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The default signing secrets as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SigningState {
    current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_until_ms: Option<i64>,
}

/// What signs a delivery that has no secret of its own, now.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeys {
    pub current: String,
    /// The secret before the last rotation, while its overlap lasts.
    #[serde(default)]
    pub retiring: Option<String>,
}

/// A rotation's answer: the new secret (shown once) and until when the old one still signs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    pub secret: String,
    pub previous_valid_until_ms: Option<i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxArgs {
    pub profile: Profile,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxSetArgs {
    pub profile: Profile,
    /// Already validated and normalised ([`SenderAllowlist::parse`]).
    pub allowed_senders: Vec<String>,
}

/// A profile's inbox settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxSettings {
    pub profile: Profile,
    pub allowed_senders: Vec<String>,
}

impl InboxSettings {
    pub fn allowlist(&self) -> SenderAllowlist {
        // Stored lists were validated on the way in; a list that no longer
        // parses (a tightened rule) accepts nobody rather than everybody.
        SenderAllowlist::parse(&self.allowed_senders).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Row {
    value: String,
}

fn inbox_key(profile: Profile) -> String {
    format!("inbox:{}", profile.as_str())
}

impl Account {
    fn setting(&self, key: &str) -> ApiResult<Option<String>> {
        Ok(self.exec("SELECT value FROM settings WHERE key = ?", vec![s(key)])?.to_array::<Row>()?.into_iter().next().map(|r| r.value))
    }

    fn set_setting(&self, key: &str, value: Option<String>) -> ApiResult<()> {
        match value {
            Some(v) => self.exec(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                vec![s(key), s(v), i(now_ms())],
            )?,
            None => self.exec("DELETE FROM settings WHERE key = ?", vec![s(key)])?,
        };
        Ok(())
    }

    pub(super) fn admin_email(&self) -> ApiResult<Option<String>> {
        self.setting("admin_email")
    }

    pub(super) fn set_admin_email(&self, email: Option<String>) -> ApiResult<()> {
        self.set_setting("admin_email", email)
    }

    /// Stores the secret chosen at creation (shown to the admin once).
    pub(super) fn init_signing_secret(&self, secret: String) -> ApiResult<()> {
        let state = SigningState { current: secret, previous: None, previous_until_ms: None };
        self.set_setting("signing", Some(serde_json::to_string(&state)?))
    }

    /// The secrets that sign now. Organisations created before default
    /// secrets existed get one on first use (their admin rotates to see it).
    pub(super) fn signing_keys(&self) -> ApiResult<SigningKeys> {
        self.account_row()?;
        let state = match self.setting("signing")? {
            Some(text) => serde_json::from_str::<SigningState>(&text)?,
            None => {
                let secret = new_signing_secret();
                self.init_signing_secret(secret.clone())?;
                SigningState { current: secret, previous: None, previous_until_ms: None }
            }
        };
        let retiring = match (state.previous, state.previous_until_ms) {
            (Some(p), Some(until)) if until > now_ms() => Some(p),
            _ => None,
        };
        Ok(SigningKeys { current: state.current, retiring })
    }

    /// A new default secret; the one it replaces keeps signing for [`SIGNING_OVERLAP_MS`].
    pub(super) fn rotate_signing(&self) -> ApiResult<RotatedSecret> {
        let old = self.signing_keys()?.current;
        let until = now_ms() + SIGNING_OVERLAP_MS;
        let secret = new_signing_secret();
        let state = SigningState { current: secret.clone(), previous: Some(old), previous_until_ms: Some(until) };
        self.set_setting("signing", Some(serde_json::to_string(&state)?))?;
        Ok(RotatedSecret { secret, previous_valid_until_ms: Some(until) })
    }

    pub(super) fn inbox(&self, profile: Profile) -> ApiResult<InboxSettings> {
        self.account_row()?;
        let allowed_senders = match self.setting(&inbox_key(profile))? {
            Some(text) => serde_json::from_str(&text)?,
            None => Vec::new(),
        };
        Ok(InboxSettings { profile, allowed_senders })
    }

    pub(super) fn inbox_set(&self, a: InboxSetArgs) -> ApiResult<InboxSettings> {
        self.account_row()?;
        let list = SenderAllowlist::parse(&a.allowed_senders).map_err(|m| fail(ErrorCode::InvalidRequest, m))?;
        self.set_setting(&inbox_key(a.profile), Some(serde_json::to_string(list.entries())?))?;
        self.inbox(a.profile)
    }
}

/// `admin@example.com`-shaped (the admin's failure e-mails go there).
pub fn valid_admin_email(e: &str) -> bool {
    !e.starts_with('@') && SenderAllowlist::parse(&[e.to_string()]).is_ok()
}
