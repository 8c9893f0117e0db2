//! Text lines: each detected box cropped and straightened, turned when the
//! direction classifier says it is upside down, recognised in batches of
//! similar width, CTC greedy-decoded, and split into words at spaces with
//! each word's box from the CTC time steps.

use super::detect::TextBox;
use super::{Models, run_err};
use crate::model::{BBox, Word};
use crate::ocr::{GrayImage, OcrError};
use image::imageops::{self, FilterType};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use rten::RunOptions;
use rten_imageproc::PointF;
use rten_tensor::NdTensor;
use rten_tensor::prelude::*;
use std::time::Instant;

/// Input height of both the classifier and the recogniser.
const LINE_HEIGHT: u32 = 48;
/// Classifier input width.
const CLS_WIDTH: u32 = 192;
/// The classifier's "upside down" must be at least this sure (rapidocr's cls_thresh).
const CLS_THRESH: f32 = 0.9;
/// Lines per model run.
const BATCH: usize = 6;
/// No line is recognised wider than this (a 48 px high line of 80 characters is ~1900 px).
const MAX_LINE_WIDTH: u32 = 2400;
/// Two characters whose CTC steps (8 input px each) are at least this much
/// farther apart than the line's typical spacing are separate words even when
/// the model emitted no space ("CASHBILL" read with a gap of 6 steps where
/// its letters sit 3-4 apart); the model drops many spaces on receipts.
const WORD_GAP_FACTOR: f32 = 2.0;
/// ... and at least this many steps more than typical (narrow digits sit 2 apart).
const WORD_GAP_EXTRA: usize = 3;
/// Where the model hesitates over a space, it is one: a space-class probability
/// of at least this at any step between two characters separates words. On the
/// SROIE receipts (PP-OCR pass of `folio eval sroie`), 0.003 / 0.01 / 0.05 / 0.15
/// gave company 0.876 / 0.867 / 0.857 / 0.829, date 0.952 / 0.981 / 0.971 /
/// 0.962, address 0.600 / 0.619 / 0.619 / 0.600, total 0.943 / 0.971 / 0.962 /
/// 0.962; spaces from the argmax alone: 0.733, 0.924, 0.438, 0.943.
const SPACE_P: f32 = 0.05;
/// A space that probable needs no wider gap; below it, the characters must also
/// sit farther apart than the line's typical spacing (on the clean invoice scan
/// the bare 0.01 rule split `G ermany`, `INVOIC E`).
const SURE_SPACE_P: f32 = 0.2;

/// Where a line's text runs in the page: `origin` is the top-left corner of the
/// upright text, `along` spans its length, `across` its height.
#[derive(Clone, Copy, Debug)]
pub struct LineGeometry {
    origin: PointF,
    along: (f32, f32),
    across: (f32, f32),
}

impl LineGeometry {
    /// The axis-aligned box of the part of the line from `u0` to `u1` (0..1 along the text).
    pub fn span(&self, u0: f32, u1: f32) -> BBox {
        let p =
            |u: f32, v: f32| (self.origin.x + u * self.along.0 + v * self.across.0, self.origin.y + u * self.along.1 + v * self.across.1);
        let pts = [p(u0, 0.0), p(u1, 0.0), p(u1, 1.0), p(u0, 1.0)];
        let (mut l, mut t, mut r, mut b) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (x, y) in pts {
            l = l.min(x);
            t = t.min(y);
            r = r.max(x);
            b = b.max(y);
        }
        BBox::from_ltrb(l, t, r, b)
    }

    /// The geometry after turning the crop by 180°.
    fn flipped(self) -> Self {
        let end = PointF::from_yx(self.origin.y + self.along.1 + self.across.1, self.origin.x + self.along.0 + self.across.0);
        Self { origin: end, along: (-self.along.0, -self.along.1), across: (-self.across.0, -self.across.1) }
    }

    /// Angle of the text direction, radians (0 = left to right).
    pub fn angle(&self) -> f32 {
        self.along.1.atan2(self.along.0)
    }
}

/// One cropped, straightened line.
pub struct LineCrop {
    pub image: GrayImage,
    pub geometry: LineGeometry,
}

/// Crops `b` out of `page` with a perspective transform onto an upright
/// rectangle; boxes much taller than wide (vertical text) are turned 90°.
pub fn crop(page: &GrayImage, b: &TextBox) -> Option<LineCrop> {
    let (w, h) = (b.width().round().max(1.0), b.height().round().max(1.0));
    if w < 2.0 || h < 2.0 {
        return None;
    }
    let [tl, tr, br, bl] = b.corners;
    let from = [(tl.x, tl.y), (tr.x, tr.y), (br.x, br.y), (bl.x, bl.y)];
    let to = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let projection = Projection::from_control_points(from, to)?;
    let mut out = GrayImage::new(w as u32, h as u32);
    warp_into(page, projection, Interpolation::Bilinear, Border::Replicate, &mut out);
    let geometry = LineGeometry { origin: tl, along: (tr.x - tl.x, tr.y - tl.y), across: (bl.x - tl.x, bl.y - tl.y) };
    if h / w >= 1.5 {
        // Turned counter-clockwise (as rapidocr's np.rot90): text that ran down
        // the box now runs left to right; the turned crop's top-left was the
        // box's top-right, its x axis the box's left edge downwards.
        let turned = imageops::rotate270(&out);
        let geometry = LineGeometry { origin: tr, along: (bl.x - tl.x, bl.y - tl.y), across: (tl.x - tr.x, tl.y - tr.y) };
        return Some(LineCrop { image: turned, geometry });
    }
    Some(LineCrop { image: out, geometry })
}

/// Resizes a crop to `LINE_HEIGHT`, at most `max_width` wide, onto a `width`-wide
/// tensor row padded with zeros (the normalised value of mid-gray, as PaddleOCR pads).
fn line_input(crop: &GrayImage, width: u32, max_width: u32) -> (Vec<f32>, u32) {
    let ratio = crop.width() as f32 / crop.height().max(1) as f32;
    let resized_w = ((LINE_HEIGHT as f32 * ratio).ceil() as u32).clamp(1, max_width.min(width));
    let resized = imageops::resize(crop, resized_w, LINE_HEIGHT, FilterType::Triangle);
    let mut row = vec![0.0f32; (width * LINE_HEIGHT) as usize];
    for y in 0..LINE_HEIGHT {
        for x in 0..resized_w {
            row[(y * width + x) as usize] = resized.get_pixel(x, y).0[0] as f32 / 127.5 - 1.0;
        }
    }
    (row, resized_w)
}

/// A batch `[n, 3, 48, width]` from single-channel rows.
fn batch_tensor(rows: &[Vec<f32>], width: u32) -> NdTensor<f32, 4> {
    let plane = (width * LINE_HEIGHT) as usize;
    let mut data = Vec::with_capacity(rows.len() * 3 * plane);
    for row in rows {
        for _ in 0..3 {
            data.extend_from_slice(row);
        }
    }
    NdTensor::from_data([rows.len(), 3, LINE_HEIGHT as usize, width as usize], data)
}

/// The direction classifier's verdict over some lines, weighted by line length
/// (long lines are the surest).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Votes {
    pub lines: usize,
    pub upside_down: f32,
    pub total: f32,
}

impl Votes {
    pub fn upside_down_share(&self) -> f32 {
        if self.total == 0.0 { 0.0 } else { self.upside_down / self.total }
    }
}

/// P(upside down) for each line.
fn upside_down_probs(models: &Models, opts: &RunOptions, crops: &[&GrayImage]) -> Result<Vec<f32>, OcrError> {
    let mut out = Vec::with_capacity(crops.len());
    for chunk in crops.chunks(BATCH) {
        let rows: Vec<Vec<f32>> = chunk.iter().map(|c| line_input(c, CLS_WIDTH, CLS_WIDTH).0).collect();
        let result = models
            .cls
            .run_one(batch_tensor(&rows, CLS_WIDTH).view().into(), Some(opts.clone()))
            .map_err(run_err("direction classifier"))?;
        let probs: NdTensor<f32, 2> = result.try_into().map_err(|e| OcrError::Engine(format!("classifier output: {e:?}")))?;
        out.extend((0..chunk.len()).map(|i| probs[[i, 1]]));
    }
    Ok(out)
}

fn vote(crops: &[&GrayImage], probs: &[f32]) -> Votes {
    let mut votes = Votes::default();
    for (c, &p) in crops.iter().zip(probs) {
        let weight = c.width() as f32 / c.height().max(1) as f32;
        votes.lines += 1;
        votes.total += weight;
        if p > 0.5 {
            votes.upside_down += weight;
        }
    }
    votes
}

/// The classifier's votes on some lines.
pub fn classify(models: &Models, opts: &RunOptions, crops: &[&GrayImage]) -> Result<Votes, OcrError> {
    let probs = upside_down_probs(models, opts, crops)?;
    Ok(vote(crops, &probs))
}

/// Turns the crops the classifier finds upside down (with confidence) by 180°;
/// returns the votes of all of them.
pub fn straighten(models: &Models, opts: &RunOptions, crops: &mut [LineCrop]) -> Result<Votes, OcrError> {
    let images: Vec<&GrayImage> = crops.iter().map(|c| &c.image).collect();
    let probs = upside_down_probs(models, opts, &images)?;
    let votes = vote(&images, &probs);
    for (c, p) in crops.iter_mut().zip(probs) {
        if p > CLS_THRESH {
            imageops::rotate180_in_place(&mut c.image);
            c.geometry = c.geometry.flipped();
        }
    }
    Ok(votes)
}

/// A recognised line: its words with boxes in page pixels.
#[derive(Clone, Debug)]
pub struct RecognizedLine {
    pub words: Vec<Word>,
    pub geometry: LineGeometry,
    /// Mean character probability.
    pub confidence: f32,
}

/// Recognises every crop; `deadline` is checked between batches.
pub fn recognize(
    models: &Models,
    opts: &RunOptions,
    crops: &[LineCrop],
    deadline: Option<Instant>,
    page_deadline: std::time::Duration,
) -> Result<Vec<Option<RecognizedLine>>, OcrError> {
    // Similar widths together: less padding per batch.
    let mut order: Vec<usize> = (0..crops.len()).collect();
    let ratio = |c: &LineCrop| c.image.width() as f32 / c.image.height().max(1) as f32;
    order.sort_by(|&a, &b| ratio(&crops[a]).total_cmp(&ratio(&crops[b])));
    let mut out: Vec<Option<RecognizedLine>> = vec![None; crops.len()];
    for chunk in order.chunks(BATCH) {
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err(OcrError::DeadlineExceeded(page_deadline));
        }
        // The batch is as wide as its widest line. PaddleOCR pads every batch to
        // at least 320 px; on SROIE that only cost time (3.82 against 4.51 CPU s
        // per receipt, the same accuracy), since receipt lines are mostly short.
        let max_ratio = chunk.iter().map(|&i| ratio(&crops[i])).fold(1.0, f32::max);
        let width = ((LINE_HEIGHT as f32 * max_ratio).ceil() as u32).min(MAX_LINE_WIDTH);
        let inputs: Vec<(Vec<f32>, u32)> = chunk.iter().map(|&i| line_input(&crops[i].image, width, MAX_LINE_WIDTH)).collect();
        let rows: Vec<Vec<f32>> = inputs.iter().map(|(r, _)| r.clone()).collect();
        let output = models.rec.run_one(batch_tensor(&rows, width).view().into(), Some(opts.clone())).map_err(run_err("recognition"))?;
        let probs: NdTensor<f32, 3> = output.try_into().map_err(|e| OcrError::Engine(format!("recognition output: {e:?}")))?;
        let [_, steps, classes] = probs.shape();
        for (k, &i) in chunk.iter().enumerate() {
            let mut best = Vec::with_capacity(steps);
            let space: Vec<f32> = (0..steps).map(|t| probs[[k, t, classes - 1]]).collect();
            for t in 0..steps {
                let (mut arg, mut max) = (0usize, f32::MIN);
                for c in 0..classes {
                    let p = probs[[k, t, c]];
                    if p > max {
                        max = p;
                        arg = c;
                    }
                }
                best.push((arg, max));
            }
            // The part of the input that holds the line (the rest is padding), in CTC steps.
            let content_steps = steps as f32 * inputs[k].1 as f32 / width as f32;
            out[i] = decode(&best, &space, &models.alphabet, content_steps, crops[i].geometry);
        }
    }
    Ok(out)
}

/// The `ch` recogniser reads Chinese and Latin script alike, so Latin text
/// comes back with the confusions of that alphabet: full-width punctuation
/// (`，` `（` `：`) where ASCII is printed, and O for 0 (and 0 for O) inside
/// numbers and words. Full-width forms become ASCII; a word of digits with a
/// stray O/o becomes all digits, an upper-case word with a stray 0 all letters.
pub(crate) fn repair_latin(word: &str) -> String {
    let ascii: String = word
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '、' => ',',
            '。' => '.',
            _ => c,
        })
        .collect();
    let digits = ascii.chars().filter(char::is_ascii_digit).count();
    let upper = ascii.chars().filter(char::is_ascii_uppercase).count();
    let zeros = ascii.chars().filter(|&c| c == '0').count();
    let ohs = ascii.chars().filter(|&c| c == 'O' || c == 'o').count();
    let letters = ascii.chars().filter(char::is_ascii_alphabetic).count();
    if ohs > 0 && letters == ohs && digits >= 2 {
        // "433O0", "1O.5O": a number.
        ascii.chars().map(|c| if c == 'O' || c == 'o' { '0' } else { c }).collect()
    } else if zeros > 0 && digits == zeros && upper >= 2 && upper == letters {
        // "L0T", "J0HOR": a word.
        ascii.chars().map(|c| if c == '0' { 'O' } else { c }).collect()
    } else {
        ascii
    }
}

fn is_upper(s: &str) -> bool {
    s.chars().all(char::is_uppercase)
}

fn is_lower(s: &str) -> bool {
    s.chars().all(char::is_lowercase)
}

/// The step distance that separates words on this line: well above the median
/// distance between neighbouring characters (spaces included, they are narrow).
fn word_gap(chars: &[(&str, usize, f32)]) -> (usize, usize) {
    let mut gaps: Vec<usize> =
        chars.windows(2).filter(|w| !w[0].0.trim().is_empty() && !w[1].0.trim().is_empty()).map(|w| w[1].1 - w[0].1).collect();
    if gaps.len() < 3 {
        // Too few characters to know their spacing: a wide gap only.
        return (3, 6);
    }
    gaps.sort_unstable();
    let typical = gaps[gaps.len() / 2];
    (typical, ((typical as f32 * WORD_GAP_FACTOR).ceil() as usize).max(typical + WORD_GAP_EXTRA))
}

/// CTC greedy decoding: repeats collapsed, blanks (class 0) dropped; words split
/// at spaces and at wide gaps, each word's box from its first and last step.
pub(crate) fn decode(
    best: &[(usize, f32)],
    space: &[f32],
    alphabet: &[String],
    content_steps: f32,
    geometry: LineGeometry,
) -> Option<RecognizedLine> {
    // (character, step, probability) of each emitted character.
    let mut chars: Vec<(&str, usize, f32)> = Vec::new();
    let mut prev = 0usize;
    for (t, &(class, p)) in best.iter().enumerate() {
        if class != 0 && class != prev {
            let ch = alphabet.get(class - 1).map(String::as_str).unwrap_or(" ");
            chars.push((ch, t, p));
        }
        prev = class;
    }
    if chars.is_empty() {
        return None;
    }
    let confidence = chars.iter().map(|c| c.2).sum::<f32>() / chars.len() as f32;
    let content_steps = content_steps.max(1.0);
    let (typical_gap, split_gap) = word_gap(&chars);
    let mut words = Vec::new();
    let mut current: Vec<(&str, usize, f32)> = Vec::new();
    let mut flush = |current: &mut Vec<(&str, usize, f32)>| {
        if current.is_empty() {
            return;
        }
        let text = repair_latin(&current.iter().map(|c| c.0).collect::<String>());
        let first = current[0].1 as f32;
        let last = current[current.len() - 1].1 as f32;
        // A character's evidence sits around its step; widen by half a step or so each side.
        let u0 = ((first - 1.0) / content_steps).clamp(0.0, 1.0);
        let u1 = ((last + 2.0) / content_steps).clamp(0.0, 1.0);
        let confidence = current.iter().map(|c| c.2).sum::<f32>() / current.len() as f32;
        words.push(Word { text, bbox: geometry.span(u0, u1), confidence: confidence.clamp(0.0, 1.0) });
        current.clear();
    };
    let mut space_read = false;
    for c in chars {
        if c.0.trim().is_empty() {
            space_read = true;
            continue;
        }
        let split = current.last().is_some_and(|last| {
            let space_between = space.get(last.1 + 1..c.1).map_or(0.0, |s| s.iter().copied().fold(0.0, f32::max));
            let wider = c.1 - last.1 > typical_gap;
            // After a word's capital initial the model often reads or half-reads a
            // space that is not there (`S ubtotal`, p 0.44): only a gap counts there.
            let initial = current.len() == 1 && is_upper(last.0) && is_lower(c.0) && !matches!(last.0, "A" | "I");
            let space = !initial && (space_read || space_between >= SURE_SPACE_P || (wider && space_between >= SPACE_P));
            c.1 - last.1 >= split_gap || space
        });
        if split {
            flush(&mut current);
        }
        current.push(c);
        space_read = false;
    }
    flush(&mut current);
    if words.is_empty() {
        return None;
    }
    Some(RecognizedLine { words, geometry, confidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> LineGeometry {
        LineGeometry { origin: PointF::from_yx(100.0, 10.0), along: (200.0, 0.0), across: (0.0, 20.0) }
    }

    #[test]
    fn decode_collapses_repeats_drops_blanks_and_splits_words() {
        let alphabet: Vec<String> = ["T", "o", "t", "a", "l", "1", ".", "5", " "].iter().map(|s| s.to_string()).collect();
        // Characters ~3 steps apart as the model emits them, a repeated T collapsed,
        // a recognised space, and 5 _ 5 kept as two fives (indexes are alphabet + 1).
        let mut best = vec![(0usize, 0.9f32); 30];
        for (class, t) in [(1, 1), (1, 2), (2, 4), (3, 7), (4, 10), (5, 13), (9, 16), (6, 19), (7, 21), (8, 23), (8, 26)] {
            best[t] = (class, 0.9);
        }
        let line = decode(&best, &[], &alphabet, 30.0, geometry()).unwrap();
        let texts: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Total", "1.55"]);
        // Words lie left to right within the line.
        assert!(line.words[0].bbox.left < line.words[1].bbox.left);
        assert!(line.words[0].bbox.right() <= line.words[1].bbox.left + 1.0);
        assert!(line.words[1].bbox.right() <= 210.0 + 0.01);
        assert_eq!(line.words[0].bbox.top, 100.0);
        assert!((line.confidence - 0.9).abs() < 1e-6);
    }

    #[test]
    fn a_wide_gap_without_a_space_still_separates_words() {
        let alphabet: Vec<String> = "CASHBIL".chars().map(|c| c.to_string()).collect();
        let at = |c: char| alphabet.iter().position(|a| a == &c.to_string()).unwrap() + 1;
        // "CASHBILL" as the model emitted it, letters 3-4 steps apart and 9 between H and B.
        let mut best = vec![(0usize, 0.9f32); 36];
        for (ch, t) in [('C', 2), ('A', 5), ('S', 9), ('H', 13), ('B', 22), ('I', 26), ('L', 29), ('L', 33)] {
            best[t] = (at(ch), 0.9);
        }
        let line = decode(&best, &[], &alphabet, 36.0, geometry()).unwrap();
        let texts: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["CASH", "BILL"]);
    }

    #[test]
    fn latin_confusions_of_the_chinese_alphabet_are_repaired() {
        assert_eq!(repair_latin("433O0"), "43300");
        assert_eq!(repair_latin("1O.5O"), "10.50");
        assert_eq!(repair_latin("L0T"), "LOT");
        assert_eq!(repair_latin("（CO.REG"), "(CO.REG");
        assert_eq!(repair_latin("6，"), "6,");
        assert_eq!(repair_latin("Date："), "Date:");
        // Left alone: real mixes and short tokens.
        for w in ["B0X12", "O2", "No.", "10", "OK", "CO2", "R0", "Total"] {
            assert_eq!(repair_latin(w), w);
        }
    }

    #[test]
    fn all_blank_is_no_line() {
        let best = vec![(0usize, 0.99f32); 20];
        assert!(decode(&best, &[], &["a".to_string()], 20.0, geometry()).is_none());
    }

    #[test]
    fn flipped_geometry_maps_the_start_of_the_text_to_the_right() {
        let g = geometry().flipped();
        let first = g.span(0.0, 0.1);
        assert!(first.left > 180.0, "{first:?}");
        assert_eq!(g.span(0.0, 1.0), geometry().span(0.0, 1.0));
    }
}
