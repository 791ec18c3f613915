//! Operations routes: `/healthz`, `/readyz` and `/metrics`.
use crate::error::ApiError;
use crate::state::AppState;
use api_types::ErrorCode;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The process is alive.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
pub(crate) async fn readyz(State(s): State<AppState>) -> Result<&'static str, ApiError> {
    s.app.store().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::new(ErrorCode::ServiceUnavailable, "the database is unreachable")
    })?;
    Ok("ready")
}

/// Prometheus text format.
pub(crate) async fn metrics(State(s): State<AppState>) -> Response {
    let mut response = s.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
