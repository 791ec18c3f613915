//! The tickets aggregate's storage: tickets, their replies, and full-text search.
use crate::{PageRequest, Result, SearchRequest, SearchRow, TicketFilter};
use async_trait::async_trait;
use domain::{Reply, Ticket, TicketStatus, Timestamp};
use std::ops::Range;

/// One UTC day's figures of the dashboard, as they were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    /// Days since 1970-01-01.
    pub day: i64,
    pub opened: u64,
    pub solved: u64,
}

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
    /// Tickets opened per UTC day of `days` (days since 1970-01-01, end excluded): `(day, count)`, oldest
    /// first, days without any left out; read on the `ctime` index.
    async fn tickets_opened_per_day(&mut self, days: Range<i64>) -> Result<Vec<(i64, u64)>>;
    /// Changes that solved a ticket (its status became `solved`) per UTC day of `days`, as
    /// [`TicketsRead::tickets_opened_per_day`] counts them; read on the event log's partial index of such
    /// changes.
    async fn tickets_solved_per_day(&mut self, days: Range<i64>) -> Result<Vec<(i64, u64)>>;
    /// The days of `days` whose figures were counted and kept ([`TicketsWrite::keep_day_counts`]), oldest
    /// first.
    async fn kept_day_counts(&mut self, days: Range<i64>) -> Result<Vec<DayCount>>;
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
    /// Keeps the figures of days that are over, so the dashboard counts each of them once (a day kept
    /// again replaces its figures).
    async fn keep_day_counts(&mut self, counts: &[DayCount]) -> Result<()>;
    /// Forgets a kept day (its tickets changed: one was deleted or imported), so it is counted again.
    async fn forget_day_count(&mut self, day: i64) -> Result<()>;
}
