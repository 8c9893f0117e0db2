//! hOCR 1.2 (<http://kba.github.io/hocr-spec/1.2/>): one XHTML file for the
//! document, an `ocr_page` per page, `ocr_line` per line and `ocrx_word` per
//! word, each with its `bbox` in the upright page's pixels, words with
//! `x_wconf` (0-100). Pages from a PDF text layer are included alike.

use crate::model::{BBox, Document};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn bbox(b: &BBox) -> String {
    format!("bbox {} {} {} {}", b.left.round() as i64, b.top.round() as i64, b.right().round() as i64, b.bottom().round() as i64)
}

/// The hOCR of a document. `file_name` goes into each page's `image` property.
pub fn hocr(document: &Document, file_name: &str) -> String {
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n",
    );
    let lang = escape(document.language.split(',').next().unwrap_or("en"));
    out.push_str(&format!("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"{lang}\" lang=\"{lang}\">\n"));
    out.push_str(" <head>\n  <title>");
    out.push_str(&escape(file_name));
    out.push_str("</title>\n");
    out.push_str("  <meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n");
    out.push_str(&format!("  <meta name=\"ocr-system\" content=\"folio {}\"/>\n", env!("CARGO_PKG_VERSION")));
    out.push_str("  <meta name=\"ocr-capabilities\" content=\"ocr_page ocr_line ocrx_word\"/>\n");
    out.push_str(&format!("  <meta name=\"ocr-number-of-pages\" content=\"{}\"/>\n", document.pages.len()));
    out.push_str(" </head>\n <body>\n");
    let image = escape(&file_name.replace('"', "'"));
    for page in &document.pages {
        let p = page.number;
        let page_box = BBox { left: 0.0, top: 0.0, width: page.width, height: page.height };
        out.push_str(&format!(
            "  <div class=\"ocr_page\" id=\"page_{p}\" title=\"image &quot;{image}&quot;; {}; ppageno {}; scan_res {} {}\">\n",
            bbox(&page_box),
            p - 1,
            page.dpi,
            page.dpi
        ));
        for (li, line) in page.lines.iter().enumerate() {
            let l = li + 1;
            out.push_str(&format!("   <span class=\"ocr_line\" id=\"line_{p}_{l}\" title=\"{}\">", bbox(&line.bbox)));
            for (wi, word) in line.words.iter().enumerate() {
                if wi > 0 {
                    out.push(' ');
                }
                let conf = (word.confidence.clamp(0.0, 1.0) * 100.0).round() as u32;
                out.push_str(&format!(
                    "<span class=\"ocrx_word\" id=\"word_{p}_{l}_{}\" title=\"{}; x_wconf {conf}\">{}</span>",
                    wi + 1,
                    bbox(&word.bbox),
                    escape(&word.text)
                ));
            }
            out.push_str("</span>\n");
        }
        out.push_str("  </div>\n");
    }
    out.push_str(" </body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::tests::page;

    #[test]
    fn words_lines_and_pages_carry_their_boxes() {
        let doc = Document {
            id: "doc_x".into(),
            document_type: "generic".into(),
            language: "en".into(),
            extract_tables: false,
            hints: vec![],
            pages: vec![page(1, &[("A&B", [10.4, 10.0, 60.0, 30.0]), ("<x>", [70.0, 10.0, 120.0, 30.6])])],
            detected_language: None,
        };
        let h = hocr(&doc, "scan \"1\".jpg");
        assert!(h.contains("<div class=\"ocr_page\" id=\"page_1\" title=\"image &quot;scan &#39;1&#39;.jpg&quot;; bbox 0 0 1000 1400; ppageno 0; scan_res 300 300\">"), "{h}");
        assert!(h.contains("<span class=\"ocr_line\" id=\"line_1_1\" title=\"bbox 10 10 120 31\">"), "{h}");
        assert!(h.contains("<span class=\"ocrx_word\" id=\"word_1_1_1\" title=\"bbox 10 10 60 30; x_wconf 90\">A&amp;B</span> "), "{h}");
        assert!(h.contains(">&lt;x&gt;</span>"), "{h}");
    }
}
