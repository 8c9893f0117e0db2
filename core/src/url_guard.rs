//! Which outbound URLs Folio may call: webhook targets (checked at submission
//! and again at delivery) and Veryfi `file_url` downloads. The DocuRift spec:
//! "Webhook URL must be HTTPS and publicly accessible".
//!
//! Rules: `https` only; no credentials in the URL; the host is a public DNS
//! name (at least one dot, not `localhost`, `*.localhost`, `*.internal`,
//! `*.local`) or a public IP literal (not loopback, private, link-local,
//! cloud metadata, CGNAT, unspecified, multicast, broadcast or reserved).
//! With `allow_loopback` (local development and tests only) `http` or `https`
//! to `localhost` / `127.0.0.0/8` / `[::1]` is accepted as well.
//!
//! A DNS name that resolves to a private address cannot be caught here (no
//! I/O in core); on Cloudflare outbound fetches cannot reach private networks
//! anyway.

use crate::error::{ApiError, ErrorCode};
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL was refused; [`UrlRefusal::message`] is user-facing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlRefusal {
    Malformed,
    TooLong,
    NotHttps,
    Credentials,
    NotPublic,
}

impl UrlRefusal {
    pub fn message(&self) -> &'static str {
        match self {
            UrlRefusal::Malformed => "URL is not a valid absolute URL",
            UrlRefusal::TooLong => "URL is longer than 2048 characters",
            UrlRefusal::NotHttps => "URL must use HTTPS",
            UrlRefusal::Credentials => "URL must not contain a user name or password",
            UrlRefusal::NotPublic => "URL must point to a publicly accessible host",
        }
    }
}

/// Checks an outbound URL; returns it normalised.
pub fn check_public_url(raw: &str, allow_loopback: bool) -> Result<Url, UrlRefusal> {
    if raw.len() > MAX_URL_LEN {
        return Err(UrlRefusal::TooLong);
    }
    let url = Url::parse(raw.trim()).map_err(|_| UrlRefusal::Malformed)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    let host = url.host().ok_or(UrlRefusal::Malformed)?;
    let loopback = is_loopback_host(&host);
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && loopback => {}
        _ => return Err(UrlRefusal::NotHttps),
    }
    if loopback {
        return if allow_loopback { Ok(url) } else { Err(UrlRefusal::NotPublic) };
    }
    let public = match &host {
        Host::Domain(d) => is_public_domain(d),
        Host::Ipv4(ip) => is_public_ipv4(*ip),
        Host::Ipv6(ip) => is_public_ipv6(*ip),
    };
    if public { Ok(url) } else { Err(UrlRefusal::NotPublic) }
}

/// [`check_public_url`] for a submission's `webhookUrl`, with the spec's error.
pub fn validate_webhook_url(raw: &str, allow_loopback: bool) -> Result<String, ApiError> {
    check_public_url(raw, allow_loopback).map(|u| u.to_string()).map_err(|r| {
        ApiError::new(ErrorCode::InvalidWebhookUrl, format!("Webhook URL must be HTTPS and publicly accessible ({})", r.message()))
    })
}

fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
        }
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

fn is_public_domain(d: &str) -> bool {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    let blocked_suffix = [".localhost", ".internal", ".local", ".localdomain", ".home.arpa"];
    !d.is_empty() && d.contains('.') && d != "localhost" && !blocked_suffix.iter().any(|s| d.ends_with(s))
}

fn is_public_ipv4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, includes the 169.254.169.254 metadata service
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_ipv6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_ipv4(v4);
    }
    let seg0 = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg0 & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg0 & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside some networks)
        || (seg0 == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (seg0 == 0x2001 && ip.segments()[1] == 0x0000) // Teredo 2001::/32: tunnels to an embedded IPv4
        || seg0 == 0x2002 // 6to4 2002::/16: tunnels to an embedded IPv4
        || (seg0 == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 64:ff9b::/96 and 64:ff9b:1::/48, to possibly private v4
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]) // deprecated IPv4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_public_https() {
        for ok in [
            "https://your-app.com/webhooks/docurift",
            "https://hooks.example.org:8443/x?y=1",
            "https://8.8.8.8/hook",
            "https://[2606:4700::1111]/hook",
            "https://[2001:4860:4860::8888]/hook", // 2001:4860::/32 is not Teredo's 2001::/32
        ] {
            assert!(check_public_url(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_non_https_and_credentials() {
        assert_eq!(check_public_url("http://example.com/h", false), Err(UrlRefusal::NotHttps));
        assert_eq!(check_public_url("ftp://example.com/h", false), Err(UrlRefusal::NotHttps));
        assert_eq!(check_public_url("https://u:p@example.com/h", false), Err(UrlRefusal::Credentials));
        assert_eq!(check_public_url("not a url", false), Err(UrlRefusal::Malformed));
        assert_eq!(check_public_url("/relative", false), Err(UrlRefusal::Malformed));
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_public_url(&long, false), Err(UrlRefusal::TooLong));
    }

    #[test]
    fn refuses_private_hosts() {
        for bad in [
            "https://localhost/h",
            "https://LOCALHOST./h",
            "https://api.localhost/h",
            "https://metadata.google.internal/computeMetadata",
            "https://printer.local/h",
            "https://intranet/h",
            "https://127.0.0.1/h",
            "https://127.1.2.3/h",
            "https://2130706433/h", // 127.0.0.1 as a decimal literal
            "https://0x7f000001/h",
            "https://10.0.0.5/h",
            "https://172.16.3.4/h",
            "https://192.168.1.1/h",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/h",
            "https://0.0.0.0/h",
            "https://255.255.255.255/h",
            "https://224.0.0.1/h",
            "https://[::1]/h",
            "https://[::]/h",
            "https://[fd00::1]/h",
            "https://[fe80::1]/h",
            "https://[::ffff:127.0.0.1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://[2002:7f00:1::1]/h",      // 6to4 of 127.0.0.1
            "https://[2002:c0a8:101::1]/h",    // 6to4 of 192.168.1.1
            "https://[2001:0:4136:e378::1]/h", // Teredo
            "https://[64:ff9b::a00:1]/h",      // NAT64 of 10.0.0.1
            "https://[64:ff9b:1::a00:1]/h",    // local-use NAT64
            "https://[fec0::1]/h",             // site-local
            "https://[feff::1]/h",             // site-local, top of the range
        ] {
            assert_eq!(check_public_url(bad, false), Err(UrlRefusal::NotPublic), "{bad}");
        }
    }

    #[test]
    fn loopback_only_when_allowed() {
        assert_eq!(check_public_url("http://127.0.0.1:9000/h", false), Err(UrlRefusal::NotHttps));
        assert!(check_public_url("http://127.0.0.1:9000/h", true).is_ok());
        assert!(check_public_url("http://localhost:9000/h", true).is_ok());
        assert!(check_public_url("https://[::1]:9000/h", true).is_ok());
        // The flag opens loopback only, not the rest of the private space.
        assert_eq!(check_public_url("http://10.0.0.1/h", true), Err(UrlRefusal::NotHttps));
        assert_eq!(check_public_url("https://192.168.0.1/h", true), Err(UrlRefusal::NotPublic));
    }

    #[test]
    fn webhook_error_uses_the_spec_code() {
        let e = validate_webhook_url("http://example.com", false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidWebhookUrl);
        assert!(e.message.starts_with("Webhook URL must be HTTPS and publicly accessible"));
    }
}
