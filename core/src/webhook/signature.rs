//! The three signature schemes a Folio delivery carries, and constant-time
//! verification helpers for each (used by tests and by anyone receiving
//! Folio webhooks in Rust).
//!
//! - **DocuRift** `X-DocuRift-Signature`: lowercase hex HMAC-SHA256 of the
//!   exact body bytes, keyed with the UTF-8 bytes of `webhookSecret` as given
//!   (the spec's Python verifier does `secret.encode()`; a secret such as
//!   `whsec_your_secret_here` is used as that literal string).
//! - **Standard Webhooks** `webhook-signature: v1,<base64>`: HMAC-SHA256 of
//!   `{webhook-id}.{webhook-timestamp}.{body}`, keyed as [`standard_webhooks_key`] says.
//! - **Veryfi** `x-veryfi-signature`: base64 HMAC-SHA256 of Python's
//!   `str(payload["data"])`, keyed with the UTF-8 client secret (see [`super::veryfi`]).

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use crate::secret::constant_time_eq;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of the concatenated `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

// ---------------------------------------------------------------- DocuRift

/// `X-DocuRift-Signature`: hex HMAC-SHA256 of `body` keyed with `secret`'s UTF-8 bytes.
pub fn docurift_signature(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// Does `signature` (hex, any case) sign `body` under `secret`?
pub fn verify_docurift(secret: &str, body: &[u8], signature: &str) -> bool {
    let expected = docurift_signature(secret, body);
    constant_time_eq(expected.as_bytes(), signature.trim().to_ascii_lowercase().as_bytes())
}

// ------------------------------------------------------- Standard Webhooks

/// The prefix Standard Webhooks gives serialised symmetric secrets.
pub const WHSEC_PREFIX: &str = "whsec_";

/// The HMAC key Standard Webhooks signatures use for a configured secret.
///
/// The spec serialises symmetric secrets as `whsec_` + base64 of random
/// bytes, and every official library (Python, JavaScript, Go, ...) strips an
/// optional `whsec_` and base64-decodes the rest. Folio does the same, so a
/// receiver passes the very secret string it configured to
/// `Webhook(secret)`:
///
/// - `whsec_<base64>` or bare `<base64>` (standard alphabet, padding
///   optional, non-zero trailing bits allowed, as the libraries' decoders
///   allow them; decoding to at least one byte): the decoded bytes;
/// - anything else, which the libraries cannot take as a string (e.g. the
///   DocuRift spec's own example `whsec_your_secret_here`: `_` is not
///   base64): the UTF-8 bytes of the whole secret. Receivers then pass those
///   bytes (`Webhook(secret.encode())` in Python) or, to any library, the
///   string `"whsec_" + base64(secret)` ([`standard_webhooks_secret_for`]).
pub fn standard_webhooks_key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix(WHSEC_PREFIX).unwrap_or(secret);
    match decode_base64_lenient_padding(encoded) {
        Some(key) if !key.is_empty() => key,
        _ => secret.as_bytes().to_vec(),
    }
}

/// The `whsec_` form of the key Folio uses for `secret`: what a receiver
/// hands to a Standard Webhooks library when `secret` is not itself base64.
pub fn standard_webhooks_secret_for(secret: &str) -> String {
    format!("{WHSEC_PREFIX}{}", STANDARD.encode(standard_webhooks_key(secret)))
}

/// Base64 as the Standard Webhooks libraries read secrets: padding optional
/// (Python appends `==`), trailing bits ignored.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode_base64_lenient_padding(s: &str) -> Option<Vec<u8>> {
    SECRET_BASE64.decode(s).ok()
}

/// One `v1,<base64>` signature over `{msg_id}.{timestamp}.{body}`.
pub fn standard_webhooks_signature(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac = hmac_sha256(key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body]);
    format!("v1,{}", STANDARD.encode(mac))
}

/// Does any `v1,` entry of the space-separated `signature_header` sign this
/// message? Timestamp tolerance is the caller's business (it needs a clock).
pub fn verify_standard_webhooks(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8], signature_header: &str) -> bool {
    let expected = standard_webhooks_signature(key, msg_id, timestamp, body);
    let expected = expected.as_bytes();
    // Every entry is compared, so the time taken does not reveal which one matched.
    signature_header
        .split(' ')
        .filter(|s| s.starts_with("v1,"))
        .fold(false, |found, candidate| found | constant_time_eq(candidate.as_bytes(), expected))
}

// ------------------------------------------------------------------ Veryfi

/// `x-veryfi-signature`: base64 HMAC-SHA256 of `signing_string` (Python's
/// `str(payload["data"])`, see [`super::veryfi::signing_string`]), the same
/// construction as Veryfi's request signatures.
pub fn veryfi_signature(client_secret: &str, signing_string: &str) -> String {
    crate::veryfi::sign(client_secret, signing_string)
}

pub fn verify_veryfi(client_secret: &str, signing_string: &str, signature: &str) -> bool {
    constant_time_eq(veryfi_signature(client_secret, signing_string).as_bytes(), signature.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector published with the Standard Webhooks reference
    /// libraries ("sign function works"); the PyPI `standardwebhooks`
    /// 1.1.0 library produces the same signature for these inputs.
    #[test]
    fn standard_webhooks_published_vector() {
        let key = standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let sig = standard_webhooks_signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = format!("v1a,abc v1,AAAA {sig}");
        assert!(verify_standard_webhooks(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#, &header));
        assert!(!verify_standard_webhooks(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, br#"{"test": 2432232314}"#, &sig));
        assert!(!verify_standard_webhooks(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test":2432232314}"#, &sig));
    }

    #[test]
    fn standard_webhooks_secret_forms() {
        let decoded = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), decoded);
        // The libraries decode a bare base64 secret too.
        assert_eq!(standard_webhooks_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), decoded);
        // Unpadded base64 (the Python library appends "==").
        assert_eq!(standard_webhooks_key("whsec_YWJj"), b"abc");
        assert_eq!(standard_webhooks_key("whsec_YWI"), b"ab");
        // Non-zero trailing bits, as Python's b64decode("abc==") accepts: b"i\xb7".
        assert_eq!(standard_webhooks_key("abc"), [0x69, 0xb7]);
        // Not base64: the raw string, prefix included.
        assert_eq!(standard_webhooks_key("whsec_your_secret_here"), b"whsec_your_secret_here");
        assert_eq!(standard_webhooks_key("s3cr3t!"), b"s3cr3t!");
        assert_eq!(standard_webhooks_key("whsec_"), b"whsec_");
        assert_eq!(standard_webhooks_key("clé"), "clé".as_bytes());
        assert_eq!(standard_webhooks_secret_for("whsec_your_secret_here"), format!("whsec_{}", STANDARD.encode("whsec_your_secret_here")));
        assert_eq!(standard_webhooks_key(&standard_webhooks_secret_for("s3cr3t!")), b"s3cr3t!");
    }

    #[test]
    fn docurift_signature_is_hex_hmac_of_the_body() {
        // Python: hmac.new(b"whsec_your_secret_here", b'{"a":1}', hashlib.sha256).hexdigest()
        let sig = docurift_signature("whsec_your_secret_here", br#"{"a":1}"#);
        assert_eq!(sig.len(), 64);
        assert_eq!(sig, hex::encode(hmac_sha256(b"whsec_your_secret_here", &[b"{\"a\"", b":1}"])));
        assert!(verify_docurift("whsec_your_secret_here", br#"{"a":1}"#, &sig));
        assert!(verify_docurift("whsec_your_secret_here", br#"{"a":1}"#, &sig.to_uppercase()));
        assert!(!verify_docurift("whsec_your_secret_here", br#"{"a":2}"#, &sig));
        assert!(!verify_docurift("other", br#"{"a":1}"#, &sig));
        assert!(!verify_docurift("whsec_your_secret_here", br#"{"a":1}"#, &sig[..63]));
    }

    #[test]
    fn known_hmac_value() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn veryfi_signature_is_base64() {
        let s = veryfi_signature("secret", "{'id': 1, 'created': '2021-10-20 15:27:26'}");
        assert_eq!(STANDARD.decode(&s).unwrap().len(), 32);
        assert!(verify_veryfi("secret", "{'id': 1, 'created': '2021-10-20 15:27:26'}", &s));
        assert!(!verify_veryfi("secret", "{'id': 2, 'created': '2021-10-20 15:27:26'}", &s));
    }
}
