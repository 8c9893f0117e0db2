//! The system libtesseract (Debian `libtesseract-dev` 5.3.0) behind the same
//! [`OcrBackend`] as the wasm engine, through `tesseract-plumbing`. Optional
//! (`--features native-tesseract`): `folio bench ocr` uses it to measure what
//! running Tesseract inside wasmtime costs. No deadline or memory cap: it runs
//! in the host process.
//!
//! Debian's libtesseract uses OpenMP threads inside the LSTM, and only the
//! `OMP_THREAD_LIMIT` environment variable, read when the process starts,
//! keeps it to one thread like the wasm engine (and the CLI run with
//! `OMP_THREAD_LIMIT=1`); `folio bench ocr` sets it by re-running itself.

use super::pool::{OcrBackend, OcrInstance};
use super::{GrayImage, OcrError, OcrParams, languages_in_tessdata, line_from_words, word_from_ltrb};
use crate::model::{Line, Word};
use std::ffi::CString;
use std::path::PathBuf;
use tesseract_plumbing::TessBaseApi;

pub struct NativeTesseract {
    tessdata: PathBuf,
}

impl NativeTesseract {
    /// Uses the same traineddata as the wasm engine (`<data dir>/tessdata`).
    pub fn from_data_dir() -> Self {
        Self { tessdata: crate::config::data_dir().join("tessdata") }
    }
}

impl OcrBackend for NativeTesseract {
    type Instance = NativeInstance;

    fn version(&self) -> String {
        "tesseract-5.3.0-native".into()
    }

    fn installed_languages(&self) -> Vec<String> {
        languages_in_tessdata(&self.tessdata)
    }

    fn new_instance(&self, language: &str) -> Result<NativeInstance, OcrError> {
        let model = folio_core::language::tesseract_model(language)
            .ok_or_else(|| OcrError::Assets(format!("no Tesseract model for {language:?}")))?;
        let cstr = |s: &str| CString::new(s).map_err(|e| OcrError::Assets(e.to_string()));
        let mut api = TessBaseApi::create();
        api.init_2(Some(&cstr(&self.tessdata.to_string_lossy())?), Some(&cstr(model)?))
            .map_err(|_| OcrError::Assets(format!("libtesseract could not load {model} from {}", self.tessdata.display())))?;
        Ok(NativeInstance { api })
    }
}

pub struct NativeInstance {
    api: TessBaseApi,
}

impl OcrInstance for NativeInstance {
    fn recognize(&mut self, image: &GrayImage, params: &OcrParams) -> Result<Vec<Line>, OcrError> {
        let (w, h) = image.dimensions();
        let failed = |what: &str| OcrError::Engine(format!("libtesseract {what} failed"));
        self.api.set_image(image.as_raw(), w as i32, h as i32, 1, w as i32).map_err(|_| failed("SetImage"))?;
        if let Some(dpi) = params.dpi {
            self.api.set_source_resolution(dpi as i32);
        }
        for (name, value) in params.tesseract_variables() {
            let (n, v) = (CString::new(name).expect("no NUL"), CString::new(value).expect("no NUL"));
            self.api.set_variable(&n, &v).map_err(|_| failed("SetVariable"))?;
        }
        self.api.recognize().map_err(|_| failed("Recognize"))?;
        let tsv = self.api.get_tsv_text(0).map_err(|_| failed("GetTSVText"))?;
        Ok(lines_from_tsv(&tsv.as_ref().to_string_lossy()))
    }
}

/// Tesseract's TSV: `level page block par line word left top width height conf text`;
/// level 5 rows are words, grouped into lines by (block, par, line).
fn lines_from_tsv(tsv: &str) -> Vec<Line> {
    let mut lines: Vec<((u32, u32, u32), Vec<Word>)> = Vec::new();
    for row in tsv.lines() {
        let f: Vec<&str> = row.splitn(12, '\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let n = |i: usize| f[i].parse::<f32>().unwrap_or(0.0);
        let key = (n(2) as u32, n(3) as u32, n(4) as u32);
        let word = word_from_ltrb(f[11], [n(6), n(7), n(6) + n(8), n(7) + n(9)], n(10) / 100.0);
        if word.text.is_empty() {
            continue;
        }
        match lines.last_mut() {
            Some((k, words)) if *k == key => words.push(word),
            _ => lines.push((key, vec![word])),
        }
    }
    lines.into_iter().map(|(_, words)| line_from_words(words)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_words_group_into_lines() {
        let tsv = "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t10\t96.5\tTotal\n\
                   5\t1\t1\t1\t1\t2\t50\t20\t30\t10\t90\t9.99\n\
                   5\t1\t1\t1\t2\t1\t10\t40\t30\t10\t80\tThanks\n";
        let lines = lines_from_tsv(tsv);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "Total 9.99");
        assert_eq!(lines[0].bbox.right(), 80.0);
        assert!((lines[0].words[0].confidence - 0.965).abs() < 1e-6);
    }
}
