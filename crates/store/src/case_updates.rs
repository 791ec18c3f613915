//! Case updates' storage (SPEC §6): the updates the outbox queues for `webcall` brands, claimed by a node
//! with a lease like webhook deliveries, and every attempt.
use crate::Result;
use async_trait::async_trait;
use domain::Timestamp;
use domain::automation::DeliveryStatus;
use domain::case_update::{CaseUpdateAttempt, CaseUpdateDelivery};

/// A case update to queue for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseUpdate {
    pub event_id: i64,
    pub brand_id: i64,
    pub ticket_id: i64,
    pub reply_id: i64,
    pub userkey: String,
}

/// A claimed case update's outcome, as the worker writes it back.
#[derive(Debug, Clone)]
pub struct CaseUpdateOutcome {
    pub case_update_id: i64,
    pub attempt: CaseUpdateAttempt,
    /// `done`, `failed` (no more attempts) or `pending` again at `next_attempt_at`.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
}

#[async_trait]
pub trait CaseUpdatesRead: Send {
    async fn case_update(&mut self, id: i64) -> Result<Option<CaseUpdateDelivery>>;
    /// The case updates queued for an event (attempts not filled).
    async fn case_updates_of_event(&mut self, event_id: i64) -> Result<Vec<CaseUpdateDelivery>>;
    /// The attempts of these case updates, oldest first.
    async fn case_update_attempts(&mut self, ids: &[i64]) -> Result<Vec<CaseUpdateAttempt>>;
    /// When the next pending case update that no live claim holds at `now` is due (none: there is none).
    async fn next_case_update_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>>;
}

#[async_trait]
pub trait CaseUpdatesWrite: Send {
    /// Queues a case update (due `at`, tried until `deadline`); one for an event a second time is a no-op.
    async fn insert_case_update(&mut self, update: &NewCaseUpdate, at: Timestamp, deadline: Timestamp) -> Result<()>;
    /// Claims due pending case updates for `node` until `until`, oldest due first per brand: of each brand
    /// at most `per_brand` less what `held` says the node holds of it already (`(brand_id, count)`),
    /// `limit` in all. Rows another node holds under a live claim are skipped; an expired claim is taken
    /// over.
    async fn claim_case_updates(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        per_brand: i64,
        held: &[(i64, i64)],
        limit: i64,
    ) -> Result<Vec<CaseUpdateDelivery>>;
    /// Records an attempt and the update's new state, if `node` still holds its claim (`false`: it does not,
    /// and nothing was written).
    async fn record_case_update(&mut self, node: &str, outcome: &CaseUpdateOutcome) -> Result<bool>;
}
