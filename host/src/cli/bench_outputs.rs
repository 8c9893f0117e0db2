//! `folio bench outputs FILE...`: what each output costs beside
//! the OCR pass it is made from, in the same run: per file, the OCR time of
//! its pages, then the time to make each output (best of `--repeat`), as a
//! share of the OCR time, and the searchable PDF's size against the input's;
//! also the page previews of a PDF or TIFF, made for every such
//! document, and their total size.

use crate::outputs;
use crate::pipeline::{Pipeline, ProcessOptions};
use anyhow::{Context, Result};
use folio_core::{OcrEngineChoice, OutputName};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Files to read (any accepted format).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Times each output is made; the fastest counts.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// OCR engine for the pass the outputs are made from.
    #[arg(long, default_value_t = OcrEngineChoice::Tesseract)]
    ocr_engine: OcrEngineChoice,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let pipeline = Pipeline::with_default_engine(None).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let options = ProcessOptions { ocr_engine: args.ocr_engine, ..ProcessOptions::default() };
    println!("| file | pages | input | OCR | searchable-pdf | hocr | text | ocr-json | PDF size / input | previews | preview PNGs |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let (mut ocr_total, mut pdf_total) = (Duration::ZERO, Duration::ZERO);
    for path in &args.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (document, timings) =
            pipeline.read_document("doc_bench", bytes.clone(), &options).map_err(|e| anyhow::anyhow!("{name}: {}", e.message))?;
        let mut cells = Vec::new();
        let mut pdf_size = 0;
        for output in OutputName::ALL {
            let mut best = Duration::MAX;
            for _ in 0..args.repeat.max(1) {
                let made = outputs::make_all(&[output], &document, &bytes, &name).map_err(|e| anyhow::anyhow!("{}", e.message))?;
                best = best.min(made[0].elapsed);
                if output == OutputName::SearchablePdf {
                    pdf_size = made[0].bytes.len();
                }
            }
            if output == OutputName::SearchablePdf {
                pdf_total += best;
            }
            let share = 100.0 * best.as_secs_f64() / timings.ocr.as_secs_f64().max(1e-9);
            cells.push(format!("{:.1} ms ({share:.2}%)", best.as_secs_f64() * 1000.0));
        }
        let (mut best, mut preview_bytes) = (Duration::MAX, 0);
        for _ in 0..args.repeat.max(1) {
            let started = std::time::Instant::now();
            let made = outputs::preview::previews(&document, &bytes).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            best = best.min(started.elapsed());
            preview_bytes = made.iter().map(|p| p.png.len()).sum::<usize>();
        }
        let share = 100.0 * best.as_secs_f64() / timings.ocr.as_secs_f64().max(1e-9);
        let previews =
            if preview_bytes == 0 { "none (image)".to_string() } else { format!("{:.1} ms ({share:.1}%)", best.as_secs_f64() * 1000.0) };
        ocr_total += timings.ocr;
        println!(
            "| {name} | {} | {:.0} KB | {:.0} ms | {} | {:.2} | {previews} | {:.0} KB |",
            document.pages.len(),
            bytes.len() as f64 / 1024.0,
            timings.ocr.as_secs_f64() * 1000.0,
            cells.join(" | "),
            pdf_size as f64 / bytes.len() as f64,
            preview_bytes as f64 / 1024.0
        );
    }
    println!(
        "\nsearchable PDF, all files: {:.1} ms for {:.0} ms of OCR = {:.2}% (goal: at most 5%)",
        pdf_total.as_secs_f64() * 1000.0,
        ocr_total.as_secs_f64() * 1000.0,
        100.0 * pdf_total.as_secs_f64() / ocr_total.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
