//! ferrodesk's HTTP edge. The binary and the tests both call [`serve`] with a bound listener, so the
//! server under test is the server that runs.

mod edge;
mod error;
mod extract;
mod metrics;
mod openapi;
mod routes;
mod server;
mod state;
mod ui;

pub use error::ApiError;
pub use extract::client_ip;
pub use metrics::recorder as metrics_recorder;
pub use state::{AppState, WebConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::routing::get;
use edge::REQUEST_ID;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// Every route of the server, with its middleware.
pub fn router(state: AppState) -> Router {
    let (api, spec) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(routes::tickets::create, routes::tickets::list))
        .routes(routes!(
            routes::tickets::get,
            routes::tickets::update,
            routes::tickets::delete
        ))
        .routes(routes!(routes::tickets::replies, routes::tickets::reply))
        .routes(routes!(routes::tickets::update_reply, routes::tickets::delete_reply))
        .routes(routes!(routes::tickets::read))
        .routes(routes!(routes::attachments::download))
        .routes(routes!(routes::billing::create_feature, routes::billing::list_features))
        .routes(routes!(
            routes::billing::get_feature,
            routes::billing::update_feature,
            routes::billing::delete_feature
        ))
        .routes(routes!(routes::billing::restore_feature))
        .routes(routes!(routes::billing::create_group, routes::billing::list_groups))
        .routes(routes!(routes::billing::get_group, routes::billing::update_group))
        .routes(routes!(routes::billing::create_package, routes::billing::list_packages))
        .routes(routes!(
            routes::billing::get_package,
            routes::billing::update_package,
            routes::billing::delete_package
        ))
        .routes(routes!(routes::billing::restore_package))
        .routes(routes!(routes::billing::create_plan, routes::billing::list_plans))
        .routes(routes!(
            routes::billing::get_plan,
            routes::billing::update_plan,
            routes::billing::delete_plan
        ))
        .routes(routes!(routes::billing::subscribe, routes::billing::list_subscriptions))
        .routes(routes!(
            routes::billing::get_subscription,
            routes::billing::cancel_subscription
        ))
        .routes(routes!(routes::billing::create_invoice, routes::billing::list_invoices))
        .routes(routes!(routes::billing::get_invoice))
        .routes(routes!(routes::billing::settle_invoice))
        .routes(routes!(routes::billing::void_invoice))
        .routes(routes!(routes::billing::apply_payment, routes::billing::list_payments))
        .routes(routes!(routes::billing::list_refunds))
        .routes(routes!(routes::billing::refund_payment))
        .routes(routes!(
            routes::billing::create_billing_link,
            routes::billing::list_billing_links
        ))
        .routes(routes!(
            routes::billing::get_billing_link,
            routes::billing::delete_billing_link
        ))
        .routes(routes!(
            routes::billing::create_support_level,
            routes::billing::list_support_levels
        ))
        .routes(routes!(
            routes::billing::get_support_level,
            routes::billing::update_support_level
        ))
        .routes(routes!(
            routes::contracts::create_contract,
            routes::contracts::list_contracts
        ))
        .routes(routes!(
            routes::contracts::get_contract,
            routes::contracts::update_contract
        ))
        .routes(routes!(routes::contracts::customer_contracts))
        .routes(routes!(
            routes::contracts::redeem_incidents,
            routes::contracts::ticket_incidents
        ))
        .routes(routes!(routes::contracts::unredeem_incident))
        .routes(routes!(routes::views::render))
        .routes(routes!(routes::automation::create_hook, routes::automation::list_hooks))
        .routes(routes!(
            routes::automation::get_hook,
            routes::automation::update_hook,
            routes::automation::delete_hook
        ))
        .routes(routes!(routes::automation::hook_versions))
        .routes(routes!(routes::automation::test_hook))
        .routes(routes!(routes::automation::hook_runs))
        .routes(routes!(
            routes::automation::create_webhook,
            routes::automation::list_webhooks
        ))
        .routes(routes!(
            routes::automation::get_webhook,
            routes::automation::update_webhook,
            routes::automation::delete_webhook
        ))
        .routes(routes!(routes::automation::webhook_deliveries))
        .routes(routes!(routes::automation::get_delivery))
        .routes(routes!(routes::automation::replay_delivery))
        .routes(routes!(
            routes::mailboxes::create_mailbox,
            routes::mailboxes::list_mailboxes
        ))
        .routes(routes!(
            routes::mailboxes::get_mailbox,
            routes::mailboxes::update_mailbox,
            routes::mailboxes::delete_mailbox
        ))
        .routes(routes!(routes::mailboxes::test_mailbox))
        .routes(routes!(
            routes::contracts::add_pending_item,
            routes::contracts::list_pending_items
        ))
        .routes(routes!(routes::directory::create_brand, routes::directory::list_brands))
        .routes(routes!(routes::accounts::search_accounts))
        .routes(routes!(routes::accounts::get_account, routes::accounts::update_account))
        .routes(routes!(routes::accounts::test_backend))
        .routes(routes!(
            routes::directory::get_brand,
            routes::directory::update_brand,
            routes::directory::delete_brand
        ))
        .routes(routes!(
            routes::directory::create_department,
            routes::directory::list_departments
        ))
        .routes(routes!(
            routes::directory::get_department,
            routes::directory::update_department,
            routes::directory::delete_department
        ))
        .routes(routes!(routes::attributes::list, routes::attributes::create))
        .routes(routes!(
            routes::attributes::get,
            routes::attributes::update,
            routes::attributes::delete
        ))
        .routes(routes!(routes::attributes::restore))
        .routes(routes!(routes::people::create_customer, routes::people::list_customers))
        .routes(routes!(
            routes::people::get_customer,
            routes::people::update_customer,
            routes::people::delete_customer
        ))
        .routes(routes!(routes::people::restore_customer))
        .routes(routes!(routes::people::customer_events))
        .routes(routes!(
            routes::people::customer_end_users,
            routes::people::migrate_end_users
        ))
        .routes(routes!(routes::people::create_end_user, routes::people::list_end_users))
        .routes(routes!(
            routes::people::get_end_user,
            routes::people::update_end_user,
            routes::people::delete_end_user
        ))
        .routes(routes!(routes::people::restore_end_user))
        .routes(routes!(
            routes::people::create_end_user_token,
            routes::people::list_end_user_tokens
        ))
        .routes(routes!(routes::staff::me))
        .routes(routes!(routes::staff::create, routes::staff::list))
        .routes(routes!(
            routes::staff::get,
            routes::staff::update,
            routes::staff::delete
        ))
        .routes(routes!(routes::tokens::create, routes::tokens::list))
        .routes(routes!(routes::tokens::delete))
        .routes(routes!(routes::oauth::create, routes::oauth::list))
        .routes(routes!(routes::oauth::get, routes::oauth::delete))
        .routes(routes!(routes::oauth::token))
        .routes(routes!(routes::events::list))
        .routes(routes!(routes::events::get))
        .routes(routes!(routes::search::search))
        .split_for_parts();

    let config = state.config.clone();
    let body_limit = config.body_limit;
    Router::new()
        .merge(api)
        .merge(routes::teamtools::router())
        .merge(routes::ticaga::router())
        .merge(routes::jsonrpc::router())
        .merge(ui::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", spec))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(config.clone(), edge::deadline))
        .layer(axum::middleware::from_fn_with_state(config, edge::limits))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(edge::screen_request_id))
}

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish. Connections
/// are bounded by the header-read timeout and the connection cap of `state.config`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = state.config.clone();
    server::run(listener, router(state), &config, shutdown).await
}
