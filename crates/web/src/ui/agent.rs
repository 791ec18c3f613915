//! The agent console (`/agent`): the queue, a ticket, search, a customer.
use crate::state::AppState;
use axum::Router;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
