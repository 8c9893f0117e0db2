//! Text detection: the PP-OCRv4 DB (differentiable binarisation) model and its
//! post-processing, as PaddleOCR and rapidocr do it: resize to multiples of 32,
//! normalise, run, threshold the probability map, dilate, trace contours, fit
//! minimum-area rectangles, score them on the map, expand ("unclip") and map
//! back to image pixels.

use super::{Models, run_err};
use crate::ocr::{GrayImage, OcrError};
use image::imageops::{self, FilterType};
use rten::RunOptions;
use rten_imageproc::{BoundingRect, Point, PointF, RetrievalMode, RotatedRect, Vec2, find_contours};
use rten_tensor::prelude::*;
use rten_tensor::{NdTensor, NdTensorView};

/// Detection settings; the defaults are rapidocr 1.4.4's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetParams {
    /// The shorter side is enlarged to this many pixels when smaller...
    pub min_side: u32,
    /// ...and the longer side never exceeds this (bounds time and memory on huge pages).
    pub max_side: u32,
    /// Probability above which a pixel is text.
    pub thresh: f32,
    /// Mean probability a box needs to be kept.
    pub box_thresh: f32,
    /// How far a box grows around its shrunk kernel (DB's unclip ratio).
    pub unclip_ratio: f32,
    /// At most this many candidate regions per page.
    pub max_candidates: usize,
}

impl Default for DetParams {
    fn default() -> Self {
        Self { min_side: 736, max_side: 2000, thresh: 0.3, box_thresh: 0.5, unclip_ratio: 1.6, max_candidates: 1000 }
    }
}

/// One detected text region: a rotated rectangle in image pixels.
#[derive(Clone, Copy, Debug)]
pub struct TextBox {
    /// Corners in reading order of an upright line: top-left, top-right, bottom-right, bottom-left.
    pub corners: [PointF; 4],
    pub score: f32,
}

impl TextBox {
    pub fn width(&self) -> f32 {
        dist(self.corners[0], self.corners[1]).max(dist(self.corners[3], self.corners[2]))
    }
    pub fn height(&self) -> f32 {
        dist(self.corners[0], self.corners[3]).max(dist(self.corners[1], self.corners[2]))
    }
}

fn dist(a: PointF, b: PointF) -> f32 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// The model's input size for an image of `w`×`h`: multiples of 32, at least 32.
pub fn input_size(w: u32, h: u32, p: &DetParams) -> (u32, u32) {
    let (w, h) = (w.max(1) as f32, h.max(1) as f32);
    let mut ratio = if w.min(h) < p.min_side as f32 { p.min_side as f32 / w.min(h) } else { 1.0 };
    if w.max(h) * ratio > p.max_side as f32 {
        ratio = p.max_side as f32 / w.max(h);
    }
    let round32 = |v: f32| (((v * ratio) / 32.0).round() as u32 * 32).max(32);
    (round32(w), round32(h))
}

/// The text regions of `image`, unordered.
pub fn detect(models: &Models, opts: &RunOptions, image: &GrayImage, p: &DetParams) -> Result<Vec<TextBox>, OcrError> {
    let (src_w, src_h) = image.dimensions();
    if src_w == 0 || src_h == 0 {
        return Ok(Vec::new());
    }
    let (w, h) = input_size(src_w, src_h, p);
    let resized = imageops::resize(image, w, h, FilterType::Triangle);
    let input = normalized_chw(&resized, 3);
    let output = models.det.run_one(input.view().into(), Some(opts.clone())).map_err(run_err("detection"))?;
    let prob: NdTensor<f32, 4> = output.try_into().map_err(|e| OcrError::Engine(format!("detection output: {e:?}")))?;
    let prob = prob.slice((0, 0));
    Ok(boxes_from_map(prob, src_w, src_h, p))
}

/// `[1, channels, h, w]`, every channel the gray values scaled to -1..1 as the models expect.
fn normalized_chw(image: &GrayImage, channels: usize) -> NdTensor<f32, 4> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let plane: Vec<f32> = image.as_raw().iter().map(|&v| v as f32 / 127.5 - 1.0).collect();
    let mut data = Vec::with_capacity(plane.len() * channels);
    for _ in 0..channels {
        data.extend_from_slice(&plane);
    }
    NdTensor::from_data([1, channels, h, w], data)
}

/// DB post-processing of the probability map into boxes in source-image pixels.
fn boxes_from_map(prob: NdTensorView<f32, 2>, src_w: u32, src_h: u32, p: &DetParams) -> Vec<TextBox> {
    let [mh, mw] = prob.shape();
    let prob = prob.to_contiguous();
    let map = prob.data();
    // Threshold, then a 2x2 dilation (each pixel also lights its right and lower neighbour).
    let mut mask = vec![false; mh * mw];
    for y in 0..mh {
        for x in 0..mw {
            if map[y * mw + x] > p.thresh {
                mask[y * mw + x] = true;
                if x + 1 < mw {
                    mask[y * mw + x + 1] = true;
                }
                if y + 1 < mh {
                    mask[(y + 1) * mw + x] = true;
                    if x + 1 < mw {
                        mask[(y + 1) * mw + x + 1] = true;
                    }
                }
            }
        }
    }
    let mask = NdTensor::from_data([mh, mw], mask);
    let contours = find_contours(mask.view(), RetrievalMode::External);
    let (sx, sy) = (src_w as f32 / mw as f32, src_h as f32 / mh as f32);
    let mut boxes = Vec::new();
    for contour in contours.iter().take(p.max_candidates) {
        let Some(rect) = min_area_rect(contour) else { continue };
        if rect.width().min(rect.height()) < 3.0 {
            continue;
        }
        let score = mean_inside(map, mw, mh, &rect);
        if score < p.box_thresh {
            continue;
        }
        // Unclip: grow by area * ratio / perimeter on every side (a rectangle offset with
        // round joins has this rectangle, 2d wider and taller, as its minimum-area box).
        let (rw, rh) = (rect.width(), rect.height());
        let d = rw * rh * p.unclip_ratio / (2.0 * (rw + rh));
        let grown = rect.expanded(2.0 * d, 2.0 * d);
        if grown.width().min(grown.height()) < 5.0 {
            continue;
        }
        let corners = grown
            .corners()
            .map(|c| PointF::from_yx((c.y * sy).round().clamp(0.0, src_h as f32 - 1.0), (c.x * sx).round().clamp(0.0, src_w as f32 - 1.0)));
        let text_box = TextBox { corners: order_corners(corners), score };
        if text_box.width() <= 3.0 || text_box.height() <= 3.0 {
            continue;
        }
        boxes.push(text_box);
    }
    boxes
}

/// The rotated rectangle of least area around `points` (OpenCV's `minAreaRect`):
/// one of its sides lies on an edge of the convex hull, so every hull edge is
/// tried. (rten-imageproc 0.27's `min_area_rect` returned a 648×0.6 px rectangle
/// for a plain 648×16 px text line on a SROIE receipt, losing the line.)
pub(crate) fn min_area_rect(points: &[Point]) -> Option<RotatedRect> {
    let hull = convex_hull(points);
    let first = *hull.first()?;
    if hull.len() < 3 {
        let last = *hull.last()?;
        let (dx, dy) = ((last.x - first.x) as f32, (last.y - first.y) as f32);
        let len = (dx * dx + dy * dy).sqrt();
        let along = if len > 0.0 { Vec2::from_xy(dx / len, dy / len) } else { Vec2::from_xy(1.0, 0.0) };
        let center = PointF::from_yx((first.y + last.y) as f32 / 2.0, (first.x + last.x) as f32 / 2.0);
        return Some(RotatedRect::new(center, along.perpendicular(), len, 0.0));
    }
    let mut best: Option<(f32, RotatedRect)> = None;
    for i in 0..hull.len() {
        let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
        let (dx, dy) = ((b.x - a.x) as f32, (b.y - a.y) as f32);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        // Extent of the hull along the edge (u) and across it (v = u turned 90°).
        let (mut u0, mut u1, mut v0, mut v1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for p in &hull {
            let (px, py) = ((p.x - a.x) as f32, (p.y - a.y) as f32);
            let (u, v) = (px * ux + py * uy, -px * uy + py * ux);
            u0 = u0.min(u);
            u1 = u1.max(u);
            v0 = v0.min(v);
            v1 = v1.max(v);
        }
        let area = (u1 - u0) * (v1 - v0);
        if best.as_ref().is_none_or(|(a, _)| area < *a) {
            let (cu, cv) = ((u0 + u1) / 2.0, (v0 + v1) / 2.0);
            let center = PointF::from_yx(a.y as f32 + cu * uy + cv * ux, a.x as f32 + cu * ux - cv * uy);
            let up = Vec2::from_xy(-uy, ux);
            best = Some((area, RotatedRect::new(center, up, u1 - u0, v1 - v0)));
        }
    }
    best.map(|(_, r)| r)
}

/// Convex hull (Andrew's monotone chain) of integer points, counter-clockwise
/// in image coordinates, without repeated or collinear points.
fn convex_hull(points: &[Point]) -> Vec<Point> {
    let mut pts: Vec<Point> = points.to_vec();
    pts.sort_by_key(|p| (p.x, p.y));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: Point, a: Point, b: Point| (a.x - o.x) as i64 * (b.y - o.y) as i64 - (a.y - o.y) as i64 * (b.x - o.x) as i64;
    let mut hull: Vec<Point> = Vec::with_capacity(pts.len() + 1);
    for pass in [&pts[..], &pts.iter().rev().copied().collect::<Vec<_>>()[..]] {
        let start = hull.len();
        for &p in pass {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// Mean probability over the pixels inside `rect` (rapidocr's "fast" score).
fn mean_inside(map: &[f32], mw: usize, mh: usize, rect: &RotatedRect) -> f32 {
    let b = rect.bounding_rect();
    let (x0, x1) = ((b.left().floor().max(0.0)) as usize, (b.right().ceil().max(0.0) as usize).min(mw - 1));
    let (y0, y1) = ((b.top().floor().max(0.0)) as usize, (b.bottom().ceil().max(0.0) as usize).min(mh - 1));
    let (mut sum, mut n) = (0.0f64, 0usize);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if rect.contains(PointF::from_yx(y as f32, x as f32)) {
                sum += map[y * mw + x] as f64;
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
}

/// Orders four corners as top-left, top-right, bottom-right, bottom-left: the two
/// leftmost are the left side, each side ordered by y.
pub(crate) fn order_corners(mut c: [PointF; 4]) -> [PointF; 4] {
    c.sort_by(|a, b| a.x.total_cmp(&b.x));
    let (mut left, mut right) = ([c[0], c[1]], [c[2], c[3]]);
    left.sort_by(|a, b| a.y.total_cmp(&b.y));
    right.sort_by(|a, b| a.y.total_cmp(&b.y));
    [left[0], right[0], right[1], left[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_size_follows_rapidocr_and_is_bounded() {
        let p = DetParams::default();
        // Small side enlarged to 736, rounded to 32.
        assert_eq!(input_size(463, 1000, &p), (736, 1600));
        // Big enough: only rounded.
        assert_eq!(input_size(1000, 1500, &p), (992, 1504));
        // Huge page: longest side capped.
        let (w, h) = input_size(10_000, 10_000, &p);
        assert!(w <= 2016 && h <= 2016);
        // A 1x10000 strip stays small instead of becoming 736 x 7 million.
        let (w, h) = input_size(1, 10_000, &p);
        assert!(w == 32 && h <= 2016, "{w}x{h}");
    }

    #[test]
    fn corners_are_ordered_clockwise_from_top_left() {
        let pts = [PointF::from_yx(10.0, 100.0), PointF::from_yx(0.0, 0.0), PointF::from_yx(12.0, 2.0), PointF::from_yx(-2.0, 98.0)];
        let o = order_corners(pts);
        assert_eq!((o[0].x, o[1].x, o[2].x, o[3].x), (0.0, 98.0, 100.0, 2.0));
    }

    #[test]
    fn min_area_rect_of_a_long_thin_line_keeps_its_height() {
        // The outline of a 648 x 16 px text line, a little ragged at the ends.
        let mut outline = Vec::new();
        for x in 103..=751 {
            outline.push(Point::from_yx(437 + (x % 3 == 0) as i32, x));
            outline.push(Point::from_yx(453 - (x % 5 == 0) as i32, x));
        }
        outline.push(Point::from_yx(445, 102));
        let r = min_area_rect(&outline).unwrap();
        let (long, short) = (r.width().max(r.height()), r.width().min(r.height()));
        assert!((647.0..=650.0).contains(&long) && (15.0..=17.0).contains(&short), "{}x{}", r.width(), r.height());
        assert!((r.center().y - 445.0).abs() < 1.0 && (r.center().x - 427.0).abs() < 2.0, "{:?}", r.center());
        // A tilted square: the tight rectangle is the square itself.
        let sq = [Point::from_yx(0, 10), Point::from_yx(10, 20), Point::from_yx(20, 10), Point::from_yx(10, 0)];
        let r = min_area_rect(&sq).unwrap();
        assert!((r.area() - 200.0).abs() < 1e-3, "{}", r.area());
    }

    #[test]
    fn one_bright_bar_gives_one_box_around_it() {
        let (w, h) = (64usize, 32usize);
        let mut map = vec![0.0f32; w * h];
        for y in 12..18 {
            for x in 10..50 {
                map[y * w + x] = 0.9;
            }
        }
        let t = NdTensor::from_data([h, w], map);
        let boxes = boxes_from_map(t.view(), 128, 64, &DetParams::default());
        assert_eq!(boxes.len(), 1);
        let b = boxes[0];
        // The dilated rim (probability 0) is inside the box, as with OpenCV.
        assert!(b.score > 0.7, "{}", b.score);
        // Scaled x2 and grown around the bar.
        assert!(b.corners[0].x < 20.0 && b.corners[1].x > 98.0, "{b:?}");
        assert!(b.corners[0].y < 24.0 && b.corners[3].y > 36.0, "{b:?}");
    }
}
