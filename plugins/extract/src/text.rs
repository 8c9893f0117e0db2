//! Text helpers: case/diacritic folding for keyword matching and OCR
//! confusion repair for tokens that should be numbers.

/// Uppercase ASCII-ish form of a character for keyword matching: Latin
/// letters lose their diacritics (`é` -> `E`, `ā` -> `A`, `ł` -> `L`,
/// `ß` -> `SS`). Other scripts are only uppercased.
pub fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_uppercase());
        return;
    }
    // Letters with no canonical decomposition into a base letter.
    let special = match c {
        'ß' => Some("SS"),
        'ø' | 'Ø' => Some("O"),
        'ł' | 'Ł' => Some("L"),
        'đ' | 'Đ' => Some("D"),
        'æ' | 'Æ' => Some("AE"),
        'œ' | 'Œ' => Some("OE"),
        'ı' => Some("I"),
        // Ordinal indicators: `nº` is `no`, `1ª` is `1a`.
        'º' => Some("O"),
        'ª' => Some("A"),
        _ => None,
    };
    if let Some(s) = special {
        out.push_str(s);
        return;
    }
    // Latin-1 Supplement through Latin Extended Additional: the base letter
    // of the canonical decomposition, combining marks dropped.
    if matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF) {
        let mut base = None;
        unicode_normalization::char::decompose_canonical(c, |d| {
            if base.is_none() && d.is_ascii_alphabetic() {
                base = Some(d);
            }
        });
        if let Some(b) = base {
            out.push(b.to_ascii_uppercase());
            return;
        }
    }
    for u in c.to_uppercase() {
        out.push(u);
    }
}

/// Uppercased, diacritics removed, everything else kept.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Folded and reduced to letters and digits: the form used to compare
/// labels (`Sub-Total:` == `SUBTOTAL`) and to score text equality.
pub fn alnum_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() {
            fold_char(c, &mut out);
        }
    }
    out
}

/// Collapses runs of whitespace to one space and trims.
pub fn squash_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// Maps the letters OCR typically produces in place of digits. Only used on
/// tokens that are already known to be numeric in shape.
pub fn digit_for_confusable(c: char) -> Option<char> {
    Some(match c {
        '0'..='9' => c,
        'O' | 'o' | 'D' | 'Q' | 'U' => '0',
        'l' | 'I' | 'i' | '|' | '!' | 'L' | ']' | '[' | 'J' => '1',
        'Z' | 'z' => '2',
        'S' | 's' => '5',
        'b' | 'G' => '6',
        'B' => '8',
        'g' | 'q' => '9',
        _ => return None,
    })
}

/// Repairs OCR letter/digit confusions inside a token that looks numeric:
/// `1O.5O` -> `10.50`, `l2/O3/2O18` -> `12/03/2018`. The token must contain
/// at least one real digit and letters may only stand in for a minority of
/// the digit positions, so words (`SOLD`, `BILL`) stay untouched. Returns
/// `None` when nothing changed or the token is not numeric-looking.
pub fn repair_numeric(token: &str) -> Option<String> {
    let mut digits = 0usize;
    let mut confusables = 0usize;
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            out.push(c);
        } else if matches!(c, '.' | ',' | '/' | '-' | ':' | '\'') {
            out.push(c);
        } else if let Some(d) = digit_for_confusable(c) {
            confusables += 1;
            out.push(d);
        } else {
            return None;
        }
    }
    if confusables == 0 || digits == 0 || confusables > digits {
        return None;
    }
    Some(out)
}

/// Converts a label such as `Invoice No.` or `Purchase order #` to a camelCase
/// key (`invoiceNo`, `purchaseOrder`). Non-alphanumerics separate words.
pub fn camel_case(label: &str) -> String {
    let mut out = String::new();
    for word in label.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let folded = fold(word).to_lowercase();
        if out.is_empty() {
            if folded.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str("field");
                let mut chars = folded.chars();
                if let Some(f) = chars.next() {
                    out.push(f);
                    out.push_str(chars.as_str());
                }
            } else {
                out.push_str(&folded);
            }
        } else {
            let mut chars = folded.chars();
            if let Some(f) = chars.next() {
                out.extend(f.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// Share of alphabetic characters among the non-space characters.
pub fn letter_ratio(s: &str) -> f32 {
    let mut letters = 0;
    let mut total = 0;
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        total += 1;
        if c.is_alphabetic() {
            letters += 1;
        }
    }
    if total == 0 { 0.0 } else { letters as f32 / total as f32 }
}

/// Number of ASCII digits in `s`.
pub fn digit_count(s: &str) -> usize {
    s.chars().filter(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_diacritics_and_punctuation() {
        assert_eq!(fold("Straße Größe"), "STRASSE GROSSE");
        assert_eq!(alnum_key("Sub-Total:"), "SUBTOTAL");
        assert_eq!(alnum_key("Date d'échéance"), "DATEDECHEANCE");
        assert_eq!(fold("KOPĀ Łódź Žvaigzne ņ ț"), "KOPA LODZ ZVAIGZNE N T");
        assert_eq!(fold("Ñandú øre"), "NANDU ORE");
        assert_eq!(alnum_key("Factura nº"), "FACTURANO");
        assert_eq!(fold("日本 Ωμέγα"), "日本 ΩΜΈΓΑ", "other scripts are only uppercased");
    }

    #[test]
    fn numeric_tokens_with_ocr_confusions_are_repaired() {
        assert_eq!(repair_numeric("1O.5O").as_deref(), Some("10.50"));
        assert_eq!(repair_numeric("l2/03/2018").as_deref(), Some("12/03/2018"));
        assert_eq!(repair_numeric("2S.00").as_deref(), Some("25.00"));
        assert_eq!(repair_numeric("B.90").as_deref(), Some("8.90"));
        assert_eq!(repair_numeric("SO.O").as_deref(), None, "more stand-ins than digits");
        assert_eq!(repair_numeric("18.9O").as_deref(), Some("18.90"));
        // Words are left alone.
        assert_eq!(repair_numeric("SOLD"), None);
        assert_eq!(repair_numeric("BILL"), None);
        assert_eq!(repair_numeric("12.50"), None, "nothing to repair");
    }

    #[test]
    fn labels_become_camel_case_keys() {
        assert_eq!(camel_case("Invoice No."), "invoiceNo");
        assert_eq!(camel_case("PURCHASE ORDER #"), "purchaseOrder");
        assert_eq!(camel_case("Référence client"), "referenceClient");
        assert_eq!(camel_case("2nd contact"), "field2ndContact");
    }
}
