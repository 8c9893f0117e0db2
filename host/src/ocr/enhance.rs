//! A second chance for receipts Tesseract reads (almost) nothing from.
//!
//! Two kinds of till receipt defeat Tesseract's own binarisation: faded
//! thermal paper (light grey ink on grey paper) and dot-matrix print (each
//! letter a cloud of separate dots, which Tesseract drops as noise). On the
//! SROIE sample both come back as a handful of specks. Stretching the
//! contrast and growing the ink by one pixel (so dots join into strokes)
//! makes them readable; done on every receipt it costs accuracy on the
//! sharp ones, so it is a retry, used only when the first pass found little.

use super::GrayImage;
use crate::model::Line;

/// Below this many confidently read characters a receipt page is retried.
/// A readable receipt has several hundred; the failures have a few dozen.
pub const FAINT_PAGE_CHARS: usize = 100;

/// Characters in words read with confidence of at least 0.7.
pub fn confident_chars(lines: &[Line]) -> usize {
    lines.iter().flat_map(|l| &l.words).filter(|w| w.confidence >= 0.7).map(|w| w.text.chars().count()).sum()
}

/// Contrast stretched (ink to black, paper to white) and ink grown by one
/// pixel in every direction.
pub fn faint_receipt(image: &GrayImage) -> GrayImage {
    let mut out = image.clone();
    stretch_contrast(&mut out);
    grow_ink(&out)
}

/// Maps the darkest ink (0.5th percentile) to black and the paper (60th
/// percentile) to white, unless they are already far apart.
fn stretch_contrast(image: &mut GrayImage) {
    let mut hist = [0u64; 256];
    for p in image.as_raw() {
        hist[*p as usize] += 1;
    }
    let total: u64 = hist.iter().sum();
    let percentile = |q: f64| -> f32 {
        let target = (total as f64 * q) as u64;
        let mut acc = 0;
        for (v, n) in hist.iter().enumerate() {
            acc += n;
            if acc > target {
                return v as f32;
            }
        }
        255.0
    };
    let (ink, paper) = (percentile(0.005), percentile(0.6));
    if paper - ink < 40.0 || paper - ink > 200.0 {
        return;
    }
    for p in image.iter_mut() {
        *p = ((*p as f32 - ink) * 255.0 / (paper - ink)).clamp(0.0, 255.0) as u8;
    }
}

/// 3x3 minimum filter (separable): every pixel takes the darkest value
/// around it.
fn grow_ink(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let src = image.as_raw();
    let mut rows = vec![0u8; w * h];
    for y in 0..h {
        let line = &src[y * w..(y + 1) * w];
        for x in 0..w {
            let lo = x.saturating_sub(1);
            let hi = (x + 1).min(w - 1);
            rows[y * w + x] = line[lo..=hi].iter().copied().min().unwrap_or(255);
        }
    }
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        let lo = y.saturating_sub(1);
        let hi = (y + 1).min(h - 1);
        for x in 0..w {
            out[y * w + x] = (lo..=hi).map(|yy| rows[yy * w + x]).min().unwrap_or(255);
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("same size")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BBox, Word};

    #[test]
    fn faint_ink_becomes_black_and_dots_join() {
        // Grey paper (235) with faint dot-matrix ink (180): dots on every
        // other pixel of three rows.
        let mut img = GrayImage::from_pixel(40, 40, image::Luma([235]));
        for y in [18, 20, 22] {
            for x in (10..30).step_by(2) {
                img.put_pixel(x, y, image::Luma([180]));
            }
        }
        let out = faint_receipt(&img);
        // The gap between two dots is now ink, and darker than the original dots.
        assert!(out.get_pixel(11, 20).0[0] < 60, "{}", out.get_pixel(11, 20).0[0]);
        assert!(out.get_pixel(11, 21).0[0] < 60, "grown by a pixel vertically too");
        assert_eq!(out.get_pixel(0, 0).0[0], 255, "paper is white");
    }

    #[test]
    fn sharp_pages_keep_their_contrast() {
        let mut img = GrayImage::from_pixel(20, 20, image::Luma([250]));
        img.put_pixel(5, 5, image::Luma([10]));
        let mut copy = img.clone();
        stretch_contrast(&mut copy);
        assert_eq!(copy, img, "black on white needs no stretching");
    }

    #[test]
    fn confident_characters_count_only_confident_words() {
        let word = |t: &str, c: f32| Word { text: t.into(), bbox: BBox::default(), confidence: c };
        let line = Line { text: String::new(), bbox: BBox::default(), confidence: 0.5, words: vec![word("TOTAL", 0.9), word("~~", 0.2)] };
        assert_eq!(confident_chars(&[line]), 5);
    }
}
