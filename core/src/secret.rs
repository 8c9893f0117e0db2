//! Secrets: API key hashing and constant-time comparison. API keys are stored
//! only as SHA-256 hashes; tokens (host, admin) and signatures are compared
//! in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Constant-time equality of two byte strings (the length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The stored form of an API key: `sha256(key)` in hex. Keys carry 200+ bits
/// of randomness, so a fast unsalted hash is enough (no dictionary to try).
pub fn hash_api_key(key: &str) -> String {
    sha256_hex(key.as_bytes())
}

/// Is `s` shaped like a Folio API key (`frc_` + 40 of `[a-z0-9]`)? Junk is
/// refused before any lookup.
pub fn is_api_key_shaped(s: &str) -> bool {
    s.strip_prefix("frc_").is_some_and(|t| t.len() == 40 && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Compares a presented token with the configured one. An unset (empty)
/// configured token never matches, so a missing secret locks the API.
pub fn token_matches(presented: &str, configured: &str) -> bool {
    !configured.is_empty() && constant_time_eq(presented.as_bytes(), configured.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_compares() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
        assert!(!token_matches("", ""));
        assert!(token_matches("t0k", "t0k"));
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn api_key_shape() {
        let k = crate::ids::new_api_key();
        assert!(is_api_key_shaped(&k));
        assert!(!is_api_key_shaped("frc_short"));
        assert!(!is_api_key_shaped(&k.replace("frc_", "sk_")));
        assert_eq!(hash_api_key(&k).len(), 64);
    }
}
