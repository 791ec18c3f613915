//! The search route (`/api/v1/search`).
use super::Answer;
use crate::extract::{Auth, Json, Query};
use crate::state::AppState;
use api_types::{Problem, SearchQuery, SearchResults};
use axum::extract::State;

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 422, body = Problem)))]
pub(crate) async fn search(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<SearchQuery>,
) -> Answer<Json<SearchResults>> {
    Ok(Json(s.app.search(&p, &q).await?))
}
