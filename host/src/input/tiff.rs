//! Multi-page TIFF with the `tiff` crate (the `image` crate only reads the
//! first page): one page per image file directory (IFD).

use super::raster::{prepare, rgba_to_gray};
use super::{MAX_PAGES, MAX_SOURCE_PIXELS, RasterPage, check_pixels, invalid_file};
use crate::ocr::{GrayImage, OcrProfile};
use folio_core::{ApiError, ErrorCode};
use image::DynamicImage;
use image::metadata::Orientation;
use std::io::Cursor;
use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::{ResolutionUnit, Tag};

fn corrupt(e: tiff::TiffError) -> ApiError {
    match e {
        tiff::TiffError::UnsupportedError(u) => invalid_file(format!("The TIFF image uses an unsupported feature ({u})")),
        tiff::TiffError::LimitsExceeded => invalid_file("The TIFF image is too large to decode"),
        e => invalid_file(format!("The TIFF image is corrupt or truncated ({e})")),
    }
}

fn open(bytes: &[u8]) -> Result<Decoder<Cursor<&[u8]>>, ApiError> {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = (MAX_SOURCE_PIXELS * 4) as usize;
    Ok(Decoder::new(Cursor::new(bytes)).map_err(corrupt)?.with_limits(limits))
}

/// Walks the pages, checking each one's declared size; returns the page count.
pub(super) fn check(bytes: &[u8]) -> Result<usize, ApiError> {
    let mut d = open(bytes)?;
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(ApiError::new(ErrorCode::TooManyPages, format!("The TIFF has more than {MAX_PAGES} pages")));
        }
        let (w, h) = d.dimensions().map_err(corrupt)?;
        check_pixels(&format!("TIFF page {pages}"), w, h)?;
        if !d.more_images() {
            return Ok(pages);
        }
        d.next_image().map_err(corrupt)?;
    }
}

/// Decodes page `index` into an OCR-ready page.
pub(super) fn decode_page(bytes: &[u8], index: usize, profile: OcrProfile) -> Result<RasterPage, ApiError> {
    let mut d = open(bytes)?;
    d.seek_to_image(index).map_err(corrupt)?;
    let (w, h) = d.dimensions().map_err(corrupt)?;
    check_pixels(&format!("TIFF page {}", index + 1), w, h)?;
    let color = d.colortype().map_err(corrupt)?;
    let dpi = resolution(&mut d);
    let orientation =
        d.find_tag_unsigned::<u8>(Tag::Orientation).ok().flatten().and_then(Orientation::from_exif).unwrap_or(Orientation::NoTransforms);
    let data = d.read_image().map_err(corrupt)?;
    let gray = to_gray(data, color, w, h)?;
    let gray = if orientation == Orientation::NoTransforms {
        gray
    } else {
        let mut img = DynamicImage::ImageLuma8(gray);
        img.apply_orientation(orientation);
        img.into_luma8()
    };
    Ok(prepare(gray, dpi, profile))
}

/// `XResolution` in dots per inch, if declared.
fn resolution(d: &mut Decoder<Cursor<&[u8]>>) -> Option<f32> {
    use tiff::decoder::ifd::Value;
    let x = match d.find_tag(Tag::XResolution).ok()?? {
        Value::Rational(n, den) if den != 0 => n as f32 / den as f32,
        Value::Short(v) => v as f32,
        Value::Unsigned(v) => v as f32,
        Value::Float(v) => v,
        Value::Double(v) => v as f32,
        _ => return None,
    };
    let unit = d.find_tag_unsigned::<u16>(Tag::ResolutionUnit).ok().flatten().and_then(ResolutionUnit::from_u16);
    match unit {
        Some(ResolutionUnit::Centimeter) => Some(x * 2.54),
        Some(ResolutionUnit::None) => None,
        _ => Some(x),
    }
}

fn to_gray(data: DecodingResult, color: ColorType, w: u32, h: u32) -> Result<GrayImage, ApiError> {
    let n = w as usize * h as usize;
    let unsupported = || invalid_file(format!("The TIFF image uses an unsupported colour type ({color:?})"));
    let short = || invalid_file("The TIFF image is truncated (too little pixel data)");
    let gray = match (color, data) {
        (ColorType::Gray(8), DecodingResult::U8(v)) => v.get(..n).ok_or_else(short)?.to_vec(),
        (ColorType::Gray(16), DecodingResult::U16(v)) => v.get(..n).ok_or_else(short)?.iter().map(|&x| (x >> 8) as u8).collect(),
        // 1, 2 and 4 bits per pixel, rows padded to whole bytes (bilevel scans, fax).
        (ColorType::Gray(bits @ (1 | 2 | 4)), DecodingResult::U8(v)) => unpack_gray(&v, bits, w, h).ok_or_else(short)?,
        (ColorType::GrayA(8), DecodingResult::U8(v)) => {
            let v = v.get(..n * 2).ok_or_else(short)?;
            let rgba: Vec<u8> = v.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect();
            return Ok(rgba_to_gray(&rgba, w, h));
        }
        (ColorType::RGB(8), DecodingResult::U8(v)) => {
            let v = v.get(..n * 3).ok_or_else(short)?;
            let rgba: Vec<u8> = v.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
            return Ok(rgba_to_gray(&rgba, w, h));
        }
        (ColorType::RGBA(8), DecodingResult::U8(v)) => return Ok(rgba_to_gray(v.get(..n * 4).ok_or_else(short)?, w, h)),
        (ColorType::RGB(16), DecodingResult::U16(v)) => {
            let v = v.get(..n * 3).ok_or_else(short)?;
            let rgba: Vec<u8> = v.chunks_exact(3).flat_map(|p| [(p[0] >> 8) as u8, (p[1] >> 8) as u8, (p[2] >> 8) as u8, 255]).collect();
            return Ok(rgba_to_gray(&rgba, w, h));
        }
        (ColorType::CMYK(8), DecodingResult::U8(v)) => {
            let v = v.get(..n * 4).ok_or_else(short)?;
            let rgba: Vec<u8> = v
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - p[3] as u32;
                    let c = |x: u8| ((255 - x as u32) * k / 255) as u8;
                    [c(p[0]), c(p[1]), c(p[2]), 255]
                })
                .collect();
            return Ok(rgba_to_gray(&rgba, w, h));
        }
        _ => return Err(unsupported()),
    };
    GrayImage::from_raw(w, h, gray).ok_or_else(short)
}

fn unpack_gray(packed: &[u8], bits: u8, w: u32, h: u32) -> Option<Vec<u8>> {
    let row_bytes = (w as usize * bits as usize).div_ceil(8);
    let max = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(w as usize * h as usize);
    for row in packed.chunks(row_bytes).take(h as usize) {
        for x in 0..w as usize {
            let bit = x * bits as usize;
            let byte = *row.get(bit / 8)?;
            let v = (byte >> (8 - bits as usize - bit % 8)) as u32 & max;
            out.push((v * 255 / max) as u8);
        }
    }
    (out.len() == w as usize * h as usize).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_bilevel_rows() {
        // 10 pixels per row -> 2 bytes per row; black is 0 after WhiteIsZero handling.
        let packed = [0b1010_0000, 0b1100_0000, 0xFF, 0xFF];
        let px = unpack_gray(&packed, 1, 10, 2).unwrap();
        assert_eq!(&px[..10], &[255, 0, 255, 0, 0, 0, 0, 0, 255, 255]);
        assert!(px[10..].iter().all(|&v| v == 255));
        assert!(unpack_gray(&packed[..3], 1, 10, 2).is_none());
    }
}
