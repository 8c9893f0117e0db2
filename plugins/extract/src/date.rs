//! Dates and times as printed on invoices and receipts: `25/12/2018`,
//! `12-03-18`, `2016/05/01`, `05 MAR 2018`, `02/JAN/2017`, `OCT 3, 2016`,
//! `5. März 2024`, `3rd of March 2018`. Numeric dates are parsed into their
//! raw parts first; whether `03/04/2018` is the 3rd of April or the 4th of
//! March is decided per document by [`infer_order`].

use crate::locale::{DateOrder, Locale};
use crate::model::Date;
use crate::text::{fold, repair_numeric};

/// A date as written, before the day/month order is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawDate {
    /// Three numbers; `year_first` for `2018-03-25` style.
    Numeric { first: u32, second: u32, year: i32, year_first: bool },
    /// The month is spelled out, so there is no ambiguity.
    Named(Date),
}

impl RawDate {
    /// The calendar date under `order` (ignored for named and year-first dates).
    pub fn resolve(&self, order: DateOrder) -> Option<Date> {
        match *self {
            RawDate::Named(d) => Some(d),
            RawDate::Numeric { first, second, year, year_first: true } => Date::new(year, first as u8, second as u8),
            RawDate::Numeric { first, second, year, .. } => {
                let (day, month) = match order {
                    DateOrder::MonthDayYear => (second, first),
                    _ => (first, second),
                };
                if day > 31 || month > 12 {
                    return None;
                }
                Date::new(year, month as u8, day as u8)
            }
        }
    }

    /// What this date says about the document's order: a first part above 12
    /// means day-first, a second part above 12 means month-first.
    pub fn order_evidence(&self) -> Option<DateOrder> {
        match *self {
            RawDate::Numeric { first, second, year_first: false, .. } => {
                if first > 12 && second <= 12 {
                    Some(DateOrder::DayMonthYear)
                } else if second > 12 && first <= 12 {
                    Some(DateOrder::MonthDayYear)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// True when both orders give a valid, different date.
    pub fn is_ambiguous(&self) -> bool {
        match *self {
            RawDate::Numeric { first, second, year_first: false, .. } => first != second && first <= 12 && second <= 12,
            _ => false,
        }
    }
}

/// Full, abbreviated and alternative (nominative where the full form is
/// genitive, as Polish `marca`/`marzec`) month names of the locales whose
/// languages have a vocabulary (see [`crate::vocab`]), from glibc's data.
macro_rules! month_names {
    ($($loc:ident),* $(,)?) => {
        &[$({
            use pure_rust_locales::$loc::LC_TIME as T;
            [Some(T::MON), Some(T::ABMON), T::ALT_MON, T::AB_ALT_MON]
        }),*]
    };
}
const MONTH_LOCALES: &[[Option<&[&str]>; 4]] =
    month_names!(en_US, ms_MY, id_ID, de_DE, de_AT, fr_FR, es_ES, it_IT, nl_NL, pt_PT, pt_BR, pl_PL, lv_LV);

/// Spellings in use that the locale data lacks: English `Sept`, French
/// `Avr`, German `Mrz` and transliterated `Maerz`/`Jaenner`, Indonesian
/// `Agt`/`Nop`.
const EXTRA_MONTHS: &[(&str, u8)] = &[("SEPT", 9), ("AVR", 4), ("MRZ", 3), ("MAERZ", 3), ("JAENNER", 1), ("AGT", 8), ("NOP", 11)];

/// Folded month name -> month number.
fn months() -> &'static std::collections::HashMap<String, u8> {
    static MONTHS: std::sync::OnceLock<std::collections::HashMap<String, u8>> = std::sync::OnceLock::new();
    MONTHS.get_or_init(|| {
        let mut map: std::collections::HashMap<String, u8> = EXTRA_MONTHS.iter().map(|(n, m)| (n.to_string(), *m)).collect();
        for lists in MONTH_LOCALES {
            for list in lists.iter().flatten() {
                for (i, name) in list.iter().enumerate().take(12) {
                    let key = fold(name.trim_end_matches('.'));
                    if key.chars().count() >= 3 {
                        map.entry(key).or_insert(i as u8 + 1);
                    }
                }
            }
        }
        // Latvian dates decline the month (glibc has only the nominative
        // `maijs`, `janvāris`): genitive `maija`, `janvāra`, locative `maijā`,
        // `janvārī`. Folded, `ā` and `ī` are `A` and `I`.
        for (i, name) in pure_rust_locales::lv_LV::LC_TIME::MON.iter().enumerate() {
            let key = fold(name);
            let forms = match key.strip_suffix("IS") {
                Some(stem) => vec![format!("{stem}A"), format!("{stem}I")],
                None => key.strip_suffix('S').map(|stem| vec![format!("{stem}A")]).unwrap_or_default(),
            };
            for form in forms {
                map.entry(form).or_insert(i as u8 + 1);
            }
        }
        map
    })
}

/// Month number of a (folded) month name or abbreviation. `Mar.`, `MARCH`,
/// `März` and `Mac` all give 3.
pub fn month_number(word: &str) -> Option<u8> {
    let word = word.trim_end_matches('.');
    // OCR reads `0CT` for `OCT`.
    let fixed;
    let word = match word.strip_prefix('0') {
        Some(rest) if rest.len() >= 2 && rest.chars().all(char::is_alphabetic) => {
            fixed = format!("O{rest}");
            fixed.as_str()
        }
        _ => word,
    };
    if !word.chars().all(char::is_alphabetic) {
        return None;
    }
    let w = fold(word);
    if w.len() < 3 {
        return None;
    }
    months().get(&w).copied()
}

fn expand_year(y: u32, digits: usize) -> Option<i32> {
    match digits {
        4 if (1900..=2199).contains(&y) => Some(y as i32),
        2 => Some(if y < 70 { 2000 + y as i32 } else { 1900 + y as i32 }),
        _ => None,
    }
}

/// Parses one string (a token or a few tokens joined with spaces) that is
/// entirely a date. Leading/trailing punctuation is ignored.
pub fn parse_date(s: &str) -> Option<RawDate> {
    let s = s.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '*'));
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    if let Some(d) = parse_numeric(s) {
        return Some(d);
    }
    if s.chars().any(|c| c.is_alphabetic()) {
        if let Some(d) = parse_named(s) {
            return Some(RawDate::Named(d));
        }
        // `2O18/O3/25`: OCR letters in an otherwise numeric date.
        if !s.contains(' ')
            && let Some(fixed) = repair_numeric(s)
        {
            return parse_numeric(&fixed);
        }
    }
    None
}

/// `d/m/y`, `m/d/y`, `y/m/d` with `/`, `-` or `.` and 2- or 4-digit years.
fn parse_numeric(s: &str) -> Option<RawDate> {
    let sep = s.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let parts: Vec<&str> = if parts.len() == 4 && parts[3].is_empty() && sep == '.' { parts[..3].to_vec() } else { parts };
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap()).collect();
    let l: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    if l[0] == 4 {
        if l[1] > 2 || l[2] > 2 {
            return None;
        }
        let year = expand_year(n[0], 4)?;
        Date::new(year, n[1] as u8, n[2] as u8)?;
        return Some(RawDate::Numeric { first: n[1], second: n[2], year, year_first: true });
    }
    if l[0] > 2 || l[1] > 2 || !(l[2] == 2 || l[2] == 4) {
        return None;
    }
    let year = expand_year(n[2], l[2])?;
    let raw = RawDate::Numeric { first: n[0], second: n[1], year, year_first: false };
    // At least one order must give a real date.
    if raw.resolve(DateOrder::DayMonthYear).is_none() && raw.resolve(DateOrder::MonthDayYear).is_none() {
        return None;
    }
    Some(raw)
}

/// Day, month name and year in any of the usual orders.
fn parse_named(s: &str) -> Option<Date> {
    let pieces: Vec<&str> = s
        .split([' ', '/', '-', '.', ',', '\''])
        .filter(|p| !p.is_empty())
        // Latvian `2025. gada 19. maijs`: "gada" is "of the year".
        .filter(|p| !matches!(fold(p).as_str(), "DE" | "OF" | "DEL" | "THE" | "GADA"))
        .collect();
    if pieces.len() != 3 {
        return None;
    }
    let num = |p: &str| -> Option<(u32, usize)> {
        let digits: &str = p.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let suffix = &p[digits.len()..];
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Ordinals: 1st, 2nd, 3rd, 4th, 1er, 3e.
        if !suffix.is_empty() && !matches!(fold(suffix).as_str(), "ST" | "ND" | "RD" | "TH" | "ER" | "E" | "O") {
            return None;
        }
        Some((digits.parse().ok()?, digits.len()))
    };
    let (day, month, year) = if let Some(m) = month_number(pieces[1]) {
        // 05 MAR 2018, 2018 Mar 05
        let (a, al) = num(pieces[0])?;
        let (c, cl) = num(pieces[2])?;
        if al == 4 { (c, m, expand_year(a, 4)?) } else { (a, m, expand_year(c, cl)?) }
    } else if let Some(m) = month_number(pieces[0]) {
        // OCT 3, 2016
        let (b, bl) = num(pieces[1])?;
        let (c, cl) = num(pieces[2])?;
        if bl > 2 {
            return None;
        }
        (b, m, expand_year(c, cl)?)
    } else if let Some(m) = month_number(pieces[2]) {
        // 2025 19 maijs (Latvian: year, day, month)
        let (a, al) = num(pieces[0])?;
        let (b, bl) = num(pieces[1])?;
        if al != 4 || bl > 2 {
            return None;
        }
        (b, m, expand_year(a, 4)?)
    } else {
        return None;
    };
    Date::new(year, month, day.try_into().ok()?)
}

/// A date found in a row of tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundDate {
    pub raw: RawDate,
    /// Token range `[start, end)` within the row.
    pub start: usize,
    pub end: usize,
}

/// Finds the dates in a sequence of tokens, trying up to five tokens
/// joined by spaces (`05 MAR 2018`, `OCT 3, 2016`) before single tokens.
pub fn find_dates(tokens: &[&str]) -> Vec<FoundDate> {
    let mut out = Vec::new();
    // Which tokens name a month (alone or inside `02/JAN/2017`).
    let month: Vec<bool> = tokens
        .iter()
        .map(|t| {
            t.chars().filter(|c| c.is_alphabetic()).count() >= 3
                && (month_number(t.trim_matches(|c: char| !c.is_alphanumeric())).is_some()
                    || t.split(['/', '-', '.', ',']).any(|p| month_number(p).is_some()))
        })
        .collect();
    let mut i = 0;
    while i < tokens.len() {
        let mut found = None;
        for len in (1..=5usize).rev() {
            if i + len > tokens.len() {
                continue;
            }
            // Multi-token dates need a month name; single ones a digit.
            if len > 1 && !month[i..i + len].iter().any(|m| *m) {
                continue;
            }
            if len == 1 && !tokens[i].chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            // A window starts and ends on real content, not a stray `:`.
            if !tokens[i].chars().any(char::is_alphanumeric) || !tokens[i + len - 1].chars().any(char::is_alphanumeric) {
                continue;
            }
            let joined = tokens[i..i + len].join(" ");
            if let Some(raw) = parse_date(&joined) {
                found = Some(FoundDate { raw, start: i, end: i + len });
                break;
            }
        }
        // A date spaced after its dots: `09. 02. 2022`.
        if found.is_none() && i + 3 <= tokens.len() {
            let short = |t: &str| t.len() <= 3 && t.ends_with('.') && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit()) && t.len() > 1;
            let (a, b, c) = (tokens[i], tokens[i + 1], tokens[i + 2]);
            let year = c.trim_end_matches('.');
            if short(a)
                && short(b)
                && year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && let Some(raw @ RawDate::Numeric { .. }) = parse_numeric(&format!("{a}{b}{year}"))
            {
                found = Some(FoundDate { raw, start: i, end: i + 3 });
            }
        }
        // A date glued to its label by OCR: `Dater11/03/18`, `DATE:25/12/2018`.
        if found.is_none() {
            let t = tokens[i];
            let rest = t.trim_start_matches(|c: char| c.is_alphabetic() || c == ':' || c == '.');
            if rest.len() < t.len()
                && rest.len() >= 6
                && rest.starts_with(|c: char| c.is_ascii_digit())
                && let Some(raw @ RawDate::Numeric { .. }) = parse_date(rest)
            {
                found = Some(FoundDate { raw, start: i, end: i + 1 });
            }
        }
        match found {
            Some(f) => {
                i = f.end;
                out.push(f);
            }
            None => i += 1,
        }
    }
    out
}

/// Day/month order for the document: evidence from its own dates first
/// (any `25/12/...` settles it), then the caller's locale, then the
/// currency (a dollar-only document with no region leans month-first only
/// when the caller said USD), else day-first, the majority convention.
pub fn infer_order<'a>(dates: impl Iterator<Item = &'a RawDate>, locale: &Locale) -> DateOrder {
    infer_order_with_evidence(dates, locale).0
}

/// [`infer_order`], and whether the document's own dates decided it.
pub fn infer_order_with_evidence<'a>(dates: impl Iterator<Item = &'a RawDate>, locale: &Locale) -> (DateOrder, bool) {
    let (mut dmy, mut mdy) = (0, 0);
    for d in dates {
        match d.order_evidence() {
            Some(DateOrder::DayMonthYear) => dmy += 1,
            Some(DateOrder::MonthDayYear) => mdy += 1,
            _ => {}
        }
    }
    if dmy != mdy {
        return (if dmy > mdy { DateOrder::DayMonthYear } else { DateOrder::MonthDayYear }, true);
    }
    let order = match locale.region_date_order() {
        Some(DateOrder::MonthDayYear) => DateOrder::MonthDayYear,
        Some(_) => DateOrder::DayMonthYear,
        None if locale.currency.as_deref() == Some("USD") => DateOrder::MonthDayYear,
        None => DateOrder::DayMonthYear,
    };
    (order, false)
}

/// A time of day, `HH:MM` or `HH:MM:SS`, 24-hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    pub hour: u8,
    pub minute: u8,
    pub second: Option<u8>,
}

impl Time {
    pub fn format(&self) -> String {
        match self.second {
            Some(s) => format!("{:02}:{:02}:{:02}", self.hour, self.minute, s),
            None => format!("{:02}:{:02}", self.hour, self.minute),
        }
    }
}

/// Parses `8:13:39`, `14:03`, `09:41AM`, `7.10 pm` (with the AM/PM marker
/// glued on or given as `meridiem`, the next token).
pub fn parse_time(token: &str, meridiem: Option<&str>) -> Option<(Time, bool)> {
    let t = token.trim_matches(|c: char| matches!(c, ',' | '(' | ')' | ';'));
    let upper = t.to_ascii_uppercase();
    let (body, glued) = if let Some(b) = upper.strip_suffix("AM").or_else(|| upper.strip_suffix("A.M.")) {
        (b.trim_end().to_string(), Some(false))
    } else if let Some(b) = upper.strip_suffix("PM").or_else(|| upper.strip_suffix("P.M.")) {
        (b.trim_end().to_string(), Some(true))
    } else {
        (upper.clone(), None)
    };
    let next = meridiem.map(|m| m.trim_matches(|c: char| !c.is_alphabetic()).to_ascii_uppercase());
    let (pm, used_next) = match (glued, next.as_deref()) {
        (Some(pm), _) => (Some(pm), false),
        (None, Some("AM")) | (None, Some("A")) => (Some(false), true),
        (None, Some("PM")) | (None, Some("P")) => (Some(true), true),
        _ => (None, false),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if parts[1].len() != 2 {
        return None;
    }
    let mut hour: u8 = parts[0].parse().ok()?;
    let minute: u8 = parts[1].parse().ok()?;
    let second: Option<u8> = if parts.len() == 3 { Some(parts[2].parse().ok()?) } else { None };
    if minute > 59 || second.is_some_and(|s| s > 59) || hour > 23 {
        return None;
    }
    match pm {
        Some(true) if (1..12).contains(&hour) => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        Some(_) if hour > 12 || hour == 0 => return None,
        _ => {}
    }
    Some((Time { hour, minute, second }, used_next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dmy(s: &str) -> Option<String> {
        parse_date(s)?.resolve(DateOrder::DayMonthYear).map(|d| d.iso())
    }
    fn mdy(s: &str) -> Option<String> {
        parse_date(s)?.resolve(DateOrder::MonthDayYear).map(|d| d.iso())
    }

    #[test]
    fn latvian_long_dates_are_year_first_and_decline_the_month() {
        assert_eq!(dmy("2025. gada 19. maijs").as_deref(), Some("2025-05-19"), "nominative");
        assert_eq!(dmy("2025. gada 18. jūnija").as_deref(), Some("2025-06-18"), "genitive");
        assert_eq!(dmy("2024. gada 3. decembrī").as_deref(), Some("2024-12-03"), "locative");
        assert_eq!(dmy("2025. gada 1. janvāra").as_deref(), Some("2025-01-01"));
        assert_eq!(dmy("2025 19 2025"), None);
    }

    #[test]
    fn numeric_dates_in_both_orders() {
        assert_eq!(dmy("25/12/2018").as_deref(), Some("2018-12-25"));
        assert_eq!(mdy("25/12/2018"), None, "no 25th month");
        assert_eq!(dmy("03/04/2018").as_deref(), Some("2018-04-03"));
        assert_eq!(mdy("03/04/2018").as_deref(), Some("2018-03-04"));
        assert_eq!(dmy("18-10-17").as_deref(), Some("2017-10-18"));
        assert_eq!(dmy("5.3.2018").as_deref(), Some("2018-03-05"));
        assert_eq!(dmy("24.12.2023.").as_deref(), Some("2023-12-24"));
        assert_eq!(dmy("2016/05/01").as_deref(), Some("2016-05-01"), "year first is never ambiguous");
        assert_eq!(mdy("2016-05-01").as_deref(), Some("2016-05-01"));
        assert_eq!(dmy("31/02/2018"), None, "no 31st of February");
        assert_eq!(dmy("29/02/2020").as_deref(), Some("2020-02-29"));
        assert_eq!(dmy("07-5547360"), None, "phone numbers are not dates");
        assert_eq!(dmy("12.50"), None);
    }

    #[test]
    fn named_months_in_several_languages() {
        assert_eq!(dmy("05 MAR 2018").as_deref(), Some("2018-03-05"));
        assert_eq!(mdy("05 MAR 2018").as_deref(), Some("2018-03-05"), "a month name settles the order");
        assert_eq!(dmy("02/JAN/2017").as_deref(), Some("2017-01-02"));
        assert_eq!(dmy("OCT 3, 2016").as_deref(), Some("2016-10-03"));
        assert_eq!(dmy("March 3rd, 2018").as_deref(), Some("2018-03-03"));
        assert_eq!(dmy("3rd of March 2018").as_deref(), Some("2018-03-03"));
        assert_eq!(dmy("5. März 2024").as_deref(), Some("2024-03-05"));
        assert_eq!(dmy("25 de marzo de 2024").as_deref(), Some("2024-03-25"));
        assert_eq!(dmy("1er août 2023").as_deref(), Some("2023-08-01"));
        assert_eq!(dmy("12 Ogos 2019").as_deref(), Some("2019-08-12"), "Malay");
        assert_eq!(dmy("05-Mar-18").as_deref(), Some("2018-03-05"));
        assert_eq!(dmy("2018 Mar 05").as_deref(), Some("2018-03-05"));
        assert_eq!(dmy("14. März 2024").as_deref(), Some("2024-03-14"));
        assert_eq!(dmy("3. Jänner 2024").as_deref(), Some("2024-01-03"), "Austrian");
        assert_eq!(dmy("14 mars 2024").as_deref(), Some("2024-03-14"));
        assert_eq!(dmy("14 févr. 2024").as_deref(), Some("2024-02-14"));
        assert_eq!(dmy("9 de febrero de 2024").as_deref(), Some("2024-02-09"));
        assert_eq!(dmy("14 marzo 2024").as_deref(), Some("2024-03-14"));
        assert_eq!(dmy("14 maart 2024").as_deref(), Some("2024-03-14"));
        assert_eq!(dmy("14 mrt 2024").as_deref(), Some("2024-03-14"));
        assert_eq!(dmy("9 de fevereiro de 2024").as_deref(), Some("2024-02-09"));
        assert_eq!(dmy("14 marca 2024").as_deref(), Some("2024-03-14"), "Polish genitive");
        assert_eq!(dmy("14 marzec 2024").as_deref(), Some("2024-03-14"), "Polish nominative");
        assert_eq!(dmy("9 lutego 2024").as_deref(), Some("2024-02-09"));
        assert_eq!(dmy("9 februāris 2022").as_deref(), Some("2022-02-09"), "Latvian");
        assert_eq!(dmy("9 Sept 2022").as_deref(), Some("2022-09-09"));
    }

    #[test]
    fn no_month_name_means_two_months() {
        let mut seen: std::collections::HashMap<String, u8> = std::collections::HashMap::new();
        for lists in MONTH_LOCALES {
            for list in lists.iter().flatten() {
                assert_eq!(list.len(), 12);
                for (i, name) in list.iter().enumerate() {
                    let key = fold(name.trim_end_matches('.'));
                    if let Some(prev) = seen.insert(key.clone(), i as u8 + 1) {
                        assert_eq!(prev, i as u8 + 1, "{key} is two months");
                    }
                }
            }
        }
    }

    #[test]
    fn ocr_confusions_in_dates() {
        assert_eq!(dmy("2O/1O/2016").as_deref(), Some("2016-10-20"));
        assert_eq!(dmy("l2/03/2018").as_deref(), Some("2018-03-12"));
        assert_eq!(dmy("05 0CT 2018").as_deref(), Some("2018-10-05"));
    }

    #[test]
    fn dates_are_found_across_tokens() {
        let toks = ["DATE:", "25/12/2018", "8:13:39", "PM"];
        let found = find_dates(&toks);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].start, found[0].end), (1, 2));
        let toks = ["DATE", ":", "25", "MAY", "2017", "09:41AM"];
        let found = find_dates(&toks);
        assert_eq!(found[0].raw.resolve(DateOrder::DayMonthYear).unwrap().iso(), "2017-05-25");
        assert_eq!((found[0].start, found[0].end), (2, 5));
        let toks = ["Inv", "No", "sKSBB0051978", "Dater11/03/18", "21:30"];
        let found = find_dates(&toks);
        assert_eq!(found.len(), 1, "OCR glued the label to the date");
        assert_eq!(found[0].raw.resolve(DateOrder::DayMonthYear).unwrap().iso(), "2018-03-11");
        let toks = ["Datums:", "09.", "02.", "2022", "13:45"];
        let found = find_dates(&toks);
        assert_eq!((found[0].start, found[0].end), (1, 4), "Latvian spacing");
        assert_eq!(found[0].raw.resolve(DateOrder::DayMonthYear).unwrap().iso(), "2022-02-09");
        let toks = ["OCT", "3,", "2016", "12:16:25", "PM"];
        assert_eq!(find_dates(&toks)[0].raw.resolve(DateOrder::MonthDayYear).unwrap().iso(), "2016-10-03");
    }

    #[test]
    fn order_comes_from_evidence_then_locale() {
        let ambiguous = parse_date("03/04/2018").unwrap();
        let day_first = parse_date("25/04/2018").unwrap();
        let month_first = parse_date("04/25/2018").unwrap();
        let us = Locale::with_region("en", "US");
        let gb = Locale::with_region("en", "GB");
        let none = Locale::with_language("en");
        assert_eq!(infer_order([ambiguous].iter(), &us), DateOrder::MonthDayYear);
        assert_eq!(infer_order([ambiguous].iter(), &gb), DateOrder::DayMonthYear);
        assert_eq!(infer_order([ambiguous].iter(), &none), DateOrder::DayMonthYear);
        // Evidence beats the locale both ways.
        assert_eq!(infer_order([ambiguous, day_first].iter(), &us), DateOrder::DayMonthYear);
        assert_eq!(infer_order([ambiguous, month_first].iter(), &gb), DateOrder::MonthDayYear);
        assert!(ambiguous.is_ambiguous());
        assert!(!day_first.is_ambiguous());
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("8:13:39", Some("PM")).unwrap().0.format(), "20:13:39");
        assert_eq!(parse_time("14:03", None).unwrap().0.format(), "14:03");
        assert_eq!(parse_time("09:41AM", None).unwrap().0.format(), "09:41");
        assert_eq!(parse_time("12:05AM", None).unwrap().0.format(), "00:05");
        assert_eq!(parse_time("12:05", Some("PM")).unwrap(), (Time { hour: 12, minute: 5, second: None }, true));
        assert_eq!(parse_time("25:00", None), None);
        assert_eq!(parse_time("9.00", None), None);
        assert_eq!(parse_time("13:00", Some("PM")), None);
    }
}
