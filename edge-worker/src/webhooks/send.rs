//! One attempt of one delivery: guard the URL, sign, POST, read the start of
//! the answer. Everything that can go wrong ends up as an
//! [`AttemptOutcome`]; this function never fails.
//!
//! - SSRF: the URL is checked again before every attempt
//!   ([`check_public_url`]), so a setting changed since submission (e.g.
//!   `ALLOW_LOOPBACK_WEBHOOKS` turned off) takes effect, and a refused URL
//!   stops the delivery instead of being retried.
//! - Redirects are not followed (`redirect: "manual"`): a 3xx is the
//!   receiver's answer, and under the DocuRift profile a failure.
//! - Timeouts: Workers' `fetch` has no connect timeout, only an
//!   `AbortSignal`. One signal bounds the whole attempt (connect, response
//!   headers and the part of the body we read) by the profile's
//!   connect + response allowance: 30 s for DocuRift, 3 s + 20 s = 23 s for
//!   Veryfi. A Veryfi receiver that takes 10 s to accept the connection and
//!   answers 5 s later therefore succeeds here, where a separate 3 s connect
//!   timeout would have failed it.

use super::outbox::StoredDelivery;
use crate::account::SigningKeys as OrgKeys;
use crate::http::now_ms;
use folio_core::url_guard::check_public_url;
use folio_core::webhook::delivery::RESPONSE_SNIPPET_BYTES;
use folio_core::webhook::{AttemptOutcome, SigningKeys, attempt_headers};
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use std::time::Duration;
use wasm_bindgen::JsCast;
use worker::js_sys::Uint8Array;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response, ResponseBody};

/// What one attempt produced: the outcome and, when the receiver answered,
/// the first bytes of its body (enough for the log's snippet and its
/// "truncated" flag).
pub struct Sent {
    pub outcome: AttemptOutcome,
    pub body: Option<Vec<u8>>,
}

/// Bytes read from a response: the log keeps [`RESPONSE_SNIPPET_BYTES`]; a
/// few more tell whether it was cut and let the snippet back off a split
/// UTF-8 character.
const READ_LIMIT: usize = RESPONSE_SNIPPET_BYTES + 4;

/// Sends attempt number `attempt` of `d`.
/// `org_keys`: the organisation's default secrets, for deliveries signed with them.
pub async fn send_attempt(d: &StoredDelivery, attempt: u32, allow_loopback: bool, org_keys: Option<&OrgKeys>) -> Sent {
    let delivery = &d.delivery;
    if let Err(refusal) = check_public_url(&delivery.url, allow_loopback) {
        return Sent { outcome: AttemptOutcome::Blocked { reason: refusal.message().to_string() }, body: None };
    }
    let keys = match (d.org_signing, org_keys) {
        (false, _) => SigningKeys::one(d.secret.as_deref()),
        (true, Some(k)) => SigningKeys { current: Some(&k.current), retiring: k.retiring.as_deref() },
        // Never unsigned: the attempt fails and is retried.
        (true, None) => {
            return Sent {
                outcome: AttemptOutcome::ConnectionError { message: "the organisation's signing secret could not be read".into() },
                body: None,
            };
        }
    };
    let headers = match attempt_headers(&delivery.event, keys, &delivery.delivery_id, attempt, now_ms()) {
        Ok(h) => h,
        // Only a stored delivery that cannot be signed gets here (a Veryfi
        // delivery without its client secret): retrying cannot help.
        Err(e) => return Sent { outcome: AttemptOutcome::Blocked { reason: e.message }, body: None },
    };
    let request = match build_request(&delivery.url, &headers, &delivery.event.body) {
        Ok(r) => r,
        Err(e) => return Sent { outcome: AttemptOutcome::Blocked { reason: format!("invalid request: {e}") }, body: None },
    };
    let deadline_ms = delivery.event.profile.rules().attempt_deadline_ms();
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut resp = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = resp.status_code();
        let retry_after = resp.headers().get("retry-after").ok().flatten();
        let body = read_head(&mut resp).await;
        Ok::<_, worker::Error>((status, retry_after, body))
    };
    let timeout = Delay::from(Duration::from_millis(deadline_ms));
    match select(Box::pin(exchange), timeout).await {
        Either::Left((Ok((status, retry_after, body)), _)) => {
            // Stop reading whatever else the receiver streams.
            controller.abort();
            Sent { outcome: AttemptOutcome::Response { status, retry_after }, body: Some(body) }
        }
        Either::Left((Err(e), _)) => Sent { outcome: AttemptOutcome::ConnectionError { message: short_error(&e.to_string()) }, body: None },
        Either::Right(((), _)) => {
            controller.abort();
            Sent { outcome: AttemptOutcome::Timeout, body: None }
        }
    }
}

/// The first [`READ_LIMIT`] bytes of a response body, never more: a BYOB
/// reader fills a buffer of that size, so a receiver answering megabytes
/// costs no more memory than one answering a line. The status is what
/// counts; a body cut short is logged as far as it came.
async fn read_head(resp: &mut Response) -> Vec<u8> {
    let ResponseBody::Stream(raw) = resp.body() else { return Vec::new() };
    let wrap = || wasm_streams::ReadableStream::from_raw(raw.clone().unchecked_into());
    let mut head = vec![0u8; READ_LIMIT];
    let mut filled = 0;
    let mut stream = wrap();
    if let Ok(mut reader) = stream.try_get_byob_reader() {
        while filled < READ_LIMIT {
            match reader.read(&mut head[filled..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => filled += n,
            }
        }
    } else if let Ok(reader) = wrap().try_get_reader() {
        // Not a byte stream (not seen from `fetch`): chunk by chunk, copying
        // into wasm only what fits.
        let mut chunks = reader.into_stream();
        while filled < READ_LIMIT {
            let Some(Ok(chunk)) = chunks.next().await else { break };
            let chunk: Uint8Array = chunk.unchecked_into();
            let take = (chunk.length() as usize).min(READ_LIMIT - filled);
            chunk.subarray(0, take as u32).copy_to(&mut head[filled..filled + take]);
            filled += take;
        }
    }
    head.truncate(filled);
    head
}

fn build_request(url: &str, headers: &[(&'static str, String)], body: &str) -> worker::Result<Request> {
    let h = Headers::new();
    for (name, value) in headers {
        h.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(h).with_redirect(RequestRedirect::Manual).with_body(Some(body.into()));
    Request::new_with_init(url, &init)
}

/// Runtime errors can be long (stack traces); the log keeps a line.
fn short_error(e: &str) -> String {
    let line = e.lines().next().unwrap_or("").trim();
    line.chars().take(300).collect()
}
