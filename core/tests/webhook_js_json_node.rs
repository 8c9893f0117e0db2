//! `to_js_json` against real JavaScript: for thousands of generated values,
//! node's `JSON.stringify(JSON.parse(text))` must equal Folio's output, both
//! from serde_json's text and from Folio's own (which must be a fixed point).

use folio_core::webhook::js_json::{js_number_to_string, to_js_json};
use serde_json::{Map, Number, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// splitmix64: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &[
    "a",
    "b",
    "id",
    "0",
    "1",
    "2",
    "10",
    "9",
    "01",
    "00",
    "-1",
    "1.5",
    "4294967294",
    "4294967295",
    "9007199254740993",
    "",
    " ",
    "é",
    "😀",
    "__proto__x",
    "constructor",
    "\u{2028}",
    "k\"q",
    "k\\b",
    "\u{1}",
];

const CHARS: &[char] = &[
    'a',
    'Z',
    '0',
    ' ',
    '"',
    '\\',
    '/',
    '\'',
    ',',
    ':',
    '{',
    '\u{0}',
    '\u{1}',
    '\u{8}',
    '\u{9}',
    '\u{a}',
    '\u{c}',
    '\u{d}',
    '\u{1f}',
    '\u{7f}',
    '\u{80}',
    '\u{a0}',
    'é',
    'ß',
    '€',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{fffd}',
    '\u{ffff}',
    '請',
    '😀',
    '\u{10ffff}',
    '<',
    '>',
    '&',
];

fn gen_f64(r: &mut Rng) -> f64 {
    loop {
        let x = match r.below(6) {
            0 => f64::from_bits(r.next()),
            1 => (r.next() as i64 as f64) / 10f64.powi(r.below(25) as i32),
            2 => (r.below(2_000_000) as f64 - 1_000_000.0) / 100.0,
            3 => 10f64.powi(r.below(640) as i32 - 320),
            4 => *r.pick(&[0.1 + 0.2, 1e21, 1e-7, 1e-6, 123e-20, 15750.0, -0.0, 5e-324, f64::MAX, 9007199254740993.0, 4.35, 0.5]),
            _ => r.next() as f64 * if r.below(2) == 0 { 1.0 } else { -1.0 },
        };
        if x.is_finite() {
            return x;
        }
    }
}

fn gen_number(r: &mut Rng) -> Number {
    match r.below(4) {
        0 => Number::from(r.next() as i64 >> r.below(64)),
        1 => Number::from(r.next() >> r.below(64)),
        2 => Number::from(*r.pick(&[(1i64 << 53) - 1, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1, i64::MIN, i64::MAX, 0])),
        _ => Number::from_f64(gen_f64(r)).unwrap(),
    }
}

fn gen_string(r: &mut Rng) -> String {
    (0..r.below(12)).map(|_| *r.pick(CHARS)).collect()
}

fn gen_value(r: &mut Rng, depth: u32) -> Value {
    match r.below(if depth >= 4 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(r.below(2) == 0),
        2 => Value::Number(gen_number(r)),
        3 => Value::String(gen_string(r)),
        4 => Value::Array((0..r.below(5)).map(|_| gen_value(r, depth + 1)).collect()),
        _ => {
            let mut m = Map::new();
            for _ in 0..r.below(7) {
                let k = if r.below(3) == 0 { gen_string(r) } else { r.pick(KEYS).to_string() };
                m.insert(k, gen_value(r, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn node_roundtrip(lines: &[String]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/webhook_verifiers/js_roundtrip.mjs");
    let mut child = Command::new("node").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let input = lines.join("\n") + "\n";
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "node failed");
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

fn node_available() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn matches_node_on_generated_values() {
    if !node_available() {
        eprintln!("SKIPPED: node is not installed; to_js_json was not cross-checked against JavaScript");
        return;
    }
    let mut r = Rng(0x00F0_110F_0110);
    let values: Vec<Value> = (0..3000).map(|_| gen_value(&mut r, 0)).collect();
    let ours: Vec<String> = values.iter().map(to_js_json).collect();
    let serde_text: Vec<String> = values.iter().map(|v| serde_json::to_string(v).unwrap()).collect();

    let from_serde = node_roundtrip(&serde_text);
    let from_ours = node_roundtrip(&ours);
    assert_eq!(from_serde.len(), values.len());
    for i in 0..values.len() {
        assert_eq!(ours[i], from_serde[i], "value #{i}: serde_json text {}", serde_text[i]);
        assert_eq!(ours[i], from_ours[i], "value #{i} is not a fixed point of JSON.stringify(JSON.parse(..))");
    }
}

#[test]
fn numbers_match_node() {
    if !node_available() {
        eprintln!("SKIPPED: node is not installed; number formatting was not cross-checked against JavaScript");
        return;
    }
    let mut r = Rng(42);
    let xs: Vec<f64> = (0..20_000).map(|_| gen_f64(&mut r)).collect();
    // One JSON array per line; serde_json writes each double so it round-trips.
    let lines: Vec<String> = xs.chunks(500).map(|c| serde_json::to_string(c).unwrap()).collect();
    let node = node_roundtrip(&lines);
    let node_numbers: Vec<&str> = node.iter().flat_map(|l| l.trim_matches(['[', ']']).split(',')).collect();
    assert_eq!(node_numbers.len(), xs.len());
    for (x, js) in xs.iter().zip(node_numbers) {
        assert_eq!(js_number_to_string(*x), js, "{x:e}");
    }
}
