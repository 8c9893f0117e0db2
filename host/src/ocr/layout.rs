//! Printed rows: the one owner of "these pieces of text sit on one row".
//! Engines read text in separate segments (PP-OCR detects a receipt's
//! `TOTAL` on the left and its `12.50` on the right as two regions;
//! Tesseract splits columns into lines; a PDF text layer has loose words):
//! segments on one printed row are grouped, left to right, and rows go top
//! to bottom. Used for PP-OCR's lines ([`rows`]), the PDF text layer's lines
//! (`input::pdf::text`) and the `rows` of contract 0.2.0 pages
//! ([`line_rows`]), so every consumer sees the same rows.
//!
//! Photos are rarely level, so rows are found after undoing the page's skew
//! (the median direction of its segments): on a page tilted by 3°, a label and
//! its amount 600 px apart differ by 30 px in height yet share a row.

use crate::model::{Line, Word};
use crate::ocr::line_from_words;

/// Segments whose vertical centres (after deskewing) differ by less than this
/// share of their height are on one row.
const SAME_ROW: f32 = 0.5;
/// Skews beyond this are not corrected (the page is turned, not tilted).
const MAX_SKEW: f32 = 0.26; // ~15°

/// A run of words an engine read as one piece.
#[derive(Clone, Debug)]
pub struct Segment {
    pub words: Vec<Word>,
    /// Direction of the text, radians (0 = left to right, positive = clockwise on screen).
    pub angle: f32,
}

struct Placed {
    /// Index of the segment.
    index: usize,
    /// Deskewed centre and extent.
    x0: f32,
    x1: f32,
    yc: f32,
    height: f32,
}

struct Row {
    members: Vec<Placed>,
    yc: f32,
    height: f32,
}

impl Row {
    fn overlaps_horizontally(&self, p: &Placed) -> bool {
        self.members.iter().any(|m| p.x0 < m.x1 - 0.25 * p.height && m.x0 < p.x1 - 0.25 * p.height)
    }
}

/// Median of the segment angles, weighted towards long segments (short ones have noisy angles).
fn page_skew(segments: &[Segment]) -> f32 {
    let mut angles: Vec<(f32, f32)> = segments
        .iter()
        .filter_map(|s| {
            let (first, last) = (s.words.first()?, s.words.last()?);
            let width = last.bbox.right() - first.bbox.left;
            (s.angle.abs() <= MAX_SKEW).then_some((s.angle, width.max(1.0)))
        })
        .collect();
    if angles.is_empty() {
        return 0.0;
    }
    angles.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = angles.iter().map(|a| a.1).sum::<f32>() / 2.0;
    let mut acc = 0.0;
    for (angle, weight) in &angles {
        acc += weight;
        if acc >= half {
            return *angle;
        }
    }
    0.0
}

/// Joins segments into rows in reading order, each row one line.
pub fn rows(segments: Vec<Segment>) -> Vec<Line> {
    let groups = group(&segments);
    let mut slots: Vec<Option<Segment>> = segments.into_iter().map(Some).collect();
    groups
        .into_iter()
        .map(|members| line_from_words(members.into_iter().filter_map(|i| slots[i].take()).flat_map(|s| s.words).collect()))
        .collect()
}

/// The printed rows of a page's lines: indices into `lines`, left to right,
/// rows top to bottom. Every line is in exactly one row.
pub fn line_rows(lines: &[Line]) -> Vec<Vec<usize>> {
    let segments: Vec<Segment> = lines.iter().map(|l| Segment { words: words_or_box(l), angle: line_angle(l) }).collect();
    group(&segments)
}

/// A line's words, or its box as one word when it has none.
fn words_or_box(l: &Line) -> Vec<Word> {
    if l.words.is_empty() { vec![Word { text: l.text.clone(), bbox: l.bbox, confidence: l.confidence }] } else { l.words.clone() }
}

/// The direction of a line from its first and last word centres (0 for one word).
fn line_angle(l: &Line) -> f32 {
    match (l.words.first(), l.words.last()) {
        (Some(a), Some(b)) if l.words.len() > 1 => {
            let (ax, ay) = (a.bbox.left + a.bbox.width / 2.0, a.bbox.top + a.bbox.height / 2.0);
            let (bx, by) = (b.bbox.left + b.bbox.width / 2.0, b.bbox.top + b.bbox.height / 2.0);
            if bx - ax > 1.0 { (by - ay).atan2(bx - ax) } else { 0.0 }
        }
        _ => 0.0,
    }
}

/// The grouping itself: indices of `segments` per row, rows top to bottom,
/// members left to right. Empty segments are left out.
pub fn group(segments: &[Segment]) -> Vec<Vec<usize>> {
    let skew = page_skew(segments);
    let (sin, cos) = skew.sin_cos();
    let mut placed: Vec<(usize, Placed)> = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.words.is_empty())
        .map(|(i, s)| {
            let b = s.words.iter().skip(1).fold(s.words[0].bbox, |b, w| b.union(&w.bbox));
            // Rotate the centre by -skew: the row's own coordinates.
            let (cx, cy) = (b.left + b.width / 2.0, b.top + b.height / 2.0);
            let (x, y) = (cx * cos + cy * sin, -cx * sin + cy * cos);
            let width = b.width * cos.abs() - b.height * sin.abs();
            let height = (b.height * cos.abs() - b.width * sin.abs()).max(b.height * 0.5).max(1.0);
            let half = width.max(b.width * 0.5) / 2.0;
            (i, Placed { index: i, x0: x - half, x1: x + half, yc: y, height })
        })
        .collect();
    placed.sort_by(|a, b| a.1.yc.total_cmp(&b.1.yc));
    let mut rows: Vec<Row> = Vec::new();
    for (_, p) in placed {
        let best = rows
            .iter_mut()
            .filter(|r| (r.yc - p.yc).abs() < SAME_ROW * r.height.min(p.height) && !r.overlaps_horizontally(&p))
            .min_by(|a, b| (a.yc - p.yc).abs().total_cmp(&(b.yc - p.yc).abs()));
        match best {
            Some(row) => {
                let n = row.members.len() as f32;
                row.yc = (row.yc * n + p.yc) / (n + 1.0);
                row.height = (row.height * n + p.height) / (n + 1.0);
                row.members.push(p);
            }
            None => rows.push(Row { yc: p.yc, height: p.height, members: vec![p] }),
        }
    }
    rows.sort_by(|a, b| a.yc.total_cmp(&b.yc));
    rows.into_iter()
        .map(|mut row| {
            row.members.sort_by(|a, b| a.x0.total_cmp(&b.x0));
            row.members.into_iter().map(|m| m.index).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BBox;

    fn seg(text: &str, left: f32, top: f32, width: f32, angle: f32) -> Segment {
        Segment {
            words: text
                .split(' ')
                .enumerate()
                .map(|(i, t)| Word {
                    text: t.to_string(),
                    bbox: BBox { left: left + i as f32 * 60.0, top, width: 50.0_f32.min(width), height: 20.0 },
                    confidence: 0.9,
                })
                .collect(),
            angle,
        }
    }

    #[test]
    fn label_and_amount_read_apart_become_one_row() {
        let lines = rows(vec![
            seg("12.50", 500.0, 101.0, 50.0, 0.0),
            seg("Thank you", 40.0, 200.0, 110.0, 0.0),
            seg("TOTAL", 40.0, 100.0, 50.0, 0.0),
            seg("SHOP NAME", 40.0, 10.0, 110.0, 0.0),
        ]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["SHOP NAME", "TOTAL 12.50", "Thank you"]);
    }

    #[test]
    fn a_tilted_page_keeps_its_rows() {
        // 3° clockwise: y grows by ~0.052 px per px to the right.
        let t = 0.0524f32;
        let at = |x: f32, y: f32| y + x * t;
        let lines = rows(vec![
            seg("TOTAL", 40.0, at(40.0, 100.0), 50.0, t),
            seg("99.00", 640.0, at(640.0, 100.0), 50.0, t),
            seg("CASH", 40.0, at(40.0, 130.0), 50.0, t),
            seg("100.00", 640.0, at(640.0, 130.0), 50.0, t),
        ]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["TOTAL 99.00", "CASH 100.00"]);
    }

    #[test]
    fn page_rows_index_the_lines_read_apart() {
        let lines: Vec<Line> =
            [seg("Total:", 40.0, 100.0, 50.0, 0.0), seg("ACME", 40.0, 10.0, 50.0, 0.0), seg("25.00 EUR", 900.0, 102.0, 110.0, 0.0)]
                .into_iter()
                .map(|s| line_from_words(s.words))
                .collect();
        assert_eq!(line_rows(&lines), vec![vec![1], vec![0, 2]]);
    }

    #[test]
    fn rows_below_each_other_stay_apart() {
        let lines = rows(vec![seg("a", 0.0, 0.0, 50.0, 0.0), seg("b", 0.0, 22.0, 50.0, 0.0)]);
        assert_eq!(lines.len(), 2);
    }
}
