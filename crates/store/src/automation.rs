//! Automation's storage (SPEC §4): hook scripts stored through the API with their versions, webhook
//! endpoints, and the deliveries of events to them with every attempt.
use crate::{PageRequest, Result};
use async_trait::async_trait;
use domain::Timestamp;
use domain::automation::{Delivery, DeliveryAttempt, DeliveryStatus, HookScript, HookScriptVersion, Webhook};
use domain::hook_params::HookRun;

/// A claimed delivery's outcome, as the delivery worker writes it back.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub delivery_id: i64,
    pub webhook_id: i64,
    pub attempt: DeliveryAttempt,
    /// `done`, `failed` (no more attempts) or `pending` again at `next_attempt_at`.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
}

#[async_trait]
pub trait AutomationRead: Send {
    async fn hook_script(&mut self, id: i64) -> Result<Option<HookScript>>;
    /// Stored hook scripts, oldest first.
    async fn hook_script_list(&mut self, page: &PageRequest) -> Result<Vec<HookScript>>;
    /// Every enabled script, by id (what the hook registry loads).
    async fn enabled_hook_scripts(&mut self) -> Result<Vec<HookScript>>;
    /// A value that changes whenever a stored script is added, changed or removed (nodes poll it).
    async fn hook_scripts_revision(&mut self) -> Result<(i64, i64)>;
    /// A script's versions, newest first.
    async fn hook_script_versions(&mut self, id: i64) -> Result<Vec<HookScriptVersion>>;
    /// The runs recorded under a script name, newest first, before run `before` when given.
    async fn hook_runs_of_script(&mut self, script: &str, before: Option<i64>, limit: u32) -> Result<Vec<HookRun>>;

    async fn webhook(&mut self, id: i64) -> Result<Option<Webhook>>;
    /// Endpoints, oldest first.
    async fn webhook_list(&mut self, page: &PageRequest) -> Result<Vec<Webhook>>;
    async fn active_webhooks(&mut self) -> Result<Vec<Webhook>>;

    async fn delivery(&mut self, id: i64) -> Result<Option<Delivery>>;
    /// An endpoint's deliveries, newest first, before delivery `before` when given (attempts not filled).
    async fn deliveries_of_webhook(
        &mut self,
        webhook_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>>;
    /// The deliveries made for an event (attempts not filled).
    async fn deliveries_of_event(&mut self, event_id: i64) -> Result<Vec<Delivery>>;
    /// The attempts of these deliveries, oldest first.
    async fn delivery_attempts(&mut self, delivery_ids: &[i64]) -> Result<Vec<DeliveryAttempt>>;
    /// When the next pending delivery of an active endpoint that no live claim holds at `now` is due
    /// (none: there is none).
    async fn next_delivery_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>>;
    /// Events by id (the delivery worker builds bodies from them).
    async fn events_by_ids(&mut self, ids: &[i64]) -> Result<Vec<domain::Event>>;
}

#[async_trait]
pub trait AutomationWrite: Send {
    /// Stores a script as version 1 (its `id` and `version` are ignored).
    async fn insert_hook_script(&mut self, script: &HookScript) -> Result<HookScript>;
    /// Writes name, enabled and source; a changed source is stored as version `script.version`.
    async fn update_hook_script(&mut self, script: &HookScript, source_changed: bool) -> Result<()>;
    async fn delete_hook_script(&mut self, id: i64) -> Result<()>;

    async fn insert_webhook(&mut self, webhook: &Webhook) -> Result<Webhook>;
    async fn update_webhook(&mut self, webhook: &Webhook) -> Result<()>;
    /// Removes an endpoint: it is no longer listed, read or delivered to (its deliveries stay as history).
    async fn delete_webhook(&mut self, id: i64, at: Timestamp) -> Result<()>;

    /// Queues an event for an endpoint (due `at`, tried until `deadline`); a second time is a no-op.
    async fn insert_delivery(
        &mut self,
        webhook_id: i64,
        event_id: i64,
        at: Timestamp,
        deadline: Timestamp,
    ) -> Result<()>;
    /// Claims due pending deliveries of active endpoints for `node` until `until`, oldest due first per
    /// endpoint: of each endpoint at most `per_webhook` less what `held` says the node holds of it already
    /// (`(webhook_id, count)`), `limit` in all. Each endpoint is claimed on its own, so one endpoint's
    /// backlog never hides another's due deliveries.
    async fn claim_deliveries(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        per_webhook: i64,
        held: &[(i64, i64)],
        limit: i64,
    ) -> Result<Vec<Delivery>>;
    /// Records an attempt and the delivery's new state, if `node` still holds its claim (`false`: it does
    /// not, and nothing was written). Tracks the endpoint's `failing_since`.
    async fn record_delivery(&mut self, node: &str, outcome: &DeliveryOutcome) -> Result<bool>;
    /// Disables the endpoints that failed every attempt since before `failing_before`: their ids.
    async fn disable_failing_webhooks(
        &mut self,
        failing_before: Timestamp,
        reason: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>>;
    /// Queues a delivery again: pending, due `at`, attempts from zero, tried until `deadline`.
    async fn replay_delivery(&mut self, id: i64, at: Timestamp, deadline: Timestamp) -> Result<()>;
}
