//! Routing: method + path to a handler. Unknown paths answer `NOT_FOUND`,
//! known paths with another method `METHOD_NOT_ALLOWED`, both in the
//! spec's envelope. Veryfi paths work with and without the trailing slash.

use crate::config::Config;
use crate::http::{ApiResult, error_response, fail};
use crate::{admin, app, documents, internal, openapi, submit, veryfi, webhooks};
use folio_core::ErrorCode;
use worker::{Env, Method, Request, Response};

pub async fn handle(req: Request, env: Env) -> Response {
    let method = req.method();
    let path = req.path();
    let segments: Vec<String> = path.trim_matches('/').split('/').map(str::to_string).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let cfg = Config::from_env(&env);
    if cfg.fault_injection.is_some() && !cfg.allow_loopback {
        // Fault injection is for local tests; a deployment with it set is a mistake.
        return error_response(&fail(
            ErrorCode::InternalError,
            "FAULT_INJECTION is set but ALLOW_LOOPBACK_WEBHOOKS is not: this deployment refuses to serve",
        ));
    }
    crate::faults::init(&env);
    let result = route(method, &segs, req, env, cfg).await;
    match result {
        Ok(resp) => resp,
        Err(f) => error_response(&f),
    }
}

async fn route(method: Method, segs: &[&str], req: Request, env: Env, cfg: Config) -> ApiResult {
    use Method::*;
    let not_allowed = || Err(fail(ErrorCode::MethodNotAllowed, format!("{} is not allowed here", method_name(&method))));
    match segs {
        // The review page (static files compiled into the worker).
        ["app"] => match method {
            Get | Head => app::serve(&req, None),
            _ => not_allowed(),
        },
        ["app", name] => match method {
            Get | Head => app::serve(&req, Some(name)),
            _ => not_allowed(),
        },
        ["health"] => match method {
            Get | Head => Ok(Response::ok("ok")?),
            _ => not_allowed(),
        },
        ["v1", "openapi.json"] => match method {
            Get => openapi::serve(),
            _ => not_allowed(),
        },
        ["v1", "documents", "process", "async"] => match method {
            Post => submit::process_async(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "documents", "process"] => match method {
            Post => submit::process_sync(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "documents"] => match method {
            Get => documents::list(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id, "file"] => match method {
            Get => documents::file(req, env, cfg, id).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id, "pages", page, "preview"] => match method {
            Get => documents::preview(req, env, cfg, id, page).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id, "webhooks"] => match method {
            Get => webhooks::list(req, env, cfg, id).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id, "webhooks", "redeliver"] => match method {
            Post => webhooks::redeliver(req, env, cfg, id).await,
            _ => not_allowed(),
        },
        ["v1", "webhooks", "failures"] => match method {
            Get => webhooks::failures_route(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id, "outputs", name] => match method {
            Get => documents::get_output(req, env, cfg, id, name).await,
            _ => not_allowed(),
        },
        ["v1", "documents", id] => match method {
            Get => documents::get(req, env, cfg, id).await,
            Delete => documents::delete(req, env, cfg, id).await,
            _ => not_allowed(),
        },
        ["v1", "account"] => match method {
            Get => documents::account(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "account", "email"] => match method {
            Get => crate::inbox::get(req, env, cfg).await,
            Put => crate::inbox::put(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["v1", "account", "webhook"] => match method {
            Get => documents::get_webhook(req, env, cfg).await,
            Put => documents::put_webhook(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["api", "v8", "partner", "documents"] => match method {
            Post => veryfi::process(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["api", "v8", "partner", "documents", id] => match method {
            Get => veryfi::get(req, env, cfg, id).await,
            Delete => veryfi::delete(req, env, cfg, id).await,
            _ => not_allowed(),
        },
        ["internal", "v1", "leases"] => match method {
            Post => internal::lease(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["internal", "v1", "leases", lease_id, "artifacts", name] => match method {
            Put => internal::artifact(req, env, cfg, lease_id, name).await,
            _ => not_allowed(),
        },
        ["internal", "v1", "leases", lease_id, action] => match (method.clone(), *action) {
            (Get, "file") => internal::file(req, env, cfg, lease_id).await,
            (Post, "heartbeat") => internal::heartbeat(req, env, cfg, lease_id).await,
            (Post, "pages") => internal::pages(req, env, cfg, lease_id).await,
            (Post, "complete") => internal::complete(req, env, cfg, lease_id).await,
            (Post, "fail") => internal::fail_job(req, env, cfg, lease_id).await,
            (Post, "release") => internal::release(req, env, cfg, lease_id).await,
            (_, "file" | "heartbeat" | "pages" | "complete" | "fail" | "release") => not_allowed(),
            _ => Err(not_found()),
        },
        ["admin", "v1", "orgs"] => match method {
            Post => admin::create_org(req, env, cfg).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "orgs", org_id] => match method {
            Get => admin::get_org(req, env, cfg, org_id).await,
            Patch => admin::patch_org(req, env, cfg, org_id).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "orgs", org_id, "email"] => match method {
            Get => crate::inbox::admin(req, env, cfg, org_id, false).await,
            Put => crate::inbox::admin(req, env, cfg, org_id, true).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "orgs", org_id, "webhook-secret", "rotate"] => match method {
            Post => admin::rotate_webhook_secret(req, env, cfg, org_id).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "orgs", org_id, "keys"] => match method {
            Post => admin::create_key(req, env, cfg, org_id).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "orgs", org_id, "keys", key_id] => match method {
            Delete => admin::revoke_key(req, env, cfg, org_id, key_id).await,
            _ => not_allowed(),
        },
        ["bench", "bare-upload"] if crate::bench::enabled(&env) => match method {
            Post => crate::bench::bare_upload(req, env).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "faults"] => match method {
            Get => crate::faults::route(req, cfg, false).await,
            Put => crate::faults::route(req, cfg, true).await,
            _ => not_allowed(),
        },
        ["admin", "v1", "queue"] => match method {
            Get => admin::queue_stats(req, env, cfg).await,
            _ => not_allowed(),
        },
        _ => Err(not_found()),
    }
}

fn not_found() -> crate::http::Failure {
    fail(ErrorCode::NotFound, "No such route")
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Head => "HEAD",
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Options => "OPTIONS",
        Method::Connect => "CONNECT",
        Method::Trace => "TRACE",
        Method::Report => "REPORT",
    }
}
