//! The text layer of a PDF page with positions, read with lopdf.
//!
//! lopdf decodes content streams and font encodings (ToUnicode CMaps, base
//! encodings with Differences) but does not track where text goes, so this
//! module interprets the text operators itself: the graphics state (`q`/`Q`/
//! `cm`), the text state (`Tf Tc Tw Tz TL Ts`), positioning (`Td TD Tm T*`),
//! showing (`Tj TJ ' "`) and form XObjects (`Do`). Glyph advances come from
//! the font's `/Widths` (or `/W` for CID fonts), from the standard-14 metrics
//! when a standard font has none, else an average width: positions are exact
//! where the PDF provides the metrics and approximate otherwise.
//!
//! Glyphs become words at spaces and visible gaps; words on one baseline form
//! a line; lines are ordered top to bottom. Boxes are in pixels of the page
//! at the caller's DPI, origin top-left, after the page's `/Rotate`.

use super::std14_widths::standard_font_widths;
use crate::model::{BBox, Line, Word};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId};
use std::collections::HashMap;
use std::rc::Rc;

/// Bound on a page's decompressed content (and each form's): a small stream
/// must not inflate without limit.
const MAX_CONTENT_BYTES: usize = 64 << 20;
/// Bound on glyphs read from one page.
const MAX_GLYPHS: usize = 500_000;
/// Nesting limit for form XObjects (they may refer to each other).
const MAX_FORM_DEPTH: usize = 8;
/// A gap wider than this fraction of the font size between glyphs splits a word.
const WORD_GAP_EM: f32 = 0.15;

/// The page's geometry: the visible box in PDF user space and the rotation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageGeometry {
    /// `[left, bottom, right, top]` of the CropBox (else MediaBox), in points.
    pub bbox: [f32; 4],
    /// `/Rotate`, normalised to 0, 90, 180 or 270 (clockwise when displayed).
    pub rotate: u32,
}

impl PageGeometry {
    /// Reads the inherited `/CropBox`, `/MediaBox` and `/Rotate` of a page.
    pub fn of_page(doc: &Document, page_id: ObjectId) -> PageGeometry {
        let media = inherited(doc, page_id, b"MediaBox").and_then(|o| rect(doc, o));
        let crop = inherited(doc, page_id, b"CropBox").and_then(|o| rect(doc, o));
        // US Letter when the file gives no usable box.
        let mut bbox = media.unwrap_or([0.0, 0.0, 612.0, 792.0]);
        if let Some(c) = crop {
            // The visible area is the intersection; ignore a crop box outside the media box.
            let i = [bbox[0].max(c[0]), bbox[1].max(c[1]), bbox[2].min(c[2]), bbox[3].min(c[3])];
            if i[2] > i[0] && i[3] > i[1] {
                bbox = i;
            }
        }
        let rotate = inherited(doc, page_id, b"Rotate").and_then(|o| o.as_i64().ok()).unwrap_or(0).rem_euclid(360) as u32;
        PageGeometry { bbox, rotate: (rotate / 90) * 90 }
    }

    /// Width and height in points as displayed (after rotation).
    pub fn size_points(&self) -> (f32, f32) {
        let (w, h) = (self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1]);
        if self.rotate % 180 == 90 { (h, w) } else { (w, h) }
    }

    /// A point in PDF user space -> displayed page pixels at `scale` pixels per point.
    fn to_pixels(self, x: f32, y: f32, scale: f32) -> (f32, f32) {
        let (w, h) = (self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1]);
        // Unrotated, top-left origin, in points.
        let (u, v) = (x - self.bbox[0], self.bbox[3] - y);
        let (u, v) = match self.rotate {
            90 => (h - v, u),
            180 => (w - u, h - v),
            270 => (v, w - u),
            _ => (u, v),
        };
        (u * scale, v * scale)
    }
}

fn inherited<'a>(doc: &'a Document, page_id: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut node = doc.get_dictionary(page_id).ok()?;
    for _ in 0..64 {
        if let Ok(v) = node.get(key) {
            return doc.dereference(v).ok().map(|(_, o)| o);
        }
        node = doc.get_dictionary(node.get(b"Parent").ok()?.as_reference().ok()?).ok()?;
    }
    None
}

fn number(doc: &Document, o: &Object) -> Option<f32> {
    let (_, o) = doc.dereference(o).ok()?;
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn rect(doc: &Document, o: &Object) -> Option<[f32; 4]> {
    let a = o.as_array().ok()?;
    if a.len() != 4 {
        return None;
    }
    let v: Vec<f32> = a.iter().map(|x| number(doc, x)).collect::<Option<_>>()?;
    Some([v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])])
}

/// A 2-D affine transform `[a b c d e f]` in PDF's row-vector convention.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self` then `o`.
    fn then(&self, o: &Matrix) -> Matrix {
        let [a1, b1, c1, d1, e1, f1] = self.0;
        let [a2, b2, c2, d2, e2, f2] = o.0;
        Matrix([a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2, e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2])
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        if ops.len() < 6 {
            return None;
        }
        let mut m = [0.0; 6];
        for (slot, o) in m.iter_mut().zip(ops) {
            *slot = o.as_float().ok().filter(|v| v.is_finite())?;
        }
        Some(Matrix(m))
    }
}

/// Glyph advance widths of one font, in 1/1000 em.
enum Widths {
    Simple { first_char: u32, widths: Vec<f32>, missing: f32 },
    Cid { default: f32, widths: HashMap<u32, f32> },
    Standard(&'static [u16; 95]),
    Average(f32),
}

impl Widths {
    fn get(&self, code: u32, text: &str) -> f32 {
        match self {
            Widths::Simple { first_char, widths, missing } => {
                code.checked_sub(*first_char).and_then(|i| widths.get(i as usize)).copied().unwrap_or(*missing)
            }
            Widths::Cid { default, widths } => widths.get(&code).copied().unwrap_or(*default),
            Widths::Standard(table) => match text.chars().next() {
                Some(c @ ' '..='~') => table[c as usize - 32] as f32,
                _ => 556.0,
            },
            Widths::Average(w) => *w,
        }
    }
}

struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    /// Type0 (composite) fonts use 2-byte codes (Identity-H and the common CMaps).
    two_byte: bool,
    widths: Widths,
    /// Glyph box above/below the baseline, in em.
    ascent: f32,
    descent: f32,
}

impl<'a> Font<'a> {
    fn load(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        let two_byte = subtype == b"Type0";
        let encoding = dict.get_font_encoding_with_limit(doc, MAX_CONTENT_BYTES).ok();
        let descendant = if two_byte {
            dict.get_deref(b"DescendantFonts", doc)
                .and_then(Object::as_array)
                .ok()
                .and_then(|a| a.first())
                .and_then(|o| doc.dereference(o).ok())
                .and_then(|(_, o)| o.as_dict().ok())
        } else {
            None
        };
        let descriptor = descendant.unwrap_or(dict).get_deref(b"FontDescriptor", doc).and_then(Object::as_dict).ok();
        let metric = |k: &[u8]| descriptor.and_then(|d| d.get(k).ok()).and_then(|o| number(doc, o));
        let (mut ascent, mut descent) = (metric(b"Ascent").unwrap_or(750.0) / 1000.0, metric(b"Descent").unwrap_or(-250.0) / 1000.0);
        if !(0.3..=1.5).contains(&ascent) || !(-0.8..=0.0).contains(&descent) {
            (ascent, descent) = (0.75, -0.25);
        }
        let widths = match descendant {
            Some(cid) => cid_widths(doc, cid),
            None => simple_widths(doc, dict, metric(b"MissingWidth")),
        };
        Font { encoding, two_byte, widths, ascent, descent }
    }

    fn decode(&self, code: &[u8]) -> String {
        match &self.encoding {
            Some(e) => e.bytes_to_string(code).unwrap_or_default(),
            // No usable encoding: Latin-1 is the least bad guess.
            None => code.iter().map(|&b| b as char).collect(),
        }
    }
}

fn simple_widths(doc: &Document, dict: &Dictionary, missing: Option<f32>) -> Widths {
    let widths = dict.get_deref(b"Widths", doc).and_then(Object::as_array).ok();
    let first_char = dict.get(b"FirstChar").ok().and_then(|o| number(doc, o)).unwrap_or(0.0) as u32;
    // Type3 glyph widths are in glyph space, scaled by the FontMatrix.
    let scale = dict
        .get_deref(b"FontMatrix", doc)
        .and_then(Object::as_array)
        .ok()
        .and_then(|m| m.first())
        .and_then(|o| number(doc, o))
        .map(|a| a * 1000.0)
        .unwrap_or(1.0);
    if let Some(w) = widths {
        let widths = w.iter().map(|o| number(doc, o).unwrap_or(0.0) * scale).collect();
        return Widths::Simple { first_char, widths, missing: missing.unwrap_or(500.0) };
    }
    let base = dict.get(b"BaseFont").and_then(Object::as_name).map(String::from_utf8_lossy).unwrap_or_default();
    let base = base.split_once('+').map(|(_, b)| b.to_string()).unwrap_or_else(|| base.to_string());
    match standard_font_widths(&base) {
        Some(t) => Widths::Standard(t),
        None => Widths::Average(missing.unwrap_or(500.0)),
    }
}

/// `/W [c [w1 w2 ...]  cfirst clast w  ...]` and `/DW` of a CIDFont.
fn cid_widths(doc: &Document, cid_font: &Dictionary) -> Widths {
    let default = cid_font.get(b"DW").ok().and_then(|o| number(doc, o)).unwrap_or(1000.0);
    let mut widths = HashMap::new();
    if let Ok(w) = cid_font.get_deref(b"W", doc).and_then(Object::as_array) {
        let mut i = 0;
        while i < w.len() && widths.len() < 65_536 {
            let Some(first) = number(doc, &w[i]).map(|v| v as u32) else { break };
            match w.get(i + 1).map(|o| doc.dereference(o).map(|(_, o)| o)) {
                Some(Ok(Object::Array(list))) => {
                    for (k, o) in list.iter().enumerate() {
                        widths.insert(first + k as u32, number(doc, o).unwrap_or(default));
                    }
                    i += 2;
                }
                Some(Ok(last)) => {
                    let (Some(last), Some(width)) = (number(doc, last), w.get(i + 2).and_then(|o| number(doc, o))) else { break };
                    for c in first..=(last as u32).min(first + 65_535) {
                        widths.insert(c, width);
                    }
                    i += 3;
                }
                _ => break,
            }
        }
    }
    Widths::Cid { default, widths }
}

#[derive(Clone)]
struct GraphicsState<'a> {
    ctm: Matrix,
    font: Option<Rc<Font<'a>>>,
    font_size: f32,
    char_spacing: f32,
    word_spacing: f32,
    horizontal_scale: f32,
    leading: f32,
    rise: f32,
}

impl GraphicsState<'_> {
    fn new(ctm: Matrix) -> Self {
        Self { ctm, font: None, font_size: 0.0, char_spacing: 0.0, word_spacing: 0.0, horizontal_scale: 1.0, leading: 0.0, rise: 0.0 }
    }
}

/// One shown glyph, in PDF user space.
#[derive(Clone, Debug)]
struct Glyph {
    text: String,
    /// `[x0, y0, x1, y1]` of the glyph box.
    bbox: [f32; 4],
    /// Baseline start and end points.
    start: (f32, f32),
    end: (f32, f32),
    /// Font size in user space.
    size: f32,
}

struct Interpreter<'a> {
    doc: &'a Document,
    fonts: HashMap<*const Dictionary, Rc<Font<'a>>>,
    glyphs: Vec<Glyph>,
}

impl<'a> Interpreter<'a> {
    fn font(&mut self, resources: &[&'a Dictionary], name: &[u8]) -> Option<Rc<Font<'a>>> {
        let dict = resources.iter().find_map(|r| {
            let fonts = r.get_deref(b"Font", self.doc).and_then(Object::as_dict).ok()?;
            fonts.get_deref(name, self.doc).and_then(Object::as_dict).ok()
        })?;
        let doc = self.doc;
        Some(self.fonts.entry(dict as *const Dictionary).or_insert_with(|| Rc::new(Font::load(doc, dict))).clone())
    }

    fn form(&self, resources: &[&'a Dictionary], name: &[u8]) -> Option<&'a lopdf::Stream> {
        resources.iter().find_map(|r| {
            let xobjects = r.get_deref(b"XObject", self.doc).and_then(Object::as_dict).ok()?;
            let stream = xobjects.get_deref(name, self.doc).and_then(Object::as_stream).ok()?;
            (stream.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form")).then_some(stream)
        })
    }

    fn run(&mut self, content: &[u8], resources: &[&'a Dictionary], ctm: Matrix, depth: usize) -> lopdf::Result<()> {
        let content = Content::decode(content)?;
        let mut stack: Vec<GraphicsState<'a>> = Vec::new();
        let mut gs = GraphicsState::new(ctm);
        let (mut tm, mut tlm) = (Matrix::IDENTITY, Matrix::IDENTITY);
        for op in &content.operations {
            if self.glyphs.len() >= MAX_GLYPHS {
                break;
            }
            let f = |i: usize| op.operands.get(i).and_then(|o| o.as_float().ok()).filter(|v| v.is_finite()).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" => stack.push(gs.clone()),
                "Q" => gs = stack.pop().unwrap_or_else(|| gs.clone()),
                "cm" => {
                    if let Some(m) = Matrix::from_operands(&op.operands) {
                        gs.ctm = m.then(&gs.ctm);
                    }
                }
                "BT" => (tm, tlm) = (Matrix::IDENTITY, Matrix::IDENTITY),
                "Tf" => {
                    gs.font = op.operands.first().and_then(|o| o.as_name().ok()).and_then(|n| self.font(resources, n));
                    gs.font_size = f(1);
                }
                "Tc" => gs.char_spacing = f(0),
                "Tw" => gs.word_spacing = f(0),
                "Tz" => gs.horizontal_scale = f(0) / 100.0,
                "TL" => gs.leading = f(0),
                "Ts" => gs.rise = f(0),
                "Td" => {
                    tlm = Matrix::translate(f(0), f(1)).then(&tlm);
                    tm = tlm;
                }
                "TD" => {
                    gs.leading = -f(1);
                    tlm = Matrix::translate(f(0), f(1)).then(&tlm);
                    tm = tlm;
                }
                "Tm" => {
                    if let Some(m) = Matrix::from_operands(&op.operands) {
                        (tm, tlm) = (m, m);
                    }
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                }
                "Tj" => self.show(&gs, &mut tm, op.operands.first()),
                "'" | "\"" => {
                    if op.operator == "\"" {
                        (gs.word_spacing, gs.char_spacing) = (f(0), f(1));
                    }
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                    self.show(&gs, &mut tm, op.operands.last());
                }
                "TJ" => {
                    for item in op.operands.first().and_then(|o| o.as_array().ok()).into_iter().flatten() {
                        match item {
                            Object::String(..) => self.show(&gs, &mut tm, Some(item)),
                            _ => {
                                let adjust = item.as_float().unwrap_or(0.0);
                                let tx = -adjust / 1000.0 * gs.font_size * gs.horizontal_scale;
                                tm = Matrix::translate(tx, 0.0).then(&tm);
                            }
                        }
                    }
                }
                "Do" if depth < MAX_FORM_DEPTH => {
                    let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else { continue };
                    let Some(form) = self.form(resources, name) else { continue };
                    let matrix = form
                        .dict
                        .get_deref(b"Matrix", self.doc)
                        .and_then(Object::as_array)
                        .ok()
                        .and_then(|a| Matrix::from_operands(a))
                        .unwrap_or(Matrix::IDENTITY);
                    // A form without resources uses its parent's.
                    let own = form.dict.get_deref(b"Resources", self.doc).and_then(Object::as_dict).ok();
                    let form_resources: Vec<&'a Dictionary> = match own {
                        Some(r) => vec![r],
                        None => resources.to_vec(),
                    };
                    if let Ok(bytes) = form.get_plain_content_with_limit(MAX_CONTENT_BYTES) {
                        // A broken form loses its own text only.
                        let _ = self.run(&bytes, &form_resources, matrix.then(&gs.ctm), depth + 1);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Shows one string operand: one glyph per character code, advancing `tm`.
    fn show(&mut self, gs: &GraphicsState<'a>, tm: &mut Matrix, operand: Option<&Object>) {
        let (Some(font), Some(Object::String(bytes, _))) = (gs.font.clone(), operand) else { return };
        let size = gs.font_size;
        let code_len = if font.two_byte { 2 } else { 1 };
        for code in bytes.chunks(code_len) {
            let code_value = code.iter().fold(0u32, |acc, &b| (acc << 8) | b as u32);
            let text = font.decode(code);
            let w0 = font.widths.get(code_value, &text) / 1000.0;
            // Text rendering matrix: text space -> user space.
            let trm = Matrix([size * gs.horizontal_scale, 0.0, 0.0, size, 0.0, gs.rise]).then(tm).then(&gs.ctm);
            let corners = [(0.0, font.descent), (w0, font.descent), (0.0, font.ascent), (w0, font.ascent)].map(|(x, y)| trm.apply(x, y));
            let xs = corners.map(|c| c.0);
            let ys = corners.map(|c| c.1);
            let (sx, sy) = trm.apply(0.0, 1.0);
            let (ox, oy) = trm.apply(0.0, 0.0);
            self.glyphs.push(Glyph {
                text,
                bbox: [fold_min(xs), fold_min(ys), fold_max(xs), fold_max(ys)],
                start: (ox, oy),
                end: trm.apply(w0, 0.0),
                size: ((sx - ox).powi(2) + (sy - oy).powi(2)).sqrt(),
            });
            let word_spacing = if code_len == 1 && code[0] == b' ' { gs.word_spacing } else { 0.0 };
            let tx = (w0 * size + gs.char_spacing + word_spacing) * gs.horizontal_scale;
            *tm = Matrix::translate(tx, 0.0).then(tm);
        }
    }
}

fn fold_min(v: [f32; 4]) -> f32 {
    v.into_iter().fold(f32::INFINITY, f32::min)
}

fn fold_max(v: [f32; 4]) -> f32 {
    v.into_iter().fold(f32::NEG_INFINITY, f32::max)
}

/// The text layer of one page: lines of words in page pixels at `dpi`.
pub fn page_text_lines(doc: &Document, page_id: ObjectId, geometry: &PageGeometry, dpi: u32) -> lopdf::Result<Vec<Line>> {
    let (inline, ids) = doc.get_page_resources(page_id)?;
    let mut resources: Vec<&Dictionary> = inline.into_iter().collect();
    resources.extend(ids.iter().filter_map(|id| doc.get_dictionary(*id).ok()));
    let content = doc.get_page_content_with_limit(page_id, MAX_CONTENT_BYTES)?;
    let mut interpreter = Interpreter { doc, fonts: HashMap::new(), glyphs: Vec::new() };
    interpreter.run(&content, &resources, Matrix::IDENTITY, 0)?;
    let scale = dpi as f32 / 72.0;
    let words = glyphs_to_words(&interpreter.glyphs, geometry, scale);
    Ok(words_to_lines(words))
}

/// Splits the glyph stream into words at whitespace and at gaps.
fn glyphs_to_words(glyphs: &[Glyph], geometry: &PageGeometry, scale: f32) -> Vec<Word> {
    let mut words = Vec::new();
    let mut text = String::new();
    let mut bbox: Option<[f32; 4]> = None;
    let mut prev: Option<&Glyph> = None;
    let mut flush = |text: &mut String, bbox: &mut Option<[f32; 4]>| {
        if let Some(b) = bbox.take()
            && !text.trim().is_empty()
        {
            let (x0, y0) = geometry.to_pixels(b[0], b[1], scale);
            let (x1, y1) = geometry.to_pixels(b[2], b[3], scale);
            words.push(Word {
                text: text.trim().to_string(),
                bbox: BBox::from_ltrb(x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)),
                confidence: 1.0,
            });
        }
        text.clear();
    };
    for g in glyphs {
        let blank = g.text.chars().all(char::is_whitespace);
        if let Some(p) = prev
            && (blank || starts_new_word(p, g))
        {
            flush(&mut text, &mut bbox);
        }
        if blank {
            prev = Some(g);
            continue;
        }
        text.push_str(&g.text);
        bbox = Some(match bbox {
            None => g.bbox,
            Some(b) => [b[0].min(g.bbox[0]), b[1].min(g.bbox[1]), b[2].max(g.bbox[2]), b[3].max(g.bbox[3])],
        });
        prev = Some(g);
    }
    flush(&mut text, &mut bbox);
    words
}

/// Whether `next` is too far from where `prev` ended to continue its word:
/// a gap along the baseline, a jump back, or a different baseline.
fn starts_new_word(prev: &Glyph, next: &Glyph) -> bool {
    let size = prev.size.max(next.size).max(0.01);
    let (dx, dy) = (prev.end.0 - prev.start.0, prev.end.1 - prev.start.1);
    let len = (dx * dx + dy * dy).sqrt();
    // Baseline direction (horizontal when the glyph has no width).
    let (ux, uy) = if len > 1e-6 { (dx / len, dy / len) } else { (1.0, 0.0) };
    let (gx, gy) = (next.start.0 - prev.end.0, next.start.1 - prev.end.1);
    let along = gx * ux + gy * uy;
    let across = -gx * uy + gy * ux;
    along > WORD_GAP_EM * size || along < -0.5 * size || across.abs() > 0.3 * size
}

/// Groups words on one printed row into lines, left to right, lines top to
/// bottom, with the one row grouping the OCR engines use too
/// (`ocr::layout`): each word is a segment of its own, level (a text layer's
/// rotation is already undone by the page geometry).
pub(crate) fn words_to_lines(words: Vec<Word>) -> Vec<Line> {
    let segments: Vec<crate::ocr::layout::Segment> =
        words.into_iter().map(|w| crate::ocr::layout::Segment { words: vec![w], angle: 0.0 }).collect();
    crate::ocr::layout::rows(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, l: f32, t: f32, r: f32, b: f32) -> Word {
        Word { text: text.into(), bbox: BBox::from_ltrb(l, t, r, b), confidence: 1.0 }
    }

    #[test]
    fn matrices_compose_in_pdf_order() {
        // Scale by 2, then move by (10, 0): (1, 1) -> (12, 2).
        let m = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]).then(&Matrix::translate(10.0, 0.0));
        assert_eq!(m.apply(1.0, 1.0), (12.0, 2.0));
    }

    #[test]
    fn rotation_maps_points_clockwise() {
        let g = PageGeometry { bbox: [0.0, 0.0, 100.0, 200.0], rotate: 90 };
        assert_eq!(g.size_points(), (200.0, 100.0));
        // The top-left corner of the unrotated page ends up top-right.
        assert_eq!(g.to_pixels(0.0, 200.0, 1.0), (200.0, 0.0));
        let g0 = PageGeometry { rotate: 0, ..g };
        assert_eq!(g0.to_pixels(10.0, 190.0, 2.0), (20.0, 20.0));
    }

    #[test]
    fn words_on_one_baseline_form_a_line_in_reading_order() {
        let lines = words_to_lines(vec![
            word("Total", 10.0, 100.0, 60.0, 120.0),
            word("below", 10.0, 140.0, 60.0, 160.0),
            word("12.00", 300.0, 101.0, 350.0, 121.0),
            word("Header", 10.0, 20.0, 80.0, 45.0),
        ]);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Header", "Total 12.00", "below"]);
    }
}
