//! Labels and their roles, one file per language (`vocab/<code>.toml`,
//! embedded so the component stays self-contained). Adding a language is
//! adding a file here and to [`FILES`].
//!
//! [`Vocabulary::for_language`] gives a document's language's labels, then
//! those of the languages its file names in `also`, then English (prices,
//! brands and codes on European receipts are often English), each phrase
//! normalised once and kept only under its first role.

use crate::layout::label_fold;
use crate::text::alnum_key;
use crate::totals::Role;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

/// Every vocabulary file, by ISO 639-1 code.
const FILES: &[(&str, &str)] = &[
    ("en", include_str!("../vocab/en.toml")),
    ("ms", include_str!("../vocab/ms.toml")),
    ("id", include_str!("../vocab/id.toml")),
    ("de", include_str!("../vocab/de.toml")),
    ("fr", include_str!("../vocab/fr.toml")),
    ("es", include_str!("../vocab/es.toml")),
    ("it", include_str!("../vocab/it.toml")),
    ("nl", include_str!("../vocab/nl.toml")),
    ("pt", include_str!("../vocab/pt.toml")),
    ("pl", include_str!("../vocab/pl.toml")),
    ("lv", include_str!("../vocab/lv.toml")),
];

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SummaryFile {
    #[serde(default)]
    not_money: Vec<String>,
    #[serde(default)]
    discount: Vec<String>,
    #[serde(default)]
    subtotal: Vec<String>,
    #[serde(default)]
    amount_due: Vec<String>,
    #[serde(default)]
    total_final: Vec<String>,
    #[serde(default)]
    total: Vec<String>,
    #[serde(default)]
    total_weak: Vec<String>,
    #[serde(default)]
    rounding: Vec<String>,
    #[serde(default)]
    service_charge: Vec<String>,
    #[serde(default)]
    tip: Vec<String>,
    #[serde(default)]
    tax: Vec<String>,
    #[serde(default)]
    change: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PaymentFile {
    #[serde(default)]
    other: Vec<String>,
    #[serde(default)]
    cash: Vec<String>,
    #[serde(default)]
    visa: Vec<String>,
    #[serde(default)]
    mastercard: Vec<String>,
    #[serde(default)]
    amex: Vec<String>,
    #[serde(default)]
    credit_card: Vec<String>,
    #[serde(default)]
    debit_card: Vec<String>,
    #[serde(default)]
    card: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FieldsFile {
    #[serde(default)]
    invoice_number: Vec<String>,
    #[serde(default)]
    invoice_title: Vec<String>,
    #[serde(default)]
    invoice_date: Vec<String>,
    #[serde(default)]
    document_date: Vec<String>,
    #[serde(default)]
    due_date: Vec<String>,
    #[serde(default)]
    other_date: Vec<String>,
    #[serde(default)]
    purchase_order: Vec<String>,
    #[serde(default)]
    tax_id: Vec<String>,
    #[serde(default)]
    time: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageFile {
    language: String,
    #[serde(default)]
    also: Vec<String>,
    #[serde(default)]
    summary: SummaryFile,
    #[serde(default)]
    payment: PaymentFile,
    #[serde(default)]
    fields: FieldsFile,
}

/// One language file, checked and in a flat form.
struct Parsed {
    also: Vec<String>,
    /// (phrase, role, method, amount due), in file order.
    summary: Vec<(String, Role, Option<Method>, bool)>,
    fields: Vec<(Field, Vec<String>)>,
}

fn parse(code: &str, text: &str) -> Result<Parsed, String> {
    let f: LanguageFile = toml::from_str(text).map_err(|e| format!("vocab/{code}.toml: {e}"))?;
    if f.language != code {
        return Err(format!("vocab/{code}.toml says language = {:?}", f.language));
    }
    let s = f.summary;
    let mut summary = Vec::new();
    let mut add = |list: Vec<String>, role: Role, method: Option<Method>, due: bool| {
        summary.extend(list.into_iter().map(|p| (p, role, method, due)));
    };
    add(s.not_money, Role::NotMoney, None, false);
    add(s.discount, Role::Discount, None, false);
    add(s.subtotal, Role::Subtotal, None, false);
    add(s.amount_due, Role::Total(3), None, true);
    add(s.total_final, Role::Total(3), None, false);
    add(s.total, Role::Total(2), None, false);
    add(s.total_weak, Role::Total(1), None, false);
    add(s.rounding, Role::Rounding, None, false);
    add(s.service_charge, Role::ServiceCharge, None, false);
    add(s.tip, Role::Tip, None, false);
    add(s.tax, Role::Tax, None, false);
    add(s.change, Role::Change, None, false);
    let p = f.payment;
    add(p.other, Role::Paid, Some(Method::Other), false);
    add(p.cash, Role::Paid, Some(Method::Cash), false);
    add(p.visa, Role::Paid, Some(Method::Visa), false);
    add(p.mastercard, Role::Paid, Some(Method::Mastercard), false);
    add(p.amex, Role::Paid, Some(Method::Amex), false);
    add(p.credit_card, Role::Paid, Some(Method::CreditCard), false);
    add(p.debit_card, Role::Paid, Some(Method::DebitCard), false);
    add(p.card, Role::Paid, Some(Method::Card), false);
    let d = f.fields;
    let fields = vec![
        (Field::InvoiceNumber, d.invoice_number),
        (Field::InvoiceTitle, d.invoice_title),
        (Field::InvoiceDate, d.invoice_date),
        (Field::DocumentDate, d.document_date),
        (Field::DueDate, d.due_date),
        (Field::OtherDate, d.other_date),
        (Field::PurchaseOrder, d.purchase_order),
        (Field::TaxId, d.tax_id),
        (Field::Time, d.time),
    ];
    for phrase in summary.iter().map(|s| &s.0).chain(fields.iter().flat_map(|(_, l)| l)) {
        if normalise(phrase).is_empty() {
            return Err(format!("vocab/{code}.toml: {phrase:?} normalises to nothing"));
        }
    }
    Ok(Parsed { also: f.also, summary, fields })
}

/// The form labels are compared in (see [`crate::layout::Row::find_label`]).
pub fn normalise(phrase: &str) -> String {
    label_fold(&alnum_key(phrase))
}

fn parsed(code: &str) -> Option<&'static Parsed> {
    static ALL: OnceLock<HashMap<&'static str, Parsed>> = OnceLock::new();
    ALL.get_or_init(|| {
        FILES
            .iter()
            .filter_map(|(code, text)| match parse(code, text) {
                Ok(p) => Some((*code, p)),
                // The files are tested; a broken one is skipped, never a panic.
                Err(_) => None,
            })
            .collect()
    })
    .get(code)
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
        let code = code.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        let code = if parsed(&code).is_some() { code } else { "en".to_string() };
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
            if let Some((known, _)) = FILES.iter().find(|(k, _)| *k == c)
                && !languages.contains(known)
            {
                languages.push(known);
            }
        };
        push(code, &mut languages);
        for also in parsed(code).map(|p| p.also.as_slice()).unwrap_or(&[]) {
            push(also, &mut languages);
        }
        push("en", &mut languages);
        if code == "en" {
            for also in parsed("en").map(|p| p.also.as_slice()).unwrap_or(&[]) {
                push(also, &mut languages);
            }
        }
        let mut summary: Vec<SummaryLabel> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut fields: HashMap<Field, Vec<String>> = HashMap::new();
        let mut field_seen: HashMap<Field, HashSet<String>> = HashMap::new();
        for lang in &languages {
            let Some(p) = parsed(lang) else { continue };
            for (phrase, role, method, due) in &p.summary {
                let key = normalise(phrase);
                // A phrase keeps the role of the first language that has it.
                if !seen.insert(key.clone()) {
                    continue;
                }
                let words = phrase.split_whitespace().map(normalise).filter(|w| !w.is_empty()).collect();
                summary.push(SummaryLabel { phrase: phrase.clone(), role: *role, method: *method, amount_due: *due, key, words });
            }
            for (field, list) in &p.fields {
                let seen = field_seen.entry(*field).or_default();
                let out = fields.entry(*field).or_default();
                out.extend(list.iter().filter(|l| seen.insert(normalise(l))).cloned());
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
    fn every_file_parses_and_every_phrase_normalises() {
        for (code, text) in FILES {
            let p = parse(code, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(!p.summary.is_empty() || code == &"ms", "{code} has no summary labels");
            for also in &p.also {
                assert!(FILES.iter().any(|(c, _)| c == also), "{code} reads along {also}, which has no file");
            }
        }
    }

    #[test]
    fn no_phrase_has_two_roles_within_a_language() {
        for (code, text) in FILES {
            let p = parse(code, text).unwrap();
            let mut roles: HashMap<String, (Role, Option<Method>, bool)> = HashMap::new();
            for (phrase, role, method, due) in &p.summary {
                // The same role twice (`subtotal`, `sub total`) is only a spelling.
                if let Some(prev) = roles.insert(normalise(phrase), (*role, *method, *due))
                    && prev != (*role, *method, *due)
                {
                    panic!("{code}: {phrase:?} is both {prev:?} and {:?}", (role, method, due));
                }
            }
            // Field labels: one field each, except that a due date is also
            // not the document's date (the date lists are disjoint).
            let mut owner: HashMap<String, Field> = HashMap::new();
            for (field, list) in &p.fields {
                for phrase in list {
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
        assert_eq!(Vocabulary::for_language("en").languages, ["en", "ms"]);
        assert_eq!(Vocabulary::for_language("xx").languages, ["en", "ms"], "unknown reads as English");
        assert_eq!(Vocabulary::for_language("").languages, ["en", "ms"]);
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
        assert_eq!(role(Vocabulary::for_language("en"), "Summe"), None, "German labels stay out of English documents");
        assert!(Vocabulary::for_language("de").labels(Field::TaxId).contains(&"ust idnr"));
        assert_eq!(Vocabulary::for_language("de").labels(Field::InvoiceTitle), ["rechnung", "invoice"]);
    }
}
