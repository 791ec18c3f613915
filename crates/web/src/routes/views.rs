//! `GET /api/v1/views/{slot}?ticket_id=`: the view hooks' HTML for a web-UI slot (SPEC §4; docs/hooks.md).
use super::Answer;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Query};
use crate::state::AppState;
use api_types::Problem;
use app::views::RenderedView;
use axum::extract::{Path, State};

/// `?ticket_id=` for a slot about one ticket.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewQuery {
    pub ticket_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/views/{slot}", tag = "hooks",
    params(("slot" = String, Path, description = "a view hook point, e.g. TicketAdminAreaViewDetailSidebar"), ViewQuery),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn render(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(slot): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Answer<Json<RenderedView>> {
    let rendered = s
        .app
        .render_view(&p, &slot, q.ticket_id)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(rendered))
}
