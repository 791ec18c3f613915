//! Storage of ferrodesk behind narrow traits, so that use cases never know which database they run on.
//!
//! A [`Store`] hands out two kinds of connection: a [`Reader`] (autocommit, for GETs and lists) and a
//! [`Writer`] (one transaction, committed explicitly; dropped without `commit` it rolls back). Every use case
//! that changes anything does all of its reads-for-update and writes, including the event row, on one
//! `Writer`, which is what makes "one request, one transaction" and the outbox hold.
//!
//! Both are made of one narrow trait pair per aggregate ([`DirectoryRead`]/[`DirectoryWrite`],
//! [`PeopleRead`]/[`PeopleWrite`], [`TicketsRead`]/[`TicketsWrite`], [`EventsRead`]/[`EventsWrite`],
//! [`OauthRead`]/[`OauthWrite`], [`BillingRead`]/[`BillingWrite`], [`ContractsRead`]/[`ContractsWrite`],
//! [`AutomationRead`]/[`AutomationWrite`]), each in
//! a module of its own; a capability that adds an aggregate adds a module and names its traits in
//! [`Reader`] and [`Writer`].

mod attachments;
mod automation;
mod billing;
mod calls;
mod case_updates;
mod contracts;
mod directory;
pub mod dump;
mod error;
mod events;
mod filters;
mod mail;
mod oauth;
mod people;
mod sessions;
mod tickets;
pub mod time;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use attachments::{AttachmentsRead, AttachmentsWrite, NewAttachment, StoredAttachment};
pub use automation::{AutomationRead, AutomationWrite, DeliveryOutcome};
pub use billing::{BillingRead, BillingWrite};
pub use calls::{CallsRead, CallsWrite};
pub use case_updates::{CaseUpdateOutcome, CaseUpdatesRead, CaseUpdatesWrite, NewCaseUpdate};
pub use contracts::{ContractsRead, ContractsWrite};
pub use directory::{DirectoryRead, DirectoryWrite};
pub use error::{BoxError, ForeignKey, StoreError, UniqueKey};
pub use events::{EventsRead, EventsWrite};
pub use filters::*;
pub use mail::{MailMessage, MailOutcome, MailRead, MailWrite, MailboxFields, NewMailDelivery};
pub use oauth::{OauthGrant, OauthRead, OauthWrite};
pub use people::{EndUserCredentials, PeopleRead, PeopleWrite, StaffCredentials};
pub use sessions::{PasswordReset, Person, Presence, SavedView, SessionRecord, SessionsRead, SessionsWrite};
pub use tickets::{DayCount, TicketsRead, TicketsWrite};

use async_trait::async_trait;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A database that ferrodesk can run on.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A connection for reading; sees every committed write.
    async fn read(&self) -> Result<Box<dyn Reader>>;
    /// A write transaction. On SQLite writers are serialised (`BEGIN IMMEDIATE`, one writer connection);
    /// on PostgreSQL they run concurrently and lock the rows they read for update.
    async fn write(&self) -> Result<Box<dyn Writer>>;
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Notified when events may have been committed (by this process on SQLite; by any node on
    /// PostgreSQL, through LISTEN/NOTIFY): the outbox workers wake on it instead of polling.
    fn outbox_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;
    /// Closes the pools, waiting for connections in use to come back.
    async fn close(&self);
}

/// Reads, available on both kinds of connection: every aggregate's read trait. A capability that adds an
/// aggregate adds its trait here (and in [`Writer`]), in a module of its own.
pub trait Reader:
    DirectoryRead
    + PeopleRead
    + TicketsRead
    + EventsRead
    + OauthRead
    + BillingRead
    + ContractsRead
    + AutomationRead
    + SessionsRead
    + CallsRead
    + CaseUpdatesRead
    + MailRead
    + AttachmentsRead
    + Send
{
}

impl<
    T: DirectoryRead
        + PeopleRead
        + TicketsRead
        + EventsRead
        + OauthRead
        + BillingRead
        + ContractsRead
        + AutomationRead
        + SessionsRead
        + CallsRead
        + CaseUpdatesRead
        + MailRead
        + AttachmentsRead
        + Send
        + ?Sized,
> Reader for T
{
}

/// Writes, on a transaction: every aggregate's write trait, and the commit. Inserts take a record whose `id`
/// is ignored and return it as stored.
///
/// A backend may send inserts of tickets, replies and events later, together with the transaction's next
/// statement (SQLite's one writer does, to save a round trip each): a constraint such an insert breaks is
/// then reported by that next call or by `commit`, and the transaction fails as a whole either way.
#[async_trait]
pub trait Writer:
    Reader
    + DirectoryWrite
    + PeopleWrite
    + TicketsWrite
    + EventsWrite
    + OauthWrite
    + BillingWrite
    + ContractsWrite
    + AutomationWrite
    + SessionsWrite
    + CallsWrite
    + CaseUpdatesWrite
    + MailWrite
    + AttachmentsWrite
{
    async fn commit(self: Box<Self>) -> Result<()>;
}
