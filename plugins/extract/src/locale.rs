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
    /// Every language of a mixed document's list (`de,en`), as given; empty
    /// for a single language. Labels of each apply; the rest follows `language`.
    pub languages: String,
}

impl Locale {
    /// From the document's language and its `locale` / `currency` hints.
    /// `locale` accepts `de-DE`, `de_DE`, `en-US.UTF-8` or a bare region `MY`.
    pub fn from_document(doc: &Document) -> Locale {
        // A mixed document's list (`de,en`) is read in its first language.
        let mut language = doc.language.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
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
        let languages = if doc.language.contains(',') { doc.language.trim().to_ascii_lowercase() } else { String::new() };
        Locale { language, region, currency, languages }
    }

    pub fn with_language(language: &str) -> Locale {
        Locale { language: language.to_string(), ..Locale::default() }
    }

    pub fn with_region(language: &str, region: &str) -> Locale {
        Locale { language: language.to_string(), region: Some(region.to_string()), ..Locale::default() }
    }

    /// The date order the region writes numeric dates in, if the region is
    /// known: the `D_FMT` of the language's locale for that region
    /// (`en_US`: `%m/%d/%Y`), else the region's usual order.
    pub fn region_date_order(&self) -> Option<DateOrder> {
        use pure_rust_locales::locale_match;
        let region = self.region.as_deref()?;
        let exact = pure_rust_locales::Locale::try_from(format!("{}_{region}", self.language).as_str()).ok();
        if let Some(order) = exact.and_then(|l| order_of_format(locale_match!(l => LC_TIME::D_FMT))) {
            return Some(order);
        }
        // A bare region (`MY`) or a language the region's data lacks.
        Some(match region {
            "US" | "PH" | "FM" | "MH" | "PW" | "BZ" | "GU" | "PR" | "AS" | "VI" | "UM" => DateOrder::MonthDayYear,
            "CN" | "JP" | "KR" | "TW" | "HU" | "LT" | "MN" | "IR" => DateOrder::YearMonthDay,
            _ => DateOrder::DayMonthYear,
        })
    }

    /// The glibc locale (pure-rust-locales) for this language and region:
    /// `de` + `CH` is `de_CH`, `de` alone `de_DE`, `en` alone `en_US`.
    pub fn data_locale(&self) -> Option<pure_rust_locales::Locale> {
        let lang = self.language.as_str();
        if lang.len() != 2 {
            return None;
        }
        let try_one = |name: String| pure_rust_locales::Locale::try_from(name.as_str()).ok();
        if let Some(region) = self.region.as_deref()
            && let Some(l) = try_one(format!("{lang}_{region}"))
        {
            return Some(l);
        }
        // A language's main country, where its code is not the country's.
        let main = match lang {
            "en" => "US",
            "ms" => "MY",
            "da" => "DK",
            "sv" => "SE",
            "cs" => "CZ",
            "el" => "GR",
            "et" => "EE",
            "sl" => "SI",
            "uk" => "UA",
            "ca" | "gl" | "eu" => "ES",
            "be" => "BY",
            "kk" => "KZ",
            "vi" => "VN",
            "nb" | "nn" | "no" => "NO",
            "ga" => "IE",
            "ja" => "JP",
            "ko" => "KR",
            "zh" => "CN",
            "hi" => "IN",
            "sr" => "RS",
            "sq" => "AL",
            "fa" => "IR",
            "he" => "IL",
            "ar" => "SA",
            _ => "",
        };
        let lang_key = if lang == "no" { "nb" } else { lang };
        let region = if main.is_empty() { lang.to_ascii_uppercase() } else { main.to_string() };
        try_one(format!("{lang_key}_{region}"))
    }

    /// The document's country: the caller's region, else the main country
    /// of its language's locale (`de`: `DE`, `lv`: `LV`, `en`: `US`).
    pub fn country(&self) -> Option<&str> {
        use pure_rust_locales::locale_match;
        if let Some(r) = self.region.as_deref() {
            return Some(r);
        }
        let l = self.data_locale()?;
        locale_match!(l => LC_ADDRESS::COUNTRY_ABTWO)
    }

    /// Decimal and grouping separators of the locale (`,` and `.` for
    /// `de_DE`, `,` and a narrow no-break space for `fr_FR`), from glibc's data.
    pub fn separators(&self) -> Option<(&'static str, &'static str)> {
        use pure_rust_locales::locale_match;
        let l = self.data_locale()?;
        Some((locale_match!(l => LC_NUMERIC::DECIMAL_POINT), locale_match!(l => LC_NUMERIC::THOUSANDS_SEP)))
    }

    /// Whether the locale writes `1.234,56` (decimal comma) by default.
    pub fn decimal_comma(&self) -> bool {
        self.separators().is_some_and(|(decimal, _)| decimal == ",")
    }

    /// Whether the locale groups thousands with a space (`1 234,56`).
    pub fn space_grouping(&self) -> bool {
        self.separators().is_some_and(|(_, group)| group.chars().next().is_some_and(char::is_whitespace))
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

/// The order of day, month and year in a strftime date format.
fn order_of_format(fmt: &str) -> Option<DateOrder> {
    let find = |alts: &[&str]| alts.iter().filter_map(|a| fmt.find(a)).min();
    let (d, m, y) = (find(&["%d", "%e", "%-d"])?, find(&["%m", "%-m", "%b"])?, find(&["%Y", "%y"])?);
    Some(if y < m && m < d {
        DateOrder::YearMonthDay
    } else if m < d {
        DateOrder::MonthDayYear
    } else {
        DateOrder::DayMonthYear
    })
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
        assert_eq!(ch.separators(), Some((".", "’")), "1’234.56");
    }

    #[test]
    fn separators_come_from_the_locale_data() {
        let sep = |lang: &str| Locale::with_language(lang).separators();
        for lang in ["de", "es", "it", "nl", "pt", "id"] {
            assert!(Locale::with_language(lang).decimal_comma(), "{lang}");
        }
        for lang in ["fr", "pl", "lv"] {
            let l = Locale::with_language(lang);
            assert!(l.decimal_comma() && l.space_grouping(), "{lang}: {:?}", sep(lang));
        }
        for lang in ["en", "ms", "ja", "zh"] {
            assert!(!Locale::with_language(lang).decimal_comma(), "{lang}");
        }
        assert_eq!(sep("xx"), None);
        assert_eq!(Locale::with_language("lv").country(), Some("LV"));
        assert_eq!(Locale::with_region("de", "AT").country(), Some("AT"));
        assert!(!Locale::with_language("").decimal_comma());
        assert!(Locale::with_region("fr", "CA").decimal_comma());
        assert!(!Locale::with_region("es", "MX").decimal_comma());
    }

    #[test]
    fn date_order_comes_from_the_locale_data() {
        assert_eq!(Locale::with_region("en", "US").region_date_order(), Some(DateOrder::MonthDayYear));
        assert_eq!(Locale::with_region("en", "GB").region_date_order(), Some(DateOrder::DayMonthYear));
        assert_eq!(Locale::with_region("de", "DE").region_date_order(), Some(DateOrder::DayMonthYear));
        // Latvian data writes `2022.02.09.`; a date ending in its year still
        // reads day first under that order (see `RawDate::resolve`).
        assert_eq!(Locale::with_region("lv", "LV").region_date_order(), Some(DateOrder::YearMonthDay));
        assert_eq!(Locale::with_region("hu", "HU").region_date_order(), Some(DateOrder::YearMonthDay));
        assert_eq!(Locale::with_region("", "PH").region_date_order(), Some(DateOrder::MonthDayYear), "bare region");
    }

    #[test]
    fn a_language_list_reads_in_its_first_language() {
        assert_eq!(Locale::from_document(&doc("de,en", &[])).language, "de");
        assert_eq!(Locale::from_document(&doc(" LV ", &[])).language, "lv");
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
