//! PDF input: lopdf opens the file (page count, encryption) and reads the text
//! layer of born-digital pages with positions ([`text`]); pages with little or
//! no text are rasterised with hayro (pure Rust) for OCR, except pages that
//! are just one full-page JPEG scan, whose JPEG is decoded directly.

mod std14_widths;
pub mod text;

use super::raster::prepare;
use super::{MAX_OCR_PIXELS, MAX_PAGES, PageContent, RasterPage, TARGET_DPI, invalid_file};
use crate::model::{Page, PageSource};
use crate::ocr::OcrProfile;
use folio_core::{ApiError, ErrorCode};
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::{LoadPdfError, Pdf};
use hayro::{PixmapSettings, RenderCache, RenderSettings, vello_cpu::color::palette::css::WHITE};
use lopdf::ObjectId;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use text::PageGeometry;

/// A page whose text layer has fewer visible characters than this is OCR'd
/// instead: scans, scans with a stamp or page number, vector-outlined text.
pub const MIN_TEXT_LAYER_CHARS: usize = 20;
/// Bound on what one object or cross-reference stream may decompress to while
/// the PDF is loaded (lopdf decodes them all up front; its own default is 256
/// MiB each). Real ones hold object dictionaries and offsets: kilobytes to a
/// few MiB even in documents of thousands of pages. Page contents and images
/// have bounds of their own where they are read.
const MAX_STRUCTURE_STREAM_BYTES: usize = 16 << 20;

/// An opened PDF. Pages are converted on demand (and from several threads):
/// the text layer is cheap, rasterising is not.
pub struct PdfInput {
    doc: lopdf::Document,
    pages: Vec<ObjectId>,
    bytes: Arc<Vec<u8>>,
    /// hayro's parse of the same bytes, made when the first page needs
    /// rasterising and shared by every page's render thread.
    renderer: OnceLock<Result<Arc<Pdf>, String>>,
}

impl PdfInput {
    pub fn open(bytes: &[u8]) -> Result<PdfInput, ApiError> {
        // lopdf rebuilds a cut-off file's cross-reference table and carries on
        // with whatever objects survived; a PDF ends with "%%EOF" (trailing junk allowed).
        if !bytes[bytes.len().saturating_sub(4096)..].windows(5).any(|w| w == b"%%EOF") {
            return Err(invalid_file("The PDF is truncated (no %%EOF end-of-file marker)"));
        }
        let options = lopdf::LoadOptions { max_decompressed_size: Some(MAX_STRUCTURE_STREAM_BYTES), ..Default::default() };
        let doc = match lopdf::Document::load_mem_with_options(bytes, options) {
            Ok(doc) => doc,
            Err(e) if is_password_error(&e) => return Err(encrypted()),
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(invalid_file(format!(
                    "The PDF has a compressed object or cross-reference stream that decompresses to more than {} MiB",
                    MAX_STRUCTURE_STREAM_BYTES >> 20
                )));
            }
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
    pub fn page(&self, index: usize, profile: OcrProfile, render_deadline: Duration) -> Result<PageContent, ApiError> {
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
        if let Some(scan) = self.embedded_scan(id, &geometry) {
            return Ok(PageContent::Raster(prepare(scan.image, Some(scan.dpi), profile)));
        }
        self.rasterize_within(index, None, render_deadline).map(PageContent::Raster)
    }

    /// [`Self::rasterize`] on a thread of its own, given up after
    /// `deadline`: hayro cannot be interrupted, so a page that takes longer
    /// fails the document and its thread is left to finish in the background
    /// (the job, and the host's slot, are freed at once).
    /// `dpi`: the resolution to render at (capped as [`Self::rasterize`]'s);
    /// `None` for 300 DPI.
    pub fn rasterize_within(&self, index: usize, dpi: Option<u32>, deadline: Duration) -> Result<RasterPage, ApiError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let pdf = self.renderer()?;
        std::thread::Builder::new()
            .name(format!("render-page-{}", index + 1))
            .spawn(move || {
                let _ = tx.send(render_page(&pdf, index, dpi));
            })
            .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("cannot start rendering: {e}")))?;
        match rx.recv_timeout(deadline) {
            Ok(r) => r,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(ApiError::new(
                ErrorCode::ProcessingFailed,
                format!("Page {} of the PDF did not render within {:.0} s", index + 1, deadline.as_secs_f64().max(1.0)),
            )),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(ApiError::new(ErrorCode::InternalError, format!("rendering page {} panicked", index + 1)))
            }
        }
    }

    /// The page's scan, when the page is nothing but one image drawn over the
    /// whole page (how scanners write PDFs): decoding the image directly takes
    /// a fraction of the time of rendering the page, and keeps the scan's own
    /// pixels. JPEG (DCT) and losslessly compressed 8-bit gray or RGB images;
    /// anything else (CCITT, JBIG2, masks, CMYK, rotation) is rendered.
    fn embedded_scan(&self, page_id: ObjectId, geometry: &PageGeometry) -> Option<EmbeddedScan> {
        use lopdf::Object;
        if geometry.rotate != 0 {
            return None;
        }
        // A scan's content stream is a few dozen bytes: `q W 0 0 H X Y cm /Im0 Do Q`.
        let content = self.doc.get_page_content_with_limit(page_id, 4096).ok()?;
        let ops = lopdf::content::Content::decode(&content).ok()?.operations;
        let (mut ctm, mut stack, mut drawn) = ([1.0f32, 0.0, 0.0, 1.0, 0.0, 0.0], Vec::new(), None);
        for op in &ops {
            match op.operator.as_str() {
                "q" => stack.push(ctm),
                "Q" => ctm = stack.pop()?,
                "cm" => {
                    let m: Vec<f32> = op.operands.iter().map(|o| o.as_float().ok()).collect::<Option<_>>()?;
                    let [a, b, c, d, e, f] = <[f32; 6]>::try_from(m).ok()?;
                    let [a2, b2, c2, d2, e2, f2] = ctm;
                    ctm = [a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2];
                }
                "Do" if drawn.is_none() => drawn = Some((op.operands.first()?.as_name().ok()?.to_vec(), ctm)),
                // Text state without any text shown (some generators emit an empty BT/ET).
                "BT" | "ET" | "Tf" | "TL" | "Tc" | "Tw" | "Tz" | "Ts" | "Td" | "TD" | "Tm" => {}
                _ => return None,
            }
        }
        let (name, [a, b, c, d, e, f]) = drawn?;
        // Upright and covering the visible page (to within a point).
        let [left, bottom, right, top] = geometry.bbox;
        let close = |x: f32, y: f32| (x - y).abs() <= 1.0;
        if b != 0.0 || c != 0.0 || !close(e, left) || !close(f, bottom) || !close(a, right - left) || !close(d, top - bottom) {
            return None;
        }
        let (inline, ids) = self.doc.get_page_resources(page_id).ok()?;
        let stream = inline.into_iter().chain(ids.iter().filter_map(|id| self.doc.get_dictionary(*id).ok())).find_map(|r| {
            let xobjects = r.get_deref(b"XObject", &self.doc).and_then(Object::as_dict).ok()?;
            xobjects.get_deref(&name, &self.doc).and_then(Object::as_stream).ok()
        })?;
        let dict = &stream.dict;
        let get = |k: &[u8]| dict.get_deref(k, &self.doc).ok();
        let filters: Vec<&[u8]> = match get(b"Filter") {
            None => Vec::new(),
            Some(Object::Name(n)) => vec![n.as_slice()],
            Some(Object::Array(a)) => a.iter().map(|o| o.as_name().ok()).collect::<Option<_>>()?,
            Some(_) => return None,
        };
        let jpeg = filters == [&b"DCTDecode"[..]];
        let lossless =
            filters.iter().all(|f| matches!(*f, b"FlateDecode" | b"LZWDecode" | b"ASCII85Decode" | b"ASCIIHexDecode" | b"RunLengthDecode"));
        // Plain gray or RGB: no masks, no decode arrays, no CMYK/indexed colour.
        let components = match get(b"ColorSpace")? {
            Object::Name(n) if n == b"DeviceGray" => 1,
            Object::Name(n) if n == b"DeviceRGB" => 3,
            Object::Array(a) if a.first().and_then(|o| o.as_name().ok()) == Some(b"ICCBased") => a
                .get(1)
                .and_then(|o| self.doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_stream().ok())
                .and_then(|s| s.dict.get(b"N").ok()?.as_i64().ok())
                .filter(|n| *n == 1 || *n == 3)?,
            _ => return None,
        };
        let plain = get(b"BitsPerComponent").and_then(|o| o.as_i64().ok()) == Some(8)
            && [&b"SMask"[..], b"Mask", b"Decode"].iter().all(|k| get(k).is_none())
            && get(b"ImageMask").and_then(|o| o.as_bool().ok()) != Some(true);
        if !(dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image") && (jpeg || lossless) && plain) {
            return None;
        }
        let width = u32::try_from(get(b"Width")?.as_i64().ok()?).ok()?;
        let height = u32::try_from(get(b"Height")?.as_i64().ok()?).ok()?;
        super::check_pixels("image", width, height).ok()?;
        let image = if jpeg {
            super::raster::decode_embedded_jpeg(&stream.content, width, height)?
        } else {
            let n = width as usize * height as usize * components as usize;
            // A little slack: some writers pad the data.
            let mut samples = stream.get_plain_content_with_limit(n + n / 16 + 1024).ok()?;
            samples.truncate(n);
            super::raster::samples_to_gray(samples, width, height, components as u8)?
        };
        Some(EmbeddedScan { dpi: width as f32 * 72.0 / a, image })
    }

    /// Renders page `index` at 300 DPI (less if the page is huge) to 8-bit gray.
    pub fn rasterize(&self, index: usize) -> Result<RasterPage, ApiError> {
        let pdf = self.renderer()?;
        render_page(&pdf, index, None)
    }

    /// hayro's parse of the file, made once.
    fn renderer(&self) -> Result<Arc<Pdf>, ApiError> {
        self.renderer
            .get_or_init(|| match Pdf::new(self.bytes.clone()) {
                Ok(pdf) => Ok(Arc::new(pdf)),
                Err(LoadPdfError::Decryption(e)) => Err(format!("cannot decrypt ({e:?})")),
                Err(e) => Err(format!("{e:?}")),
            })
            .clone()
            .map_err(|e| invalid_file(format!("The PDF cannot be rendered: {e}")))
    }
}

/// Renders page `index` of a parsed PDF with hayro.
/// At `dpi` when given (never above the 300 DPI cap), else at 300 DPI.
fn render_page(pdf: &Pdf, index: usize, dpi: Option<u32>) -> Result<RasterPage, ApiError> {
    let page = pdf.pages().get(index).ok_or_else(|| invalid_file(format!("Page {} of the PDF cannot be rendered", index + 1)))?;
    let (w_pt, h_pt) = page.render_dimensions();
    let dpi = raster_dpi(w_pt, h_pt).min(dpi.unwrap_or(u32::MAX)).max(1);
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

struct EmbeddedScan {
    image: crate::ocr::GrayImage,
    dpi: f32,
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
