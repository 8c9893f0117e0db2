//! Identifiers: document ids (`doc_...`), numeric Veryfi-style ids, delivery
//! ids and API keys. Randomness comes from the OS (getrandom); ids carry no
//! information about the tenant or the time.

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `n` random characters from `[a-z0-9]`, unbiased (rejection sampling).
pub fn random_token(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).expect("OS randomness");
        for &b in &buf {
            // 252 = 7 * 36: values at or above it would bias the result.
            if b < 252 && out.len() < n {
                out.push(ALPHABET[(b % 36) as usize] as char);
            }
        }
    }
    out
}

/// A document id like the spec's `doc_abc123xyz456` (here 20 random characters).
pub fn new_document_id() -> String {
    format!("doc_{}", random_token(20))
}

/// Is `s` shaped like a document id? Used to reject junk before any lookup.
pub fn is_document_id(s: &str) -> bool {
    s.strip_prefix("doc_").is_some_and(|t| (8..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// A webhook delivery id, the same on every retry of one event.
pub fn new_delivery_id() -> String {
    format!("dlv_{}", random_token(24))
}

/// A new API key: `frc_` plus 40 random characters (the spec's format `frc_xxxxx`).
pub fn new_api_key() -> String {
    format!("frc_{}", random_token(40))
}

/// A random u64, for numeric (Veryfi-style) document ids.
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("OS randomness");
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_right_shape() {
        let id = new_document_id();
        assert!(is_document_id(&id), "{id}");
        assert_ne!(new_document_id(), id);
        assert!(new_api_key().starts_with("frc_"));
        assert_eq!(new_api_key().len(), 44);
        assert!(!is_document_id("doc_../../etc"));
        assert!(!is_document_id("abc"));
        assert!(is_document_id("doc_abc123xyz456"));
    }
}
