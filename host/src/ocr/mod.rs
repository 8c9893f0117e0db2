//! OCR: Tesseract behind the [`OcrEngine`] trait.
//!
//! The default engine is Tesseract 5.3.0 as built by npm `tesseract-wasm`
//! 0.11.0 (`tesseract-core.wasm`), run inside wasmtime by [`tesseract_wasm`]
//! through a small Emscripten/embind runtime ([`embind`]). No JavaScript runs.
//! Engines are single-threaded and keep a loaded model, so [`pool::EnginePool`]
//! keeps one warm instance per core and hands them out page by page.
//!
//! With the `native-tesseract` feature, [`native_tesseract`] runs the system
//! libtesseract behind the same trait (used by `folio bench ocr` to measure the gap).

pub mod embind;
pub mod enhance;
pub mod layout;
#[cfg(feature = "native-tesseract")]
pub mod native_tesseract;
pub mod pool;
pub mod ppocr;
pub mod tesseract_wasm;

use crate::model::{BBox, Line, Word};
use folio_core::{ApiError, ErrorCode};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

pub use image::GrayImage;

/// Tesseract's page segmentation mode (`tessedit_pageseg_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Segmentation {
    /// PSM 3: full layout analysis (columns, blocks). Right for documents.
    Auto,
    /// PSM 4: one column of text of variable sizes.
    SingleColumn,
    /// PSM 6: one uniform block of text. Keeps receipt rows (item ... price) on one line.
    SingleBlock,
}

impl Segmentation {
    pub fn psm(self) -> u32 {
        match self {
            Segmentation::Auto => 3,
            Segmentation::SingleColumn => 4,
            Segmentation::SingleBlock => 6,
        }
    }
}

/// OCR settings chosen per document type. Receipts are one narrow column of
/// rows; full layout analysis splits their rows into separate blocks and the
/// prototype measured word recall 90.7% (PSM 6) against 77.8% (PSM 3) on a
/// receipt photo, while PSM 3 is best on multi-column documents (invoice 100%).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum OcrProfile {
    /// Letters, invoices, forms: PSM 3.
    Document,
    /// Till receipts: PSM 6.
    Receipt,
}

impl OcrProfile {
    /// The profile for a document type: `receipt` and types ending in
    /// `-receipt`/`_receipt` get [`OcrProfile::Receipt`], everything else [`OcrProfile::Document`].
    pub fn for_document_type(document_type: &str) -> Self {
        if document_type == "receipt" || document_type.ends_with("-receipt") || document_type.ends_with("_receipt") {
            OcrProfile::Receipt
        } else {
            OcrProfile::Document
        }
    }

    pub fn segmentation(self) -> Segmentation {
        match self {
            OcrProfile::Document => Segmentation::Auto,
            OcrProfile::Receipt => Segmentation::SingleBlock,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OcrProfile::Document => "document",
            OcrProfile::Receipt => "receipt",
        }
    }
}

/// What to recognise one page image with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcrParams {
    /// ISO 639-1 code, e.g. `en`.
    pub language: String,
    /// The image's resolution, given to Tesseract as `user_defined_dpi`;
    /// `None` lets Tesseract estimate it from the size of the text.
    pub dpi: Option<u32>,
    pub segmentation: Segmentation,
}

impl OcrParams {
    /// `dpi`: `300`, `Some(300)`, or `None` when unknown.
    pub fn new(language: impl Into<String>, dpi: impl Into<Option<u32>>, profile: OcrProfile) -> Self {
        Self { language: language.into(), dpi: dpi.into(), segmentation: profile.segmentation() }
    }

    /// The Tesseract variables every engine sets for these parameters, so the
    /// wasm and native engines (and the `tesseract` CLI in the benchmark) run alike.
    pub fn tesseract_variables(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tessedit_pageseg_mode", self.segmentation.psm().to_string()),
            // 0 = unset; always written so a reused engine forgets the previous page's.
            ("user_defined_dpi", self.dpi.unwrap_or(0).to_string()),
        ]
    }
}

/// Why OCR of a page failed.
#[derive(Clone, Debug, PartialEq)]
pub enum OcrError {
    /// No traineddata for the requested language.
    UnsupportedLanguage(ApiError),
    /// Engine assets (wasm module, traineddata) are missing or unreadable.
    Assets(String),
    /// The page took longer than the per-page deadline.
    DeadlineExceeded(Duration),
    /// The engine needed more memory than its cap.
    MemoryCap { cap_bytes: u64 },
    /// The engine failed (trap, error result).
    Engine(String),
}

impl OcrError {
    /// After this error the engine instance is in an unknown state and must be discarded.
    pub fn poisons_instance(&self) -> bool {
        matches!(self, OcrError::DeadlineExceeded(_) | OcrError::MemoryCap { .. } | OcrError::Engine(_))
    }

    pub fn to_api_error(&self) -> ApiError {
        match self {
            OcrError::UnsupportedLanguage(e) => e.clone(),
            OcrError::Assets(m) => ApiError::new(ErrorCode::InternalError, format!("OCR is not available: {m}")),
            _ => ApiError::new(ErrorCode::OcrFailed, self.to_string()),
        }
    }
}

impl fmt::Display for OcrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OcrError::UnsupportedLanguage(e) => write!(f, "{}", e.message),
            OcrError::Assets(m) => write!(f, "OCR assets: {m}"),
            OcrError::DeadlineExceeded(d) => write!(f, "OCR of the page took longer than the {}s deadline", d.as_secs_f32()),
            OcrError::MemoryCap { cap_bytes } => {
                write!(f, "OCR of the page needed more than the {} MiB memory cap", cap_bytes >> 20)
            }
            OcrError::Engine(m) => write!(f, "OCR engine error: {m}"),
        }
    }
}

impl std::error::Error for OcrError {}

impl From<OcrError> for ApiError {
    fn from(e: OcrError) -> Self {
        e.to_api_error()
    }
}

/// A thread-safe OCR service: recognises one page image at a time per call,
/// any number of calls in parallel.
pub trait OcrEngine: Send + Sync {
    /// Short identification for `metadata.modelVersion`, e.g. `tesseract-5.3.0-wasm/eng-fast`.
    fn version(&self) -> String;
    /// ISO 639-1 codes of the languages with a model installed.
    fn installed_languages(&self) -> Vec<String>;
    /// Lines (with words) in reading order, boxes in image pixels.
    fn recognize(&self, image: &GrayImage, params: &OcrParams) -> Result<Vec<Line>, OcrError>;
    /// Reads a page that may lie on its side or upside down: the lines of the
    /// page turned upright (boxes in the turned page's pixels) and the turn.
    /// `None` from engines that cannot tell (the caller turns the page first).
    fn recognize_upright(&self, image: &GrayImage, params: &OcrParams) -> Option<Result<Upright, OcrError>> {
        let _ = (image, params);
        None
    }
}

/// What [`OcrEngine::recognize_upright`] read.
#[derive(Clone, Debug)]
pub struct Upright {
    pub lines: Vec<Line>,
    /// The clockwise turn that made the page upright.
    pub rotation: Rotation,
}

/// A clockwise turn by a multiple of 90°.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rotation {
    #[default]
    None,
    Cw90,
    Cw180,
    Cw270,
}

impl Rotation {
    pub fn degrees(self) -> u32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 90,
            Rotation::Cw180 => 180,
            Rotation::Cw270 => 270,
        }
    }

    pub fn from_degrees(d: u32) -> Self {
        match d % 360 {
            90 => Rotation::Cw90,
            180 => Rotation::Cw180,
            270 => Rotation::Cw270,
            _ => Rotation::None,
        }
    }

    /// This turn followed by `other`.
    pub fn then(self, other: Rotation) -> Rotation {
        Rotation::from_degrees(self.degrees() + other.degrees())
    }

    pub fn apply(self, image: &GrayImage) -> GrayImage {
        match self {
            Rotation::None => image.clone(),
            Rotation::Cw90 => image::imageops::rotate90(image),
            Rotation::Cw180 => image::imageops::rotate180(image),
            Rotation::Cw270 => image::imageops::rotate270(image),
        }
    }

    /// Width and height of a `w`×`h` image after the turn.
    pub fn turned_size(self, w: u32, h: u32) -> (u32, u32) {
        match self {
            Rotation::Cw90 | Rotation::Cw270 => (h, w),
            _ => (w, h),
        }
    }
}

/// Parses `language` (a code, a list or `auto`) and checks it against what is
/// installed, with the spec's error.
pub fn check_language(engine: &dyn OcrEngine, language: &str) -> Result<folio_core::language::LanguageSpec, ApiError> {
    let installed = engine.installed_languages();
    let installed: Vec<&str> = installed.iter().map(String::as_str).collect();
    folio_core::language::parse_language(language, &installed)
}

/// ISO 639-1 codes of the `*.traineddata` files in `tessdata`, sorted.
pub fn languages_in_tessdata(tessdata: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(tessdata)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let model = name.strip_suffix(".traineddata")?;
            folio_core::language::iso639_1_for_model(model).map(str::to_string)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Word recall: the fraction of ground-truth words (whitespace tokens) found in
/// `recognized`, order-free and counting repeats (a multiset intersection), as
/// the prototype's `score.py` measures it.
pub fn word_recall(ground_truth: &str, recognized: &str) -> f64 {
    let mut found: HashMap<&str, usize> = HashMap::new();
    for w in recognized.split_whitespace() {
        *found.entry(w).or_default() += 1;
    }
    let (mut total, mut hits) = (0usize, 0usize);
    for w in ground_truth.split_whitespace() {
        total += 1;
        if let Some(n) = found.get_mut(w)
            && *n > 0
        {
            *n -= 1;
            hits += 1;
        }
    }
    if total == 0 { 1.0 } else { hits as f64 / total as f64 }
}

/// One recognised word, before grouping into lines.
#[derive(Clone, Debug)]
pub(crate) struct RecognizedWord {
    pub word: Word,
    /// Tesseract says this word starts a new text line.
    pub starts_line: bool,
}

/// Groups words into lines (a new line at each `starts_line`); a line's box is
/// the union of its words' and its confidence their mean (as the WIT contract says).
pub(crate) fn assemble_lines(words: impl IntoIterator<Item = RecognizedWord>) -> Vec<Line> {
    let mut lines: Vec<Vec<Word>> = Vec::new();
    for w in words {
        if w.word.text.is_empty() {
            continue;
        }
        match lines.last_mut() {
            Some(line) if !w.starts_line => line.push(w.word),
            _ => lines.push(vec![w.word]),
        }
    }
    lines.into_iter().map(line_from_words).collect()
}

pub(crate) fn line_from_words(words: Vec<Word>) -> Line {
    let text = words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    let bbox = words.iter().skip(1).fold(words.first().map(|w| w.bbox).unwrap_or_default(), |b, w| b.union(&w.bbox));
    let confidence = if words.is_empty() { 0.0 } else { words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32 };
    Line { text, bbox, confidence, words }
}

/// A word from Tesseract's `[left, top, right, bottom]` box and 0..1 confidence.
pub(crate) fn word_from_ltrb(text: &str, ltrb: [f32; 4], confidence: f32) -> Word {
    Word {
        text: text.trim().to_string(),
        bbox: BBox::from_ltrb(ltrb[0], ltrb[1], ltrb[2], ltrb[3]),
        confidence: confidence.clamp(0.0, 1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, left: f32, conf: f32, starts_line: bool) -> RecognizedWord {
        RecognizedWord { word: word_from_ltrb(text, [left, 10.0, left + 20.0, 30.0], conf), starts_line }
    }

    #[test]
    fn groups_words_into_lines_at_line_starts() {
        let lines = assemble_lines([
            w("Total", 0.0, 0.9, true),
            w("12.00", 40.0, 0.7, false),
            w("", 80.0, 0.1, false),
            w("Thanks", 0.0, 1.0, true),
        ]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "Total 12.00");
        assert_eq!(lines[0].bbox, BBox::from_ltrb(0.0, 10.0, 60.0, 30.0));
        assert!((lines[0].confidence - 0.8).abs() < 1e-6);
        assert_eq!(lines[1].words.len(), 1);
    }

    #[test]
    fn word_recall_is_an_order_free_multiset_match() {
        assert_eq!(word_recall("a b c d", "d c b a"), 1.0);
        assert_eq!(word_recall("a a b c", "a b x"), 0.5);
        assert_eq!(word_recall("", "anything"), 1.0);
    }

    #[test]
    fn profiles_follow_document_type() {
        assert_eq!(OcrProfile::for_document_type("receipt"), OcrProfile::Receipt);
        assert_eq!(OcrProfile::for_document_type("fuel-receipt"), OcrProfile::Receipt);
        assert_eq!(OcrProfile::for_document_type("invoice"), OcrProfile::Document);
        assert_eq!(OcrProfile::for_document_type("generic"), OcrProfile::Document);
        assert_eq!(OcrProfile::Receipt.segmentation().psm(), 6);
        assert_eq!(OcrProfile::Document.segmentation().psm(), 3);
    }

    #[test]
    fn errors_map_to_spec_codes() {
        assert_eq!(OcrError::DeadlineExceeded(Duration::from_secs(5)).to_api_error().code, ErrorCode::OcrFailed);
        assert_eq!(OcrError::MemoryCap { cap_bytes: 1 << 30 }.to_api_error().code, ErrorCode::OcrFailed);
        assert!(OcrError::MemoryCap { cap_bytes: 1 << 30 }.to_string().contains("1024 MiB"));
        assert!(!OcrError::Assets("x".into()).poisons_instance());
        assert!(OcrError::Engine("trap".into()).poisons_instance());
    }
}
