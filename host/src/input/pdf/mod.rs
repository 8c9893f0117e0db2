//! PDF input: lopdf opens the file (page count, encryption) and reads the text
//! layer of born-digital pages with positions ([`text`]); pages with little or
//! no text are rasterised with hayro (pure Rust) for OCR.

mod std14_widths;
pub mod text;

use super::{MAX_OCR_PIXELS, MAX_PAGES, PageContent, RasterPage, TARGET_DPI, invalid_file};
use crate::model::{Page, PageSource};
use folio_core::{ApiError, ErrorCode};
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::{PixmapSettings, RenderCache, RenderSettings, vello_cpu::color::palette::css::WHITE};
use lopdf::ObjectId;
use std::sync::{Arc, OnceLock};
use text::PageGeometry;

/// A page whose text layer has fewer visible characters than this is OCR'd
/// instead: scans, scans with a stamp or page number, vector-outlined text.
pub const MIN_TEXT_LAYER_CHARS: usize = 20;

/// An opened PDF. Pages are converted on demand (and from several threads):
/// the text layer is cheap, rasterising is not.
pub struct PdfInput {
    doc: lopdf::Document,
    pages: Vec<ObjectId>,
    bytes: Arc<Vec<u8>>,
    /// hayro's parse of the same bytes, made when the first page needs rasterising.
    renderer: OnceLock<Result<Pdf, String>>,
}

impl PdfInput {
    pub fn open(bytes: &[u8]) -> Result<PdfInput, ApiError> {
        // lopdf rebuilds a cut-off file's cross-reference table and carries on
        // with whatever objects survived; a PDF ends with "%%EOF" (trailing junk allowed).
        if !bytes[bytes.len().saturating_sub(4096)..].windows(5).any(|w| w == b"%%EOF") {
            return Err(invalid_file("The PDF is truncated (no %%EOF end-of-file marker)"));
        }
        let doc = match lopdf::Document::load_mem(bytes) {
            Ok(doc) => doc,
            Err(e) if is_password_error(&e) => return Err(encrypted()),
            Err(e) => return Err(invalid_file(format!("The PDF is corrupt or truncated ({e})"))),
        };
        // lopdf decrypts files whose user password is empty; anything still
        // encrypted needs a password we do not have.
        if doc.is_encrypted() {
            return Err(encrypted());
        }
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        if pages.is_empty() {
            return Err(invalid_file("The PDF has no pages"));
        }
        if pages.len() > MAX_PAGES {
            return Err(ApiError::new(
                ErrorCode::TooManyPages,
                format!("The PDF has {} pages; at most {MAX_PAGES} are accepted", pages.len()),
            ));
        }
        Ok(PdfInput { doc, pages, bytes: Arc::new(bytes.to_vec()), renderer: OnceLock::new() })
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Page `index` (0-based): its text layer when it has enough text, else a raster for OCR.
    pub fn page(&self, index: usize) -> Result<PageContent, ApiError> {
        let id = self.pages[index];
        let geometry = PageGeometry::of_page(&self.doc, id);
        // A page whose content lopdf cannot read may still render: OCR it.
        let lines = text::page_text_lines(&self.doc, id, &geometry, TARGET_DPI).unwrap_or_default();
        let visible_chars: usize = lines.iter().map(|l| l.text.chars().filter(|c| !c.is_whitespace()).count()).sum();
        if visible_chars >= MIN_TEXT_LAYER_CHARS {
            let (w, h) = geometry.size_points();
            let scale = TARGET_DPI as f32 / 72.0;
            let number = index as u32 + 1;
            return Ok(PageContent::TextLayer(Page::from_lines(number, w * scale, h * scale, TARGET_DPI, PageSource::PdfTextLayer, lines)));
        }
        self.rasterize(index).map(PageContent::Raster)
    }

    /// Renders page `index` at 300 DPI (less if the page is huge) to 8-bit gray.
    pub fn rasterize(&self, index: usize) -> Result<RasterPage, ApiError> {
        let pdf = self
            .renderer
            .get_or_init(|| match Pdf::new(self.bytes.clone()) {
                Ok(pdf) => Ok(pdf),
                Err(LoadPdfError::Decryption(e)) => Err(format!("cannot decrypt ({e:?})")),
                Err(e) => Err(format!("{e:?}")),
            })
            .as_ref()
            .map_err(|e| invalid_file(format!("The PDF cannot be rendered: {e}")))?;
        let page = pdf
            .pages()
            .get(index)
            .ok_or_else(|| invalid_file(format!("Page {} of the PDF cannot be rendered", index + 1)))?;
        let (w_pt, h_pt) = page.render_dimensions();
        let dpi = raster_dpi(w_pt, h_pt);
        let scale = dpi as f32 / 72.0;
        let pixmap = hayro::render(
            page,
            &RenderCache::new(),
            &InterpreterSettings::default(),
            &RenderSettings::default(),
            &PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE },
        );
        let (w, h) = (pixmap.width() as u32, pixmap.height() as u32);
        if w == 0 || h == 0 {
            return Err(invalid_file(format!("Page {} of the PDF has no area", index + 1)));
        }
        // Opaque white background: premultiplied RGBA equals straight RGBA.
        let gray = super::raster::rgba_to_gray(pixmap.data_as_u8_slice(), w, h);
        Ok(RasterPage { image: gray, dpi, dpi_known: true })
    }
}

/// 300 DPI, lowered so the raster stays within [`MAX_OCR_PIXELS`] and the
/// renderer's 16-bit dimensions.
fn raster_dpi(w_pt: f32, h_pt: f32) -> u32 {
    let area_in2 = (w_pt / 72.0).max(0.01) * (h_pt / 72.0).max(0.01);
    let by_pixels = (MAX_OCR_PIXELS as f32 / area_in2).sqrt();
    let by_side = 32_000.0 / (w_pt.max(h_pt) / 72.0).max(0.01);
    (TARGET_DPI as f32).min(by_pixels).min(by_side).max(1.0) as u32
}

fn is_password_error(e: &lopdf::Error) -> bool {
    matches!(e, lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword)
}

fn encrypted() -> ApiError {
    ApiError::new(ErrorCode::PdfEncrypted, "The PDF is encrypted and needs a password; upload it without password protection")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_dpi_is_300_for_paper_and_lower_for_posters() {
        assert_eq!(raster_dpi(595.0, 842.0), 300);
        let poster = raster_dpi(72.0 * 100.0, 72.0 * 100.0);
        assert!(poster < 100, "{poster}");
        assert!((100.0 * poster as f32).powi(2) <= MAX_OCR_PIXELS as f32);
    }
}
