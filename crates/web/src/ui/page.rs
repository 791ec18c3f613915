//! What every page shares: the layout's data ([`Chrome`]), errors shown next to their field
//! ([`FieldErrors`]), and the pages a request ends on when it cannot go on ([`PageError`]).
use app::AppError;
use app::sessions::WebSession;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::{FieldError, Principal, Role};

/// Which part of the UI a page belongs to: it picks the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Public,
    Agent,
    Admin,
    Portal,
}

/// The layout's data: the page title, who is logged in, and the CSRF token for the forms on the page.
pub(crate) struct Chrome {
    pub(crate) title: String,
    pub(crate) area: Area,
    pub(crate) user: Option<String>,
    pub(crate) is_admin: bool,
    pub(crate) is_staff: bool,
    pub(crate) csrf: String,
}

impl Chrome {
    pub(crate) fn public(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            area: Area::Public,
            user: None,
            is_admin: false,
            is_staff: false,
            csrf: String::new(),
        }
    }

    pub(crate) fn of(session: &WebSession, area: Area, title: impl Into<String>) -> Self {
        let (user, is_staff) = match &session.principal {
            Principal::Staff { name, .. } => (name.clone(), true),
            Principal::EndUser { name, .. } => (name.clone(), false),
            other => (format!("{other:?}"), false),
        };
        Self {
            title: title.into(),
            area,
            user: Some(user),
            is_admin: session.principal.role() == Role::Admin,
            is_staff,
            csrf: session.csrf.clone(),
        }
    }

    pub(crate) fn in_agent(&self) -> bool {
        self.area == Area::Agent
    }
    pub(crate) fn in_admin(&self) -> bool {
        self.area == Area::Admin
    }
    pub(crate) fn in_portal(&self) -> bool {
        self.area == Area::Portal
    }
}

/// Validation and hook errors of a form, shown next to the field they name (the rest at the top).
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// The message for `field`, if it has one.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// Messages that name none of `shown` (the form's own fields), to be shown above it.
    pub(crate) fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|e| !shown.contains(&e.field.as_str()))
            .map(|e| {
                if e.field.is_empty() || e.field == "body" {
                    e.message.clone()
                } else {
                    format!("{}: {}", e.field, e.message)
                }
            })
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors a use case's refusal carries for a form: field errors as they are, a hook's refusal and
    /// conflicts as a message of the form; anything else is not the form's to show.
    pub(crate) fn from_app(e: AppError) -> Result<Self, PageError> {
        match e {
            AppError::Validation(errors) => Ok(Self(errors)),
            AppError::HookRejected(message) => Ok(Self(vec![FieldError::new("", message)])),
            AppError::Conflict(message) | AppError::NoIncidentsLeft(message) => {
                Ok(Self(vec![FieldError::new("", message)]))
            }
            AppError::TicketLocked => Ok(Self(vec![FieldError::new("", "the ticket is locked")])),
            other => Err(other.into()),
        }
    }
}

/// Why a page request ends without its page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Somewhere else: the login page (with `next`), or the visitor's own area.
    Redirect(String),
    /// The same, for a request from htmx (`HX-Redirect`: the whole page goes there).
    HxRedirect(String),
    NotFound,
    /// The form's CSRF token is missing or is not the session's.
    Csrf,
    BadRequest(String),
    RateLimited {
        retry_after_secs: u64,
    },
    Unavailable,
    Internal,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => PageError::Redirect("/login".into()),
            AppError::NotFound => PageError::NotFound,
            AppError::RateLimited { retry_after_secs } => PageError::RateLimited { retry_after_secs },
            AppError::Unavailable(message) => {
                tracing::warn!(%message, "page: store unavailable");
                PageError::Unavailable
            }
            AppError::Validation(errors) => PageError::BadRequest(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::HookRejected(m) | AppError::Conflict(m) | AppError::NoIncidentsLeft(m) => {
                PageError::BadRequest(m)
            }
            AppError::BackendUnavailable(m) => PageError::BadRequest(format!("the customer backend failed: {m}")),
            AppError::TicketLocked => PageError::BadRequest("the ticket is locked".into()),
            AppError::Internal(message) => {
                tracing::error!(%message, "page: internal error");
                PageError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            PageError::Redirect(to) => return Redirect::to(&to).into_response(),
            PageError::HxRedirect(to) => return see_other(&to, true).unwrap_or_else(|e| e.into_response()),
            PageError::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is no such page.".to_owned()),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form was not sent from this session (missing or wrong security token). Go back, reload the page and try again.".to_owned(),
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Cannot do that", m),
            PageError::RateLimited { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                let mut r = render(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts",
                    format!("Too many failed logins (rate_limited). Try again in {minutes} minute(s)."),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "The database cannot be reached just now. Try again in a moment.".to_owned(),
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The error has been logged.".to_owned(),
            ),
        };
        render(status, heading, message)
    }
}

fn render(status: StatusCode, heading: &str, message: String) -> Response {
    let page = ErrorPage {
        c: Chrome::public(heading),
        heading: heading.to_owned(),
        message,
    };
    html(status, page)
}

/// A rendered template with a status; a template that fails to render is logged and answered 500.
pub(crate) fn html(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A page's result.
pub(crate) type PageResult = Result<Response, PageError>;

/// A 200 page.
pub(crate) fn ok(page: impl Template) -> PageResult {
    Ok(html(StatusCode::OK, page))
}

/// After a successful form: see the result (303, so a reload does not send the form again). htmx follows
/// a 303 itself and would swap the whole page into the target, so it is told with `HX-Redirect` instead.
pub(crate) fn see_other(to: &str, htmx: bool) -> PageResult {
    if htmx {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        Ok(r)
    } else {
        Ok(Redirect::to(to).into_response())
    }
}
