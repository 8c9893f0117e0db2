//! The host's document model: what the input/OCR stages produce and the
//! plugin runtime converts into the WIT `document` (see `plugins/sdk/wit/since_v*/extractor.wit`).
//! Kept as plain Rust so OCR, PDF text extraction and tests don't depend on
//! generated bindings.

use serde::{Deserialize, Serialize};

/// Axis-aligned box in page pixels, origin top-left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

impl BBox {
    pub fn from_ltrb(left: f32, top: f32, right: f32, bottom: f32) -> Self {
        Self { left, top, width: (right - left).max(0.0), height: (bottom - top).max(0.0) }
    }
    pub fn right(&self) -> f32 {
        self.left + self.width
    }
    pub fn bottom(&self) -> f32 {
        self.top + self.height
    }
    /// Smallest box containing both.
    pub fn union(&self, o: &BBox) -> BBox {
        BBox::from_ltrb(self.left.min(o.left), self.top.min(o.top), self.right().max(o.right()), self.bottom().max(o.bottom()))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// 0..1
    pub confidence: f32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub text: String,
    pub bbox: BBox,
    /// 0..1
    pub confidence: f32,
    pub words: Vec<Word>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageSource {
    Ocr,
    PdfTextLayer,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub width: f32,
    pub height: f32,
    pub dpi: u32,
    pub source: PageSource,
    /// Lines in reading order joined by "\n".
    pub text: String,
    pub lines: Vec<Line>,
    /// Which engine read the page (OCR'd pages); not part of the plugin contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrReading>,
}

/// The OCR engine and model that read a page, and the clockwise turn that made it upright.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OcrReading {
    /// `tesseract` or `ppocr`.
    pub engine: String,
    pub model: String,
    /// 0, 90, 180 or 270.
    pub rotation: u32,
}

impl Page {
    /// Builds a page from lines, deriving `text`.
    pub fn from_lines(number: u32, width: f32, height: f32, dpi: u32, source: PageSource, lines: Vec<Line>) -> Self {
        let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        Self { number, width, height, dpi, source, text, lines, ocr: None }
    }
}

/// Everything a plugin is given about one document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub document_type: String,
    /// ISO 639-1: the detected language for `language=auto` (`en` when
    /// nothing could be detected), else the first listed one.
    pub language: String,
    pub extract_tables: bool,
    pub hints: Vec<(String, String)>,
    pub pages: Vec<Page>,
    /// What `language=auto` detected (ISO 639-1); `None` for explicit languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_language: Option<String>,
}
