//! The crate's own input and output model.
//!
//! Mirrors the WIT contract (`plugins/sdk/wit/`) closely enough that a plugin
//! adapter is a field-by-field copy, without depending on generated bindings,
//! so everything here is testable natively.

/// Axis-aligned box in page pixels, origin top-left.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BBox {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl BBox {
    pub fn new(left: f32, top: f32, width: f32, height: f32) -> Self {
        Self { left, top, width: width.max(0.0), height: height.max(0.0) }
    }
    pub fn from_ltrb(left: f32, top: f32, right: f32, bottom: f32) -> Self {
        Self::new(left, top, right - left, bottom - top)
    }
    pub fn right(&self) -> f32 {
        self.left + self.width
    }
    pub fn bottom(&self) -> f32 {
        self.top + self.height
    }
    pub fn center_y(&self) -> f32 {
        self.top + self.height / 2.0
    }
    pub fn center_x(&self) -> f32 {
        self.left + self.width / 2.0
    }
    /// Smallest box containing both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox::from_ltrb(self.left.min(o.left), self.top.min(o.top), self.right().max(o.right()), self.bottom().max(o.bottom()))
    }
    /// Length of the vertical overlap of two boxes (0 when disjoint).
    pub fn vertical_overlap(&self, o: &BBox) -> f32 {
        (self.bottom().min(o.bottom()) - self.top.max(o.top)).max(0.0)
    }
    /// Length of the horizontal overlap of two boxes (0 when disjoint).
    pub fn horizontal_overlap(&self, o: &BBox) -> f32 {
        (self.right().min(o.right()) - self.left.max(o.left)).max(0.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// 0..1
    pub confidence: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub bbox: BBox,
    /// 0..1
    pub confidence: f32,
    /// May be empty when the source only knows line boxes; words are then
    /// derived from the text (see [`Line::words_or_split`]).
    pub words: Vec<Word>,
}

impl Line {
    /// A line known only by its text and box (e.g. ground-truth annotations):
    /// words get boxes proportional to their character offsets.
    pub fn from_text(text: &str, bbox: BBox, confidence: f32) -> Self {
        Line { text: text.to_string(), bbox, confidence, words: Vec::new() }
    }

    /// The line's words; when the source gave none, the text split on
    /// whitespace with boxes estimated from character positions.
    pub fn words_or_split(&self) -> Vec<Word> {
        if !self.words.is_empty() {
            return self.words.clone();
        }
        let chars: Vec<char> = self.text.chars().collect();
        let n = chars.len().max(1) as f32;
        let char_w = self.bbox.width / n;
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            // A no-break or thin space between digits groups thousands
            // (`1 234,56`): part of the number, not a word break.
            let binds = |i: usize| {
                matches!(chars[i], '\u{a0}' | '\u{202f}' | '\u{2009}')
                    && i > start
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
            };
            while i < chars.len() && (!chars[i].is_whitespace() || binds(i)) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let left = self.bbox.left + start as f32 * char_w;
            out.push(Word {
                text,
                bbox: BBox::new(left, self.bbox.top, (i - start) as f32 * char_w, self.bbox.height),
                confidence: self.confidence,
            });
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub lines: Vec<Line>,
}

/// Everything an extractor is given about one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// ISO 639-1 code of the primary language (`en`, `de`); may be empty.
    pub language: String,
    /// Free-form caller hints: `("locale", "de-DE")`, `("currency", "EUR")`.
    pub hints: Vec<(String, String)>,
    pub extract_tables: bool,
    pub pages: Vec<Page>,
}

impl Document {
    pub fn hint(&self, key: &str) -> Option<&str> {
        self.hints.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A valid calendar date, or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Money { amount: f64, currency: Option<String> },
    Date(Date),
    Boolean(bool),
}

impl Value {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    /// The numeric part of a number or money value.
    pub fn as_amount(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Money { amount, .. } => Some(*amount),
            _ => None,
        }
    }
    pub fn as_date(&self) -> Option<Date> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }
}

/// Where a value was read from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceRef {
    /// 1-based page number.
    pub page: u32,
    pub bbox: BBox,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// camelCase key as it appears in `extractedData`.
    pub key: String,
    pub value: Value,
    /// 0..1
    pub confidence: f32,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableRow {
    pub cells: Vec<Option<Value>>,
    pub confidence: f32,
    pub source: Option<SourceRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extraction {
    pub fields: Vec<Field>,
    pub tables: Vec<Table>,
    /// 0..1, low when key fields are missing.
    pub confidence: f32,
    pub warnings: Vec<String>,
}

impl Extraction {
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.field(key).map(|f| &f.value)
    }
    pub fn text(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_text)
    }
    pub fn amount(&self, key: &str) -> Option<f64> {
        self.value(key).and_then(Value::as_amount)
    }
    pub fn date(&self, key: &str) -> Option<Date> {
        self.value(key).and_then(Value::as_date)
    }
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
    /// Adds a field unless one with the same key exists.
    pub fn push(&mut self, key: &str, value: Value, confidence: f32, source: Option<SourceRef>) {
        if self.field(key).is_none() {
            self.fields.push(Field { key: key.to_string(), value, confidence: confidence.clamp(0.0, 1.0), source });
        }
    }
}

/// Why an extractor refused a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtractError {
    /// The extractor does not handle this document.
    Unsupported(String),
    /// The input is malformed (e.g. no pages).
    InvalidInput(String),
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Unsupported(m) => write!(f, "unsupported document: {m}"),
            ExtractError::InvalidInput(m) => write!(f, "invalid input: {m}"),
        }
    }
}

impl std::error::Error for ExtractError {}

/// Checks what every extractor needs: at least one page.
pub fn validate(doc: &Document) -> Result<(), ExtractError> {
    if doc.pages.is_empty() {
        return Err(ExtractError::InvalidInput("the document has no pages".into()));
    }
    Ok(())
}
