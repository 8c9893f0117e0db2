//! EU VAT identification numbers: the country prefix, the country's format
//! and, where the country publishes one, its check digits. The crates that
//! do this (vat_id_validator, tax_ids) pull `regex` into a component that
//! is otherwise a few hundred KB, so the formats and algorithms are here,
//! each tested with valid and invalid numbers.

/// A VAT number read from a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatId {
    /// The VAT prefix (`DE`, `EL` for Greece).
    pub country: &'static str,
    /// Digits and letters after the prefix.
    pub number: String,
    /// The country's check digits were verified (false: format only, for
    /// countries whose algorithm is not implemented here).
    pub checked: bool,
    /// The document printed the prefix (domestic documents often do not:
    /// `NIP 856-734-62-15`).
    pub prefixed: bool,
}

impl VatId {
    /// `DE136695976`.
    pub fn formatted(&self) -> String {
        format!("{}{}", self.country, self.number)
    }

    /// As printed, without spaces and punctuation: with the prefix when the
    /// document has it.
    pub fn printed(&self) -> String {
        if self.prefixed { self.formatted() } else { self.number.clone() }
    }
}

/// Prefixes, with the shape of the number after them (see [`shape_ok`]).
const COUNTRIES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL",
    "PT", "RO", "SE", "SI", "SK",
];

/// Reads a VAT number from label text (`DE 136 695 976`, `ATU13585627`,
/// `NL004495445B01`). Without a prefix, `default_country` (the document's
/// region) is tried. `None` when the text is not a valid VAT number.
pub fn parse_vat(text: &str, default_country: Option<&str>) -> Option<VatId> {
    let compact: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    parse_compact(&compact, default_country).or_else(|| {
        // OCR reads `0` as `O` (`ESBO5581707`): retried with digits after the
        // prefix, kept only when the country's check digits confirm it.
        let (head, tail) = compact.split_at(compact.len().min(2));
        let fixed = format!("{head}{}", tail.replace('O', "0"));
        (fixed != compact).then(|| parse_compact(&fixed, default_country)).flatten().filter(|v| v.checked)
    })
}

fn parse_compact(compact: &str, default_country: Option<&str>) -> Option<VatId> {
    let compact = compact.to_string();
    if compact.len() < 8 || compact.len() > 16 {
        return None;
    }
    let prefixed = COUNTRIES.iter().find(|c| compact.starts_with(**c)).map(|c| (*c, compact[2..].to_string()));
    let is_prefixed = prefixed.is_some();
    let (country, number) = match prefixed {
        Some(p) => p,
        None => (vat_prefix_of_region(default_country?)?, compact),
    };
    if !shape_ok(country, &number) {
        return None;
    }
    let checked = match check(country, &number) {
        Some(true) => true,
        Some(false) => return None,
        None => false,
    };
    Some(VatId { country, number, checked, prefixed: is_prefixed })
}

fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn all_digits(s: &str, lens: &[usize]) -> bool {
    lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The published format per country.
fn shape_ok(country: &str, n: &str) -> bool {
    let b = n.as_bytes();
    match country {
        "AT" => n.len() == 9 && b[0] == b'U' && all_digits(&n[1..], &[8]),
        "BE" => all_digits(n, &[10]) && matches!(b[0], b'0' | b'1'),
        "BG" => all_digits(n, &[9, 10]),
        "CY" => n.len() == 9 && all_digits(&n[..8], &[8]) && b[8].is_ascii_uppercase(),
        "CZ" => all_digits(n, &[8, 9, 10]),
        // German and Portuguese numbers never start with 0.
        "DE" | "PT" => all_digits(n, &[9]) && b[0] != b'0',
        "EL" | "EE" => all_digits(n, &[9]),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => all_digits(n, &[8]),
        "ES" => n.len() == 9 && b.iter().all(|c| c.is_ascii_alphanumeric()) && all_digits(&n[1..8], &[7]),
        "FR" => n.len() == 11 && b[..2].iter().all(|c| c.is_ascii_alphanumeric()) && all_digits(&n[2..], &[9]),
        // Italy: digits 8-10 are the issuing office (001-100, 120, 121, 888, 999).
        "IT" => {
            all_digits(n, &[11])
                && n[..7] != *"0000000"
                && n[7..10].parse::<u32>().is_ok_and(|o| (1..=100).contains(&o) || matches!(o, 120 | 121 | 888 | 999))
        }
        "HR" | "LV" => all_digits(n, &[11]),
        "IE" => (8..=9).contains(&n.len()) && b[0].is_ascii_digit() && b.iter().all(|c| c.is_ascii_alphanumeric()),
        "LT" => all_digits(n, &[9, 12]),
        "NL" => n.len() == 12 && all_digits(&n[..9], &[9]) && b[9] == b'B' && all_digits(&n[10..], &[2]),
        "PL" | "SK" => all_digits(n, &[10]),
        "RO" => (2..=10).contains(&n.len()) && all_digits(n, &[n.len()]),
        "SE" => all_digits(n, &[12]) && n.ends_with("01"),
        _ => false,
    }
}

/// The country's check digits: `Some(valid)`, or `None` when not implemented.
fn check(country: &str, n: &str) -> Option<bool> {
    Some(match country {
        "AT" => {
            // Luhn-like over the 7 digits after `U`, offset by 4.
            let d = digits(&n[1..])?;
            let s: u32 = (0..7).map(|i| if i % 2 == 1 { (d[i] * 2) / 10 + (d[i] * 2) % 10 } else { d[i] }).sum();
            (10 - (s + 4) % 10) % 10 == d[7]
        }
        "BE" => {
            let v: u64 = n[..8].parse().ok()?;
            let c: u64 = n[8..].parse().ok()?;
            97 - v % 97 == c
        }
        "DE" => {
            // ISO 7064 MOD 11,10.
            let d = digits(n)?;
            let mut product = 10;
            for x in &d[..8] {
                let mut sum = (x + product) % 10;
                if sum == 0 {
                    sum = 10;
                }
                product = (2 * sum) % 11;
            }
            let c = (11 - product) % 10;
            c == d[8]
        }
        "ES" => check_es(n)?,
        "FR" => {
            // A numeric key is (12 + 3 * (SIREN mod 97)) mod 97; newer
            // alphanumeric keys have no published algorithm.
            let key: u64 = match n[..2].parse() {
                Ok(k) => k,
                Err(_) => return None,
            };
            let siren: u64 = n[2..].parse().ok()?;
            (12 + 3 * (siren % 97)) % 97 == key
        }
        "IT" => luhn(&digits(n)?),
        "LV" => {
            let d = digits(n)?;
            if d[0] > 3 {
                // Legal entities.
                const W: [u32; 11] = [9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1];
                d.iter().zip(W).map(|(x, w)| x * w).sum::<u32>() % 11 == 3
            } else if n.starts_with("32") {
                // Personal codes without a birth date (since 2017): no check digit.
                return None;
            } else {
                const W: [u32; 10] = [10, 5, 8, 4, 2, 1, 6, 3, 7, 9];
                (1 + d.iter().zip(W).map(|(x, w)| x * w).sum::<u32>()) % 11 % 10 == d[10]
            }
        }
        "NL" => {
            // Legal entities: weights 9..2 and -1 (mod 11). Sole traders
            // since 2020: ISO 7064 MOD 97-10 over `NL` + the number.
            let d = digits(&n[..9])?;
            let s: i64 = d[..8].iter().enumerate().map(|(i, x)| *x as i64 * (9 - i as i64)).sum::<i64>() - d[8] as i64;
            let mod97 = format!("2321{}", n.replace('B', "11")).bytes().fold(0u32, |acc, b| (acc * 10 + (b - b'0') as u32) % 97);
            s % 11 == 0 || mod97 == 1
        }
        "PL" => {
            let d = digits(n)?;
            const W: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
            let s = d.iter().zip(W).map(|(x, w)| x * w).sum::<u32>() % 11;
            s != 10 && s == d[9]
        }
        "PT" => {
            let d = digits(n)?;
            let s: u32 = d[..8].iter().enumerate().map(|(i, x)| x * (9 - i as u32)).sum();
            let c = 11 - s % 11;
            (if c >= 10 { 0 } else { c }) == d[8]
        }
        _ => return None,
    })
}

fn luhn(d: &[u32]) -> bool {
    let s: u32 = d.iter().rev().enumerate().map(|(i, x)| if i % 2 == 1 { (x * 2) / 10 + (x * 2) % 10 } else { *x }).sum();
    s.is_multiple_of(10)
}

/// Spain: DNI (8 digits + letter), NIE (X/Y/Z + 7 digits + letter), or a
/// company's CIF (letter + 7 digits + digit or letter).
fn check_es(n: &str) -> Option<bool> {
    const DNI: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let first = n.as_bytes()[0];
    let last = n.as_bytes()[8];
    let dni = |digits: &str| -> Option<bool> { Some(DNI[(digits.parse::<u64>().ok()? % 23) as usize] == last) };
    match first {
        b'0'..=b'9' => dni(&n[..8]),
        b'X' | b'Y' | b'Z' => dni(&format!("{}{}", first - b'X', &n[1..8])),
        b'K' | b'L' | b'M' => dni(&n[1..8]),
        b'A'..=b'W' => {
            let d = digits(&n[1..8])?;
            let s: u32 = d.iter().enumerate().map(|(i, x)| if i % 2 == 0 { (x * 2) / 10 + (x * 2) % 10 } else { *x }).sum();
            let c = (10 - s % 10) % 10;
            Some(last == b'0' + c as u8 || last == b"JABCDEFGHI"[c as usize])
        }
        _ => Some(false),
    }
}

/// The VAT prefix of a region's country (`GR` is `EL`), when it has VAT ids here.
pub fn vat_prefix_of_region(region: &str) -> Option<&'static str> {
    let r = if region == "GR" { "EL" } else { region };
    COUNTRIES.iter().find(|c| **c == r).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(s: &str) -> bool {
        parse_vat(s, None).is_some_and(|v| v.checked)
    }

    #[test]
    fn valid_numbers_pass_their_country_check() {
        // Numbers cross-checked with python-stdnum's `stdnum.eu.vat`.
        for n in [
            "DE136695976",
            "DE 136 695 976",
            "ATU13585627",
            "BE0403019261",
            "FR40303265045",
            "FR 40 303 265 045",
            "IT00743110157",
            "ESB58378431",
            "ESA13585625",
            "ES12345678Z",
            "ESX1234567L",
            "NL004495445B01",
            "NL000099998B57",
            "PL8567346215",
            "PL 856-734-62-15",
            "PT501964843",
            "LV40003521600",
            "LV16117519997",
        ] {
            assert!(valid(n), "{n}");
        }
    }

    #[test]
    fn an_o_read_for_a_zero_is_repaired_only_when_the_check_digits_agree() {
        assert_eq!(parse_vat("ESBO5581707", None).map(|v| v.formatted()).as_deref(), Some("ESB05581707"));
        assert_eq!(parse_vat("DE1366959O6", None), None, "DE136695906 has wrong check digits");
    }

    #[test]
    fn one_wrong_digit_fails() {
        for n in [
            "DE136695977",
            "ATU13585628",
            "BE0403019262",
            "FR41303265045",
            "IT00743110158",
            "ESB58378432",
            "ES12345678A",
            "ESX1234567M",
            "NL004495446B01",
            "PL8567346216",
            "PT501964844",
            "LV40003521601",
            "LV16117519998",
        ] {
            assert_eq!(parse_vat(n, None), None, "{n}");
        }
    }

    #[test]
    fn formats_and_prefixes() {
        assert_eq!(parse_vat("DE12345678", None), None, "eight digits");
        assert_eq!(parse_vat("DE052079405", None), None, "a leading zero (passes MOD 11,10)");
        assert_eq!(parse_vat("IT50738213102", None), None, "no office 213 (passes Luhn)");
        assert_eq!(parse_vat("AT13585627", None), None, "Austria needs the U");
        assert_eq!(parse_vat("NL004495445X01", None), None);
        assert_eq!(parse_vat("XX123456789", None), None, "no such prefix");
        // Without a prefix the document's country is tried.
        let v = parse_vat("136695976", Some("DE")).unwrap();
        assert_eq!(v.formatted(), "DE136695976");
        assert_eq!(v.printed(), "136695976");
        assert_eq!(parse_vat("DE 136 695 976", None).unwrap().printed(), "DE136695976");
        assert_eq!(parse_vat("136695976", None), None);
        // Countries whose check is not implemented: format only, unchecked.
        let dk = parse_vat("DK13585628", None).unwrap();
        assert!(!dk.checked);
        assert_eq!(parse_vat("FRAB303265045", None).map(|v| v.checked), Some(false), "alphanumeric French key");
        assert_eq!(vat_prefix_of_region("GR"), Some("EL"));
    }
}
