//! ISO 639-1 language codes and the Tesseract model (traineddata) names they map to.

use crate::error::{ApiError, ErrorCode};

/// ISO 639-1 code -> Tesseract traineddata name, for the languages Tesseract
/// ships models for. A code missing here is not a valid `language`.
const LANGUAGES: &[(&str, &str)] = &[
    ("af", "afr"),
    ("ar", "ara"),
    ("az", "aze"),
    ("be", "bel"),
    ("bg", "bul"),
    ("bn", "ben"),
    ("bs", "bos"),
    ("ca", "cat"),
    ("cs", "ces"),
    ("cy", "cym"),
    ("da", "dan"),
    ("de", "deu"),
    ("el", "ell"),
    ("en", "eng"),
    ("eo", "epo"),
    ("es", "spa"),
    ("et", "est"),
    ("eu", "eus"),
    ("fa", "fas"),
    ("fi", "fin"),
    ("fr", "fra"),
    ("ga", "gle"),
    ("gl", "glg"),
    ("gu", "guj"),
    ("he", "heb"),
    ("hi", "hin"),
    ("hr", "hrv"),
    ("hu", "hun"),
    ("hy", "hye"),
    ("id", "ind"),
    ("is", "isl"),
    ("it", "ita"),
    ("ja", "jpn"),
    ("ka", "kat"),
    ("kk", "kaz"),
    ("km", "khm"),
    ("kn", "kan"),
    ("ko", "kor"),
    ("la", "lat"),
    ("lt", "lit"),
    ("lv", "lav"),
    ("mk", "mkd"),
    ("ml", "mal"),
    ("mn", "mon"),
    ("mr", "mar"),
    ("ms", "msa"),
    ("mt", "mlt"),
    ("my", "mya"),
    ("ne", "nep"),
    ("nl", "nld"),
    ("no", "nor"),
    ("pa", "pan"),
    ("pl", "pol"),
    ("pt", "por"),
    ("ro", "ron"),
    ("ru", "rus"),
    ("sk", "slk"),
    ("sl", "slv"),
    ("sq", "sqi"),
    ("sr", "srp"),
    ("sv", "swe"),
    ("sw", "swa"),
    ("ta", "tam"),
    ("te", "tel"),
    ("th", "tha"),
    ("tl", "tgl"),
    ("tr", "tur"),
    ("uk", "ukr"),
    ("ur", "urd"),
    ("uz", "uzb"),
    ("vi", "vie"),
    ("zh", "chi_sim"),
];

/// The spec's default: "Primary language of the document (ISO 639-1 code) Default: en".
pub const DEFAULT_LANGUAGE: &str = "en";

/// The Tesseract model name for an ISO 639-1 code, if the code is known.
pub fn tesseract_model(iso639_1: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(c, _)| *c == iso639_1).map(|(_, m)| *m)
}

/// The ISO 639-1 code whose Tesseract model is `model` (e.g. `eng` -> `en`),
/// used to name installed traineddata files in ISO terms.
pub fn iso639_1_for_model(model: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(_, m)| *m == model).map(|(c, _)| *c)
}

/// Validates `language` against ISO 639-1 and the installed languages.
/// `installed` lists ISO 639-1 codes with a model available.
pub fn validate_language(code: &str, installed: &[&str]) -> Result<(), ApiError> {
    let code_ok = code.len() == 2 && tesseract_model(code).is_some();
    if !code_ok {
        return Err(ApiError::new(
            ErrorCode::UnsupportedLanguage,
            format!("Invalid language {code:?}: use an ISO 639-1 code such as \"en\""),
        ));
    }
    if !installed.contains(&code) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedLanguage,
            format!("Language {code:?} is not installed; installed: {}", installed.join(", ")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_validates() {
        assert_eq!(tesseract_model("en"), Some("eng"));
        assert_eq!(tesseract_model("de"), Some("deu"));
        assert_eq!(iso639_1_for_model("eng"), Some("en"));
        assert_eq!(iso639_1_for_model("chi_sim"), Some("zh"));
        assert_eq!(iso639_1_for_model("osd"), None);
        validate_language("en", &["en"]).unwrap();
        let e = validate_language("de", &["en"]).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedLanguage);
        assert!(e.message.contains("installed: en"), "{}", e.message);
        assert!(validate_language("eng", &["en"]).is_err());
        assert!(validate_language("EN", &["en"]).is_err());
    }
}
