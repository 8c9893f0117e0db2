//! `folio eval languages DIR`: per-language, per-field accuracy on the
//! generated multilingual set (tests/languages/generate.py):
//! `DIR/<lang>/<id>.png` with `DIR/<lang>/<id>.json` beside it
//! (`{"language", "documentType", "image", "expected": {extractedData keys}}`).
//!
//! Every document goes through the real pipeline (`folio process`: input,
//! OCR, extractor plugin) with `language=<its language>` (or `auto`), and
//! each expected field is compared with `extractedData` after the
//! normalisation `folio eval sroie` uses: text folded to letters and digits,
//! dates as calendar dates, amounts as numbers. It reports; it asserts nothing.

use crate::pipeline::{Pipeline, ProcessOptions};
use crate::plugins::{PluginHost, SandboxConfig};
use anyhow::{Context as _, Result, bail};
use folio_core::OcrEngineChoice;
use folio_extract::eval::normalise_text;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[derive(clap::Args)]
pub struct LanguagesArgs {
    /// Folder written by tests/languages/generate.py.
    pub dir: PathBuf,
    /// Also write the summary as JSON to this file (`-` for stdout, tables then go to stderr).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Only these languages (comma-separated ISO 639-1 codes).
    #[arg(long, value_delimiter = ',')]
    pub languages: Vec<String>,
    /// Submit every document with `language=auto` instead of its own
    /// language, and score `detectedLanguage` (from `metadata`) as a field too.
    #[arg(long)]
    pub auto: bool,
    /// OCR engine (auto, tesseract, ppocr).
    #[arg(long, default_value_t = OcrEngineChoice::Auto)]
    pub ocr_engine: OcrEngineChoice,
    /// Documents processed in parallel.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Print every miss (expected vs extracted).
    #[arg(short, long)]
    pub verbose: bool,
}

/// One generated document.
struct Sample {
    id: String,
    language: String,
    document_type: String,
    image: PathBuf,
    expected: Map<String, Value>,
}

/// What became of one document.
struct Outcome {
    /// Field -> (matched, extracted value as printed).
    fields: BTreeMap<String, (bool, Value)>,
    error: Option<String>,
    seconds: f64,
}

/// How a field compares.
#[derive(Debug, PartialEq)]
enum Kind {
    Date,
    Amount,
    Code,
    Text,
}

fn kind(field: &str) -> Kind {
    match field {
        "date" | "invoiceDate" | "dueDate" => Kind::Date,
        "subtotal" | "taxAmount" | "totalAmount" | "amountDue" | "tipAmount" => Kind::Amount,
        "currency" | "paymentMethod" | "detectedLanguage" => Kind::Code,
        _ => Kind::Text,
    }
}

/// Expected vs extracted, normalised as `folio eval sroie` does.
pub fn field_matches(field: &str, expected: &Value, got: Option<&Value>) -> bool {
    let Some(got) = got.filter(|v| !v.is_null()) else { return false };
    match kind(field) {
        Kind::Amount => match (expected.as_f64(), got.as_f64()) {
            (Some(e), Some(g)) => (e - g).abs() < 0.005,
            _ => false,
        },
        // The API prints dates as YYYY-MM-DD; a date with a time compares by its day.
        Kind::Date => match (expected.as_str(), got.as_str()) {
            (Some(e), Some(g)) => g.get(..10) == Some(e),
            _ => false,
        },
        Kind::Code => match (expected.as_str(), got.as_str()) {
            (Some(e), Some(g)) => e.trim().eq_ignore_ascii_case(g.trim()),
            _ => false,
        },
        Kind::Text => {
            let e = expected.as_str().map(normalise_text).unwrap_or_else(|| normalise_text(&expected.to_string()));
            let g = got.as_str().map(normalise_text).unwrap_or_else(|| normalise_text(&got.to_string()));
            !e.is_empty() && e == g
        }
    }
}

pub fn run(args: LanguagesArgs) -> Result<ExitCode> {
    let mut samples = load(&args.dir)?;
    if !args.languages.is_empty() {
        samples.retain(|s| args.languages.contains(&s.language));
    }
    if samples.is_empty() {
        bail!("no <lang>/*.json documents in {} (generate them: python3 tests/languages/generate.py DIR)", args.dir.display());
    }
    let plugins = PluginHost::with_default_plugins(SandboxConfig::default()).context("loading extractor plugins")?;
    let pipeline = Pipeline::with_default_engine(Some(Arc::new(plugins))).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let installed = pipeline.ocr_engine().installed_languages();
    eprintln!("installed OCR languages: {}", installed.join(","));

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..args.threads.clamp(1, samples.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(s) = samples.get(i) else { break };
                    let o = process(&pipeline, s, &args);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, o));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<Outcome> = results.into_iter().map(|(_, o)| o).collect();
    eprintln!("{} documents in {:.1}s", samples.len(), started.elapsed().as_secs_f64());

    let summary = summarise(&samples, &outcomes, &args, &installed);
    let to_stdout = args.json.as_deref() == Some(Path::new("-"));
    let tables = render_tables(&summary, &samples, &outcomes, args.verbose);
    if to_stdout {
        eprint!("{tables}");
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{tables}");
        if let Some(p) = &args.json {
            std::fs::write(p, serde_json::to_string_pretty(&summary)? + "\n").with_context(|| format!("writing {}", p.display()))?;
            eprintln!("JSON summary: {}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn load(dir: &Path) -> Result<Vec<Sample>> {
    let mut out = Vec::new();
    let mut langs: Vec<PathBuf> =
        std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.filter_map(|e| Some(e.ok()?.path())).collect();
    langs.sort();
    for lang_dir in langs.into_iter().filter(|p| p.is_dir()) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&lang_dir)?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path)?).with_context(|| format!("parsing {}", path.display()))?;
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let (Some(id), Some(language), Some(document_type), Some(image), Some(Value::Object(expected))) =
                (text("id"), text("language"), text("documentType"), text("image"), v.get("expected").cloned())
            else {
                bail!("{}: needs id, language, documentType, image and expected", path.display());
            };
            out.push(Sample { id, language, document_type, image: lang_dir.join(image), expected });
        }
    }
    Ok(out)
}

fn process(pipeline: &Pipeline, s: &Sample, args: &LanguagesArgs) -> Outcome {
    let started = Instant::now();
    let mut expected = s.expected.clone();
    if args.auto {
        expected.insert("detectedLanguage".into(), Value::String(s.language.clone()));
    }
    let options = ProcessOptions {
        document_type: s.document_type.clone(),
        language: if args.auto { "auto".into() } else { s.language.clone() },
        extract_tables: true,
        ocr_engine: args.ocr_engine,
        ..ProcessOptions::default()
    };
    let result = std::fs::read(&s.image)
        .map_err(|e| format!("reading {}: {e}", s.image.display()))
        .and_then(|bytes| pipeline.process(&s.id, bytes, &options).map_err(|e| format!("{}: {}", e.code.as_str(), e.message)));
    let seconds = started.elapsed().as_secs_f64();
    match result {
        Ok((r, _)) => {
            // detectedLanguage is read from the serialised metadata, wherever the host puts it.
            let metadata = serde_json::to_value(&r.metadata).unwrap_or(Value::Null);
            let fields = expected
                .iter()
                .map(|(k, e)| {
                    let got = if k == "detectedLanguage" { metadata.get(k) } else { r.extracted_data.get(k) };
                    (k.clone(), (field_matches(k, e, got), got.cloned().unwrap_or(Value::Null)))
                })
                .collect();
            Outcome { fields, error: None, seconds }
        }
        Err(e) => Outcome { fields: expected.keys().map(|k| (k.clone(), (false, Value::Null))).collect(), error: Some(e), seconds },
    }
}

/// Key for a field's row: `invoice.totalAmount`.
fn row(s: &Sample, field: &str) -> String {
    format!("{}.{field}", s.document_type)
}

#[derive(Default)]
struct Count {
    correct: usize,
    total: usize,
}

impl Count {
    fn add(&mut self, ok: bool) {
        self.total += 1;
        self.correct += ok as usize;
    }
    fn accuracy(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.correct as f64 / self.total as f64 }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn summarise(samples: &[Sample], outcomes: &[Outcome], args: &LanguagesArgs, installed: &[String]) -> Value {
    let mut per_lang: BTreeMap<&str, BTreeMap<String, Count>> = BTreeMap::new();
    let mut overall: BTreeMap<String, Count> = BTreeMap::new();
    let mut docs: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (s, o) in samples.iter().zip(outcomes) {
        let d = docs.entry(&s.language).or_default();
        d.0 += 1;
        d.1 += o.error.is_some() as usize;
        for (f, (ok, _)) in &o.fields {
            per_lang.entry(&s.language).or_default().entry(row(s, f)).or_default().add(*ok);
            overall.entry(row(s, f)).or_default().add(*ok);
        }
    }
    let fields_json = |m: &BTreeMap<String, Count>| -> Value {
        m.iter().map(|(f, c)| (f.clone(), json!({"accuracy": round3(c.accuracy()), "correct": c.correct, "total": c.total}))).collect()
    };
    let languages: Map<String, Value> = per_lang
        .iter()
        .map(|(lang, m)| {
            let min = m.values().map(Count::accuracy).fold(1.0, f64::min);
            let (n, failed) = docs[lang];
            let errors: Vec<Value> = samples
                .iter()
                .zip(outcomes)
                .filter(|(s, o)| s.language == *lang && o.error.is_some())
                .map(|(s, o)| json!({"id": s.id, "error": o.error}))
                .collect();
            (
                lang.to_string(),
                json!({
                    "documents": n, "failedDocuments": failed, "installed": installed.iter().any(|i| i == lang),
                    "minFieldAccuracy": round3(min), "fields": fields_json(m), "errors": errors,
                }),
            )
        })
        .collect();
    let misses: Vec<Value> = samples
        .iter()
        .zip(outcomes)
        .flat_map(|(s, o)| {
            o.fields.iter().filter(|(_, (ok, _))| !ok).map(move |(f, (_, got))| {
                json!({"id": s.id, "language": s.language, "field": f, "expected": s.expected.get(f), "extracted": got})
            })
        })
        .collect();
    let seconds: Vec<f64> = outcomes.iter().map(|o| o.seconds).collect();
    json!({
        "mode": if args.auto { "auto" } else { "given" },
        "ocrEngine": args.ocr_engine.as_str(),
        "installedLanguages": installed,
        "documents": samples.len(),
        "secondsPerDocument": round3(seconds.iter().sum::<f64>() / seconds.len().max(1) as f64),
        "languages": languages,
        "overall": fields_json(&overall),
        "misses": misses,
    })
}

fn render_tables(summary: &Value, samples: &[Sample], outcomes: &[Outcome], verbose: bool) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let empty = Map::new();
    let langs = summary["languages"].as_object().unwrap_or(&empty);
    for (lang, l) in langs {
        let installed = if l["installed"].as_bool() == Some(true) { "" } else { " (OCR model not installed)" };
        let _ = writeln!(t, "\n{lang}: {} documents, {} failed{installed}", l["documents"], l["failedDocuments"]);
        let _ = writeln!(t, "  {:<24} {:>8} {:>9}", "field", "accuracy", "correct");
        for (f, c) in l["fields"].as_object().unwrap_or(&empty) {
            let _ = writeln!(t, "  {:<24} {:>8.3} {:>5}/{}", f, c["accuracy"].as_f64().unwrap_or(0.0), c["correct"], c["total"]);
        }
        for e in l["errors"].as_array().into_iter().flatten() {
            let _ = writeln!(t, "  failed {}: {}", e["id"].as_str().unwrap_or(""), e["error"].as_str().unwrap_or(""));
        }
    }
    // Overall: one row per field, one column per language.
    let names: Vec<&String> = langs.keys().collect();
    let mut rows: Vec<String> = summary["overall"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    rows.sort();
    let _ = write!(t, "\nOverall ({} documents)\n  {:<24}", summary["documents"], "field");
    for n in &names {
        let _ = write!(t, " {n:>5}");
    }
    let _ = writeln!(t, " {:>6}", "all");
    for r in &rows {
        let _ = write!(t, "  {r:<24}");
        for n in &names {
            match langs[*n]["fields"].get(r).and_then(|c| c["accuracy"].as_f64()) {
                Some(a) => {
                    let _ = write!(t, " {a:>5.2}");
                }
                None => {
                    let _ = write!(t, " {:>5}", "-");
                }
            }
        }
        let _ = writeln!(t, " {:>6.3}", summary["overall"][r]["accuracy"].as_f64().unwrap_or(0.0));
    }
    let _ = write!(t, "  {:<24}", "min field");
    for n in &names {
        let _ = write!(t, " {:>5.2}", langs[*n]["minFieldAccuracy"].as_f64().unwrap_or(0.0));
    }
    let _ = writeln!(t);
    if verbose {
        for (s, o) in samples.iter().zip(outcomes) {
            for (f, (ok, got)) in &o.fields {
                if !ok {
                    let _ = writeln!(t, "  {} {f}: want {} got {}", s.id, s.expected.get(f).unwrap_or(&Value::Null), got);
                }
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_compare_after_normalisation() {
        assert!(field_matches("totalAmount", &json!(1303.18), Some(&json!(1303.18))));
        assert!(!field_matches("totalAmount", &json!(1303.18), Some(&json!(130.318))));
        assert!(field_matches("invoiceDate", &json!("2024-03-14"), Some(&json!("2024-03-14"))));
        assert!(!field_matches("invoiceDate", &json!("2024-03-14"), Some(&json!("2024-14-03"))));
        assert!(field_matches("vendorName", &json!("Müller & Söhne GmbH"), Some(&json!("MÜLLER & SÖHNE GMBH"))));
        assert!(!field_matches("vendorName", &json!("Müller & Söhne GmbH"), Some(&json!("Muller & Sohne GmbH"))));
        assert!(field_matches("vendorTaxId", &json!("DE136695976"), Some(&json!("DE 136 695 976"))));
        assert!(field_matches("time", &json!("17:24"), Some(&json!("17:24"))));
        assert!(!field_matches("time", &json!("17:24"), Some(&json!("17:24:05"))));
        assert!(field_matches("currency", &json!("PLN"), Some(&json!("pln"))));
        assert!(!field_matches("currency", &json!("PLN"), None));
        assert!(!field_matches("vendorName", &json!(""), Some(&json!(""))));
    }
}
