//! Small pieces every area's pages use: how values read on a page, view-hook slots, query strings.
use crate::state::AppState;
use domain::{Principal, Timestamp};
use serde::Serialize;

/// A value's wire name (`"waiting"`, `"open"`): what the API calls it is what the page shows.
pub(crate) fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// `2026-12-02 14:05` (UTC, minutes).
pub(crate) fn when(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

/// An amount in minor units as `12.34 EUR`.
pub(crate) fn money(amount: i64, currency: domain::billing::money::Currency) -> String {
    domain::billing::money::Money::new(amount, currency)
        .map(|m| m.to_string())
        .unwrap_or_else(|_| format!("{amount} {currency}"))
}

pub(crate) fn priority_name(p: domain::Priority) -> &'static str {
    match p.get() {
        1 => "low",
        2 => "medium",
        _ => "high",
    }
}

/// The HTML of a view-hook slot (SPEC §4), or nothing when no hook fills it. Admin-area slots hold what
/// admins' own scripts wrote; client-area slots come back sanitised by the use case. A slot that fails
/// to render leaves the page as it is (and is logged): a broken hook must not take the page down.
pub(crate) async fn slot(state: &AppState, p: &Principal, name: &str, ticket_id: Option<i64>) -> String {
    match state.app.render_view(p, name, ticket_id).await {
        Ok(v) => v.html,
        Err(e) => {
            tracing::warn!(slot = name, error = %e, "view slot failed");
            String::new()
        }
    }
}

/// A query string from its pairs, leaving out empty values.
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// An optional number from a form or query field where "" means "not given".
pub(crate) fn number(text: &Option<String>) -> Option<i64> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse().ok())
}

/// A new one-time key for a form that must take effect once (see `App::claim_submission`).
pub(crate) fn form_key() -> String {
    let secret = app::auth::new_token_secret();
    secret.trim_start_matches(app::auth::TOKEN_PREFIX).to_owned()
}
