//! Web UI logins' storage (SPEC §2): server-side sessions, failed logins for the rate limit, and
//! password reset links. Secrets are kept as SHA-256 only.
use crate::Result;
use async_trait::async_trait;
use domain::Timestamp;

/// Whose a session or reset link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Staff(i64),
    EndUser(i64),
}

/// A web session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: i64,
    pub secret_hash: String,
    pub person: Person,
    /// The token every state-changing form of the session carries.
    pub csrf: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end, whatever the activity.
    pub expires_at: Timestamp,
}

/// An admin-issued password reset link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub id: i64,
    pub secret_hash: String,
    pub person: Person,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// A named queue filter of one staff member (the query string of `/agent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: i64,
    pub staff_id: i64,
    pub name: String,
    pub query: String,
    pub created_at: Timestamp,
}

/// A staff member who has a ticket open (and whether they are writing a reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub ticket_id: i64,
    pub staff_id: i64,
    pub staff_name: String,
    pub replying: bool,
    pub seen_at: Timestamp,
}

#[async_trait]
pub trait SessionsRead: Send {
    async fn session_by_hash(&mut self, secret_hash: &str) -> Result<Option<SessionRecord>>;
    /// Failed logins for `email` (folded) from `ip` at or after `since`.
    async fn login_failures_since(&mut self, email: &str, ip: &str, since: Timestamp) -> Result<i64>;
    /// The oldest of those failures (when the window frees up again).
    async fn first_login_failure_since(&mut self, email: &str, ip: &str, since: Timestamp)
    -> Result<Option<Timestamp>>;
    async fn password_reset_by_hash(&mut self, secret_hash: &str) -> Result<Option<PasswordReset>>;
    async fn saved_views_of(&mut self, staff_id: i64) -> Result<Vec<SavedView>>;
    /// Who has had `ticket_id` open since `since`, by name.
    async fn presence_on(&mut self, ticket_id: i64, since: Timestamp) -> Result<Vec<Presence>>;
    /// A claimed form submission: `Some(None)` while its change is being made, `Some(Some(result))` after.
    async fn submission(&mut self, key: &str) -> Result<Option<Option<String>>>;
}

#[async_trait]
pub trait SessionsWrite: Send {
    async fn insert_session(&mut self, session: &SessionRecord) -> Result<SessionRecord>;
    async fn touch_session(&mut self, id: i64, at: Timestamp) -> Result<()>;
    async fn delete_session(&mut self, id: i64) -> Result<()>;
    /// Ends every session of a person but `keep` (a password changed or reset).
    async fn delete_sessions_of(&mut self, person: Person, keep: Option<i64>) -> Result<()>;
    async fn insert_login_failure(&mut self, email: &str, ip: &str, at: Timestamp) -> Result<()>;
    /// Forgets failures older than `before`, and those of `email` from `ip` when given (a success).
    async fn clear_login_failures(&mut self, before: Timestamp, account: Option<(&str, &str)>) -> Result<()>;
    async fn insert_password_reset(&mut self, reset: &PasswordReset) -> Result<PasswordReset>;
    /// Marks a link used, if it was not: `false` when it was already (two tabs, one wins).
    async fn use_password_reset(&mut self, id: i64, at: Timestamp) -> Result<bool>;
    async fn insert_saved_view(&mut self, view: &SavedView) -> Result<SavedView>;
    /// Removes one of the staff member's views; whether it was theirs and existed.
    async fn delete_saved_view(&mut self, id: i64, staff_id: i64) -> Result<bool>;
    /// Records that the staff member has the ticket open now (replacing their earlier mark), and forgets
    /// marks older than `stale_before`.
    async fn mark_presence(&mut self, presence: &Presence, stale_before: Timestamp) -> Result<()>;
    /// Claims a form's one-time key; false when it was claimed before. Keys older than `stale_before` are
    /// forgotten first.
    async fn claim_submission(&mut self, key: &str, at: Timestamp, stale_before: Timestamp) -> Result<bool>;
    /// Records where a claimed submission's change is (`Some`), or releases the key (`None`: the change was
    /// refused, the corrected form may be sent again).
    async fn finish_submission(&mut self, key: &str, result: Option<&str>) -> Result<()>;
}
