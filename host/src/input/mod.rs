//! Bytes -> pages. The format is decided by magic bytes ([`FileKind::detect`]),
//! never by name or declared type. Images (PNG, JPEG, WEBP, multi-page TIFF)
//! become 8-bit gray rasters at about 300 DPI; PDF pages give their text
//! layer, or a raster when they have little or no text.
//!
//! [`InputDocument::open`] checks the file and counts its pages without
//! decoding pixels; [`InputDocument::page`] converts one page and may be called
//! from several threads at once, so pages are decoded in parallel and only
//! while they are needed. Bad input gives a precise [`ApiError`], never a panic:
//! `INVALID_FILE_TYPE`, `INVALID_FILE` (empty, truncated, corrupt, too many
//! pixels, no pages), `PDF_ENCRYPTED`, `TOO_MANY_PAGES`.

pub mod pdf;
pub mod raster;
mod tiff;

use crate::model::Page;
use crate::ocr::{GrayImage, OcrProfile};
use folio_core::{ApiError, ErrorCode, FileKind};
use std::sync::Arc;

/// The resolution pages are OCR'd at (and PDF text-layer boxes are expressed in).
pub const TARGET_DPI: u32 = 300;
/// Most pages accepted in one document.
pub const MAX_PAGES: usize = 2000;
/// Decompression-bomb guard: most pixels an image (or TIFF page) may declare.
/// 100 MP covers 50 MP phone photos and A2 scans at 400 DPI.
pub const MAX_SOURCE_PIXELS: u64 = 100_000_000;
/// Most pixels of a page raster handed to OCR (an A2 page at 300 DPI is 35 MP);
/// larger pages are scaled down to fit.
pub const MAX_OCR_PIXELS: u64 = 36_000_000;

/// A page ready for OCR.
#[derive(Clone, Debug)]
pub struct RasterPage {
    pub image: GrayImage,
    /// Resolution of `image` as far as it is known (declared, or estimated from
    /// the page size); this is what the page's boxes are expressed in.
    pub dpi: u32,
    /// Whether `dpi` came from the file (or rendering), so Tesseract can be told;
    /// when it is only a guess Tesseract estimates it from the text size.
    pub dpi_known: bool,
}

/// One page: either already text (a PDF text layer) or a raster to OCR.
#[derive(Clone, Debug)]
pub enum PageContent {
    TextLayer(Page),
    Raster(RasterPage),
}

/// How to prepare pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputOptions {
    /// The OCR profile, which also says what physical size a page of unknown
    /// resolution probably has (a receipt is about 80 mm wide).
    pub profile: OcrProfile,
    /// How long rendering one PDF page may take before the page (and the
    /// document) fails: a crafted page must not hold a host indefinitely.
    pub render_deadline: std::time::Duration,
}

/// [`InputOptions::render_deadline`] unless `FOLIO_RENDER_DEADLINE_SECONDS` says otherwise.
pub const DEFAULT_RENDER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

impl Default for InputOptions {
    fn default() -> Self {
        let render_deadline = std::env::var("FOLIO_RENDER_DEADLINE_SECONDS")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(DEFAULT_RENDER_DEADLINE, std::time::Duration::from_secs_f64);
        Self { profile: OcrProfile::Document, render_deadline }
    }
}

enum Source {
    Image { kind: FileKind },
    Tiff { pages: usize },
    Pdf(Box<pdf::PdfInput>),
}

/// An uploaded file, checked and with its page count known.
pub struct InputDocument {
    bytes: Arc<Vec<u8>>,
    source: Source,
    options: InputOptions,
}

impl InputDocument {
    /// Detects the format and checks the file: header, pixel cap, page count, encryption.
    pub fn open(bytes: Vec<u8>, options: InputOptions) -> Result<InputDocument, ApiError> {
        let kind = FileKind::detect(&bytes)?;
        let bytes = Arc::new(bytes);
        let source = match kind {
            FileKind::Pdf => Source::Pdf(Box::new(pdf::PdfInput::open(&bytes)?)),
            FileKind::Tiff => Source::Tiff { pages: tiff::check(&bytes)? },
            FileKind::Png | FileKind::Jpeg | FileKind::Webp => {
                raster::check(&bytes, kind)?;
                Source::Image { kind }
            }
        };
        Ok(InputDocument { bytes, source, options })
    }

    pub fn kind(&self) -> FileKind {
        match &self.source {
            Source::Image { kind } => *kind,
            Source::Tiff { .. } => FileKind::Tiff,
            Source::Pdf(_) => FileKind::Pdf,
        }
    }

    pub fn page_count(&self) -> usize {
        match &self.source {
            Source::Image { .. } => 1,
            Source::Tiff { pages } => *pages,
            Source::Pdf(p) => p.page_count(),
        }
    }

    /// Converts page `index` (0-based, `< page_count()`).
    pub fn page(&self, index: usize) -> Result<PageContent, ApiError> {
        if index >= self.page_count() {
            return Err(ApiError::new(ErrorCode::InternalError, format!("page {index} out of range")));
        }
        match &self.source {
            Source::Image { kind } => raster::decode(&self.bytes, *kind, self.options.profile).map(PageContent::Raster),
            Source::Tiff { .. } => tiff::decode_page(&self.bytes, index, self.options.profile).map(PageContent::Raster),
            Source::Pdf(p) => p.page(index, self.options.profile, self.options.render_deadline),
        }
    }
}

impl InputDocument {
    /// Page `index` as an image at about `dpi` (never above the OCR
    /// resolution): the raster OCR reads, or for a PDF page with a text
    /// layer a render at `dpi`. For previews (`crate::outputs::preview`).
    pub fn page_image(&self, index: usize, dpi: u32) -> Result<RasterPage, ApiError> {
        match self.page(index)? {
            PageContent::Raster(r) => Ok(r),
            PageContent::TextLayer(_) => match &self.source {
                Source::Pdf(p) => p.rasterize_within(index, Some(dpi), self.options.render_deadline),
                _ => Err(ApiError::new(ErrorCode::InternalError, "only PDF pages have a text layer")),
            },
        }
    }
}

/// `INVALID_FILE` with a message.
pub(crate) fn invalid_file(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidFile, message)
}

/// The pixel-cap error.
pub(crate) fn too_many_pixels(what: &str, w: u64, h: u64) -> ApiError {
    invalid_file(format!("The {what} is {w} x {h} pixels; at most {} megapixels are accepted", MAX_SOURCE_PIXELS / 1_000_000))
}

/// The pixel-cap check on declared dimensions, before anything is decoded.
pub(crate) fn check_pixels(what: &str, w: u32, h: u32) -> Result<(), ApiError> {
    if w == 0 || h == 0 {
        return Err(invalid_file(format!("The {what} has no pixels ({w} x {h})")));
    }
    if w as u64 * h as u64 > MAX_SOURCE_PIXELS {
        return Err(too_many_pixels(what, w as u64, h as u64));
    }
    Ok(())
}
