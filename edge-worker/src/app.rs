//! `GET /app`: the review page, a small static web app (plain HTML, CSS and
//! JavaScript in `edge-worker/app/`) compiled into the worker with
//! `include_str!`, so `wrangler dev` and a deployment serve exactly the
//! same bytes with no extra build step, asset binding or CDN. The app talks
//! to the public API with the key the user enters (kept in the tab's
//! `sessionStorage`, sent as `X-API-Key`, never in a URL).
//!
//! Every answer carries a Content-Security-Policy that allows nothing but
//! this origin (and `blob:` images: page images are fetched with the key and
//! shown from object URLs), so the page can make no external request.

use crate::http::{ApiResult, fail, header};
use folio_core::ErrorCode;
use sha2::{Digest, Sha256};
use worker::{Headers, Request, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "index.html", content_type: "text/html; charset=utf-8", body: include_str!("../app/index.html") },
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", body: include_str!("../app/app.css") },
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", body: include_str!("../app/app.js") },
];

/// No external origin anywhere: scripts and styles from this origin only (no
/// inline code), API calls to this origin, images from it or from object URLs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET|HEAD /app`, `/app/` (the page) and `/app/{asset}`.
pub fn serve(req: &Request, name: Option<&str>) -> ApiResult {
    let name = match name {
        None | Some("") => "index.html",
        Some(n) => n,
    };
    let asset = ASSETS.iter().find(|a| a.name == name).ok_or_else(|| fail(ErrorCode::NotFound, "No such file in /app"))?;
    // A strong validator from the bytes: a new build is fetched at once, an
    // unchanged one costs a 304. (Hashing a few KB per request is cheaper
    // than a stale app after a deploy.)
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(asset.body.as_bytes())[..12]));
    let headers = Headers::new();
    headers.set("content-type", asset.content_type)?;
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("cross-origin-opener-policy", "same-origin")?;
    headers.set("cache-control", "no-cache")?;
    headers.set("etag", &etag)?;
    if header(req, "if-none-match").is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    Ok(Response::ok(asset.body)?.with_headers(headers))
}
