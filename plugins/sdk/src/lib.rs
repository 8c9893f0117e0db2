//! # folio-plugin-sdk: write a Folio extractor plugin
//!
//! A Folio extractor plugin is a WASI 0.2 component that implements the
//! `folio:extractor` contract, whose WIT ships with this crate
//! (`wit/since_vX.Y.Z/extractor.wit`, one frozen directory per contract
//! version): the host hands it one OCR'd document and gets typed fields
//! back. This crate hides the generated bindings; a plugin is a `cdylib`
//! crate with one type that implements [`Extractor`] and one
//! [`export_extractor!`] line:
//!
//! ```ignore
//! use folio_plugin_sdk::prelude::*;
//!
//! struct PurchaseOrders;
//!
//! impl Extractor for PurchaseOrders {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("acme-purchase-order", env!("CARGO_PKG_VERSION"))
//!             .document_types(&["purchase-order"])
//!             .description("ACME purchase orders")
//!     }
//!
//!     fn extract(doc: Document) -> Result<Extraction, ExtractError> {
//!         let mut out = Extraction::new();
//!         // Rows: a label and its value on one printed row, even when OCR
//!         // read them as two lines.
//!         for (page, row) in doc.rows() {
//!             if let Some(po) = parse::label_value(&row.text, &["PO Number", "Order No"]) {
//!                 out.push(Field::text("poNumber", po).from_row(page, row));
//!             }
//!         }
//!         Ok(out.with_confidence_from(&["poNumber"]))
//!     }
//! }
//!
//! folio_plugin_sdk::export_extractor!(PurchaseOrders);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` and check it
//! with `folio plugins check target/wasm32-wasip2/release/<crate>.wasm`.
//! `docs/writing-plugins.md` in the Folio repository walks through the whole
//! thing; the crate's README has the contract versions and which hosts load them.
//!
//! What the SDK does for you:
//! - fills [`PluginInfo::contract_version`] with the contract this SDK was
//!   built from ([`CONTRACT_VERSION`]), whatever [`Extractor::info`] returns;
//! - gives the WIT records small constructors and builders ([`Field::text`],
//!   [`Field::money`], [`Table::new`], [`Extraction::with_confidence_from`], ...);
//! - [`parse`]: the date, money and label parsers Folio's own extractors use;
//! - [`info!`]/[`warn!`]/... logging macros that go to the host's log (and to
//!   stderr when the plugin runs natively, e.g. in `cargo test`);
//! - [`testing`]: build [`Document`]s from plain text for native unit tests,
//!   and [`testing::extract`], which runs your extractor and validates its
//!   output exactly as the host does ([`limits`] are the host's limits).
//!
//! What the host enforces (see the Folio docs): a 2 s deadline and a 128 MiB
//! memory cap per document, a fresh instance per document, no filesystem,
//! network or environment, a bounded log, and validation of what you return
//! (keys are unique camelCase, confidences are in 0..1, boxes lie inside their
//! page, numbers are finite, table rows have one cell per column).

// The generated code names this crate by its path so that the export macro
// works from the plugin crate; this makes the same path work inside the SDK.
extern crate self as folio_plugin_sdk;

/// The generated bindings. Use the re-exports at the crate root instead.
#[doc(hidden)]
#[allow(clippy::too_many_arguments, missing_docs)] // generated: one argument per flattened field
pub mod bindings {
    // The newest contract version; keep in step with `folio_core::contract::CONTRACT_VERSION`
    // (the test `contract_version_matches_the_wit_package` checks it).
    wit_bindgen::generate!({
        path: "wit/since_v0.2.0",
        world: "extractor",
        additional_derives: [PartialEq],
        pub_export_macro: true,
        export_macro_name: "__export_extractor_world",
        default_bindings_module: "folio_plugin_sdk::bindings",
        runtime_path: "folio_plugin_sdk::__private::wit_bindgen::rt",
    });
}

pub use bindings::folio::extractor::host::LogLevel;
pub use bindings::folio::extractor::types::{
    Bbox, Date, Document, ExtractError, Extraction, Field, FieldValue, Line, Money, Page, PageSource, PluginInfo, Row, SourceRef, Table,
    TableRow, Word,
};

/// The version of the `folio:extractor` contract this SDK implements: the
/// newest one, owned by `folio_core::contract`. Hosts load plugins of every
/// version in [`SUPPORTED_CONTRACT_VERSIONS`] (see the README's table).
pub use folio_core::contract::{CONTRACT_VERSION, SUPPORTED_CONTRACT_VERSIONS};

/// The host's output limits (fields, tables, rows, columns, warnings, text
/// bytes): output beyond them fails the document with `PLUGIN_FAILED`.
pub use folio_core::contract::limits;

pub mod parse;

/// What a plugin implements.
pub trait Extractor {
    /// Static information about the plugin, read once when the host loads it.
    /// `contract_version` is filled in by the SDK.
    fn info() -> PluginInfo;

    /// Extract fields from one document. Called in a fresh instance for every
    /// document, so there is no state to carry between calls.
    fn extract(doc: Document) -> Result<Extraction, ExtractError>;
}

/// Exports a type implementing [`Extractor`] as the plugin's component
/// exports. Use it exactly once, in the plugin crate's `lib.rs`.
#[macro_export]
macro_rules! export_extractor {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __FolioExtractorExport;

        impl $crate::bindings::Guest for __FolioExtractorExport {
            fn metadata() -> $crate::PluginInfo {
                $crate::__private::metadata::<$plugin>()
            }

            fn extract(doc: $crate::Document) -> ::core::result::Result<$crate::Extraction, $crate::ExtractError> {
                <$plugin as $crate::Extractor>::extract(doc)
            }
        }

        $crate::bindings::__export_extractor_world!(__FolioExtractorExport with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    pub fn metadata<T: crate::Extractor>() -> crate::PluginInfo {
        let mut info = T::info();
        info.contract_version = crate::CONTRACT_VERSION.to_string();
        info
    }
}

/// `use folio_plugin_sdk::prelude::*;` brings in everything a plugin needs.
pub mod prelude {
    pub use crate::parse;
    pub use crate::{
        Bbox, CONTRACT_VERSION, Date, Document, ExtractError, Extraction, Extractor, Field, FieldValue, Line, LogLevel, Money, Page,
        PageSource, PluginInfo, Row, SourceRef, Table, TableRow, Word,
    };
    pub use crate::{debug, error, info, trace, warn};
}

// ------------------------------------------------------------------ logging

/// Logging to the host. The host keeps a bounded number of bytes per document
/// (and fails a plugin that floods it), so log sparingly: a line per document,
/// not per word.
pub mod log {
    use crate::LogLevel;

    /// Sends one log line to the host (to stderr when not running as a component).
    pub fn log(level: LogLevel, message: &str) {
        #[cfg(target_arch = "wasm32")]
        crate::bindings::folio::extractor::host::log(level, message);
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!("[{}] {message}", level_name(level));
    }

    /// The level's name as the host prints it (`info`).
    pub fn level_name(level: LogLevel) -> &'static str {
        match level {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// `trace!("format {}", args)`: a trace-level line to the host log.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => { $crate::log::log($crate::LogLevel::Trace, &::std::format!($($arg)*)) };
}

/// `debug!("format {}", args)`: a debug-level line to the host log.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::log($crate::LogLevel::Debug, &::std::format!($($arg)*)) };
}

/// `info!("format {}", args)`: an info-level line to the host log.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::log($crate::LogLevel::Info, &::std::format!($($arg)*)) };
}

/// `warn!("format {}", args)`: a warning to the host log (not to the caller;
/// use [`Extraction::warn`] for warnings the API user should see).
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::log($crate::LogLevel::Warn, &::std::format!($($arg)*)) };
}

/// `error!("format {}", args)`: an error-level line to the host log.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::log($crate::LogLevel::Error, &::std::format!($($arg)*)) };
}

// ------------------------------------------------------------------ helpers on the WIT types

impl PluginInfo {
    /// `name`: a unique lowercase identifier (`acme-purchase-order`);
    /// `version`: the plugin's semver version, usually `env!("CARGO_PKG_VERSION")`.
    pub fn new(name: &str, version: &str) -> Self {
        PluginInfo {
            name: name.to_string(),
            version: version.to_string(),
            document_types: Vec::new(),
            contract_version: CONTRACT_VERSION.to_string(),
            description: String::new(),
        }
    }

    /// The document types handled (lowercase identifiers such as `invoice`);
    /// `*` makes the plugin a fallback for any type.
    pub fn document_types(mut self, types: &[&str]) -> Self {
        self.document_types = types.iter().map(|t| t.to_string()).collect();
        self
    }

    /// One line saying what the plugin extracts.
    pub fn description(mut self, description: &str) -> Self {
        self.description = description.to_string();
        self
    }
}

impl Bbox {
    /// A box from its left and top edges and its size, in page pixels.
    pub fn new(left: f32, top: f32, width: f32, height: f32) -> Self {
        Bbox { left, top, width, height }
    }

    /// The right edge.
    pub fn right(&self) -> f32 {
        self.left + self.width
    }

    /// The bottom edge.
    pub fn bottom(&self) -> f32 {
        self.top + self.height
    }

    /// The smallest box containing both.
    pub fn union(&self, other: &Bbox) -> Bbox {
        let left = self.left.min(other.left);
        let top = self.top.min(other.top);
        Bbox::new(left, top, self.right().max(other.right()) - left, self.bottom().max(other.bottom()) - top)
    }
}

impl Date {
    /// A calendar date (the host checks that it is one).
    pub fn new(year: i32, month: u8, day: u8) -> Self {
        Date { year, month, day }
    }
}

impl Money {
    /// `currency`: an ISO 4217 code (`EUR`) when known.
    pub fn new(amount: f64, currency: Option<&str>) -> Self {
        Money { amount, currency: currency.map(str::to_string) }
    }
}

impl From<&str> for FieldValue {
    fn from(v: &str) -> Self {
        FieldValue::Text(v.to_string())
    }
}

impl From<String> for FieldValue {
    fn from(v: String) -> Self {
        FieldValue::Text(v)
    }
}

impl From<f64> for FieldValue {
    fn from(v: f64) -> Self {
        FieldValue::Number(v)
    }
}

impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Boolean(v)
    }
}

impl From<Money> for FieldValue {
    fn from(v: Money) -> Self {
        FieldValue::Money(v)
    }
}

impl From<Date> for FieldValue {
    fn from(v: Date) -> Self {
        FieldValue::Date(v)
    }
}

impl Field {
    /// A field with confidence 1.0 and no source; refine with
    /// [`confidence`](Field::confidence) and [`from_line`](Field::from_line).
    /// `key` is the camelCase key in `extractedData` (`invoiceNumber`).
    pub fn new(key: &str, value: impl Into<FieldValue>) -> Self {
        Field { key: key.to_string(), value: value.into(), confidence: 1.0, source: None }
    }

    /// A text field.
    pub fn text(key: &str, value: impl Into<String>) -> Self {
        Field::new(key, FieldValue::Text(value.into()))
    }

    /// A number field.
    pub fn number(key: &str, value: f64) -> Self {
        Field::new(key, FieldValue::Number(value))
    }

    /// An amount of money; the host reports the amount as a number and, if
    /// the plugin emits no `currency` field, the currency as `currency`.
    pub fn money(key: &str, amount: f64, currency: Option<&str>) -> Self {
        Field::new(key, Money::new(amount, currency))
    }

    /// A calendar date; the host reports it as `YYYY-MM-DD`.
    pub fn date(key: &str, year: i32, month: u8, day: u8) -> Self {
        Field::new(key, Date::new(year, month, day))
    }

    /// A yes/no field.
    pub fn boolean(key: &str, value: bool) -> Self {
        Field::new(key, FieldValue::Boolean(value))
    }

    /// Sets the confidence (0..1).
    pub fn confidence(mut self, confidence: f32) -> Self {
        self.confidence = confidence;
        self
    }

    /// Records where the value was read: a page number and a box inside it.
    pub fn source(mut self, page: u32, bbox: Bbox) -> Self {
        self.source = Some(SourceRef { page, bbox });
        self
    }

    /// Source and confidence from the OCR line the value was read from.
    pub fn from_line(self, page: &Page, line: &Line) -> Self {
        self.source(page.number, line.bbox).confidence(line.confidence)
    }

    /// Source and confidence from the printed row the value was read from.
    pub fn from_row(self, page: &Page, row: &Row) -> Self {
        self.source(page.number, row.bbox).confidence(row.confidence)
    }

    /// Source and confidence from the words the value was read from (their
    /// union box, their lowest confidence). No words: unchanged.
    pub fn from_words(self, page: &Page, words: &[Word]) -> Self {
        let Some(first) = words.first() else { return self };
        let bbox = words.iter().skip(1).fold(first.bbox, |b, w| b.union(&w.bbox));
        let confidence = words.iter().map(|w| w.confidence).fold(1.0f32, f32::min);
        self.source(page.number, bbox).confidence(confidence)
    }
}

impl TableRow {
    /// One cell per column, `None` for an empty cell; confidence 1.0, no source.
    pub fn new(cells: Vec<Option<FieldValue>>) -> Self {
        TableRow { cells, confidence: 1.0, source: None }
    }

    /// Sets the row's confidence (0..1).
    pub fn confidence(mut self, confidence: f32) -> Self {
        self.confidence = confidence;
        self
    }

    /// Records where the row was read: a page number and a box inside it.
    pub fn source(mut self, page: u32, bbox: Bbox) -> Self {
        self.source = Some(SourceRef { page, bbox });
        self
    }

    /// Source and confidence from the OCR line the row was read from.
    pub fn from_line(self, page: &Page, line: &Line) -> Self {
        self.source(page.number, line.bbox).confidence(line.confidence)
    }

    /// Source and confidence from the printed row the table row was read from.
    pub fn from_row(self, page: &Page, row: &Row) -> Self {
        self.source(page.number, row.bbox).confidence(row.confidence)
    }
}

impl Table {
    /// `name`: camelCase key in `extractedData` (`lineItems`); `columns`:
    /// camelCase column keys. Every row must have one cell per column.
    pub fn new(name: &str, columns: &[&str]) -> Self {
        Table { name: name.to_string(), columns: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    /// Adds a row (one cell per column).
    pub fn push(&mut self, row: TableRow) {
        self.rows.push(row);
    }
}

impl Default for Extraction {
    fn default() -> Self {
        Extraction::new()
    }
}

impl Extraction {
    /// Nothing extracted yet, confidence 0.
    pub fn new() -> Self {
        Extraction { fields: Vec::new(), tables: Vec::new(), confidence: 0.0, warnings: Vec::new() }
    }

    /// Adds a field.
    pub fn push(&mut self, field: Field) {
        self.fields.push(field);
    }

    /// Adds a table.
    pub fn push_table(&mut self, table: Table) {
        self.tables.push(table);
    }

    /// A warning for the API user (appears in the document's `warnings`).
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    /// The field with this key, if extracted.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Sets the overall confidence honestly: the mean confidence of the key
    /// fields, counting a missing key field as 0.
    pub fn with_confidence_from(mut self, key_fields: &[&str]) -> Self {
        if key_fields.is_empty() {
            return self;
        }
        let sum: f32 = key_fields.iter().map(|k| self.get(k).map_or(0.0, |f| f.confidence)).sum();
        self.confidence = (sum / key_fields.len() as f32).clamp(0.0, 1.0);
        self
    }
}

impl ExtractError {
    /// The plugin does not handle this document (type or content).
    pub fn unsupported(message: impl Into<String>) -> Self {
        ExtractError::UnsupportedDocument(message.into())
    }

    /// The input is malformed (e.g. no pages).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        ExtractError::InvalidInput(message.into())
    }

    /// A bug or unexpected state inside the plugin.
    pub fn internal(message: impl Into<String>) -> Self {
        ExtractError::Internal(message.into())
    }
}

impl Page {
    /// The lines of one of this page's rows, left to right.
    pub fn row_lines<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = &'a Line> + 'a {
        row.lines.iter().filter_map(|&i| self.lines.get(i as usize))
    }

    /// The words of one of this page's rows, left to right.
    pub fn row_words<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = &'a Word> + 'a {
        self.row_lines(row).flat_map(|l| l.words.iter())
    }
}

impl Document {
    /// The value of a caller hint (`doc.hint("currency")`).
    pub fn hint(&self, key: &str) -> Option<&str> {
        self.hints.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every line with its page, in reading order.
    pub fn lines(&self) -> impl Iterator<Item = (&Page, &Line)> {
        self.pages.iter().flat_map(|p| p.lines.iter().map(move |l| (p, l)))
    }

    /// Every printed row with its page, top to bottom: the lines OCR read
    /// apart (a label on the left, its amount on the right) merged by
    /// vertical position. Read labels and values from rows, not lines.
    pub fn rows(&self) -> impl Iterator<Item = (&Page, &Row)> {
        self.pages.iter().flat_map(|p| p.rows.iter().map(move |r| (p, r)))
    }

    /// Every word with its page, in reading order.
    pub fn words(&self) -> impl Iterator<Item = (&Page, &Word)> {
        self.lines().flat_map(|(p, l)| l.words.iter().map(move |w| (p, w)))
    }

    /// The whole document's text, pages separated by a blank line.
    pub fn text(&self) -> String {
        self.pages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n\n")
    }
}

// ------------------------------------------------------------------ testing

/// Build documents from plain text for native unit tests of a plugin
/// (`cargo test` runs your `Extractor::extract` directly, no host needed),
/// and check what it returns exactly as the host will:
///
/// ```
/// use folio_plugin_sdk::testing::DocumentBuilder;
/// let doc = DocumentBuilder::new("invoice").page("Invoice No: 42\nTotal:\t10.00 EUR").build();
/// // A tab separates lines OCR read apart on one printed row.
/// assert_eq!(doc.pages[0].lines.len(), 3);
/// assert_eq!(doc.pages[0].lines[2].words[0].text, "10.00");
/// assert_eq!(doc.pages[0].rows[1].text, "Total: 10.00 EUR");
/// ```
///
/// Each text line becomes a row; each tab-separated part of it a [`Line`]
/// of whitespace-separated [`Word`]s, laid out on an A4 page at 300 dpi
/// (2480 x 3508 px), with confidence 0.95.
pub mod testing {
    use crate::{Bbox, Document, ExtractError, Extraction, Extractor, FieldValue, Line, Page, PageSource, Row, SourceRef, Word};
    use folio_core::contract::output as contract;

    const PAGE_WIDTH: f32 = 2480.0;
    const PAGE_HEIGHT: f32 = 3508.0;
    const MARGIN: f32 = 150.0;
    const LINE_HEIGHT: f32 = 50.0;
    const CHAR_WIDTH: f32 = 24.0;
    /// Space between the tab-separated parts of a row, in characters.
    const COLUMN_GAP_CHARS: f32 = 20.0;
    const CONFIDENCE: f32 = 0.95;

    /// Builds a [`Document`] page by page.
    pub struct DocumentBuilder {
        doc: Document,
    }

    impl DocumentBuilder {
        /// An empty document of this type, language `en`, tables wanted.
        pub fn new(document_type: &str) -> Self {
            DocumentBuilder {
                doc: Document {
                    id: "doc_test".to_string(),
                    document_type: document_type.to_string(),
                    language: "en".to_string(),
                    extract_tables: true,
                    hints: Vec::new(),
                    pages: Vec::new(),
                },
            }
        }

        /// Adds a page with these lines of text; a tab splits a text line
        /// into lines OCR read apart on the same printed row.
        pub fn page(mut self, text: &str) -> Self {
            let number = self.doc.pages.len() as u32 + 1;
            let mut lines = Vec::new();
            let mut rows = Vec::new();
            for (i, row_text) in text.lines().enumerate() {
                let top = MARGIN + i as f32 * LINE_HEIGHT;
                let mut left = MARGIN;
                let first = lines.len() as u32;
                for part in row_text.split('\t').filter(|p| !p.trim().is_empty()) {
                    let line = layout_line(part, left, top);
                    left = (line.bbox.left + line.bbox.width + COLUMN_GAP_CHARS * CHAR_WIDTH).min(PAGE_WIDTH - MARGIN);
                    lines.push(line);
                }
                let members: Vec<u32> = (first..lines.len() as u32).collect();
                if let Some(row) = row_of(&lines, members) {
                    rows.push(row);
                }
            }
            self.doc.pages.push(Page {
                number,
                width: PAGE_WIDTH,
                height: PAGE_HEIGHT,
                dpi: 300,
                source: PageSource::Ocr,
                text: lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n"),
                lines,
                rows,
            });
            self
        }

        /// Adds a caller hint (`("currency", "EUR")`).
        pub fn hint(mut self, key: &str, value: &str) -> Self {
            self.doc.hints.push((key.to_string(), value.to_string()));
            self
        }

        /// Sets the document's language (ISO 639-1).
        pub fn language(mut self, language: &str) -> Self {
            self.doc.language = language.to_string();
            self
        }

        /// Sets whether tables are wanted.
        pub fn extract_tables(mut self, extract_tables: bool) -> Self {
            self.doc.extract_tables = extract_tables;
            self
        }

        /// The document.
        pub fn build(self) -> Document {
            self.doc
        }
    }

    fn layout_line(text: &str, start: f32, top: f32) -> Line {
        let mut left = start;
        let mut words = Vec::new();
        for w in text.split_whitespace() {
            let width = (w.chars().count() as f32 * CHAR_WIDTH).min(PAGE_WIDTH - MARGIN - left).max(0.0);
            words.push(Word { text: w.to_string(), bbox: Bbox::new(left, top, width, LINE_HEIGHT * 0.8), confidence: CONFIDENCE });
            left = (left + width + CHAR_WIDTH).min(PAGE_WIDTH - MARGIN);
        }
        let bbox = match (words.first(), words.last()) {
            (Some(f), Some(l)) => f.bbox.union(&l.bbox),
            _ => Bbox::new(start, top, 0.0, LINE_HEIGHT * 0.8),
        };
        Line { text: text.trim().to_string(), bbox, confidence: CONFIDENCE, words }
    }

    fn row_of(lines: &[Line], members: Vec<u32>) -> Option<Row> {
        let first = lines.get(*members.first()? as usize)?;
        let picked = || members.iter().map(|&i| &lines[i as usize]);
        Some(Row {
            text: picked().map(|l| l.text.as_str()).collect::<Vec<_>>().join(" "),
            bbox: picked().fold(first.bbox, |b, l| b.union(&l.bbox)),
            confidence: picked().map(|l| l.confidence).fold(1.0, f32::min),
            lines: members,
        })
    }

    /// Checks an extraction against `doc` with the host's own rules and
    /// limits (`folio_core::contract::output::validate`): what fails here
    /// fails in the host with `PLUGIN_FAILED: ... invalid output: <reason>`.
    pub fn validate(doc: &Document, out: &Extraction) -> Result<(), String> {
        let pages: Vec<contract::PageSize> =
            doc.pages.iter().map(|p| contract::PageSize { number: p.number, width: p.width, height: p.height }).collect();
        contract::validate(&to_contract(out), &pages, &contract::Limits::default())
    }

    /// Runs `P::extract` on `doc` and validates the output as the host
    /// would. `Err(Ok(e))`: the plugin's own error; `Err(Err(reason))`: the
    /// output the host would refuse.
    pub fn extract<P: Extractor>(doc: Document) -> Result<Extraction, Result<ExtractError, String>> {
        let out = P::extract(doc.clone()).map_err(Ok)?;
        validate(&doc, &out).map_err(Err)?;
        Ok(out)
    }

    fn to_contract(x: &Extraction) -> contract::Extraction {
        let source = |s: &Option<SourceRef>| {
            s.as_ref().map(|s| contract::SourceRef { page: s.page, bbox: [s.bbox.left, s.bbox.top, s.bbox.width, s.bbox.height] })
        };
        contract::Extraction {
            fields: x
                .fields
                .iter()
                .map(|f| contract::Field {
                    key: f.key.clone(),
                    value: value(&f.value),
                    confidence: f.confidence,
                    source: source(&f.source),
                })
                .collect(),
            tables: x
                .tables
                .iter()
                .map(|t| contract::Table {
                    name: t.name.clone(),
                    columns: t.columns.clone(),
                    rows: t
                        .rows
                        .iter()
                        .map(|r| contract::TableRow {
                            cells: r.cells.iter().map(|c| c.as_ref().map(value)).collect(),
                            confidence: r.confidence,
                            source: source(&r.source),
                        })
                        .collect(),
                })
                .collect(),
            confidence: x.confidence,
            warnings: x.warnings.clone(),
        }
    }

    fn value(v: &FieldValue) -> contract::Value {
        match v {
            FieldValue::Text(s) => contract::Value::Text(s.clone()),
            FieldValue::Number(n) => contract::Value::Number(*n),
            FieldValue::Money(m) => contract::Value::Money { amount: m.amount, currency: m.currency.clone() },
            FieldValue::Date(d) => contract::Value::Date { year: d.year, month: d.month, day: d.day },
            FieldValue::Boolean(b) => contract::Value::Boolean(*b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prelude::*;
    use super::testing::DocumentBuilder;

    #[test]
    fn contract_version_matches_the_wit_package() {
        // The bindings come from the newest frozen directory, which must
        // declare core's CONTRACT_VERSION; every supported version has one.
        for v in crate::SUPPORTED_CONTRACT_VERSIONS {
            let path = format!("{}/wit/since_v{v}/extractor.wit", env!("CARGO_MANIFEST_DIR"));
            let wit = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let package = format!("package folio:extractor@{v};");
            assert!(wit.lines().any(|l| l.trim() == package), "{path} does not declare {package}");
        }
        let bindings = include_str!("lib.rs");
        assert!(
            bindings.contains(&format!("path: \"wit/since_v{CONTRACT_VERSION}\"")),
            "the SDK bindings are not generated from {CONTRACT_VERSION}"
        );
    }

    #[test]
    fn metadata_always_carries_the_sdk_contract_version() {
        struct P;
        impl Extractor for P {
            fn info() -> PluginInfo {
                let mut i = PluginInfo::new("p", "1.0.0").document_types(&["invoice"]);
                i.contract_version = "9.9.9".into();
                i
            }
            fn extract(_: Document) -> Result<Extraction, ExtractError> {
                Ok(Extraction::new())
            }
        }
        let info = crate::__private::metadata::<P>();
        assert_eq!(info.contract_version, CONTRACT_VERSION);
        assert_eq!(info.document_types, vec!["invoice".to_string()]);
    }

    #[test]
    fn field_builders_and_honest_confidence() {
        let doc = DocumentBuilder::new("invoice").page("Invoice No: 42\nTotal: 10.00 EUR").hint("currency", "EUR").build();
        assert_eq!(doc.hint("currency"), Some("EUR"));
        let (page, line) = doc.lines().nth(1).unwrap();
        let mut out = Extraction::new();
        out.push(Field::money("totalAmount", 10.0, doc.hint("currency")).from_line(page, line));
        let f = out.get("totalAmount").unwrap();
        assert_eq!(f.source.unwrap().page, 1);
        assert_eq!(f.confidence, 0.95);
        assert_eq!(f.value, FieldValue::Money(Money::new(10.0, Some("EUR"))));
        // One of two key fields missing: half the confidence.
        let out = out.with_confidence_from(&["totalAmount", "invoiceNumber"]);
        assert!((out.confidence - 0.475).abs() < 1e-6);
    }

    #[test]
    fn synthetic_pages_keep_boxes_inside_the_page() {
        let long = "word ".repeat(500);
        let doc = DocumentBuilder::new("generic").page(&long).build();
        let page = &doc.pages[0];
        for w in doc.words().map(|(_, w)| w) {
            assert!(w.bbox.left >= 0.0 && w.bbox.right() <= page.width, "{:?}", w.bbox);
            assert!(w.bbox.bottom() <= page.height);
        }
    }

    #[test]
    fn rows_join_lines_read_apart_and_validation_is_the_hosts() {
        struct Totals;
        impl Extractor for Totals {
            fn info() -> PluginInfo {
                PluginInfo::new("totals", "1.0.0").document_types(&["invoice"])
            }
            fn extract(doc: Document) -> Result<Extraction, ExtractError> {
                let mut out = Extraction::new();
                for (page, row) in doc.rows() {
                    if let Some(v) = parse::label_value(&row.text, &["total"]) {
                        let m = parse::money(v, false).ok_or_else(|| ExtractError::internal("no amount"))?;
                        out.push(
                            Field::new("totalAmount", m).from_row(page, row).confidence(doc.hint("c").map_or(0.9, |c| c.parse().unwrap())),
                        );
                    }
                }
                Ok(out.with_confidence_from(&["totalAmount"]))
            }
        }
        let doc = DocumentBuilder::new("invoice").page("ACME\nTotal:\t12.50 EUR").build();
        assert_eq!(doc.pages[0].lines.len(), 3);
        let out = crate::testing::extract::<Totals>(doc).unwrap();
        assert_eq!(out.get("totalAmount").unwrap().value, FieldValue::Money(Money::new(12.5, Some("EUR"))));
        // A confidence of 1.5 fails here as it would in the host.
        let doc = DocumentBuilder::new("invoice").page("Total:\t12.50").hint("c", "1.5").build();
        let err = crate::testing::extract::<Totals>(doc).unwrap_err().unwrap_err();
        assert_eq!(err, "field `totalAmount`: confidence 1.5 is not within 0..1");
    }

    #[test]
    fn a_box_off_the_page_fails_validation() {
        let doc = DocumentBuilder::new("invoice").page("x").build();
        let mut out = Extraction::new();
        out.push(Field::number("amount", 1.0).source(1, Bbox::new(2400.0, 10.0, 200.0, 10.0)));
        assert!(crate::testing::validate(&doc, &out).unwrap_err().contains("is not inside page 1"));
    }

    #[test]
    fn from_words_uses_union_box_and_lowest_confidence() {
        let doc = DocumentBuilder::new("invoice").page("Total due 12.50").build();
        let (page, line) = doc.lines().next().unwrap();
        let mut words = line.words.clone();
        words[2].confidence = 0.5;
        let f = Field::number("totalAmount", 12.5).from_words(page, &words[1..]);
        let src = f.source.unwrap();
        assert_eq!(src.bbox.left, words[1].bbox.left);
        assert_eq!(src.bbox.right(), words[2].bbox.right());
        assert_eq!(f.confidence, 0.5);
    }
}
