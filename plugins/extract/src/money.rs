//! Money amounts and currencies: `1,234.56` vs `1.234,56`, `RM9.75`,
//! `-0.02`, `(0.17)`, `24.00 *`, `3.12S`, OCR'd `1O.5O`.

use crate::text::repair_numeric;

/// Which character separates decimals in this document. Decided once per
/// document from the amounts it contains (see [`NumberFormat::infer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimal_comma: bool,
}

impl NumberFormat {
    pub const POINT: NumberFormat = NumberFormat { decimal_comma: false };
    pub const COMMA: NumberFormat = NumberFormat { decimal_comma: true };

    /// Votes over the document's tokens: an amount ending in `,dd` (`12,50`,
    /// `1.234,56`) votes for a decimal comma, `.dd` for a decimal point.
    /// Without votes the locale default stands.
    pub fn infer<'a>(tokens: impl Iterator<Item = &'a str>, locale_default_comma: bool) -> NumberFormat {
        let (mut comma, mut point) = (0, 0);
        for t in tokens {
            let t = t.trim_end_matches(|c: char| !c.is_ascii_digit());
            let b = t.as_bytes();
            if b.len() < 4 {
                continue;
            }
            let n = b.len();
            if b[n - 1].is_ascii_digit() && b[n - 2].is_ascii_digit() && b[n - 4].is_ascii_digit() {
                // Dates like 12.03.2018 or 1,2,3 don't count: exactly one
                // separator of the decimal kind.
                match b[n - 3] {
                    b',' if t.matches(',').count() == 1 => comma += 1,
                    b'.' if t.matches('.').count() == 1 => point += 1,
                    _ => {}
                }
            }
        }
        if comma > point {
            NumberFormat::COMMA
        } else if point > comma {
            NumberFormat::POINT
        } else {
            NumberFormat { decimal_comma: locale_default_comma }
        }
    }

    fn decimal(&self) -> char {
        if self.decimal_comma { ',' } else { '.' }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Amount {
    pub value: f64,
    /// Digits after the decimal separator (0 for integers).
    pub decimals: u8,
    /// Currency written with the amount (`RM`, `€`, `EUR`), ISO code or `$`.
    pub currency: Option<String>,
    /// True when OCR confusions had to be repaired to read it.
    pub repaired: bool,
}

/// Currency markers and their ISO codes. `$` alone is ambiguous and resolved
/// per document (see [`resolve_dollar`]).
const SYMBOLS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("USD$", "USD"),
    ("S$", "SGD"),
    ("SG$", "SGD"),
    ("A$", "AUD"),
    ("AU$", "AUD"),
    ("C$", "CAD"),
    ("CA$", "CAD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("NT$", "TWD"),
    ("R$", "BRL"),
    ("MX$", "MXN"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("￥", "JPY"),
    ("元", "CNY"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("₱", "PHP"),
    ("฿", "THB"),
    ("₫", "VND"),
    ("₺", "TRY"),
    ("₽", "RUB"),
    ("₪", "ILS"),
    ("₦", "NGN"),
    ("RM", "MYR"),
    ("RP", "IDR"),
    ("RS", "INR"),
    ("ZŁ", "PLN"),
    ("KČ", "CZK"),
    ("FR.", "CHF"),
    ("KR", "SEK"),
    ("$", "$"),
];

/// ISO 4217 codes common on invoices and receipts.
pub const ISO_CODES: &[&str] = &[
    "USD", "EUR", "GBP", "MYR", "SGD", "AUD", "CAD", "NZD", "JPY", "CNY", "RMB", "HKD", "TWD", "INR", "IDR", "PHP", "THB", "VND", "KRW",
    "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "ZAR", "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "AED", "SAR", "QAR",
    "KWD", "TRY", "RUB", "ILS", "EGP", "NGN", "KES", "PKR", "BDT", "LKR",
];

/// ISO code for a standalone currency token (`EUR`, `RM`, `€`, `S$`), if it is one.
pub fn currency_of_token(token: &str) -> Option<&'static str> {
    let t = token.trim_matches(|c: char| c == '(' || c == ')' || c == ':' || c == ',');
    if t.is_empty() {
        return None;
    }
    let upper = t.to_uppercase();
    if let Some(code) = ISO_CODES.iter().find(|c| **c == upper) {
        return Some(if *code == "RMB" { "CNY" } else { code });
    }
    // Letter markers must match exactly (case-insensitive); `KR` and `RS`
    // only in their usual spelling to keep words like `Kr.` rare.
    SYMBOLS.iter().find(|(sym, _)| *sym == upper || (*sym == "FR." && upper == "FR")).map(|(_, code)| *code)
}

/// Splits a leading or trailing currency marker off an amount token.
fn strip_currency(token: &str) -> (&str, Option<&'static str>) {
    let upper = token.to_uppercase();
    for (sym, code) in SYMBOLS {
        // Letter markers need a digit right after/before them so that words
        // are not mistaken for amounts.
        if upper.starts_with(sym) {
            let rest = &token[sym_len_in(token, sym.chars().count())..];
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-' || c == ' ') || rest.is_empty() {
                return (rest.trim_start(), Some(code));
            }
        }
        if upper.ends_with(sym) {
            let cut = token.len() - sym_len_from_end(token, sym.chars().count());
            let rest = &token[..cut];
            if rest.ends_with(|c: char| c.is_ascii_digit() || c == ' ') {
                return (rest.trim_end(), Some(code));
            }
        }
    }
    for code in ISO_CODES {
        if upper.len() > 3 && upper.starts_with(code) && token.is_char_boundary(3) {
            return (token[3..].trim_start(), Some(code));
        }
        if upper.len() > 3 && upper.ends_with(code) && token.is_char_boundary(token.len() - 3) {
            return (token[..token.len() - 3].trim_end(), Some(code));
        }
    }
    (token, None)
}

fn sym_len_in(token: &str, chars: usize) -> usize {
    token.char_indices().nth(chars).map(|(i, _)| i).unwrap_or(token.len())
}

fn sym_len_from_end(token: &str, chars: usize) -> usize {
    let n = token.chars().count();
    token.len() - sym_len_in(token, n.saturating_sub(chars))
}

/// Parses one token as a money amount. `1,234.56`, `1.234,56` (per
/// `format` and the token itself), `RM9.75`, `$8.20`, `-0.02`, `0.02-`,
/// `(0.17)`, `3.12S` (a tax code glued on), `1O.5O` (OCR). Integers parse
/// with `decimals == 0`; callers decide whether they accept those.
pub fn parse_amount(token: &str, format: NumberFormat) -> Option<Amount> {
    let mut t = token.trim();
    t = t.trim_end_matches(['*', '#']).trim_start_matches(['*', '=', ':', '@', '~']);
    let mut negative = false;
    if t.starts_with('(') && t.ends_with(')') && t.len() > 2 {
        negative = true;
        t = &t[1..t.len() - 1];
    } else if let Some(rest) = t.strip_prefix('(') {
        // An unbalanced parenthesis is OCR noise (`(27.25`).
        t = rest;
    }
    if let Some(rest) = t.strip_prefix('-') {
        negative = true;
        t = rest;
    } else if let Some(rest) = t.strip_suffix('-') {
        negative = true;
        t = rest;
    }
    let (rest, currency) = strip_currency(t);
    t = rest;
    if let Some(rest) = t.strip_prefix('-') {
        negative = true;
        t = rest;
    }
    // A tax code (`S`, `SR`, `ZR`, `T`) glued to the end of a decimal amount.
    let letters_at_end = t.chars().rev().take_while(|c| c.is_ascii_uppercase()).count();
    if (1..=2).contains(&letters_at_end) && t.len() > letters_at_end + 3 {
        let head = &t[..t.len() - letters_at_end];
        let hb = head.as_bytes();
        let n = hb.len();
        if n >= 4 && (hb[n - 3] == b'.' || hb[n - 3] == b',') && hb[n - 1].is_ascii_digit() && hb[n - 2].is_ascii_digit() {
            t = head;
        }
    }
    if t.is_empty() || t.len() > 24 {
        return None;
    }
    let parsed = parse_body(t, format, currency, negative);
    if parsed.is_some() || currency.is_some() {
        return parsed;
    }
    // A currency mark OCR garbled (`RN3.45`, `fM1.00`, `RH2.95` for `RM`):
    // one or two letters glued to a clean amount with two decimals.
    let letters = t.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &t[letters..];
    let b = rest.as_bytes();
    if (1..=2).contains(&letters)
        && b.len() >= 4
        && matches!(b[b.len() - 3], b'.' | b',')
        && rest.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b',')
    {
        return parse_body(rest, format, None, negative);
    }
    None
}

/// The number itself, once signs, currency marks and tax codes are off.
fn parse_body(t: &str, format: NumberFormat, currency: Option<&'static str>, negative: bool) -> Option<Amount> {
    let mut repaired = false;
    let owned;
    let mut t = t;
    if !t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '\'' | '’' | '\u{a0}' | '\u{202f}' | '\u{2009}')) {
        owned = repair_numeric(t)?;
        repaired = true;
        t = &owned;
        // A repaired token must look like an amount with decimals; `IO` or
        // `S1` are more likely words or codes.
        let b = t.as_bytes();
        if b.len() < 4 || !matches!(b[b.len() - 3], b'.' | b',') {
            return None;
        }
        if !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            return None;
        }
    }
    let (value, decimals) = match parse_number_body(t, format) {
        Some(v) => v,
        None => {
            // A stray dot inside the integer part (`4.1.00` for `41.00`):
            // drop every separator but the last when it leaves two decimals.
            let last = t.rfind(['.', ','])?;
            let frac = &t[last + 1..];
            if frac.len() != 2 || !t[..last].contains(['.', ',']) || t[..last].split(['.', ',']).skip(1).all(|g| g.len() == 3) {
                return None;
            }
            repaired = true;
            let int: String = t[..last].chars().filter(|c| c.is_ascii_digit()).collect();
            (format!("{int}.{frac}").parse().ok()?, 2)
        }
    };
    Some(Amount { value: if negative { -value } else { value }, decimals, currency: currency.map(str::to_string), repaired })
}

/// Digits with grouping and at most one decimal separator.
fn parse_number_body(t: &str, format: NumberFormat) -> Option<(f64, u8)> {
    if !t.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',') || !t.ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let last_point = t.rfind('.');
    let last_comma = t.rfind(',');
    let decimal_pos = match (last_point, last_comma) {
        (Some(p), Some(c)) => Some(p.max(c)),
        (Some(p), None) => single_kind_decimal(t, '.', p, format),
        (None, Some(c)) => single_kind_decimal(t, ',', c, format),
        (None, None) => None,
    };
    let (int_part, frac_part) = match decimal_pos {
        Some(p) => (&t[..p], &t[p + 1..]),
        None => (t, ""),
    };
    // Grouping separators: anything but digits in the integer part must sit
    // between groups of exactly three digits.
    let mut digits = String::with_capacity(t.len());
    // `1.234`, `1,234`, `1'234`, `1’234` (Swiss) and `1 234` with a
    // no-break or thin space (French, Polish, Latvian).
    let groups: Vec<&str> = int_part.split(['.', ',', '\'', '’', '\u{a0}', '\u{202f}', '\u{2009}']).collect();
    if groups.len() > 1 {
        if groups[0].is_empty() && groups.len() == 2 && int_part.starts_with(['.', ',']) {
            return None;
        }
        if groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    for g in &groups {
        digits.push_str(g);
    }
    if digits.is_empty() {
        digits.push('0');
    }
    if !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac_part.is_empty() {
        digits.push('.');
        digits.push_str(frac_part);
    }
    let v: f64 = digits.parse().ok()?;
    Some((v, frac_part.len() as u8))
}

/// With only one kind of separator, is the last one the decimal separator?
fn single_kind_decimal(t: &str, sep: char, pos: usize, format: NumberFormat) -> Option<usize> {
    if t.matches(sep).count() > 1 {
        return None; // 1.234.567 or 1,234,567: all grouping
    }
    let after = t.len() - pos - 1;
    match after {
        3 => (sep == format.decimal()).then_some(pos),
        _ => Some(pos),
    }
}

/// Resolves a bare `$` for the document: the locale's default currency when
/// it is a dollar (or the caller said so), otherwise USD.
pub fn resolve_dollar(locale_default: Option<&str>) -> &'static str {
    match locale_default {
        Some("USD") | None => "USD",
        Some(code) => ISO_CODES.iter().copied().find(|c| *c == code && code.ends_with('D')).unwrap_or("USD"),
    }
}

/// Rounds to cents for comparisons between amounts.
pub fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

/// Whether two amounts agree to the cent (with a tolerance of one cent
/// for sums of rounded figures).
pub fn same_amount(a: f64, b: f64) -> bool {
    (cents(a) - cents(b)).abs() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Option<f64> {
        parse_amount(t, NumberFormat::POINT).map(|a| a.value)
    }
    fn c(t: &str) -> Option<f64> {
        parse_amount(t, NumberFormat::COMMA).map(|a| a.value)
    }

    #[test]
    fn grouping_and_decimal_separators_follow_the_token_first() {
        assert_eq!(p("1,234.56"), Some(1234.56));
        assert_eq!(p("1.234,56"), Some(1234.56), "both separators: the last one is decimal");
        assert_eq!(c("1.234,56"), Some(1234.56));
        assert_eq!(c("1,234.56"), Some(1234.56));
        assert_eq!(p("12,50"), Some(12.5), "two digits after a lone comma are decimals anywhere");
        assert_eq!(p("1,234,567.89"), Some(1234567.89));
        assert_eq!(c("1.234.567,89"), Some(1234567.89));
        assert_eq!(c("1'234.50"), Some(1234.5), "Swiss apostrophe grouping");
        assert_eq!(p("1'234.56"), Some(1234.56));
        assert_eq!(p("1’234.56"), Some(1234.56), "glibc's de_CH grouping mark");
        assert_eq!(c("1\u{202f}234,56"), Some(1234.56), "narrow no-break space (fr, pl, lv)");
        assert_eq!(c("1\u{a0}234,56"), Some(1234.56), "no-break space");
        assert_eq!(c("1\u{202f}234\u{202f}567,89"), Some(1234567.89));
        assert_eq!(c("12\u{202f}34,56"), None, "groups are three digits");
    }

    #[test]
    fn three_digits_after_a_lone_separator_depend_on_the_document_format() {
        assert_eq!(p("1,234"), Some(1234.0));
        assert_eq!(p("9.000"), Some(9.0), "decimal point document: 3 decimals");
        assert_eq!(c("1.234"), Some(1234.0), "decimal comma document: grouping");
        assert_eq!(c("1,234"), Some(1.234));
    }

    #[test]
    fn currency_markers_signs_and_tax_codes() {
        let a = parse_amount("RM9.75", NumberFormat::POINT).unwrap();
        assert_eq!((a.value, a.currency.as_deref()), (9.75, Some("MYR")));
        let a = parse_amount("€1.234,00", NumberFormat::COMMA).unwrap();
        assert_eq!((a.value, a.currency.as_deref()), (1234.0, Some("EUR")));
        let a = parse_amount("12,00€", NumberFormat::COMMA).unwrap();
        assert_eq!((a.value, a.currency.as_deref()), (12.0, Some("EUR")));
        let a = parse_amount("USD15,750.00", NumberFormat::POINT).unwrap();
        assert_eq!((a.value, a.currency.as_deref()), (15750.0, Some("USD")));
        assert_eq!(parse_amount("$8.20", NumberFormat::POINT).unwrap().currency.as_deref(), Some("$"));
        assert_eq!(parse_amount("S$8.20", NumberFormat::POINT).unwrap().currency.as_deref(), Some("SGD"));
        assert_eq!(p("-0.02"), Some(-0.02));
        assert_eq!(p("0.02-"), Some(-0.02));
        assert_eq!(p("(0.17)"), Some(-0.17));
        assert_eq!(p("3.12S"), Some(3.12));
        assert_eq!(p("15.90SR"), Some(15.9));
        assert_eq!(p("24.00*"), Some(24.0));
        assert_eq!(p("(27.25"), Some(27.25), "unbalanced parenthesis is noise");
        assert_eq!(p("fM1.00"), Some(1.0), "OCR'd RM");
        assert_eq!(p("RN3.45"), Some(3.45));
        assert_eq!(p("SKG"), None);
        assert_eq!(p("4.1.00"), Some(41.0), "a stray dot");
        assert_eq!(p("1.234.56"), None, "grouping in threes is not a stray dot");
    }

    #[test]
    fn ocr_confusions_are_repaired_only_in_amount_shaped_tokens() {
        let a = parse_amount("1O.5O", NumberFormat::POINT).unwrap();
        assert_eq!(a.value, 10.5);
        assert!(a.repaired);
        assert_eq!(p("2S.0O"), Some(25.0));
        assert_eq!(p("l5.90"), Some(15.9));
        assert_eq!(p("SOLD"), None);
        assert_eq!(p("S1"), None);
        assert_eq!(p("IO"), None);
    }

    #[test]
    fn non_amounts_are_rejected() {
        assert_eq!(p("25/12/2018"), None);
        assert_eq!(p("07-5547360"), None);
        assert_eq!(p("12.03.2018"), None);
        assert_eq!(p("1,23,4"), None);
        assert_eq!(p("TOTAL"), None);
        assert_eq!(p("12:30"), None);
    }

    #[test]
    fn document_format_is_voted_by_its_amounts() {
        let toks = ["Summe", "12,50", "1.234,56", "3,00", "19%"];
        assert_eq!(NumberFormat::infer(toks.iter().copied(), false), NumberFormat::COMMA);
        let toks = ["TOTAL", "1,234.56", "9.00", "12.03.2018"];
        assert_eq!(NumberFormat::infer(toks.iter().copied(), true), NumberFormat::POINT);
        assert_eq!(NumberFormat::infer(["abc"].iter().copied(), true), NumberFormat::COMMA, "locale default breaks ties");
    }

    #[test]
    fn currency_tokens() {
        assert_eq!(currency_of_token("EUR"), Some("EUR"));
        assert_eq!(currency_of_token("(RM)"), Some("MYR"));
        assert_eq!(currency_of_token("rm"), Some("MYR"));
        assert_eq!(currency_of_token("£"), Some("GBP"));
        assert_eq!(currency_of_token("RMB"), Some("CNY"));
        assert_eq!(currency_of_token("TOTAL"), None);
        assert_eq!(resolve_dollar(Some("SGD")), "SGD");
        assert_eq!(resolve_dollar(Some("EUR")), "USD");
    }
}
