//! ferrodesk's domain: the types every other crate speaks, and the rules that need no I/O.
//!
//! Types here are "parsed, not validated": a [`Priority`], [`Title`] or [`Email`] value cannot hold an
//! invalid state, so code past the edge never re-checks them.

pub mod account;
pub mod attachment;
pub mod attribute;
pub mod automation;
pub mod billing;
pub mod call;
pub mod case_update;
pub mod control;
pub mod cursor;
pub mod entities;
pub mod event;
pub mod filter;
pub mod hook;
pub mod hook_params;
pub mod include;
pub mod int_bool;
pub mod mail;
pub mod mailbox;
mod names;
pub mod oauth;
pub mod principal;
pub mod text;
pub mod ticket;

pub use attribute::{Attribute, AttributeEntity, AttributeType, AttributeValue};
pub use cursor::Cursor;
pub use entities::{ActivityEvent, ApiToken, Attributes, Brand, Customer, Department, EndUser, Staff};
pub use event::{EntityType, Event, EventAction, EventData, EventSource};
pub use filter::{FilterCondition, FilterError, FilterOp, parse_filter};
pub use hook::{HookKind, HookPoint};
pub use include::{
    Cardinality, EntityKind, IncludeError, IncludeResolveError, IncludeTree, Relation, ResolvedInclude, parse_includes,
    relation, relation_names, resolve_includes,
};
pub use oauth::OauthClient;
pub use principal::{IntegrationKind, Principal, Role};
pub use text::{
    Email, FieldError, MARK_END, MARK_START, PREFIX_MIN_CHARS, Slug, Title, excerpt, last_term_is_prefix, search_terms,
};
pub use ticket::{Priority, Reply, Side, Ticket, TicketStatus};

/// Timestamps are UTC instants everywhere; rendered as RFC 3339.
pub type Timestamp = jiff::Timestamp;
