//! Customer backends' routes (SPEC §6, §9): a brand's accounts through its backend, and the connection
//! test.
use super::Answer;
use crate::error::ApiError;
use crate::extract::{AdminAuth, Id, IdAndName, Json, Meta, Query, StaffAuth};
use crate::state::AppState;
use api_types::{AccountBody, AccountList, AccountSummaryBody, BackendTest, Problem};
use axum::extract::State;
use domain::account::AccountCriteria;

/// The criteria of a query string, by their web-call names; any other name is refused naming it.
fn criteria_of(pairs: Vec<(String, String)>) -> Result<AccountCriteria, ApiError> {
    let mut criteria = AccountCriteria::default();
    for (name, value) in pairs {
        criteria
            .set(&name, value)
            .map_err(|e| ApiError::field(&name, e.to_string()))?;
    }
    Ok(criteria)
}

#[utoipa::path(get, path = "/api/v1/brands/{id}/accounts", tag = "customer backends",
    params(("id" = i64, Path)),
    responses((status = 200, body = AccountList), (status = 404, body = Problem), (status = 422, body = Problem),
        (status = 502, body = Problem)))]
pub(crate) async fn search_accounts(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    Id(brand): Id,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Answer<Json<AccountList>> {
    let criteria = criteria_of(pairs)?;
    let found = s.app.account_search(&p, &m, brand, &criteria).await?;
    Ok(Json(AccountList {
        data: found.into_iter().map(AccountSummaryBody::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/brands/{id}/accounts/{userkey}", tag = "customer backends",
    params(("id" = i64, Path), ("userkey" = String, Path)),
    responses((status = 200, body = AccountBody), (status = 404, body = Problem), (status = 502, body = Problem)))]
pub(crate) async fn get_account(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    IdAndName(brand, userkey): IdAndName,
) -> Answer<Json<AccountBody>> {
    Ok(Json(s.app.account_load(&p, &m, brand, &userkey).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/brands/{id}/accounts/{userkey}", tag = "customer backends",
    params(("id" = i64, Path), ("userkey" = String, Path)), request_body = AccountBody,
    responses((status = 200, body = AccountBody), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 502, body = Problem)))]
pub(crate) async fn update_account(
    State(s): State<AppState>,
    StaffAuth(p): StaffAuth,
    Meta(m): Meta,
    IdAndName(brand, userkey): IdAndName,
    Json(body): Json<AccountBody>,
) -> Answer<Json<AccountBody>> {
    Ok(Json(s.app.account_update(&p, &m, brand, &userkey, body).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/brands/{id}/backend/test", tag = "customer backends",
    params(("id" = i64, Path)),
    responses((status = 200, body = BackendTest), (status = 404, body = Problem)))]
pub(crate) async fn test_backend(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(brand): Id,
) -> Answer<Json<BackendTest>> {
    Ok(Json(s.app.test_backend(&p, &m, brand).await?))
}
