//! The people aggregate's storage: staff accounts, API tokens, customers and their end users.
use crate::{DeletedFilter, IndexedValue, PageRequest, PersonQuery, Result};
use async_trait::async_trait;
use domain::{ActivityEvent, ApiToken, Attribute, AttributeEntity, Customer, EndUser, Role, Staff};

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
    /// The oldest live end user with this email, of any customer (Ticaga finds people by address alone).
    async fn first_end_user_with_email(&mut self, email: &str) -> Result<Option<EndUser>>;
    /// End users, of one customer or of all; those of a soft-deleted customer count as deleted.
    async fn end_user_list(
        &mut self,
        customer_id: Option<i64>,
        deleted: DeletedFilter,
        page: &PageRequest,
    ) -> Result<Vec<EndUser>>;

    /// Customers by every narrowing a list can have (`query.entity` is `customer`).
    async fn customer_query(&mut self, query: &PersonQuery) -> Result<Vec<Customer>>;
    /// End users by every narrowing a list can have (`query.entity` is `end_user`).
    async fn end_user_query(&mut self, query: &PersonQuery) -> Result<Vec<EndUser>>;
    /// How many rows the query matches, all pages together.
    async fn person_count(&mut self, query: &PersonQuery) -> Result<i64>;
    /// How many rows the query matches, counting at most `bound` (so `bound` means "at least that many"):
    /// a count that stays cheap when a common value matches most of a million rows.
    async fn person_count_bounded(&mut self, query: &PersonQuery, bound: i64) -> Result<i64>;
    /// The live end users of these customers, by id (for includes and migrations).
    async fn end_users_of(&mut self, customer_ids: &[i64]) -> Result<Vec<EndUser>>;
    /// Customers by id, soft-deleted ones included, in no particular order (for includes).
    async fn customers_by_ids(&mut self, ids: &[i64]) -> Result<Vec<Customer>>;
    /// A customer by its `external_id`, soft-deleted ones included.
    async fn customer_by_external_id(&mut self, external_id: &str) -> Result<Option<Customer>>;
    /// A customer by its email, soft-deleted ones included.
    async fn customer_by_email(&mut self, email: &str) -> Result<Option<Customer>>;

    /// The custom attributes of an entity, oldest first; soft-deleted ones only when asked.
    async fn attributes(&mut self, entity: AttributeEntity, with_deleted: bool) -> Result<Vec<Attribute>>;
    async fn attribute(&mut self, id: i64) -> Result<Option<Attribute>>;

    async fn activity_event(&mut self, id: i64) -> Result<Option<ActivityEvent>>;
    /// The newest activity events (at most `limit`) of these end users, or of these customers' end users.
    async fn activity_events(
        &mut self,
        end_user_ids: &[i64],
        customer_ids: &[i64],
        limit: u32,
    ) -> Result<Vec<ActivityEvent>>;
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

    /// Inserts a customer with its attribute values (`values`, indexed forms of `customer.attributes`)
    /// and tags. A value that breaks its attribute's uniqueness is [`crate::UniqueKey::AttributeValue`],
    /// also when the attribute was made unique by a transaction that committed after the caller read the
    /// definitions (the values follow the definitions as they stand; a change to one waits for this write).
    async fn insert_customer(&mut self, customer: &Customer, values: &[IndexedValue]) -> Result<Customer>;
    /// Writes every field, `deleted_at` included (soft delete and restore are updates), and the tags;
    /// `values`, when given, replace the indexed attribute values.
    async fn update_customer(&mut self, customer: &Customer, values: Option<&[IndexedValue]>) -> Result<()>;
    async fn insert_end_user(
        &mut self,
        end_user: &EndUser,
        password_hash: Option<&str>,
        values: &[IndexedValue],
    ) -> Result<EndUser>;
    /// `password_hash`: `None` keeps the current one, `Some(None)` removes it; `values` as for customers.
    async fn update_end_user(
        &mut self,
        end_user: &EndUser,
        password_hash: Option<Option<&str>>,
        values: Option<&[IndexedValue]>,
    ) -> Result<()>;

    async fn insert_attribute(&mut self, attribute: &Attribute) -> Result<Attribute>;
    /// Writes every field of a custom attribute, `deleted_at` included. When `unique` or `searchable`
    /// changed, the stored values follow: a unique attribute whose values repeat is
    /// [`crate::UniqueKey::AttributeValue`], and the search text of every entity with a value is rebuilt.
    /// What changed is judged against the definition as stored (`old` is what the caller read, which a
    /// concurrent change may have overtaken), which stays locked until the commit.
    async fn update_attribute(&mut self, attribute: &Attribute, old: &Attribute) -> Result<()>;

    async fn insert_activity_event(&mut self, event: &ActivityEvent) -> Result<ActivityEvent>;
}
