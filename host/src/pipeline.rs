//! One document end to end: bytes -> pages ([`crate::input`]) -> OCR of the
//! pages that need it, in parallel ([`crate::ocr`]) -> [`model::Document`] ->
//! extractor plugin -> [`ProcessingResult`].
//!
//! Everything is checked before any OCR runs (document type, language, file
//! type, corruption, encryption, page count), so a bad request fails in
//! milliseconds. Pages are converted and recognised by a few worker threads
//! (as many as the OCR pool has engines); the output order is the page order.

use crate::input::{InputDocument, InputOptions, PageContent, RasterPage};
use crate::model::{self, Page, PageSource};
use crate::ocr::pool::EnginePool;
use crate::ocr::tesseract_wasm::{TesseractWasm, WasmLimits};
use crate::ocr::{OcrEngine, OcrParams, OcrProfile, check_language, enhance};
use crate::plugins::{Extracted, PluginHost};
use folio_core::{ApiError, ErrorCode, ProcessingMetadata, ProcessingResult};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What the caller asked for (the DocuRift submission fields plus local options).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessOptions {
    pub document_type: String,
    /// ISO 639-1.
    pub language: String,
    pub extract_tables: bool,
    pub hints: Vec<(String, String)>,
    /// Put the OCR pages into `ProcessingResult::ocr`.
    pub include_ocr: bool,
    /// Overrides the OCR profile the document type implies.
    pub profile: Option<OcrProfile>,
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

/// The document pipeline; cheap to share between threads.
pub struct Pipeline {
    ocr: Arc<dyn OcrEngine>,
    extractor: Option<Arc<dyn Extractor>>,
    page_workers: usize,
}

impl Pipeline {
    /// `page_workers`: threads converting and recognising pages of one
    /// document (the OCR pool's size is the natural choice).
    pub fn new(ocr: Arc<dyn OcrEngine>, extractor: Option<Arc<dyn Extractor>>, page_workers: usize) -> Self {
        Self { ocr, extractor, page_workers: page_workers.max(1) }
    }

    /// The default OCR engine and the given extractor, one page worker per core.
    pub fn with_default_engine(extractor: Option<Arc<dyn Extractor>>) -> Result<Self, ApiError> {
        let pool = default_ocr_pool()?;
        let workers = pool.capacity();
        Ok(Self::new(pool, extractor, workers))
    }

    pub fn ocr_engine(&self) -> &Arc<dyn OcrEngine> {
        &self.ocr
    }

    /// Bytes -> document model, without the plugin step (what `folio eval` and
    /// benchmarks need).
    pub fn read_document(&self, id: &str, bytes: Vec<u8>, options: &ProcessOptions) -> Result<(model::Document, Timings), ApiError> {
        let started = Instant::now();
        folio_core::document::validate_document_type(&options.document_type)?;
        check_language(self.ocr.as_ref(), &options.language)?;
        let input = InputDocument::open(bytes, InputOptions { profile: options.profile() })?;
        let (pages, mut timings) = self.pages(&input, options)?;
        timings.total = started.elapsed();
        let document = model::Document {
            id: id.to_string(),
            document_type: options.document_type.clone(),
            language: options.language.clone(),
            extract_tables: options.extract_tables,
            hints: options.hints.clone(),
            pages,
        };
        Ok((document, timings))
    }

    /// Bytes -> the host's result for one document.
    pub fn process(&self, id: &str, bytes: Vec<u8>, options: &ProcessOptions) -> Result<(ProcessingResult, Timings), ApiError> {
        let started = Instant::now();
        let extractor = self.extractor.as_ref().ok_or_else(|| {
            ApiError::new(ErrorCode::InternalError, "no extractor plugins are loaded (run scripts/build-plugins)")
        })?;
        folio_core::document::validate_document_type(&options.document_type)?;
        extractor.check_document_type(&options.document_type)?;
        let (document, mut timings) = self.read_document(id, bytes, options)?;
        let extract_started = Instant::now();
        let extraction = extractor.extract(&document)?;
        timings.extract = extract_started.elapsed();
        timings.total = started.elapsed();
        let ocr_part = ocr_version(self.ocr.as_ref(), &document);
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
            },
            ocr: options.include_ocr.then(|| ocr_json(&document.pages)),
        };
        Ok((result, timings))
    }

    /// Converts every page, recognising rasters, on up to `page_workers` threads.
    fn pages(&self, input: &InputDocument, options: &ProcessOptions) -> Result<(Vec<Page>, Timings), ApiError> {
        let n = input.page_count();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<(usize, Result<(Page, Option<Duration>), ApiError>)>> = Mutex::new(Vec::with_capacity(n));
        let profile = options.profile();
        std::thread::scope(|scope| {
            for _ in 0..self.page_workers.min(n) {
                scope.spawn(|| {
                    // Stop taking pages once one failed: the document fails anyway.
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        let r = self.page(input, i, &options.language, profile);
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

    fn page(&self, input: &InputDocument, index: usize, language: &str, profile: OcrProfile) -> Result<(Page, Option<Duration>), ApiError> {
        let number = index as u32 + 1;
        let count = input.page_count();
        match input.page(index).map_err(|e| on_page(number, count, e))? {
            PageContent::TextLayer(page) => Ok((page, None)),
            PageContent::Raster(raster) => {
                let started = Instant::now();
                let page = self.recognize(number, &raster, language, profile).map_err(|e| on_page(number, count, e))?;
                Ok((page, Some(started.elapsed())))
            }
        }
    }

    /// OCR of one raster into a page.
    pub fn recognize(&self, number: u32, raster: &RasterPage, language: &str, profile: OcrProfile) -> Result<Page, ApiError> {
        let params = OcrParams::new(language, raster.dpi_known.then_some(raster.dpi), profile);
        let mut lines = self.ocr.recognize(&raster.image, &params)?;
        // Faded or dot-matrix receipts: a second pass on an enhanced image (see ocr::enhance).
        if profile == OcrProfile::Receipt && enhance::confident_chars(&lines) < enhance::FAINT_PAGE_CHARS {
            let retry = self.ocr.recognize(&enhance::faint_receipt(&raster.image), &params)?;
            if enhance::confident_chars(&retry) > enhance::confident_chars(&lines) {
                lines = retry;
            }
        }
        let (w, h) = raster.image.dimensions();
        Ok(Page::from_lines(number, w as f32, h as f32, raster.dpi, PageSource::Ocr, lines))
    }
}

/// Says which page failed, for multi-page documents.
fn on_page(number: u32, page_count: usize, mut e: ApiError) -> ApiError {
    if page_count > 1 {
        e.message = format!("Page {number}: {}", e.message);
    }
    e
}

/// `tesseract-5.3.0-wasm/eng` when any page was OCR'd, `pdf-text` otherwise.
fn ocr_version(engine: &dyn OcrEngine, document: &model::Document) -> String {
    if document.pages.iter().any(|p| p.source == PageSource::Ocr) {
        let model = folio_core::language::tesseract_model(&document.language).unwrap_or("?");
        format!("{}/{model}", engine.version())
    } else {
        "pdf-text".to_string()
    }
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

/// OCR of one file (any accepted format) into a document, without the plugin
/// step: for `folio eval` and experiments. `profile` picks the segmentation.
pub fn ocr_file(path: &Path, document_type: &str, language: &str, profile: Option<OcrProfile>) -> Result<model::Document, ApiError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, format!("cannot read {}: {e}", path.display())))?;
    let pipeline = Pipeline::with_default_engine(None)?;
    let options = ProcessOptions {
        document_type: document_type.to_string(),
        language: language.to_string(),
        profile,
        ..ProcessOptions::default()
    };
    let id = folio_core::ids::new_document_id();
    pipeline.read_document(&id, bytes, &options).map(|(doc, _)| doc)
}
