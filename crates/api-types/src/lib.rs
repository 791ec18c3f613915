//! The native API's wire types, shared by the server, the client SDK and the CLI.
//!
//! Entities are the domain's own types (their serde shape *is* the wire shape); this crate adds the request
//! bodies, list envelopes and the problem+json error.

/// A request body: its derives, and unknown members refused (a typo is an error, not ignored).
macro_rules! body {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(deny_unknown_fields)]
        pub struct $name { $($body)* }
    };
}

mod accounts;
mod automation;
mod billing;
pub mod jsonrpc;
mod mail;
mod oauth;
mod problem;
mod requests;

pub use accounts::*;
pub use automation::*;
pub use billing::*;
pub use domain::OauthClient;
pub use domain::event::{EntityType, Event, EventAction, EventData, EventSource};
pub use domain::{
    ApiToken, Attribute, AttributeEntity, AttributeType, Brand, Customer, Department, EndUser, FieldError, Priority,
    Reply, Role, Staff, Ticket, TicketStatus,
};
pub use mail::*;
pub use oauth::*;
pub use problem::{ErrorCode, Problem};
pub use requests::*;

use serde::{Deserialize, Serialize};

/// A page of a list: `next_cursor` is `null` on the last page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Deserializes a field that distinguishes "absent" (`None`) from "null" (`Some(None)`), for PATCH bodies.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
