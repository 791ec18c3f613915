//! Routes of tickets and their replies (`/api/v1/tickets`, `…/replies`, `…/read`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Auth, Id, Ids, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{ListQuery, NewReply, NewTicket, Page, Problem, Reply, ReplyPatch, Ticket, TicketPatch, TicketQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// `?include=replies,service` on a single ticket: its conversation, and (for staff) its `service` as an
/// object (`TicketService`: the subscription with plan, unpaid invoices, incidents left) instead of an id.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub(crate) struct Include {
    pub include: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicket,
    responses((status = 201, body = Ticket), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(m): Meta,
    Json(body): Json<NewTicket>,
) -> Answer<(StatusCode, Json<Ticket>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_ticket(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = Page<Ticket>), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<TicketQuery>,
) -> Answer<Json<Page<Ticket>>> {
    Ok(Json(page(s.app.list_tickets(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path), Include),
    responses((status = 200, body = Ticket), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    Query(q): Query<Include>,
) -> Answer<axum::response::Response> {
    let included = |name: &str| {
        q.include
            .as_deref()
            .is_some_and(|i| i.split(',').any(|x| x.trim() == name))
    };
    let ticket = s.app.get_ticket(&p, id, included("replies")).await?;
    if !included("service") {
        return Ok(Json(ticket).into_response());
    }
    let service = s.app.ticket_service(&p, id).await?;
    let mut body = serde_json::to_value(&ticket).map_err(|e| app::AppError::Internal(e.to_string()))?;
    if let (Some(service), Some(fields)) = (service, body.as_object_mut()) {
        let service = serde_json::to_value(service).map_err(|e| app::AppError::Internal(e.to_string()))?;
        fields.insert("service".into(), service);
    }
    Ok(Json(body).into_response())
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = TicketPatch,
    responses((status = 200, body = Ticket), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<TicketPatch>,
) -> Answer<Json<Ticket>> {
    Ok(Json(s.app.update_ticket(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_ticket(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A ticket's replies, oldest first, a page at a time (`limit`, `cursor`).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/replies", tag = "tickets", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<Reply>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn replies(
    State(s): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Reply>>> {
    Ok(Json(page(s.app.list_replies(&p, id, &q).await?)))
}

/// A reply, as JSON or as `multipart/form-data` with files (SPEC §10): each file up to
/// `FERRODESK_ATTACHMENT_MAX_BYTES` (larger: 413), stored with the reply in one transaction.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/replies", tag = "tickets", params(("id" = i64, Path)),
    request_body(content(
        (NewReply = "application/json"),
        (super::attachments::ReplyUpload = "multipart/form-data"),
    )),
    responses((status = 201, body = Reply), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn reply(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(m): Meta,
    Id(id): Id,
    super::attachments::ReplyInput(body, files): super::attachments::ReplyInput,
) -> Answer<(StatusCode, Json<Reply>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.reply_with_files(&p, &m, id, body, files).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}/replies/{rid}", tag = "tickets",
    params(("id" = i64, Path), ("rid" = i64, Path)), request_body = ReplyPatch,
    responses((status = 200, body = Reply), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_reply(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Ids(id, rid): Ids,
    Json(body): Json<ReplyPatch>,
) -> Answer<Json<Reply>> {
    Ok(Json(s.app.update_reply(&p, &m, id, rid, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/replies/{rid}", tag = "tickets",
    params(("id" = i64, Path), ("rid" = i64, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_reply(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Ids(id, rid): Ids,
) -> Answer<StatusCode> {
    s.app.delete_reply(&p, &m, id, rid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/read", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 404, body = Problem)))]
pub(crate) async fn read(State(s): State<AppState>, Auth(p): Auth, Meta(m): Meta, Id(id): Id) -> Answer<Json<Ticket>> {
    Ok(Json(s.app.mark_ticket_read(&p, &m, id).await?))
}
