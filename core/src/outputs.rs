//! Files made from a document's OCR besides the JSON result:
//! the outputs a caller asks for at submission (`outputs`), and the generic
//! "artifact" the host uploads to the edge before `complete`, which also
//! covers files that are not public outputs (per-page preview rasters for
//! the review page).
//!
//! One owner per rule: names, content types, download file names, the
//! `outputs` field's parsing, size limits, R2 keys and the public listing
//! all live here; the edge and the host only use them.

use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// A public output, chosen at submission and downloadable at
/// `GET /v1/documents/{id}/outputs/{name}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OutputName {
    /// The scan with an invisible text layer (born-digital pages unchanged).
    #[serde(rename = "searchable-pdf")]
    SearchablePdf,
    /// hOCR 1.2: one XHTML file for the document.
    #[serde(rename = "hocr")]
    Hocr,
    /// Plain text, pages separated by form feeds (U+000C).
    #[serde(rename = "text")]
    Text,
    /// The OCR pages (lines, words, boxes, confidences) as JSON.
    #[serde(rename = "ocr-json")]
    OcrJson,
}

impl OutputName {
    /// Every output, in the order the API documents them (and lists them).
    pub const ALL: [OutputName; 4] = [OutputName::SearchablePdf, OutputName::Hocr, OutputName::Text, OutputName::OcrJson];

    /// The wire name: `searchable-pdf`, `hocr`, `text`, `ocr-json`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputName::SearchablePdf => "searchable-pdf",
            OutputName::Hocr => "hocr",
            OutputName::Text => "text",
            OutputName::OcrJson => "ocr-json",
        }
    }

    /// Exact wire name only (the upload path and stored records).
    pub fn parse(s: &str) -> Option<OutputName> {
        OutputName::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The `Content-Type` of the download.
    pub fn content_type(self) -> &'static str {
        match self {
            OutputName::SearchablePdf => "application/pdf",
            OutputName::Hocr => "text/html; charset=utf-8",
            OutputName::Text => "text/plain; charset=utf-8",
            OutputName::OcrJson => "application/json",
        }
    }

    /// File name extension of the download (and of `folio process --output`).
    pub fn extension(self) -> &'static str {
        match self {
            OutputName::SearchablePdf => "pdf",
            OutputName::Hocr => "hocr",
            OutputName::Text => "txt",
            OutputName::OcrJson => "ocr.json",
        }
    }

    /// The output a file name asks for by its extension (`folio process --output x.pdf`).
    pub fn for_path(path: &str) -> Option<OutputName> {
        let lower = path.to_ascii_lowercase();
        // `ocr.json` before any shorter extension.
        let mut by_length = OutputName::ALL;
        by_length.sort_by_key(|o| std::cmp::Reverse(o.extension().len()));
        by_length.into_iter().find(|o| lower.ends_with(&format!(".{}", o.extension())))
    }

    /// The download's file name: the document's name with this output's extension
    /// (`scan.jpg` -> `scan.pdf`, `scan.hocr`, `scan.txt`, `scan.ocr.json`).
    pub fn file_name(self, document_file_name: &str) -> String {
        let stem = match document_file_name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => document_file_name,
        };
        let stem = if stem.trim().is_empty() { "document" } else { stem };
        format!("{stem}.{}", self.extension())
    }

    /// The accepted names, comma-separated (error messages, docs).
    pub fn names() -> String {
        OutputName::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl std::fmt::Display for OutputName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn invalid(name: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidOutputs, format!("Unknown output {name:?}: valid outputs are {}", OutputName::names()))
}

/// The submission field `outputs`: a comma-separated list (multipart) of
/// output names, case-insensitive, whitespace ignored. Duplicates are
/// accepted and count once; the answer is in [`OutputName::ALL`] order.
/// An unknown name is `INVALID_OUTPUTS` naming it and the valid ones.
pub fn parse_outputs(s: &str) -> Result<Vec<OutputName>, ApiError> {
    parse_output_list(s.split(',').map(str::trim).filter(|n| !n.is_empty()))
}

/// [`parse_outputs`] for a list of names (Veryfi JSON `"outputs": ["hocr", "text"]`).
pub fn parse_output_list<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<OutputName>, ApiError> {
    let mut chosen = Vec::new();
    for name in names {
        let wanted = name.trim();
        let o = OutputName::ALL.into_iter().find(|o| o.as_str().eq_ignore_ascii_case(wanted)).ok_or_else(|| invalid(name))?;
        if !chosen.contains(&o) {
            chosen.push(o);
        }
    }
    chosen.sort();
    Ok(chosen)
}

/// Most bytes one artifact upload may have: the searchable PDF of the
/// largest upload (about its size) with room for the text layer. The edge
/// holds an upload as a JavaScript Blob, within the isolate's 128 MB.
pub const MAX_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;
/// Most bytes a document's stored artifacts may have together, counted with
/// its other limits: twice the largest upload (a searchable PDF of a 50 MB
/// scan is about as large as the scan, hOCR and text are small).
pub const MAX_ARTIFACTS_BYTES_PER_DOCUMENT: u64 = crate::filetype::MAX_FILE_BYTES * 2;
/// Highest page number a preview may have (the largest plan's page cap).
pub const MAX_PREVIEW_PAGE: u32 = 2000;
/// Pages of a PDF or TIFF the host stores a preview raster of: the first 50
/// (the review page is for checking a result, and 50 small PNGs stay far
/// inside [`MAX_ARTIFACTS_BYTES_PER_DOCUMENT`]).
pub const PREVIEW_PAGES: u32 = 50;
/// Resolution of a preview raster (box units are the OCR resolution, about
/// 300 DPI; the review page scales them to the image).
pub const PREVIEW_DPI: u32 = 100;
/// Longest side of a preview raster, in pixels.
pub const PREVIEW_MAX_SIDE: u32 = 1200;

/// Anything the host stores next to a document through
/// `PUT /internal/v1/leases/{leaseId}/artifacts/{name}`: a public output or a
/// page preview (`preview-{page}.png`, for the review page; not public, never
/// listed). Adding a kind is a variant here plus its name, content type and
/// whether it is public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Artifact {
    /// A public output the caller asked for.
    Output(OutputName),
    /// A PNG raster of page `page` (1-based).
    Preview {
        /// 1-based page number.
        page: u32,
    },
}

impl Artifact {
    /// The name in URLs and R2 keys: `searchable-pdf`, `preview-3.png`.
    pub fn name(&self) -> String {
        match self {
            Artifact::Output(o) => o.as_str().to_string(),
            Artifact::Preview { page } => format!("preview-{page}.png"),
        }
    }

    /// Exact names only: `searchable-pdf`, `hocr`, `text`, `ocr-json`, `preview-{1..}.png`.
    pub fn parse(s: &str) -> Option<Artifact> {
        if let Some(o) = OutputName::parse(s) {
            return Some(Artifact::Output(o));
        }
        let page = s.strip_prefix("preview-")?.strip_suffix(".png")?;
        if page.starts_with('0') || !page.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let page: u32 = page.parse().ok().filter(|p| (1..=MAX_PREVIEW_PAGE).contains(p))?;
        Some(Artifact::Preview { page })
    }

    /// Its `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        match self {
            Artifact::Output(o) => o.content_type(),
            Artifact::Preview { .. } => "image/png",
        }
    }

    /// The public output it is, if any.
    pub fn output(&self) -> Option<OutputName> {
        match self {
            Artifact::Output(o) => Some(*o),
            Artifact::Preview { .. } => None,
        }
    }
}

/// R2 key of an artifact: under the document's own prefix, so deleting the
/// document lists and deletes them all.
pub fn artifact_r2_key(org_id: &str, doc_id: &str, artifact: &Artifact) -> String {
    format!("{}{}", artifacts_r2_prefix(org_id, doc_id), artifact.name())
}

/// The prefix of every artifact of a document.
pub fn artifacts_r2_prefix(org_id: &str, doc_id: &str) -> String {
    format!("artifacts/{org_id}/{doc_id}/")
}

/// The API path of an output (never a public storage link).
pub fn output_path(doc_id: &str, output: OutputName) -> String {
    format!("/v1/documents/{doc_id}/outputs/{}", output.as_str())
}

/// One entry of `data.outputs` (documents and `document.completed` webhooks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputLink {
    /// Which output.
    pub name: OutputName,
    /// Path on the API (`GET`, the caller's API key): `/v1/documents/{id}/outputs/{name}`.
    pub url: String,
    /// Its `Content-Type`.
    pub content_type: String,
    /// The download's file name (also in its `Content-Disposition`).
    pub file_name: String,
    /// Bytes.
    pub size: u64,
}

impl OutputLink {
    /// The listing entry of `name` for document `doc_id` (whose upload was `document_file_name`).
    pub fn new(doc_id: &str, document_file_name: &str, name: OutputName, size: u64) -> Self {
        OutputLink {
            name,
            url: output_path(doc_id, name),
            content_type: name.content_type().to_string(),
            file_name: name.file_name(document_file_name),
            size,
        }
    }
}

/// `Content-Disposition` of a download: `attachment` with an ASCII fallback
/// name and the UTF-8 name (RFC 6266 / RFC 5987).
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String =
        file_name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for o in OutputName::ALL {
            assert_eq!(OutputName::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
            assert_eq!(Artifact::parse(o.as_str()), Some(Artifact::Output(o)));
            assert_eq!(Artifact::Output(o).name(), o.as_str());
        }
        assert_eq!(OutputName::names(), "searchable-pdf, hocr, text, ocr-json");
    }

    #[test]
    fn outputs_field() {
        assert_eq!(parse_outputs("").unwrap(), vec![]);
        assert_eq!(
            parse_outputs(" text, Searchable-PDF ,hocr,text").unwrap(),
            vec![OutputName::SearchablePdf, OutputName::Hocr, OutputName::Text]
        );
        assert_eq!(parse_output_list(["ocr-json"]).unwrap(), vec![OutputName::OcrJson]);
        let e = parse_outputs("text,pdf").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOutputs);
        assert_eq!(e.http_status(), 400);
        assert_eq!(e.message, "Unknown output \"pdf\": valid outputs are searchable-pdf, hocr, text, ocr-json");
    }

    #[test]
    fn artifacts() {
        assert_eq!(Artifact::parse("preview-3.png"), Some(Artifact::Preview { page: 3 }));
        assert_eq!(Artifact::Preview { page: 12 }.name(), "preview-12.png");
        assert_eq!(Artifact::Preview { page: 1 }.content_type(), "image/png");
        for bad in ["preview-0.png", "preview-01.png", "preview-.png", "preview-1.jpg", "preview-2001.png", "Hocr", "../x", ""] {
            assert_eq!(Artifact::parse(bad), None, "{bad}");
        }
        assert_eq!(artifact_r2_key("org_1", "doc_2", &Artifact::Output(OutputName::Hocr)), "artifacts/org_1/doc_2/hocr");
        assert!(artifact_r2_key("o", "d", &Artifact::Preview { page: 1 }).starts_with(&artifacts_r2_prefix("o", "d")));
    }

    #[test]
    fn file_names_and_disposition() {
        assert_eq!(OutputName::SearchablePdf.file_name("scan.jpg"), "scan.pdf");
        assert_eq!(OutputName::OcrJson.file_name("a.b.pdf"), "a.b.ocr.json");
        assert_eq!(OutputName::Text.file_name("noext"), "noext.txt");
        assert_eq!(OutputName::Hocr.file_name(".jpg"), ".jpg.hocr");
        assert_eq!(OutputName::for_path("out/Searchable.PDF"), Some(OutputName::SearchablePdf));
        assert_eq!(OutputName::for_path("x.ocr.json"), Some(OutputName::OcrJson));
        assert_eq!(OutputName::for_path("x.json"), None);
        assert_eq!(content_disposition("scan.pdf"), "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf");
        assert_eq!(content_disposition("ré\"s.txt"), "attachment; filename=\"r__s.txt\"; filename*=UTF-8''r%C3%A9%22s.txt");
        let link = OutputLink::new("doc_x", "scan.jpg", OutputName::SearchablePdf, 10);
        let v = serde_json::to_value(&link).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "searchable-pdf", "url": "/v1/documents/doc_x/outputs/searchable-pdf",
                "contentType": "application/pdf", "fileName": "scan.pdf", "size": 10})
        );
    }
}
