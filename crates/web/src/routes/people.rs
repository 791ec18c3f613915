//! Routes of customers and end users (`/api/v1/customers`, `/api/v1/end-users`) and their sub-resources.
use super::embed::{self, NATIVE, Node};
use super::{Answer, page};
use crate::extract::{AdminAuth, Auth, Filtered, Id, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{
    ApiToken, CreatedToken, Customer, CustomerPatch, EndUser, EndUserPatch, Event, EventQuery, ListQuery,
    MigrateEndUsers, NewCustomer, NewEndUser, NewToken, Page, PersonListQuery, Problem, Role,
};
use axum::extract::State;
use axum::http::StatusCode;
use domain::include::EntityKind;
use serde_json::Value;

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomer,
    responses((status = 201, body = Customer), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_customer(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Json(body): Json<NewCustomer>,
) -> Answer<(StatusCode, Json<Customer>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_customer(&p, &m, body).await?)))
}

/// Customers by `keyword`, `filter` (also repeated, or as `filter[]`), `tag`, `external_id`, in the order of
/// `sort`; a malformed filter is 422 naming the character where it went wrong.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(PersonListQuery),
    responses((status = 200, body = Page<Customer>), (status = 422, body = Problem)))]
pub(crate) async fn list_customers(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Filtered(q, filters): Filtered<PersonListQuery>,
) -> Answer<Json<Value>> {
    let includes = embed::includes(EntityKind::Customer, q.include.as_deref())?;
    let found = page(s.app.list_customers(&p, &q, &filters).await?);
    let mut nodes: Vec<Node> = found.data.iter().map(|c| Node::customer(c, &NATIVE)).collect();
    embed::embed(&s.app, &p, &NATIVE, EntityKind::Customer, &mut nodes, &includes).await?;
    Ok(Json(nodes_page(nodes, found.next_cursor)))
}

/// A page of embedded records, in the list shape.
fn nodes_page(nodes: Vec<Node>, next_cursor: Option<String>) -> Value {
    let data: Vec<Value> = nodes.into_iter().map(|n| Value::Object(n.members)).collect();
    serde_json::json!({ "data": data, "next_cursor": next_cursor })
}

/// `?include=` of a single record.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub(crate) struct IncludeQuery {
    /// Related records to embed: comma list of paths, dots for nesting (customers: `endusers`, `events`;
    /// end users: `customer`, `events`).
    pub include: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path), IncludeQuery),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub(crate) async fn get_customer(
    State(s): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    Query(q): Query<IncludeQuery>,
) -> Answer<Json<Value>> {
    let includes = embed::includes(EntityKind::Customer, q.include.as_deref())?;
    let c = s.app.get_customer(&p, id).await?;
    let mut nodes = [Node::customer(&c, &NATIVE)];
    embed::embed(&s.app, &p, &NATIVE, EntityKind::Customer, &mut nodes, &includes).await?;
    let [node] = nodes;
    Ok(Json(Value::Object(node.members)))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = CustomerPatch,
    responses((status = 200, body = Customer), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_customer(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<CustomerPatch>,
) -> Answer<Json<Customer>> {
    Ok(Json(s.app.update_customer(&p, &m, id, body).await?))
}

/// Soft delete: the customer vanishes from lists and searches until restored. Answers the deleted record.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub(crate) async fn delete_customer(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Customer>> {
    Ok(Json(s.app.set_customer_deleted(&p, &m, id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/restore", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = Problem)))]
pub(crate) async fn restore_customer(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<Customer>> {
    Ok(Json(s.app.set_customer_deleted(&p, &m, id, false).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/events", tag = "events", params(("id" = i64, Path), EventQuery),
    responses((status = 200, body = Page<Event>), (status = 404, body = Problem)))]
pub(crate) async fn customer_events(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
    Query(q): Query<EventQuery>,
) -> Answer<Json<Page<Event>>> {
    Ok(Json(page(s.app.list_customer_events(&p, id, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/end-users", tag = "customers", params(("id" = i64, Path), PersonListQuery),
    responses((status = 200, body = Page<EndUser>), (status = 404, body = Problem)))]
pub(crate) async fn customer_end_users(
    State(s): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    Filtered(mut q, filters): Filtered<PersonListQuery>,
) -> Answer<Json<Page<EndUser>>> {
    s.app.get_customer(&p, id).await?;
    q.customer_id = Some(id);
    Ok(Json(page(s.app.list_end_users(&p, &q, &filters).await?)))
}

/// Moves the listed end users (all, when `end_user_ids` is empty or absent) to another customer; answers
/// the moved end users.
#[utoipa::path(put, path = "/api/v1/customers/{id}/end-users", tag = "customers", params(("id" = i64, Path)),
    request_body = MigrateEndUsers,
    responses((status = 200, body = Page<EndUser>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn migrate_end_users(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<MigrateEndUsers>,
) -> Answer<Json<Page<EndUser>>> {
    Ok(Json(Page {
        data: s.app.migrate_end_users(&p, &m, id, body).await?,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/end-users", tag = "end users", request_body = NewEndUser,
    responses((status = 201, body = EndUser), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_end_user(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Json(body): Json<NewEndUser>,
) -> Answer<(StatusCode, Json<EndUser>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_end_user(&p, &m, body).await?)))
}

/// End users by `keyword`, `filter`, `tag`, `customer_id`, in the order of `sort` (as customers).
#[utoipa::path(get, path = "/api/v1/end-users", tag = "end users", params(PersonListQuery),
    responses((status = 200, body = Page<EndUser>), (status = 422, body = Problem)))]
pub(crate) async fn list_end_users(
    State(s): State<AppState>,
    Auth(p): Auth,
    Filtered(q, filters): Filtered<PersonListQuery>,
) -> Answer<Json<Value>> {
    let includes = embed::includes(EntityKind::EndUser, q.include.as_deref())?;
    let found = page(s.app.list_end_users(&p, &q, &filters).await?);
    let mut nodes: Vec<Node> = found.data.iter().map(|u| Node::end_user(u, &NATIVE)).collect();
    embed::embed(&s.app, &p, &NATIVE, EntityKind::EndUser, &mut nodes, &includes).await?;
    Ok(Json(nodes_page(nodes, found.next_cursor)))
}

#[utoipa::path(get, path = "/api/v1/end-users/{id}", tag = "end users", params(("id" = i64, Path), IncludeQuery),
    responses((status = 200, body = EndUser), (status = 404, body = Problem)))]
pub(crate) async fn get_end_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    Query(q): Query<IncludeQuery>,
) -> Answer<Json<Value>> {
    let includes = embed::includes(EntityKind::EndUser, q.include.as_deref())?;
    let u = s.app.get_end_user(&p, id).await?;
    let mut nodes = [Node::end_user(&u, &NATIVE)];
    embed::embed(&s.app, &p, &NATIVE, EntityKind::EndUser, &mut nodes, &includes).await?;
    let [node] = nodes;
    Ok(Json(Value::Object(node.members)))
}

/// Staff change any end user; an end user changes their own name, phone and password (with
/// `current_password` when they have one). Password changes: 10 a minute per principal, then 429.
#[utoipa::path(patch, path = "/api/v1/end-users/{id}", tag = "end users", params(("id" = i64, Path)), request_body = EndUserPatch,
    responses((status = 200, body = EndUser), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "too many password changes; see Retry-After", body = Problem)))]
pub(crate) async fn update_end_user(
    State(s): State<AppState>,
    Auth(p): Auth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<EndUserPatch>,
) -> Answer<Json<EndUser>> {
    Ok(Json(s.app.update_end_user(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/end-users/{id}", tag = "end users", params(("id" = i64, Path)),
    responses((status = 200, body = EndUser), (status = 404, body = Problem)))]
pub(crate) async fn delete_end_user(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<EndUser>> {
    Ok(Json(s.app.set_end_user_deleted(&p, &m, id, true).await?))
}

#[utoipa::path(post, path = "/api/v1/end-users/{id}/restore", tag = "end users", params(("id" = i64, Path)),
    responses((status = 200, body = EndUser), (status = 404, body = Problem)))]
pub(crate) async fn restore_end_user(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<Json<EndUser>> {
    Ok(Json(s.app.set_end_user_deleted(&p, &m, id, false).await?))
}

/// The tokens acting as this end user, without their secrets (admin).
#[utoipa::path(get, path = "/api/v1/end-users/{id}/tokens", tag = "end users", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<ApiToken>), (status = 404, body = Problem)))]
pub(crate) async fn list_end_user_tokens(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<ApiToken>>> {
    Ok(Json(page(s.app.list_end_user_tokens(&p, id, &q).await?)))
}

/// Body of `POST /api/v1/end-users/{id}/tokens`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndUserTokenRequest {
    pub name: Option<String>,
}

/// Creates an API token acting as this end user (admin).
#[utoipa::path(post, path = "/api/v1/end-users/{id}/tokens", tag = "end users", params(("id" = i64, Path)),
    request_body = EndUserTokenRequest, responses((status = 201, body = CreatedToken), (status = 404, body = Problem)))]
pub(crate) async fn create_end_user_token(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<EndUserTokenRequest>,
) -> Answer<(StatusCode, Json<CreatedToken>)> {
    let request = NewToken {
        name: body.name.unwrap_or_else(|| format!("end user {id}")),
        role: Role::EndUser,
        end_user_id: Some(id),
    };
    Ok((StatusCode::CREATED, Json(s.app.create_token(&p, &m, request).await?)))
}
