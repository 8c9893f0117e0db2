//! `folio eval sroie DIR`: per-field extraction accuracy on an SROIE-style
//! folder (`img/NNN.jpg` (or .png, .tif, .webp), `key/NNN.json`, `box/NNN.csv`).
//!
//! Every receipt is extracted twice by the installed `receipt` plugin, run
//! in the plugin sandbox exactly as `folio process` runs it:
//! - from the ground-truth text lines in `box/` (extraction alone), and
//! - from real OCR of the image in `img/` (OCR and extraction together),
//!
//! so OCR errors and extraction errors can be told apart. Fields are
//! compared by normalised exact match (see `folio_extract::eval`): company,
//! date, address, total.

use crate::input::{InputDocument, InputOptions, PageContent};
use crate::model::{self, BBox, Document, Line, Page, PageSource, Word};
use crate::ocr::pool::EnginePool;
use crate::ocr::tesseract_wasm::{TesseractWasm, WasmLimits};
use crate::ocr::{OcrEngine, OcrParams, OcrProfile, Segmentation};
use crate::pipeline::{Pipeline, PpOcrService};
use crate::plugins::{PluginHost, SandboxConfig};
use anyhow::{Context as _, Result, bail};
use folio_core::OcrEngineChoice;
use folio_extract::eval::{self as score, Expected, FIELDS, Predicted, Tally};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Per-field accuracy (company, date, address, total) of the receipt
    /// plugin on an SROIE-style folder, from the ground-truth lines in box/
    /// and from real OCR of img/.
    Sroie(SroieArgs),
    /// Per-language, per-field accuracy of the invoice and receipt plugins on
    /// the generated multilingual set (tests/languages/generate.py), through
    /// real OCR with each document's `language`.
    Languages(super::eval_languages::LanguagesArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// Both passes.
    Both,
    /// Only the ground-truth lines in box/ (no OCR; seconds).
    Boxes,
    /// Only real OCR of img/.
    Ocr,
}

#[derive(clap::Args)]
pub struct SroieArgs {
    /// Folder with img/, key/ and box/.
    pub dir: PathBuf,
    /// Where to write the JSON summary.
    #[arg(long, default_value = "sroie-eval.json")]
    pub json: PathBuf,
    /// Which passes to run.
    #[arg(long, value_enum, default_value_t = Source::Both)]
    pub source: Source,
    /// Receipts processed in parallel during the OCR pass.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Only the first N receipts (sorted by name).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only these receipts (names without extension, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Print every miss (expected vs extracted).
    #[arg(short, long)]
    pub verbose: bool,
    /// Also write each receipt's OCR page (lines, words, boxes, confidences)
    /// as `<DIR>/<name>.json`, to study OCR output without re-running it.
    #[arg(long, value_name = "DIR")]
    pub dump_ocr: Option<PathBuf>,
    /// OCR experiments: page segmentation instead of the receipt profile's (Tesseract only).
    #[arg(long, value_enum)]
    pub segmentation: Option<SegmentationArg>,
    /// OCR passes, one per engine setting (auto, tesseract, ppocr), each scored
    /// on its own (JSON keys `ocr` for auto, `ocr-tesseract`, `ocr-ppocr`).
    #[arg(long, value_delimiter = ',', default_values_t = OcrEngineChoice::ALL)]
    pub ocr_engine: Vec<OcrEngineChoice>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SegmentationArg {
    /// PSM 3
    Auto,
    /// PSM 4
    SingleColumn,
    /// PSM 6
    SingleBlock,
}

/// How the OCR pass recognises images.
#[derive(Clone, Copy, Debug)]
struct OcrSettings {
    /// `None`: the receipt profile's.
    segmentation: Option<Segmentation>,
    engine: OcrEngineChoice,
}

pub fn run(c: Command) -> Result<ExitCode> {
    match c {
        Command::Sroie(args) => sroie(args),
        Command::Languages(args) => super::eval_languages::run(args),
    }
}

/// One labelled receipt.
struct Sample {
    name: String,
    expected: Expected,
}

/// The outcome for one receipt in one pass.
#[derive(Clone, Debug)]
struct Outcome {
    predicted: Predicted,
    matched: [bool; 4],
    /// Plugin instantiation + call.
    extract_time: Duration,
    ocr_time: Duration,
    error: Option<String>,
    /// The document the plugin was given (to time the plugin again without
    /// OCR running beside it).
    document: Option<model::Document>,
    /// Process CPU time of the whole pass divided by its receipts (OCR passes).
    pass_cpu_per_receipt: Duration,
}

fn sroie(args: SroieArgs) -> Result<ExitCode> {
    let mut samples = load_samples(&args.dir)?;
    if !args.only.is_empty() {
        samples.retain(|s| args.only.contains(&s.name));
    }
    samples.truncate(args.limit.unwrap_or(usize::MAX));
    if samples.is_empty() {
        bail!("no key/*.json files in {}", args.dir.display());
    }
    let plugins = PluginHost::with_default_plugins(SandboxConfig::default())?;
    let plugin = plugins.plugin_for("receipt").with_context(|| {
        format!(
            "no plugin handles documentType \"receipt\": build the first-party plugins (scripts/build-plugins) into {}",
            crate::config::builtin_plugins_dir().display()
        )
    })?;
    eprintln!("receipt plugin: {} {} ({})", plugin.name, plugin.version, plugin.path.display());

    let mut passes: Vec<(&str, Vec<Outcome>)> = Vec::new();
    if args.source != Source::Ocr {
        let started = Instant::now();
        let outcomes: Vec<Outcome> = samples.iter().map(|s| boxes_pass(&args.dir, s, &plugins)).collect();
        eprintln!("box/ pass: {} receipts in {:.1}s", outcomes.len(), started.elapsed().as_secs_f64());
        passes.push(("groundTruthLines", outcomes));
    }
    if args.source != Source::Boxes {
        let threads = args.threads.max(1);
        let engine: Arc<dyn OcrEngine> = Arc::new(EnginePool::new(TesseractWasm::from_data_dir(WasmLimits::default())?, threads));
        let ppocr = PpOcrService::from_data_dir(threads).map_err(|e| anyhow::anyhow!(e.message))?;
        // One page per document: the parallelism is across documents.
        let pipeline = Pipeline::new(engine.clone(), None, 1).with_ppocr(ppocr);
        if let Some(d) = &args.dump_ocr {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        let segmentation = args.segmentation.map(|s| match s {
            SegmentationArg::Auto => Segmentation::Auto,
            SegmentationArg::SingleColumn => Segmentation::SingleColumn,
            SegmentationArg::SingleBlock => Segmentation::SingleBlock,
        });
        for choice in args.ocr_engine.iter().copied() {
            let settings = OcrSettings { segmentation, engine: choice };
            eprintln!("OCR settings: {settings:?}");
            let started = Instant::now();
            let cpu_before = process_cpu();
            let dump = args.dump_ocr.as_ref().map(|d| d.join(choice.as_str()));
            if let Some(d) = &dump {
                std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            }
            let ocr = OcrRun { pipeline: &pipeline, engine: engine.as_ref(), dump: dump.as_deref(), settings };
            let mut outcomes = ocr_pass(&args.dir, &samples, &plugins, &ocr, threads);
            let cpu = process_cpu().saturating_sub(cpu_before);
            for o in outcomes.iter_mut() {
                o.pass_cpu_per_receipt = cpu / samples.len() as u32;
            }
            eprintln!(
                "OCR pass ({choice}): {} receipts in {:.1}s, {:.2} CPU s per receipt",
                outcomes.len(),
                started.elapsed().as_secs_f64(),
                (cpu / samples.len() as u32).as_secs_f64()
            );
            let name = match choice {
                OcrEngineChoice::Auto => "ocr",
                OcrEngineChoice::Tesseract => "ocr-tesseract",
                OcrEngineChoice::Ppocr => "ocr-ppocr",
            };
            passes.push((name, outcomes));
        }
    }
    for (_, outcomes) in passes.iter_mut() {
        retime(outcomes, &plugins);
    }

    let mut summary = Map::new();
    summary.insert("dataset".into(), json!(args.dir.display().to_string()));
    summary.insert("documents".into(), json!(samples.len()));
    summary.insert("plugin".into(), json!(format!("{} {}", plugin.name, plugin.version)));
    summary.insert("comparison".into(), json!("normalised exact match: text with case, spacing and punctuation folded; dates as dates (expected read day-first); totals as numbers"));
    for (name, outcomes) in &passes {
        let title = match *name {
            "ocr" => "from real OCR of img/ (OCR + extraction), ocrEngine auto".to_string(),
            "groundTruthLines" => "from ground-truth lines in box/ (extraction only)".to_string(),
            other => format!("from real OCR of img/ (OCR + extraction), ocrEngine {}", other.trim_start_matches("ocr-")),
        };
        let tally = print_table(&title, outcomes);
        if args.verbose {
            print_misses(&samples, outcomes);
        }
        summary.insert(name.to_string(), pass_json(&tally, outcomes, &samples));
    }
    let text = serde_json::to_string_pretty(&Value::Object(summary))?;
    std::fs::write(&args.json, text + "\n").with_context(|| format!("writing {}", args.json.display()))?;
    eprintln!("JSON summary: {}", args.json.display());
    Ok(ExitCode::SUCCESS)
}

fn load_samples(dir: &Path) -> Result<Vec<Sample>> {
    let key_dir = dir.join("key");
    let mut names: Vec<String> = std::fs::read_dir(&key_dir)
        .with_context(|| format!("reading {}", key_dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = key_dir.join(format!("{name}.json"));
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path)?).with_context(|| format!("parsing {}", path.display()))?;
            let get = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            Ok(Sample {
                name,
                expected: Expected { company: get("company"), date: get("date"), address: get("address"), total: get("total") },
            })
        })
        .collect()
}

/// A receipt document for the plugin.
fn receipt_document(name: &str, page: Page) -> Document {
    Document {
        id: format!("sroie-{name}"),
        document_type: "receipt".into(),
        language: "en".into(),
        extract_tables: true,
        hints: Vec::new(),
        pages: vec![page],
        detected_language: None,
    }
}

fn boxes_pass(dir: &Path, s: &Sample, plugins: &PluginHost) -> Outcome {
    let path = dir.join("box").join(format!("{}.csv", s.name));
    let page = match std::fs::read(&path) {
        Ok(bytes) => box_page(&String::from_utf8_lossy(&bytes)),
        Err(e) => return failed(format!("reading {}: {e}", path.display()), Duration::ZERO),
    };
    extract(s, receipt_document(&s.name, page), plugins, Duration::ZERO)
}

/// The ground-truth lines as an OCR-like page (confidence 1, words with
/// boxes spread over the line by character position).
fn box_page(csv: &str) -> Page {
    let lines: Vec<Line> = score::parse_box_lines(csv)
        .into_iter()
        .map(|l| {
            let bbox = BBox { left: l.bbox.left, top: l.bbox.top, width: l.bbox.width, height: l.bbox.height };
            let words = l
                .words_or_split()
                .into_iter()
                .map(|w| Word {
                    text: w.text,
                    bbox: BBox { left: w.bbox.left, top: w.bbox.top, width: w.bbox.width, height: w.bbox.height },
                    confidence: 1.0,
                })
                .collect();
            Line { text: l.text, bbox, confidence: 1.0, words }
        })
        .collect();
    let width = lines.iter().map(|l| l.bbox.right()).fold(1.0, f32::max);
    let height = lines.iter().map(|l| l.bbox.bottom()).fold(1.0, f32::max);
    Page::from_lines(1, width, height, 300, PageSource::Ocr, lines)
}

/// What the OCR pass needs besides the samples.
struct OcrRun<'a> {
    pipeline: &'a Pipeline,
    engine: &'a dyn OcrEngine,
    dump: Option<&'a Path>,
    settings: OcrSettings,
}

fn ocr_pass(dir: &Path, samples: &[Sample], plugins: &PluginHost, ocr: &OcrRun, threads: usize) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let progress = super::progress::bar(samples.len(), "receipts");
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(s) = samples.get(i) else { break };
                    let outcome = ocr_one(dir, s, plugins, ocr);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
                    if let Some(bar) = &progress {
                        bar.inc(1);
                    }
                }
            });
        }
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

fn ocr_one(dir: &Path, s: &Sample, plugins: &PluginHost, ocr: &OcrRun) -> Outcome {
    let started = Instant::now();
    let Some(path) = ["jpg", "jpeg", "png", "tif", "tiff", "webp"]
        .iter()
        .map(|ext| dir.join("img").join(format!("{}.{ext}", s.name)))
        .find(|p| p.is_file())
    else {
        return failed(format!("no image for {} in {}", s.name, dir.join("img").display()), Duration::ZERO);
    };
    let page = match ocr_page(&path, ocr.pipeline, ocr.engine, ocr.settings) {
        Ok(p) => p,
        Err(e) => return failed(format!("{e:#}"), started.elapsed()),
    };
    if let Some(d) = ocr.dump
        && let Err(e) =
            serde_json::to_vec(&page).map_err(anyhow::Error::from).and_then(|b| Ok(std::fs::write(d.join(format!("{}.json", s.name)), b)?))
    {
        eprintln!("dumping OCR of {}: {e:#}", s.name);
    }
    extract(s, receipt_document(&s.name, page), plugins, started.elapsed())
}

/// The receipt image as `folio process` would OCR it: the same input
/// stage (format check, EXIF orientation, gray, rescaling for the receipt
/// profile) and the same recognition step (receipt profile; a `segmentation`
/// override only for experiments).
fn ocr_page(path: &Path, pipeline: &Pipeline, engine: &dyn OcrEngine, settings: OcrSettings) -> Result<Page> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let input = InputDocument::open(bytes, InputOptions { profile: OcrProfile::Receipt, ..InputOptions::default() })
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message))?;
    let PageContent::Raster(raster) = input.page(0).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message))? else {
        bail!("{} has a text layer, not an image", path.display());
    };
    match settings.segmentation {
        None => {
            let engine = pipeline.engine_for(settings.engine, "en", OcrProfile::Receipt).map_err(|e| anyhow::anyhow!(e.message))?;
            pipeline.recognize(1, &raster, "en", OcrProfile::Receipt, engine).map_err(|e| anyhow::anyhow!(e.message))
        }
        Some(segmentation) => {
            let params = OcrParams { language: "en".into(), dpi: raster.dpi_known.then_some(raster.dpi), segmentation };
            let lines = engine.recognize(&raster.image, &params)?;
            let (w, h) = raster.image.dimensions();
            Ok(Page::from_lines(1, w as f32, h as f32, raster.dpi, PageSource::Ocr, lines))
        }
    }
}

fn extract(s: &Sample, doc: model::Document, plugins: &PluginHost, ocr_time: Duration) -> Outcome {
    match plugins.extract(&doc) {
        Ok(x) => {
            let predicted = predicted_from(&x.extracted_data);
            Outcome {
                matched: score::score(&s.expected, &predicted),
                predicted,
                extract_time: x.elapsed,
                ocr_time,
                error: None,
                document: Some(doc),
                pass_cpu_per_receipt: Duration::ZERO,
            }
        }
        Err(e) => failed(e.message, ocr_time),
    }
}

fn failed(error: String, ocr_time: Duration) -> Outcome {
    Outcome {
        predicted: Predicted::default(),
        matched: [false; 4],
        extract_time: Duration::ZERO,
        ocr_time,
        error: Some(error),
        document: None,
        pass_cpu_per_receipt: Duration::ZERO,
    }
}

const RETIME_RUNS: usize = 3;

/// Runs the plugin again on every document of a pass, one at a time with
/// nothing else running, keeping the fastest of three calls per document:
/// the plugin's own time, not the OCR threads' contention.
fn retime(outcomes: &mut [Outcome], plugins: &PluginHost) {
    for o in outcomes.iter_mut() {
        let Some(doc) = &o.document else { continue };
        let best = (0..RETIME_RUNS).filter_map(|_| plugins.extract(doc).ok().map(|x| x.elapsed)).min();
        if let Some(t) = best {
            o.extract_time = t;
        }
    }
}

/// The receipt fields from DocuRift `extractedData` (merchantName, date as
/// `YYYY-MM-DD`, merchantAddress, totalAmount).
fn predicted_from(data: &Map<String, Value>) -> Predicted {
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let date = text("date").and_then(|d| {
        let mut parts = d.splitn(3, '-').map(|p| p.parse::<u32>().ok());
        let (y, m, day) = (parts.next()??, parts.next()??, parts.next()??);
        folio_extract::model::Date::new(y as i32, m as u8, day as u8)
    });
    Predicted {
        company: text("merchantName"),
        date,
        address: text("merchantAddress"),
        total: data.get("totalAmount").and_then(Value::as_f64),
    }
}

fn print_table(title: &str, outcomes: &[Outcome]) -> Tally {
    let mut tally = Tally::default();
    for o in outcomes {
        tally.add(o.matched);
    }
    println!("\nPer-field accuracy {title}, {} receipts", tally.documents);
    println!("  {:<8} {:>8} {:>9}", "field", "accuracy", "correct");
    for (i, f) in FIELDS.iter().enumerate() {
        println!("  {:<8} {:>8.3} {:>5}/{}", f, tally.accuracy(i), tally.correct[i], tally.documents);
    }
    let errors = outcomes.iter().filter(|o| o.error.is_some()).count();
    let (mean, max) = times(outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.extract_time));
    let p95 = percentile(outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.extract_time), 0.95);
    println!(
        "  plugin time per receipt (instantiate + extract, best of 3): mean {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        mean.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    if outcomes.iter().any(|o| !o.ocr_time.is_zero()) {
        let (ocr_mean, ocr_max) = times(outcomes.iter().map(|o| o.ocr_time));
        let cpu = outcomes.first().map_or(Duration::ZERO, |o| o.pass_cpu_per_receipt);
        println!(
            "  OCR time per receipt: mean {:.2} s, max {:.2} s wall; {:.2} CPU s (process CPU of the pass / receipts)",
            ocr_mean.as_secs_f64(),
            ocr_max.as_secs_f64(),
            cpu.as_secs_f64()
        );
    }
    if errors > 0 {
        println!("  {errors} receipt(s) failed (counted as wrong on every field)");
    }
    tally
}

/// User + system CPU time of this process so far (every thread, rten's included).
fn process_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills one rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn times(it: impl Iterator<Item = Duration>) -> (Duration, Duration) {
    let v: Vec<Duration> = it.collect();
    if v.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    (v.iter().sum::<Duration>() / v.len() as u32, v.iter().copied().max().unwrap_or_default())
}

/// The `q` quantile (nearest rank) of some durations.
fn percentile(it: impl Iterator<Item = Duration>, q: f64) -> Duration {
    let mut v: Vec<Duration> = it.collect();
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]
}

fn print_misses(samples: &[Sample], outcomes: &[Outcome]) {
    for (s, o) in samples.iter().zip(outcomes) {
        if let Some(e) = &o.error {
            println!("  {} error: {e}", s.name);
            continue;
        }
        for (i, f) in FIELDS.iter().enumerate() {
            if !o.matched[i] {
                println!(
                    "  {} {f:<8} want {:?}\n  {:>w$} got  {:?}",
                    s.name,
                    s.expected.field(f),
                    "",
                    o.predicted.field(f),
                    w = s.name.len() + 9
                );
            }
        }
    }
}

fn pass_json(tally: &Tally, outcomes: &[Outcome], samples: &[Sample]) -> Value {
    let mut accuracy = Map::new();
    let mut correct = Map::new();
    for (i, f) in FIELDS.iter().enumerate() {
        accuracy.insert(f.to_string(), json!((tally.accuracy(i) * 1000.0).round() / 1000.0));
        correct.insert(f.to_string(), json!(tally.correct[i]));
    }
    let (mean, max) = times(outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.extract_time));
    let misses: Vec<Value> = samples
        .iter()
        .zip(outcomes)
        .flat_map(|(s, o)| {
            FIELDS.iter().enumerate().filter(|(i, _)| !o.matched[*i]).map(move |(_, f)| {
                json!({"id": s.name, "field": f, "expected": s.expected.field(f), "extracted": o.predicted.field(f), "error": o.error})
            })
        })
        .collect();
    let mut out = json!({
        "accuracy": accuracy,
        "correct": correct,
        "documents": tally.documents,
        "failedDocuments": outcomes.iter().filter(|o| o.error.is_some()).count(),
        "pluginTimeMs": {
            "mean": mean.as_secs_f64() * 1e3,
            "p95": percentile(outcomes.iter().filter(|o| o.error.is_none()).map(|o| o.extract_time), 0.95).as_secs_f64() * 1e3,
            "max": max.as_secs_f64() * 1e3,
        },
        "misses": misses,
    });
    if outcomes.iter().any(|o| !o.ocr_time.is_zero()) {
        let (m, x) = times(outcomes.iter().map(|o| o.ocr_time));
        out["ocrTimeSeconds"] = json!({"mean": m.as_secs_f64(), "max": x.as_secs_f64()});
        out["cpuSecondsPerReceipt"] = json!(outcomes.first().map_or(0.0, |o| o.pass_cpu_per_receipt.as_secs_f64()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracted_data_maps_to_the_scored_fields() {
        let data: Map<String, Value> = serde_json::from_value(json!({
            "merchantName": "ACME SDN BHD", "merchantAddress": "NO 1, JALAN MAJU", "date": "2018-12-25", "totalAmount": 9.0, "currency": "MYR"
        }))
        .unwrap();
        let p = predicted_from(&data);
        assert_eq!(p.company.as_deref(), Some("ACME SDN BHD"));
        assert_eq!(p.date.map(|d| d.iso()).as_deref(), Some("2018-12-25"));
        assert_eq!(p.total, Some(9.0));
        let e = Expected {
            company: "ACME SDN. BHD.".into(),
            date: "25/12/2018".into(),
            address: "NO 1 JALAN MAJU".into(),
            total: "RM 9.00".into(),
        };
        assert_eq!(score::score(&e, &p), [true; 4]);
    }

    #[test]
    fn box_lines_become_a_page_with_words() {
        let page = box_page("10,20,110,20,110,40,10,40,TOTAL : 9.00\n");
        assert_eq!(page.lines.len(), 1);
        assert_eq!(page.lines[0].words.len(), 3);
        assert_eq!(page.text, "TOTAL : 9.00");
        assert!(page.lines[0].words[2].bbox.right() <= 110.5);
    }
}
