//! Telephony calls' storage (SPEC §7.4) and the lookups a screen pop makes by the caller's number.
use crate::Result;
use async_trait::async_trait;
use domain::call::Call;
use domain::{Customer, EndUser};

#[async_trait]
pub trait CallsRead: Send {
    async fn call(&mut self, id: i64) -> Result<Option<Call>>;
    /// The newest call of `brand_id` with the phone system's `callid`.
    async fn call_by_callid(&mut self, brand_id: i64, callid: &str) -> Result<Option<Call>>;
    /// Live customers whose phone key begins with `key_prefix` (their number ends with the caller's last
    /// digits: `store_sql::caller_key`), newest first, at most `limit`.
    async fn customers_by_phone(&mut self, key_prefix: &str, limit: u32) -> Result<Vec<Customer>>;
    /// Live end users (of live customers) whose phone key begins with `key_prefix`, newest first.
    async fn end_users_by_phone(&mut self, key_prefix: &str, limit: u32) -> Result<Vec<EndUser>>;
}

#[async_trait]
pub trait CallsWrite: Send {
    async fn insert_call(&mut self, call: &Call) -> Result<Call>;
    /// Records the ticket opened from a call.
    async fn set_call_ticket(&mut self, call_id: i64, ticket_id: i64) -> Result<()>;
}
