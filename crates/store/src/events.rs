//! The event log's storage: one row per change, written in the change's own transaction (the outbox).
use crate::{EventFilter, Result};
use async_trait::async_trait;
use domain::Event;
use domain::event::NewEvent;

/// Reading the event log.
#[async_trait]
pub trait EventsRead: Send {
    async fn event(&mut self, id: i64) -> Result<Option<Event>>;
    async fn event_list(&mut self, filter: &EventFilter) -> Result<Vec<Event>>;
}

/// Appending to the event log, on a transaction.
#[async_trait]
pub trait EventsWrite: Send {
    async fn insert_event(&mut self, event: &NewEvent) -> Result<Event>;
}
