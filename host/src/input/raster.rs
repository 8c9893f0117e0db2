//! PNG, JPEG and WEBP pages (decoded with the `image` crate), and what every
//! raster goes through before OCR: EXIF orientation, conversion to 8-bit gray
//! over a white background, and scaling to about 300 DPI.

use super::{MAX_OCR_PIXELS, MAX_SOURCE_PIXELS, RasterPage, TARGET_DPI, check_pixels, invalid_file};
use crate::ocr::{GrayImage, OcrProfile};
use folio_core::{ApiError, FileKind};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Declared resolutions below this are software defaults (72, 96), not scans.
const MIN_CREDIBLE_DPI: f32 = 100.0;
const MAX_CREDIBLE_DPI: f32 = 2400.0;
/// Rasters declared within this range are OCR'd as they are. Upscaling
/// 150-240 DPI receipts to 300 lowered word recall on SROIE (74.1-74.5% against
/// 75.0%, `folio bench ocr --segmentation-study`): Tesseract rescales text lines
/// itself, so only really coarse scans are enlarged.
const NO_RESCALE_DPI: std::ops::RangeInclusive<f32> = 150.0..=400.0;
/// Upscaling beyond 2x only blurs; Tesseract copes with small text better than with mush.
const MAX_UPSCALE: f32 = 2.0;

fn format(kind: FileKind) -> ImageFormat {
    match kind {
        FileKind::Png => ImageFormat::Png,
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Webp => ImageFormat::WebP,
        FileKind::Tiff => ImageFormat::Tiff,
        FileKind::Pdf => unreachable!("PDFs are not rasters"),
    }
}

fn name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Png => "PNG image",
        FileKind::Jpeg => "JPEG image",
        FileKind::Webp => "WEBP image",
        FileKind::Tiff => "TIFF image",
        FileKind::Pdf => "PDF",
    }
}

fn decoder(bytes: &[u8], kind: FileKind) -> Result<impl ImageDecoder + '_, ApiError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format(kind));
    let mut limits = Limits::default();
    // Decoded RGBA of the largest accepted image, plus decoder working memory.
    limits.max_alloc = Some(MAX_SOURCE_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    reader.into_decoder().map_err(|e| corrupt(kind, &e))
}

fn corrupt(kind: FileKind, e: &image::ImageError) -> ApiError {
    match e {
        image::ImageError::Limits(_) => invalid_file(format!("The {} is too large to decode ({e})", name(kind))),
        _ => invalid_file(format!("The {} is corrupt or truncated ({e})", name(kind))),
    }
}

/// Reads the header: the image must declare a sane size and, for JPEG, be complete.
pub(super) fn check(bytes: &[u8], kind: FileKind) -> Result<(), ApiError> {
    let d = decoder(bytes, kind)?;
    let (w, h) = d.dimensions();
    check_pixels(name(kind), w, h)?;
    // The JPEG decoder fills a cut-off scan with gray instead of failing.
    if kind == FileKind::Jpeg && !jpeg_has_end_of_image(bytes) {
        return Err(invalid_file("The JPEG image is truncated (no end-of-image marker after its scan data)"));
    }
    Ok(())
}

/// Whether an EOI marker (FF D9) follows the first start-of-scan (FF DA).
/// Cameras may append data after EOI, so the marker need not be last.
fn jpeg_has_end_of_image(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else { return false };
    bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Decodes the image into an OCR-ready page.
pub(super) fn decode(bytes: &[u8], kind: FileKind, profile: OcrProfile) -> Result<RasterPage, ApiError> {
    let mut d = decoder(bytes, kind)?;
    let (w, h) = d.dimensions();
    check_pixels(name(kind), w, h)?;
    // A broken EXIF block only costs the orientation.
    let orientation = d.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(d).map_err(|e| corrupt(kind, &e))?;
    img.apply_orientation(orientation);
    let dpi = declared_dpi(bytes, kind);
    Ok(prepare(to_gray(img), dpi, profile))
}

/// Decodes a JPEG embedded in a PDF (a scanned page) into gray pixels, or
/// `None` if it does not decode or is not `width` x `height`. EXIF orientation
/// is ignored, as PDF viewers ignore it.
pub(super) fn decode_embedded_jpeg(bytes: &[u8], width: u32, height: u32) -> Option<GrayImage> {
    let d = decoder(bytes, FileKind::Jpeg).ok()?;
    if d.dimensions() != (width, height) || check_pixels("image", width, height).is_err() {
        return None;
    }
    DynamicImage::from_decoder(d).ok().map(to_gray)
}

/// Raw 8-bit gray (1 component) or RGB (3) samples into gray pixels, or
/// `None` when there are too few.
pub(super) fn samples_to_gray(samples: Vec<u8>, width: u32, height: u32, components: u8) -> Option<GrayImage> {
    let img = match components {
        1 => DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, samples)?),
        3 => DynamicImage::ImageRgb8(image::RgbImage::from_raw(width, height, samples)?),
        _ => return None,
    };
    Some(to_gray(img))
}

/// 8-bit gray with transparency composited over white, with Rec. 709 weights
/// (what `image` uses): on SROIE receipts they gave 75.0% word recall against
/// 74.4% with Leptonica's (0.3, 0.5, 0.2).
pub fn to_gray(img: DynamicImage) -> GrayImage {
    match img {
        DynamicImage::ImageLuma8(g) => g,
        DynamicImage::ImageRgb8(rgb) => {
            let (w, h) = rgb.dimensions();
            let px = rgb.as_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2])).collect();
            GrayImage::from_raw(w, h, px).expect("one byte per pixel")
        }
        DynamicImage::ImageLumaA8(la) => {
            let (w, h) = la.dimensions();
            let px = la.as_raw().chunks_exact(2).map(|p| over_white(p[0], p[1])).collect();
            GrayImage::from_raw(w, h, px).expect("one byte per pixel")
        }
        other => {
            let rgba = other.to_rgba8();
            let (w, h) = rgba.dimensions();
            rgba_to_gray(rgba.as_raw(), w, h)
        }
    }
}

/// Straight (or opaque premultiplied) RGBA bytes -> gray over white.
pub fn rgba_to_gray(rgba: &[u8], w: u32, h: u32) -> GrayImage {
    let px = rgba.chunks_exact(4).map(|p| over_white(luma(p[0], p[1], p[2]), p[3])).collect();
    GrayImage::from_raw(w, h, px).expect("one byte per pixel")
}

#[inline]
fn luma(r: u8, g: u8, b: u8) -> u8 {
    // 0.2126 R + 0.7152 G + 0.0722 B in 8.8 fixed point (54 + 183 + 19 = 256).
    ((r as u32 * 54 + g as u32 * 183 + b as u32 * 19 + 128) >> 8) as u8
}

#[inline]
fn over_white(v: u8, alpha: u8) -> u8 {
    let a = alpha as u32;
    ((v as u32 * a + 255 * (255 - a) + 127) / 255) as u8
}

/// Brings a gray raster to a resolution Tesseract reads well.
///
/// - A credible declared resolution (100..=2400 DPI) is trusted: coarse scans
///   below 150 DPI are enlarged towards 300 (at most 2x), rasters above 400 DPI
///   brought down to 300 (faster, no less accurate), the rest left alone.
/// - Otherwise (none, or a 72/96 software default) the resolution is estimated
///   from the page width the profile implies (A4 for documents, 58 mm for
///   receipts) and used only to enlarge rasters below 150 DPI: a wrong guess
///   must not shrink text. Tesseract then estimates the resolution from the text.
/// - Whatever the resolution, the raster is kept within [`MAX_OCR_PIXELS`].
pub fn prepare(gray: GrayImage, declared_dpi: Option<f32>, profile: OcrProfile) -> RasterPage {
    let (w, h) = gray.dimensions();
    let plan = plan_scaling(w, h, declared_dpi, profile);
    if plan.size == (w, h) {
        return RasterPage { image: gray, dpi: plan.dpi, dpi_known: plan.dpi_known };
    }
    // Triangle: bilinear when enlarging (on SROIE slightly better than Catmull-Rom,
    // which rings around glyph edges), area-like when shrinking.
    let image = image::imageops::resize(&gray, plan.size.0, plan.size.1, FilterType::Triangle);
    RasterPage { image, dpi: plan.dpi, dpi_known: plan.dpi_known }
}

/// What [`prepare`] does to a `w` x `h` raster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalingPlan {
    pub size: (u32, u32),
    pub dpi: u32,
    pub dpi_known: bool,
}

pub fn plan_scaling(w: u32, h: u32, declared_dpi: Option<f32>, profile: OcrProfile) -> ScalingPlan {
    let declared = declared_dpi.filter(|d| (MIN_CREDIBLE_DPI..=MAX_CREDIBLE_DPI).contains(d));
    let (source_dpi, known) = match declared {
        Some(d) => (d, true),
        None => (w.min(h) as f32 / assumed_width_inches(profile), false),
    };
    // A guessed resolution may only enlarge.
    let mut scale = if NO_RESCALE_DPI.contains(&source_dpi) || (!known && source_dpi > *NO_RESCALE_DPI.end()) {
        1.0
    } else {
        (TARGET_DPI as f32 / source_dpi).min(MAX_UPSCALE)
    };
    let fit = (MAX_OCR_PIXELS as f64 / (w as f64 * h as f64)).sqrt() as f32;
    scale = scale.min(fit);
    if (scale - 1.0).abs() < 0.02 {
        scale = 1.0;
    }
    // Rounded down so the pixel cap holds exactly.
    let size = (((w as f32 * scale) as u32).max(1), ((h as f32 * scale) as u32).max(1));
    let size = if scale == 1.0 { (w, h) } else { size };
    ScalingPlan { size, dpi: (source_dpi * scale).round().max(1.0) as u32, dpi_known: known }
}

fn assumed_width_inches(profile: OcrProfile) -> f32 {
    match profile {
        OcrProfile::Document => 8.27,
        // The narrowest common till roll (58 mm): assuming 80 mm took most
        // 58 mm receipt scans for low-resolution ones.
        OcrProfile::Receipt => 2.28,
    }
}

/// The resolution a PNG (`pHYs`) or JPEG (JFIF `APP0`) declares, if any.
fn declared_dpi(bytes: &[u8], kind: FileKind) -> Option<f32> {
    match kind {
        FileKind::Png => png_dpi(bytes),
        FileKind::Jpeg => jfif_dpi(bytes),
        _ => None,
    }
}

fn png_dpi(bytes: &[u8]) -> Option<f32> {
    let mut pos = 8;
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().ok()?) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = bytes.get(pos + 8..pos + 8 + len)?;
        match kind {
            // Pixels per unit X, Y (u32 BE) and the unit (1 = metre).
            b"pHYs" if len == 9 && data[8] == 1 => {
                let x = u32::from_be_bytes(data[0..4].try_into().ok()?) as f32;
                // Writers store a whole DPI as rounded pixels per metre (150 DPI -> 5906 px/m
                // -> 150.01 DPI); round back, or the 2x scale lands a pixel short.
                return Some((x * 0.0254).round());
            }
            b"IDAT" | b"IEND" => return None,
            _ => pos += 12 + len,
        }
    }
    None
}

fn jfif_dpi(bytes: &[u8]) -> Option<f32> {
    // SOI, then APP0: FF E0, length, "JFIF\0", version (2), units, Xdensity, Ydensity.
    let app0 = bytes.get(2..20)?;
    if app0[0..2] != [0xFF, 0xE0] || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let density = u16::from_be_bytes([app0[12], app0[13]]) as f32;
    match app0[11] {
        1 => Some(density),
        2 => Some(density * 2.54),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_uses_rec709_weights_and_white_background() {
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(0, 0, 0), 0);
        assert_eq!(luma(255, 0, 0), 54);
        assert_eq!(luma(0, 255, 0), 182);
        assert_eq!(over_white(0, 0), 255);
        assert_eq!(over_white(0, 255), 0);
        let g = rgba_to_gray(&[0, 0, 0, 0, 0, 0, 0, 255], 2, 1);
        assert_eq!(g.as_raw(), &[255, 0]);
    }

    #[test]
    fn scaling_policy() {
        let plan = |w, h, dpi, profile| {
            let p = plan_scaling(w, h, dpi, profile);
            (p.size.0, p.size.1, p.dpi, p.dpi_known)
        };
        // Declared 300 DPI: untouched.
        assert_eq!(plan(2480, 3508, Some(300.0), OcrProfile::Document), (2480, 3508, 300, true));
        // Declared 100 DPI: doubled; 150..=400 DPI: kept; 600 DPI: halved.
        assert_eq!(plan(600, 150, Some(100.0), OcrProfile::Document), (1200, 300, 200, true));
        assert_eq!(plan(600, 150, Some(150.0), OcrProfile::Document), (600, 150, 150, true));
        assert_eq!(plan(4960, 7016, Some(600.0), OcrProfile::Document), (2480, 3508, 300, true));
        // 96 DPI is a software default: a 2481 px wide page is taken as A4 at 300 DPI.
        assert_eq!(plan(2481, 3508, Some(96.0), OcrProfile::Document), (2481, 3508, 300, false));
        // Unknown resolution: only tiny rasters are enlarged (at most 2x), none shrunk.
        assert_eq!(plan(300, 1000, None, OcrProfile::Receipt).0, 600);
        assert_eq!(plan(620, 1200, None, OcrProfile::Receipt).0, 620, "a 58 mm receipt at 270 DPI stays");
        assert_eq!(plan(463, 1013, None, OcrProfile::Receipt).0, 463, "about 200 DPI: Tesseract reads it as it is");
        assert_eq!(plan(2481, 3508, None, OcrProfile::Receipt).0, 2481);
        assert_eq!(plan(600, 800, None, OcrProfile::Document).0, 1200, "a 73 DPI page guess");
        assert_eq!(plan(1700, 2200, None, OcrProfile::Document).0, 1700);
        // Huge rasters are brought under the OCR pixel cap.
        let (w, h, _, _) = plan(10_000, 8_000, Some(300.0), OcrProfile::Document);
        assert!(w as u64 * h as u64 <= MAX_OCR_PIXELS && w > 6000, "{w}x{h}");
        // And the pixels follow the plan.
        let p = prepare(GrayImage::new(60, 20), Some(120.0), OcrProfile::Document);
        assert_eq!((p.image.dimensions(), p.dpi), ((120, 40), 240));
    }

    #[test]
    fn reads_declared_resolution() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0, 0, 0, 9]);
        png.extend_from_slice(b"pHYs");
        png.extend_from_slice(&11811u32.to_be_bytes());
        png.extend_from_slice(&11811u32.to_be_bytes());
        png.push(1);
        png.extend_from_slice(&[0; 4]);
        assert_eq!(png_dpi(&png).map(|d| d.round()), Some(300.0));
        let jfif = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 1, 0, 150, 0, 150, 0, 0];
        assert_eq!(jfif_dpi(&jfif), Some(150.0));
        assert_eq!(png_dpi(b"\x89PNG\r\n\x1a\n\0\0"), None);
    }
}
