//! The parsers every extractor needs, from Folio's own extractors
//! (`folio-extract`): dates as printed (`25/12/2018`, `05 MAR 2018`,
//! `5. März 2024`), money (`1.234,56 €`, `RM9.75`, `(0.17)`, OCR'd `1O.5O`)
//! and labels (`Sub-Total:` matches `subtotal`, `KOPĀ` matches `kopa`).
//!
//! ```
//! use folio_plugin_sdk::parse::{self, DateOrder};
//! use folio_plugin_sdk::{Date, Money};
//! assert_eq!(parse::date("03/04/2024", DateOrder::DayMonthYear), Some(Date::new(2024, 4, 3)));
//! assert_eq!(parse::date("5. März 2024", DateOrder::MonthDayYear), Some(Date::new(2024, 3, 5)));
//! assert_eq!(parse::money("1.234,56 EUR", true), Some(Money::new(1234.56, Some("EUR"))));
//! assert_eq!(parse::label_value("Sub-Total:   12.50", &["subtotal"]), Some("12.50"));
//! ```

use crate::{Date, Money};
use folio_extract::money::NumberFormat;
use folio_extract::text::alnum_key;

/// Order of day, month and year in an all-numeric date (`03/04/2024`).
pub use folio_extract::locale::DateOrder;

/// A date written as the whole of `text` (surrounding punctuation ignored).
/// Numeric dates are read in `order` unless unambiguous (`25/12/2018` is
/// day-first whatever `order` says; `2018-03-25` is year-first); named
/// months in English and the languages Folio reads need no order.
pub fn date(text: &str, order: DateOrder) -> Option<Date> {
    let raw = folio_extract::date::parse_date(text.trim())?;
    let order = raw.order_evidence().unwrap_or(order);
    let d = raw.resolve(order)?;
    Some(Date::new(d.year, d.month, d.day))
}

/// The first date among the whitespace-separated tokens of `text` (`Due on
/// 5 March 2024 net`): tries runs of up to four tokens, longest first.
pub fn find_date(text: &str, order: DateOrder) -> Option<Date> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    (0..tokens.len()).find_map(|i| (1..=4.min(tokens.len() - i)).rev().find_map(|n| date(&tokens[i..i + n].join(" "), order)))
}

/// The last amount of money in `text` (`Total: 1,234.50 EUR` -> 1234.5 EUR):
/// amounts usually end a line. `decimal_comma`: the document writes
/// `1.234,56` (a token like `12,50` decides for itself when unambiguous).
/// The currency is an ISO 4217 code read from a symbol or code next to the
/// amount (`€`, `RM`, `EUR`); a bare `$` stays unresolved (`None`).
pub fn money(text: &str, decimal_comma: bool) -> Option<Money> {
    let format = if decimal_comma { NumberFormat::COMMA } else { NumberFormat::POINT };
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let (i, amount) = tokens.iter().enumerate().rev().find_map(|(i, t)| {
        let a = folio_extract::money::parse_amount(t, format)?;
        // A bare integer next to nothing that looks like money is not an amount.
        (a.decimals > 0 || a.currency.is_some() || tokens.len() == 1).then_some((i, a))
    })?;
    let code = |t: &&str| folio_extract::money::currency_of_token(t);
    let currency = amount
        .currency
        .as_deref()
        .and_then(|c| if c.len() == 3 { Some(c) } else { folio_extract::money::currency_of_token(c) })
        .or_else(|| tokens.get(i + 1).and_then(code))
        .or_else(|| i.checked_sub(1).and_then(|j| tokens.get(j)).and_then(code))
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()));
    Some(Money::new(amount.value, currency))
}

/// The value after a label at the start of `text`, when one of `labels`
/// matches: case, diacritics, spaces and punctuation are ignored
/// (`Invoice No.:` matches `invoice no`), and the separator after the label
/// (`:`, `-`, `#`, `.`) is skipped. `None` when no label matches or nothing
/// follows it.
pub fn label_value<'a>(text: &'a str, labels: &[&str]) -> Option<&'a str> {
    labels.iter().find_map(|label| {
        let want = alnum_key(label);
        if want.is_empty() {
            return None;
        }
        // Walk `text` char by char until its folded letters and digits spell the label.
        let mut seen = String::new();
        for (i, c) in text.char_indices() {
            seen.push_str(&alnum_key(&c.to_string()));
            if seen.len() > want.len() || !want.starts_with(&seen) {
                return None;
            }
            if seen == want {
                let rest = &text[i + c.len_utf8()..];
                // The label must end at a word boundary (`Total` is not `Totalling`).
                if rest.chars().next().is_some_and(char::is_alphanumeric) {
                    return None;
                }
                let value = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '#' | '.' | '=')).trim_end();
                return (!value.is_empty()).then_some(value);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date("2024-03-15", DateOrder::MonthDayYear), Some(Date::new(2024, 3, 15)));
        assert_eq!(date("03/04/2024", DateOrder::MonthDayYear), Some(Date::new(2024, 3, 4)));
        assert_eq!(date("25/12/2018", DateOrder::MonthDayYear), Some(Date::new(2018, 12, 25)));
        assert_eq!(date("OCT 3, 2016", DateOrder::DayMonthYear), Some(Date::new(2016, 10, 3)));
        assert_eq!(date("hello", DateOrder::DayMonthYear), None);
        assert_eq!(find_date("Due on 5 March 2024 net", DateOrder::DayMonthYear), Some(Date::new(2024, 3, 5)));
    }

    #[test]
    fn money_amounts() {
        assert_eq!(money("Total: 1,234.50 EUR", false), Some(Money::new(1234.5, Some("EUR"))));
        assert_eq!(money("Summe 12,50 €", true), Some(Money::new(12.5, Some("EUR"))));
        assert_eq!(money("RM9.75", false), Some(Money::new(9.75, Some("MYR"))));
        assert_eq!(money("$8.20", false), Some(Money::new(8.2, None)));
        assert_eq!(money("no amount here", false), None);
    }

    #[test]
    fn labels() {
        assert_eq!(label_value("Invoice No.: 42", &["invoice no"]), Some("42"));
        assert_eq!(label_value("TOTAL   12.50", &["subtotal", "total"]), Some("12.50"));
        assert_eq!(label_value("Totalling 3", &["total"]), None);
        assert_eq!(label_value("Total:", &["total"]), None);
        assert_eq!(label_value("KOPĀ: 5", &["kopa"]), Some("5"));
    }
}
