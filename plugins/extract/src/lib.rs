//! Field extraction for Folio's first-party extractor plugins (invoice,
//! receipt, generic), as plain Rust: the plugins are thin adapters from the
//! WIT types to [`model`] and back, so everything here is tested natively.
//!
//! The pipeline per document: [`layout`] groups OCR lines into rows of
//! tokens; [`context::Context`] decides the number format, day/month order and
//! currency from the whole document; field extractors then look for labels,
//! positions and cross-checks (a total that equals subtotal + tax, or cash
//! minus change) rather than vendor templates.

pub mod contact;
pub mod context;
pub mod date;
pub mod eval;
pub mod fields;
pub mod generic;
pub mod invoice;
pub mod items;
pub mod layout;
pub mod locale;
pub mod model;
pub mod money;
pub mod party;
pub mod receipt;
pub mod text;
pub mod totals;

pub use model::{Document, ExtractError, Extraction};
pub use generic::extract_generic;
pub use invoice::extract_invoice;
pub use receipt::extract_receipt;
