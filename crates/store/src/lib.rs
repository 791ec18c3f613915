//! Storage of ferrodesk behind narrow traits, so that use cases never know which database they run on.
//!
//! A [`Store`] hands out two kinds of connection: a [`Reader`] (autocommit, for GETs and lists) and a
//! [`Writer`] (one transaction, committed explicitly; dropped without `commit` it rolls back). Every use case
//! that changes anything does all of its reads-for-update and writes, including the event row, on one
//! `Writer`, which is what makes "one request, one transaction" and the outbox hold.

pub mod dump;
mod error;
mod filters;
pub mod time;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::StoreError;
pub use filters::*;

use async_trait::async_trait;
use domain::event::NewEvent;
use domain::{ApiToken, Brand, Customer, Department, EndUser, Event, Reply, Role, Staff, Ticket};

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
    /// Closes the pools, waiting for connections in use to come back.
    async fn close(&self);
}

/// A staff account with its password hash, for logging in.
#[derive(Debug, Clone)]
pub struct StaffCredentials {
    pub staff: Staff,
    pub password_hash: String,
}

/// An end user with a portal password, for logging in.
#[derive(Debug, Clone)]
pub struct EndUserCredentials {
    pub end_user: EndUser,
    pub password_hash: Option<String>,
}

/// Reads, available on both kinds of connection.
#[async_trait]
pub trait Reader: Send {
    async fn staff(&mut self, id: i64) -> Result<Option<Staff>>;
    async fn staff_credentials(&mut self, email: &str) -> Result<Option<StaffCredentials>>;
    async fn staff_list(&mut self, page: &PageRequest) -> Result<Vec<Staff>>;
    /// How many staff accounts there are, of one role or of all.
    async fn staff_count(&mut self, role: Option<Role>) -> Result<i64>;

    async fn token(&mut self, id: i64) -> Result<Option<ApiToken>>;
    async fn token_by_hash(&mut self, secret_hash: &str) -> Result<Option<ApiToken>>;
    async fn token_list(&mut self, page: &PageRequest) -> Result<Vec<ApiToken>>;
    /// The tokens acting as one end user, newest first.
    async fn end_user_token_list(&mut self, end_user_id: i64, page: &PageRequest) -> Result<Vec<ApiToken>>;

    async fn brand(&mut self, id: i64) -> Result<Option<Brand>>;
    async fn brand_list(&mut self, page: &PageRequest) -> Result<Vec<Brand>>;
    async fn department(&mut self, id: i64) -> Result<Option<Department>>;
    async fn department_list(
        &mut self,
        brand_id: Option<i64>,
        public_only: bool,
        page: &PageRequest,
    ) -> Result<Vec<Department>>;
    async fn department_ticket_count(&mut self, id: i64) -> Result<i64>;
    async fn brand_department_count(&mut self, id: i64) -> Result<i64>;

    /// A customer, including a soft-deleted one (check `deleted_at`).
    async fn customer(&mut self, id: i64) -> Result<Option<Customer>>;
    async fn customer_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Customer>>;
    /// An end user, including a soft-deleted one (check `deleted_at`).
    async fn end_user(&mut self, id: i64) -> Result<Option<EndUser>>;
    async fn end_user_credentials(&mut self, email: &str) -> Result<Option<EndUserCredentials>>;
    async fn end_user_by_email(&mut self, customer_id: i64, email: &str) -> Result<Option<EndUser>>;
    /// End users, of one customer or of all; those of a soft-deleted customer count as deleted.
    async fn end_user_list(
        &mut self,
        customer_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<EndUser>>;

    async fn ticket(&mut self, id: i64) -> Result<Option<Ticket>>;
    async fn ticket_list(&mut self, filter: &TicketFilter) -> Result<Vec<Ticket>>;
    async fn reply(&mut self, id: i64) -> Result<Option<Reply>>;
    async fn reply_list(&mut self, ticket_id: i64, include_internal: bool) -> Result<Vec<Reply>>;
    /// One page of a ticket's replies, oldest first: those with ids above the page's cursor.
    async fn reply_page(&mut self, ticket_id: i64, include_internal: bool, page: &PageRequest) -> Result<Vec<Reply>>;

    async fn event(&mut self, id: i64) -> Result<Option<Event>>;
    async fn event_list(&mut self, filter: &EventFilter) -> Result<Vec<Event>>;

    async fn search(&mut self, request: &SearchRequest) -> Result<Vec<SearchRow>>;
}

/// Writes, on a transaction. Inserts take a record whose `id` is ignored and return it as stored.
///
/// A backend may send inserts of tickets, replies and events later, together with the transaction's next
/// statement (SQLite's one writer does, to save a round trip each): a constraint such an insert breaks is
/// then reported by that next call or by `commit`, and the transaction fails as a whole either way.
#[async_trait]
pub trait Writer: Reader {
    async fn insert_staff(&mut self, staff: &Staff, password_hash: &str) -> Result<Staff>;
    /// How many admins there are, holding them until this unit ends, so that two concurrent units cannot
    /// each demote or delete a different one of the last two admins.
    async fn admin_count_for_update(&mut self) -> Result<i64>;
    async fn update_staff(&mut self, staff: &Staff, password_hash: Option<&str>) -> Result<()>;
    async fn delete_staff(&mut self, id: i64) -> Result<()>;

    async fn insert_token(&mut self, token: &ApiToken, secret_hash: &str) -> Result<ApiToken>;
    async fn delete_token(&mut self, id: i64) -> Result<()>;

    async fn insert_brand(&mut self, brand: &Brand) -> Result<Brand>;
    async fn update_brand(&mut self, brand: &Brand) -> Result<()>;
    async fn delete_brand(&mut self, id: i64) -> Result<()>;
    async fn insert_department(&mut self, department: &Department) -> Result<Department>;
    async fn update_department(&mut self, department: &Department) -> Result<()>;
    async fn delete_department(&mut self, id: i64) -> Result<()>;

    async fn insert_customer(&mut self, customer: &Customer) -> Result<Customer>;
    /// Writes every field, `deleted_at` included (soft delete and restore are updates).
    async fn update_customer(&mut self, customer: &Customer) -> Result<()>;
    async fn insert_end_user(&mut self, end_user: &EndUser, password_hash: Option<&str>) -> Result<EndUser>;
    /// `password_hash`: `None` keeps the current one, `Some(None)` removes it.
    async fn update_end_user(&mut self, end_user: &EndUser, password_hash: Option<Option<&str>>) -> Result<()>;

    async fn insert_ticket(&mut self, ticket: &Ticket) -> Result<Ticket>;
    async fn update_ticket(&mut self, ticket: &Ticket) -> Result<()>;
    async fn delete_ticket(&mut self, id: i64) -> Result<()>;
    /// Reads a ticket and locks it against concurrent writers until commit.
    async fn ticket_for_update(&mut self, id: i64) -> Result<Option<Ticket>>;
    async fn insert_reply(&mut self, reply: &Reply) -> Result<Reply>;
    async fn update_reply(&mut self, reply: &Reply) -> Result<()>;
    async fn delete_reply(&mut self, id: i64) -> Result<()>;

    async fn insert_event(&mut self, event: &NewEvent) -> Result<Event>;

    async fn commit(self: Box<Self>) -> Result<()>;
}
