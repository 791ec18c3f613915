//! Request bodies and query strings of the native API.
//!
//! Bodies reject unknown members (`deny_unknown_fields`) so a misspelt field is an error, not a silent no-op.
//! PATCH bodies use `Option<Option<T>>` where a field may be cleared with `null`.
use crate::nullable;
use domain::{Priority, Role, TicketStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

body! {
    /// `POST /api/v1/tickets`. An end user's token fills `user_id` itself; staff give `user_id`, or
    /// `customer_id` + `email` (+ `name`) to find or create the requester.
    pub struct NewTicket {
        pub did: i64,
        pub title: String,
        pub message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>))]
        pub priority: Option<Priority>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub user_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub service: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        pub custom_fields: Option<Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub assigned: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub account_key: Option<String>,
        /// The telephony call the ticket is opened from (a `callid` the screen pop recorded for the brand).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub callid: Option<String>,
    }
}

body! {
    /// `PATCH /api/v1/tickets/{id}`: staff may change every field; an end user only `status: "solved"`.
    pub struct TicketPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<TicketStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>))]
        pub priority: Option<Priority>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub did: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "domain::int_bool::option_ser")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<u8>))]
        pub locked: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        pub assigned: Option<Option<i64>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
        pub service: Option<Option<i64>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
        pub custom_fields: Option<Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub account_key: Option<Option<String>>,
    }
}

body! {
    /// `POST /api/v1/tickets/{id}/replies`.
    pub struct NewReply {
        pub message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub internal: Option<bool>,
    }
}

body! {
    /// `PATCH /api/v1/tickets/{id}/replies/{rid}` (staff).
    pub struct ReplyPatch {
        pub message: String,
    }
}

/// Filters of `GET /api/v1/tickets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct TicketQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<i64>,
    /// Tickets of any department of this brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// A staff id, or `none` for unassigned tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<i64>,
    /// Full-text query over the title and every reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `id` (default, newest first), `lastreply`, `priority`, `ctime`; prefix `-` for descending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Page size: 1 to 500 (default 50); anything else is 422 `validation_failed` naming `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `?limit=&cursor=` of every other list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct ListQuery {
    /// Page size: 1 to 500 (default 50); anything else is 422 `validation_failed` naming `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Soft-deleted records (customers, end users): `only` lists just them, `include` lists them with the
    /// others; without it they are left out. End users of a deleted customer count as deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<DeletedQuery>,
    /// Filter end users by customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<i64>,
}

/// `?deleted=` of the customer and end-user lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeletedQuery {
    /// Only soft-deleted records.
    Only,
    /// Soft-deleted records as well as live ones.
    Include,
}

/// `GET /api/v1/events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct EventQuery {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<i64>,
    /// RFC 3339 instant: only events at or after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Page size: 1 to 500 (default 50); anything else is 422 `validation_failed` naming `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// `GET /api/v1/search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct SearchQuery {
    pub q: String,
    /// Comma list of `tickets`, `customers`, `end_users` (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<String>,
    /// Results to return: 1 to 100 (default 20); anything else is 422 `validation_failed` naming `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One ranked search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchHit {
    /// `ticket`, `customer` or `end_user`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub title: String,
    /// Matching text with the matched words wrapped in `<mark>…</mark>`; the rest is HTML-escaped.
    pub highlight: String,
    /// Higher is better; comparable within one answer only.
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SearchResults {
    pub data: Vec<SearchHit>,
}

body! {
    pub struct NewBrand {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slug: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub greeting: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_backend: Option<String>,
        /// How the `webcall` backend is reached (SPEC §9).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub webcall: Option<crate::WebcallInput>,
        /// Whether new tickets opened by mail or in the portal are acknowledged by mail (default `true`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub acknowledge_new_tickets: Option<bool>,
    }
}

body! {
    pub struct BrandPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slug: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub greeting: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_backend: Option<String>,
        /// How the `webcall` backend is reached (SPEC §9).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub webcall: Option<crate::WebcallInput>,
        /// Whether new tickets opened by mail or in the portal are acknowledged by mail (default `true`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub acknowledge_new_tickets: Option<bool>,
    }
}

body! {
    pub struct NewDepartment {
        pub brand_id: i64,
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slug: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub public: Option<bool>,
    }
}

body! {
    pub struct DepartmentPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub brand_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub slug: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub public: Option<bool>,
    }
}

macro_rules! person_body {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        ///
        /// Members that are not fields of the entity are its custom attribute values (SPEC §3.4), checked
        /// against the attribute definitions; unknown names are refused.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(ToSchema))]
        pub struct $name {
            $($body)*
            /// Custom attribute values by name (top-level members on the wire).
            #[serde(flatten)]
            #[cfg_attr(feature = "openapi", schema(ignore))]
            pub attributes: Map<String, Value>,
        }
    };
}

person_body! {
    /// `POST /api/v1/customers`.
    pub struct NewCustomer {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub city: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub country: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub external_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tags: Option<Vec<String>>,
    }
}

person_body! {
    /// `PATCH /api/v1/customers/{id}`: only the members given change; `null` clears a value.
    pub struct CustomerPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub email: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub phone: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub city: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub country: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub external_id: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tags: Option<Vec<String>>,
    }
}

person_body! {
    /// `POST /api/v1/end-users`. Without `name`, the name is `first_name last_name`.
    pub struct NewEndUser {
        pub customer_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub first_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub last_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub city: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub country: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub password: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tags: Option<Vec<String>>,
    }
}

person_body! {
    /// `PATCH /api/v1/end-users/{id}`: only the members given change; `null` clears a value.
    pub struct EndUserPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub first_name: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub last_name: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub email: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub phone: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub city: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub country: Option<Option<String>>,
        /// Sets (or with `null`, removes) the portal password.
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub password: Option<Option<String>>,
        /// The current portal password: required when an end user changes (or removes) their own
        /// password and has one; staff setting it for them leave it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub current_password: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tags: Option<Vec<String>>,
    }
}

body! {
    /// `PUT /api/v1/customers/{id}/end-users`: moves the listed end users (all when the list is empty or
    /// absent) of this customer to `new_customer_id`.
    pub struct MigrateEndUsers {
        pub new_customer_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end_user_ids: Option<Vec<i64>>,
    }
}

/// A boolean as clients send it: `true`/`false`, `1`/`0`, or those as strings (the TeamTools SDK's README
/// sends `"true"`).
pub fn loose_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    use serde::de::Error;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(D::Error::custom(format!("expected true or false, got {s:?}"))),
        },
        Some(other) => Err(D::Error::custom(format!("expected true or false, got {other}"))),
    }
}

/// `POST /api/v1/attributes/{entity}` and `PATCH …/{id}`: a custom attribute's definition. On a change,
/// `name` and `type` may be repeated but not changed; `id` and `default` (the built-in flag) are ignored,
/// as TeamTools' SDK sends them with every save.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `text`, `number`, `boolean`, `date`, `email` or `select`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "loose_bool", skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool", skip_serializing_if = "Option::is_none")]
    pub editable: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool", skip_serializing_if = "Option::is_none")]
    pub searchable: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool", skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool", skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_value: Option<Value>,
    /// The allowed values of a select attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Accepted for TeamTools' SDK, which may send it; not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub validation: Option<Value>,
}

/// `GET /api/v1/customers` and `GET /api/v1/end-users`: keyword, filters, order and page. The same
/// semantics as TeamTools' `keyword`, `filter`, `include`, `orderBy`/`orderDirection`, `limit`/`offset`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct PersonListQuery {
    /// Page size: 1 to 500 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the page before (with the default order or `sort=id`/`-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Rows to skip (0-based), instead of a cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Soft-deleted records: `only` lists just them, `include` lists them with the others; without it
    /// they are left out. End users of a deleted customer count as deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<DeletedQuery>,
    /// End users of one customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    /// Full-text match over the searchable fields and attributes; the last word also as a prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<String>,
    /// `field{op}value` conditions joined by `;` (ops: eq ne ct sw ew gt gte lt lte in). Repeat as
    /// `filter[]=` for more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Related entities to embed: comma list of paths, dots for nesting (`endusers`, `customer`, `events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Only those with this tag (exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// A field or attribute name to order by, `-` first for descending (default `-id`: newest first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

body! {
    pub struct NewStaff {
        pub email: String,
        pub name: String,
        pub role: Role,
        pub password: String,
        /// The departments the staff member belongs to (SPEC §10: who is told of unassigned tickets).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub department_ids: Option<Vec<i64>>,
    }
}

body! {
    pub struct StaffPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub role: Option<Role>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub password: Option<String>,
        /// Replaces the staff member's departments.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub department_ids: Option<Vec<i64>>,
    }
}

body! {
    /// `POST /api/v1/tokens`: `end_user_id` is required for role `end_user` and refused otherwise.
    pub struct NewToken {
        pub name: String,
        pub role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end_user_id: Option<i64>,
    }
}

/// The answer to token creation: the only time `token` (the secret) is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub end_user_id: Option<i64>,
    pub token: String,
}

/// `GET /api/v1/me`: who the credentials act as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    /// `staff`, `token`, `oauth_client` or `end_user`.
    pub kind: String,
    pub id: i64,
    pub role: Role,
    pub name: String,
    pub customer_id: Option<i64>,
}
