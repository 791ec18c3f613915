//! Hook scripts stored through the API and webhook endpoints with their deliveries (SPEC §4), and the
//! rules that need no I/O: which events an endpoint takes, and when a failed delivery is tried again.
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A hook script an admin uploaded (`/api/v1/hooks`). Each change of its source is a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HookScript {
    pub id: i64,
    pub name: String,
    /// The Rhai text.
    pub source: String,
    pub enabled: bool,
    /// 1 for the first source, one more for each change of it.
    pub version: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl HookScript {
    /// The name its runs are recorded under (`GET /api/v1/hooks/{id}/runs`).
    pub fn script_name(id: i64) -> String {
        format!("db:{id}")
    }
}

/// One earlier (or the current) source of a stored hook script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HookScriptVersion {
    pub hook_id: i64,
    pub version: i64,
    pub source: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// The body a webhook endpoint receives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum WebhookFormat {
    /// `{id, type, timestamp, data}`.
    #[default]
    Native,
    /// The TeamTools web-event body (the event as `GET /api/v1/events/{id}` shows it).
    Teamtools,
}

/// A receiver of events (`/api/v1/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Event names (`TicketClientCreated`, `ticket.updated`, …) or `*` for every event.
    pub events: Vec<String>,
    /// The signing secret (`whsec_<base64>` in Standard Webhooks' form, or any text used as it is).
    pub secret: String,
    pub format: WebhookFormat,
    pub active: bool,
    /// Since when every attempt failed (none: the last one succeeded).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub failing_since: Option<Timestamp>,
    /// Why ferrodesk turned it off, when it did.
    pub disabled_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What the event log records of a webhook: everything but its secret.
pub fn redacted(webhook: &Webhook) -> serde_json::Value {
    let mut value = serde_json::to_value(webhook).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("secret".into(), serde_json::Value::String("[redacted]".into()));
    }
    value
}

/// The name an event is delivered under: its hook name, or `<type>.<action>` for events of no hook.
pub fn event_type(event: &crate::Event) -> String {
    match &event.name {
        Some(name) => name.clone(),
        None => format!("{}.{}", event.data.entity.as_str(), event.action.as_str()),
    }
}

/// Whether an endpoint subscribed to `events` takes an event delivered as `name` that fires `hooks`.
pub fn subscribed(events: &[String], name: &str, hooks: &[&str]) -> bool {
    events
        .iter()
        .any(|e| e == "*" || e == name || hooks.iter().any(|h| h == e))
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; tried (again) at `next_attempt_at`.
    Pending,
    /// A 2xx answer came.
    Done,
    /// Every attempt of its retry schedule failed.
    Failed,
}

/// One event for one endpoint, with its attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: i64,
    pub status: DeliveryStatus,
    /// Attempts since it was queued (or replayed).
    pub attempts: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_attempt_at: Option<Timestamp>,
    /// No attempt is started after this.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deadline_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Every attempt, oldest first (filled where the answer shows them).
    #[serde(default)]
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub id: i64,
    pub delivery_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub attempted_at: Timestamp,
    /// The HTTP status, when an answer came.
    pub status_code: Option<i64>,
    /// Why no acceptable answer came (refused address, timeout, connection error, a non-2xx status).
    pub error: Option<String>,
    pub latency_us: i64,
    /// The start of the answer's body (at most [`SNIPPET_BYTES`]).
    pub response: Option<String>,
}

/// How much of a receiver's answer an attempt keeps.
pub const SNIPPET_BYTES: usize = 1024;

/// The retry schedule (SPEC §4): after the n-th failed attempt the next one comes about this long later;
/// past the list, every two hours.
const SCHEDULE: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(1800),
    Duration::from_secs(3600),
];
const LATER: Duration = Duration::from_secs(7200);

/// How long after an event its delivery is still tried.
pub const DELIVERY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// How long an endpoint may fail every attempt before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);

/// The wait before the attempt after `failed` failed ones (1 = the first attempt failed): the schedule
/// times `scale` (`FERRODESK_WEBHOOK_RETRY_SCALE`), times `jitter` (drawn from 0.8..=1.2 by the caller).
pub fn retry_delay(failed: i64, scale: f64, jitter: f64) -> Duration {
    let index = usize::try_from(failed.max(1) - 1).unwrap_or(usize::MAX);
    let base = SCHEDULE.get(index).copied().unwrap_or(LATER);
    scaled(base, scale * jitter.clamp(0.8, 1.2))
}

/// `d` times a non-negative factor (a factor that is not a finite number counts as 1).
pub fn scaled(d: Duration, factor: f64) -> Duration {
    let factor = if factor.is_finite() && factor >= 0.0 {
        factor
    } else {
        1.0
    };
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_follows_the_spec() {
        // SPEC §4: "about 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h until 24 h after the event".
        let waits: Vec<u64> = (1..=9).map(|n| retry_delay(n, 1.0, 1.0).as_secs()).collect();
        assert_eq!(waits, [5, 30, 120, 600, 1800, 3600, 7200, 7200, 7200]);
    }

    #[test]
    fn scale_and_jitter_multiply_the_wait() {
        assert_eq!(retry_delay(1, 0.01, 1.0), Duration::from_millis(50));
        assert_eq!(retry_delay(2, 1.0, 1.2), Duration::from_secs(36));
        assert_eq!(retry_delay(2, 1.0, 0.8), Duration::from_secs(24));
        // Jitter never goes past ±20%, whatever the caller drew.
        assert_eq!(retry_delay(1, 1.0, 5.0), Duration::from_secs(6));
        assert_eq!(retry_delay(1, f64::NAN, 1.0), Duration::from_secs(5));
    }

    #[test]
    fn subscriptions_match_names_hooks_and_star() {
        let events = vec!["TicketPriorityChange".to_owned(), "token.created".to_owned()];
        assert!(subscribed(
            &events,
            "TicketAdminUpdated",
            &["TicketAdminUpdated", "TicketPriorityChange"]
        ));
        assert!(subscribed(&events, "token.created", &[]));
        assert!(!subscribed(&events, "TicketAdminUpdated", &["TicketAdminUpdated"]));
        assert!(subscribed(&["*".to_owned()], "anything", &[]));
    }
}
