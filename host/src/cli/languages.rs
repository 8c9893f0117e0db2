//! `folio languages`: the OCR languages installed in `<data dir>/tessdata`,
//! as ISO 639-1 codes. `scripts/dev` and the test harness set the edge's
//! `LANGUAGES` from `--format csv`, so the edge accepts what the hosts read.

use crate::ocr::languages_in_tessdata;
use anyhow::Result;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// One language a line: ISO 639-1 code and Tesseract model (`de deu`).
    Text,
    /// ISO 639-1 codes, comma-separated on one line (`de,en,fr`): the edge's `LANGUAGES`.
    Csv,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let tessdata = crate::config::data_dir().join("tessdata");
    let codes = languages_in_tessdata(&tessdata);
    if codes.is_empty() {
        anyhow::bail!("no OCR language installed in {}: run scripts/setup", tessdata.display());
    }
    match args.format {
        Format::Csv => println!("{}", codes.join(",")),
        Format::Text => {
            for code in &codes {
                println!("{code} {}", folio_core::language::tesseract_model(code).unwrap_or("?"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
