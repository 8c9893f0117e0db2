//! What a plugin returns: validated against the limits and the document,
//! then converted to DocuRift's flat `extractedData` plus per-key `fields`.
//!
//! `extractedData` has camelCase keys with plain JSON values: text -> string,
//! number -> number, money -> its amount (plus a `currency` key with the first
//! money value's currency when the plugin emitted no `currency` field),
//! date -> `"YYYY-MM-DD"`, boolean -> bool, and each table ->
//! `name: [{column: value-or-null, ...}, ...]`. `fields` has, per key,
//! `{"confidence", "page", "bbox": [left, top, width, height]}`; a table's
//! entry has its mean row confidence and one such object per row in `rows`.

use super::SandboxConfig;
use super::bindings::wit;
use crate::model;
use folio_core::contract::output as contract;
use folio_core::document::FieldDetail;
use serde_json::{Map, Value, json};

/// Checks everything the host relies on before converting, with the
/// contract's one validator (`folio_core::contract::output::validate`, which
/// the SDK's test helpers run too). The error names the first problem found.
pub fn validate(x: &wit::Extraction, doc: &model::Document, cfg: &SandboxConfig) -> Result<(), String> {
    let pages: Vec<contract::PageSize> =
        doc.pages.iter().map(|p| contract::PageSize { number: p.number, width: p.width, height: p.height }).collect();
    contract::validate(&to_contract(x), &pages, &cfg.output)
}

/// The WIT extraction in the contract's plain shape.
fn to_contract(x: &wit::Extraction) -> contract::Extraction {
    let source = |s: &Option<wit::SourceRef>| {
        s.as_ref().map(|s| contract::SourceRef { page: s.page, bbox: [s.bbox.left, s.bbox.top, s.bbox.width, s.bbox.height] })
    };
    let value = |v: &wit::FieldValue| match v {
        wit::FieldValue::Text(s) => contract::Value::Text(s.clone()),
        wit::FieldValue::Number(n) => contract::Value::Number(*n),
        wit::FieldValue::Money(m) => contract::Value::Money { amount: m.amount, currency: m.currency.clone() },
        wit::FieldValue::Date(d) => contract::Value::Date { year: d.year, month: d.month, day: d.day },
        wit::FieldValue::Boolean(b) => contract::Value::Boolean(*b),
    };
    contract::Extraction {
        fields: x
            .fields
            .iter()
            .map(|f| contract::Field { key: f.key.clone(), value: value(&f.value), confidence: f.confidence, source: source(&f.source) })
            .collect(),
        tables: x
            .tables
            .iter()
            .map(|t| contract::Table {
                name: t.name.clone(),
                columns: t.columns.clone(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| contract::TableRow {
                        cells: r.cells.iter().map(|c| c.as_ref().map(value)).collect(),
                        confidence: r.confidence,
                        source: source(&r.source),
                    })
                    .collect(),
            })
            .collect(),
        confidence: x.confidence,
        warnings: x.warnings.clone(),
    }
}

// ------------------------------------------------------------------ conversion

/// A validated extraction in the API's shape.
pub struct Converted {
    pub extracted_data: Map<String, Value>,
    pub fields: Map<String, Value>,
    pub confidence: f64,
    pub warnings: Vec<String>,
}

/// Converts a validated extraction (see [`validate`]).
pub fn convert(x: wit::Extraction) -> Converted {
    let mut data = Map::new();
    let mut details = Map::new();
    // The currency of the first money value that has one, with its detail.
    let mut currency: Option<(String, Value)> = None;

    for f in x.fields {
        let detail = detail(f.confidence, f.source.as_ref());
        if let (None, wit::FieldValue::Money(wit::Money { currency: Some(code), .. })) = (&currency, &f.value) {
            currency = Some((code.clone(), detail.clone()));
        }
        data.insert(f.key.clone(), json_value(&f.value));
        details.insert(f.key, detail);
    }
    for t in x.tables {
        let mut rows = Vec::with_capacity(t.rows.len());
        let mut row_details = Vec::with_capacity(t.rows.len());
        for row in &t.rows {
            let mut object = Map::new();
            for (column, cell) in t.columns.iter().zip(&row.cells) {
                if let (None, Some(wit::FieldValue::Money(wit::Money { currency: Some(code), .. }))) = (&currency, cell) {
                    currency = Some((code.clone(), detail(row.confidence, row.source.as_ref())));
                }
                object.insert(column.clone(), cell.as_ref().map_or(Value::Null, json_value));
            }
            rows.push(Value::Object(object));
            row_details.push(detail(row.confidence, row.source.as_ref()));
        }
        let mean = if t.rows.is_empty() { 0.0 } else { t.rows.iter().map(|r| f64::from(r.confidence)).sum::<f64>() / t.rows.len() as f64 };
        data.insert(t.name.clone(), Value::Array(rows));
        details.insert(t.name, json!({ "confidence": round(mean, 4), "rows": row_details }));
    }
    if let Some((code, detail)) = currency
        && !data.contains_key("currency")
    {
        data.insert("currency".into(), Value::String(code));
        details.insert("currency".into(), detail);
    }
    Converted { extracted_data: data, fields: details, confidence: round(f64::from(x.confidence), 4), warnings: x.warnings }
}

fn json_value(v: &wit::FieldValue) -> Value {
    match v {
        wit::FieldValue::Text(s) => Value::String(s.clone()),
        wit::FieldValue::Number(n) => Value::from(*n),
        wit::FieldValue::Money(m) => Value::from(m.amount),
        wit::FieldValue::Date(d) => Value::String(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
        wit::FieldValue::Boolean(b) => Value::Bool(*b),
    }
}

fn detail(confidence: f32, source: Option<&wit::SourceRef>) -> Value {
    let b = source.map(|s| &s.bbox);
    let detail = FieldDetail {
        confidence: round(f64::from(confidence), 4),
        page: source.map(|s| s.page),
        bbox: b.map(|b| [b.left, b.top, b.width, b.height].map(|n| round(f64::from(n), 2))),
    };
    serde_json::to_value(detail).unwrap_or(Value::Null)
}

/// f32 values widen to f64 with noise (0.93 -> 0.9300000071525574).
fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::sample;

    fn cfg() -> SandboxConfig {
        SandboxConfig { cache_dir: None, ..SandboxConfig::default() }
    }

    fn doc() -> model::Document {
        sample::document("invoice", &["Invoice INV-1\nTotal 12.50 EUR"])
    }

    fn field(key: &str, value: wit::FieldValue) -> wit::Field {
        wit::Field { key: key.into(), value, confidence: 0.9, source: None }
    }

    fn extraction(fields: Vec<wit::Field>) -> wit::Extraction {
        wit::Extraction { fields, tables: vec![], confidence: 0.8, warnings: vec![] }
    }

    fn bbox(left: f32, top: f32, width: f32, height: f32) -> wit::Bbox {
        wit::Bbox { left, top, width, height }
    }

    fn money(amount: f64, currency: Option<&str>) -> wit::FieldValue {
        wit::FieldValue::Money(wit::Money { amount, currency: currency.map(Into::into) })
    }

    #[test]
    fn converts_to_flat_docurift_values() {
        let mut total = field("totalAmount", money(12.5, Some("EUR")));
        total.source = Some(wit::SourceRef { page: 1, bbox: bbox(150.0, 200.0, 300.0, 40.0) });
        let x = wit::Extraction {
            fields: vec![
                field("invoiceNumber", wit::FieldValue::Text("INV-1".into())),
                total,
                field("invoiceDate", wit::FieldValue::Date(wit::Date { year: 2024, month: 3, day: 5 })),
                field("paid", wit::FieldValue::Boolean(false)),
            ],
            tables: vec![wit::Table {
                name: "lineItems".into(),
                columns: vec!["description".into(), "amount".into()],
                rows: vec![wit::TableRow {
                    cells: vec![Some(wit::FieldValue::Text("Widget".into())), None],
                    confidence: 0.5,
                    source: None,
                }],
            }],
            confidence: 0.93,
            warnings: vec!["no due date".into()],
        };
        validate(&x, &doc(), &cfg()).unwrap();
        let c = convert(x);
        assert_eq!(
            Value::Object(c.extracted_data),
            json!({
                "invoiceNumber": "INV-1",
                "totalAmount": 12.5,
                "invoiceDate": "2024-03-05",
                "paid": false,
                "lineItems": [{"description": "Widget", "amount": null}],
                "currency": "EUR"
            })
        );
        assert_eq!(c.fields["totalAmount"], json!({"confidence": 0.9, "page": 1, "bbox": [150.0, 200.0, 300.0, 40.0]}));
        assert_eq!(c.fields["currency"], c.fields["totalAmount"]);
        assert_eq!(c.fields["lineItems"]["confidence"], json!(0.5));
        assert_eq!(c.confidence, 0.93);
        assert_eq!(c.warnings, vec!["no due date".to_string()]);
    }

    #[test]
    fn an_explicit_currency_field_wins() {
        let x = extraction(vec![field("totalAmount", money(1.0, Some("EUR"))), field("currency", wit::FieldValue::Text("USD".into()))]);
        let c = convert(x);
        assert_eq!(c.extracted_data["currency"], "USD");
    }

    fn rejected(x: wit::Extraction) -> String {
        validate(&x, &doc(), &cfg()).unwrap_err()
    }

    #[test]
    fn rejects_bad_output_with_a_reason() {
        let text = |k: &str| field(k, wit::FieldValue::Text("x".into()));
        assert!(rejected(extraction(vec![text("Total Amount")])).contains("not a camelCase key"));
        assert!(rejected(extraction(vec![text("a"), text("a")])).contains("key `a` is used twice"));
        let mut f = text("a");
        f.confidence = 1.5;
        assert!(rejected(extraction(vec![f])).contains("field `a`: confidence 1.5 is not within 0..1"));
        let mut f = text("a");
        f.confidence = f32::NAN;
        assert!(rejected(extraction(vec![f])).contains("confidence NaN"));
        assert!(rejected(extraction(vec![field("n", wit::FieldValue::Number(f64::NAN))])).contains("not finite"));
        assert!(rejected(extraction(vec![field("m", money(f64::INFINITY, None))])).contains("not finite"));
        assert!(rejected(extraction(vec![field("m", money(1.0, Some("euro")))])).contains("ISO 4217"));
        let feb30 = wit::FieldValue::Date(wit::Date { year: 2023, month: 2, day: 30 });
        assert!(rejected(extraction(vec![field("d", feb30)])).contains("not a calendar date"));
        let mut f = text("a");
        f.source = Some(wit::SourceRef { page: 2, bbox: bbox(0.0, 0.0, 1.0, 1.0) });
        assert!(rejected(extraction(vec![f])).contains("source page 2 does not exist"));
        let mut f = text("a");
        f.source = Some(wit::SourceRef { page: 1, bbox: bbox(2400.0, 0.0, 200.0, 10.0) });
        assert!(rejected(extraction(vec![f])).contains("is not inside page 1 (2480 x 3508)"));
        let mut f = text("a");
        f.source = Some(wit::SourceRef { page: 1, bbox: bbox(10.0, 10.0, -1.0, 10.0) });
        assert!(rejected(extraction(vec![f])).contains("is not a box"));
        let mut x = extraction(vec![]);
        x.confidence = -0.1;
        assert!(rejected(x).contains("overall confidence"));
    }

    #[test]
    fn rejects_oversized_output() {
        let cfg = cfg();
        let many = (0..=cfg.output.max_fields).map(|i| field(&format!("f{i}"), wit::FieldValue::Boolean(true))).collect();
        assert!(rejected(extraction(many)).contains(&format!("too many fields: {}", cfg.output.max_fields + 1)));
        let big = field("note", wit::FieldValue::Text("z".repeat(cfg.output.max_text_bytes + 1)));
        assert!(rejected(extraction(vec![big])).contains("field `note`: text is"));
        let max_text = cfg.output.max_text_bytes;
        let small_total = SandboxConfig { output: contract::Limits { max_output_bytes: 3 * max_text, ..cfg.output.clone() }, ..cfg };
        let fields = (0..4).map(|i| field(&format!("f{i}"), wit::FieldValue::Text("z".repeat(max_text)))).collect();
        let err = validate(&extraction(fields), &doc(), &small_total).unwrap_err();
        assert_eq!(err, format!("output text exceeds {} bytes in total", small_total.output.max_output_bytes));
    }

    #[test]
    fn rejects_ragged_and_duplicate_tables() {
        let table = |columns: &[&str], cells: usize| wit::Table {
            name: "lineItems".into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: vec![wit::TableRow { cells: vec![None; cells], confidence: 1.0, source: None }],
        };
        let mut x = extraction(vec![]);
        x.tables = vec![table(&["a", "b"], 1)];
        assert!(rejected(x).contains("table `lineItems` row 1 has 1 cells for 2 columns"));
        let mut x = extraction(vec![]);
        x.tables = vec![table(&["a", "a"], 2)];
        assert!(rejected(x).contains("column `a` twice"));
        let mut x = extraction(vec![field("lineItems", wit::FieldValue::Boolean(true))]);
        x.tables = vec![table(&["a"], 1)];
        assert!(rejected(x).contains("key `lineItems` is used twice"));
    }
}
