//! Routes of support contracts and per-incident support (SPEC §5.4): `/api/v1/contracts`, a customer's
//! contracts, a ticket's incidents; and a subscription's pending invoice items (§5.3, `addInvoiceItem`).
use super::{Answer, page};
use crate::extract::{Id, IdAndName, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{
    Contract, ContractPatch, ContractQuery, ListQuery, NewContract, NewPendingItem, Page, PendingItem, Problem,
    RedeemIncidents, TicketIncidents,
};
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = NewContract,
    responses((status = 201, body = Contract), (status = 422, body = Problem)))]
pub(crate) async fn create_contract(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Json(body): Json<NewContract>,
) -> Answer<(StatusCode, Json<Contract>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_contract(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(ContractQuery),
    responses((status = 200, body = Page<Contract>)))]
pub(crate) async fn list_contracts(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Query(q): Query<ContractQuery>,
) -> Answer<Json<Page<Contract>>> {
    Ok(Json(page(s.app.list_contracts(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/contracts", tag = "contracts", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<Contract>), (status = 404, body = Problem)))]
pub(crate) async fn customer_contracts(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Contract>>> {
    let q = ContractQuery {
        limit: q.limit,
        cursor: q.cursor,
        customer_id: Some(id),
    };
    Ok(Json(page(s.app.list_contracts(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = Contract), (status = 404, body = Problem)))]
pub(crate) async fn get_contract(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Contract>> {
    Ok(Json(s.app.get_contract(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = i64, Path)), request_body = ContractPatch,
    responses((status = 200, body = Contract), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_contract(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<ContractPatch>,
) -> Answer<Json<Contract>> {
    Ok(Json(s.app.update_contract(&p, &m, id, body).await?))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/incidents", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = TicketIncidents), (status = 404, body = Problem)))]
pub(crate) async fn ticket_incidents(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<TicketIncidents>> {
    Ok(Json(s.app.ticket_incidents(&p, id).await?))
}

/// Redeems one incident of each type for the ticket: 409 `no_incidents_left` when one has none left.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/incidents", tag = "contracts", params(("id" = i64, Path)),
    request_body = RedeemIncidents,
    responses((status = 201, body = TicketIncidents), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn redeem_incidents(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<RedeemIncidents>,
) -> Answer<(StatusCode, Json<TicketIncidents>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.redeem_incidents(&p, &m, id, body).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/incidents/{type}", tag = "contracts",
    params(("id" = i64, Path), ("type" = String, Path)),
    responses((status = 200, body = TicketIncidents), (status = 404, body = Problem)))]
pub(crate) async fn unredeem_incident(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    IdAndName(id, kind): IdAndName,
) -> Answer<Json<TicketIncidents>> {
    Ok(Json(s.app.unredeem_incident(&p, &m, id, &kind).await?))
}

#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/items", tag = "subscriptions", params(("id" = i64, Path)),
    request_body = NewPendingItem,
    responses((status = 201, body = PendingItem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_pending_item(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<NewPendingItem>,
) -> Answer<(StatusCode, Json<PendingItem>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_pending_item(&p, &m, id, body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/subscriptions/{id}/items", tag = "subscriptions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PendingItem>), (status = 404, body = Problem)))]
pub(crate) async fn list_pending_items(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Id(id): Id,
) -> Answer<Json<Vec<PendingItem>>> {
    Ok(Json(s.app.list_pending_items(&p, id).await?))
}
