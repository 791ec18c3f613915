//! Routes of mailboxes (`/api/v1/mailboxes`), for admins (SPEC §10, §9).
use super::Answer;
use crate::extract::{AdminAuth, Id, Json, Meta, Query};
use crate::state::AppState;
use api_types::{Mailbox, MailboxPatch, MailboxTest, NewMailbox, Page, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

/// `GET /api/v1/mailboxes?brand_id=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailboxQuery {
    /// Only this brand's mailboxes.
    brand_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mail", request_body = NewMailbox,
    responses((status = 201, body = Mailbox), (status = 422, body = Problem)))]
pub(crate) async fn create_mailbox(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewMailbox>,
) -> Answer<(StatusCode, Json<Mailbox>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_mailbox(&p, &m, body).await?)))
}

/// Every mailbox (an installation has few: one page, no cursor).
#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mail", params(MailboxQuery),
    responses((status = 200, body = Page<Mailbox>)))]
pub(crate) async fn list_mailboxes(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<MailboxQuery>,
) -> Answer<Json<Page<Mailbox>>> {
    let data = s.app.list_mailboxes(&p, q.brand_id).await?;
    Ok(Json(Page {
        data,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Mailbox), (status = 404, body = Problem)))]
pub(crate) async fn get_mailbox(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<Mailbox>> {
    Ok(Json(s.app.mailbox(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    request_body = MailboxPatch,
    responses((status = 200, body = Mailbox), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_mailbox(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<MailboxPatch>,
) -> Answer<Json<Mailbox>> {
    Ok(Json(s.app.update_mailbox(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_mailbox(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_mailbox(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Connects to the mailbox's IMAP and SMTP servers and logs in; says what failed.
#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/test", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = MailboxTest), (status = 404, body = Problem)))]
pub(crate) async fn test_mailbox(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<MailboxTest>> {
    Ok(Json(s.app.test_mailbox(&p, id).await?))
}
