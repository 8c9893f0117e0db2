//! Page previews for the review page: one small PNG per page of
//! a PDF or TIFF, the raster OCR was given (before any turn: like an image
//! upload, which is its own preview, the viewer turns it by
//! `metadata.pages[].rotation`, so a page read sideways is not turned twice),
//! at about [`PREVIEW_DPI`] and at most [`PREVIEW_MAX_SIDE`] pixels on the
//! long side, for the first [`PREVIEW_PAGES`] pages. The review page
//! stretches the image over the page's box units (`metadata.pages[]`), so
//! only the aspect ratio has to match. Gray, as the raster OCR read; image
//! uploads are their own preview and get none.

use crate::input::{InputDocument, InputOptions};
use crate::model::Document;
use crate::ocr::GrayImage;
use folio_core::outputs::{PREVIEW_DPI, PREVIEW_MAX_SIDE, PREVIEW_PAGES};
use folio_core::{ApiError, ErrorCode, FileKind};
use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

/// One page's preview PNG.
#[derive(Clone, Debug)]
pub struct PagePreview {
    /// 1-based.
    pub page: u32,
    pub png: Vec<u8>,
}

/// Whether a file of `kind` gets previews (PDF and TIFF).
pub fn has_previews(kind: FileKind) -> bool {
    matches!(kind, FileKind::Pdf | FileKind::Tiff)
}

/// The previews of `document` (read from `file`): none for image uploads,
/// else one per page up to [`PREVIEW_PAGES`]. Pages are decoded again: the
/// OCR pass keeps no rasters, and a page's decode is small next to its OCR.
pub fn previews(document: &Document, file: &[u8]) -> Result<Vec<PagePreview>, ApiError> {
    if !FileKind::detect(file).is_ok_and(has_previews) {
        return Ok(Vec::new());
    }
    let input = InputDocument::open(file.to_vec(), InputOptions::default())?;
    document
        .pages
        .iter()
        .take(PREVIEW_PAGES as usize)
        .enumerate()
        .map(|(i, page)| {
            let raster = input.page_image(i, PREVIEW_DPI)?;
            let small = downscale(&raster.image, raster.dpi);
            Ok(PagePreview { page: page.number, png: png(&small)? })
        })
        .collect()
}

/// `image` at about [`PREVIEW_DPI`] (from `dpi`) and within
/// [`PREVIEW_MAX_SIDE`]; never enlarged.
fn downscale(image: &GrayImage, dpi: u32) -> GrayImage {
    let (w, h) = image.dimensions();
    let by_dpi = PREVIEW_DPI as f64 / dpi.max(1) as f64;
    let by_side = PREVIEW_MAX_SIDE as f64 / w.max(h).max(1) as f64;
    let scale = by_dpi.min(by_side);
    if scale >= 1.0 {
        return image.clone();
    }
    let (nw, nh) = (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1));
    // Area averaging: fast, and keeps thin strokes readable when shrinking 3x.
    image::imageops::thumbnail(image, nw, nh)
}

fn png(image: &GrayImage) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::L8)
        .map_err(|e| ApiError::new(ErrorCode::InternalError, format!("cannot encode a page preview: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_targets_100_dpi_and_the_side_cap() {
        // A4 at 300 DPI -> 100 DPI.
        let a4 = GrayImage::new(2480, 3508);
        assert_eq!(downscale(&a4, 300).dimensions(), (827, 1169));
        // A poster at 300 DPI: the long side is capped.
        let poster = GrayImage::new(6000, 3000);
        assert_eq!(downscale(&poster, 300).dimensions(), (1200, 600));
        // Already small: kept.
        assert_eq!(downscale(&GrayImage::new(300, 400), 72).dimensions(), (300, 400));
    }

    #[test]
    fn png_round_trips() {
        let mut img = GrayImage::new(40, 20);
        img.put_pixel(3, 4, image::Luma([7]));
        let bytes = png(&img).unwrap();
        let back = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert_eq!(back, img);
    }
}
