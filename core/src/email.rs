//! E-mail in: the rules of the inbound collector (Veryfi's "Webhook for
//! Email collector"), without I/O so they are unit-tested natively. The
//! worker's `email` handler (edge-worker `inbox`) applies them in order:
//!
//! 1. [`InboundAddress::parse`]: the recipient names the organisation, the
//!    profile and optionally the document type:
//!    `{orgId}[.sandbox][+{documentType}]@{EMAIL_DOMAIN}`;
//! 2. [`SenderAllowlist::allows`]: the envelope sender must be on the
//!    profile's allowlist (an exact address or a whole `@domain`); an empty
//!    list accepts nobody;
//! 3. [`read_message`]: every PDF or image attachment, inline image and
//!    attachment of a forwarded message (`message/rfc822`) becomes a
//!    document, recognised by its magic bytes as uploads are; other parts
//!    (bodies, signatures, office files) are skipped and named;
//! 4. [`document_type_for`]: the address's type, else the first word of the
//!    subject that names a type, else `receipt`.
//!
//! Every refusal is a [`MailRejection`], whose text is the reason the
//! handler gives the sending server (a permanent SMTP rejection).

use crate::filetype::{FileKind, MAX_FILE_BYTES};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use std::fmt;

/// Cloudflare Email Routing accepts messages up to 25 MiB.
pub const MAX_MESSAGE_BYTES: u64 = 25 * 1024 * 1024;
/// Documents one message may create.
pub const MAX_DOCUMENTS_PER_MESSAGE: usize = 10;
/// Entries in one allowlist.
pub const MAX_ALLOWED_SENDERS: usize = 100;
/// The type of a document whose address and subject name none.
pub const DEFAULT_DOCUMENT_TYPE: &str = "receipt";
/// Forwarded messages inside forwarded messages are read this deep.
const MAX_NESTING: usize = 3;

/// Why a message was not accepted: the reason returned to the sending server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailRejection {
    UnknownRecipient,
    UnknownDocumentType {
        name: String,
        available: Vec<String>,
    },
    SenderNotAllowed,
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    Unparseable,
    NoDocument {
        skipped: Vec<String>,
    },
    TooManyDocuments {
        found: usize,
    },
    AttachmentTooLarge {
        name: String,
    },
    /// The admission refused it (credits, rate limit, plan): the API's error text.
    Refused {
        code: String,
        message: String,
    },
}

impl fmt::Display for MailRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailRejection::UnknownRecipient => write!(f, "Unknown recipient address"),
            MailRejection::UnknownDocumentType { name, available } => {
                write!(f, "Unknown document type {name:?} in the address; available: {}", available.join(", "))
            }
            MailRejection::SenderNotAllowed => write!(f, "Sender not allowed for this address"),
            MailRejection::TooLarge { bytes, limit } => write!(f, "Message too large ({bytes} bytes; the limit is {limit} bytes)"),
            MailRejection::Unparseable => write!(f, "The message could not be parsed as MIME"),
            MailRejection::NoDocument { skipped } if skipped.is_empty() => write!(f, "No PDF or image attachment"),
            MailRejection::NoDocument { skipped } => write!(f, "No PDF or image attachment (skipped: {})", skipped.join(", ")),
            MailRejection::TooManyDocuments { found } => {
                write!(f, "Too many documents in one message ({found}; at most {MAX_DOCUMENTS_PER_MESSAGE})")
            }
            MailRejection::AttachmentTooLarge { name } => write!(f, "Attachment {name:?} exceeds the 50MB file limit"),
            MailRejection::Refused { code, message } => write!(f, "{code}: {message}"),
        }
    }
}

/// Which inbox a recipient address names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundAddress {
    pub org_id: String,
    /// The sandbox profile's inbox (`{orgId}.sandbox@...`), else live.
    pub sandbox: bool,
    /// The `+{type}` tag, lower-cased, if any.
    pub document_type: Option<String>,
}

impl InboundAddress {
    /// Parses `recipient` (case-insensitive) for `domain`. `None` for any
    /// other domain or a local part that names no organisation.
    pub fn parse(recipient: &str, domain: &str) -> Option<InboundAddress> {
        let recipient = recipient.trim().trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();
        let (local, at_domain) = recipient.rsplit_once('@')?;
        if domain.is_empty() || !at_domain.eq_ignore_ascii_case(domain) {
            return None;
        }
        let (mailbox, tag) = match local.split_once('+') {
            Some((m, t)) => (m, Some(t)),
            None => (local, None),
        };
        let (org_id, sandbox) = match mailbox.strip_suffix(".sandbox") {
            Some(org) => (org, true),
            None => (mailbox, false),
        };
        let valid_org = org_id
            .strip_prefix("org_")
            .is_some_and(|t| (8..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        if !valid_org {
            return None;
        }
        let document_type = match tag {
            None => None,
            Some(t) if !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
                Some(t.to_string())
            }
            Some(_) => return None,
        };
        Some(InboundAddress { org_id: org_id.to_string(), sandbox, document_type })
    }

    /// The address of an inbox, optionally tagged with a document type.
    pub fn format(org_id: &str, sandbox: bool, document_type: Option<&str>, domain: &str) -> String {
        let profile = if sandbox { ".sandbox" } else { "" };
        let tag = document_type.map(|t| format!("+{t}")).unwrap_or_default();
        format!("{org_id}{profile}{tag}@{domain}")
    }
}

/// Who may send documents to an inbox: exact addresses and whole domains
/// (`@example.com`, which does not include its subdomains), compared
/// case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SenderAllowlist {
    entries: Vec<String>,
}

impl SenderAllowlist {
    /// Validates and normalises (lower case, duplicates dropped) an allowlist.
    pub fn parse(entries: &[String]) -> Result<SenderAllowlist, String> {
        if entries.len() > MAX_ALLOWED_SENDERS {
            return Err(format!("allowedSenders has {} entries; at most {MAX_ALLOWED_SENDERS}", entries.len()));
        }
        let mut out: Vec<String> = Vec::new();
        for e in entries {
            let e = e.trim().to_ascii_lowercase();
            if !valid_sender_rule(&e) {
                return Err(format!("allowedSenders: {e:?} is neither an e-mail address nor an @domain"));
            }
            if !out.contains(&e) {
                out.push(e);
            }
        }
        Ok(SenderAllowlist { entries: out })
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Is the envelope sender `from` allowed?
    pub fn allows(&self, from: &str) -> bool {
        let from = from.trim().trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();
        let Some((_, domain)) = from.rsplit_once('@') else { return false };
        self.entries.iter().any(|e| match e.strip_prefix('@') {
            Some(d) => d == domain,
            None => *e == from,
        })
    }
}

/// `user@example.com` or `@example.com`: printable ASCII without spaces,
/// one `@`, a dotted domain.
fn valid_sender_rule(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    let printable = |s: &str| s.bytes().all(|b| b.is_ascii_graphic() && b != b'@' && b != b'<' && b != b'>' && b != b',');
    e.len() <= 254
        && printable(local)
        && printable(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// One file found in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailDocument {
    /// The attachment's name, or `attachment-{n}.{ext}` when it has none.
    pub file_name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// What a message brings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailContents {
    pub subject: String,
    /// `Message-ID` without angle brackets, if present (idempotency of redeliveries).
    pub message_id: Option<String>,
    pub documents: Vec<MailDocument>,
    /// Parts that were not documents, by name or type (shown in the rejection when none is).
    pub skipped: Vec<String>,
}

/// Reads a raw RFC 5322 message of at most `max_bytes` (at most
/// [`MAX_MESSAGE_BYTES`]): its subject, id and every document in it.
pub fn read_message(raw: &[u8], max_bytes: u64) -> Result<MailContents, MailRejection> {
    if raw.len() as u64 > max_bytes.min(MAX_MESSAGE_BYTES) {
        return Err(MailRejection::TooLarge { bytes: raw.len() as u64, limit: max_bytes.min(MAX_MESSAGE_BYTES) });
    }
    let message = MessageParser::default().parse(raw).ok_or(MailRejection::Unparseable)?;
    if message.parts.is_empty() || message.root_part().headers.is_empty() {
        return Err(MailRejection::Unparseable);
    }
    let mut contents = MailContents {
        subject: message.subject().unwrap_or("").to_string(),
        message_id: message.message_id().map(|s| s.trim_matches(['<', '>']).to_string()),
        documents: Vec::new(),
        skipped: Vec::new(),
    };
    collect(&message, 0, &mut contents)?;
    if contents.documents.is_empty() {
        return Err(MailRejection::NoDocument { skipped: contents.skipped });
    }
    if contents.documents.len() > MAX_DOCUMENTS_PER_MESSAGE {
        return Err(MailRejection::TooManyDocuments { found: contents.documents.len() });
    }
    Ok(contents)
}

fn collect(message: &Message<'_>, depth: usize, out: &mut MailContents) -> Result<(), MailRejection> {
    for part in message.attachments() {
        if let PartType::Message(nested) = &part.body {
            if depth < MAX_NESTING {
                collect(nested, depth + 1, out)?;
            }
            continue;
        }
        let name = part.attachment_name().map(str::to_string);
        let bytes = part.contents();
        let label = || {
            name.clone().unwrap_or_else(|| {
                part.content_type().map_or("unnamed part".into(), |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_string(),
                })
            })
        };
        // Text parts (bodies, `.txt` attachments) are never documents.
        if matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
            out.skipped.push(label());
            continue;
        }
        match FileKind::detect(bytes) {
            Ok(kind) => {
                if bytes.len() as u64 > MAX_FILE_BYTES {
                    return Err(MailRejection::AttachmentTooLarge { name: label() });
                }
                let n = out.documents.len() + 1;
                let file_name = name.unwrap_or_else(|| format!("attachment-{n}.{}", kind.extension()));
                out.documents.push(MailDocument { file_name, kind, bytes: bytes.to_vec() });
            }
            Err(_) => out.skipped.push(label()),
        }
    }
    Ok(())
}

/// The document type of a message's documents: the address's tag, else the
/// first word of `subject` that is one of `available` (so "Invoice 2024-113"
/// is an invoice), else [`DEFAULT_DOCUMENT_TYPE`]. A tag that names no type
/// rejects the message.
pub fn document_type_for(address: &InboundAddress, subject: &str, available: &[String]) -> Result<String, MailRejection> {
    let known = |t: &str| available.iter().find(|a| a.eq_ignore_ascii_case(t)).cloned();
    if let Some(tag) = &address.document_type {
        return known(tag).ok_or_else(|| MailRejection::UnknownDocumentType { name: tag.clone(), available: available.to_vec() });
    }
    let from_subject = subject.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_').filter(|w| !w.is_empty()).find_map(known);
    Ok(from_subject.unwrap_or_else(|| DEFAULT_DOCUMENT_TYPE.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "in.folio.example";
    const ORG: &str = "org_abcdefgh1234";

    fn types() -> Vec<String> {
        ["invoice", "receipt", "generic"].map(String::from).to_vec()
    }

    #[test]
    fn addresses_name_org_profile_and_type() {
        let a = InboundAddress::parse(&format!("{ORG}@{DOMAIN}"), DOMAIN).unwrap();
        assert_eq!((a.org_id.as_str(), a.sandbox, a.document_type), (ORG, false, None));
        let a = InboundAddress::parse(&format!("<{}.SANDBOX+Invoice@In.Folio.Example>", ORG.to_uppercase()), DOMAIN).unwrap();
        assert_eq!((a.org_id.as_str(), a.sandbox, a.document_type.as_deref()), (ORG, true, Some("invoice")));
        assert_eq!(InboundAddress::format(ORG, true, Some("invoice"), DOMAIN), format!("{ORG}.sandbox+invoice@{DOMAIN}"));
        for bad in [
            format!("{ORG}@other.example"),
            format!("{ORG}@{DOMAIN}.evil"),
            format!("org_short@{DOMAIN}"),
            format!("someone@{DOMAIN}"),
            format!("{ORG}+@{DOMAIN}"),
            format!("{ORG}+a b@{DOMAIN}"),
            format!("{ORG}.live@{DOMAIN}"),
            "no-at-sign".to_string(),
        ] {
            assert_eq!(InboundAddress::parse(&bad, DOMAIN), None, "{bad}");
        }
        assert_eq!(InboundAddress::parse(&format!("{ORG}@"), ""), None);
    }

    #[test]
    fn allowlist_matches_addresses_and_whole_domains_only() {
        let list = SenderAllowlist::parse(&["Ann@Example.com".into(), "@corp.example".into(), "ann@example.com".into()]).unwrap();
        assert_eq!(list.entries(), ["ann@example.com", "@corp.example"]);
        assert!(list.allows("ANN@example.com"));
        assert!(list.allows("<bob@corp.example>"));
        assert!(!list.allows("bob@example.com"));
        assert!(!list.allows("bob@sub.corp.example"));
        assert!(!list.allows("bob@evilcorp.example"));
        assert!(!list.allows("corp.example"));
        assert!(!SenderAllowlist::default().allows("ann@example.com"));
        for bad in ["", "ann", "ann@", "@", "@localhost", "a b@example.com", "ann@exa_mple.com", "ann@.example.com"] {
            assert!(SenderAllowlist::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..=MAX_ALLOWED_SENDERS).map(|i| format!("u{i}@example.com")).collect();
        assert!(SenderAllowlist::parse(&many).is_err());
    }

    #[test]
    fn document_type_from_tag_subject_or_default() {
        let plain = InboundAddress { org_id: ORG.into(), sandbox: false, document_type: None };
        assert_eq!(document_type_for(&plain, "Fwd: Invoice 2024-113", &types()).unwrap(), "invoice");
        assert_eq!(document_type_for(&plain, "Lunch with the team", &types()).unwrap(), "receipt");
        assert_eq!(document_type_for(&plain, "Re: invoices", &types()).unwrap(), "receipt");
        let tagged = InboundAddress { document_type: Some("generic".into()), ..plain.clone() };
        assert_eq!(document_type_for(&tagged, "Invoice", &types()).unwrap(), "generic");
        let unknown = InboundAddress { document_type: Some("passport".into()), ..plain };
        assert!(matches!(document_type_for(&unknown, "", &types()), Err(MailRejection::UnknownDocumentType { .. })));
    }

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x00\0\0\0";

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn message(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut m = String::from(
            "From: Ann <ann@example.com>\r\nTo: x@in.folio.example\r\nSubject: Invoice March\r\nMessage-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n",
        );
        for (ctype, disposition, bytes) in parts {
            m.push_str(&format!(
                "--B\r\nContent-Type: {ctype}\r\nContent-Disposition: {disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                b64(bytes)
            ));
        }
        m.push_str("--B--\r\n");
        m.into_bytes()
    }

    #[test]
    fn reads_pdf_and_image_attachments_by_magic_bytes() {
        let raw = message(&[
            ("application/pdf; name=\"a.pdf\"", "attachment; filename=\"a.pdf\"", PDF),
            ("application/octet-stream", "inline", PNG),
            ("application/pdf", "attachment; filename=\"fake.pdf\"", b"not a pdf at all"),
        ]);
        let c = read_message(&raw, MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(c.subject, "Invoice March");
        assert_eq!(c.message_id.as_deref(), Some("m1@example.com"));
        let got: Vec<(&str, FileKind, usize)> = c.documents.iter().map(|d| (d.file_name.as_str(), d.kind, d.bytes.len())).collect();
        assert_eq!(got, vec![("a.pdf", FileKind::Pdf, PDF.len()), ("attachment-2.png", FileKind::Png, PNG.len())]);
        assert_eq!(c.skipped, vec!["fake.pdf".to_string()]);
    }

    #[test]
    fn forwarded_messages_are_read_too() {
        let inner = String::from_utf8(message(&[("image/png", "attachment; filename=\"r.png\"", PNG)])).unwrap();
        let outer = format!(
            "From: b@example.com\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"O\"\r\n\r\n--O\r\nContent-Type: text/plain\r\n\r\nFYI\r\n--O\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--O--\r\n"
        );
        let c = read_message(outer.as_bytes(), MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(c.documents.len(), 1);
        assert_eq!(c.documents[0].file_name, "r.png");
    }

    #[test]
    fn rejections_name_the_reason() {
        let text_only = message(&[("text/plain", "attachment; filename=\"notes.txt\"", b"hello")]);
        let err = read_message(&text_only, MAX_MESSAGE_BYTES).unwrap_err();
        assert_eq!(err, MailRejection::NoDocument { skipped: vec!["notes.txt".into()] });
        assert_eq!(err.to_string(), "No PDF or image attachment (skipped: notes.txt)");
        assert_eq!(read_message(b"", MAX_MESSAGE_BYTES).unwrap_err(), MailRejection::Unparseable);
        assert_eq!(read_message(&text_only, 10).unwrap_err(), MailRejection::TooLarge { bytes: text_only.len() as u64, limit: 10 });
        let many: Vec<(&str, &str, &[u8])> = (0..=MAX_DOCUMENTS_PER_MESSAGE).map(|_| ("image/png", "attachment", PNG)).collect();
        assert_eq!(
            read_message(&message(&many), MAX_MESSAGE_BYTES).unwrap_err(),
            MailRejection::TooManyDocuments { found: MAX_DOCUMENTS_PER_MESSAGE + 1 }
        );
    }
}
