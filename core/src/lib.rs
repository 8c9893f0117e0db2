//! Types and rules shared by the Folio edge worker (wasm32) and host (native).
//! No I/O lives here, so everything is unit-tested natively.

// `missing_docs` applies to core (workspace lint). The modules marked
// `allow(missing_docs)` predate it and still have undocumented public items
// (249 when the lint came in); remove a module's allow once it is documented.
// New modules get no allow.
pub mod coalesce;
pub mod contract;
#[allow(missing_docs)]
pub mod document;
#[allow(missing_docs)]
pub mod email;
#[allow(missing_docs)]
pub mod error;
#[allow(missing_docs)]
pub mod faults;
#[allow(missing_docs)]
pub mod filetype;
pub mod ids;
#[allow(missing_docs)]
pub mod language;
// Searchable PDF, hOCR, text and OCR JSON made after OCR.
pub mod outputs;
// Edge API: submission rules, edge<->host jobs, secrets, time, URL guard, Veryfi compat.
#[allow(missing_docs)]
pub mod api;
#[allow(missing_docs)]
pub mod jobs;
pub mod secret;
pub mod time;
#[allow(missing_docs)]
pub mod url_guard;
#[allow(missing_docs)]
pub mod veryfi;
#[allow(missing_docs)]
pub mod veryfi_body;
#[allow(missing_docs)]
pub mod webhook;

pub use document::{DocumentData, DocumentStatus, PageMetadata, ProcessingMetadata, ProcessingResult};
pub use error::{ApiError, ErrorCode};
pub use filetype::FileKind;
pub use jobs::OcrEngineChoice;
pub use outputs::OutputName;

/// The newest plugin contract version (see [`contract`]).
pub use contract::CONTRACT_VERSION as PLUGIN_CONTRACT_VERSION;
