//! The tickets aggregate's storage: tickets, their replies, and full-text search.
use crate::{PageRequest, Result, SearchRequest, SearchRow, TicketFilter};
use async_trait::async_trait;
use domain::{Reply, Ticket, TicketStatus, Timestamp};

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
    /// Tickets opened per UTC day since `since`: `(day, count)` with `day` in days since 1970-01-01, oldest
    /// first, days without any left out; read on the `ctime` index.
    async fn tickets_opened_per_day(&mut self, since: Timestamp) -> Result<Vec<(i64, u64)>>;
    /// Changes that solved a ticket (its status became `solved`) per UTC day since `since`, as
    /// [`TicketsRead::tickets_opened_per_day`] counts them; read on the event log's partial index of such
    /// changes.
    async fn tickets_solved_per_day(&mut self, since: Timestamp) -> Result<Vec<(i64, u64)>>;
    /// Tickets in `status`, counted up to `bound` (a count that reaches it means "at least").
    async fn ticket_count_by_status(&mut self, status: TicketStatus, bound: u64) -> Result<u64>;
    /// The newest `limit` tickets opened since `since`, newest first: `(opened, first public staff reply)`.
    async fn first_responses(&mut self, since: Timestamp, limit: u32) -> Result<Vec<(Timestamp, Option<Timestamp>)>>;
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
