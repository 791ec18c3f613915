//! The TeamTools-compatible API under `/teamtools/` (wire format: `compat/teamtools.md`): so far its token
//! endpoint, `POST /teamtools/access_token`, which the real SDK calls with the JSON body
//! `{"client_id", "client_secret", "grant_type": "client_credentials"}` (a form body works too). Every route
//! answers with and without a trailing slash and never redirects (Guzzle would turn a redirected POST
//! into a GET). Errors are TeamTools' body `{"error": {"message", "code"}}`, which the SDK turns into
//! `TTBadArgumentsException` (4xx) or `TTServerException` (5xx).
use super::oauth::{no_store, token_request};
use crate::error::ApiError;
use crate::extract::body_rejection;
use crate::state::AppState;
use api_types::ErrorCode;
use app::oauth::TokenError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use domain::oauth::TokenRefusal;
use serde_json::json;

/// The TeamTools routes, each with and without a trailing slash.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/teamtools/access_token", post(access_token))
        .route("/teamtools/access_token/", post(access_token))
}

/// A TeamTools error answer: `{"error": {"message": …, "code": …}}` with the status.
#[derive(Debug)]
pub(crate) struct TeamToolsError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl TeamToolsError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }
}

/// Any native failure (already logged by its conversion, internals never shown) in TeamTools' shape.
impl From<ApiError> for TeamToolsError {
    fn from(e: ApiError) -> Self {
        let problem = e.0;
        Self {
            status: StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: problem.code,
            message: problem.detail.unwrap_or(problem.title),
        }
    }
}

impl From<TokenRefusal> for TeamToolsError {
    fn from(refusal: TokenRefusal) -> Self {
        match refusal {
            TokenRefusal::InvalidClient => Self::new(ErrorCode::Unauthenticated, "invalid client credentials"),
            other => Self::new(ErrorCode::BadRequest, other.description()),
        }
    }
}

impl IntoResponse for TeamToolsError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "message": self.message, "code": self.code } });
        (self.status, axum::Json(body)).into_response()
    }
}

/// `POST /teamtools/access_token`: the same OAuth clients and tokens as `POST /oauth/token`; the answer is
/// `{"access_token", "token_type": "Bearer", "expires_in"}` (the SDK reads only `access_token`).
async fn access_token(State(s): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return TeamToolsError::from(body_rejection(rejection)).into_response(),
    };
    let issued = match token_request(&headers, &body) {
        Ok(request) => s.app.issue_access_token(request).await,
        Err(refusal) => Err(TokenError::Refused(refusal)),
    };
    let response = match issued {
        Ok(token) => axum::Json(token).into_response(),
        Err(TokenError::Refused(refusal)) => TeamToolsError::from(refusal).into_response(),
        Err(TokenError::Failed(e)) => TeamToolsError::from(ApiError::from(e)).into_response(),
    };
    no_store(response)
}
