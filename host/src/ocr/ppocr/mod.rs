//! PP-OCR: the PP-OCRv4 text detection, text-line direction and recognition
//! models (ONNX, Apache-2.0, from the PyPI wheel `rapidocr-onnxruntime==1.4.4`,
//! installed by `scripts/setup` into `<data dir>/ppocr`) run by `rten`, a
//! pure-Rust inference runtime, behind the same [`OcrEngine`](super::OcrEngine)
//! trait and [`EnginePool`](super::pool::EnginePool) as Tesseract.
//!
//! A page goes: [`detect`] (DB text regions) → [`recognize::crop`] (each region
//! straightened) → [`recognize::straighten`] (the classifier turns upside-down
//! lines) → [`recognize::recognize`] (batched CTC recognition, words with boxes)
//! → [`super::layout`] (segments on one printed row joined into one line).
//!
//! The models are loaded once and shared; an instance is only a one-thread
//! run context, so the pool's size (one per core) bounds the threads used.
//! [`orientation`] uses the same detection and classifier models to turn
//! pages scanned at 90°, 180° or 270° upright before either engine reads them.

pub mod detect;
pub mod orientation;
pub mod recognize;

use super::layout::{self, Segment};
use super::pool::{OcrBackend, OcrInstance};
use super::{GrayImage, OcrError, OcrParams, Rotation, Upright};
use crate::model::Line;
use detect::DetParams;
use rten::{Model, RunOptions, ThreadPool};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const DET_MODEL: &str = "ch_PP-OCRv4_det_infer.onnx";
pub const CLS_MODEL: &str = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
pub const REC_MODEL: &str = "ch_PP-OCRv4_rec_infer.onnx";
/// `metadata` name of the models and runtime.
pub const MODEL_VERSION: &str = "ppocr-v4-rten-0.27";

/// Lines whose mean character probability is below this are dropped (rapidocr's `text_score`).
const MIN_LINE_SCORE: f32 = 0.5;

/// The three models and the recogniser's alphabet, loaded once.
pub struct Models {
    pub det: Model,
    pub cls: Model,
    pub rec: Model,
    /// The recogniser's classes after the CTC blank: the `character` list from the
    /// model's metadata, then a space (as PaddleOCR's `use_space_char`).
    pub alphabet: Vec<String>,
}

impl Models {
    /// Loads the models from `dir` (`<data dir>/ppocr`).
    pub fn load(dir: &Path) -> Result<Self, OcrError> {
        let load = |name: &str| {
            let path = dir.join(name);
            if !path.is_file() {
                return Err(OcrError::Assets(format!(
                    "missing PP-OCR model {}: run scripts/setup, or point FOLIO_DATA_DIR at a directory that has ppocr/{name}",
                    path.display()
                )));
            }
            Model::load_file(&path).map_err(|e| OcrError::Assets(format!("loading {}: {e}", path.display())))
        };
        let (det, cls, rec) = (load(DET_MODEL)?, load(CLS_MODEL)?, load(REC_MODEL)?);
        let characters =
            rec.metadata().get("character").ok_or_else(|| OcrError::Assets(format!("{REC_MODEL} has no `character` metadata")))?;
        let mut alphabet: Vec<String> = characters.lines().map(str::to_string).collect();
        alphabet.push(" ".to_string());
        Ok(Self { det, cls, rec, alphabet })
    }

    /// From `<data dir>/ppocr`.
    pub fn from_data_dir() -> Result<Self, OcrError> {
        Self::load(&crate::config::data_dir().join("ppocr"))
    }
}

pub(crate) fn run_err(stage: &'static str) -> impl Fn(rten::RunError) -> OcrError {
    move |e| OcrError::Engine(format!("PP-OCR {stage}: {e}"))
}

/// Run options that keep a model run on one thread of its own (the pool
/// provides the parallelism, one page per core, as with Tesseract).
pub(crate) fn one_thread() -> RunOptions {
    RunOptions::default().with_thread_pool(Some(Arc::new(ThreadPool::with_num_threads(1))))
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PpOcrLimits {
    /// Wall-clock limit for one page, checked between recognition batches.
    pub page_deadline: Duration,
    pub det: DetParams,
}

impl Default for PpOcrLimits {
    fn default() -> Self {
        Self { page_deadline: Duration::from_secs(60), det: DetParams::default() }
    }
}

/// The PP-OCR backend: shared models, instances created per pool slot.
#[derive(Clone)]
pub struct PpOcr {
    models: Arc<Models>,
    limits: PpOcrLimits,
}

impl PpOcr {
    pub fn new(models: Arc<Models>, limits: PpOcrLimits) -> Self {
        Self { models, limits }
    }
}

pub struct PpOcrInstance {
    models: Arc<Models>,
    limits: PpOcrLimits,
    opts: RunOptions,
}

impl PpOcrInstance {
    pub fn new(models: Arc<Models>, limits: PpOcrLimits) -> Self {
        Self { models, limits, opts: one_thread() }
    }
}

impl OcrBackend for PpOcr {
    type Instance = PpOcrInstance;

    fn version(&self) -> String {
        MODEL_VERSION.to_string()
    }

    /// The PP-OCRv4 `ch` models read Chinese and unaccented Latin script; of the
    /// languages Folio offers, English.
    fn installed_languages(&self) -> Vec<String> {
        vec!["en".to_string()]
    }

    fn new_instance(&self, _language: &str) -> Result<PpOcrInstance, OcrError> {
        Ok(PpOcrInstance::new(self.models.clone(), self.limits))
    }

    fn orients_pages(&self) -> bool {
        true
    }
}

impl PpOcrInstance {
    /// Detection → crops → direction → recognition → rows. With `turn`, a page
    /// whose regions or lines say it lies on its side or upside down is turned
    /// and read again (detection costs ~20% of a page; upright pages pay nothing extra).
    fn read(&mut self, image: &GrayImage, turn: bool) -> Result<Upright, OcrError> {
        let deadline = Instant::now() + self.limits.page_deadline;
        let past_deadline = || if Instant::now() > deadline { Err(OcrError::DeadlineExceeded(self.limits.page_deadline)) } else { Ok(()) };
        let mut rotation = Rotation::None;
        let mut turned: Option<GrayImage> = None;
        let mut boxes = detect::detect(&self.models, &self.opts, image, &self.limits.det)?;
        if turn && orientation::lies_on_its_side(&boxes) {
            rotation = Rotation::Cw90;
            let page = rotation.apply(image);
            boxes = detect::detect(&self.models, &self.opts, &page, &self.limits.det)?;
            turned = Some(page);
        }
        past_deadline()?;
        let page = turned.as_ref().unwrap_or(image);
        let mut crops: Vec<recognize::LineCrop> = boxes.iter().filter_map(|b| recognize::crop(page, b)).collect();
        let votes = recognize::straighten(&self.models, &self.opts, &mut crops)?;
        if turn && orientation::is_upside_down(&votes) {
            rotation = rotation.then(Rotation::Cw180);
            let page = Rotation::Cw180.apply(page);
            let boxes = detect::detect(&self.models, &self.opts, &page, &self.limits.det)?;
            crops = boxes.iter().filter_map(|b| recognize::crop(&page, b)).collect();
            recognize::straighten(&self.models, &self.opts, &mut crops)?;
            past_deadline()?;
        }
        let lines = recognize::recognize(&self.models, &self.opts, &crops, Some(deadline), self.limits.page_deadline)?;
        let segments = lines
            .into_iter()
            .flatten()
            .filter(|l| l.confidence >= MIN_LINE_SCORE)
            .map(|l| Segment { words: l.words, angle: l.geometry.angle() })
            .collect();
        Ok(Upright { lines: layout::rows(segments), rotation })
    }
}

impl OcrInstance for PpOcrInstance {
    fn recognize(&mut self, image: &GrayImage, _params: &OcrParams) -> Result<Vec<Line>, OcrError> {
        Ok(self.read(image, false)?.lines)
    }

    fn recognize_upright(&mut self, image: &GrayImage, _params: &OcrParams) -> Result<Upright, OcrError> {
        self.read(image, true)
    }
}
