//! `folio`: process documents locally, manage extractor plugins, evaluate
//! extraction, benchmark, and serve jobs for a Folio edge.

use clap::{Parser, Subcommand};
use folio_host::cli;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "folio", version, about = "Folio document processing host")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Process files locally and print the DocuRift `data` object for each.
    Process(cli::process::Args),
    /// List or check extractor plugins.
    #[command(subcommand)]
    Plugins(cli::plugins::Command),
    /// Measure extraction accuracy on a labelled data set.
    #[command(subcommand)]
    Eval(cli::eval::Command),
    /// Print the OCR languages installed in the data directory (ISO 639-1).
    Languages(cli::languages::Args),
    /// Lease jobs from a Folio edge and process them.
    Work(cli::work::Args),
    /// Benchmarks (numbers go to BENCHMARKS.md).
    #[command(subcommand)]
    Bench(cli::bench::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Process(a) => cli::process::run(a),
        Command::Plugins(c) => cli::plugins::run(c),
        Command::Eval(c) => cli::eval::run(c),
        Command::Languages(a) => cli::languages::run(a),
        Command::Work(a) => cli::work::run(a),
        Command::Bench(c) => cli::bench::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
