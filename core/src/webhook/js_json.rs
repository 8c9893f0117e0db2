//! JSON exactly as JavaScript writes it.
//!
//! The DocuRift spec's Node receiver verifies `JSON.stringify(req.body)` after
//! `express.json()`, not the raw bytes. A body therefore verifies under both
//! of the spec's verifiers only if it is a fixed point of
//! `JSON.stringify(JSON.parse(body))`. [`to_js_json`] produces that fixed
//! point from a [`serde_json::Value`]:
//!
//! - compact, no whitespace;
//! - object keys in the order V8 enumerates them after `JSON.parse`: keys that
//!   are array indices (`"0"`, `"42"`, up to `"4294967294"`, no leading zeros)
//!   first in ascending numeric order, then the other keys in insertion order
//!   (serde_json's `preserve_order` keeps insertion order);
//! - numbers as ECMAScript `Number::toString` writes the IEEE double that
//!   `JSON.parse` would read: `15750` not `15750.0`, `1e+21`, `1e-7`, `-0` as
//!   `0`, and integers beyond 2^53 rounded to the nearest double
//!   (`9007199254740993` becomes `9007199254740992`), because that is what a
//!   JavaScript receiver sees;
//! - strings escaped as `JSON.stringify` does: only `"`, `\`, and control
//!   characters (`\b \f \n \r \t`, else `\u00xx` in lowercase hex); `/`,
//!   non-ASCII, U+2028 and U+2029 are written as they are.

use serde_json::{Map, Value};

/// Serialises `value` as `JSON.stringify(JSON.parse(serde_json::to_string(value)))` would.
pub fn to_js_json(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out
}

/// `Some(i)` when `key` is an ECMAScript array index: the canonical decimal
/// form of an integer in `0..=2^32-2`. V8 lists such keys first, ascending.
pub fn array_index(key: &str) -> Option<u32> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 || !b.iter().all(u8::is_ascii_digit) || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u32::MAX as u64).then_some(n as u32)
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in js_ordered_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// The entries of `map` in the order V8 enumerates them: array-index keys
/// ascending, then the rest in insertion order.
pub fn js_ordered_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut indexed: Vec<(u32, &String, &Value)> = map.iter().filter_map(|(k, v)| array_index(k).map(|i| (i, k, v))).collect();
    if indexed.is_empty() {
        return map.iter().collect();
    }
    indexed.sort_by_key(|(i, _, _)| *i);
    let named = map.iter().filter(|(k, _)| array_index(k).is_none());
    indexed.into_iter().map(|(_, k, v)| (k, v)).chain(named).collect()
}

/// serde_json escapes strings exactly as `JSON.stringify` does (only `"`, `\`
/// and C0 controls, short forms where JSON has them, lowercase `\u00xx`);
/// the node cross-check test holds it to that.
fn write_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).expect("a str always serialises"));
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    // Integers JavaScript holds exactly print as themselves; everything else
    // goes through the double JavaScript would parse.
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER) {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64().filter(|u| *u <= MAX_SAFE_INTEGER) {
        out.push_str(&u.to_string());
    } else {
        out.push_str(&js_number_to_string(n.as_f64().expect("serde_json numbers convert to f64")));
    }
}

/// `Number.MAX_SAFE_INTEGER`: 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The shortest decimal digits that read back as `|x|` (finite, non-zero),
/// and `n` such that `|x| = 0.d1d2...dk × 10^n`. When two shortest strings
/// are equally close, the even one wins, as both ECMA-262 ("choose the one
/// that is even") and CPython's `repr` require; ryu does exactly that,
/// while Rust's own `{:e}` does not (`833993337674352.25` prints as `...352.3`).
pub fn shortest_digits(x: f64) -> (String, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x.abs());
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu writes an integer exponent")),
        None => (text, 0),
    };
    let point = mantissa.find('.').unwrap_or(mantissa.len()) as i32;
    let all: String = mantissa.chars().filter(|c| *c != '.').collect();
    let leading_zeros = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0').to_string();
    (digits, point - leading_zeros as i32 + exp)
}

/// ECMAScript `Number::toString(x)` with radix 10 (ECMA-262 §6.1.6.1.20) for
/// finite `x`.
pub fn js_number_to_string(x: f64) -> String {
    if x == 0.0 {
        return "0".to_string(); // also -0
    }
    if !x.is_finite() {
        // JSON.stringify writes NaN and ±Infinity as null; serde_json never holds them.
        return "null".to_string();
    }
    let (digits, n) = shortest_digits(x);
    let k = digits.len() as i32;
    let mut s = String::with_capacity(24);
    if x < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    #[allow(clippy::excessive_precision)] // exact ties need every digit
    fn numbers_follow_ecmascript_number_to_string() {
        let cases: &[(f64, &str)] = &[
            (15750.0, "15750"),
            (0.94, "0.94"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (0.000001234, "0.000001234"),
            (-2.5e-10, "-2.5e-10"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (100.0, "100"),
            (123.456, "123.456"),
            (9007199254740993.0, "9007199254740992"),
            (1.2345678901234567e19, "12345678901234567000"),
            (4.35, "4.35"),
            (2f64.powi(70), "1.1805916207174113e+21"),
            // An exact tie between two shortest forms: the even digit wins (found by the node cross-check).
            (833993337674352.25, "833993337674352.2"),
            (-591518208400691.25, "-591518208400691.2"),
            (0.000123, "0.000123"),
        ];
        for (x, want) in cases {
            assert_eq!(js_number_to_string(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn values_serialise_compactly_in_js_form() {
        let v: Value = serde_json::from_str(
            r#"{"event":"document.completed","n":15750.00,"f":0.1,"big":12345678901234567890,
                "neg":-9007199254740993,"ok":-9007199254740991,"s":"a/b \u2028 é \u0001 \" \\ \n","arr":[1.0,null,true,{}]}"#,
        )
        .unwrap();
        assert_eq!(
            to_js_json(&v),
            "{\"event\":\"document.completed\",\"n\":15750,\"f\":0.1,\"big\":12345678901234567000,\
             \"neg\":-9007199254740992,\"ok\":-9007199254740991,\"s\":\"a/b \u{2028} é \\u0001 \\\" \\\\ \\n\",\
             \"arr\":[1,null,true,{}]}"
        );
    }

    #[test]
    fn array_index_keys_come_first_like_v8() {
        // Checked against node 20: JSON.stringify(JSON.parse(...)).
        let v: Value = serde_json::from_str(
            r#"{"b":1,"4294967295":2,"4294967294":3,"01":4,"1":5,"-1":6,"9007199254740993":7,"0":8,"a":{"10":1,"9":2}}"#,
        )
        .unwrap();
        assert_eq!(
            to_js_json(&v),
            r#"{"0":8,"1":5,"4294967294":3,"b":1,"4294967295":2,"01":4,"-1":6,"9007199254740993":7,"a":{"9":2,"10":1}}"#
        );
    }

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("42"), Some(42));
        assert_eq!(array_index("4294967294"), Some(4294967294));
        for no in ["", "01", "-1", "1.0", "4294967295", "99999999999", "1e3", " 1", "+1", "١"] {
            assert_eq!(array_index(no), None, "{no:?}");
        }
    }

    #[test]
    fn output_is_a_fixed_point() {
        let v = json!({"3": [0.1, -0.0, 1e-7], "x": "\u{7f}\u{1f}"});
        let once = to_js_json(&v);
        let twice = to_js_json(&serde_json::from_str(&once).unwrap());
        assert_eq!(once, twice);
    }
}
