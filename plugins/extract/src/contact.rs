//! Emails, URLs and phone numbers, scanned by hand (no regex: plugins get a
//! fresh instance per document, so compiled patterns would not be reused).

use crate::layout::Row;
use crate::text::digit_count;

/// An email address in a token, if it is one.
pub fn email_in(token: &str) -> Option<String> {
    let t = token.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '<' | '>' | '[' | ']' | '"' | '\''));
    let t = t.strip_prefix("mailto:").unwrap_or(t).trim_end_matches('.');
    let (local, domain) = t.split_once('@')?;
    let ok_local = !local.is_empty() && local.chars().all(|c| c.is_alphanumeric() || "._%+-".contains(c));
    let ok_domain = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    (ok_local && ok_domain).then(|| t.to_lowercase())
}

/// A web address in a token (`https://x.y`, `www.x.y`, `shop.example.com/path`).
pub fn url_in(token: &str) -> Option<String> {
    let t = token.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '<' | '>' | '[' | ']' | '"' | '\'')).trim_end_matches('.');
    if t.contains('@') {
        return None;
    }
    let lower = t.to_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return (lower.len() > 10).then(|| t.to_string());
    }
    let host = lower.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
        return None;
    }
    let tld = labels.last().unwrap();
    let known_tld = matches!(
        *tld,
        "com"
            | "net"
            | "org"
            | "io"
            | "co"
            | "my"
            | "sg"
            | "uk"
            | "de"
            | "fr"
            | "es"
            | "it"
            | "nl"
            | "au"
            | "us"
            | "ca"
            | "info"
            | "biz"
            | "eu"
            | "in"
            | "id"
            | "ph"
            | "th"
            | "jp"
            | "cn"
            | "hk"
            | "ch"
            | "at"
            | "be"
            | "app"
            | "shop"
            | "store"
    );
    if lower.starts_with("www.")
        || (known_tld
            && labels.iter().any(|l| l.chars().any(|c| c.is_ascii_alphabetic()) && l.len() >= 2)
            && !tld.chars().any(|c| c.is_ascii_digit())
            && labels[0].len() >= 2)
    {
        // `3.12S`-like numbers never get here: labels need letters.
        if labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) {
            return None;
        }
        return Some(t.to_lowercase());
    }
    None
}

/// Labels that introduce a phone number; fax numbers are told apart.
const PHONE_LABELS: &[&str] = &[
    "tel",
    "telephone",
    "phone",
    "ph",
    "hp",
    "mobile",
    "mob",
    "tel no",
    "phone no",
    "telefon",
    "tél",
    "telp",
    "t",
    "call",
    "contact",
    "hotline",
    "whatsapp",
];
const FAX_LABELS: &[&str] = &["fax", "fax no", "telefax", "f"];

/// A phone-number-shaped run of tokens starting at `start`: digits with
/// `+ - ( ) .` and spaces, 7 to 15 digits, not a date or an amount.
pub fn phone_at(tokens: &[&str], start: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut end = start;
    let mut digits = 0;
    while end < tokens.len() {
        let t = tokens[end].trim_end_matches([',', ';']);
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || "+-().".contains(c)) || digit_count(t) == 0 && t != "-" && t != "+" {
            break;
        }
        if digits + digit_count(t) > 15 {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(t);
        digits += digit_count(t);
        end += 1;
        if tokens[end - 1].ends_with(',') {
            break;
        }
    }
    if !(7..=15).contains(&digits) {
        return None;
    }
    // `12.50` or `25.12.2018` are not phone numbers.
    if text.matches('.').count() >= 1 && !text.contains(' ') && !text.contains('-') {
        return None;
    }
    let text = text.trim_matches(|c: char| c == '-' || c == '.').to_string();
    Some((text, end))
}

/// What a labelled phone line holds.
#[derive(Clone, Debug, PartialEq)]
pub struct PhoneHit {
    pub number: String,
    pub start: usize,
    pub end: usize,
    pub fax: bool,
}

/// Phone numbers on a row: after a phone/fax label, or unlabelled when
/// clearly phone-shaped (a `+` or a dash-separated area code).
pub fn phones_in_row(row: &Row) -> Vec<PhoneHit> {
    let texts = row.texts();
    let mut out = Vec::new();
    let mut i = 0;
    while i < texts.len() {
        let key = &row.tokens[i].key;
        // One-letter labels (`T`, `F`) only with their colon or dot.
        let short_ok = key.len() != 1 || texts[i].ends_with(':') || texts[i].ends_with('.');
        let is_phone_label = short_ok && PHONE_LABELS.iter().any(|l| crate::text::alnum_key(l) == *key);
        let is_fax_label = (key.len() != 1 || texts[i].ends_with(':')) && FAX_LABELS.iter().any(|l| crate::text::alnum_key(l) == *key);
        if is_phone_label || is_fax_label {
            // Skip `NO`, `:`, `.` between label and number.
            let mut j = i + 1;
            while j < texts.len() && (row.tokens[j].key.is_empty() || row.tokens[j].key == "NO" || row.tokens[j].key == "NUMBER") {
                j += 1;
            }
            if let Some((number, end)) = phone_at(&texts, j) {
                out.push(PhoneHit { number, start: j, end, fax: is_fax_label && !is_phone_label });
                i = end;
                continue;
            }
        } else if (texts[i].starts_with('+') || texts[i].contains('-') && digit_count(texts[i]) >= 2)
            && let Some((number, end)) = phone_at(&texts, i)
        {
            let strong = number.starts_with('+')
                || number.split(['-', ' ']).next().is_some_and(|area| (2..=4).contains(&area.len()) && area.starts_with('0'));
            if strong && digit_count(&number) >= 9 {
                out.push(PhoneHit { number, start: i, end, fax: false });
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::layout::tests::doc_from_boxes;

    #[test]
    fn emails_and_urls() {
        assert_eq!(email_in("SOONHUAT2000@HOTMAIL.COM").as_deref(), Some("soonhuat2000@hotmail.com"));
        assert_eq!(email_in("(billing@example.co.uk)").as_deref(), Some("billing@example.co.uk"));
        assert_eq!(email_in("a@b"), None);
        assert_eq!(url_in("WWW.EXAMPLE.COM.MY").as_deref(), Some("www.example.com.my"));
        assert_eq!(url_in("https://shop.example.org/r/123").as_deref(), Some("https://shop.example.org/r/123"));
        assert_eq!(url_in("FACEBOOK.COM/SHOPNAME").as_deref(), Some("facebook.com/shopname"));
        assert_eq!(url_in("12.50"), None);
        assert_eq!(url_in("NO.53"), None);
        assert_eq!(url_in("D.I.Y."), None);
    }

    #[test]
    fn phones_after_labels_and_by_shape() {
        let doc = doc_from_boxes(&[
            (0.0, 0.0, 400.0, 20.0, "TEL : 07-5547360 / 016-7993391"),
            (0.0, 30.0, 400.0, 50.0, "TEL:03-3362 4395 FAX:03-3362 4396"),
            (0.0, 60.0, 400.0, 80.0, "Call us +49 30 1234567"),
            (0.0, 90.0, 400.0, 110.0, "DATE 25.12.2018 TOTAL 12.50"),
        ]);
        let ctx = Context::new(&doc);
        let p0 = phones_in_row(&ctx.rows[0]);
        assert_eq!(p0[0].number, "07-5547360");
        let p1 = phones_in_row(&ctx.rows[1]);
        assert_eq!((p1[0].number.as_str(), p1[0].fax), ("03-3362 4395", false));
        assert_eq!((p1[1].number.as_str(), p1[1].fax), ("03-3362 4396", true));
        assert_eq!(phones_in_row(&ctx.rows[2])[0].number, "+49 30 1234567");
        assert!(phones_in_row(&ctx.rows[3]).is_empty());
    }
}
