//! The `language` parameter: ISO 639-1 codes, the three-letter codes, lists
//! for mixed documents and `auto`, and the Tesseract model (traineddata) each
//! language is read with. The one owner of these rules for edge, host and CLI.
//!
//! The code table is ours, not a crate's: it is the set of languages Tesseract
//! ships models for (no crate knows that), and the ISO 639-2/B aliases are the
//! 20 fixed ones of the standard; a full ISO 639-3 crate would add ~8000 names
//! to the worker's wasm for nothing. `scripts/setup` reads this table too.

use crate::error::{ApiError, ErrorCode};
use std::fmt;

/// ISO 639-1 code, Tesseract traineddata name (the ISO 639-2/T code except
/// `chi_sim`), and the other three-letter codes (ISO 639-2/B, 639-3) naming it.
/// A language missing here is not a valid `language`.
const LANGUAGES: &[(&str, &str, &[&str])] = &[
    ("af", "afr", &[]),
    ("ar", "ara", &[]),
    ("az", "aze", &[]),
    ("be", "bel", &[]),
    ("bg", "bul", &[]),
    ("bn", "ben", &[]),
    ("bs", "bos", &[]),
    ("ca", "cat", &[]),
    ("cs", "ces", &["cze"]),
    ("cy", "cym", &["wel"]),
    ("da", "dan", &[]),
    ("de", "deu", &["ger"]),
    ("el", "ell", &["gre"]),
    ("en", "eng", &[]),
    ("eo", "epo", &[]),
    ("es", "spa", &[]),
    ("et", "est", &[]),
    ("eu", "eus", &["baq"]),
    ("fa", "fas", &["per"]),
    ("fi", "fin", &[]),
    ("fr", "fra", &["fre"]),
    ("ga", "gle", &[]),
    ("gl", "glg", &[]),
    ("gu", "guj", &[]),
    ("he", "heb", &[]),
    ("hi", "hin", &[]),
    ("hr", "hrv", &[]),
    ("hu", "hun", &[]),
    ("hy", "hye", &["arm"]),
    ("id", "ind", &[]),
    ("is", "isl", &["ice"]),
    ("it", "ita", &[]),
    ("ja", "jpn", &[]),
    ("ka", "kat", &["geo"]),
    ("kk", "kaz", &[]),
    ("km", "khm", &[]),
    ("kn", "kan", &[]),
    ("ko", "kor", &[]),
    ("la", "lat", &[]),
    ("lt", "lit", &[]),
    ("lv", "lav", &[]),
    ("mk", "mkd", &["mac"]),
    ("ml", "mal", &[]),
    ("mn", "mon", &[]),
    ("mr", "mar", &[]),
    ("ms", "msa", &["may"]),
    ("mt", "mlt", &[]),
    ("my", "mya", &["bur"]),
    ("ne", "nep", &[]),
    ("nl", "nld", &["dut"]),
    ("no", "nor", &[]),
    ("pa", "pan", &[]),
    ("pl", "pol", &[]),
    ("pt", "por", &[]),
    ("ro", "ron", &["rum"]),
    ("ru", "rus", &[]),
    ("sk", "slk", &["slo"]),
    ("sl", "slv", &[]),
    ("sq", "sqi", &["alb"]),
    ("sr", "srp", &[]),
    ("sv", "swe", &[]),
    ("sw", "swa", &[]),
    ("ta", "tam", &[]),
    ("te", "tel", &[]),
    ("th", "tha", &[]),
    ("tl", "tgl", &[]),
    ("tr", "tur", &[]),
    ("uk", "ukr", &[]),
    ("ur", "urd", &[]),
    ("uz", "uzb", &[]),
    ("vi", "vie", &[]),
    ("zh", "chi_sim", &["zho", "chi"]),
];

/// The spec's default: "Primary language of the document (ISO 639-1 code) Default: en".
pub const DEFAULT_LANGUAGE: &str = "en";

/// `language=auto`: detect the language from a first OCR pass.
pub const AUTO: &str = "auto";

/// Most languages one `language` list may name (each costs an OCR pass of every page).
pub const MAX_LANGUAGES: usize = 5;

/// One language with a Tesseract model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang {
    code: &'static str,
    model: &'static str,
}

impl Lang {
    /// ISO 639-1 code, Tesseract model name or other three-letter code, any case.
    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        LANGUAGES
            .iter()
            .find(|(c, m, other)| *c == code || *m == code || other.contains(&code.as_str()))
            .map(|(c, m, _)| Lang { code: c, model: m })
    }

    /// The language whose Tesseract model is `model` (e.g. `deu`).
    pub fn from_model(model: &str) -> Option<Lang> {
        LANGUAGES.iter().find(|(_, m, _)| *m == model).map(|(c, m, _)| Lang { code: c, model: m })
    }

    /// ISO 639-1, e.g. `de`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Tesseract traineddata name, e.g. `deu`.
    pub fn tesseract_model(self) -> &'static str {
        self.model
    }

    pub fn is_english(self) -> bool {
        self.code == "en"
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A parsed `language`: `auto`, or one or more languages, first = primary.
/// On the wire (job messages, stored options) it is its canonical string:
/// `de`, `de,en`, `auto`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LanguageSpec {
    Auto,
    List(Vec<Lang>),
}

impl LanguageSpec {
    /// Syntax and known codes only: case-insensitive, entries trimmed,
    /// duplicates dropped (first kept), at most [`MAX_LANGUAGES`].
    pub fn parse(input: &str) -> Result<LanguageSpec, ApiError> {
        let err = |m: String| ApiError::new(ErrorCode::UnsupportedLanguage, m);
        let trimmed = input.trim();
        if trimmed.eq_ignore_ascii_case(AUTO) {
            return Ok(LanguageSpec::Auto);
        }
        if trimmed.is_empty() {
            return Err(err("language is empty: use an ISO 639-1 code such as \"en\", a list such as \"de,en\", or \"auto\"".into()));
        }
        let entries: Vec<&str> = trimmed.split(',').map(str::trim).collect();
        if entries.len() > MAX_LANGUAGES {
            return Err(err(format!("language names {} languages; at most {MAX_LANGUAGES} are allowed in one list", entries.len())));
        }
        let mut langs: Vec<Lang> = Vec::with_capacity(entries.len());
        for entry in entries {
            if entry.is_empty() {
                return Err(err(format!("language {input:?} has an empty entry: separate codes with single commas, e.g. \"de,en\"")));
            }
            if entry.eq_ignore_ascii_case(AUTO) {
                return Err(err(format!("language {input:?}: \"auto\" cannot be combined with other languages")));
            }
            let lang = Lang::parse(entry).ok_or_else(|| {
                err(format!(
                    "Unknown language {entry:?}: use an ISO 639-1 code such as \"de\", a three-letter code such as \"deu\", a comma-separated list such as \"de,en\", or \"auto\""
                ))
            })?;
            if !langs.contains(&lang) {
                langs.push(lang);
            }
        }
        Ok(LanguageSpec::List(langs))
    }

    /// Every listed language must have a model installed (`installed`: ISO 639-1
    /// codes); `auto` needs English, its first pass.
    pub fn check_installed(&self, installed: &[&str]) -> Result<(), ApiError> {
        let needed: Vec<&str> = match self {
            LanguageSpec::Auto => vec![DEFAULT_LANGUAGE],
            LanguageSpec::List(langs) => langs.iter().map(|l| l.code()).collect(),
        };
        let missing: Vec<&str> = needed.into_iter().filter(|c| !installed.contains(c)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::UnsupportedLanguage,
            format!(
                "language {} {} on this deployment (installed: {}); an operator adds it with `scripts/setup --languages {}`",
                missing.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", "),
                if missing.len() == 1 { "is not installed" } else { "are not installed" },
                if installed.is_empty() { "none".to_string() } else { installed.join(", ") },
                missing.join(",")
            ),
        ))
    }

    /// The languages named, empty for `auto`.
    pub fn languages(&self) -> &[Lang] {
        match self {
            LanguageSpec::Auto => &[],
            LanguageSpec::List(l) => l,
        }
    }

    /// The first listed language; `None` for `auto`.
    pub fn primary(&self) -> Option<Lang> {
        self.languages().first().copied()
    }

    pub fn is_auto(&self) -> bool {
        matches!(self, LanguageSpec::Auto)
    }
}

impl fmt::Display for LanguageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LanguageSpec::Auto => f.write_str(AUTO),
            LanguageSpec::List(langs) => {
                let codes: Vec<&str> = langs.iter().map(|l| l.code()).collect();
                f.write_str(&codes.join(","))
            }
        }
    }
}

impl std::str::FromStr for LanguageSpec {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, ApiError> {
        LanguageSpec::parse(s)
    }
}

/// Parses `language` and checks it against the installed languages (ISO 639-1 codes).
pub fn parse_language(input: &str, installed: &[&str]) -> Result<LanguageSpec, ApiError> {
    let spec = LanguageSpec::parse(input)?;
    spec.check_installed(installed)?;
    Ok(spec)
}

/// The Tesseract model name for an ISO 639-1 code, if the code is known.
pub fn tesseract_model(iso639_1: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(c, _, _)| *c == iso639_1).map(|(_, m, _)| *m)
}

/// The ISO 639-1 code whose Tesseract model is `model` (e.g. `eng` -> `en`),
/// used to name installed traineddata files in ISO terms.
pub fn iso639_1_for_model(model: &str) -> Option<&'static str> {
    Lang::from_model(model).map(Lang::code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<LanguageSpec, ApiError>) -> String {
        r.map(|s| s.to_string()).unwrap_or_else(|e| format!("ERR {:?}: {}", e.code, e.message))
    }

    #[test]
    fn maps_models() {
        assert_eq!(tesseract_model("en"), Some("eng"));
        assert_eq!(tesseract_model("de"), Some("deu"));
        assert_eq!(iso639_1_for_model("eng"), Some("en"));
        assert_eq!(iso639_1_for_model("chi_sim"), Some("zh"));
        assert_eq!(iso639_1_for_model("osd"), None);
        // Every code, model and alias names exactly one language.
        let mut seen = std::collections::HashSet::new();
        for (c, m, other) in LANGUAGES {
            assert_eq!(c.len(), 2, "{c}");
            for name in [c, m].into_iter().chain(other.iter()) {
                assert!(seen.insert(*name), "{name} twice");
            }
        }
    }

    #[test]
    fn parses_codes_lists_and_auto() {
        let all = LANGUAGES.iter().map(|(c, _, _)| *c).collect::<Vec<_>>();
        for (input, want) in [
            ("de", "de"),
            ("DE", "de"),
            (" de ", "de"),
            ("deu", "de"),
            ("ger", "de"),
            ("GER", "de"),
            ("fra", "fr"),
            ("fre", "fr"),
            ("ces", "cs"),
            ("cze", "cs"),
            ("zho", "zh"),
            ("chi_sim", "zh"),
            ("msa", "ms"),
            ("de,en", "de,en"),
            ("de, EN ,fra", "de,en,fr"),
            ("de,deu,ger,en,de", "de,en"),
            ("auto", "auto"),
            ("AUTO", "auto"),
        ] {
            assert_eq!(code(parse_language(input, &all)), want, "{input}");
        }
        let spec = LanguageSpec::parse("fr,de").unwrap();
        assert_eq!(spec.primary().map(Lang::code), Some("fr"));
        assert_eq!(spec.languages().iter().map(|l| l.tesseract_model()).collect::<Vec<_>>(), ["fra", "deu"]);
        assert_eq!(LanguageSpec::parse("auto").unwrap().primary(), None);
        // The canonical string parses back to itself.
        assert_eq!("de,en".parse::<LanguageSpec>().unwrap().to_string(), "de,en");
    }

    #[test]
    fn refuses_bad_input_precisely() {
        let all = LANGUAGES.iter().map(|(c, _, _)| *c).collect::<Vec<_>>();
        for (input, says) in [
            ("", "empty"),
            ("   ", "empty"),
            (",", "empty entry"),
            ("de,", "empty entry"),
            ("de,,en", "empty entry"),
            ("xx", "Unknown language \"xx\""),
            ("de,klingon", "Unknown language \"klingon\""),
            ("english", "Unknown language \"english\""),
            ("d", "Unknown language"),
            ("auto,de", "cannot be combined"),
            ("de,en,fr,es,it,pl", "6 languages; at most 5"),
        ] {
            let e = parse_language(input, &all).unwrap_err();
            assert_eq!(e.code, ErrorCode::UnsupportedLanguage, "{input}");
            assert!(e.message.contains(says), "{input}: {}", e.message);
        }
        let fifty = vec!["de"; 50].join(",");
        assert!(parse_language(&fifty, &all).unwrap_err().message.contains("50 languages"));
    }

    #[test]
    fn refuses_languages_not_installed() {
        let e = parse_language("lv", &["en", "de"]).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedLanguage);
        assert!(e.message.contains("\"lv\" is not installed"), "{}", e.message);
        assert!(e.message.contains("installed: en, de"), "{}", e.message);
        assert!(e.message.contains("scripts/setup --languages lv"), "{}", e.message);
        let e = parse_language("de,lv,pl", &["en", "de"]).unwrap_err();
        assert!(e.message.contains("\"lv\", \"pl\" are not installed"), "{}", e.message);
        assert!(e.message.contains("--languages lv,pl"), "{}", e.message);
        parse_language("de,en", &["en", "de"]).unwrap();
        parse_language("auto", &["en"]).unwrap();
        assert!(parse_language("auto", &["de"]).unwrap_err().message.contains("\"en\" is not installed"));
    }
}
