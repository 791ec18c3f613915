//! Routes of the event log (`/api/v1/events`).
use super::{Answer, page};
use crate::extract::{AdminAuth, Id, Json, Query};
use crate::state::AppState;
use api_types::{Event, EventDetail, EventQuery, Page, Problem};
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

/// An event with what its consumers did: `runs` (the hook scripts run for it), `deliveries` (the
/// webhook deliveries made for it, each with its attempts) — SPEC §3.5 — and `case_updates` (the case
/// updates sent for a reply to the brand's customer database, each with its attempts) — SPEC §6 — and `mails`
/// (the mails sent for it, one per recipient, each with its attempts) — SPEC §10.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventDetail), (status = 404, body = Problem)))]
pub(crate) async fn get(State(s): State<AppState>, AdminAuth(p): AdminAuth, Id(id): Id) -> Answer<Json<EventDetail>> {
    let event = s.app.get_event(&p, id).await?;
    let runs = s.app.event_runs(&p, id).await?;
    let deliveries = s.app.event_deliveries(&p, id).await?;
    let case_updates = s.app.event_case_updates(&p, id).await?;
    let mails = s.app.event_mails(&p, id).await?;
    Ok(Json(EventDetail {
        event,
        runs,
        deliveries,
        case_updates,
        mails,
    }))
}
