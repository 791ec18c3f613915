//! Ticaga's API under `/api/` (SPEC §7.2, `compat/ticaga.md`), as its Blesta and ClientExec billing plugins
//! call it: `Authorization: Bearer <staff token>` (`X-Admin-Email` is ignored), JSON or form bodies whose
//! numbers may come as strings, and answers whose HTTP status is what the plugins read — 401 for a bad
//! token, 404 for an unknown id, 2xx for success. Error bodies are problem+json with Ticaga's `error`
//! member beside `code`. Every Ticaga user id is a ferrodesk end-user id.
use crate::error::ApiError;
use crate::extract::{Meta, body_rejection};
use crate::state::AppState;
use api_types::{ErrorCode, ListQuery, NewReply, NewTicket, TicketQuery};
use app::RequestMeta;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::{Department, Principal, Priority, Reply, Ticket};
use serde_json::{Map, Value, json};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/customers/get/{id}", get(customer_get))
        .route("/api/customers/link", post(customer_link))
        .route("/api/customers/assign", post(customer_assign))
        .route("/api/customers/sync", post(customer_sync))
        .route("/api/tickets/create", post(ticket_create))
        .route("/api/tickets/get/all/{user_id}", get(tickets_of_user))
        .route("/api/tickets/get", post(ticket_of_user))
        .route("/api/tickets/info", post(ticket_info))
        .route("/api/tickets/{id}", get(ticket_by_id))
        .route("/api/responses/create", post(response_create))
        .route("/api/responses/get", post(responses_get))
        .route("/api/departments/public", get(departments_public))
        .route("/api/departments/customers", get(departments_public))
        .route("/api/departments/get/{slug}", get(department_by_slug))
        .route("/api/departments/get_by_id/{id}", get(department_by_id))
}

/// A failure in Ticaga's shape: the problem document, plus `error` (the message Ticaga's own server gives).
#[derive(Debug)]
pub(crate) struct TicagaError(ApiError);

impl TicagaError {
    fn new(code: ErrorCode, message: &str) -> Self {
        Self(ApiError::new(code, message))
    }

    /// The 404 Ticaga documents for `customers/assign` with an unknown user.
    fn not_authenticated() -> Self {
        Self::new(ErrorCode::NotFound, "User not authenticated")
    }

    fn no_user() -> Self {
        Self::new(ErrorCode::NotFound, "User not found")
    }
}

impl From<ApiError> for TicagaError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<app::AppError> for TicagaError {
    fn from(e: app::AppError) -> Self {
        Self(ApiError::from(e))
    }
}

impl IntoResponse for TicagaError {
    fn into_response(self) -> Response {
        let problem = self.0.0;
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = if problem.errors.is_empty() {
            problem.detail.clone().unwrap_or_else(|| problem.title.clone())
        } else {
            problem
                .errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut body = serde_json::to_value(&problem).unwrap_or_else(|_| json!({}));
        body["error"] = Value::String(message);
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

type Answer = Result<Response, TicagaError>;

fn ok(body: Value) -> Answer {
    Ok(axum::Json(body).into_response())
}

fn created(body: Value) -> Answer {
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// One authenticated Ticaga call: the staff principal and the body's members (JSON object or form fields).
pub(crate) struct Call {
    principal: Principal,
    meta: RequestMeta,
    body: Map<String, Value>,
}

impl FromRequest<AppState> for Call {
    type Rejection = TicagaError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, TicagaError> {
        let (mut parts, body) = req.into_parts();
        let Meta(mut meta) = Meta::from_request_parts(&mut parts, state).await?;
        meta.url = Some(parts.uri.path().to_owned());
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| TicagaError::new(ErrorCode::Unauthenticated, "Unauthenticated."))?;
        let principal = state
            .app
            .authenticate_token(&secret)
            .await
            .map_err(|_| TicagaError::new(ErrorCode::Unauthenticated, "Unauthenticated."))?;
        if !principal.is_staff() {
            // Ticaga's plugins read 401 and 403 alike: "the key must belong to a staff account".
            return Err(TicagaError::new(
                ErrorCode::Unauthenticated,
                "the API key must belong to a staff account",
            ));
        }
        let form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| TicagaError::from(body_rejection(e)))?;
        let body = parse_body(&bytes, form)?;
        let errors = domain::control::control_characters_in(&Value::Object(body.clone()));
        if !errors.is_empty() {
            return Err(ApiError(api_types::Problem::validation(errors), None).into());
        }
        Ok(Call { principal, meta, body })
    }
}

/// The members of a body: a JSON object, or form fields (`application/x-www-form-urlencoded`, or any body
/// that does not start like JSON). A form must be UTF-8 with well-formed `%XX` escapes.
fn parse_body(bytes: &[u8], form: bool) -> Result<Map<String, Value>, TicagaError> {
    let text = bytes.trim_ascii();
    if text.is_empty() {
        return Ok(Map::new());
    }
    if !form && matches!(text.first(), Some(b'{' | b'[')) {
        return match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(TicagaError::new(
                ErrorCode::BadRequest,
                "the body must be a JSON object",
            )),
            Err(e) => Err(TicagaError::new(ErrorCode::BadRequest, &format!("malformed JSON: {e}"))),
        };
    }
    let malformed = || TicagaError::new(ErrorCode::BadRequest, "malformed form body");
    let text = std::str::from_utf8(text).map_err(|_| malformed())?;
    let bad_escape = text.as_bytes().iter().enumerate().any(|(i, b)| {
        *b == b'%'
            && !text
                .as_bytes()
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if bad_escape {
        return Err(malformed());
    }
    let mut map = Map::new();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        if key.is_empty() {
            return Err(malformed());
        }
        map.insert(key.into_owned(), Value::String(value.into_owned()));
    }
    Ok(map)
}

impl Call {
    /// A text member (numbers are given as their digits); blank is absent.
    fn text(&self, name: &str) -> Option<String> {
        match self.body.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn required(&self, name: &str) -> Result<String, TicagaError> {
        self.text(name)
            .ok_or_else(|| ApiError::field(name, "is required").into())
    }

    /// An id member, as a number or a string of digits; `None` when absent.
    fn id(&self, name: &str) -> Result<Option<i64>, TicagaError> {
        match self.text(name) {
            None => Ok(None),
            Some(t) => t
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0)
                .map(Some)
                .ok_or_else(|| ApiError::field(name, "must be an id").into()),
        }
    }

    /// A flag sent as `"0"`/`"1"`, a number or a boolean.
    fn flag(&self, name: &str) -> bool {
        match self.body.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            Some(Value::String(s)) => matches!(s.trim(), "1" | "true" | "yes" | "on"),
            _ => false,
        }
    }
}

/// A Ticaga priority: `1|2|3`, or a word (`low`; `medium`/`normal`; `high`/`urgent`/`critical`), as a
/// number or a string.
pub(crate) fn priority(value: &Value) -> Option<Priority> {
    let word = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_ascii_lowercase(),
        _ => return None,
    };
    match word.as_str() {
        "1" | "low" => Some(Priority::LOW),
        "2" | "medium" | "normal" => Some(Priority::MEDIUM),
        "3" | "high" | "urgent" | "critical" => Some(Priority::HIGH),
        _ => None,
    }
}

fn priority_word(p: Priority) -> &'static str {
    match p.get() {
        1 => "low",
        3 => "high",
        _ => "medium",
    }
}

fn ticket_json(t: &Ticket) -> Value {
    json!({
        "id": t.id,
        "ticket_number": t.id,
        "user_id": t.user_id,
        "customer_id": t.customer_id,
        "subject": t.title,
        "status": t.status,
        "priority": priority_word(t.priority),
        "department_id": t.did,
        "created_at": t.ctime,
        "updated_at": t.lastreply,
    })
}

fn reply_json(r: &Reply) -> Value {
    json!({
        "id": r.id,
        "ticket_number": r.owner_id,
        "user_id": r.user_id,
        "content": r.message,
        "employee_response": u8::from(r.admin),
        "is_note": u8::from(r.internal),
        "name": r.name,
        "created_at": r.ctime,
    })
}

fn department_json(d: &Department) -> Value {
    json!({
        "id": d.id,
        "department_name": d.name,
        "name": d.name,
        "slug": d.slug,
        "description": d.description,
        "public": d.public,
        "brand_id": d.brand_id,
    })
}

/// A path id; anything but digits names nothing (404).
fn path_id(raw: &str) -> Result<i64, TicagaError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .ok_or_else(TicagaError::no_user)
}

/// `GET customers/get/{id}`: the end user with their customer's billing links; `get/0` is the token's
/// owner (the plugins' connection test).
async fn customer_get(State(s): State<AppState>, Path(id): Path<String>, call: Call) -> Answer {
    let id = path_id(&id)?;
    if id == 0 {
        let me = s.app.me(&call.principal)?;
        return ok(json!({"user": {"id": me.id, "name": me.name, "email": null, "kind": me.kind, "billing": []}}));
    }
    let user = s.app.ticaga_user(&call.principal, id).await.map_err(|e| match e {
        app::AppError::NotFound => TicagaError::no_user(),
        other => other.into(),
    })?;
    let billing: Vec<Value> = user
        .links
        .iter()
        .map(|l| json!({"billing_system": l.billing_system.as_str(), "billing_id": l.billing_id}))
        .collect();
    let u = &user.end_user;
    ok(json!({"user": {
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "customer_id": u.customer_id,
        "billing": billing,
    }}))
}

/// `POST customers/link {email, name, billing_id, billing_system}`: `{"user": {"id": <end user id>}}`.
async fn customer_link(State(s): State<AppState>, call: Call) -> Answer {
    let email = call.required("email")?;
    let person = s
        .app
        .ticaga_link(
            &call.principal,
            &call.meta,
            &email,
            call.text("name").as_deref(),
            &call.required("billing_system")?,
            &call.required("billing_id")?,
        )
        .await?;
    ok(json!({"user": {"id": person.id, "customer_id": person.customer_id}}))
}

/// `POST customers/assign {ticaga_id, billing_id, billing_system}`: `{"user": true}`; an unknown
/// `ticaga_id` is 404 `{"error": "User not authenticated"}`.
async fn customer_assign(State(s): State<AppState>, call: Call) -> Answer {
    let id = call
        .text("ticaga_id")
        .ok_or_else(|| TicagaError::from(ApiError::field("ticaga_id", "is required")))?;
    let id = id.parse::<i64>().map_err(|_| TicagaError::not_authenticated())?;
    let system = call.required("billing_system")?;
    let billing_id = call.required("billing_id")?;
    s.app
        .ticaga_assign(&call.principal, &call.meta, id, &system, &billing_id)
        .await
        .map_err(|e| match e {
            app::AppError::NotFound => TicagaError::not_authenticated(),
            other => other.into(),
        })?;
    ok(json!({"user": true}))
}

/// `POST customers/sync {external_id, name, email, company}` (ClientExec): upsert by `external_id`.
async fn customer_sync(State(s): State<AppState>, call: Call) -> Answer {
    let person = s
        .app
        .ticaga_sync(
            &call.principal,
            &call.meta,
            &call.required("external_id")?,
            call.text("name").as_deref(),
            &call.required("email")?,
            call.text("company").as_deref(),
        )
        .await?;
    ok(json!({"user": {"id": person.id, "customer_id": person.customer_id}}))
}

/// The department a plugin names by `department_slug` (or `department_id`).
async fn named_department(s: &AppState, call: &Call) -> Result<Department, TicagaError> {
    if let Some(id) = call.id("department_id")? {
        return s
            .app
            .get_department(&call.principal, id)
            .await
            .map_err(|_| ApiError::field("department_id", "no such department").into());
    }
    let slug = call.required("department_slug")?;
    all_departments(s, &call.principal)
        .await?
        .into_iter()
        .find(|d| d.slug == slug)
        .ok_or_else(|| ApiError::field("department_slug", "no such department").into())
}

async fn all_departments(s: &AppState, p: &Principal) -> Result<Vec<Department>, TicagaError> {
    let rows = crate::routes::every_page(10_000, |cursor| async move {
        let q = ListQuery {
            limit: Some(500),
            cursor,
            ..ListQuery::default()
        };
        s.app.list_departments(p, &q).await
    })
    .await?;
    Ok(rows)
}

/// `POST tickets/create`: a ticket for user `customer_id` (an end-user id), or for the guest named by
/// `public_email`/`public_name` when it is `0`; answers the new ticket's `id`.
async fn ticket_create(State(s): State<AppState>, call: Call) -> Answer {
    let subject = call.required("subject")?;
    let message = call.required("message")?;
    let priority = match call.body.get("priority") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.trim().is_empty() => None,
        Some(v) => Some(priority(v).ok_or_else(|| {
            TicagaError::from(ApiError::field(
                "priority",
                "must be 1, 2, 3, low, medium, normal, high, urgent or critical",
            ))
        })?),
    };
    let department = named_department(&s, &call).await?;
    let user_id = match call.id("customer_id")?.filter(|id| *id > 0) {
        Some(id) => {
            let user = s.app.ticaga_user(&call.principal, id).await.map_err(|e| match e {
                app::AppError::NotFound => TicagaError::no_user(),
                other => other.into(),
            })?;
            user.end_user.id
        }
        None => {
            let email = call.required("public_email")?;
            let guest = s
                .app
                .ticaga_guest(&call.principal, &call.meta, &email, call.text("public_name").as_deref())
                .await?;
            guest.id
        }
    };
    let custom_fields = match call.body.get("custom_fields") {
        Some(Value::Object(map)) => Some(map.clone()),
        _ => None,
    };
    let ticket = s
        .app
        .create_ticket(
            &call.principal,
            &call.meta,
            NewTicket {
                did: department.id,
                title: subject,
                message,
                priority,
                user_id: Some(user_id),
                custom_fields,
                ..NewTicket::default()
            },
        )
        .await?;
    created(json!({"id": ticket.id, "ticket_number": ticket.id, "ticket": ticket_json(&ticket)}))
}

/// `GET tickets/get/all/{user_id}`: the user's tickets, newest first.
async fn tickets_of_user(State(s): State<AppState>, Path(user_id): Path<String>, call: Call) -> Answer {
    let user = s
        .app
        .ticaga_user(&call.principal, path_id(&user_id)?)
        .await
        .map_err(|e| match e {
            app::AppError::NotFound => TicagaError::no_user(),
            other => other.into(),
        })?;
    let (app, p, user_id) = (&s.app, &call.principal, user.end_user.id);
    let rows = crate::routes::every_page(5_000, |cursor| async move {
        let q = TicketQuery {
            user_id: Some(user_id),
            limit: Some(500),
            cursor,
            ..TicketQuery::default()
        };
        app.list_tickets(p, &q).await
    })
    .await?;
    let tickets: Vec<Value> = rows.iter().map(ticket_json).collect();
    ok(json!({"tickets": tickets}))
}

async fn ticket(s: &AppState, call: &Call, id: i64) -> Result<Ticket, TicagaError> {
    s.app.get_ticket(&call.principal, id, false).await.map_err(|e| match e {
        app::AppError::NotFound => TicagaError::new(ErrorCode::NotFound, "Ticket not found"),
        other => other.into(),
    })
}

/// `POST tickets/get {id: <user id>, ticket_id}`: one ticket of that user (404 for another's).
async fn ticket_of_user(State(s): State<AppState>, call: Call) -> Answer {
    let user_id = call.id("id")?.or(call.id("user_id")?);
    let id = call
        .id("ticket_id")?
        .ok_or_else(|| TicagaError::from(ApiError::field("ticket_id", "is required")))?;
    let t = ticket(&s, &call, id).await?;
    if user_id.is_some_and(|u| u != t.user_id) {
        return Err(TicagaError::new(ErrorCode::NotFound, "Ticket not found"));
    }
    ok(json!({"tickets": ticket_json(&t)}))
}

/// `POST tickets/info {ticket_id}`.
async fn ticket_info(State(s): State<AppState>, call: Call) -> Answer {
    let id = call
        .id("ticket_id")?
        .ok_or_else(|| TicagaError::from(ApiError::field("ticket_id", "is required")))?;
    let t = ticket(&s, &call, id).await?;
    ok(json!({"tickets": ticket_json(&t)}))
}

/// `GET tickets/{id}`: the ticket itself (the plugins compare its `user_id` with the linked user).
async fn ticket_by_id(State(s): State<AppState>, Path(id): Path<String>, call: Call) -> Answer {
    let id = id
        .parse::<i64>()
        .map_err(|_| TicagaError::new(ErrorCode::NotFound, "Ticket not found"))?;
    let t = ticket(&s, &call, id).await?;
    ok(ticket_json(&t))
}

/// `POST responses/create {user_id, ticket_number, content, is_note, employee_response}`: a reply by the
/// user (who must be the ticket's), or by staff with `employee_response: 1` (an internal note with
/// `is_note: 1`).
async fn response_create(State(s): State<AppState>, call: Call) -> Answer {
    let id = call
        .id("ticket_number")?
        .or(call.id("ticket_id")?)
        .ok_or_else(|| TicagaError::from(ApiError::field("ticket_number", "is required")))?;
    let content = call.required("content")?;
    let t = ticket(&s, &call, id).await?;
    let staff = call.flag("employee_response") || call.flag("is_note");
    let author = if staff {
        call.principal.clone()
    } else {
        let user_id = call.id("user_id")?.unwrap_or(t.user_id);
        let user = s.app.ticaga_user(&call.principal, user_id).await.map_err(|e| match e {
            app::AppError::NotFound => TicagaError::no_user(),
            other => other.into(),
        })?;
        if user.end_user.customer_id != t.customer_id {
            return Err(TicagaError::new(ErrorCode::NotFound, "Ticket not found"));
        }
        Principal::EndUser {
            id: user.end_user.id,
            customer_id: user.end_user.customer_id,
            name: user.end_user.name,
        }
    };
    let reply = s
        .app
        .reply_to_ticket(
            &author,
            &call.meta,
            id,
            NewReply {
                message: content,
                internal: Some(staff && call.flag("is_note")),
            },
        )
        .await?;
    created(json!({"response": reply_json(&reply)}))
}

/// `POST responses/get {ticket_id}`: the conversation as the customer sees it (no internal notes).
async fn responses_get(State(s): State<AppState>, call: Call) -> Answer {
    let id = call
        .id("ticket_id")?
        .or(call.id("ticket_number")?)
        .ok_or_else(|| TicagaError::from(ApiError::field("ticket_id", "is required")))?;
    ticket(&s, &call, id).await?;
    let (app, p) = (&s.app, &call.principal);
    let rows = crate::routes::every_page(5_000, |cursor| async move {
        let q = ListQuery {
            limit: Some(500),
            cursor,
            ..ListQuery::default()
        };
        app.list_replies(p, id, &q).await
    })
    .await?;
    let replies: Vec<Value> = rows.iter().filter(|r| !r.internal).map(reply_json).collect();
    ok(json!({"responses": replies}))
}

/// `GET departments/public` (and `departments/customers`): the departments customers may open tickets in.
async fn departments_public(State(s): State<AppState>, call: Call) -> Answer {
    let departments: Vec<Value> = all_departments(&s, &call.principal)
        .await?
        .iter()
        .filter(|d| d.public)
        .map(department_json)
        .collect();
    ok(json!({"departments": departments}))
}

async fn department_by_slug(State(s): State<AppState>, Path(slug): Path<String>, call: Call) -> Answer {
    let found = all_departments(&s, &call.principal)
        .await?
        .into_iter()
        .find(|d| d.slug == slug)
        .ok_or_else(|| TicagaError::new(ErrorCode::NotFound, "Department not found"))?;
    ok(json!({"department": [department_json(&found)]}))
}

async fn department_by_id(State(s): State<AppState>, Path(id): Path<String>, call: Call) -> Answer {
    let id = id
        .parse::<i64>()
        .map_err(|_| TicagaError::new(ErrorCode::NotFound, "Department not found"))?;
    let found = s
        .app
        .get_department(&call.principal, id)
        .await
        .map_err(|_| TicagaError::new(ErrorCode::NotFound, "Department not found"))?;
    ok(json!({"department": [department_json(&found)]}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_as_numbers_strings_and_words() {
        for (value, expected) in [
            (json!(1), Some(Priority::LOW)),
            (json!("2"), Some(Priority::MEDIUM)),
            (json!(" Normal "), Some(Priority::MEDIUM)),
            (json!("URGENT"), Some(Priority::HIGH)),
            (json!("critical"), Some(Priority::HIGH)),
            (json!("low"), Some(Priority::LOW)),
            (json!(4), None),
            (json!("soon"), None),
            (json!(true), None),
        ] {
            assert_eq!(priority(&value), expected, "{value}");
        }
    }

    #[test]
    fn bodies_as_json_or_form() {
        let form = parse_body(b"email=pat%40example.com&name=Pat+Doe&billing_id=7", true).expect("form");
        assert_eq!(form["email"], "pat@example.com");
        assert_eq!(form["name"], "Pat Doe");
        let json = parse_body(br#"{"ticaga_id": 5, "billing_id": "c-1"}"#, false).expect("json");
        assert_eq!(json["ticaga_id"], 5);
        let untyped = parse_body(b"ticaga_id=5", false).expect("a form without its content type");
        assert_eq!(untyped["ticaga_id"], "5");
        assert!(parse_body(b"", true).expect("empty").is_empty());
        for bad in [&b"email=%zz"[..], b"a=%4", b"=x", b"\xff\xfe=1"] {
            assert!(parse_body(bad, true).is_err(), "{bad:?}");
        }
        assert!(parse_body(b"{\"a\": ", false).is_err());
        assert!(parse_body(b"[1, 2]", false).is_err());
    }
}
