//! The Folio host library: the pieces behind the `folio` binary.
//!
//! - [`input`]: bytes -> pages (magic-byte detection, image decoding, PDF text layer / rasterising)
//! - [`ocr`]: Tesseract (tesseract-wasm inside wasmtime) behind the [`ocr::OcrEngine`] trait
//! - [`plugins`]: the sandboxed extractor-plugin runtime and registry (WASI components)
//! - [`pipeline`]: one document end to end: input -> OCR -> plugin -> `ProcessingResult`
//! - [`cli`]: the `folio` subcommands

pub mod cli;
pub mod config;
pub mod input;
pub mod model;
pub mod ocr;
pub mod outputs;
pub mod pipeline;
pub mod plugins;
pub mod runner;
