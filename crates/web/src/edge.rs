//! Middleware at the very edge: size limits answered before a body is read, the request deadline, and
//! the request id a client may choose — all refusals as problem+json.
use crate::error::problem_response;
use crate::state::WebConfig;
use api_types::{ErrorCode, Problem};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// The longest client-chosen request id that is kept.
const MAX_REQUEST_ID: usize = 64;

/// Refuses a URI or header block over the configured size (414, 431) and a declared `Content-Length` over
/// the body limit (413) at once, before anything waits for the body.
pub(crate) async fn limits(State(config): State<Arc<WebConfig>>, req: Request, next: Next) -> Response {
    let uri_length = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_length > config.max_uri_length {
        return problem(
            ErrorCode::UriTooLong,
            format!("the request URI is longer than {} bytes", config.max_uri_length),
        );
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > config.max_header_bytes {
        return problem(
            ErrorCode::HeadersTooLarge,
            format!("the request headers are larger than {} bytes", config.max_header_bytes),
        );
    }
    let declared = declared_length(&req);
    // JSON-RPC answers an oversized body itself, as a JSON-RPC error its clients can read.
    let own_limit = crate::routes::jsonrpc::PATHS.contains(&req.uri().path());
    // A reply with files may be as large as its files.
    let limit = crate::routes::attachments::own_body_limit(&req, &config).unwrap_or(config.body_limit);
    if !own_limit && declared.is_some_and(|length| length > limit as u64) {
        return problem(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        );
    }
    next.run(req).await
}

/// The slowest upload a reply with files is given time for, on top of the request timeout: a 25 MiB file
/// at 64 KiB/s (a poor mobile link) adds 400 s.
const SLOWEST_UPLOAD_BYTES_PER_SEC: u64 = 64 * 1024;

/// A request that is not answered within the configured time is 503 with `Retry-After`: the server is
/// overloaded or the database slow, and the client may try again. A reply with files also gets the time
/// its body takes to arrive at [`SLOWEST_UPLOAD_BYTES_PER_SEC`].
pub(crate) async fn deadline(State(config): State<Arc<WebConfig>>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let upload = crate::routes::attachments::own_body_limit(&req, &config).map_or(Duration::ZERO, |limit| {
        let declared = declared_length(&req).map_or(limit as u64, |length| length.min(limit as u64));
        Duration::from_secs(declared / SLOWEST_UPLOAD_BYTES_PER_SEC)
    });
    let timeout = config.request_timeout + upload;
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, path = ?path, timeout = ?timeout, "request timed out");
            problem(
                ErrorCode::ServiceUnavailable,
                format!(
                    "the request was not answered within {} s; retry shortly",
                    timeout.as_secs_f64()
                ),
            )
        }
    }
}

/// The body length the request's `Content-Length` declares.
fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Drops a client's `X-Request-Id` unless it is short and made of safe characters, so that a generated
/// one takes its place: ids are echoed and logged, and must not forge log lines or grow without bound.
pub(crate) async fn screen_request_id(mut req: Request, next: Next) -> Response {
    let acceptable = req.headers().get(&REQUEST_ID).is_some_and(acceptable_request_id);
    if !acceptable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn problem(code: ErrorCode, detail: String) -> Response {
    problem_response(Problem::new(code, Some(detail)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        for ok in ["abc", "A-1_b.2", &"x".repeat(64)] {
            assert!(
                acceptable_request_id(&HeaderValue::from_str(ok).expect("header")),
                "{ok}"
            );
        }
        for bad in ["", "a b", "a\"b", "line\tbreak", "ü", &"x".repeat(65), "a=b", "{}"] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).expect("header");
            assert!(!acceptable_request_id(&value), "{bad}");
        }
    }
}
