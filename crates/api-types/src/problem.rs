//! RFC 9457 problem details with ferrodesk's stable error codes.
use domain::FieldError;
use serde::{Deserialize, Serialize};

/// A stable machine word for each kind of failure; clients branch on it, never on `title` or `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthenticated,
    NotFound,
    MethodNotAllowed,
    ValidationFailed,
    HookRejected,
    Conflict,
    TicketLocked,
    NoIncidentsLeft,
    PayloadTooLarge,
    UriTooLong,
    HeadersTooLarge,
    UnsupportedMediaType,
    RateLimited,
    BackendUnavailable,
    ServiceUnavailable,
    /// A route that is reserved for a capability this version does not have yet.
    NotImplemented,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthenticated => 401,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::ValidationFailed | Self::HookRejected => 422,
            Self::Conflict | Self::TicketLocked | Self::NoIncidentsLeft => 409,
            Self::PayloadTooLarge => 413,
            Self::UriTooLong => 414,
            Self::HeadersTooLarge => 431,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited => 429,
            Self::BackendUnavailable => 502,
            Self::ServiceUnavailable => 503,
            Self::NotImplemented => 501,
            Self::Internal => 500,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "Bad request",
            Self::Unauthenticated => "Authentication required",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::ValidationFailed => "Validation failed",
            Self::HookRejected => "Rejected by a hook",
            Self::Conflict => "Conflict",
            Self::TicketLocked => "Ticket is locked",
            Self::NoIncidentsLeft => "No incidents left",
            Self::PayloadTooLarge => "Payload too large",
            Self::UriTooLong => "URI too long",
            Self::HeadersTooLarge => "Request headers too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::RateLimited => "Too many requests",
            Self::BackendUnavailable => "Customer backend unavailable",
            Self::ServiceUnavailable => "Service unavailable",
            Self::NotImplemented => "Not implemented",
            Self::Internal => "Internal error",
        }
    }
}

/// The body of every error answer, served as `application/problem+json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: impl Into<Option<String>>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: code.title().into(),
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self {
            errors,
            ..Self::new(ErrorCode::ValidationFailed, Some(detail))
        }
    }
}
