//! The string Veryfi signs: Python's `str(payload["data"])`.
//!
//! The spec gives two verifiers that must both accept Folio's
//! `x-veryfi-signature`:
//!
//! ```text
//! Python:     str(data_payload).encode("utf-8")              # a dict repr: {'id': 1, 'created': '...'}
//! JavaScript: JSON.stringify(payload.data).replace(/,/g, ", ").replace(/":/g, '": ').replace(/"/g, "'")
//! ```
//!
//! They agree only on some data. A comma inside a string gains a space in
//! JavaScript only; a quote becomes `'` in JavaScript while Python switches
//! to double quotes or escapes it; control characters are escaped differently
//! (`\u0008` vs `\x08`), as are non-printable Unicode characters (Python's
//! printability table also changes with its Unicode version); floats print
//! differently (`1e-7` vs `1e-07`). [`signing_string`] computes both forms and
//! refuses data on which they differ, and [`sanitise_error`] makes failure
//! reasons safe by construction. Folio's Veryfi `data` is an integer id, a
//! `YYYY-MM-DD HH:MM:SS` string and that sanitised reason, so the refusal is a
//! guard, never a path taken.

use super::js_json::{js_number_to_string, js_ordered_entries, shortest_digits, to_js_json};
use serde_json::Value;
use std::fmt;

/// Why a value has no signing string both verifiers agree on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningStringError {
    /// Python's repr of this string depends on Unicode tables; Folio only signs ASCII.
    NonAsciiString(String),
    /// The two verifiers compute different strings.
    VerifiersDisagree { python: String, javascript: String },
}

impl fmt::Display for SigningStringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonAsciiString(s) => write!(f, "string {s:?} is not ASCII; its Python repr depends on the Python version"),
            Self::VerifiersDisagree { python, javascript } => {
                write!(f, "Python signs {python:?} but JavaScript signs {javascript:?}")
            }
        }
    }
}

impl std::error::Error for SigningStringError {}

/// The bytes both of the spec's verifiers compute for `data` (as a receiver
/// parses it from the body Folio sends), or why they would differ.
pub fn signing_string(data: &Value) -> Result<String, SigningStringError> {
    let python = python_str(data)?;
    let javascript = javascript_signing_string(data);
    if python == javascript { Ok(python) } else { Err(SigningStringError::VerifiersDisagree { python, javascript }) }
}

/// What the spec's JavaScript `createSignature` hashes for `data`, after the
/// receiver's `JSON.parse` of Folio's body.
pub fn javascript_signing_string(data: &Value) -> String {
    to_js_json(data).replace(',', ", ").replace("\":", "\": ").replace('"', "'")
}

/// Python's `str(v)` for `v = json.loads(body)` where `body` is Folio's
/// JavaScript-form serialisation of `data` (so keys come in V8 order, and a
/// number is a Python `int` unless JavaScript writes it with `.` or `e`).
/// Strings must be ASCII: Python's repr of other characters depends on its
/// Unicode database.
pub fn python_str(data: &Value) -> Result<String, SigningStringError> {
    let mut out = String::new();
    write_python_repr(&mut out, data)?;
    Ok(out)
}

fn write_python_repr(out: &mut String, v: &Value) -> Result<(), SigningStringError> {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Number(n) => {
            let js = to_js_json(v);
            if js.contains(['.', 'e']) {
                out.push_str(&python_float_repr(n.as_f64().expect("numbers convert to f64")));
            } else {
                out.push_str(&js); // json.loads gives an int, printed exactly
            }
        }
        Value::String(s) => write_python_str_repr(out, s)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_repr(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in js_ordered_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_str_repr(out, k)?;
                out.push_str(": ");
                write_python_repr(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// CPython's `unicode_repr` for ASCII strings: single quotes unless the
/// string holds `'` and no `"`; escapes `\\`, the quote, `\t \n \r`, and
/// other controls as `\xNN`.
fn write_python_str_repr(out: &mut String, s: &str) -> Result<(), SigningStringError> {
    if !s.is_ascii() {
        return Err(SigningStringError::NonAsciiString(s.to_string()));
    }
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    Ok(())
}

/// CPython's `repr(float)`: shortest round-trip digits, positional when the
/// decimal exponent is in -4..16 (with `.0` for integral values), else
/// `d.ddde±XX` with at least two exponent digits.
pub fn python_float_repr(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Both languages print the same shortest round-trip digits.
    let (digits, decpt) = shortest_digits(x);
    let sign = if x < 0.0 { "-" } else { "" };
    if decpt <= -4 || decpt > 16 {
        let frac = if digits.len() > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let e = decpt - 1;
        format!("{sign}{}{frac}e{}{:02}", &digits[..1], if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        // Positional; the JavaScript layout is the same except for the `.0`.
        let js = js_number_to_string(x.abs());
        let dot = if js.contains('.') { "" } else { ".0" };
        format!("{sign}{js}{dot}")
    }
}

/// Longest failure reason put in a Veryfi `document.failed` event.
pub const MAX_ERROR_CHARS: usize = 240;

/// A failure reason both verifiers sign identically: printable ASCII only,
/// with `,` → `;`, `"` and `'` → `` ` ``, `\` → `/`, whitespace and
/// control characters → a space, other characters → `?`, and at most
/// [`MAX_ERROR_CHARS`] characters (then `...`). The full error stays
/// readable through the API.
pub fn sanitise_error(message: &str) -> String {
    let mut out: String = message
        .trim()
        .chars()
        .map(|c| match c {
            ',' => ';',
            '"' | '\'' => '`',
            '\\' => '/',
            c if c.is_whitespace() || c.is_control() => ' ',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .collect();
    if out.chars().count() > MAX_ERROR_CHARS {
        out = out.chars().take(MAX_ERROR_CHARS - 3).collect::<String>() + "...";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spec_example_data_signs_the_same_both_ways() {
        let data = json!({"id": 123456789, "created": "2021-10-20 15:27:26"});
        assert_eq!(signing_string(&data).unwrap(), "{'id': 123456789, 'created': '2021-10-20 15:27:26'}");
        let failed = json!({"id": 123456789, "created": "2023-08-10 19:11:32", "error": "OCR_FAILED: page 2 could not be read"});
        assert_eq!(
            signing_string(&failed).unwrap(),
            "{'id': 123456789, 'created': '2023-08-10 19:11:32', 'error': 'OCR_FAILED: page 2 could not be read'}"
        );
    }

    #[test]
    fn python_repr_matches_cpython() {
        // Expected strings from CPython 3.11 repr().
        let cases: &[(Value, &str)] = &[
            (json!(null), "None"),
            (json!(true), "True"),
            (json!([1, false, null]), "[1, False, None]"),
            (json!("it's"), "\"it's\""),
            (json!("say \"hi\""), "'say \"hi\"'"),
            (json!("both ' and \""), "'both \\' and \"'"),
            (json!("back\\slash\ttab\nnl\rcr\u{1}\u{7f}"), "'back\\\\slash\\ttab\\nnl\\rcr\\x01\\x7f'"),
            (json!({"a": {"b": [1.5]}}), "{'a': {'b': [1.5]}}"),
            (json!({"b": 1, "10": 2, "2": 3}), "{'2': 3, '10': 2, 'b': 1}"),
            (json!(15750.0), "15750"),
            (json!(12345678901234567890u64), "12345678901234567000"),
        ];
        for (v, want) in cases {
            assert_eq!(python_str(v).unwrap(), *want, "{v}");
        }
        assert!(matches!(python_str(&json!("é")), Err(SigningStringError::NonAsciiString(_))));
    }

    #[test]
    #[allow(clippy::excessive_precision)] // exact ties need every digit
    fn python_float_repr_matches_cpython() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-7, "1e-07"),
            (1.25e-300, "1.25e-300"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (-0.0, "-0.0"),
            (123456789.125, "123456789.125"),
            (833993337674352.25, "833993337674352.2"),
        ];
        for (x, want) in cases {
            assert_eq!(python_float_repr(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn disagreements_are_refused() {
        for data in [
            json!({"error": "a, b"}),
            json!({"error": "say \"hi\""}),
            json!({"error": "it's"}),
            json!({"error": "\u{8}"}),
            json!({"x": 1e-7}),
            json!({"ok": true}),
            json!({"n": null}),
        ] {
            assert!(matches!(signing_string(&data), Err(SigningStringError::VerifiersDisagree { .. })), "{data}");
        }
        // Agreements beyond the Veryfi shape: lists, nested objects, floats in range, colons.
        assert_eq!(
            signing_string(&json!({"ids": [1, 2], "t": "10:20:30", "x": {"y": 0.5}})).unwrap(),
            "{'ids': [1, 2], 't': '10:20:30', 'x': {'y': 0.5}}"
        );
    }

    #[test]
    fn sanitised_errors_always_agree() {
        let nasty = "Plugin \"invoice\" failed: can't parse 'total', got \\x00\u{0}\n\tline\u{2028}é, ½ ✓";
        let clean = sanitise_error(nasty);
        assert_eq!(clean, "Plugin `invoice` failed: can`t parse `total`; got /x00   line ?; ? ?");
        signing_string(&json!({"id": 1, "created": "2021-10-20 15:27:26", "error": clean})).unwrap();
        let long = sanitise_error(&"x".repeat(1000));
        assert_eq!(long.len(), MAX_ERROR_CHARS);
        assert!(long.ends_with("..."));
        // Every ASCII and a few non-ASCII characters, one at a time.
        for c in (0u32..0x80).chain([0xa0, 0xad, 0x2028, 0x1f600]).filter_map(char::from_u32) {
            let e = sanitise_error(&format!("a{c}b"));
            signing_string(&json!({"error": e})).unwrap_or_else(|err| panic!("{c:?}: {err}"));
        }
    }
}
