//! Labels and their roles, one file per language (`vocab/<code>.toml`).
//! build.rs turns the files into static tables, so the component stays
//! self-contained and parses nothing at run time; adding a language is
//! adding a file.
//!
//! [`Vocabulary::for_language`] gives a document's language's labels, then
//! those of the languages its file names in `also`, then English (prices,
//! brands and codes on European receipts are often English), each phrase
//! normalised once and kept only under its first role.

use crate::layout::label_fold;
use crate::text::alnum_key;
use crate::totals::Role;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

/// One vocabulary file, as build.rs read it.
pub(crate) struct LanguageData {
    /// ISO 639-1 code, the file's name.
    pub code: &'static str,
    /// Languages whose labels documents in this one print too.
    pub also: &'static [&'static str],
    /// (phrase, role, method, amount due), in file order.
    pub summary: &'static [(&'static str, Role, Option<Method>, bool)],
    pub fields: &'static [(Field, &'static [&'static str])],
}

include!(concat!(env!("OUT_DIR"), "/vocab_data.rs"));

/// How a payment line says it was paid; the receipt's `paymentMethod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Cash,
    Card,
    CreditCard,
    DebitCard,
    Visa,
    Mastercard,
    Amex,
    Other,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::CreditCard => "credit card",
            Method::DebitCard => "debit card",
            Method::Visa => "visa",
            Method::Mastercard => "mastercard",
            Method::Amex => "amex",
            Method::Other => "other",
        }
    }
}

/// A money-summary label (see [`crate::totals::classify`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryLabel {
    pub phrase: String,
    pub role: Role,
    /// For `Role::Paid`: the method the label names.
    pub method: Option<Method>,
    /// A final total that is what remains to be paid (`amount due`, `zu zahlen`).
    pub amount_due: bool,
    /// The phrase folded as row tokens are ([`label_fold`] of [`alnum_key`]).
    pub key: String,
    /// The same per word, for OCR-tolerant matching.
    pub words: Vec<String>,
}

/// Labels of fields read by position after the label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    InvoiceNumber,
    /// The bare title (`Invoice`, `Rechnung`): the number's label of last resort.
    InvoiceTitle,
    InvoiceDate,
    /// The document's own date on receipts and generic documents.
    DocumentDate,
    DueDate,
    /// Dates that are not the document's (delivery, expiry, ...).
    OtherDate,
    PurchaseOrder,
    TaxId,
    Time,
}

/// The form labels are compared in (see [`crate::layout::Row::find_label`]).
pub fn normalise(phrase: &str) -> String {
    label_fold(&alnum_key(phrase))
}

fn parsed(code: &str) -> Option<&'static LanguageData> {
    FILES.iter().find(|f| f.code == code)
}

/// The labels a document in one language is read with.
#[derive(Debug)]
pub struct Vocabulary {
    /// The languages merged, in priority order.
    pub languages: Vec<&'static str>,
    summary: Vec<SummaryLabel>,
    fields: HashMap<Field, Vec<String>>,
    /// Every word of a summary label, for [`Vocabulary::is_label_word`].
    words: HashSet<String>,
}

impl Vocabulary {
    /// The vocabulary for an ISO 639-1 code (`de`, `DE`, `de-AT`): that
    /// language, the languages it reads along, then English. An unknown or
    /// empty code reads as English.
    pub fn for_language(code: &str) -> &'static Vocabulary {
        static CACHE: OnceLock<Mutex<HashMap<String, &'static Vocabulary>>> = OnceLock::new();
        // A list (`de,en`): every listed language's labels, in its order.
        let codes: Vec<String> = code
            .split(',')
            .map(|c| c.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase())
            .filter(|c| parsed(c).is_some())
            .collect();
        let code = if codes.is_empty() { "en".to_string() } else { codes.join(",") };
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cache.get(&code) {
            return v;
        }
        // Built once per language and kept for the life of the process.
        let v: &'static Vocabulary = Box::leak(Box::new(Vocabulary::build(&code)));
        cache.insert(code, v);
        v
    }

    fn build(code: &str) -> Vocabulary {
        let mut languages: Vec<&'static str> = Vec::new();
        let push = |c: &str, languages: &mut Vec<&'static str>| {
            if let Some(f) = parsed(c)
                && !languages.contains(&f.code)
            {
                languages.push(f.code);
            }
        };
        for listed in code.split(',') {
            push(listed, &mut languages);
            for also in parsed(listed).map(|p| p.also).unwrap_or(&[]) {
                push(also, &mut languages);
            }
        }
        push("en", &mut languages);
        if code == "en" {
            for also in parsed("en").map(|p| p.also).unwrap_or(&[]) {
                push(also, &mut languages);
            }
        }
        let mut summary: Vec<SummaryLabel> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut fields: HashMap<Field, Vec<String>> = HashMap::new();
        let mut field_seen: HashMap<Field, HashSet<String>> = HashMap::new();
        for lang in &languages {
            let Some(p) = parsed(lang) else { continue };
            for (phrase, role, method, due) in p.summary {
                let key = normalise(phrase);
                // A phrase keeps the role of the first language that has it.
                if !seen.insert(key.clone()) {
                    continue;
                }
                let words = phrase.split_whitespace().map(normalise).filter(|w| !w.is_empty()).collect();
                summary.push(SummaryLabel { phrase: phrase.to_string(), role: *role, method: *method, amount_due: *due, key, words });
            }
            for (field, list) in p.fields {
                let seen = field_seen.entry(*field).or_default();
                let out = fields.entry(*field).or_default();
                out.extend(list.iter().filter(|l| seen.insert(normalise(l))).map(|l| l.to_string()));
            }
        }
        let words = summary.iter().flat_map(|s| s.words.iter().cloned()).collect();
        Vocabulary { languages, summary, fields, words }
    }

    /// Money-summary labels, in priority order.
    pub fn summary(&'static self) -> &'static [SummaryLabel] {
        &self.summary
    }

    /// Labels of `field`, most specific first, the document's language first.
    pub fn labels(&'static self, field: Field) -> Vec<&'static str> {
        self.fields.get(&field).map(|l| l.iter().map(String::as_str).collect()).unwrap_or_default()
    }

    /// Labels of several fields, in the order given.
    pub fn labels_of(&'static self, fields: &[Field]) -> Vec<&'static str> {
        fields.iter().flat_map(|f| self.labels(*f)).collect()
    }

    /// Whether a token key (`RECHNUNG`, `REKINS`) is a word of some
    /// language's document title (`invoice_title`): every file's, since a
    /// document's title is never its issuer's name whatever the language.
    pub fn is_title_word(key: &str) -> bool {
        static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
        let words = WORDS.get_or_init(|| {
            FILES
                .iter()
                .flat_map(|f| f.fields.iter())
                .filter(|(field, _)| *field == Field::InvoiceTitle)
                .flat_map(|(_, list)| list.iter().flat_map(|l| l.split_whitespace()).map(normalise))
                .collect()
        });
        !key.is_empty() && words.contains(&label_fold(key))
    }

    /// Whether a folded word is a word of some summary label (so it is not
    /// an OCR misreading of another label: `charge` is not `change`).
    pub fn is_label_word(&self, word: &str) -> bool {
        self.words.contains(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_normalises_and_every_also_has_a_file() {
        assert!(FILES.len() >= 11, "{} files", FILES.len());
        for f in FILES {
            let phrases = f.summary.iter().map(|s| s.0).chain(f.fields.iter().flat_map(|(_, l)| l.iter().copied()));
            for phrase in phrases {
                assert!(!normalise(phrase).is_empty(), "{}: {phrase:?} normalises to nothing", f.code);
            }
            for also in f.also {
                assert!(parsed(also).is_some(), "{} reads along {also}, which has no file", f.code);
            }
        }
    }

    #[test]
    fn no_phrase_has_two_roles_within_a_language() {
        for f in FILES {
            let code = f.code;
            let mut roles: HashMap<String, (Role, Option<Method>, bool)> = HashMap::new();
            for (phrase, role, method, due) in f.summary {
                // The same role twice (`subtotal`, `sub total`) is only a spelling.
                if let Some(prev) = roles.insert(normalise(phrase), (*role, *method, *due))
                    && prev != (*role, *method, *due)
                {
                    panic!("{code}: {phrase:?} is both {prev:?} and {:?}", (role, method, due));
                }
            }
            let mut owner: HashMap<String, Field> = HashMap::new();
            for (field, list) in f.fields {
                for phrase in *list {
                    if let Some(prev) = owner.insert(normalise(phrase), *field)
                        && prev != *field
                    {
                        panic!("{code}: {phrase:?} labels both {prev:?} and {field:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_language_comes_first_then_english() {
        let de = Vocabulary::for_language("de-AT");
        assert_eq!(de.languages, ["de", "en"]);
        // English, the default, also reads the labels the extractor always read.
        let en = ["en", "ms", "de", "fr", "es", "it", "nl"];
        assert_eq!(Vocabulary::for_language("en").languages, en);
        assert_eq!(Vocabulary::for_language("xx").languages, en, "unknown reads as English");
        assert_eq!(Vocabulary::for_language("").languages, en);
        // A mixed document's list: each listed language, then English.
        assert_eq!(Vocabulary::for_language("en,pl").languages, ["en", "ms", "de", "fr", "es", "it", "nl", "pl"]);
        assert_eq!(Vocabulary::for_language("de,fr").languages, ["de", "fr", "en"]);
        let role = |v: &'static Vocabulary, p: &str| v.summary().iter().find(|s| s.key == normalise(p)).map(|s| s.role);
        assert_eq!(role(de, "Gesamtbetrag"), Some(Role::Total(3)));
        assert_eq!(role(de, "TOTAL"), Some(Role::Total(2)), "English as well");
        assert_eq!(role(Vocabulary::for_language("lv"), "KOPĀ EUR"), Some(Role::Total(3)));
        assert_eq!(role(Vocabulary::for_language("fr"), "Montant TTC"), Some(Role::Total(3)));
        assert_eq!(role(Vocabulary::for_language("es"), "Total a pagar"), Some(Role::Total(3)));
        assert_eq!(role(Vocabulary::for_language("it"), "Totale"), Some(Role::Total(2)));
        assert_eq!(role(Vocabulary::for_language("nl"), "Totaal"), Some(Role::Total(2)));
        assert_eq!(role(Vocabulary::for_language("pl"), "Razem"), Some(Role::Total(2)));
        assert_eq!(role(Vocabulary::for_language("pl"), "Suma PLN"), Some(Role::Total(3)));
        // Documents left at the default `en` still read German totals, after English ones.
        assert_eq!(role(Vocabulary::for_language("en"), "Summe"), Some(Role::Total(2)));
        assert_eq!(role(Vocabulary::for_language("en"), "Razem"), None, "Polish labels need language=pl");
        assert!(Vocabulary::for_language("de").labels(Field::TaxId).contains(&"ust idnr"));
        assert_eq!(Vocabulary::for_language("de").labels(Field::InvoiceTitle), ["rechnung", "invoice"]);
    }
}
