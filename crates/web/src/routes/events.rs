//! Routes of the event log (`/api/v1/events`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Id, Json, Query};
use crate::state::AppState;
use api_types::{Event, EventQuery, Page, Problem};
use axum::extract::State;

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, body = Page<Event>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(s): State<AppState>,
    AdminAuth(p): AdminAuth,
    Query(q): Query<EventQuery>,
) -> Answer<Json<Page<Event>>> {
    Ok(Json(page(s.app.list_events(&p, &q).await?)))
}

#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = Event), (status = 404, body = Problem)))]
pub(crate) async fn get(State(s): State<AppState>, AdminAuth(p): AdminAuth, Id(id): Id) -> Answer<Json<Event>> {
    Ok(Json(s.app.get_event(&p, id).await?))
}
