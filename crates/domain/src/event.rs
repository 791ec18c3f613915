//! The event log: one row per change, written in the change's own transaction (SPEC §3.5).
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a change came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
#[strum(serialize_all = "UPPERCASE")]
pub enum EventSource {
    Ui,
    Api,
    System,
    Hook,
    /// A message received by mail (SPEC §10).
    Mail,
}

/// What happened to the entity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum EventAction {
    Created,
    Updated,
    Deleted,
    Restored,
}

/// The entity a change is about, in snake_case singular on the wire.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EntityType {
    Ticket,
    Reply,
    Brand,
    Department,
    Customer,
    EndUser,
    Staff,
    Token,
    /// An OAuth 2.0 client (client credentials), beside API tokens.
    OauthClient,
    Attribute,
    /// Catalogue entries (SPEC §5.1): billing objects beside subscriptions and invoices.
    Feature,
    Group,
    Package,
    Plan,
    Subscription,
    Invoice,
    Payment,
    Refund,
    Contract,
    /// What a contract promises (SPEC §5.4).
    SupportLevel,
    BillingLink,
    Webhook,
    Hook,
    Call,
    /// A brand's mailbox (SPEC §10).
    Mailbox,
}

impl EntityType {
    pub const ALL: &'static [EntityType] = <Self as strum::VariantArray>::VARIANTS;
}

/// `as_str` (the stored and wire name) and `parse` (its inverse) of the event log's enums, from strum's derives.
macro_rules! wire_name {
    ($($ty:ty),*) => {$(
        impl $ty {
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            pub fn parse(s: &str) -> Option<Self> {
                s.parse().ok()
            }
        }
    )*};
}
wire_name!(EventSource, EventAction, EntityType);

/// `data` of an event: the entity type, its new state and its previous state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventData {
    #[serde(rename = "type")]
    pub entity: EntityType,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub old: serde_json::Value,
}

/// A change record in TeamTools' web-event shape, plus the ids ferrodesk filters by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: Timestamp,
    pub source: EventSource,
    /// The acting principal's id; its kind is in `memberType`.
    #[serde(rename = "memberId")]
    pub member_id: Option<i64>,
    #[serde(rename = "memberType")]
    pub member_type: Option<String>,
    /// The request path that caused the change.
    pub url: Option<String>,
    pub action: EventAction,
    /// The hook event name, e.g. `TicketClientCreated`, when there is one.
    pub name: Option<String>,
    pub data: EventData,
    pub entity_id: i64,
    pub customer_id: Option<i64>,
    /// Outbox state: `pending` until every consumer has taken it, then `done` (or `failed`).
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// An event about to be written, before the store gives it an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub source: EventSource,
    pub member_id: Option<i64>,
    pub member_type: Option<&'static str>,
    pub url: Option<String>,
    pub action: EventAction,
    /// The hook point this change fires, as [`HookPoint::as_str`](crate::hook::HookPoint::as_str) names it.
    pub name: Option<&'static str>,
    pub entity: EntityType,
    pub entity_id: i64,
    pub customer_id: Option<i64>,
    pub value: serde_json::Value,
    pub old: serde_json::Value,
}
