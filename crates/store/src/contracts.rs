//! Support contracts and the incidents tickets redeem from them (SPEC §5.4).
use crate::{PageRequest, Result};
use async_trait::async_trait;
use domain::billing::{Contract, TicketIncident};
use jiff::civil::Date;

#[async_trait]
pub trait ContractsRead: Send {
    async fn contract(&mut self, id: i64) -> Result<Option<Contract>>;
    /// Contracts, of one customer when given, oldest first.
    async fn contract_list(&mut self, customer_id: Option<i64>, page: &PageRequest) -> Result<Vec<Contract>>;
    /// The customer's contract that per-incident support draws from on `day`: the oldest active one covering
    /// that day with at least one incident type.
    async fn incident_contract(&mut self, customer_id: i64, day: Date) -> Result<Option<Contract>>;
    /// The incidents a ticket redeemed, oldest first.
    async fn ticket_incidents(&mut self, ticket_id: i64) -> Result<Vec<TicketIncident>>;
}

/// Incident counts change by one, in the database, under a condition (`used < total` to redeem): never a
/// read-modify-write, so concurrent redeems of the last incident leave exactly one winner.
#[async_trait]
pub trait ContractsWrite: Send {
    /// Stores a contract with its incident counts; its `id` is ignored.
    async fn insert_contract(&mut self, contract: &Contract) -> Result<Contract>;
    /// Writes a contract's fields, not its incident counts.
    async fn update_contract(&mut self, contract: &Contract) -> Result<()>;
    /// Replaces a contract's incident counts with `contract.incidents` (types left out are removed).
    async fn set_incident_counts(&mut self, contract: &Contract) -> Result<()>;
    /// Counts one more incident of `kind` used, if one is left: `false` when none is.
    async fn use_incident(&mut self, contract_id: i64, kind: &str) -> Result<bool>;
    /// Gives one incident of `kind` back.
    async fn return_incident(&mut self, contract_id: i64, kind: &str) -> Result<()>;
    /// Adds `count` incidents of `kind` to the contract's total (the type is added if it is new).
    async fn add_incidents(&mut self, contract_id: i64, kind: &str, count: i64) -> Result<()>;
    /// Stores a ticket's redeemed incident; the same type twice on one ticket breaks
    /// [`crate::UniqueKey::TicketIncident`].
    async fn insert_ticket_incident(&mut self, incident: &TicketIncident) -> Result<TicketIncident>;
    async fn delete_ticket_incident(&mut self, id: i64) -> Result<()>;
}
