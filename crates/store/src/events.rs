//! The event log's storage: one row per change, written in the change's own transaction (the outbox), and
//! what its consumers record.
use crate::{EventFilter, Result};
use async_trait::async_trait;
use domain::event::NewEvent;
use domain::hook_params::HookRun;
use domain::{Event, Timestamp};

/// Reading the event log.
#[async_trait]
pub trait EventsRead: Send {
    async fn event(&mut self, id: i64) -> Result<Option<Event>>;
    async fn event_list(&mut self, filter: &EventFilter) -> Result<Vec<Event>>;
    /// Whether any pending event could be claimed at `now` (read first, so that an idle worker never opens
    /// a write transaction).
    async fn has_claimable_events(&mut self, now: Timestamp) -> Result<bool>;
    /// The hook runs made for an event, oldest first.
    async fn hook_runs_of_event(&mut self, event_id: i64) -> Result<Vec<HookRun>>;
    /// The newest event's id (0 when there is none): a change anywhere moves it.
    async fn latest_event_id(&mut self) -> Result<i64>;
}

/// Appending to the event log, on a transaction.
#[async_trait]
pub trait EventsWrite: Send {
    async fn insert_event(&mut self, event: &NewEvent) -> Result<Event>;
    /// Claims up to `limit` pending events, oldest first, for `node` until `until`: those nobody holds, or
    /// whose holder's claim ran out before `now` (a node that crashed). Each claim counts an attempt. Where
    /// writers run concurrently, events another transaction is claiming are skipped.
    async fn claim_events(&mut self, node: &str, now: Timestamp, until: Timestamp, limit: i64) -> Result<Vec<Event>>;
    /// Ends `node`'s claim of an event with `status` (`done` or `failed`); a claim taken over by another
    /// node in the meantime is left alone (`false`).
    async fn finish_event(&mut self, id: i64, node: &str, status: &str, at: Timestamp) -> Result<bool>;
    async fn insert_hook_run(&mut self, run: &HookRun) -> Result<HookRun>;
}
