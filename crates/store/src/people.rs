//! The people aggregate's storage: staff accounts, API tokens, customers and their end users.
use crate::{DeletedFilter, PageRequest, Result};
use async_trait::async_trait;
use domain::{ApiToken, Customer, EndUser, Role, Staff};

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

/// Reading staff, tokens, customers and end users.
#[async_trait]
pub trait PeopleRead: Send {
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

    /// A customer, including a soft-deleted one (check `deleted_at`).
    async fn customer(&mut self, id: i64) -> Result<Option<Customer>>;
    async fn customer_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Customer>>;
    /// An end user, including a soft-deleted one (check `deleted_at`).
    async fn end_user(&mut self, id: i64) -> Result<Option<EndUser>>;
    async fn end_user_credentials(&mut self, email: &str) -> Result<Option<EndUserCredentials>>;
    /// One end user's password hash, by id (`None` when they have none or do not exist): proving a
    /// current password must not go through the email lookup, which another customer's end user with
    /// the same email may win.
    async fn end_user_password_hash(&mut self, id: i64) -> Result<Option<String>>;
    async fn end_user_by_email(&mut self, customer_id: i64, email: &str) -> Result<Option<EndUser>>;
    /// End users, of one customer or of all; those of a soft-deleted customer count as deleted.
    async fn end_user_list(
        &mut self,
        customer_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<EndUser>>;
}

/// Changing staff, tokens, customers and end users, on a transaction.
#[async_trait]
pub trait PeopleWrite: Send {
    async fn insert_staff(&mut self, staff: &Staff, password_hash: &str) -> Result<Staff>;
    /// How many admins there are, holding them until this unit ends, so that two concurrent units cannot
    /// each demote or delete a different one of the last two admins.
    async fn admin_count_for_update(&mut self) -> Result<i64>;
    async fn update_staff(&mut self, staff: &Staff, password_hash: Option<&str>) -> Result<()>;
    async fn delete_staff(&mut self, id: i64) -> Result<()>;

    async fn insert_token(&mut self, token: &ApiToken, secret_hash: &str) -> Result<ApiToken>;
    async fn delete_token(&mut self, id: i64) -> Result<()>;

    async fn insert_customer(&mut self, customer: &Customer) -> Result<Customer>;
    /// Writes every field, `deleted_at` included (soft delete and restore are updates).
    async fn update_customer(&mut self, customer: &Customer) -> Result<()>;
    async fn insert_end_user(&mut self, end_user: &EndUser, password_hash: Option<&str>) -> Result<EndUser>;
    /// `password_hash`: `None` keeps the current one, `Some(None)` removes it.
    async fn update_end_user(&mut self, end_user: &EndUser, password_hash: Option<Option<&str>>) -> Result<()>;
}
