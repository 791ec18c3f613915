//! The TeamTools-compatible API under `/teamtools/` (wire format: `compat/teamtools.md`): so far its token
//! endpoint, `POST /teamtools/access_token`, which the real SDK calls with the JSON body
//! `{"client_id", "client_secret", "grant_type": "client_credentials"}` (a form body works too). Every route
//! answers with and without a trailing slash and never redirects (Guzzle would turn a redirected POST
//! into a GET). Errors are TeamTools' body `{"error": {"message", "code"}}`, which the SDK turns into
//! `TTBadArgumentsException` (4xx) or `TTServerException` (5xx).
mod billing;
mod call;
mod people;
mod render;

use super::oauth::{no_store, token_request};
use crate::error::ApiError;
use crate::extract::body_rejection;
use crate::state::AppState;
use api_types::ErrorCode;
use app::oauth::TokenError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post, put};
use domain::AttributeEntity;
use domain::oauth::TokenRefusal;
use serde_json::json;

/// The TeamTools routes, each with and without a trailing slash.
pub(crate) fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/teamtools/access_token", post(access_token))
        .route("/teamtools/access_token/", post(access_token));
    for (collection, entity) in [
        ("customers", AttributeEntity::Customer),
        ("endusers", AttributeEntity::EndUser),
    ] {
        let base = format!("/teamtools/{collection}");
        r = both(
            r,
            &base,
            get(move |s, c| people::list(s, entity, c)).post(move |s, c| people::create(s, entity, c)),
        );
        r = both(
            r,
            &format!("{base}/attributes"),
            get(move |s, c| people::attributes(s, entity, c)).post(move |s, c| people::create_attribute(s, entity, c)),
        );
        r = both(
            r,
            &format!("{base}/attributes/{{id}}"),
            put(move |s, Path(id): Path<String>, c| people::update_attribute(s, entity, id, c))
                .delete(move |s, Path(id): Path<String>, c| people::delete_attribute(s, entity, id, c)),
        );
        r = both(
            r,
            &format!("{base}/tag/{{tag}}"),
            get(move |s, Path(tag): Path<String>, c| people::by_tag(s, entity, tag, c)),
        );
        r = both(r, &format!("{base}/bulk"), post(move |s, c| people::bulk(s, entity, c)));
        r = both(
            r,
            &format!("{base}/restore"),
            put(move |s, c| people::restore_all(s, entity, c)),
        );
        r = both(
            r,
            &format!("{base}/{{id}}"),
            get(move |s, Path(id): Path<String>, c| people::get(s, entity, id, c))
                .put(move |s, Path(id): Path<String>, c| people::update(s, entity, id, c))
                .delete(move |s, Path(id): Path<String>, c| people::set_deleted(s, entity, id, true, c)),
        );
        r = both(
            r,
            &format!("{base}/{{id}}/restore"),
            put(move |s, Path(id): Path<String>, c| people::set_deleted(s, entity, id, false, c)),
        );
        r = both(
            r,
            &format!("{base}/{{id}}/events"),
            get(move |s, Path(id): Path<String>, c| people::activity_of(s, entity, id, c)),
        );
    }
    r = both(
        r,
        "/teamtools/customers/{id}/endusers",
        get(|s, Path(id): Path<String>, c| people::customer_end_users(s, id, c))
            .put(|s, Path(id): Path<String>, c| people::migrate(s, id, c)),
    );
    r = both(r, "/teamtools/events", post(people::record_activity));
    r = both(
        r,
        "/teamtools/events/{id}",
        get(|s, Path(id): Path<String>, c| people::activity_event(s, id, c)),
    );
    r = both(r, "/teamtools/webevents", get(people::web_events));
    r = both(
        r,
        "/teamtools/webevents/{id}",
        get(|s, Path(id): Path<String>, c| people::web_event(s, id, c)),
    );
    // Staff and departments, read-only (§13: members and teams).
    r = both(r, "/teamtools/members", get(people::members));
    r = both(
        r,
        "/teamtools/members/{id}",
        get(|s, Path(id): Path<String>, c| people::member(s, id, c)),
    );
    r = both(r, "/teamtools/teams", get(people::teams));
    r = both(
        r,
        "/teamtools/teams/{id}",
        get(|s, Path(id): Path<String>, c| people::team(s, id, c)),
    );
    out_of_scope_routes(billing_routes(r))
}

/// Billing (§6.1, §6.3, §6.4): the catalogue, subscribing customers, invoice items, invoices, payments.
fn billing_routes(mut r: Router<AppState>) -> Router<AppState> {
    r = both(
        r,
        "/teamtools/customers/{id}/subscribe",
        put(|s, Path(id): Path<String>, c| billing::subscribe(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/customers/{id}/unsubscribe",
        put(|s, Path(id): Path<String>, c| billing::unsubscribe(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/customers/{id}/subscription",
        get(|s, Path(id): Path<String>, c| billing::customer_subscription(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/features",
        get(billing::features).post(billing::create_feature),
    );
    r = both(
        r,
        "/teamtools/features/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_feature(s, id, c))
            .put(|s, Path(id): Path<String>, c| billing::update_feature(s, id, c))
            .delete(|s, Path(id): Path<String>, c| billing::delete_feature(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/features/{id}/restore",
        put(|s, Path(id): Path<String>, c| billing::restore_feature(s, id, c)),
    );
    r = both(r, "/teamtools/groups", get(billing::groups).post(billing::create_group));
    r = both(
        r,
        "/teamtools/groups/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_group(s, id, c))
            .put(|s, Path(id): Path<String>, c| billing::update_group(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/groups/{id}/packages",
        get(|s, Path(id): Path<String>, c| billing::group_packages(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/packages",
        get(billing::packages).post(billing::create_package),
    );
    r = both(
        r,
        "/teamtools/packages/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_package(s, id, c))
            .put(|s, Path(id): Path<String>, c| billing::update_package(s, id, c))
            .delete(|s, Path(id): Path<String>, c| billing::delete_package(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/packages/{id}/restore",
        put(|s, Path(id): Path<String>, c| billing::restore_package(s, id, c)),
    );
    r = both(r, "/teamtools/plans", get(billing::plans).post(billing::create_plan));
    r = both(
        r,
        "/teamtools/plans/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_plan(s, id, c))
            .put(|s, Path(id): Path<String>, c| billing::update_plan(s, id, c))
            .delete(|s, Path(id): Path<String>, c| billing::delete_plan(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/subscriptions/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_subscription(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/subscriptions/{id}/addinvoiceitem",
        put(|s, Path(id): Path<String>, c| billing::add_invoice_item(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/invoices",
        get(billing::invoices).post(billing::create_invoice),
    );
    r = both(
        r,
        "/teamtools/invoices/{id}",
        get(|s, Path(id): Path<String>, c| billing::get_invoice(s, id, c))
            .put(|s, Path(id): Path<String>, c| billing::update_invoice(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/invoices/{id}/settle",
        put(|s, Path(id): Path<String>, c| billing::settle(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/invoices/{id}/payment",
        put(|s, Path(id): Path<String>, c| billing::apply_payment(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/invoices/{id}/payments",
        get(|s, Path(id): Path<String>, c| billing::payments(s, id, c)),
    );
    r = both(
        r,
        "/teamtools/invoices/{id}/refunds",
        get(|s, Path(id): Path<String>, c| billing::refunds(s, id, c)),
    );
    for collection in ["payments", "refunds"] {
        r = both(r, &format!("/teamtools/{collection}"), any(through_invoices));
        r = both(r, &format!("/teamtools/{collection}/{{*rest}}"), any(through_invoices));
    }
    r
}

fn out_of_scope_routes(mut r: Router<AppState>) -> Router<AppState> {
    for collection in ["coupons", "stripe"] {
        r = both(r, &format!("/teamtools/{collection}"), any(out_of_scope));
        r = both(r, &format!("/teamtools/{collection}/{{*rest}}"), any(out_of_scope));
    }
    r
}

/// Registers `route` at `path` and at `path/` (the SDK creates with a trailing slash; Guzzle would turn a
/// redirected POST into a GET, so both are served as they are).
fn both(router: Router<AppState>, path: &str, route: MethodRouter<AppState>) -> Router<AppState> {
    if path.contains("{*") {
        return router.route(path, route);
    }
    router.route(path, route.clone()).route(&format!("{path}/"), route)
}

async fn through_invoices() -> TeamToolsError {
    TeamToolsError::new(
        ErrorCode::NotFound,
        "payments and refunds are read through their invoice: invoices/{id}/payments, invoices/{id}/refunds",
    )
}

async fn out_of_scope() -> TeamToolsError {
    TeamToolsError::new(
        ErrorCode::NotFound,
        "coupons and the Stripe forwarder are not part of ferrodesk",
    )
}

/// The answer of a TeamTools handler.
pub(crate) type Answer = Result<axum::Json<serde_json::Value>, TeamToolsError>;

/// A TeamTools error answer: `{"error": {"message": …, "code": …, "errors": {field: [messages]}, "row": n}}`
/// with the status (`errors` for invalid fields, `row` for the failed row of a bulk save).
#[derive(Debug)]
pub(crate) struct TeamToolsError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub errors: Vec<api_types::FieldError>,
    pub row: Option<usize>,
}

impl TeamToolsError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
            errors: Vec::new(),
            row: None,
        }
    }

    /// 422 naming one field.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        Self::from(ApiError::field(field, message))
    }

    /// The same error, as the failure of row `row` (0-based) of a bulk save.
    pub(crate) fn in_row(mut self, row: usize) -> Self {
        self.message = format!("row {row}: {}", self.message);
        self.row = Some(row);
        self
    }
}

/// Any native failure (already logged by its conversion, internals never shown) in TeamTools' shape. The
/// message names the invalid fields, since the SDK shows only `error.message`.
impl From<ApiError> for TeamToolsError {
    fn from(e: ApiError) -> Self {
        let problem = e.0;
        let message = if problem.errors.is_empty() {
            problem.detail.unwrap_or(problem.title)
        } else {
            problem
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        Self {
            status: StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: problem.code,
            message,
            errors: problem.errors,
            row: None,
        }
    }
}

impl From<app::AppError> for TeamToolsError {
    fn from(e: app::AppError) -> Self {
        Self::from(ApiError::from(e))
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
        let mut error = json!({ "message": self.message, "code": self.code });
        if !self.errors.is_empty() {
            let mut fields = serde_json::Map::new();
            for f in self.errors {
                let entry = fields
                    .entry(f.field)
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                if let serde_json::Value::Array(list) = entry {
                    list.push(serde_json::Value::String(f.message));
                }
            }
            error["errors"] = serde_json::Value::Object(fields);
        }
        if let Some(row) = self.row {
            error["row"] = row.into();
        }
        (self.status, axum::Json(json!({ "error": error }))).into_response()
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
