//! Typed calls between the worker and its Durable Objects.
//!
//! Every operation is one type: its arguments, with [`Operation`] naming its
//! object and its answer. Callers hold a [`Client`] of one object kind and
//! can only send that kind's operations, getting the operation's answer type
//! back; each object decodes a request once into its own enum of operations
//! ([`operations!`]) and answers through [`reply`], which only accepts the
//! operation's answer type. A renamed field or a wrong answer type is a
//! compile error, not an empty id at run time.
//!
//! The transport is a `fetch` to the stub (workers-rs RPC is still
//! experimental): the operation's name in the path, JSON arguments and
//! answers in the `x-rpc` header (base64) when small, else in the body.
//! Errors travel as the API's error envelope with their status.

use crate::http::{ApiResult, Failure, error_response, fail};
use folio_core::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

/// A kind of Durable Object: the binding its stubs come from.
pub trait ObjectKind {
    const BINDING: &'static str;
}

/// One operation of an object kind.
pub trait Operation: Serialize + DeserializeOwned {
    type Object: ObjectKind;
    type Answer: Serialize + DeserializeOwned;
    /// The name on the wire (the operation's variant in its object's enum).
    const NAME: &'static str;
}

/// A stub of one object of kind `K`.
pub struct Client<K> {
    stub: Stub,
    kind: PhantomData<K>,
}

impl<K: ObjectKind> Client<K> {
    /// The object named `name` (an organisation id, a document id, a queue shard, ...).
    pub fn named(env: &Env, name: &str) -> worker::Result<Self> {
        let stub = env.durable_object(K::BINDING)?.id_from_name(name)?.get_stub()?;
        Ok(Client { stub, kind: PhantomData })
    }

    /// Sends `op` and decodes its answer (fault-injection point `do.{NAME}`).
    pub async fn call<O: Operation<Object = K>>(&self, op: &O) -> ApiResult<O::Answer> {
        // The fault points and logs keep their snake_case names (`do.submit`, `do.fail`).
        crate::faults::guard(&format!("do.{}", folio_core::veryfi::snake_case(O::NAME)), send(&self.stub, O::NAME, op)).await
    }
}

/// Declares an object kind's operations: the `Operation` impls and the enum
/// its `fetch` decodes. `Variant(Args) -> Answer`: the variant's name is the
/// operation's wire name, `Args` its (unique) argument type.
macro_rules! operations {
    ($(#[$meta:meta])* $vis:vis enum $request:ident for $kind:ident ($binding:expr) {
        $( $(#[$vmeta:meta])* $variant:ident ( $args:ty ) -> $answer:ty ),* $(,)?
    }) => {
        /// The object kind (a marker for [`crate::rpc::Client`]).
        $vis enum $kind {}
        impl $crate::rpc::ObjectKind for $kind {
            const BINDING: &'static str = $binding;
        }
        $(
            impl $crate::rpc::Operation for $args {
                type Object = $kind;
                type Answer = $answer;
                const NAME: &'static str = stringify!($variant);
            }
        )*
        $(#[$meta])*
        // Decoded once per request and matched at once: boxing variants buys nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(serde::Deserialize)]
        #[serde(tag = "op", content = "args")]
        $vis enum $request {
            $( $(#[$vmeta])* $variant($args), )*
        }
    };
}
pub(crate) use operations;

/// A Durable Object's side: its request, decoded once into its operations enum.
pub async fn decode<R: DeserializeOwned>(req: &mut Request) -> ApiResult<R> {
    use base64::Engine;
    let op = req.path().trim_start_matches('/').to_string();
    let body = match req.headers().get(RPC_HEADER)? {
        Some(h) => b64().decode(h).map_err(|_| fail(ErrorCode::InternalError, "Internal error (rpc arguments)"))?,
        None => req.bytes().await?,
    };
    // `{"op": <name>, "args": <body>}` spliced as text and parsed into the
    // typed enum: a large argument (a document's result) is not built as a
    // `serde_json::Value` tree first. The body must still be one JSON value.
    if !body.is_empty() {
        serde_json::from_slice::<serde::de::IgnoredAny>(&body)?;
    }
    let name = serde_json::to_string(&op)?;
    let args: &[u8] = if body.is_empty() { b"null" } else { &body };
    let mut tagged = Vec::with_capacity(name.len() + args.len() + 16);
    tagged.extend_from_slice(b"{\"op\":");
    tagged.extend_from_slice(name.as_bytes());
    tagged.extend_from_slice(b",\"args\":");
    tagged.extend_from_slice(args);
    tagged.push(b'}');
    serde_json::from_slice(&tagged).map_err(|e| {
        worker::console_error!("rpc {op}: bad request: {e}");
        fail(ErrorCode::InternalError, format!("Internal error (rpc {op})"))
    })
}

/// The answer to operation `O`: only `O::Answer` type-checks.
pub fn reply<O: Operation>(r: ApiResult<O::Answer>) -> worker::Result<Response> {
    answer(r)
}

/// An answer to a request that could not be decoded (or any untyped failure).
pub fn answer<T: Serialize>(r: ApiResult<T>) -> worker::Result<Response> {
    use base64::Engine;
    match r {
        Ok(v) => {
            let json = serde_json::to_string(&v).map_err(|e| worker::Error::RustError(e.to_string()))?;
            if json.len() <= RPC_HEADER_MAX {
                let headers = Headers::new();
                headers.set(RPC_HEADER, &b64().encode(&json))?;
                Ok(Response::empty()?.with_headers(headers))
            } else {
                Response::ok(json)
            }
        }
        Err(f) => Ok(error_response(&f)),
    }
}

/// Arguments and answers up to this size travel in the `x-rpc` header
/// (base64 JSON) instead of a body: under workerd a body is a stream between
/// two request contexts, which costs more than the call's own work.
const RPC_HEADER_MAX: usize = 6 * 1024;
const RPC_HEADER: &str = "x-rpc";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

async fn send<Req: Serialize, Resp: DeserializeOwned>(stub: &Stub, op: &str, body: &Req) -> ApiResult<Resp> {
    use base64::Engine;
    let json = serde_json::to_string(body)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    if json.len() <= RPC_HEADER_MAX {
        let headers = Headers::new();
        headers.set(RPC_HEADER, &b64().encode(&json))?;
        init.with_headers(headers);
    } else {
        init.with_body(Some(json.into()));
    }
    let req = Request::new_with_init(&format!("https://do/{op}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let bad = || fail(ErrorCode::InternalError, "Internal error (rpc)");
    let text = match resp.headers().get(RPC_HEADER)? {
        Some(h) => String::from_utf8(b64().decode(h).map_err(|_| bad())?).map_err(|_| bad())?,
        None => resp.text().await?,
    };
    if resp.status_code() == 200 {
        return serde_json::from_str(&text).map_err(|e| {
            worker::console_error!("rpc {op}: bad answer: {e}: {text}");
            bad()
        });
    }
    let retry_after = resp.headers().get("retry-after").ok().flatten().and_then(|v| v.parse().ok());
    match serde_json::from_str::<folio_core::error::ErrorEnvelope>(&text) {
        Ok(env) => Err(Failure { error: env.error, retry_after }),
        Err(_) => {
            worker::console_error!("rpc {op}: HTTP {}: {text}", resp.status_code());
            Err(bad())
        }
    }
}
