//! Page orientation from the PP-OCR detection and direction-classifier models:
//! used before either engine reads a page, so pages scanned or photographed at
//! 90°, 180° or 270° come out upright.
//!
//! On a reduced copy of the page: text regions much taller than wide outweighing
//! those much wider than tall mean the page lies on its side, so it is turned
//! 90° and detected again; then the direction classifier's votes over the
//! longest lines (weighted by length) tell upright from upside down.

use super::detect::{self, DetParams, TextBox};
use super::recognize::{self, Votes, classify};
use super::{Models, one_thread};
use crate::ocr::{GrayImage, OcrError, Rotation};
use image::imageops::{self, FilterType};

/// Longest side of the copy orientation is judged on.
const WORKING_SIDE: u32 = 960;
/// Lines the classifier votes with.
const VOTERS: usize = 16;
/// A region counts as a line when one side is at least this many times the other.
const LINE_ASPECT: f32 = 2.0;
/// Fewer line-shaped regions than this: too little text to judge, leave the page.
const MIN_LINES: usize = 3;
/// Share of (length-weighted) votes for "upside down" needed to turn a page.
const UPSIDE_DOWN_SHARE: f32 = 0.6;

/// Whether the text regions say the page lies on its side: regions much
/// taller than wide outweigh (by length) those much wider than tall.
pub fn lies_on_its_side(boxes: &[TextBox]) -> bool {
    let (mut across, mut down, mut lines) = (0.0f32, 0.0f32, 0usize);
    for b in boxes {
        let (bw, bh) = (b.width(), b.height());
        if bw >= LINE_ASPECT * bh {
            across += bw;
            lines += 1;
        } else if bh >= LINE_ASPECT * bw {
            down += bh;
            lines += 1;
        }
    }
    lines >= MIN_LINES && down > across
}

/// Whether the classifier's votes say the page is upside down.
pub fn is_upside_down(votes: &Votes) -> bool {
    votes.lines >= MIN_LINES && votes.upside_down_share() >= UPSIDE_DOWN_SHARE
}

/// The turn that makes `image` upright.
pub fn detect_rotation(models: &Models, image: &GrayImage) -> Result<Rotation, OcrError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Ok(Rotation::None);
    }
    let scale = (WORKING_SIDE as f32 / w.max(h) as f32).min(1.0);
    let small = if scale < 1.0 {
        imageops::resize(image, ((w as f32 * scale) as u32).max(1), ((h as f32 * scale) as u32).max(1), FilterType::Triangle)
    } else {
        image.clone()
    };
    let opts = one_thread();
    let params = DetParams { min_side: 320, max_side: WORKING_SIDE, ..DetParams::default() };
    let boxes = detect::detect(models, &opts, &small, &params)?;
    let (base, page, boxes) = if lies_on_its_side(&boxes) {
        let turned = imageops::rotate90(&small);
        let boxes = detect::detect(models, &opts, &turned, &params)?;
        (Rotation::Cw90, turned, boxes)
    } else {
        (Rotation::None, small, boxes)
    };
    let mut voters: Vec<_> = boxes.iter().filter(|b| b.width() >= LINE_ASPECT * b.height()).collect();
    voters.sort_by(|a, b| b.width().total_cmp(&a.width()));
    let crops: Vec<GrayImage> = voters.iter().take(VOTERS).filter_map(|b| recognize::crop(&page, b)).map(|c| c.image).collect();
    let refs: Vec<&GrayImage> = crops.iter().collect();
    let votes = classify(models, &opts, &refs)?;
    Ok(if is_upside_down(&votes) { base.then(Rotation::Cw180) } else { base })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rten_imageproc::PointF;

    fn region(w: f32, h: f32) -> TextBox {
        let p = |x: f32, y: f32| PointF::from_yx(y, x);
        TextBox { corners: [p(0.0, 0.0), p(w, 0.0), p(w, h), p(0.0, h)], score: 0.9 }
    }

    #[test]
    fn tall_regions_mean_the_page_lies_on_its_side() {
        assert!(lies_on_its_side(&[region(20.0, 300.0), region(20.0, 200.0), region(20.0, 100.0), region(40.0, 20.0)]));
        assert!(!lies_on_its_side(&[region(300.0, 20.0), region(200.0, 20.0), region(100.0, 20.0), region(20.0, 60.0)]));
        // Too little text to tell.
        assert!(!lies_on_its_side(&[region(20.0, 300.0), region(20.0, 200.0)]));
    }

    #[test]
    fn rotations_compose_and_turn_images() {
        assert_eq!(Rotation::Cw90.then(Rotation::Cw180), Rotation::Cw270);
        assert_eq!(Rotation::Cw180.then(Rotation::Cw180), Rotation::None);
        let img = GrayImage::from_fn(3, 2, |x, y| image::Luma([(x + 10 * y) as u8]));
        let turned = Rotation::Cw90.apply(&img);
        assert_eq!(turned.dimensions(), (2, 3));
        assert_eq!(Rotation::Cw90.turned_size(3, 2), (2, 3));
        // Clockwise: the bottom-left pixel becomes the top-left.
        assert_eq!(turned.get_pixel(0, 0).0[0], 10);
        assert_eq!(Rotation::Cw270.apply(&turned), img);
    }
}
