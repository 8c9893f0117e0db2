//! Folio's public API as a Cloudflare Worker (workers-rs).
//!
//! `fetch` only routes ([`router`]); the logic lives in one module per area:
//! [`submit`] (DocuRift submissions), [`documents`] (reads, list, delete,
//! account, the uploaded file and page previews), [`app`] (the review page
//! at `/app`), [`veryfi`] (Veryfi-compatible routes), [`admin`] (admin API),
//! [`internal`] (the host API), [`inbox`] (the `email` handler: e-mail
//! in), and three Durable Objects: [`account::Account`]
//! (per organisation), [`document::Document`] (per document) and
//! [`queue::Queue`] (the job queue). Pure rules live in `folio-core`.
//! Storage layout: see [`model`].

mod account;
mod admin;
mod app;
mod auth;
mod bench;
mod config;
mod document;
mod documents;
mod faults;
mod http;
mod inbox;
mod internal;
mod model;
mod openapi;
mod queue;
mod router;
mod rpc;
mod sql;
mod submit;
mod upload;
mod veryfi;
pub mod webhooks;

use worker::{Context, Env, Request, Response, Result, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(router::handle(req, env).await)
}
