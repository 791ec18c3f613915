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

/// The orders a ticket list can have. Every order ends with the id, so pages are stable. The wire names
/// (`sort=`) are derived by strum: `to_string` is the canonical name, `serialize` an accepted alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantArray)]
pub enum TicketSort {
    /// Newest first (the default).
    #[strum(to_string = "-id", serialize = "-ctime")]
    IdDesc,
    #[strum(to_string = "id", serialize = "ctime")]
    IdAsc,
    #[strum(to_string = "-lastreply")]
    LastReplyDesc,
    #[strum(to_string = "lastreply")]
    LastReplyAsc,
    #[strum(to_string = "-priority")]
    PriorityDesc,
    #[strum(to_string = "priority")]
    PriorityAsc,
}

impl TicketSort {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        s.parse()
            .map_err(|_| "must be one of id, ctime, lastreply, priority, each optionally prefixed with -")
    }

    /// The canonical wire name (`-id`, `lastreply`, …).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn descending(self) -> bool {
        matches!(self, Self::IdDesc | Self::LastReplyDesc | Self::PriorityDesc)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFilter {
    pub statuses: Vec<TicketStatus>,
    pub did: Option<i64>,
    /// Tickets of the brand's departments.
    pub brand: Option<i64>,
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
            brand: None,
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

/// What a search looks in. The name is the hit's `kind` on the wire (snake case, derived by strum); `types=`
/// also accepts the plural and the old `endusers` spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumString, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum SearchKind {
    #[strum(to_string = "ticket", serialize = "tickets")]
    Ticket,
    #[strum(to_string = "customer", serialize = "customers")]
    Customer,
    #[strum(to_string = "end_user", serialize = "end_users", serialize = "endusers")]
    EndUser,
}

impl SearchKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// One of the names `types=` accepts (singular, plural, or `endusers`).
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
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

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn ticket_sort_wire_names_are_unchanged() {
        let names: Vec<_> = TicketSort::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["-id", "id", "-lastreply", "lastreply", "-priority", "priority"]);
        for &sort in TicketSort::VARIANTS {
            assert_eq!(TicketSort::parse(sort.as_str()), Ok(sort));
        }
        assert_eq!(TicketSort::parse("-ctime"), Ok(TicketSort::IdDesc));
        assert_eq!(TicketSort::parse("ctime"), Ok(TicketSort::IdAsc));
        assert!(TicketSort::parse("").is_err());
        assert!(TicketSort::parse("--id").is_err());
        assert!(TicketSort::parse("ID").is_err());
        assert!(TicketSort::IdDesc.descending() && !TicketSort::IdAsc.descending());
    }

    #[test]
    fn search_kind_wire_names_are_unchanged() {
        let names: Vec<_> = SearchKind::VARIANTS.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, ["ticket", "customer", "end_user"]);
        for (alias, kind) in [
            ("ticket", SearchKind::Ticket),
            ("tickets", SearchKind::Ticket),
            ("customer", SearchKind::Customer),
            ("customers", SearchKind::Customer),
            ("end_user", SearchKind::EndUser),
            ("end_users", SearchKind::EndUser),
            ("endusers", SearchKind::EndUser),
        ] {
            assert_eq!(SearchKind::parse(alias), Some(kind), "{alias}");
        }
        assert_eq!(SearchKind::parse("EndUser"), None);
        assert_eq!(SearchKind::parse(""), None);
    }
}

/// A custom attribute value as the store indexes it (see the `attribute_values` table): the use case
/// computes every form from the checked value, so both backends store the same.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedValue {
    pub attribute_id: i64,
    /// The value as text (what keyword search indexes when the attribute is searchable).
    pub value: String,
    /// Lower case, at most [`FOLDED_CHARS`] characters: what equality and text filters compare.
    pub folded: String,
    pub number: Option<f64>,
}

/// How much of a value equality and text filters (and uniqueness) compare.
pub const FOLDED_CHARS: usize = 256;

/// A built-in column of customers or end users that lists may filter and sort by. Only these names ever
/// reach SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonColumn {
    Id,
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    City,
    Country,
    ExternalId,
    CustomerId,
    CreatedAt,
    UpdatedAt,
}

impl PersonColumn {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Name => "name",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::City => "city",
            Self::Country => "country",
            Self::ExternalId => "external_id",
            Self::CustomerId => "customer_id",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
        }
    }

    /// Columns holding integers (ids, microsecond timestamps) rather than text.
    pub fn is_integer(self) -> bool {
        matches!(self, Self::Id | Self::CustomerId | Self::CreatedAt | Self::UpdatedAt)
    }
}

/// What a filter condition compares.
#[derive(Debug, Clone, PartialEq)]
pub enum PersonField {
    Column(PersonColumn),
    /// A custom attribute by id; `numeric` compares its `number` form.
    Attribute {
        id: i64,
        numeric: bool,
    },
    /// The entity's tags (exact, case-sensitive).
    Tags,
}

/// The operand of a condition, already in the compared form (folded text, numbers, microseconds).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Number(f64),
    Integer(i64),
    Texts(Vec<String>),
    Numbers(Vec<f64>),
    Integers(Vec<i64>),
}

/// One checked condition of a customer or end-user list.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonCondition {
    pub field: PersonField,
    pub op: domain::FilterOp,
    pub operand: Operand,
}

/// The order of a customer or end-user list; ties are broken by id in the same direction.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonOrder {
    pub field: PersonField,
    pub descending: bool,
}

impl Default for PersonOrder {
    fn default() -> Self {
        Self {
            field: PersonField::Column(PersonColumn::Id),
            descending: true,
        }
    }
}

/// Which page: by id cursor (id order only) or by offset (any order).
#[derive(Debug, Clone, PartialEq)]
pub enum PersonPage {
    Keyset(PageRequest),
    Offset { offset: u64, limit: u32 },
}

/// A list of customers or end users: every narrowing a list can have, already checked by the use case.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonQuery {
    pub entity: domain::AttributeEntity,
    pub deleted: DeletedFilter,
    /// End users of one customer.
    pub customer_id: Option<i64>,
    pub external_id: Option<String>,
    /// Keyword search terms over the searchable fields; all must match (the last also as a prefix).
    pub terms: Vec<String>,
    pub conditions: Vec<PersonCondition>,
    pub order: PersonOrder,
    pub page: PersonPage,
}

impl PersonQuery {
    pub fn new(entity: domain::AttributeEntity, page: PersonPage) -> Self {
        Self {
            entity,
            deleted: DeletedFilter::Exclude,
            customer_id: None,
            external_id: None,
            terms: Vec::new(),
            conditions: Vec::new(),
            order: PersonOrder::default(),
            page,
        }
    }
}
