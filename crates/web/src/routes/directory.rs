//! Routes of brands and departments (`/api/v1/brands`, `/api/v1/departments`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Auth, Id, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{Brand, BrandPatch, Department, DepartmentPatch, ListQuery, NewBrand, NewDepartment, Page, Problem};
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(post, path = "/api/v1/brands", tag = "brands", request_body = NewBrand,
    responses((status = 201, body = Brand), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_brand(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewBrand>,
) -> Answer<(StatusCode, Json<Brand>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_brand(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/brands", tag = "brands", params(ListQuery), responses((status = 200, body = Page<Brand>)))]
pub(crate) async fn list_brands(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Brand>>> {
    Ok(Json(page(s.app.list_brands(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/brands/{id}", tag = "brands", params(("id" = i64, Path)),
    responses((status = 200, body = Brand), (status = 404, body = Problem)))]
pub(crate) async fn get_brand(State(s): State<AppState>, StaffAuth(p): StaffAuth, Id(id): Id) -> Answer<Json<Brand>> {
    Ok(Json(s.app.get_brand(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/brands/{id}", tag = "brands", params(("id" = i64, Path)), request_body = BrandPatch,
    responses((status = 200, body = Brand), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_brand(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<BrandPatch>,
) -> Answer<Json<Brand>> {
    Ok(Json(s.app.update_brand(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/brands/{id}", tag = "brands", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete_brand(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_brand(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_department(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewDepartment>,
) -> Answer<(StatusCode, Json<Department>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_department(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", params(ListQuery), responses((status = 200, body = Page<Department>)))]
pub(crate) async fn list_departments(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Department>>> {
    Ok(Json(page(s.app.list_departments(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses((status = 200, body = Department), (status = 404, body = Problem)))]
pub(crate) async fn get_department(State(s): State<AppState>, Auth(p): Auth, Id(id): Id) -> Answer<Json<Department>> {
    Ok(Json(s.app.get_department(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)), request_body = DepartmentPatch,
    responses((status = 200, body = Department), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_department(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<DepartmentPatch>,
) -> Answer<Json<Department>> {
    Ok(Json(s.app.update_department(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete_department(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_department(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
