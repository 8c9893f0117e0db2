//! One document end to end: bytes -> pages ([`crate::input`]) -> OCR of the
//! pages that need it, in parallel ([`crate::ocr`]) -> [`model::Document`] ->
//! extractor plugin -> [`ProcessingResult`].
//!
//! Everything is checked before any OCR runs (document type, language, file
//! type, corruption, encryption, page count), so a bad request fails in
//! milliseconds. Pages are converted and recognised by a few worker threads
//! (as many as the OCR pool has engines); the output order is the page order.

use crate::input::{InputDocument, InputOptions, PageContent, RasterPage};
use crate::model::{self, OcrReading, Page, PageSource};
use crate::ocr::pool::EnginePool;
use crate::ocr::ppocr::orientation;
use crate::ocr::ppocr::{self, PpOcr, PpOcrLimits};
use crate::ocr::tesseract_wasm::{TesseractWasm, WasmLimits};
use crate::ocr::{OcrEngine, OcrParams, OcrProfile, Rotation, Upright, check_language, enhance};
use crate::plugins::{Extracted, PluginHost};
use folio_core::language::{Lang, LanguageSpec};
use folio_core::{ApiError, ErrorCode, OcrEngineChoice, PageMetadata, ProcessingMetadata, ProcessingResult};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Asked with a document's page count before its pages are read.
pub type PageAdmission<'a> = dyn Fn(u32) -> Result<(), ApiError> + Sync + 'a;

/// What the caller asked for (the DocuRift submission fields plus local options).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessOptions {
    pub document_type: String,
    /// The `language` parameter in canonical form ([`LanguageSpec`]): `de`, `de,en` or `auto`.
    pub language: String,
    pub extract_tables: bool,
    pub hints: Vec<(String, String)>,
    /// Put the OCR pages into `ProcessingResult::ocr`.
    pub include_ocr: bool,
    /// Overrides the OCR profile the document type implies.
    pub profile: Option<OcrProfile>,
    /// Which engine reads OCR'd pages (`auto`: see [`Pipeline::engine_for`]).
    pub ocr_engine: OcrEngineChoice,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            document_type: folio_core::document::DEFAULT_DOCUMENT_TYPE.to_string(),
            language: folio_core::language::DEFAULT_LANGUAGE.to_string(),
            extract_tables: false,
            hints: Vec::new(),
            include_ocr: false,
            profile: None,
            ocr_engine: OcrEngineChoice::Auto,
        }
    }
}

impl ProcessOptions {
    pub fn profile(&self) -> OcrProfile {
        self.profile.unwrap_or_else(|| OcrProfile::for_document_type(&self.document_type))
    }
}

/// The extraction step: the plugin host, or a stand-in in tests.
pub trait Extractor: Send + Sync {
    /// `INVALID_DOCUMENT_TYPE` when no plugin handles `document_type`; checked before OCR.
    fn check_document_type(&self, document_type: &str) -> Result<(), ApiError>;
    fn extract(&self, document: &model::Document) -> Result<Extracted, ApiError>;
}

impl Extractor for PluginHost {
    fn check_document_type(&self, document_type: &str) -> Result<(), ApiError> {
        match self.plugin_for(document_type) {
            Some(_) => Ok(()),
            None => Err(ApiError::new(
                ErrorCode::InvalidDocumentType,
                format!(
                    "No extractor plugin handles documentType {document_type:?} and no generic plugin is installed (installed types: {})",
                    self.document_types().join(", ")
                ),
            )),
        }
    }

    fn extract(&self, document: &model::Document) -> Result<Extracted, ApiError> {
        PluginHost::extract(self, document)
    }
}

/// Where the time of one document went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timings {
    /// Wall time from bytes to document (or result).
    pub total: Duration,
    /// Wall time inside OCR engines, summed over pages.
    pub ocr: Duration,
    /// Wall time of the plugin call.
    pub extract: Duration,
    pub pages_ocr: usize,
    pub pages_text_layer: usize,
}

/// The OCR engine that reads a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    Tesseract,
    Ppocr,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Tesseract => "tesseract",
            EngineKind::Ppocr => "ppocr",
        }
    }
}

/// How the raster pages of a document are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnginePlan {
    Only(EngineKind),
    /// Tesseract, and PP-OCR instead where Tesseract reads the page unsurely
    /// (see [`reads_cleanly`]): clean scans and renders stay with the faster
    /// engine, photos and worn receipts go to the stronger one.
    TesseractUnlessUnsure,
}

/// PP-OCR as the pipeline uses it: the engine, and its models for page orientation.
#[derive(Clone)]
pub struct PpOcrService {
    pub engine: Arc<dyn OcrEngine>,
    pub models: Arc<ppocr::Models>,
}

impl PpOcrService {
    /// The models from `<data dir>/ppocr`, shared by a pool of `capacity` engines.
    pub fn from_data_dir(capacity: usize) -> Result<Self, ApiError> {
        let models = Arc::new(ppocr::Models::from_data_dir().map_err(|e| e.to_api_error())?);
        let pool = EnginePool::new(PpOcr::new(models.clone(), PpOcrLimits::default()), capacity);
        Ok(Self { engine: Arc::new(pool), models })
    }
}

/// One page read (with its OCR time, when it was OCR'd), or why it failed.
type PageOutcome = Result<(Page, Option<Duration>), ApiError>;

/// The document pipeline; cheap to share between threads.
pub struct Pipeline {
    tesseract: Arc<dyn OcrEngine>,
    /// `None` when the PP-OCR models are not installed: `auto` then reads with Tesseract.
    ppocr: Option<PpOcrService>,
    extractor: Option<Arc<dyn Extractor>>,
    page_workers: usize,
}

impl Pipeline {
    /// Tesseract only. `page_workers`: threads converting and recognising pages
    /// of one document (the OCR pool's size is the natural choice).
    pub fn new(tesseract: Arc<dyn OcrEngine>, extractor: Option<Arc<dyn Extractor>>, page_workers: usize) -> Self {
        Self { tesseract, ppocr: None, extractor, page_workers: page_workers.max(1) }
    }

    /// Adds PP-OCR (and with it page orientation for both engines).
    pub fn with_ppocr(mut self, ppocr: PpOcrService) -> Self {
        self.ppocr = Some(ppocr);
        self
    }

    /// The default OCR engines and the given extractor, one page worker per core.
    pub fn with_default_engine(extractor: Option<Arc<dyn Extractor>>) -> Result<Self, ApiError> {
        let pool = default_ocr_pool()?;
        let workers = pool.capacity();
        let pipeline = Self::new(pool, extractor, workers);
        Ok(match default_ppocr() {
            Ok(ppocr) => pipeline.with_ppocr(ppocr),
            Err(e) => {
                warn_once_without_ppocr(&e);
                pipeline
            }
        })
    }

    pub fn ocr_engine(&self) -> &Arc<dyn OcrEngine> {
        &self.tesseract
    }

    pub fn ppocr(&self) -> Option<&PpOcrService> {
        self.ppocr.as_ref()
    }

    /// How pages are read. `auto`: receipts (and `-receipt` types) by Tesseract
    /// where it reads the page cleanly, else by PP-OCR; other documents by
    /// Tesseract; languages PP-OCR cannot read always by Tesseract. Measured on
    /// the SROIE receipts and the invoice scan (BENCHMARKS.md, "OCR engines").
    /// `language`: a code, a list (`de,en`: PP-OCR only if it reads every one)
    /// or `auto` (its first pass reads English).
    pub fn engine_for(&self, choice: OcrEngineChoice, language: &str, profile: OcrProfile) -> Result<EnginePlan, ApiError> {
        let spec = LanguageSpec::parse(language)?;
        let codes: Vec<&str> = match &spec {
            LanguageSpec::Auto => vec![folio_core::language::DEFAULT_LANGUAGE],
            LanguageSpec::List(langs) => langs.iter().map(|l| l.code()).collect(),
        };
        let ppocr_reads = |p: &PpOcrService| {
            let readable = p.engine.installed_languages();
            codes.iter().all(|c| readable.iter().any(|l| l == c))
        };
        match choice {
            OcrEngineChoice::Tesseract => Ok(EnginePlan::Only(EngineKind::Tesseract)),
            OcrEngineChoice::Ppocr => {
                let p = self.ppocr.as_ref().ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InternalError,
                        "ocrEngine ppocr is not available on this host: the PP-OCR models are not installed (run scripts/setup)",
                    )
                })?;
                if !ppocr_reads(p) {
                    return Err(ApiError::new(
                        ErrorCode::UnsupportedLanguage,
                        format!(
                            "ocrEngine ppocr reads {} only; use ocrEngine auto or tesseract for language {language:?}",
                            p.engine.installed_languages().join(", ")
                        ),
                    ));
                }
                Ok(EnginePlan::Only(EngineKind::Ppocr))
            }
            OcrEngineChoice::Auto => Ok(match &self.ppocr {
                Some(p) if profile == OcrProfile::Receipt && ppocr_reads(p) => EnginePlan::TesseractUnlessUnsure,
                _ => EnginePlan::Only(EngineKind::Tesseract),
            }),
        }
    }

    fn engine(&self, kind: EngineKind) -> &Arc<dyn OcrEngine> {
        match (kind, &self.ppocr) {
            (EngineKind::Ppocr, Some(p)) => &p.engine,
            _ => &self.tesseract,
        }
    }

    /// Bytes -> document model, without the plugin step (what `folio eval` and
    /// benchmarks need).
    pub fn read_document(&self, id: &str, bytes: Vec<u8>, options: &ProcessOptions) -> Result<(model::Document, Timings), ApiError> {
        self.read_document_admitted(id, bytes, options, &|_| Ok(()))
    }

    /// [`Self::read_document`], asking `admit` with the page count once the
    /// file is open and before any page is converted (the edge re-admits
    /// the document for its true page count; its refusal ends the work).
    pub fn read_document_admitted(
        &self,
        id: &str,
        bytes: Vec<u8>,
        options: &ProcessOptions,
        admit: &PageAdmission<'_>,
    ) -> Result<(model::Document, Timings), ApiError> {
        let started = Instant::now();
        folio_core::document::validate_document_type(&options.document_type)?;
        let spec = check_language(self.tesseract.as_ref(), &options.language)?;
        let plan = self.engine_for(options.ocr_engine, &options.language, options.profile())?;
        let input = InputDocument::open(bytes, InputOptions { profile: options.profile(), ..InputOptions::default() })?;
        admit(input.page_count() as u32)?;
        let english = Lang::parse(folio_core::language::DEFAULT_LANGUAGE).expect("en is in the table");
        let (pages, mut timings, language, detected) = match &spec {
            LanguageSpec::List(langs) => {
                let (pages, timings) = self.pages(&input, langs, options.profile(), plan)?;
                // The extractor gets the whole list: labels of every listed
                // language apply; dates and numbers follow the first.
                (pages, timings, langs.iter().map(|l| l.code()).collect::<Vec<_>>().join(","), None)
            }
            LanguageSpec::Auto => {
                // First pass in English; read again only if the text is in
                // another installed language and some page was OCR'd (a text
                // layer reads the same in any language). PP-OCR asked for by
                // name reads English only: its reading stays.
                let (mut pages, mut timings) = self.pages(&input, &[english], options.profile(), plan)?;
                let installed = self.tesseract.installed_languages();
                let candidates = detect_languages(&pages, &installed, 2);
                let mut lang = candidates.first().copied().unwrap_or(english);
                let ocr_pages = pages.iter().any(|p| p.ocr.is_some());
                if lang != english && ocr_pages && options.ocr_engine != OcrEngineChoice::Ppocr {
                    // English-model text has lost the language's own letters
                    // (Latvian read as English looks Indonesian to the
                    // detector): read with the two likeliest models, keep the
                    // surer reading of each page, and detect again on text
                    // that has its diacritics back.
                    let readers: Vec<Lang> = candidates.into_iter().filter(|l| *l != english).collect();
                    let list = readers.iter().map(|l| l.code()).collect::<Vec<_>>().join(",");
                    let plan = self.engine_for(options.ocr_engine, &list, options.profile())?;
                    let (again, t) = self.pages(&input, &readers, options.profile(), plan)?;
                    pages = again;
                    timings.ocr += t.ocr;
                    let read_as: Vec<String> = readers.iter().map(|l| l.code().to_string()).collect();
                    lang = detect_language(&pages, &read_as).unwrap_or(lang);
                }
                (pages, timings, lang.code().to_string(), Some(lang.code().to_string()))
            }
        };
        timings.total = started.elapsed();
        let document = model::Document {
            id: id.to_string(),
            document_type: options.document_type.clone(),
            language,
            extract_tables: options.extract_tables,
            hints: options.hints.clone(),
            pages,
            detected_language: detected,
        };
        Ok((document, timings))
    }

    /// Bytes -> the host's result for one document.
    pub fn process(&self, id: &str, bytes: Vec<u8>, options: &ProcessOptions) -> Result<(ProcessingResult, Timings), ApiError> {
        self.process_admitted(id, bytes, options, &|_| Ok(()))
    }

    /// [`Self::process`] with page admission (see [`Self::read_document_admitted`]).
    pub fn process_admitted(
        &self,
        id: &str,
        bytes: Vec<u8>,
        options: &ProcessOptions,
        admit: &PageAdmission<'_>,
    ) -> Result<(ProcessingResult, Timings), ApiError> {
        self.process_document(id, bytes, options, admit).map(|(result, timings, _)| (result, timings))
    }

    /// [`Self::process_admitted`], keeping the document model (pages, words
    /// and boxes) the outputs are made from (`crate::outputs`).
    pub fn process_document(
        &self,
        id: &str,
        bytes: Vec<u8>,
        options: &ProcessOptions,
        admit: &PageAdmission<'_>,
    ) -> Result<(ProcessingResult, Timings, model::Document), ApiError> {
        let started = Instant::now();
        let extractor = self
            .extractor
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::InternalError, "no extractor plugins are loaded (run scripts/build-plugins)"))?;
        folio_core::document::validate_document_type(&options.document_type)?;
        extractor.check_document_type(&options.document_type)?;
        let (document, mut timings) = self.read_document_admitted(id, bytes, options, admit)?;
        let extract_started = Instant::now();
        let extraction = extractor.extract(&document)?;
        timings.extract = extract_started.elapsed();
        timings.total = started.elapsed();
        let ocr_part = ocr_version(&document);
        let result = ProcessingResult {
            document_type: document.document_type.clone(),
            pages_processed: document.pages.len() as u32,
            confidence: extraction.confidence,
            extracted_data: extraction.extracted_data,
            fields: extraction.fields,
            warnings: extraction.warnings,
            metadata: ProcessingMetadata {
                processing_time_ms: timings.total.as_millis() as u64,
                model_version: format!(
                    "folio-{}/{}@{}/{ocr_part}",
                    env!("CARGO_PKG_VERSION"),
                    extraction.plugin,
                    extraction.plugin_version
                ),
                pages: page_metadata(&document.pages),
                detected_language: document.detected_language.clone(),
            },
            ocr: options.include_ocr.then(|| ocr_json(&document.pages)),
        };
        Ok((result, timings, document))
    }

    /// Converts every page, recognising rasters, on up to `page_workers` threads.
    /// `languages`: one model per language; a page is read with each and the
    /// surest reading kept.
    fn pages(
        &self,
        input: &InputDocument,
        languages: &[Lang],
        profile: OcrProfile,
        plan: EnginePlan,
    ) -> Result<(Vec<Page>, Timings), ApiError> {
        let n = input.page_count();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<(usize, PageOutcome)>> = Mutex::new(Vec::with_capacity(n));
        std::thread::scope(|scope| {
            for _ in 0..self.page_workers.min(n) {
                scope.spawn(|| {
                    // Stop taking pages once one failed: the document fails anyway.
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let r = self.page(input, i, languages, profile, plan);
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        results.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        results.sort_by_key(|(i, _)| *i);
        let mut timings = Timings::default();
        let mut pages = Vec::with_capacity(n);
        for (_, r) in results {
            let (page, ocr_time) = r?;
            match ocr_time {
                Some(t) => {
                    timings.ocr += t;
                    timings.pages_ocr += 1;
                }
                None => timings.pages_text_layer += 1,
            }
            pages.push(page);
        }
        Ok((pages, timings))
    }

    fn page(
        &self,
        input: &InputDocument,
        index: usize,
        languages: &[Lang],
        profile: OcrProfile,
        plan: EnginePlan,
    ) -> Result<(Page, Option<Duration>), ApiError> {
        let number = index as u32 + 1;
        let count = input.page_count();
        match input.page(index).map_err(|e| on_page(number, count, e))? {
            PageContent::TextLayer(page) => Ok((page, None)),
            PageContent::Raster(raster) => {
                let started = Instant::now();
                let mut best: Option<(f32, Page)> = None;
                for lang in languages {
                    let page = self.recognize(number, &raster, lang.code(), profile, plan).map_err(|e| on_page(number, count, e))?;
                    let score = reading_score(&page.lines);
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, page));
                    }
                }
                let (_, page) = best.ok_or_else(|| ApiError::new(ErrorCode::InternalError, "no language to read the page with"))?;
                Ok((page, Some(started.elapsed())))
            }
        }
    }

    /// OCR of one raster into a page turned upright, by the plan's engine.
    pub fn recognize(
        &self,
        number: u32,
        raster: &RasterPage,
        language: &str,
        profile: OcrProfile,
        plan: EnginePlan,
    ) -> Result<Page, ApiError> {
        let engine = match plan {
            EnginePlan::Only(engine) => engine,
            EnginePlan::TesseractUnlessUnsure => {
                let params = OcrParams::new(language, raster.dpi_known.then_some(raster.dpi), profile);
                let lines = self.tesseract.recognize(&raster.image, &params)?;
                if reads_cleanly(&lines) {
                    let read = Upright { lines, rotation: Rotation::None };
                    return Ok(self.page_from(number, raster, language, EngineKind::Tesseract, read));
                }
                EngineKind::Ppocr
            }
        };
        self.read(number, raster, language, profile, engine)
    }

    /// OCR by one engine: PP-OCR tells the page's orientation as it reads; for
    /// Tesseract its models tell it when the page reads poorly (when installed).
    fn read(&self, number: u32, raster: &RasterPage, language: &str, profile: OcrProfile, engine: EngineKind) -> Result<Page, ApiError> {
        let params = OcrParams::new(language, raster.dpi_known.then_some(raster.dpi), profile);
        let ocr = self.engine(engine);
        let read = match ocr.recognize_upright(&raster.image, &params) {
            Some(read) => read?,
            None => self.read_turned(ocr.as_ref(), raster, &params, profile)?,
        };
        Ok(self.page_from(number, raster, language, engine, read))
    }

    /// The page `engine` read from `raster`, in the upright page's size, saying how it was read.
    fn page_from(&self, number: u32, raster: &RasterPage, language: &str, engine: EngineKind, read: Upright) -> Page {
        let (w, h) = read.rotation.turned_size(raster.image.width(), raster.image.height());
        let mut page = Page::from_lines(number, w as f32, h as f32, raster.dpi, PageSource::Ocr, read.lines);
        let model = model_name(self.engine(engine).as_ref(), engine, language);
        page.ocr = Some(OcrReading { engine: engine.as_str().to_string(), model, rotation: read.rotation.degrees() });
        page
    }

    /// Reads the page as it is; when that reads poorly and PP-OCR's models are
    /// there to tell, checks whether the page lies turned and reads it again
    /// upright. Upright pages, nearly all of them, pay nothing for orientation.
    fn read_turned(&self, ocr: &dyn OcrEngine, raster: &RasterPage, params: &OcrParams, profile: OcrProfile) -> Result<Upright, ApiError> {
        let mut lines = ocr.recognize(&raster.image, params)?;
        let mut rotation = Rotation::None;
        let turned;
        let mut image = &raster.image;
        if let Some(p) = &self.ppocr
            && reads_poorly(&lines)
        {
            rotation = orientation::detect_rotation(&p.models, &raster.image)?;
            if rotation != Rotation::None {
                turned = rotation.apply(&raster.image);
                image = &turned;
                lines = ocr.recognize(image, params)?;
            }
        }
        // Faded or dot-matrix receipts: a second pass on an enhanced image (see ocr::enhance).
        if profile == OcrProfile::Receipt && enhance::confident_chars(&lines) < enhance::FAINT_PAGE_CHARS {
            let retry = ocr.recognize(&enhance::faint_receipt(image), params)?;
            if enhance::confident_chars(&retry) > enhance::confident_chars(&lines) {
                lines = retry;
            }
        }
        Ok(Upright { lines, rotation })
    }
}

/// Tesseract's character-weighted mean confidence at or above which `auto`
/// keeps its reading of a receipt: clean renders and scans read 0.92-0.96
/// (the synthetic test receipts, the invoice scan), the first 40 SROIE
/// receipts at most 0.904 (median 0.79).
const CLEAN_PAGE_CONFIDENCE: f32 = 0.91;

/// Whether Tesseract read the page surely enough to keep its reading.
fn reads_cleanly(lines: &[model::Line]) -> bool {
    let (mut chars, mut weighted) = (0usize, 0.0f32);
    for w in lines.iter().flat_map(|l| &l.words) {
        let n = w.text.chars().count();
        chars += n;
        weighted += w.confidence * n as f32;
    }
    chars >= 20 && weighted / chars as f32 >= CLEAN_PAGE_CONFIDENCE
}

/// How well a reading went, to choose between the models of a language list:
/// the confidence-weighted count of characters. The model of the page's
/// language reads more of it, and more surely.
fn reading_score(lines: &[model::Line]) -> f32 {
    lines.iter().flat_map(|l| &l.words).map(|w| w.confidence * w.text.chars().count() as f32).sum()
}

/// Fewest letters of text `language=auto` judges a language from; below it the
/// document counts as English (trigram statistics of a few words mislead).
const MIN_DETECTION_LETTERS: usize = 40;

/// The language of the pages' text among the installed ones (ISO 639-1
/// codes), by `whatlang`'s trigram models. `None` when there is too little
/// text, or the language is not one whatlang knows (e.g. Irish, Maltese, Malay).
pub fn detect_language(pages: &[Page], installed: &[String]) -> Option<Lang> {
    detect_languages(pages, installed, 1).into_iter().next()
}

/// The `n` likeliest installed languages of the pages' text, likeliest first.
pub fn detect_languages(pages: &[Page], installed: &[String], n: usize) -> Vec<Lang> {
    let text: String = pages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n");
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_DETECTION_LETTERS {
        return Vec::new();
    }
    // Only the installed languages are candidates: whatlang then need not tell
    // e.g. Bokmål from Danish when only one of them can be read anyway.
    let mut allow: Vec<whatlang::Lang> = whatlang::Lang::all()
        .iter()
        .copied()
        .filter(|w| Lang::parse(w.code()).is_some_and(|l| installed.iter().any(|c| c == l.code())))
        .collect();
    let mut found = Vec::new();
    // whatlang names one language: the runner-up is the best of the rest.
    while found.len() < n && !allow.is_empty() {
        let Some(info) = whatlang::Detector::with_allowlist(allow.clone()).detect(&text) else { break };
        allow.retain(|w| *w != info.lang());
        if let Some(lang) = Lang::parse(info.lang().code()) {
            found.push(lang);
        }
    }
    found
}

/// A page read turned comes back as few words, mostly unsure ones.
fn reads_poorly(lines: &[model::Line]) -> bool {
    let all: usize = lines.iter().flat_map(|l| &l.words).map(|w| w.text.chars().count()).sum();
    let sure = enhance::confident_chars(lines);
    sure < enhance::FAINT_PAGE_CHARS || sure * 2 < all
}

/// Says which page failed, for multi-page documents.
fn on_page(number: u32, page_count: usize, mut e: ApiError) -> ApiError {
    if page_count > 1 {
        e.message = format!("Page {number}: {}", e.message);
    }
    e
}

/// The model that read a page: `tesseract-5.3.0-wasm/eng`, `ppocr-v4-rten-0.27`.
fn model_name(engine: &dyn OcrEngine, kind: EngineKind, language: &str) -> String {
    match kind {
        EngineKind::Tesseract => {
            let model = folio_core::language::tesseract_model(language).unwrap_or("?");
            format!("{}/{model}", engine.version())
        }
        EngineKind::Ppocr => engine.version(),
    }
}

/// The models that read the OCR'd pages (`+`-joined, first use first), `pdf-text` when none.
pub fn ocr_version(document: &model::Document) -> String {
    let mut models: Vec<&str> = Vec::new();
    for reading in document.pages.iter().filter_map(|p| p.ocr.as_ref()) {
        if !models.contains(&reading.model.as_str()) {
            models.push(&reading.model);
        }
    }
    if models.is_empty() { "pdf-text".to_string() } else { models.join("+") }
}

/// `metadata.pages`: how each page was read.
pub fn page_metadata(pages: &[Page]) -> Vec<PageMetadata> {
    pages
        .iter()
        .map(|p| PageMetadata {
            page: p.number,
            source: match p.source {
                PageSource::Ocr => "ocr",
                PageSource::PdfTextLayer => "pdf-text-layer",
            }
            .to_string(),
            ocr_engine: p.ocr.as_ref().map(|r| r.engine.clone()),
            model: p.ocr.as_ref().map(|r| r.model.clone()),
            rotation: p.ocr.as_ref().map_or(0, |r| r.rotation),
            width: Some(f64::from(p.width)),
            height: Some(f64::from(p.height)),
        })
        .collect()
}

/// The OCR pages as `--include-ocr` shows them.
pub fn ocr_json(pages: &[Page]) -> Value {
    serde_json::to_value(pages).expect("pages serialise")
}

/// The process-wide OCR pool (tesseract-wasm from the data directory, one
/// engine per core), created on first use.
pub fn default_ocr_pool() -> Result<Arc<EnginePool<TesseractWasm>>, ApiError> {
    static POOL: OnceLock<Result<Arc<EnginePool<TesseractWasm>>, ApiError>> = OnceLock::new();
    POOL.get_or_init(|| {
        let backend = TesseractWasm::from_data_dir(WasmLimits::default()).map_err(|e| e.to_api_error())?;
        Ok(Arc::new(EnginePool::new(backend, crate::ocr::pool::default_capacity())))
    })
    .clone()
}

/// The process-wide PP-OCR pool and models (from `<data dir>/ppocr`, one
/// engine per core), loaded on first use.
pub fn default_ppocr() -> Result<PpOcrService, ApiError> {
    static PPOCR: OnceLock<Result<PpOcrService, ApiError>> = OnceLock::new();
    PPOCR.get_or_init(|| PpOcrService::from_data_dir(crate::ocr::pool::default_capacity())).clone()
}

fn warn_once_without_ppocr(e: &ApiError) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| eprintln!("folio: PP-OCR unavailable, every page is read by Tesseract: {}", e.message));
}

/// OCR of one file (any accepted format) into a document, without the plugin
/// step: for `folio eval` and experiments. `profile` picks the segmentation.
pub fn ocr_file(
    path: &Path,
    document_type: &str,
    language: &str,
    profile: Option<OcrProfile>,
    ocr_engine: OcrEngineChoice,
) -> Result<model::Document, ApiError> {
    let bytes =
        std::fs::read(path).map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("cannot read {}: {e}", path.display())))?;
    let pipeline = Pipeline::with_default_engine(None)?;
    let options = ProcessOptions {
        document_type: document_type.to_string(),
        language: language.to_string(),
        profile,
        ocr_engine,
        ..ProcessOptions::default()
    };
    let id = folio_core::ids::new_document_id();
    pipeline.read_document(&id, bytes, &options).map(|(doc, _)| doc)
}
