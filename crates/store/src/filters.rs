//! Queries the use cases hand to a store: validated, with limits already clamped.
use domain::{Cursor, TicketStatus};

/// Keyset pagination: rows after `after` (in the list's order), at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// Id-ordered pages (newest first) use the id as the cursor's id; its key is unused.
    pub fn before_id(&self) -> i64 {
        self.after.as_ref().map_or(i64::MAX, |c| c.id)
    }

    /// Id-ordered pages oldest first: rows with ids above this one.
    pub fn after_id(&self) -> i64 {
        self.after.as_ref().map_or(0, |c| c.id)
    }
}

/// Which soft-deleted records a list shows. An end user counts as deleted while their customer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletedFilter {
    /// Only records that are not deleted (the default of every list).
    #[default]
    Exclude,
    /// Only deleted records.
    Only,
    /// Deleted and live records alike.
    Include,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignedFilter {
    Nobody,
    Staff(i64),
}

/// The orders a ticket list can have. Every order ends with the id, so pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest first (the default).
    IdDesc,
    IdAsc,
    LastReplyDesc,
    LastReplyAsc,
    PriorityDesc,
    PriorityAsc,
}

impl TicketSort {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Ok(match s {
            "-id" | "-ctime" => Self::IdDesc,
            "id" | "ctime" => Self::IdAsc,
            "-lastreply" => Self::LastReplyDesc,
            "lastreply" => Self::LastReplyAsc,
            "-priority" => Self::PriorityDesc,
            "priority" => Self::PriorityAsc,
            _ => return Err("must be one of id, ctime, lastreply, priority, each optionally prefixed with -"),
        })
    }

    pub fn descending(self) -> bool {
        matches!(self, Self::IdDesc | Self::LastReplyDesc | Self::PriorityDesc)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFilter {
    pub statuses: Vec<TicketStatus>,
    pub did: Option<i64>,
    pub customer_id: Option<i64>,
    pub user_id: Option<i64>,
    pub assigned: Option<AssignedFilter>,
    pub priority: Option<u8>,
    pub locked: Option<bool>,
    /// Search terms (already split into words); all must occur in the title or a reply.
    pub terms: Vec<String>,
    /// Whether internal notes count for `terms` (staff only).
    pub search_internal: bool,
    pub sort: TicketSort,
    pub page: PageRequest,
}

impl Default for TicketFilter {
    fn default() -> Self {
        Self {
            statuses: vec![],
            did: None,
            customer_id: None,
            user_id: None,
            assigned: None,
            priority: None,
            locked: None,
            terms: vec![],
            search_internal: false,
            sort: TicketSort::IdDesc,
            page: PageRequest::first(PageRequest::DEFAULT_LIMIT),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventFilter {
    pub entity: Option<&'static str>,
    pub entity_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Microseconds since the epoch.
    pub since_micros: Option<i64>,
    pub limit: u32,
    pub before_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    Ticket,
    Customer,
    EndUser,
}

impl SearchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ticket => "ticket",
            Self::Customer => "customer",
            Self::EndUser => "end_user",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// Words to find, all of them (already normalised: no operators, no quotes).
    pub terms: Vec<String>,
    pub kinds: Vec<SearchKind>,
    pub limit: u32,
    /// For end users: only this customer's tickets, and never internal notes.
    pub customer_scope: Option<i64>,
}

/// One hit, with the text that matched (the title and replies of a ticket, the name, email and phone of a
/// person); the caller cuts its excerpt with `domain::excerpt`, the same way for every backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRow {
    pub kind: SearchKind,
    pub id: i64,
    pub title: String,
    pub text: String,
    /// Higher is better.
    pub score: f64,
}

pub use domain::{MARK_END, MARK_START};
