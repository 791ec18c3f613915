//! Mail's storage (SPEC §10): brands' mailboxes, the Message-IDs of every ticket's mail (threading and
//! duplicate detection), outbound mails queued by the outbox with their attempts, and which agents belong
//! to which departments (who is told of an unassigned ticket).
use crate::Result;
use async_trait::async_trait;
use domain::Timestamp;
use domain::automation::DeliveryStatus;
use domain::mailbox::{MailAttempt, MailDelivery, MailKind, Mailbox};

/// A mailbox to create, or the new state of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxFields {
    pub brand_id: i64,
    pub address: String,
    pub department_id: i64,
    pub imap_url: Option<String>,
    pub smtp_url: Option<String>,
    pub active: bool,
}

/// A ticket's mail, received or sent, by its Message-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    /// Without angle brackets.
    pub message_id: String,
    pub ticket_id: i64,
    pub reply_id: Option<i64>,
    pub brand_id: i64,
    /// `in` (received) or `out` (sent by ferrodesk).
    pub direction: &'static str,
    pub created_at: Timestamp,
}

/// A mail to queue for an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMailDelivery {
    pub event_id: i64,
    pub kind: MailKind,
    pub mailbox_id: i64,
    pub brand_id: i64,
    pub ticket_id: i64,
    pub reply_id: Option<i64>,
    pub recipient: String,
    pub message_id: String,
}

/// A claimed mail's outcome, as the worker writes it back.
#[derive(Debug, Clone)]
pub struct MailOutcome {
    pub mail_delivery_id: i64,
    pub attempt: MailAttempt,
    /// `done`, `failed` (no more attempts) or `pending` again at `next_attempt_at`.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
}

#[async_trait]
pub trait MailRead: Send {
    async fn mailbox(&mut self, id: i64) -> Result<Option<Mailbox>>;
    /// The mailbox with this address (lowercase).
    async fn mailbox_by_address(&mut self, address: &str) -> Result<Option<Mailbox>>;
    /// Every mailbox, of one brand when `brand_id` is given, by id.
    async fn mailboxes(&mut self, brand_id: Option<i64>) -> Result<Vec<Mailbox>>;
    /// The ticket (and its brand) of the first of `message_ids` ferrodesk knows, in the order given.
    async fn ticket_of_messages(&mut self, message_ids: &[String]) -> Result<Option<(i64, i64)>>;
    /// Whether a message with this id was stored already.
    async fn has_message(&mut self, message_id: &str) -> Result<bool>;
    /// The Message-IDs of a ticket's mail recorded before `before` (a message of the ticket; all of them
    /// when it is not one), oldest first, at most `limit` (the newest ones kept).
    async fn messages_of_ticket(&mut self, ticket_id: i64, before: &str, limit: u32) -> Result<Vec<String>>;
    async fn mail_delivery(&mut self, id: i64) -> Result<Option<MailDelivery>>;
    /// The mails queued for an event (attempts not filled).
    async fn mail_deliveries_of_event(&mut self, event_id: i64) -> Result<Vec<MailDelivery>>;
    /// The attempts of these mails, oldest first.
    async fn mail_attempts(&mut self, ids: &[i64]) -> Result<Vec<MailAttempt>>;
    /// When the next pending mail that no live claim holds at `now` is due.
    async fn next_mail_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>>;
    /// The departments a staff member belongs to.
    async fn staff_departments(&mut self, staff_id: i64) -> Result<Vec<i64>>;
    /// The staff members of a department, by id.
    async fn department_members(&mut self, department_id: i64) -> Result<Vec<i64>>;
}

#[async_trait]
pub trait MailWrite: Send {
    async fn insert_mailbox(&mut self, fields: &MailboxFields, at: Timestamp) -> Result<Mailbox>;
    async fn update_mailbox(&mut self, id: i64, fields: &MailboxFields, at: Timestamp) -> Result<Option<Mailbox>>;
    async fn delete_mailbox(&mut self, id: i64) -> Result<bool>;
    /// Records how an IMAP poll went (`error` none: it worked).
    async fn set_mailbox_polled(&mut self, id: i64, error: Option<&str>, at: Timestamp) -> Result<()>;
    /// Records a message id of a ticket; `false` when the id was known already (nothing written).
    async fn insert_mail_message(&mut self, message: &MailMessage) -> Result<bool>;
    /// Queues a mail (due `at`, tried until `deadline`); the same event, kind and recipient twice is a no-op.
    async fn insert_mail_delivery(&mut self, mail: &NewMailDelivery, at: Timestamp, deadline: Timestamp) -> Result<()>;
    /// Claims up to `limit` due pending mails for `node` until `until`, oldest due first; rows another node
    /// holds under a live claim are skipped, an expired claim is taken over.
    async fn claim_mail_deliveries(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<MailDelivery>>;
    /// Records an attempt and the mail's new state, if `node` still holds its claim.
    async fn record_mail_delivery(&mut self, node: &str, outcome: &MailOutcome) -> Result<bool>;
    /// Makes a staff member's departments exactly these.
    async fn set_staff_departments(&mut self, staff_id: i64, department_ids: &[i64]) -> Result<()>;
}
