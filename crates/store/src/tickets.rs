//! The tickets aggregate's storage: tickets, their replies, and full-text search.
use crate::{PageRequest, Result, SearchRequest, SearchRow, TicketFilter};
use async_trait::async_trait;
use domain::{Reply, Ticket};

/// Reading tickets and replies, and searching.
#[async_trait]
pub trait TicketsRead: Send {
    async fn ticket(&mut self, id: i64) -> Result<Option<Ticket>>;
    async fn ticket_list(&mut self, filter: &TicketFilter) -> Result<Vec<Ticket>>;
    async fn reply(&mut self, id: i64) -> Result<Option<Reply>>;
    async fn reply_list(&mut self, ticket_id: i64, include_internal: bool) -> Result<Vec<Reply>>;
    /// One page of a ticket's replies, oldest first: those with ids above the page's cursor.
    async fn reply_page(&mut self, ticket_id: i64, include_internal: bool, page: &PageRequest) -> Result<Vec<Reply>>;
    async fn search(&mut self, request: &SearchRequest) -> Result<Vec<SearchRow>>;
}

/// Changing tickets and replies, on a transaction.
#[async_trait]
pub trait TicketsWrite: Send {
    async fn insert_ticket(&mut self, ticket: &Ticket) -> Result<Ticket>;
    async fn update_ticket(&mut self, ticket: &Ticket) -> Result<()>;
    async fn delete_ticket(&mut self, id: i64) -> Result<()>;
    /// Reads a ticket and locks it against concurrent writers until commit.
    async fn ticket_for_update(&mut self, id: i64) -> Result<Option<Ticket>>;
    async fn insert_reply(&mut self, reply: &Reply) -> Result<Reply>;
    async fn update_reply(&mut self, reply: &Reply) -> Result<()>;
    async fn delete_reply(&mut self, id: i64) -> Result<()>;
}
