//! Routes of API tokens (`/api/v1/tokens`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Id, Json, Meta, Query};
use crate::state::AppState;
use api_types::{ApiToken, CreatedToken, ListQuery, NewToken, Page, Problem};
use axum::extract::State;
use axum::http::StatusCode;

/// Creates a token; the answer's `token` is the secret and is never shown again.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewToken>,
) -> Answer<(StatusCode, Json<CreatedToken>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_token(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(ListQuery), responses((status = 200, body = Page<ApiToken>)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<ApiToken>>> {
    Ok(Json(page(s.app.list_tokens(&p, &q).await?)))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_token(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
