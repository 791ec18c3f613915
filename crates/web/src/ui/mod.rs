//! The web UI (SPEC §8): server-rendered pages (askama) with htmx for partial updates, over the same use
//! cases as the API. Three areas: the agent console (`/agent`), the customer portal (`/portal`) and the
//! admin pages (`/admin`), behind the login of [`login`].
mod admin;
mod agent;
mod assets;
mod attachments;
mod login;
mod page;
mod portal;
mod session;
mod telephony;
mod view;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every page of the UI.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", post(login::logout))
        .route(
            "/account/password",
            get(login::password_form).post(login::change_password),
        )
        .route("/reset/{token}", get(login::reset_form).post(login::reset))
        .route("/assets/{file}", get(assets::asset))
        .merge(agent::router())
        .merge(portal::router())
        .merge(admin::router())
        .merge(telephony::router())
        .merge(attachments::router())
}
