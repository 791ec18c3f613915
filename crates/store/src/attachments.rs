//! Attachments' storage (SPEC §10): each reply's files with their own ids, and their content kept once per
//! SHA-256 however many replies carry it.
use crate::Result;
use async_trait::async_trait;
use domain::Timestamp;
use domain::attachment::Attachment;

/// A file to attach to a reply, as the use case prepared it (its name already made safe, its digest taken).
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    pub reply_id: i64,
    pub ticket_id: i64,
    pub filename: &'a str,
    pub content_type: &'a str,
    /// Lowercase hex SHA-256 of `content`.
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub created_at: Timestamp,
}

/// One attachment with what decides who may see it: its reply's ticket and whether the reply is an internal
/// note, and the ticket's customer (an end user sees only their own customer's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub attachment: Attachment,
    pub reply_id: i64,
    pub ticket_id: i64,
    pub internal: bool,
    pub customer_id: i64,
}

/// Reading attachments.
#[async_trait]
pub trait AttachmentsRead: Send {
    /// The attachments of `reply_ids` in one query: `(reply id, attachment)` pairs by reply, then by
    /// attachment id (the order they were attached in).
    async fn attachments_of_replies(&mut self, reply_ids: &[i64]) -> Result<Vec<(i64, Attachment)>>;
    /// One attachment with its reply's visibility; `None` if there is none (or its ticket is gone).
    async fn attachment(&mut self, id: i64) -> Result<Option<StoredAttachment>>;
    /// The bytes stored under `sha256`.
    async fn attachment_content(&mut self, sha256: &str) -> Result<Option<Vec<u8>>>;
}

/// Adding attachments, on a transaction. Deleting a reply or a ticket deletes its attachments, and content
/// no attachment names any more goes with them in the same transaction (content another transaction is
/// attaching at that moment stays, and goes with a later delete).
#[async_trait]
pub trait AttachmentsWrite: Send {
    /// Stores the content unless a row with its SHA-256 exists already, then the attachment row; returns the
    /// attachment as stored.
    async fn insert_attachment(&mut self, new: &NewAttachment<'_>) -> Result<Attachment>;
}
