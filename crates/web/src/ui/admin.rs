//! The admin pages (`/admin`): settings, people, catalogue, automation, and the dashboard.
use crate::state::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
