//! SpiceCSM's JSON-RPC API (SPEC §7.3): `POST /api/jsonrpc` and its SpiceCSM path
//! `POST /api/spiceAPIServer/spiceAPIServer.php`. The envelope and the parameters are read by
//! `api_types::jsonrpc` (pure, and fuzzed); here each call is authenticated by its session key and run by
//! the same use case its REST route runs. Every answer is HTTP 200 with the JSON-RPC answer (errors
//! included, as JSON-RPC clients read them from the body), or 204 when every call was a notification.
mod methods;

use crate::extract::request_meta;
use crate::state::AppState;
use api_types::jsonrpc::{self, Answer, Call, Incoming, RpcError};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use domain::event::EventSource;
use methods::Context;
use serde_json::Value;

/// The paths of the API.
pub(crate) const PATHS: [&str; 2] = ["/api/jsonrpc", "/api/spiceAPIServer/spiceAPIServer.php"];

/// The largest body read (unless the server's own body limit is larger): a full batch of calls with long
/// messages fits, and a batch of thousands of small calls is still read far enough to be refused as a batch.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    PATHS
        .iter()
        .fold(Router::new(), |router, path| router.route(path, post(endpoint)))
}

async fn endpoint(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let limit = BODY_LIMIT.max(state.config.body_limit);
    let too_large = || {
        reply(Answer::refusal(RpcError::invalid_request(format!(
            "the request body is larger than {limit} bytes (a batch holds at most {} calls)",
            jsonrpc::MAX_BATCH
        ))))
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large();
    }
    // The only way reading fails short of the limit is a client that went away, and nobody reads this answer.
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    let cx = Context {
        state: &state,
        meta: request_meta(&parts, &state, EventSource::Api),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    match jsonrpc::parse(&bytes) {
        Incoming::Refused(answer) => reply(answer),
        Incoming::Single(entry) => match answer(&cx, entry).await {
            Some(answer) => reply(answer),
            None => StatusCode::NO_CONTENT.into_response(),
        },
        Incoming::Batch(entries) => {
            // In order, one after the other: a later call may rely on what an earlier one changed.
            let mut answers = Vec::with_capacity(entries.len());
            for entry in entries {
                if let Some(answer) = answer(&cx, entry).await {
                    answers.push(answer.to_json());
                }
            }
            if answers.is_empty() {
                StatusCode::NO_CONTENT.into_response()
            } else {
                json(&Value::Array(answers))
            }
        }
    }
}

/// Runs one entry; a notification is run but not answered.
async fn answer(cx: &Context<'_>, entry: Result<Call, Box<Answer>>) -> Option<Answer> {
    let call = match entry {
        Ok(call) => call,
        Err(refused) => return Some(*refused),
    };
    let (version, id) = (call.version, call.id.clone());
    let outcome = methods::execute(cx, call).await;
    id.map(|id| Answer { version, id, outcome })
}

fn reply(answer: Answer) -> Response {
    json(&answer.to_json())
}

fn json(document: &Value) -> Response {
    let mut response = (StatusCode::OK, document.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
