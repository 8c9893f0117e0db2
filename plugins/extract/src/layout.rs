//! Page layout: OCR lines grouped into visual rows and split into tokens
//! with boxes, plus label matching on those tokens.
//!
//! OCR engines and annotators cut a printed row differently: one line for
//! `TOTAL : 55.10`, or three (`TOTAL`, `:`, `55.10`). Grouping fragments whose
//! vertical extents overlap into one [`Row`] makes "the value to the right
//! of the label" work the same for both.

use crate::model::{BBox, Document, SourceRef};
use crate::text::alnum_key;

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub text: String,
    /// Letters and digits of the text (before any parenthesis), uppercased:
    /// `Total(RM):` -> `TOTAL`.
    pub key: String,
    /// `key` with digits OCR confuses with letters mapped to those letters
    /// (`T0TAL` -> `TOTAI`, `TOTAL` -> `TOTAI`), for matching labels.
    pub label_key: String,
    pub bbox: BBox,
    pub confidence: f32,
}

impl Token {
    fn new(text: String, bbox: BBox, confidence: f32) -> Token {
        let before_paren = match text.find('(') {
            Some(i) if i > 0 && text[..i].chars().any(char::is_alphanumeric) => &text[..i],
            _ => &text,
        };
        let key = alnum_key(before_paren);
        let label_key = label_fold(&key);
        Token { text, key, label_key, bbox, confidence }
    }
}

/// Whether `a` becomes `b` with at most one substitution, insertion or deletion.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    a.len() - prefix - suffix <= 1 && b.len() - prefix - suffix <= 1
}

/// Folds characters OCR swaps inside words so labels match despite them.
pub fn label_fold(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '0' => 'O',
            '1' | 'L' | '|' => 'I',
            '5' => 'S',
            '8' => 'B',
            '6' => 'G',
            c => c,
        })
        .collect()
}

/// One visual row of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub page: u32,
    pub page_width: f32,
    pub page_height: f32,
    pub bbox: BBox,
    /// Left to right.
    pub tokens: Vec<Token>,
    /// Tokens joined by single spaces.
    pub text: String,
    /// Mean token confidence.
    pub confidence: f32,
}

impl Row {
    pub fn texts(&self) -> Vec<&str> {
        self.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    /// Text of tokens `[a, b)` joined by spaces.
    pub fn span_text(&self, a: usize, b: usize) -> String {
        self.tokens[a..b].iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    pub fn span_bbox(&self, a: usize, b: usize) -> BBox {
        let mut it = self.tokens[a..b].iter();
        let first = it.next().map(|t| t.bbox).unwrap_or(self.bbox);
        it.fold(first, |acc, t| acc.union(&t.bbox))
    }

    pub fn span_confidence(&self, a: usize, b: usize) -> f32 {
        let n = b.saturating_sub(a);
        if n == 0 {
            return self.confidence;
        }
        self.tokens[a..b].iter().map(|t| t.confidence).sum::<f32>() / n as f32
    }

    pub fn source(&self, a: usize, b: usize) -> SourceRef {
        SourceRef { page: self.page, bbox: self.span_bbox(a, b) }
    }

    pub fn row_source(&self) -> SourceRef {
        SourceRef { page: self.page, bbox: self.bbox }
    }

    /// Finds `label` (any spacing/punctuation/case: `sub total` matches
    /// `SUB-TOTAL:` and `Subtotal`) as whole tokens. Returns the token range.
    pub fn find_label(&self, label: &str) -> Option<(usize, usize)> {
        let want = label_fold(&alnum_key(label));
        if want.is_empty() {
            return None;
        }
        self.find_label_key(&want, 0)
    }

    /// [`Row::find_label`] with the label already folded (see
    /// [`label_fold`]/[`alnum_key`]), starting at most at token `max_start`.
    pub fn find_label_key_upto(&self, want: &str, max_start: usize) -> Option<(usize, usize)> {
        self.find_label_key_range(want, 0, max_start.saturating_add(1).min(self.tokens.len()))
    }

    fn find_label_key(&self, want: &str, from: usize) -> Option<(usize, usize)> {
        self.find_label_key_range(want, from, self.tokens.len())
    }

    fn find_label_key_range(&self, want: &str, from: usize, to: usize) -> Option<(usize, usize)> {
        for i in from..to {
            if self.tokens[i].label_key.is_empty() || !want.starts_with(self.tokens[i].label_key.as_str()) {
                continue;
            }
            let mut acc = String::new();
            for j in i..self.tokens.len() {
                let k = &self.tokens[j].label_key;
                // A parenthesis starts a qualifier, not more label:
                // `TOTAL (GST INCL)` is a total, not `TOTAL GST`.
                if j > i && self.tokens[j].text.starts_with('(') {
                    break;
                }
                if k.is_empty() {
                    continue;
                }
                acc.push_str(k);
                if acc == want {
                    return Some((i, j + 1));
                }
                if !want.starts_with(acc.as_str()) {
                    break;
                }
            }
        }
        None
    }

    /// `words` (folded label words) on consecutive tokens starting at most
    /// at `max_start`, each equal or one edit away when five letters or
    /// longer. Returns the token range.
    pub fn find_label_words_fuzzy(&self, words: &[String], max_start: usize) -> Option<(usize, usize)> {
        if words.is_empty() || words.len() > self.tokens.len() || words.iter().all(|w| w.len() < 5) {
            return None;
        }
        (0..=max_start.min(self.tokens.len().saturating_sub(words.len()))).find_map(|i| {
            let ok = words.iter().enumerate().all(|(k, w)| {
                let tok = &self.tokens[i + k];
                // As in exact matching, a parenthesis starts a qualifier.
                (k == 0 || !tok.text.starts_with('(')) && (tok.label_key == *w || (w.len() >= 5 && within_one_edit(&tok.label_key, w)))
            });
            (ok && i + words.len() <= self.tokens.len()).then_some((i, i + words.len()))
        })
    }

    /// The first of `labels` found in the row: (label index, start, end).
    /// Earlier labels win, so list specific labels before general ones.
    pub fn find_any_label(&self, labels: &[&str]) -> Option<(usize, usize, usize)> {
        labels.iter().enumerate().find_map(|(i, l)| self.find_label(l).map(|(a, b)| (i, a, b)))
    }

    /// True when any token (as a whole) is one of `words` (folded keys).
    pub fn has_word(&self, words: &[&str]) -> bool {
        self.tokens.iter().any(|t| words.iter().any(|w| t.key == *w))
    }

    /// Vertical position on the page, 0 (top) to 1 (bottom).
    pub fn relative_y(&self) -> f32 {
        if self.page_height > 0.0 { self.bbox.center_y() / self.page_height } else { 0.5 }
    }
}

impl Row {
    /// Token ranges separated by wide gaps: the cells of a row that spans
    /// several columns (`ACME GmbH        Invoice No: 123`).
    pub fn cells(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = 0;
        let min_gap = 1.8 * self.tokens.iter().map(|t| t.bbox.height).fold(0.0f32, f32::max).max(1.0);
        for i in 1..self.tokens.len() {
            if self.tokens[i].bbox.left - self.tokens[i - 1].bbox.right() > min_gap {
                out.push((start, i));
                start = i;
            }
        }
        if start < self.tokens.len() {
            out.push((start, self.tokens.len()));
        }
        out
    }

    /// A new row made of tokens `[a, b)`.
    pub fn slice(&self, a: usize, b: usize) -> Row {
        let tokens: Vec<Token> = self.tokens[a..b].to_vec();
        let text = tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
        let confidence = tokens.iter().map(|t| t.confidence).sum::<f32>() / tokens.len().max(1) as f32;
        Row {
            page: self.page,
            page_width: self.page_width,
            page_height: self.page_height,
            bbox: self.span_bbox(a, b),
            tokens,
            text,
            confidence,
        }
    }
}

/// Rows re-cut into column blocks: every row is split into its cells, and
/// cells stacked under each other (overlapping horizontally, no big vertical
/// gap) form a block. Blocks come in order of their first line (top to
/// bottom, then left to right), so a two-column header (vendor left,
/// invoice details right) reads as two separate runs of lines.
pub fn blocks(rows: &[Row]) -> Vec<Vec<Row>> {
    struct Block {
        rows: Vec<Row>,
        last_row: usize,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for (ri, row) in rows.iter().enumerate() {
        for (a, b) in row.cells() {
            let cell = row.slice(a, b);
            let h = cell.bbox.height.max(1.0);
            let target = blocks.iter_mut().rev().take(12).find(|bl| {
                let last = bl.rows.last().unwrap();
                last.page == cell.page
                    && bl.last_row < ri
                    && ri - bl.last_row <= 2
                    && cell.bbox.top - last.bbox.bottom() < 1.6 * h.max(last.bbox.height)
                    && (last.bbox.horizontal_overlap(&cell.bbox) > 0.0 || (last.bbox.left - cell.bbox.left).abs() < 2.0 * h)
            });
            match target {
                Some(bl) => {
                    bl.rows.push(cell);
                    bl.last_row = ri;
                }
                None => blocks.push(Block { rows: vec![cell], last_row: ri }),
            }
        }
    }
    blocks.into_iter().map(|b| b.rows).collect()
}

/// In locales that group thousands with a space (`1 234,56`: French,
/// Polish, Latvian), OCR reads the groups as words: rejoins a head of one to
/// three digits with groups of three that end in decimals, right to left,
/// when they sit closer than a word gap. The join keeps a narrow no-break
/// space, which [`crate::money::parse_amount`] reads as grouping.
pub fn join_space_groups(rows: &mut [Row]) {
    fn grouped_tail(t: &str) -> bool {
        // A currency sign OCR glued on (`072,79€`) does not end the number.
        let t = t.trim_end_matches(|c: char| !c.is_ascii_digit());
        let Some((int, frac)) = t.rsplit_once([',', '.']) else { return false };
        frac.len() == 2
            && frac.bytes().all(|b| b.is_ascii_digit())
            && int.split('\u{202f}').all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
    }
    for row in rows.iter_mut() {
        let mut changed = false;
        let mut i = row.tokens.len().saturating_sub(1);
        while i > 0 {
            let (a, b) = (&row.tokens[i - 1], &row.tokens[i]);
            let gap = b.bbox.left - a.bbox.right();
            let h = a.bbox.height.max(b.bbox.height).max(1.0);
            let head = a.text.trim_start_matches('-');
            if gap < 0.6 * h && (1..=3).contains(&head.len()) && head.bytes().all(|c| c.is_ascii_digit()) && grouped_tail(&b.text) {
                let text = format!("{}\u{202f}{}", a.text, b.text);
                let bbox = a.bbox.union(&b.bbox);
                let confidence = a.confidence.min(b.confidence);
                row.tokens[i - 1] = Token::new(text, bbox, confidence);
                row.tokens.remove(i);
                changed = true;
            }
            i -= 1;
        }
        if changed {
            row.text = row.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
        }
    }
}

/// Splits a day OCR glued to the label before it (`venciment26 de outubro
/// de 2025` -> `venciment` `26`), when a month name follows, so both the
/// label and the long-form date read.
pub fn split_glued_days(rows: &mut [Row]) {
    for row in rows.iter_mut() {
        let mut i = 0;
        let mut changed = false;
        while i + 1 < row.tokens.len() {
            let t = &row.tokens[i];
            let day = t.text.trim_start_matches(char::is_alphabetic);
            let head = &t.text[..t.text.len() - day.len()];
            let month_follows = row.tokens[i + 1..].iter().take(2).any(|n| crate::date::month_number(&n.text).is_some());
            if head.chars().count() >= 3 && (1..=2).contains(&day.len()) && day.bytes().all(|b| b.is_ascii_digit()) && month_follows {
                let share = head.chars().count() as f32 / t.text.chars().count() as f32;
                let (b, c) = (t.bbox, t.confidence);
                let left = BBox { width: b.width * share, ..b };
                let right = BBox { left: b.left + b.width * share, width: b.width * (1.0 - share), ..b };
                let (head, day) = (head.to_string(), day.to_string());
                row.tokens[i] = Token::new(head, left, c);
                row.tokens.insert(i + 1, Token::new(day, right, c));
                changed = true;
            }
            i += 1;
        }
        if changed {
            row.text = row.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
        }
    }
}

/// Rejoins amounts OCR split at the decimal separator: `49.` `39` ->
/// `49.39`, and `RM 64 13` -> `RM 64.13` when a currency mark comes before
/// and the two digits end the row.
pub fn repair_split_amounts(rows: &mut [Row]) {
    for row in rows.iter_mut() {
        let mut i = 0;
        let mut changed = false;
        while i + 1 < row.tokens.len() {
            let (a, b) = (&row.tokens[i], &row.tokens[i + 1]);
            let gap = b.bbox.left - a.bbox.right();
            let h = a.bbox.height.max(b.bbox.height).max(1.0);
            let two_digits = |t: &str| {
                let d: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
                d.len() == 2 && t[2..].chars().all(|c| c.is_ascii_uppercase() || c == '*') && t.len() <= 4
            };
            let digits_then_sep = |t: &str| {
                let body = t.trim_start_matches(['-', '(', '~', '=', '$', '€', '£']);
                let body = body.trim_start_matches(|c: char| c.is_ascii_uppercase());
                let n = body.len();
                n >= 2
                    && (body.ends_with('.') || body.ends_with(','))
                    && body[..n - 1].chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
                    && body[..n - 1].chars().next().is_some_and(|c| c.is_ascii_digit())
            };
            let merged = if gap < 1.5 * h && digits_then_sep(&a.text) && two_digits(&b.text) {
                Some(format!("{}{}", a.text, b.text))
            } else if gap < 1.2 * h
                && i > 0
                && i + 2 == row.tokens.len()
                && a.text.len() <= 5
                && a.text.chars().all(|c| c.is_ascii_digit())
                && b.text.len() == 2
                && b.text.chars().all(|c| c.is_ascii_digit())
                && crate::money::currency_of_token(&row.tokens[i - 1].text).is_some()
            {
                Some(format!("{}.{}", a.text, b.text))
            } else {
                None
            };
            if let Some(text) = merged {
                let bbox = a.bbox.union(&b.bbox);
                let confidence = a.confidence.min(b.confidence);
                row.tokens[i] = Token::new(text, bbox, confidence);
                row.tokens.remove(i + 1);
                changed = true;
            }
            i += 1;
        }
        if changed {
            row.text = row.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
        }
    }
}

struct Segment {
    page: u32,
    bbox: BBox,
    tokens: Vec<Token>,
    /// Vertical correction for the page's skew at this segment's position.
    shift: f32,
}

impl Segment {
    /// The box with the page skew removed.
    fn adjusted(&self) -> BBox {
        BBox { top: self.bbox.top + self.shift, ..self.bbox }
    }
}

/// The page's text slope (dy/dx): the slope under which most pairs of
/// side-by-side fragments line up. Pages whose lines are whole rows give no
/// pairs and slope 0.
fn estimate_skew(segs: &[Segment]) -> f32 {
    const STEPS: i32 = 12;
    const MAX_SLOPE: f32 = 0.06;
    // Side-by-side pairs that could line up under some slope in range.
    let mut pairs: Vec<(f32, f32, f32)> = Vec::new(); // (dx, dy, tolerance)
    for (i, a) in segs.iter().enumerate() {
        for b in &segs[i + 1..] {
            let dx = b.bbox.center_x() - a.bbox.center_x();
            if a.bbox.horizontal_overlap(&b.bbox) > 0.0 || dx.abs() < 1.0 {
                continue;
            }
            let tolerance = 0.35 * a.bbox.height.min(b.bbox.height).max(1.0);
            let dy = b.bbox.center_y() - a.bbox.center_y();
            if dy.abs() < MAX_SLOPE * dx.abs() + tolerance {
                pairs.push((dx, dy, tolerance));
            }
        }
    }
    let mut best = (0.0f32, 0.0f32);
    for step in -STEPS..=STEPS {
        let slope = MAX_SLOPE * step as f32 / STEPS as f32;
        let mut score = 0.0f32;
        for &(dx, dy, tolerance) in &pairs {
            let closeness = 1.0 - (dy - slope * dx).abs() / tolerance;
            if closeness > 0.0 {
                score += closeness;
            }
        }
        // Ties go to the smaller slope.
        let score = score - slope.abs();
        if step == -STEPS || score > best.1 + 1e-3 || (score >= best.1 - 1e-3 && slope.abs() < best.0.abs()) {
            best = (slope, score);
        }
    }
    best.0
}

/// Groups a document's lines into rows, in reading order (page, then top to
/// bottom; left to right within a row).
pub fn build_rows(doc: &Document) -> Vec<Row> {
    let mut rows = Vec::new();
    for page in &doc.pages {
        let mut segs: Vec<Segment> = page
            .lines
            .iter()
            .filter(|l| !l.text.trim().is_empty())
            .map(|l| {
                let mut tokens = Vec::new();
                for w in l.words_or_split() {
                    split_word(&w.text, w.bbox, w.confidence, &mut tokens);
                }
                Segment { page: page.number, bbox: l.bbox, tokens, shift: 0.0 }
            })
            .filter(|s| !s.tokens.is_empty())
            .collect();
        // Skewed scans put a row's right end lower (or higher) than its
        // left: group in coordinates with the skew taken out.
        let slope = estimate_skew(&segs);
        let mid_x = page.width / 2.0;
        for s in &mut segs {
            s.shift = -slope * (s.bbox.center_x() - mid_x);
        }
        segs.sort_by(|a, b| a.adjusted().center_y().total_cmp(&b.adjusted().center_y()));

        let mut groups: Vec<Vec<Segment>> = Vec::new();
        for seg in segs {
            let mut best: Option<(usize, f32)> = None;
            // Only recent rows can share a row with this segment.
            let lo = groups.len().saturating_sub(8);
            for (gi, group) in groups.iter().enumerate().skip(lo) {
                if let Some(score) = same_row_score(group, &seg)
                    && best.is_none_or(|(_, s)| score > s)
                {
                    best = Some((gi, score));
                }
            }
            match best {
                Some((gi, _)) => groups[gi].push(seg),
                None => groups.push(vec![seg]),
            }
        }
        for group in groups {
            let mut tokens: Vec<Token> = group.into_iter().flat_map(|s| s.tokens).collect();
            tokens.sort_by(|a, b| a.bbox.left.total_cmp(&b.bbox.left));
            let bbox = tokens.iter().skip(1).fold(tokens[0].bbox, |acc, t| acc.union(&t.bbox));
            let text = tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ");
            let confidence = tokens.iter().map(|t| t.confidence).sum::<f32>() / tokens.len() as f32;
            rows.push(Row { page: page.number, page_width: page.width, page_height: page.height, bbox, tokens, text, confidence });
        }
    }
    rows.sort_by(|a, b| a.page.cmp(&b.page).then(a.bbox.center_y().total_cmp(&b.bbox.center_y())));
    rows
}

/// How well `seg` continues `group` as the same printed row, or `None`.
fn same_row_score(group: &[Segment], seg: &Segment) -> Option<f32> {
    if group[0].page != seg.page {
        return None;
    }
    // Compare with the horizontally nearest member: rows on a skewed scan
    // drift, neighbours don't.
    let nearest = group.iter().min_by(|a, b| horizontal_gap(&a.bbox, &seg.bbox).total_cmp(&horizontal_gap(&b.bbox, &seg.bbox)))?;
    let (n, s) = (nearest.adjusted(), seg.adjusted());
    let min_h = n.height.min(s.height).max(1.0);
    let overlap = n.vertical_overlap(&s) / min_h;
    if overlap < 0.5 {
        return None;
    }
    // Centres must be close too, so a tall box doesn't swallow two rows.
    let max_h = n.height.max(s.height).max(1.0);
    if (n.center_y() - s.center_y()).abs() > 0.6 * max_h {
        return None;
    }
    // Fragments of one row sit side by side.
    for m in group {
        let min_w = m.bbox.width.min(seg.bbox.width).max(1.0);
        if m.bbox.horizontal_overlap(&seg.bbox) > 0.3 * min_w {
            return None;
        }
    }
    Some(overlap)
}

fn horizontal_gap(a: &BBox, b: &BBox) -> f32 {
    (a.left.max(b.left) - a.right().min(b.right())).max(0.0)
}

/// Splits `DATE:25/12/2018` into `DATE:` and `25/12/2018` (a label glued to
/// its value), keeping times (`8:13:39`) and ratios intact.
fn split_word(text: &str, bbox: BBox, confidence: f32, out: &mut Vec<Token>) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        if c == ':' && i >= 2 && i + 1 < n {
            let letters_before = chars[..i].iter().filter(|c| c.is_alphabetic()).count();
            let label_end = chars[i - 1].is_alphabetic() || matches!(chars[i - 1], '.' | ')' | '#');
            // `https://...` and `mailto:` stay whole.
            let url = chars[i + 1] == '/' || chars[..i].iter().collect::<String>().eq_ignore_ascii_case("mailto");
            if letters_before >= 2 && label_end && !url {
                let w = bbox.width / n as f32;
                let left: String = chars[..=i].iter().collect();
                let right: String = chars[i + 1..].iter().collect();
                out.push(Token::new(left, BBox::new(bbox.left, bbox.top, w * (i + 1) as f32, bbox.height), confidence));
                split_word(
                    &right,
                    BBox::new(bbox.left + w * (i + 1) as f32, bbox.top, w * (n - i - 1) as f32, bbox.height),
                    confidence,
                    out,
                );
                return;
            }
        }
    }
    out.push(Token::new(text.to_string(), bbox, confidence));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Line, Page};

    /// A document from `(left, top, right, bottom, text)` line boxes.
    pub fn doc_from_boxes(lines: &[(f32, f32, f32, f32, &str)]) -> Document {
        let lines = lines.iter().map(|&(l, t, r, b, text)| Line::from_text(text, BBox::from_ltrb(l, t, r, b), 0.95)).collect();
        Document { language: "en".into(), pages: vec![Page { number: 1, width: 600.0, height: 1000.0, lines }], ..Document::default() }
    }

    #[test]
    fn fragments_on_one_printed_row_are_grouped() {
        let doc = doc_from_boxes(&[
            (10.0, 100.0, 80.0, 120.0, "TOTAL"),
            (300.0, 101.0, 310.0, 121.0, ":"),
            (400.0, 99.0, 480.0, 119.0, "55.10"),
            (10.0, 130.0, 80.0, 150.0, "CASH"),
            (400.0, 131.0, 480.0, 151.0, "60.00"),
        ]);
        let rows = build_rows(&doc);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "TOTAL : 55.10");
        assert_eq!(rows[1].text, "CASH 60.00");
    }

    #[test]
    fn skewed_scans_group_by_the_page_slope() {
        // The right column sits 20 px lower: a 2-degree skew across 600 px,
        // with rows 40 px apart and boxes as tall as the spacing.
        let mut lines = Vec::new();
        let labels = ["ITEM COUNT", "TOTAL", "ROUNDING", "TOTAL AFTER ROUNDING", "CASH", "CHANGE"];
        let values = ["2", "5.00", "0.00", "5.00", "10.00", "5.00"];
        for (i, (l, v)) in labels.iter().zip(values).enumerate() {
            let y = 100.0 + 40.0 * i as f32;
            lines.push((40.0, y, 300.0, y + 40.0, *l));
            lines.push((560.0, y + 20.0, 600.0, y + 60.0, v));
        }
        let rows = build_rows(&doc_from_boxes(&lines));
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, vec!["ITEM COUNT 2", "TOTAL 5.00", "ROUNDING 0.00", "TOTAL AFTER ROUNDING 5.00", "CASH 10.00", "CHANGE 5.00"]);
    }

    #[test]
    fn amounts_split_by_ocr_are_rejoined() {
        let doc = doc_from_boxes(&[
            (10.0, 10.0, 300.0, 30.0, "Total RM Incl. of GST 49. 39"),
            (10.0, 40.0, 300.0, 60.0, "Total Sales(Incl GST 6%) RM 64 13"),
            (10.0, 70.0, 300.0, 90.0, "Member Discount -2. 09"),
            (10.0, 100.0, 300.0, 120.0, "Qty 2 10 Pen 1.00"),
        ]);
        let mut rows = build_rows(&doc);
        repair_split_amounts(&mut rows);
        assert!(rows[0].text.ends_with("GST 49.39"), "{}", rows[0].text);
        assert!(rows[1].text.ends_with("RM 64.13"), "{}", rows[1].text);
        assert!(rows[2].text.ends_with("-2.09"), "{}", rows[2].text);
        assert_eq!(rows[3].text, "Qty 2 10 Pen 1.00", "integers without a currency mark stay apart");
    }

    #[test]
    fn stacked_lines_stay_separate_rows() {
        let doc = doc_from_boxes(&[(10.0, 100.0, 200.0, 120.0, "LINE ONE"), (10.0, 112.0, 200.0, 132.0, "LINE TWO")]);
        assert_eq!(build_rows(&doc).len(), 2);
    }

    #[test]
    fn glued_labels_are_split_and_labels_match_loosely() {
        let doc = doc_from_boxes(&[
            (10.0, 10.0, 300.0, 30.0, "DATE:25/12/2018 8:13:39 PM"),
            (10.0, 40.0, 300.0, 60.0, "SUB-TOTAL (RM): 12.00 T0TAL(RM): 13.00"),
        ]);
        let rows = build_rows(&doc);
        assert_eq!(rows[0].texts(), vec!["DATE:", "25/12/2018", "8:13:39", "PM"]);
        assert_eq!(rows[1].find_label("sub total"), Some((0, 1)));
        assert_eq!(rows[1].find_label("total"), Some((3, 4)), "OCR 0 for O; SUB-TOTAL is not TOTAL");
        assert_eq!(rows[1].find_label("subtotal rm"), None, "labels stop at a parenthesis");
        assert_eq!(rows[0].find_label("time"), None);
    }

    #[test]
    fn space_grouped_thousands_are_rejoined() {
        let mut rows =
            build_rows(&doc_from_boxes(&[(0.0, 0.0, 200.0, 20.0, "Total 1 234 567,89 EUR"), (0.0, 30.0, 110.0, 50.0, "Qty 2 10,00")]));
        join_space_groups(&mut rows);
        assert_eq!(rows[0].texts(), ["Total", "1\u{202f}234\u{202f}567,89", "EUR"]);
        assert_eq!(rows[1].texts(), ["Qty", "2", "10,00"], "a short group is not a thousands group");
        let line = crate::model::Line::from_text("Total 1\u{202f}234,56", BBox::new(0.0, 0.0, 160.0, 20.0), 0.9);
        assert_eq!(line.words_or_split().iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["Total", "1\u{202f}234,56"]);
    }
}
