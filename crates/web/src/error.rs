//! The one place where failures become HTTP answers: RFC 9457 problem+json with a stable `code`.
//! Internal details are logged here and never sent.
use api_types::{ErrorCode, FieldError, Problem};
use app::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Any failure of a handler or extractor, and for 429 the seconds the client should wait.
#[derive(Debug)]
pub struct ApiError(pub Problem, pub Option<u64>);

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self(Problem::new(code, Some(detail.into())), None)
    }

    pub fn not_found() -> Self {
        Self(Problem::new(ErrorCode::NotFound, Some("no such resource".into())), None)
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self(Problem::validation(vec![FieldError::new(field, message)]), None)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let problem = match e {
            AppError::Unauthenticated => Problem::new(
                ErrorCode::Unauthenticated,
                Some("missing or invalid credentials".into()),
            ),
            AppError::NotFound => Problem::new(ErrorCode::NotFound, Some("no such resource".into())),
            AppError::Validation(errors) => Problem::validation(errors),
            AppError::Conflict(msg) => Problem::new(ErrorCode::Conflict, Some(msg)),
            AppError::TicketLocked => Problem::new(
                ErrorCode::TicketLocked,
                Some("the ticket is locked; the customer can no longer reply".into()),
            ),
            AppError::NoIncidentsLeft(msg) => Problem::new(ErrorCode::NoIncidentsLeft, Some(msg)),
            AppError::HookRejected(msg) => Problem::new(ErrorCode::HookRejected, Some(msg)),
            AppError::RateLimited { retry_after_secs } => {
                let problem = Problem::new(
                    ErrorCode::RateLimited,
                    Some(format!("too many attempts; try again in {retry_after_secs} s")),
                );
                return Self(problem, Some(retry_after_secs.max(1)));
            }
            AppError::BackendUnavailable(msg) => Problem::new(ErrorCode::BackendUnavailable, Some(msg)),
            AppError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "database unavailable");
                Problem::new(
                    ErrorCode::ServiceUnavailable,
                    Some("the database is unavailable; retry shortly".into()),
                )
            }
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                Problem::new(
                    ErrorCode::Internal,
                    Some("an internal error occurred; it has been logged".into()),
                )
            }
        };
        Self(problem, None)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(self.0);
        if let Some(seconds) = self.1 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub(crate) fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, "this route does not accept this method")
}
