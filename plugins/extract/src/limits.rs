//! Fitting an extraction into the contract's output limits. The limits
//! themselves belong to `folio_core::contract::limits` (the host enforces
//! them, the SDK re-exports them); output beyond them fails the whole
//! document with `PLUGIN_FAILED`, so an extractor that can find more than
//! this on a long document must choose what to keep.

use crate::model::Extraction;
pub use folio_core::contract::limits::{MAX_FIELDS, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, MAX_TABLES, MAX_WARNINGS};

/// Trims `out` to the limits: keeps every field named in `keep`, then the
/// others in the order they were found; drops tables and rows beyond the
/// limits; says what was dropped in a warning.
pub fn fit(out: &mut Extraction, keep: &[&str]) {
    let mut notes = Vec::new();
    if out.fields.len() > MAX_FIELDS {
        let kept_named = out.fields.iter().filter(|f| keep.contains(&f.key.as_str())).count().min(MAX_FIELDS);
        let mut room = MAX_FIELDS - kept_named;
        let before = out.fields.len();
        out.fields.retain(|f| {
            if keep.contains(&f.key.as_str()) {
                return true;
            }
            let fits = room > 0;
            room = room.saturating_sub(1);
            fits
        });
        out.fields.truncate(MAX_FIELDS);
        notes.push(format!("{} further values not returned (limit {MAX_FIELDS} fields per document)", before - out.fields.len()));
    }
    if out.tables.len() > MAX_TABLES {
        notes.push(format!("{} further tables not returned (limit {MAX_TABLES})", out.tables.len() - MAX_TABLES));
        out.tables.truncate(MAX_TABLES);
    }
    for t in &mut out.tables {
        if t.rows.len() > MAX_TABLE_ROWS {
            notes.push(format!("table {}: {} further rows not returned (limit {MAX_TABLE_ROWS})", t.name, t.rows.len() - MAX_TABLE_ROWS));
            t.rows.truncate(MAX_TABLE_ROWS);
        }
        if t.columns.len() > MAX_TABLE_COLUMNS {
            notes.push(format!(
                "table {}: {} further columns not returned (limit {MAX_TABLE_COLUMNS})",
                t.name,
                t.columns.len() - MAX_TABLE_COLUMNS
            ));
            t.columns.truncate(MAX_TABLE_COLUMNS);
            for r in &mut t.rows {
                r.cells.truncate(MAX_TABLE_COLUMNS);
            }
        }
    }
    out.warnings.truncate(MAX_WARNINGS.saturating_sub(notes.len()));
    out.warnings.extend(notes);
}

/// Whether `out` is within the limits (the first one broken, if not).
pub fn check(out: &Extraction) -> Result<(), String> {
    if out.fields.len() > MAX_FIELDS {
        return Err(format!("{} fields", out.fields.len()));
    }
    if out.tables.len() > MAX_TABLES {
        return Err(format!("{} tables", out.tables.len()));
    }
    if let Some(t) = out.tables.iter().find(|t| t.rows.len() > MAX_TABLE_ROWS || t.columns.len() > MAX_TABLE_COLUMNS) {
        return Err(format!("table {} is {}x{}", t.name, t.rows.len(), t.columns.len()));
    }
    if out.warnings.len() > MAX_WARNINGS {
        return Err(format!("{} warnings", out.warnings.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Table, TableRow, Value};

    fn many(n: usize) -> Extraction {
        let mut out = Extraction::default();
        for i in 0..n {
            out.push(&format!("amount{i}"), Value::Number(i as f64), 0.5, None);
        }
        out
    }

    #[test]
    fn keeps_named_fields_then_the_first_found() {
        let mut out = many(300);
        out.push("totalAmount", Value::Number(1.0), 0.9, None);
        fit(&mut out, &["totalAmount"]);
        assert_eq!(out.fields.len(), MAX_FIELDS);
        assert!(out.field("totalAmount").is_some());
        assert!(out.field("amount0").is_some() && out.field(&format!("amount{}", MAX_FIELDS - 2)).is_some());
        assert!(out.field(&format!("amount{}", MAX_FIELDS - 1)).is_none());
        assert_eq!(out.warnings, vec![format!("45 further values not returned (limit {MAX_FIELDS} fields per document)")]);
        assert!(check(&out).is_ok());
    }

    #[test]
    fn within_limits_is_untouched() {
        let mut out = many(10);
        let before = out.clone();
        fit(&mut out, &[]);
        assert_eq!(out, before);
    }

    #[test]
    fn long_tables_are_cut_with_a_warning() {
        let mut out = Extraction::default();
        let row = TableRow { cells: vec![None; 40], confidence: 0.5, source: None };
        out.tables = (0..20)
            .map(|i| Table { name: format!("t{i}"), columns: (0..40).map(|c| format!("c{c}")).collect(), rows: vec![row.clone(); 6_000] })
            .collect();
        out.warnings = (0..MAX_WARNINGS).map(|i| format!("w{i}")).collect();
        assert!(check(&out).is_err());
        fit(&mut out, &[]);
        assert!(check(&out).is_ok(), "{:?}", check(&out));
        assert!(out.tables.iter().all(|t| t.rows.iter().all(|r| r.cells.len() == MAX_TABLE_COLUMNS)));
        assert!(out.warnings.last().unwrap().contains("further"));
    }
}
