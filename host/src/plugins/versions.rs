//! One linked plugin of any supported contract version, behind the newest
//! version's types: older versions convert at the boundary (the document
//! loses what their WIT lacks, their output gains nothing), so the rest of
//! the host only knows [`bindings::latest`](super::bindings::latest).

use super::bindings::{v0_1_0, v0_2_0, wit};
use super::sandbox::{CallOutcome, Sandbox, StoreState};
use wasmtime::component::InstancePre;

/// A plugin linked against one contract version's bindings.
pub enum VersionedPre {
    /// Contract 0.1.0: pages without `rows`.
    V0_1_0(v0_1_0::ExtractorPre<StoreState>),
    /// Contract 0.2.0.
    V0_2_0(v0_2_0::ExtractorPre<StoreState>),
}

impl VersionedPre {
    /// Type-checks the component's exports against `version`'s world.
    pub fn new(version: &str, pre: InstancePre<StoreState>) -> Result<Self, String> {
        let err = |e: wasmtime::Error| format!("{e:#}");
        match version {
            "0.1.0" => v0_1_0::ExtractorPre::new(pre).map(VersionedPre::V0_1_0).map_err(err),
            "0.2.0" => v0_2_0::ExtractorPre::new(pre).map(VersionedPre::V0_2_0).map_err(err),
            other => Err(format!("no bindings for contract version {other}")),
        }
    }

    /// The contract version of the bindings.
    pub fn version(&self) -> &'static str {
        match self {
            VersionedPre::V0_1_0(_) => "0.1.0",
            VersionedPre::V0_2_0(_) => "0.2.0",
        }
    }

    /// Calls `metadata()` in a fresh instance.
    pub fn metadata(&self, sandbox: &Sandbox) -> CallOutcome<wit::PluginInfo> {
        match self {
            VersionedPre::V0_1_0(pre) => {
                sandbox.call(|store| pre.instantiate(&mut *store)?.call_metadata(store)).map(|i| wit::PluginInfo {
                    name: i.name,
                    version: i.version,
                    document_types: i.document_types,
                    contract_version: i.contract_version,
                    description: i.description,
                })
            }
            VersionedPre::V0_2_0(pre) => sandbox.call(|store| pre.instantiate(&mut *store)?.call_metadata(store)),
        }
    }

    /// Calls `extract(doc)` in a fresh instance.
    pub fn extract(&self, sandbox: &Sandbox, doc: &wit::Document) -> CallOutcome<Result<wit::Extraction, wit::ExtractError>> {
        match self {
            VersionedPre::V0_1_0(pre) => {
                let old = v0_1::document(doc);
                sandbox.call(|store| pre.instantiate(&mut *store)?.call_extract(store, &old)).map(|r| match r {
                    Ok(x) => Ok(v0_1::extraction(x)),
                    Err(e) => Err(v0_1::error(e)),
                })
            }
            VersionedPre::V0_2_0(pre) => sandbox.call(|store| pre.instantiate(&mut *store)?.call_extract(store, doc)),
        }
    }
}

/// Latest <-> 0.1.0: the same records, minus `page.rows`.
mod v0_1 {
    use super::v0_1_0::wit as old;
    use super::wit as new;

    fn bbox(b: new::Bbox) -> old::Bbox {
        old::Bbox { left: b.left, top: b.top, width: b.width, height: b.height }
    }

    fn bbox_up(b: old::Bbox) -> new::Bbox {
        new::Bbox { left: b.left, top: b.top, width: b.width, height: b.height }
    }

    pub fn document(d: &new::Document) -> old::Document {
        old::Document {
            id: d.id.clone(),
            document_type: d.document_type.clone(),
            language: d.language.clone(),
            extract_tables: d.extract_tables,
            hints: d.hints.clone(),
            pages: d
                .pages
                .iter()
                .map(|p| old::Page {
                    number: p.number,
                    width: p.width,
                    height: p.height,
                    dpi: p.dpi,
                    source: match p.source {
                        new::PageSource::Ocr => old::PageSource::Ocr,
                        new::PageSource::PdfTextLayer => old::PageSource::PdfTextLayer,
                    },
                    text: p.text.clone(),
                    lines: p
                        .lines
                        .iter()
                        .map(|l| old::Line {
                            text: l.text.clone(),
                            bbox: bbox(l.bbox),
                            confidence: l.confidence,
                            words: l
                                .words
                                .iter()
                                .map(|w| old::Word { text: w.text.clone(), bbox: bbox(w.bbox), confidence: w.confidence })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn value(v: old::FieldValue) -> new::FieldValue {
        match v {
            old::FieldValue::Text(s) => new::FieldValue::Text(s),
            old::FieldValue::Number(n) => new::FieldValue::Number(n),
            old::FieldValue::Money(m) => new::FieldValue::Money(new::Money { amount: m.amount, currency: m.currency }),
            old::FieldValue::Date(d) => new::FieldValue::Date(new::Date { year: d.year, month: d.month, day: d.day }),
            old::FieldValue::Boolean(b) => new::FieldValue::Boolean(b),
        }
    }

    fn source(s: Option<old::SourceRef>) -> Option<new::SourceRef> {
        s.map(|s| new::SourceRef { page: s.page, bbox: bbox_up(s.bbox) })
    }

    pub fn extraction(x: old::Extraction) -> new::Extraction {
        new::Extraction {
            fields: x
                .fields
                .into_iter()
                .map(|f| new::Field { key: f.key, value: value(f.value), confidence: f.confidence, source: source(f.source) })
                .collect(),
            tables: x
                .tables
                .into_iter()
                .map(|t| new::Table {
                    name: t.name,
                    columns: t.columns,
                    rows: t
                        .rows
                        .into_iter()
                        .map(|r| new::TableRow {
                            cells: r.cells.into_iter().map(|c| c.map(value)).collect(),
                            confidence: r.confidence,
                            source: source(r.source),
                        })
                        .collect(),
                })
                .collect(),
            confidence: x.confidence,
            warnings: x.warnings,
        }
    }

    pub fn error(e: old::ExtractError) -> new::ExtractError {
        match e {
            old::ExtractError::UnsupportedDocument(m) => new::ExtractError::UnsupportedDocument(m),
            old::ExtractError::InvalidInput(m) => new::ExtractError::InvalidInput(m),
            old::ExtractError::Internal(m) => new::ExtractError::Internal(m),
        }
    }
}
