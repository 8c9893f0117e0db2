//! What the caller told us about the document's locale (language, `locale`
//! and `currency` hints) and the defaults that follow from it. Defaults only
//! break ties: evidence in the document itself (a day above 12, amounts that
//! end in `,dd`) always wins.

use crate::model::Document;

/// Order of day, month and year in an all-numeric date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    DayMonthYear,
    MonthDayYear,
    YearMonthDay,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Locale {
    /// ISO 639-1, lowercase (`en`); empty when unknown.
    pub language: String,
    /// ISO 3166-1 alpha-2, uppercase (`US`), when the caller gave a locale.
    pub region: Option<String>,
    /// ISO 4217 code from a `currency` hint.
    pub currency: Option<String>,
}

impl Locale {
    /// From the document's language and its `locale` / `currency` hints.
    /// `locale` accepts `de-DE`, `de_DE`, `en-US.UTF-8` or a bare region `MY`.
    pub fn from_document(doc: &Document) -> Locale {
        let mut language = doc.language.trim().to_ascii_lowercase();
        let mut region = None;
        if let Some(hint) = doc.hint("locale").or_else(|| doc.hint("country")).or_else(|| doc.hint("region")) {
            let hint = hint.split('.').next().unwrap_or("");
            let parts: Vec<&str> = hint.split(['-', '_']).filter(|p| !p.is_empty()).collect();
            match parts.as_slice() {
                [lang, reg, ..] => {
                    if lang.len() == 2 {
                        language = lang.to_ascii_lowercase();
                    }
                    if reg.len() == 2 {
                        region = Some(reg.to_ascii_uppercase());
                    }
                }
                [one] if one.len() == 2 && one.chars().all(|c| c.is_ascii_uppercase()) => region = Some(one.to_string()),
                [one] if one.len() == 2 => language = one.to_ascii_lowercase(),
                _ => {}
            }
        }
        let currency = doc
            .hint("currency")
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()));
        Locale { language, region, currency }
    }

    pub fn with_language(language: &str) -> Locale {
        Locale { language: language.to_string(), ..Locale::default() }
    }

    pub fn with_region(language: &str, region: &str) -> Locale {
        Locale { language: language.to_string(), region: Some(region.to_string()), currency: None }
    }

    /// The date order the region writes numeric dates in, if the region is known.
    pub fn region_date_order(&self) -> Option<DateOrder> {
        let region = self.region.as_deref()?;
        Some(match region {
            // Month first: the US and places that follow its conventions.
            "US" | "PH" | "FM" | "MH" | "PW" | "BZ" | "GU" | "PR" | "AS" | "VI" | "UM" => DateOrder::MonthDayYear,
            "CN" | "JP" | "KR" | "TW" | "HU" | "LT" | "MN" | "IR" => DateOrder::YearMonthDay,
            _ => DateOrder::DayMonthYear,
        })
    }

    /// Whether the locale writes `1.234,56` (decimal comma) by default.
    pub fn decimal_comma(&self) -> bool {
        if let Some(region) = self.region.as_deref() {
            // Regions whose convention differs from their language's.
            match region {
                "CH" | "LI" | "MX" | "GT" | "HN" | "NI" | "SV" | "DO" | "PR" | "PE" | "PA" => return false,
                "CA" if self.language == "fr" => return true,
                _ => {}
            }
        }
        matches!(
            self.language.as_str(),
            "de" | "fr"
                | "es"
                | "it"
                | "pt"
                | "nl"
                | "id"
                | "tr"
                | "ru"
                | "pl"
                | "cs"
                | "sk"
                | "sl"
                | "hr"
                | "sr"
                | "ro"
                | "bg"
                | "uk"
                | "da"
                | "sv"
                | "nb"
                | "nn"
                | "no"
                | "fi"
                | "el"
                | "hu"
                | "lt"
                | "lv"
                | "et"
                | "vi"
                | "is"
                | "ca"
                | "gl"
                | "eu"
                | "be"
                | "kk"
                | "az"
        )
    }

    /// The currency a bare `$` (or no symbol at all) most likely means here.
    pub fn default_currency(&self) -> Option<&str> {
        if let Some(c) = self.currency.as_deref() {
            return Some(c);
        }
        let region = self.region.as_deref()?;
        Some(match region {
            "US" | "EC" | "SV" | "PR" | "GU" | "PA" => "USD",
            "CA" => "CAD",
            "AU" => "AUD",
            "NZ" => "NZD",
            "SG" => "SGD",
            "HK" => "HKD",
            "MY" => "MYR",
            "GB" | "UK" => "GBP",
            "JP" => "JPY",
            "CN" => "CNY",
            "IN" => "INR",
            "ID" => "IDR",
            "PH" => "PHP",
            "TH" => "THB",
            "VN" => "VND",
            "KR" => "KRW",
            "TW" => "TWD",
            "CH" | "LI" => "CHF",
            "SE" => "SEK",
            "NO" => "NOK",
            "DK" => "DKK",
            "PL" => "PLN",
            "CZ" => "CZK",
            "HU" => "HUF",
            "MX" => "MXN",
            "BR" => "BRL",
            "ZA" => "ZAR",
            "AE" => "AED",
            "SA" => "SAR",
            "TR" => "TRY",
            "IL" => "ILS",
            "DE" | "FR" | "ES" | "IT" | "NL" | "BE" | "AT" | "PT" | "IE" | "FI" | "GR" | "LU" | "SK" | "SI" | "EE" | "LV" | "LT" | "MT"
            | "CY" | "HR" => "EUR",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(language: &str, hints: &[(&str, &str)]) -> Document {
        Document {
            language: language.into(),
            hints: hints.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ..Document::default()
        }
    }

    #[test]
    fn locale_hint_sets_language_and_region() {
        let l = Locale::from_document(&doc("en", &[("locale", "de_DE.UTF-8")]));
        assert_eq!(l.language, "de");
        assert_eq!(l.region.as_deref(), Some("DE"));
        assert!(l.decimal_comma());
        assert_eq!(l.region_date_order(), Some(DateOrder::DayMonthYear));
        assert_eq!(l.default_currency(), Some("EUR"));
    }

    #[test]
    fn us_is_month_first_and_swiss_german_uses_a_decimal_point() {
        let us = Locale::from_document(&doc("en", &[("locale", "en-US")]));
        assert_eq!(us.region_date_order(), Some(DateOrder::MonthDayYear));
        assert!(!us.decimal_comma());
        let ch = Locale::from_document(&doc("de", &[("Locale", "de-CH")]));
        assert!(!ch.decimal_comma());
        assert_eq!(ch.default_currency(), Some("CHF"));
    }

    #[test]
    fn currency_hint_wins_over_region() {
        let l = Locale::from_document(&doc("en", &[("locale", "en-US"), ("currency", "eur")]));
        assert_eq!(l.default_currency(), Some("EUR"));
        let none = Locale::from_document(&doc("en", &[]));
        assert_eq!(none.region_date_order(), None);
        assert_eq!(none.default_currency(), None);
    }
}
