//! One module per `folio` subcommand; each has its clap `Args`/`Command` and a `run`.

pub mod bench;
pub mod bench_ocr;
pub mod bench_outputs;
pub mod eval;
pub mod eval_languages;
pub mod languages;
pub mod plugins;
pub mod process;
pub mod progress;
pub mod work;
