//! `folio process FILE...`: process files locally and print, per file, the
//! object DocuRift returns under `data` for a completed document (or the
//! spec's error envelope for a failed one), in the order given.

use crate::ocr::OcrProfile;
use crate::pipeline::{Extractor, Pipeline, ProcessOptions};
use crate::plugins::{PluginHost, SandboxConfig};
use anyhow::{Context, Result};
use folio_core::{ApiError, DocumentData, OcrEngineChoice, OutputName, ProcessingMetadata, ProcessingResult};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

#[derive(clap::Args)]
pub struct Args {
    /// Files to process: PDF, PNG, JPEG, WEBP or TIFF (recognised by content, not name).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Document type, i.e. which extractor plugin runs: invoice, receipt, generic, ...
    #[arg(long = "type", value_name = "TYPE", default_value = folio_core::document::DEFAULT_DOCUMENT_TYPE)]
    document_type: String,
    /// Language of the documents: an ISO 639-1 or three-letter code (`de`, `deu`),
    /// a comma-separated list for mixed documents (`de,en`), or `auto`.
    #[arg(long, default_value = folio_core::language::DEFAULT_LANGUAGE)]
    language: String,
    /// Ask the plugin for tables (line items).
    #[arg(long)]
    extract_tables: bool,
    /// A caller hint for the plugin, KEY=VALUE (repeatable), e.g. --hint currency=EUR.
    #[arg(long = "hint", value_name = "KEY=VALUE", value_parser = parse_hint)]
    hints: Vec<(String, String)>,
    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,
    /// Include the OCR pages (lines, words, boxes, confidences) under `ocr`.
    #[arg(long)]
    include_ocr: bool,
    /// Only read and OCR the documents; run no extractor plugin (implies --include-ocr).
    #[arg(long)]
    ocr_only: bool,
    /// OCR segmentation profile; default: receipt for receipt types, document otherwise.
    #[arg(long, value_enum)]
    ocr_profile: Option<OcrProfile>,
    /// OCR engine: auto (receipts: Tesseract where it is sure of the page, else
    /// PP-OCR; other documents, and languages PP-OCR cannot read: Tesseract),
    /// tesseract or ppocr.
    #[arg(long, default_value_t = OcrEngineChoice::Auto)]
    ocr_engine: OcrEngineChoice,
    /// Files processed at once (pages of each file are OCR'd in parallel as well).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Also write an output made from the same OCR pass, chosen by the file's
    /// extension (repeatable; one input file): `.pdf` searchable PDF (the
    /// scan with an invisible text layer), `.hocr` hOCR 1.2, `.txt` text
    /// (pages separated by form feeds), `.ocr.json` the OCR pages.
    #[arg(long = "output", short = 'o', value_name = "PATH", value_parser = parse_output)]
    outputs: Vec<(OutputName, PathBuf)>,
}

fn parse_output(s: &str) -> Result<(OutputName, PathBuf), String> {
    let name = OutputName::for_path(s).ok_or_else(|| {
        format!("{s:?}: the extension picks the output: .pdf (searchable-pdf), .hocr (hocr), .txt (text), .ocr.json (ocr-json)")
    })?;
    Ok((name, PathBuf::from(s)))
}

fn parse_hint(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("expected KEY=VALUE, got {s:?}"))
}

pub fn run(args: Args) -> Result<ExitCode> {
    if !args.outputs.is_empty() && args.files.len() != 1 {
        anyhow::bail!("--output writes the outputs of one file; give exactly one FILE (got {})", args.files.len());
    }
    let extractor: Option<Arc<dyn Extractor>> = if args.ocr_only {
        None
    } else {
        let host = PluginHost::with_default_plugins(SandboxConfig::default()).context("loading extractor plugins")?;
        Some(Arc::new(host))
    };
    let pipeline = match Pipeline::with_default_engine(extractor) {
        Ok(p) => p,
        // Without OCR assets no file can be processed: say so once.
        Err(e) => anyhow::bail!("{}", e.message),
    };
    let options = ProcessOptions {
        document_type: args.document_type.clone(),
        language: args.language.clone(),
        extract_tables: args.extract_tables,
        hints: args.hints.clone(),
        include_ocr: args.include_ocr || args.ocr_only,
        profile: args.ocr_profile,
        ocr_engine: args.ocr_engine,
    };

    let progress = super::progress::bar(args.files.len(), "files");

    // Workers process files; this thread prints results in input order as they arrive.
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let mut failures = 0;
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..args.jobs.clamp(1, args.files.len()) {
            let tx = tx.clone();
            let (next, pipeline, options, files, ocr_only, outputs) =
                (&next, &pipeline, &options, &args.files, args.ocr_only, &args.outputs);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    if tx.send((i, process_file(pipeline, path, options, ocr_only, outputs))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut printed = 0;
        let stdout = std::io::stdout();
        for (i, outcome) in rx {
            pending.insert(i, outcome);
            while let Some(outcome) = pending.remove(&printed) {
                let path = &args.files[printed];
                let json = match &outcome {
                    Ok(data) => to_json(data, args.pretty),
                    Err(e) => {
                        failures += 1;
                        let line = format!("{}: {e}", path.display());
                        match &progress {
                            Some(bar) => bar.println(line),
                            None => eprintln!("{line}"),
                        }
                        to_json(&e.envelope(), args.pretty)
                    }
                };
                let mut out = stdout.lock();
                writeln!(out, "{json}")?;
                out.flush()?;
                printed += 1;
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
            }
        }
        Ok(())
    })?;
    if let Some(bar) = progress {
        bar.finish_with_message(if failures > 0 { format!("{failures} failed") } else { "done".into() });
    }
    Ok(if failures > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

type Outcome = Result<DocumentData, ApiError>;

fn process_file(pipeline: &Pipeline, path: &Path, options: &ProcessOptions, ocr_only: bool, outputs: &[(OutputName, PathBuf)]) -> Outcome {
    let id = folio_core::ids::new_document_id();
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(path)
        .map_err(|e| ApiError::new(folio_core::ErrorCode::InvalidRequest, format!("cannot read {}: {e}", path.display())))?;
    let keep = (!outputs.is_empty()).then(|| bytes.clone());
    let (result, document) = if ocr_only {
        ocr_only_result(pipeline, &id, bytes, options)?
    } else {
        let (result, _, document) = pipeline.process_document(&id, bytes, options, &|_| Ok(()))?;
        (result, document)
    };
    if let Some(bytes) = keep {
        // One OCR pass, every output from it.
        for (name, out) in outputs {
            let made = crate::outputs::make(*name, &document, &bytes, &file_name)?;
            std::fs::write(out, made)
                .map_err(|e| ApiError::new(folio_core::ErrorCode::InternalError, format!("cannot write {}: {e}", out.display())))?;
        }
    }
    Ok(DocumentData::completed(id, file_name, result, now()))
}

/// `--ocr-only`: the pages, with no extracted data; `confidence` is the mean
/// word confidence and a warning says that no extractor ran.
fn ocr_only_result(
    pipeline: &Pipeline,
    id: &str,
    bytes: Vec<u8>,
    options: &ProcessOptions,
) -> Result<(ProcessingResult, crate::model::Document), ApiError> {
    let (document, timings) = pipeline.read_document(id, bytes, options)?;
    let words: Vec<f32> = document.pages.iter().flat_map(|p| &p.lines).flat_map(|l| &l.words).map(|w| w.confidence).collect();
    let confidence = if words.is_empty() { 0.0 } else { words.iter().sum::<f32>() as f64 / words.len() as f64 };
    let result = ProcessingResult {
        document_type: document.document_type.clone(),
        pages_processed: document.pages.len() as u32,
        confidence: (confidence * 1000.0).round() / 1000.0,
        warnings: vec!["ocr-only: no extractor plugin was run".into()],
        metadata: ProcessingMetadata {
            processing_time_ms: timings.total.as_millis() as u64,
            model_version: format!("folio-{}/ocr-only/{}", env!("CARGO_PKG_VERSION"), crate::pipeline::ocr_version(&document)),
            pages: crate::pipeline::page_metadata(&document.pages),
            detected_language: document.detected_language.clone(),
        },
        ocr: Some(crate::pipeline::ocr_json(&document.pages)),
        ..ProcessingResult::default()
    };
    Ok((result, document))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn to_json<T: serde::Serialize>(v: &T, pretty: bool) -> String {
    if pretty { serde_json::to_string_pretty(v) } else { serde_json::to_string(v) }.expect("JSON serialises")
}
