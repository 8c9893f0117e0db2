//! Reads Veryfi's `POST /api/v8/partner/documents/` JSON body as it streams
//! in, without holding it: the top-level `file_data` string's base64 is
//! decoded straight into the caller's output (and fed to the request
//! signature as it goes by); every other member is small and collected into
//! a normal JSON object for serde.
//!
//! Why: a Worker has 128 MB for JavaScript and wasm together. Parsing a
//! ~70 MB body whole held the body, the parsed string, a whitespace-free
//! copy and the decoded file at once (~260 MB). Here the body passes through
//! in the caller's chunks and only the decoded file is kept.
//!
//! Accepted `file_data`: standard base64 with padding, ASCII whitespace
//! (line breaks) anywhere, any JSON escape (`\/`, `\n`, `\u003d`), and a
//! data-URL header (`data:image/png;base64,`) of up to 1 KB before the base64.
//! Duplicate top-level keys are refused: they would make the signed
//! parameters ambiguous.

use crate::veryfi::RequestSignature;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// Room for the body's members other than `file_data` (raw JSON text).
pub const MAX_OTHER_MEMBERS_BYTES: usize = 1024 * 1024;
/// Longest data-URL header accepted before the base64 (`data:...;base64,`).
const MAX_DATA_URL_HEADER: usize = 1024;
/// Base64 characters decoded at a time (a multiple of 4).
const DECODE_BLOCK: usize = 16 * 1024;
const FILE_DATA: &str = "file_data";

/// Why a body was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Not a JSON object; the text says where and why.
    Json(String),
    DuplicateKey(String),
    InvalidBase64,
    /// The decoded file is over the limit.
    FileTooLarge,
    /// The members other than `file_data` are over [`MAX_OTHER_MEMBERS_BYTES`].
    OtherMembersTooLarge,
}

impl BodyError {
    pub fn message(&self) -> String {
        match self {
            BodyError::Json(why) => format!("Invalid JSON body: {why}"),
            BodyError::DuplicateKey(k) => format!("Invalid JSON body: duplicate key {k:?}"),
            BodyError::InvalidBase64 => "file_data is not valid base64".into(),
            BodyError::FileTooLarge => "file_data exceeds the file size limit".into(),
            BodyError::OtherMembersTooLarge => {
                format!("JSON members other than file_data exceed {} KB", MAX_OTHER_MEMBERS_BYTES / 1024)
            }
        }
    }
}

/// The body once read: the members other than a string `file_data`, in
/// order, and what became of `file_data`.
#[derive(Debug)]
pub struct ScannedBody {
    pub params: Map<String, Value>,
    pub file_data: FileData,
}

/// A string `file_data`. Its refusal is reported apart from JSON errors so
/// the caller can check the signature and the options first, as it would
/// with a parsed body.
#[derive(Debug, PartialEq, Eq)]
pub enum FileData {
    /// No `file_data` string (absent, or another JSON type: left in `params`).
    Absent,
    /// Decoded into the output.
    Decoded,
    /// [`BodyError::InvalidBase64`] or [`BodyError::FileTooLarge`]; decoding
    /// stopped there (the text was still signed).
    Refused(BodyError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    Start,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,`: a key.
    NextKey,
    /// Inside a key (raw JSON string text in `raw`).
    Key { escaped: bool },
    /// After a key: `:`.
    Colon,
    /// After `:`: the value.
    Value,
    /// Inside a value other than a string `file_data` (raw text in `raw`).
    RawValue { depth: u32, in_string: bool, escaped: bool },
    /// Inside the `file_data` string.
    FileData,
    /// After a value: `,` or `}`.
    AfterValue,
    /// After the closing `}`: whitespace only.
    End,
}

/// Where a `\` escape inside `file_data` stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    None,
    Started,
    /// `\u` and the hex digits so far; a pending high surrogate.
    Unicode {
        digits: u8,
        value: u32,
        high: Option<u32>,
    },
    /// A high surrogate waits for `\uDC00..`: `\` seen, or nothing yet.
    LowSurrogate {
        high: u32,
        backslash: bool,
    },
}

/// Streaming reader of a Veryfi JSON body (see the module docs).
pub struct VeryfiBodyScanner {
    state: State,
    escape: Escape,
    raw: Vec<u8>,
    key: String,
    params: Map<String, Value>,
    other_bytes: usize,
    has_file_data: bool,
    decoder: Base64Stream,
    file_error: Option<BodyError>,
    signature: Option<RequestSignature>,
    position: u64,
}

impl VeryfiBodyScanner {
    /// `max_file_bytes`: the decoded file's limit. `signature`: the request
    /// signature to feed (when the client signed).
    pub fn new(max_file_bytes: u64, signature: Option<RequestSignature>) -> Self {
        VeryfiBodyScanner {
            state: State::Start,
            escape: Escape::None,
            raw: Vec::new(),
            key: String::new(),
            params: Map::new(),
            other_bytes: 0,
            has_file_data: false,
            decoder: Base64Stream::new(max_file_bytes),
            file_error: None,
            signature,
            position: 0,
        }
    }

    /// Reads the next bytes of the body; decoded `file_data` bytes are
    /// appended to `out`. After an error the scanner must not be fed again.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::FileData && self.escape == Escape::None {
                // Fast path: a run of plain string characters.
                let run = input[i..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(input.len() - i);
                if run > 0 {
                    self.file_text(&input[i..i + run], out)?;
                    self.position += run as u64;
                    i += run;
                    continue;
                }
            }
            self.byte(input[i], out)?;
            self.position += 1;
            i += 1;
        }
        Ok(())
    }

    /// The end of the body: the rest of the file is decoded into `out`, the
    /// signature (if any) handed back for checking.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(ScannedBody, Option<RequestSignature>), BodyError> {
        match self.state {
            State::End => {}
            State::Start => return Err(BodyError::Json("EOF while parsing a value".into())),
            _ => return Err(BodyError::Json("EOF while parsing an object".into())),
        }
        let file_data = match (self.has_file_data, self.file_error) {
            (false, _) => FileData::Absent,
            (true, Some(e)) => FileData::Refused(e),
            (true, None) => match self.decoder.finish(out) {
                Ok(()) => FileData::Decoded,
                Err(e) => FileData::Refused(e),
            },
        };
        Ok((ScannedBody { params: self.params, file_data }, self.signature))
    }

    fn syntax(&self, what: &str) -> BodyError {
        BodyError::Json(format!("{what} at byte {}", self.position))
    }

    fn byte(&mut self, b: u8, out: &mut Vec<u8>) -> Result<(), BodyError> {
        let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        match self.state {
            State::Start if ws => {}
            State::Start if b == b'{' => self.state = State::FirstKey,
            State::Start => return Err(self.syntax("expected a JSON object")),
            State::FirstKey | State::NextKey if ws => {}
            State::FirstKey if b == b'}' => self.state = State::End,
            State::FirstKey | State::NextKey if b == b'"' => {
                self.raw.clear();
                self.raw.push(b);
                self.state = State::Key { escaped: false };
            }
            State::FirstKey | State::NextKey => return Err(self.syntax("expected a key (a string)")),
            State::Key { escaped } => {
                self.collect(b)?;
                if escaped {
                    self.state = State::Key { escaped: false };
                } else if b == b'\\' {
                    self.state = State::Key { escaped: true };
                } else if b == b'"' {
                    self.key = serde_json::from_slice(&self.raw).map_err(|e| BodyError::Json(e.to_string()))?;
                    if self.params.contains_key(&self.key) || (self.key == FILE_DATA && self.has_file_data) {
                        return Err(BodyError::DuplicateKey(self.key.clone()));
                    }
                    self.state = State::Colon;
                }
            }
            State::Colon if ws => {}
            State::Colon if b == b':' => self.state = State::Value,
            State::Colon => return Err(self.syntax("expected `:`")),
            State::Value if ws => {}
            State::Value if b == b'"' && self.key == FILE_DATA => {
                self.has_file_data = true;
                if let Some(s) = self.signature.as_mut() {
                    s.string_member(FILE_DATA);
                }
                self.state = State::FileData;
            }
            State::Value => {
                self.raw.clear();
                self.state = State::RawValue { depth: 0, in_string: false, escaped: false };
                return self.byte(b, out);
            }
            State::RawValue { depth, in_string, escaped } => {
                if !in_string && depth == 0 && (ws || b == b',' || b == b'}') && !self.raw.is_empty() {
                    // A number or literal ends at its delimiter.
                    self.end_raw_value()?;
                    return self.byte(b, out);
                }
                self.collect(b)?;
                let (mut depth, mut in_string, mut escaped) = (depth, in_string, escaped);
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                }
                self.state = State::RawValue { depth, in_string, escaped };
                if !in_string && depth == 0 && matches!(b, b'"' | b'}' | b']') {
                    self.end_raw_value()?;
                }
            }
            State::FileData => self.file_data_byte(b, out)?,
            State::AfterValue if ws => {}
            State::AfterValue if b == b',' => self.state = State::NextKey,
            State::AfterValue if b == b'}' => self.state = State::End,
            State::AfterValue => return Err(self.syntax("expected `,` or `}`")),
            State::End if ws => {}
            State::End => return Err(self.syntax("trailing characters")),
        }
        Ok(())
    }

    /// One byte of the `file_data` string that is not plain text.
    fn file_data_byte(&mut self, b: u8, out: &mut Vec<u8>) -> Result<(), BodyError> {
        let bad_escape = || BodyError::Json("invalid escape in file_data".into());
        match self.escape {
            Escape::None => match b {
                b'"' => self.state = State::AfterValue,
                b'\\' => self.escape = Escape::Started,
                _ => return Err(BodyError::Json("control character in file_data".into())),
            },
            Escape::Started => {
                self.escape = Escape::None;
                let c = match b {
                    b'"' | b'\\' | b'/' => b,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        self.escape = Escape::Unicode { digits: 0, value: 0, high: None };
                        return Ok(());
                    }
                    _ => return Err(bad_escape()),
                };
                self.file_text(&[c], out)?;
            }
            Escape::Unicode { digits, value, high } => {
                let digit = (b as char).to_digit(16).ok_or_else(bad_escape)?;
                let value = value * 16 + digit;
                if digits < 3 {
                    self.escape = Escape::Unicode { digits: digits + 1, value, high };
                    return Ok(());
                }
                self.escape = Escape::None;
                let code = match (high, value) {
                    (None, 0xD800..=0xDBFF) => {
                        self.escape = Escape::LowSurrogate { high: value, backslash: false };
                        return Ok(());
                    }
                    (None, 0xDC00..=0xDFFF) => return Err(BodyError::Json("lone surrogate in file_data".into())),
                    (None, v) => v,
                    (Some(h), 0xDC00..=0xDFFF) => 0x10000 + ((h - 0xD800) << 10) + (value - 0xDC00),
                    (Some(_), _) => return Err(BodyError::Json("lone surrogate in file_data".into())),
                };
                let c = char::from_u32(code).ok_or_else(bad_escape)?;
                self.file_text(c.encode_utf8(&mut [0; 4]).as_bytes(), out)?;
            }
            Escape::LowSurrogate { high, backslash } => match (backslash, b) {
                (false, b'\\') => self.escape = Escape::LowSurrogate { high, backslash: true },
                (true, b'u') => self.escape = Escape::Unicode { digits: 0, value: 0, high: Some(high) },
                _ => return Err(BodyError::Json("lone surrogate in file_data".into())),
            },
        }
        Ok(())
    }

    /// Unescaped `file_data` text: signed as it is, then decoded.
    fn file_text(&mut self, text: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        if let Some(s) = self.signature.as_mut() {
            s.string_part(text);
        }
        if self.file_error.is_none()
            && let Err(e) = self.decoder.push(text, out)
        {
            self.file_error = Some(e);
        }
        Ok(())
    }

    fn collect(&mut self, b: u8) -> Result<(), BodyError> {
        self.other_bytes += 1;
        if self.other_bytes > MAX_OTHER_MEMBERS_BYTES {
            return Err(BodyError::OtherMembersTooLarge);
        }
        self.raw.push(b);
        Ok(())
    }

    fn end_raw_value(&mut self) -> Result<(), BodyError> {
        let value: Value = serde_json::from_slice(&self.raw).map_err(|e| BodyError::Json(format!("{e} (in {:?})", self.key)))?;
        if let Some(s) = self.signature.as_mut() {
            s.member(&self.key, &value);
        }
        self.params.insert(std::mem::take(&mut self.key), value);
        self.raw.clear();
        self.state = State::AfterValue;
        Ok(())
    }
}

/// Push-style standard base64 decoding (padding required, as
/// `general_purpose::STANDARD` decodes it whole), skipping ASCII whitespace,
/// after an optional data-URL header.
struct Base64Stream {
    /// `Some` while the start of the text may still be a data-URL header.
    header: Option<Vec<u8>>,
    pending: Vec<u8>,
    /// A decoded block ended in padding: nothing may follow.
    padded: bool,
    decoded: u64,
    max: u64,
}

impl Base64Stream {
    fn new(max: u64) -> Self {
        Base64Stream { header: Some(Vec::new()), pending: Vec::with_capacity(DECODE_BLOCK + 4), padded: false, decoded: 0, max }
    }

    fn push(&mut self, text: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        let Some(header) = self.header.as_mut() else { return self.push_base64(text, out) };
        let room = MAX_DATA_URL_HEADER.saturating_sub(header.len()).min(text.len());
        header.extend_from_slice(&text[..room]);
        const MARK: &[u8] = b";base64,";
        if let Some(at) = header.windows(MARK.len()).position(|w| w == MARK) {
            let after = header.split_off(at + MARK.len());
            std::str::from_utf8(header).map_err(|_| BodyError::Json("invalid UTF-8 in file_data".into()))?;
            self.header = None;
            self.push_base64(&after, out)?;
            return self.push_base64(&text[room..], out);
        }
        if header.len() >= MAX_DATA_URL_HEADER {
            let held = self.header.take().unwrap_or_default();
            self.push_base64(&held, out)?;
            return self.push_base64(&text[room..], out);
        }
        Ok(())
    }

    fn push_base64(&mut self, text: &[u8], out: &mut Vec<u8>) -> Result<(), BodyError> {
        for &b in text {
            if b.is_ascii_whitespace() {
                continue;
            }
            if self.padded {
                return Err(BodyError::InvalidBase64);
            }
            self.pending.push(b);
            if self.pending.len() == DECODE_BLOCK {
                self.decode_pending(out)?;
            }
        }
        Ok(())
    }

    fn decode_pending(&mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        let room = (self.max - self.decoded.min(self.max)) as usize;
        if self.pending.len() / 4 * 3 > room + 2 {
            return Err(BodyError::FileTooLarge); // over even with the most padding
        }
        let before = out.len();
        STANDARD.decode_vec(&self.pending, out).map_err(|_| BodyError::InvalidBase64)?;
        self.decoded += (out.len() - before) as u64;
        if self.decoded > self.max {
            return Err(BodyError::FileTooLarge);
        }
        self.padded = self.pending.last() == Some(&b'=');
        self.pending.clear();
        Ok(())
    }

    fn finish(mut self, out: &mut Vec<u8>) -> Result<(), BodyError> {
        if let Some(held) = self.header.take() {
            self.push_base64(&held, out)?;
        }
        if !self.pending.is_empty() {
            self.decode_pending(out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::veryfi::{sign, signature_payload_python};
    use serde_json::json;

    const MAX: u64 = 1024 * 1024;

    /// Scans `body` fed in `chunk`-byte pieces.
    /// A refused `file_data` comes back as the error.
    fn scan_in(body: &[u8], chunk: usize, max: u64) -> Result<(ScannedBody, Vec<u8>), BodyError> {
        let mut scanner = VeryfiBodyScanner::new(max, None);
        let mut out = Vec::new();
        for part in body.chunks(chunk.max(1)) {
            scanner.feed(part, &mut out)?;
        }
        let (scanned, _) = scanner.finish(&mut out)?;
        if let FileData::Refused(e) = scanned.file_data {
            return Err(e);
        }
        Ok((scanned, out))
    }

    fn scan(body: &str) -> Result<(ScannedBody, Vec<u8>), BodyError> {
        scan_in(body.as_bytes(), usize::MAX, MAX)
    }

    fn file(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn decodes_file_data_and_keeps_the_other_members() {
        let data = file(1000);
        let body = format!(
            r#" {{"file_name": "r.png", "async": true, "file_data": "{}", "categories": ["a", {{"b": "}}]"}}], "n": -1.5e3, "z": null}} "#,
            STANDARD.encode(&data)
        );
        let (scanned, out) = scan(&body).unwrap();
        assert_eq!(out, data);
        assert_eq!(scanned.file_data, FileData::Decoded);
        assert_eq!(
            Value::Object(scanned.params),
            json!({"file_name": "r.png", "async": true, "categories": ["a", {"b": "}]"}], "n": -1.5e3, "z": null})
        );
        let keys: Vec<String> = serde_json::from_str::<Map<String, Value>>(&body).unwrap().keys().cloned().collect();
        assert_eq!(keys[..3], ["file_name", "async", "file_data"]); // order is the body's (signatures depend on it)
    }

    #[test]
    fn any_chunking_gives_the_same_result() {
        // Escapes, a data URL, line breaks, a \u escape and padding, split
        // at every offset.
        let data = file(200);
        let b64 = STANDARD.encode(&data);
        let wrapped: Vec<String> = b64.as_bytes().chunks(76).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
        let text = format!("data:image/png;base64,{}", wrapped.join("\r\n"));
        let escaped = text.replace('/', "\\/").replace('=', "\\u003d").replace("\r\n", "\\r\\n");
        let body = format!(r#"{{"a": [1, "x"], "file_data": "{escaped}\n", "b": 2}}"#);
        let whole = scan_in(body.as_bytes(), usize::MAX, MAX).unwrap();
        assert_eq!(whole.1, data);
        for chunk in 1..body.len() {
            let (scanned, out) = scan_in(body.as_bytes(), chunk, MAX).unwrap();
            assert_eq!(out, data, "chunk {chunk}");
            assert_eq!(scanned.params, whole.0.params, "chunk {chunk}");
        }
    }

    #[test]
    fn whitespace_and_escaped_line_breaks_are_skipped() {
        let (_, out) = scan(r#"{"file_data": "aGVs\nbG8g\r\nd29y bGQ=\t"}"#).unwrap();
        assert_eq!(out, b"hello world");
        let (_, out) = scan("{\"file_data\":\"aGVs\\nbG8=\"}").unwrap();
        assert_eq!(out, b"hello");
        let (_, out) = scan(r#"{"file_data": "data:application/pdf;name=a.pdf;base64,aGk="}"#).unwrap();
        assert_eq!(out, b"hi");
    }

    #[test]
    fn large_files_are_decoded_block_by_block() {
        let data = file(200_000); // several decode blocks
        let body = format!(r#"{{"file_data": "{}"}}"#, STANDARD.encode(&data));
        assert_eq!(scan_in(body.as_bytes(), 4093, MAX).unwrap().1, data);
    }

    #[test]
    fn invalid_base64_is_refused() {
        for bad in ["!!!not base64", "aGVsbG8", "aGk=aGk=", "aGk==", "aG=k", "aGVsbG8gd29ybGQ=x", "é", "aGj="] {
            let body = format!(r#"{{"file_data": "{bad}"}}"#);
            assert_eq!(scan(&body).unwrap_err(), BodyError::InvalidBase64, "{bad}");
        }
        // Padding then more data across a decode block boundary.
        let body = format!(r#"{{"file_data": "{}aGk=aGk="}}"#, "A".repeat(DECODE_BLOCK - 4));
        assert_eq!(scan(&body).unwrap_err(), BodyError::InvalidBase64);
    }

    #[test]
    fn too_large_is_refused_as_such() {
        let max = 3 * DECODE_BLOCK as u64; // several blocks
        let at = |n: usize| format!(r#"{{"file_data": "{}"}}"#, STANDARD.encode(file(n)));
        assert_eq!(scan_in(at(max as usize).as_bytes(), 1000, max).unwrap().1.len(), max as usize);
        assert_eq!(scan_in(at(max as usize + 1).as_bytes(), 1000, max).unwrap_err(), BodyError::FileTooLarge);
        assert_eq!(scan_in(at(10 * max as usize).as_bytes(), 1000, max).unwrap_err(), BodyError::FileTooLarge);
        let big_other = format!(r#"{{"file_name": "{}"}}"#, "a".repeat(MAX_OTHER_MEMBERS_BYTES));
        assert_eq!(scan(&big_other).unwrap_err(), BodyError::OtherMembersTooLarge);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert_eq!(scan(r#"{"file_data": "aGk=", "file_data": "aGk="}"#).unwrap_err(), BodyError::DuplicateKey("file_data".into()));
        assert_eq!(scan(r#"{"a": 1, "\u0061": 2}"#).unwrap_err(), BodyError::DuplicateKey("a".into()));
        assert_eq!(scan(r#"{"file_data": null, "file_data": "aGk="}"#).unwrap_err(), BodyError::DuplicateKey("file_data".into()));
    }

    #[test]
    fn non_string_file_data_is_an_ordinary_member() {
        // Left for serde to refuse (or to treat `null` as absent), as before.
        let (scanned, out) = scan(r#"{"file_data": 7, "x": "y"}"#).unwrap();
        assert!(scanned.file_data == FileData::Absent && out.is_empty());
        assert_eq!(scanned.params["file_data"], json!(7));
        let (scanned, _) = scan(r#"{"file_data": null}"#).unwrap();
        assert_eq!(scanned.params["file_data"], Value::Null);
    }

    #[test]
    fn malformed_json_is_refused() {
        for bad in [
            "",
            "   ",
            "[]",
            "{",
            "{not json",
            r#"{"a" 1}"#,
            r#"{"a": 1,}"#,
            r#"{"a": 1} x"#,
            r#"{"a": tru}"#,
            r#"{"a": 1 2}"#,
            r#"{"file_data": "aGk="#,
            r#"{"file_data": "a\qGk="}"#,
            "{\"file_data\": \"aG\u{1}k=\"}",
            r#"{"file_data": "\ud800"}"#,
            r#"{"file_data": "\udc00"}"#,
            r#"{"a": [1, 2}"#,
            r#"{"a": 01}"#,
        ] {
            assert!(matches!(scan(bad), Err(BodyError::Json(_))), "{bad:?}: {:?}", scan(bad).map(|s| s.0));
        }
        assert_eq!(scan("{}").unwrap().0.params, Map::new());
        let (scanned, _) = scan(r#"{"n": 5}"#).unwrap();
        assert_eq!(scanned.params["n"], json!(5));
    }

    #[test]
    fn surrogate_pairs_are_unescaped_then_refused_as_base64() {
        assert_eq!(scan(r#"{"file_data": "\ud83d\ude00"}"#).unwrap_err(), BodyError::InvalidBase64);
    }

    #[test]
    fn the_signature_covers_the_streamed_file_data() {
        let secret = "vcs_secret";
        let now = 1_700_000_000_000i64;
        let ts = now.to_string();
        // Signed over the unescaped text: "image/png", a line break.
        let body = r#"{"file_name": "r.png", "file_data": "data:image\/png;base64,aGVs\nbG8=", "async": true, "tags": ["x"]}"#;
        let params: Map<String, Value> = serde_json::from_str(body).unwrap();
        let presented = sign(secret, &signature_payload_python(&params, &ts).unwrap());
        let check_with = |body: &str, chunk: usize| {
            let mut scanner = VeryfiBodyScanner::new(MAX, Some(RequestSignature::start(secret, &ts, now).unwrap()));
            let mut out = Vec::new();
            for part in body.as_bytes().chunks(chunk) {
                scanner.feed(part, &mut out).unwrap();
            }
            let (_, check) = scanner.finish(&mut out).unwrap();
            assert_eq!(out, b"hello");
            check.unwrap().verify(&presented)
        };
        for chunk in [1, 3, 7, body.len()] {
            check_with(body, chunk).unwrap();
        }
        // A file_data that decodes alike but reads differently no longer matches.
        assert!(check_with(&body.replace("aGVs\\n", "aGVs"), 5).is_err());
        // Invalid base64 is still signed to the end (the caller checks the
        // signature before reporting the file).
        let bad = r#"{"file_data": "!!aGk=", "n": 1}"#;
        let params: Map<String, Value> = serde_json::from_str(bad).unwrap();
        let mut scanner = VeryfiBodyScanner::new(MAX, Some(RequestSignature::start(secret, &ts, now).unwrap()));
        scanner.feed(bad.as_bytes(), &mut Vec::new()).unwrap();
        let (scanned, check) = scanner.finish(&mut Vec::new()).unwrap();
        assert_eq!(scanned.file_data, FileData::Refused(BodyError::InvalidBase64));
        check.unwrap().verify(&sign(secret, &signature_payload_python(&params, &ts).unwrap())).unwrap();
    }
}
