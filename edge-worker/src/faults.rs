//! Fault injection for tests: KV, R2 and Durable Object calls
//! fail at chosen points or with a chosen probability, by the rules of
//! `folio_core::faults`. Off unless the `FAULT_INJECTION` var is set, and the
//! worker refuses to serve with it set unless `ALLOW_LOOPBACK_WEBHOOKS` is
//! true (see `router::handle`), so a production deployment cannot run with it.
//!
//! The plan is per isolate: the var's rules are loaded once, and
//! `PUT /admin/v1/faults` replaces them (tests aim one fault at one call).
//! Under `wrangler dev` the worker and its Durable Objects share an isolate.

use crate::auth::require_admin_token;
use crate::config::Config;
use crate::http::{ApiResult, fail, json_response, parse_json, read_body_limited};
use folio_core::ErrorCode;
use folio_core::api::ok_envelope;
use folio_core::faults::{FaultAction, FaultPlan, FaultRule};
use serde::Deserialize;
use std::cell::RefCell;
use std::future::Future;
use worker::{Env, Request};

/// The var that turns fault injection on (its value: the initial rules).
pub const VAR: &str = "FAULT_INJECTION";

thread_local! {
    /// `None` until loaded from the var; `Some(None)` when off.
    static PLAN: RefCell<Option<Option<FaultPlan>>> = const { RefCell::new(None) };
}

/// Loads the var's rules the first time this isolate runs anything.
pub fn init(env: &Env) {
    PLAN.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_some() {
            return;
        }
        let spec = Config::from_env(env).fault_injection;
        *p = Some(spec.map(|s| {
            FaultPlan::parse(&s).unwrap_or_else(|e| {
                worker::console_error!("{VAR}: {e}; no faults injected");
                FaultPlan::default()
            })
        }));
    });
}

/// Whether the call at `point` is to fail, and when.
fn strike(point: &str) -> Option<FaultAction> {
    PLAN.with(|p| {
        let mut p = p.borrow_mut();
        let plan = p.as_mut()?.as_mut()?;
        let roll = folio_core::ids::random_u64() as f64 / (u64::MAX as f64 + 1.0);
        plan.decide(point, roll)
    })
}

fn injected(point: &str) -> crate::http::Failure {
    worker::console_warn!("fault injected at {point}");
    fail(ErrorCode::InternalError, format!("Internal error (injected fault at {point}); please retry"))
}

/// Runs a storage or Durable Object call under the fault plan.
pub async fn guard<T>(point: &str, call: impl Future<Output = ApiResult<T>>) -> ApiResult<T> {
    match strike(point) {
        None => call.await,
        Some(FaultAction::FailBefore) => Err(injected(point)),
        Some(FaultAction::FailAfter) => {
            let _ = call.await;
            Err(injected(point))
        }
        Some(FaultAction::DelayMs(ms)) => {
            worker::Delay::from(std::time::Duration::from_millis(ms as u64)).await;
            call.await
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetFaults {
    rules: Vec<FaultRule>,
}

/// `GET|PUT /admin/v1/faults`: the plan in force, or a new one
/// (`{"rules": [{"point", "probability", "timing"?, "times"?, "delayMs"?}]}`). Not found
/// unless fault injection is on.
pub async fn route(mut req: Request, cfg: Config, put: bool) -> ApiResult {
    require_admin_token(&req, &cfg)?;
    if cfg.fault_injection.is_none() {
        return Err(fail(ErrorCode::NotFound, "No such route"));
    }
    if put {
        let body: SetFaults = parse_json(&read_body_limited(&mut req, 16 * 1024, "Body too large").await?)?;
        let plan = FaultPlan::new(body.rules).map_err(|e| fail(ErrorCode::InvalidRequest, e))?;
        PLAN.with(|p| *p.borrow_mut() = Some(Some(plan)));
    }
    let plan = PLAN.with(|p| p.borrow().clone().flatten().unwrap_or_default());
    json_response(200, &ok_envelope(plan))
}
