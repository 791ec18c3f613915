//! Routes of staff accounts and the caller's own identity (`/api/v1/staff`, `/api/v1/me`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Auth, Id, Json, Meta, Query};
use crate::state::AppState;
use api_types::{ListQuery, Me, NewStaff, Page, Problem, Staff, StaffPatch};
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(get, path = "/api/v1/me", tag = "staff", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub(crate) async fn me(State(s): State<AppState>, Auth(p): Auth) -> Answer<Json<Me>> {
    Ok(Json(s.app.me(&p)?))
}

#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = NewStaff,
    responses((status = 201, body = Staff), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewStaff>,
) -> Answer<(StatusCode, Json<Staff>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_staff(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(ListQuery), responses((status = 200, body = Page<Staff>)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Staff>>> {
    Ok(Json(page(s.app.list_staff(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, body = Staff), (status = 404, body = Problem)))]
pub(crate) async fn get(State(s): State<AppState>, AdminAuth(p): AdminAuth, Id(id): Id) -> Answer<Json<Staff>> {
    Ok(Json(s.app.get_staff(&p, id).await?))
}

/// Password changes: 10 a minute per principal, then 429 with Retry-After.
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)), request_body = StaffPatch,
    responses((status = 200, body = Staff), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too many password changes; see Retry-After", body = Problem)))]
pub(crate) async fn update(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<StaffPatch>,
) -> Answer<Json<Staff>> {
    Ok(Json(s.app.update_staff(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_staff(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
