//! Routes of hook scripts (`/api/v1/hooks`) and webhooks (`/api/v1/webhooks`, `/api/v1/deliveries`), for
//! admins (SPEC §4, §9).
use super::{Answer, page};
use crate::extract::{AdminAuth, Id, Json, Meta, Query};
use crate::state::AppState;
use api_types::{
    Delivery, HookPatch, HookRun, HookScript, HookScriptVersion, HookTest, HookTestResult, ListQuery, NewHook,
    NewWebhook, Page, Problem, Webhook, WebhookPatch,
};
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(post, path = "/api/v1/hooks", tag = "hooks", request_body = NewHook,
    responses((status = 201, body = HookScript), (status = 422, body = Problem)))]
pub(crate) async fn create_hook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewHook>,
) -> Answer<(StatusCode, Json<HookScript>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_hook(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/hooks", tag = "hooks", params(ListQuery),
    responses((status = 200, body = Page<HookScript>)))]
pub(crate) async fn list_hooks(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<HookScript>>> {
    Ok(Json(page(s.app.list_hooks(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/hooks/{id}", tag = "hooks", params(("id" = i64, Path)),
    responses((status = 200, body = HookScript), (status = 404, body = Problem)))]
pub(crate) async fn get_hook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<HookScript>> {
    Ok(Json(s.app.get_hook(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/hooks/{id}", tag = "hooks", params(("id" = i64, Path)), request_body = HookPatch,
    responses((status = 200, body = HookScript), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_hook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<HookPatch>,
) -> Answer<Json<HookScript>> {
    Ok(Json(s.app.update_hook(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/hooks/{id}", tag = "hooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_hook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_hook(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every source the script had, newest first.
#[utoipa::path(get, path = "/api/v1/hooks/{id}/versions", tag = "hooks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HookScriptVersion>), (status = 404, body = Problem)))]
pub(crate) async fn hook_versions(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<Vec<HookScriptVersion>>> {
    Ok(Json(s.app.hook_versions(&p, id).await?))
}

/// Runs each hook of the script against a ticket: nothing is stored, no event is written.
#[utoipa::path(post, path = "/api/v1/hooks/{id}/test", tag = "hooks", params(("id" = i64, Path)), request_body = HookTest,
    responses((status = 200, body = HookTestResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn test_hook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
    Json(body): Json<HookTest>,
) -> Answer<Json<HookTestResult>> {
    Ok(Json(s.app.test_hook(&p, id, body).await?))
}

/// The script's event-hook runs, newest first.
#[utoipa::path(get, path = "/api/v1/hooks/{id}/runs", tag = "hooks", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<HookRun>), (status = 404, body = Problem)))]
pub(crate) async fn hook_runs(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<HookRun>>> {
    Ok(Json(page(s.app.hook_runs(&p, id, &q).await?)))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = Webhook), (status = 422, body = Problem)))]
pub(crate) async fn create_webhook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Json(body): Json<NewWebhook>,
) -> Answer<(StatusCode, Json<Webhook>)> {
    Ok((StatusCode::CREATED, Json(s.app.create_webhook(&p, &m, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = Page<Webhook>)))]
pub(crate) async fn list_webhooks(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Webhook>>> {
    Ok(Json(page(s.app.list_webhooks(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 404, body = Problem)))]
pub(crate) async fn get_webhook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<Webhook>> {
    Ok(Json(s.app.get_webhook(&p, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookPatch,
    responses((status = 200, body = Webhook), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update_webhook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
    Json(body): Json<WebhookPatch>,
) -> Answer<Json<Webhook>> {
    Ok(Json(s.app.update_webhook(&p, &m, id, body).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub(crate) async fn delete_webhook(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Meta(m): Meta,
    Id(id): Id,
) -> Answer<StatusCode> {
    s.app.delete_webhook(&p, &m, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The endpoint's deliveries, newest first, each with every attempt (status, latency, response snippet).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path), ListQuery),
    responses((status = 200, body = Page<Delivery>), (status = 404, body = Problem)))]
pub(crate) async fn webhook_deliveries(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
    Query(q): Query<ListQuery>,
) -> Answer<Json<Page<Delivery>>> {
    Ok(Json(page(s.app.webhook_deliveries(&p, id, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = Problem)))]
pub(crate) async fn get_delivery(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<Delivery>> {
    Ok(Json(s.app.get_delivery(&p, id).await?))
}

/// Sends the delivery again from the start of its retry schedule; 409 when its endpoint is disabled.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/replay", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn replay_delivery(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Id(id): Id,
) -> Answer<Json<Delivery>> {
    Ok(Json(s.app.replay_delivery(&p, id).await?))
}
