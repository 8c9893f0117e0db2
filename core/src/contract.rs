//! The plugin contract's rules that are not WIT: its version, its output
//! limits and the validation of what a plugin returns. One owner for each:
//! the host enforces them (`host/src/plugins`), the plugin SDK re-exports
//! them (`folio_plugin_sdk::limits`, `folio_plugin_sdk::testing::validate`)
//! so that a plugin's own `cargo test` fails where the host would, and the
//! edge sizes what it stores from [`limits`].
//!
//! The WIT itself lives with the SDK (`plugins/sdk/wit/since_vX.Y.Z/`), one
//! frozen directory per contract version.

/// The newest `folio:extractor` contract version: what the SDK builds
/// plugins against. Its WIT is `plugins/sdk/wit/since_v{CONTRACT_VERSION}/`
/// (a test in the SDK checks that the package line says so).
pub const CONTRACT_VERSION: &str = "0.2.0";

/// Every contract version a host of this build loads plugins of, oldest
/// first. Each has a frozen WIT directory and a host bindings module.
pub const SUPPORTED_CONTRACT_VERSIONS: &[&str] = &["0.1.0", CONTRACT_VERSION];

/// `major.minor.patch` of a version string, if it is one.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let out = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(out)
}

/// Whether a plugin built against contract `plugin` can be served by the
/// bindings of contract `host`: the same major version, and for 0.x (where
/// each minor release may change shapes) the same minor version.
pub fn contract_compatible(plugin: &str, host: &str) -> bool {
    match (parse_version(plugin), parse_version(host)) {
        (Some(p), Some(h)) if h.0 == 0 => p.0 == 0 && p.1 == h.1,
        (Some(p), Some(h)) => p.0 == h.0,
        _ => false,
    }
}

/// The supported version whose bindings serve a plugin of contract `plugin`.
pub fn supported_version_for(plugin: &str) -> Option<&'static str> {
    SUPPORTED_CONTRACT_VERSIONS.iter().rev().copied().find(|h| contract_compatible(plugin, h))
}

/// What a plugin may return, and how big a stored result may get.
///
/// The chain, smallest first: a plugin's output text ([`MAX_OUTPUT_TEXT_BYTES`](limits::MAX_OUTPUT_TEXT_BYTES))
/// becomes one document record at the edge, JSON and per-field detail
/// included ([`MAX_DOCUMENT_RECORD_BYTES`](limits::MAX_DOCUMENT_RECORD_BYTES)), and a host's `complete` request
/// carries the records of one job ([`MAX_COMPLETE_BODY_BYTES`](limits::MAX_COMPLETE_BODY_BYTES)). The
/// compile-time checks below keep that order.
pub mod limits {
    /// Fields per document.
    pub const MAX_FIELDS: usize = 256;
    /// Tables per document.
    pub const MAX_TABLES: usize = 16;
    /// Rows per table.
    pub const MAX_TABLE_ROWS: usize = 5_000;
    /// Columns per table.
    pub const MAX_TABLE_COLUMNS: usize = 32;
    /// Warnings per document.
    pub const MAX_WARNINGS: usize = 64;
    /// Bytes of one text value or warning.
    pub const MAX_TEXT_BYTES: usize = 16 << 10;
    /// Bytes of a field or table key.
    pub const MAX_KEY_BYTES: usize = 64;
    /// Text bytes of one plugin output in all (1 MiB).
    pub const MAX_OUTPUT_TEXT_BYTES: usize = 1 << 20;
    /// Bytes of one stored document result at the edge (1.5 MB).
    pub const MAX_DOCUMENT_RECORD_BYTES: usize = 1_500_000;
    /// Bytes of a host's `complete` request body (16 MiB).
    pub const MAX_COMPLETE_BODY_BYTES: usize = 16 << 20;

    // The order of the chain, checked when core compiles.
    const _: () = assert!(MAX_TEXT_BYTES < MAX_OUTPUT_TEXT_BYTES);
    const _: () = assert!(MAX_OUTPUT_TEXT_BYTES < MAX_DOCUMENT_RECORD_BYTES);
    const _: () = assert!(MAX_DOCUMENT_RECORD_BYTES < MAX_COMPLETE_BODY_BYTES);
}

/// A plugin's output in plain Rust: the shape every contract version's
/// `extraction` record has, so one validator serves the host (whatever
/// version the plugin speaks) and the SDK's test helpers.
pub mod output {
    use super::limits;
    use std::collections::HashSet;

    /// A box in page pixels: left, top, width, height.
    pub type Bbox = [f32; 4];

    /// A field's or cell's value (WIT `field-value`).
    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        /// Text.
        Text(String),
        /// A number; must be finite.
        Number(f64),
        /// An amount; `currency` an ISO 4217 code when known.
        Money {
            /// The amount; must be finite.
            amount: f64,
            /// ISO 4217 code (`EUR`).
            currency: Option<String>,
        },
        /// A calendar date.
        Date {
            /// 1..=9999.
            year: i32,
            /// 1..=12.
            month: u8,
            /// 1..=31, and a day of that month.
            day: u8,
        },
        /// Yes or no.
        Boolean(bool),
    }

    /// Where a value was read (WIT `source-ref`).
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct SourceRef {
        /// 1-based page number; the page must exist.
        pub page: u32,
        /// Must lie inside the page (within [`EDGE_TOLERANCE`]).
        pub bbox: Bbox,
    }

    /// One extracted value (WIT `field`).
    #[derive(Clone, Debug, PartialEq)]
    pub struct Field {
        /// camelCase, unique among fields and tables.
        pub key: String,
        /// The value.
        pub value: Value,
        /// 0..1.
        pub confidence: f32,
        /// Where it was read, if known.
        pub source: Option<SourceRef>,
    }

    /// One row of a table (WIT `table-row`).
    #[derive(Clone, Debug, PartialEq)]
    pub struct TableRow {
        /// One per column; `None` for an empty cell.
        pub cells: Vec<Option<Value>>,
        /// 0..1.
        pub confidence: f32,
        /// Where it was read, if known.
        pub source: Option<SourceRef>,
    }

    /// A table such as `lineItems` (WIT `table`).
    #[derive(Clone, Debug, PartialEq)]
    pub struct Table {
        /// camelCase, unique among fields and tables.
        pub name: String,
        /// camelCase column keys, each once.
        pub columns: Vec<String>,
        /// The rows.
        pub rows: Vec<TableRow>,
    }

    /// What `extract` returned (WIT `extraction`).
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Extraction {
        /// The fields.
        pub fields: Vec<Field>,
        /// The tables.
        pub tables: Vec<Table>,
        /// 0..1, the overall confidence.
        pub confidence: f32,
        /// Warnings for the API user.
        pub warnings: Vec<String>,
    }

    /// A page of the input document, as far as validation needs it.
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct PageSize {
        /// 1-based.
        pub number: u32,
        /// Pixels.
        pub width: f32,
        /// Pixels.
        pub height: f32,
    }

    /// The limits validation applies ([`Default`]: the contract's, from [`limits`]).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Limits {
        /// Fields per document.
        pub max_fields: usize,
        /// Tables per document.
        pub max_tables: usize,
        /// Rows per table.
        pub max_table_rows: usize,
        /// Columns per table.
        pub max_table_columns: usize,
        /// Warnings per document.
        pub max_warnings: usize,
        /// Bytes of one text value or warning.
        pub max_text_bytes: usize,
        /// Text bytes in all.
        pub max_output_bytes: usize,
    }

    impl Default for Limits {
        fn default() -> Self {
            Limits {
                max_fields: limits::MAX_FIELDS,
                max_tables: limits::MAX_TABLES,
                max_table_rows: limits::MAX_TABLE_ROWS,
                max_table_columns: limits::MAX_TABLE_COLUMNS,
                max_warnings: limits::MAX_WARNINGS,
                max_text_bytes: limits::MAX_TEXT_BYTES,
                max_output_bytes: limits::MAX_OUTPUT_TEXT_BYTES,
            }
        }
    }

    /// OCR boxes are floats; a box may overhang its page by this much (pixels).
    pub const EDGE_TOLERANCE: f32 = 1.0;

    /// Checks everything the host relies on before converting a plugin's
    /// output. The error names the first problem found.
    pub fn validate(x: &Extraction, pages: &[PageSize], limits: &Limits) -> Result<(), String> {
        let mut v = Validator { pages, limits, keys: HashSet::new(), bytes: 0 };
        if x.fields.len() > limits.max_fields {
            return Err(format!("too many fields: {} (limit {})", x.fields.len(), limits.max_fields));
        }
        if x.tables.len() > limits.max_tables {
            return Err(format!("too many tables: {} (limit {})", x.tables.len(), limits.max_tables));
        }
        if x.warnings.len() > limits.max_warnings {
            return Err(format!("too many warnings: {} (limit {})", x.warnings.len(), limits.max_warnings));
        }
        confidence("the overall confidence", x.confidence)?;
        for f in &x.fields {
            let what = format!("field `{}`", clip(&f.key));
            v.new_key(&f.key, "field")?;
            v.value(&what, &f.value)?;
            confidence(&what, f.confidence)?;
            v.source(&what, f.source.as_ref())?;
        }
        for t in &x.tables {
            let what = format!("table `{}`", clip(&t.name));
            v.new_key(&t.name, "table")?;
            if t.columns.is_empty() || t.columns.len() > limits.max_table_columns {
                return Err(format!("{what} has {} columns (allowed 1..={})", t.columns.len(), limits.max_table_columns));
            }
            for (i, c) in t.columns.iter().enumerate() {
                key_syntax(c).map_err(|e| format!("{what} column: {e}"))?;
                if t.columns[..i].contains(c) {
                    return Err(format!("{what} has column `{c}` twice"));
                }
            }
            if t.rows.len() > limits.max_table_rows {
                return Err(format!("{what} has too many rows: {} (limit {})", t.rows.len(), limits.max_table_rows));
            }
            for (i, row) in t.rows.iter().enumerate() {
                let row_what = format!("{what} row {}", i + 1);
                if row.cells.len() != t.columns.len() {
                    return Err(format!("{row_what} has {} cells for {} columns", row.cells.len(), t.columns.len()));
                }
                for (cell, column) in row.cells.iter().zip(&t.columns) {
                    if let Some(value) = cell {
                        v.value(&format!("{row_what} column `{column}`"), value)?;
                    }
                }
                confidence(&row_what, row.confidence)?;
                v.source(&row_what, row.source.as_ref())?;
            }
        }
        for (i, w) in x.warnings.iter().enumerate() {
            v.text(&format!("warning {}", i + 1), w)?;
        }
        Ok(())
    }

    struct Validator<'a> {
        pages: &'a [PageSize],
        limits: &'a Limits,
        keys: HashSet<&'a str>,
        /// Text bytes seen so far, against `max_output_bytes`.
        bytes: usize,
    }

    impl<'a> Validator<'a> {
        fn new_key(&mut self, key: &'a str, kind: &str) -> Result<(), String> {
            key_syntax(key).map_err(|e| format!("{kind} key: {e}"))?;
            if !self.keys.insert(key) {
                return Err(format!("key `{key}` is used twice"));
            }
            Ok(())
        }

        fn value(&mut self, what: &str, value: &Value) -> Result<(), String> {
            match value {
                Value::Text(s) => self.text(what, s),
                Value::Number(n) => finite(what, *n),
                Value::Money { amount, currency } => {
                    finite(what, *amount)?;
                    match currency {
                        Some(c) if !is_currency_code(c) => {
                            Err(format!("{what}: currency {:?} is not an ISO 4217 code such as EUR", clip(c)))
                        }
                        _ => Ok(()),
                    }
                }
                Value::Date { year, month, day } => {
                    if calendar_date(*year, *month, *day).is_none() {
                        return Err(format!("{what}: {year}-{month}-{day} is not a calendar date"));
                    }
                    Ok(())
                }
                Value::Boolean(_) => Ok(()),
            }
        }

        fn text(&mut self, what: &str, s: &str) -> Result<(), String> {
            if s.len() > self.limits.max_text_bytes {
                return Err(format!("{what}: text is {} bytes (limit {})", s.len(), self.limits.max_text_bytes));
            }
            self.bytes += s.len();
            if self.bytes > self.limits.max_output_bytes {
                return Err(format!("output text exceeds {} bytes in total", self.limits.max_output_bytes));
            }
            Ok(())
        }

        fn source(&self, what: &str, source: Option<&SourceRef>) -> Result<(), String> {
            let Some(src) = source else { return Ok(()) };
            let Some(page) = self.pages.iter().find(|p| p.number == src.page) else {
                return Err(format!("{what}: source page {} does not exist (the document has {} pages)", src.page, self.pages.len()));
            };
            let [left, top, width, height] = src.bbox;
            if src.bbox.iter().any(|n| !n.is_finite()) || width < 0.0 || height < 0.0 {
                return Err(format!("{what}: box {} is not a box", fmt_box(&src.bbox)));
            }
            let inside = left >= -EDGE_TOLERANCE
                && top >= -EDGE_TOLERANCE
                && left + width <= page.width + EDGE_TOLERANCE
                && top + height <= page.height + EDGE_TOLERANCE;
            if !inside {
                return Err(format!(
                    "{what}: box {} is not inside page {} ({} x {})",
                    fmt_box(&src.bbox),
                    page.number,
                    page.width,
                    page.height
                ));
            }
            Ok(())
        }
    }

    /// camelCase: a lowercase letter, then ASCII letters and digits.
    pub fn key_syntax(key: &str) -> Result<(), String> {
        let ok = !key.is_empty()
            && key.len() <= limits::MAX_KEY_BYTES
            && key.as_bytes()[0].is_ascii_lowercase()
            && key.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(())
        } else {
            Err(format!("`{}` is not a camelCase key (such as invoiceNumber, at most {} bytes)", clip(key), limits::MAX_KEY_BYTES))
        }
    }

    fn confidence(what: &str, c: f32) -> Result<(), String> {
        if c.is_finite() && (0.0..=1.0).contains(&c) { Ok(()) } else { Err(format!("{what}: confidence {c} is not within 0..1")) }
    }

    fn finite(what: &str, n: f64) -> Result<(), String> {
        if n.is_finite() { Ok(()) } else { Err(format!("{what}: number {n} is not finite")) }
    }

    fn is_currency_code(c: &str) -> bool {
        c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
    }

    /// The date, if it is one in years 1..=9999.
    pub fn calendar_date(year: i32, month: u8, day: u8) -> Option<chrono::NaiveDate> {
        if !(1..=9999).contains(&year) {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(year, month.into(), day.into())
    }

    fn fmt_box(b: &Bbox) -> String {
        format!("[{}, {}, {}, {}]", b[0], b[1], b[2], b[3])
    }

    /// A plugin-supplied string, shortened for an error message.
    pub fn clip(s: &str) -> String {
        let mut out: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
        if out.len() < s.len() && s.chars().count() > 80 {
            out.push('…');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::output::*;
    use super::*;

    #[test]
    fn versions_and_compatibility() {
        assert!(contract_compatible("0.1.0", "0.1.0"));
        assert!(contract_compatible("0.1.7", "0.1.0"));
        assert!(!contract_compatible("0.2.0", "0.1.0"));
        assert!(!contract_compatible("1.1.0", "0.1.0"));
        assert!(contract_compatible("1.0.0", "1.3.0"));
        assert!(!contract_compatible("2.0.0", "1.3.0"));
        assert!(!contract_compatible("latest", "0.1.0"));
        assert_eq!(supported_version_for("0.1.3"), Some("0.1.0"));
        assert_eq!(supported_version_for(CONTRACT_VERSION), Some(CONTRACT_VERSION));
        assert_eq!(supported_version_for("0.3.0"), None);
        assert_eq!(SUPPORTED_CONTRACT_VERSIONS.last(), Some(&CONTRACT_VERSION));
    }

    fn page() -> [PageSize; 1] {
        [PageSize { number: 1, width: 100.0, height: 100.0 }]
    }

    fn field(key: &str, confidence: f32, bbox: Bbox) -> Field {
        Field { key: key.into(), value: Value::Number(1.0), confidence, source: Some(SourceRef { page: 1, bbox }) }
    }

    #[test]
    fn validation_names_the_first_problem() {
        let ok = Extraction { fields: vec![field("total", 0.9, [0.0, 0.0, 10.0, 10.0])], ..Default::default() };
        validate(&ok, &page(), &Limits::default()).unwrap();
        let bad = |f: Field| validate(&Extraction { fields: vec![f], ..Default::default() }, &page(), &Limits::default()).unwrap_err();
        assert_eq!(bad(field("total", 1.5, [0.0; 4])), "field `total`: confidence 1.5 is not within 0..1");
        assert!(bad(field("total", 0.5, [95.0, 0.0, 10.0, 10.0])).contains("is not inside page 1"));
        assert!(bad(field("Total", 0.5, [0.0; 4])).contains("not a camelCase key"));
    }
}
