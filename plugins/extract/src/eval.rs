//! Scoring against SROIE-style labelled receipts (`company`, `date`,
//! `address`, `total`), shared by `folio eval sroie` and the native
//! harness (`cargo run -p folio-extract --example sroie`).
//!
//! Comparison is a normalised exact match: text fields ignore case, spacing
//! and punctuation; dates compare as calendar dates; totals as numbers.

use crate::date::parse_date;
use crate::locale::DateOrder;
use crate::model::{BBox, Date, Document, Extraction, Line, Page};
use crate::money::{NumberFormat, parse_amount};

pub const FIELDS: [&str; 4] = ["company", "date", "address", "total"];

/// One labelled receipt's expected values, as printed in the key file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expected {
    pub company: String,
    pub date: String,
    pub address: String,
    pub total: String,
}

/// What an extraction said about those fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predicted {
    pub company: Option<String>,
    pub date: Option<Date>,
    pub address: Option<String>,
    pub total: Option<f64>,
}

impl Predicted {
    /// From a receipt extraction: merchantName, date, merchantAddress, totalAmount.
    pub fn from_extraction(e: &Extraction) -> Predicted {
        Predicted {
            company: e.text("merchantName").map(str::to_string),
            date: e.date("date"),
            address: e.text("merchantAddress").map(str::to_string),
            total: e.amount("totalAmount"),
        }
    }

    /// As printed in reports.
    pub fn field(&self, name: &str) -> String {
        match name {
            "company" => self.company.clone().unwrap_or_default(),
            "date" => self.date.map(|d| d.iso()).unwrap_or_default(),
            "address" => self.address.clone().unwrap_or_default(),
            "total" => self.total.map(|t| format!("{t:.2}")).unwrap_or_default(),
            _ => String::new(),
        }
    }
}

impl Expected {
    pub fn field(&self, name: &str) -> &str {
        match name {
            "company" => &self.company,
            "date" => &self.date,
            "address" => &self.address,
            "total" => &self.total,
            _ => "",
        }
    }
}

/// Case, spacing and punctuation folded: only letters and digits, uppercased.
pub fn normalise_text(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// An expected date as printed on the receipt (`25/12/2018`, `05 MAR 2018`,
/// `18-10-17`); numeric dates are read day-first, as the data set prints them.
pub fn parse_expected_date(s: &str) -> Option<Date> {
    parse_date(s.trim())?.resolve(DateOrder::DayMonthYear)
}

/// An expected total (`9.00`, `RM 29.70`, `$8.20`).
pub fn parse_expected_total(s: &str) -> Option<f64> {
    let compact: String = s.split_whitespace().collect();
    parse_amount(&compact, NumberFormat::POINT).map(|a| a.value)
}

/// Per-field match: company, date, address, total.
pub fn score(expected: &Expected, predicted: &Predicted) -> [bool; 4] {
    let text_eq =
        |e: &str, p: &Option<String>| p.as_deref().is_some_and(|p| !normalise_text(e).is_empty() && normalise_text(e) == normalise_text(p));
    let date_ok = match (parse_expected_date(&expected.date), predicted.date) {
        (Some(e), Some(p)) => e == p,
        _ => false,
    };
    let total_ok = match (parse_expected_total(&expected.total), predicted.total) {
        (Some(e), Some(p)) => (e - p).abs() < 0.005,
        _ => false,
    };
    [text_eq(&expected.company, &predicted.company), date_ok, text_eq(&expected.address, &predicted.address), total_ok]
}

/// Parses a `box/NNN.csv` file: `x1,y1,x2,y2,x3,y3,x4,y4,text` per line (the
/// text may contain commas). Malformed lines are skipped.
pub fn parse_box_lines(csv: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for raw in csv.lines() {
        let raw = raw.trim_start_matches('\u{feff}').trim_end_matches('\r');
        let mut parts = raw.splitn(9, ',');
        let coords: Vec<f32> = (0..8).filter_map(|_| parts.next()?.trim().parse().ok()).collect();
        let Some(text) = parts.next() else { continue };
        if coords.len() != 8 || text.trim().is_empty() {
            continue;
        }
        let xs = [coords[0], coords[2], coords[4], coords[6]];
        let ys = [coords[1], coords[3], coords[5], coords[7]];
        let left = xs.iter().copied().fold(f32::MAX, f32::min);
        let right = xs.iter().copied().fold(f32::MIN, f32::max);
        let top = ys.iter().copied().fold(f32::MAX, f32::min);
        let bottom = ys.iter().copied().fold(f32::MIN, f32::max);
        out.push(Line::from_text(text.trim(), BBox::from_ltrb(left, top, right, bottom), 1.0));
    }
    out
}

/// A one-page receipt document from ground-truth box lines.
pub fn document_from_box_lines(lines: Vec<Line>) -> Document {
    let width = lines.iter().map(|l| l.bbox.right()).fold(0.0, f32::max);
    let height = lines.iter().map(|l| l.bbox.bottom()).fold(0.0, f32::max);
    Document { language: "en".into(), hints: Vec::new(), extract_tables: true, pages: vec![Page { number: 1, width, height, lines }] }
}

/// Accuracy counts per field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub documents: usize,
    pub correct: [usize; 4],
}

impl Tally {
    pub fn add(&mut self, s: [bool; 4]) {
        self.documents += 1;
        for (c, ok) in self.correct.iter_mut().zip(s) {
            *c += ok as usize;
        }
    }
    pub fn accuracy(&self, field: usize) -> f64 {
        if self.documents == 0 { 0.0 } else { self.correct[field] as f64 / self.documents as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_comparisons() {
        assert_eq!(normalise_text("BOOK TA .K (TAMAN DAYA) SDN BHD"), normalise_text("book ta.k(taman daya) sdn. bhd"));
        assert_eq!(parse_expected_date("05 MAR 2018").unwrap().iso(), "2018-03-05");
        assert_eq!(parse_expected_date("18-10-17").unwrap().iso(), "2017-10-18");
        assert_eq!(parse_expected_date("2016/05/01").unwrap().iso(), "2016-05-01");
        assert_eq!(parse_expected_total("RM 29.70"), Some(29.7));
        assert_eq!(parse_expected_total("$8.20"), Some(8.2));
        let e =
            Expected { company: "A & B SDN BHD".into(), date: "25/12/2018".into(), address: "NO 1, JALAN X".into(), total: "9.00".into() };
        let p = Predicted {
            company: Some("A&B SDN. BHD.".into()),
            date: Date::new(2018, 12, 25),
            address: Some("NO 1 JALAN Y".into()),
            total: Some(9.0),
        };
        assert_eq!(score(&e, &p), [true, true, false, true]);
        assert_eq!(score(&e, &Predicted::default()), [false; 4]);
    }

    #[test]
    fn box_lines_with_commas_in_text() {
        let lines = parse_box_lines("10,20,110,20,110,40,10,40,NO.53 55,57 & 59, JALAN SAGU 18,\r\nbad line\n1,2,3,4,5,6,7,8,\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "NO.53 55,57 & 59, JALAN SAGU 18,");
        assert_eq!(lines[0].bbox, BBox::from_ltrb(10.0, 20.0, 110.0, 40.0));
    }
}
