//! Types and rules shared by the Folio edge worker (wasm32) and host (native).
//! No I/O lives here, so everything is unit-tested natively.

pub mod document;
pub mod email;
pub mod error;
pub mod faults;
pub mod filetype;
pub mod ids;
pub mod language;
// Searchable PDF, hOCR, text and OCR JSON made after OCR (issue #14).
pub mod outputs;
// Edge API (issue #5): submission rules, edge<->host jobs, secrets, time, URL guard, Veryfi compat.
pub mod api;
pub mod jobs;
pub mod secret;
pub mod time;
pub mod url_guard;
pub mod veryfi;
pub mod veryfi_body;
pub mod webhook;

pub use document::{DocumentData, DocumentStatus, PageMetadata, ProcessingMetadata, ProcessingResult};
pub use error::{ApiError, ErrorCode};
pub use filetype::FileKind;
pub use jobs::OcrEngineChoice;
pub use outputs::OutputName;

/// The contract version of `wit/extractor.wit` this build of Folio speaks.
pub const PLUGIN_CONTRACT_VERSION: &str = "0.1.0";
