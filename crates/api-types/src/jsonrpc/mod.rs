//! SpiceCSM's JSON-RPC API (SPEC §7.3; the "JSON-RPC params" row of §9): the envelope of JSON-RPC 2.0 and
//! of SpiceCSM's 1.0 style, batches, and each method's parameters, named or positional, bound to the native
//! API's request types. Nothing here does I/O: bytes go in, calls (or ready-made error answers) come out,
//! so the server and the fuzz target run the very same parser.
mod envelope;
mod params;

pub use envelope::{Call, Incoming, MAX_BATCH, Params, parse};
pub use params::{Method, MethodCall, Prepared, prepare};

use domain::FieldError;
use serde_json::{Map, Value, json};

/// The error codes of the JSON-RPC API. The first five are JSON-RPC 2.0's own; the others are ferrodesk's
/// answers to the native API's failures, numbered after the HTTP status the REST API gives for the same
/// failure where one fits (`-32004` ↔ 404, `-32009` ↔ 409, `-32022` ↔ 422, `-32029` ↔ 429).
pub mod codes {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// Not a call object or array of them, a bad `jsonrpc`/`method`/`id`/`params` member, an empty batch,
    /// a batch over [`super::MAX_BATCH`] calls, or a body over the size limit.
    pub const INVALID_REQUEST: i64 = -32600;
    /// No such method.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Missing, unknown, extra or ill-typed parameters, and the native API's `validation_failed`
    /// (`data.errors` names each field).
    pub const INVALID_PARAMS: i64 = -32602;
    /// A failure the server logged and does not describe.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// No session, or an unknown, expired or ended one; a `connect` with a wrong username or password or
    /// with an account that is not staff.
    pub const NOT_AUTHENTICATED: i64 = -32001;
    /// No such record — also what a principal gets for a record or method its role may not use, as the REST
    /// API answers 404, never 403 (SPEC §2).
    pub const NOT_FOUND: i64 = -32004;
    /// The change conflicts with the stored data (`data.reason`: `conflict`, `ticket_locked`,
    /// `no_incidents_left`).
    pub const CONFLICT: i64 = -32009;
    /// The brand's customer backend did not answer or answered nonsense (`data.detail` says what).
    pub const BACKEND_UNAVAILABLE: i64 = -32010;
    /// The database is unavailable or the request took too long; worth retrying.
    pub const SERVICE_UNAVAILABLE: i64 = -32011;
    /// A validation hook script refused the change (`message` is the hook's).
    pub const HOOK_REJECTED: i64 = -32022;
    /// Too many failed logins for the account from this address (`data.retry_after`: seconds to wait).
    pub const RATE_LIMITED: i64 = -32029;
}

/// Which protocol a call came in, so that its answer goes back in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SpiceCSM's style: no `jsonrpc` member; answers carry both `result` and `error`, one of them `null`.
    One,
    /// JSON-RPC 2.0: `"jsonrpc": "2.0"`; answers carry `result` or `error`.
    Two,
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_REQUEST, format!("invalid request: {}", message.into()))
    }

    /// `-32602` naming each field, with the fields in `data.errors` as the REST API's `errors`.
    pub fn invalid_params(errors: Vec<FieldError>) -> Self {
        let listed = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self::new(codes::INVALID_PARAMS, format!("invalid params: {listed}")).with_data(json!({ "errors": errors }))
    }

    pub fn param(field: &str, message: impl Into<String>) -> Self {
        Self::invalid_params(vec![FieldError::new(field, message)])
    }

    pub fn not_authenticated() -> Self {
        Self::new(
            codes::NOT_AUTHENTICATED,
            "not authenticated: call connect and pass the session key it returns (as `session`, or as the last \
             positional param)",
        )
    }

    fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(data) = &self.data {
            error.insert("data".into(), data.clone());
        }
        Value::Object(error)
    }
}

/// The answer to one call (or to a request that could not be read as calls).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub version: Version,
    /// The call's `id`, or `null` when it could not be read.
    pub id: Value,
    pub outcome: Result<Value, RpcError>,
}

impl Answer {
    /// An error answer in JSON-RPC 2.0's shape, for a request whose protocol could not be told.
    pub fn refusal(error: RpcError) -> Self {
        Self {
            version: Version::Two,
            id: Value::Null,
            outcome: Err(error),
        }
    }

    /// The answer document: `{"jsonrpc": "2.0", "result"|"error", "id"}` for 2.0, `{"result", "error",
    /// "id"}` (one of the first two `null`) for SpiceCSM's 1.0 style.
    pub fn to_json(&self) -> Value {
        let mut answer = Map::new();
        match self.version {
            Version::Two => {
                answer.insert("jsonrpc".into(), "2.0".into());
                match &self.outcome {
                    Ok(result) => answer.insert("result".into(), result.clone()),
                    Err(error) => answer.insert("error".into(), error.to_json()),
                };
            }
            Version::One => {
                let (result, error) = match &self.outcome {
                    Ok(result) => (result.clone(), Value::Null),
                    Err(error) => (Value::Null, error.to_json()),
                };
                answer.insert("result".into(), result);
                answer.insert("error".into(), error);
            }
        }
        answer.insert("id".into(), self.id.clone());
        Value::Object(answer)
    }
}

#[cfg(test)]
mod tests;
