//! The records of the help desk besides tickets: brands, departments, customers, people, tokens.
use crate::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// A brand of the installation (company 1); owns departments and names its customer backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brand {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// The call script shown to an agent on a telephony screen pop.
    pub greeting: String,
    /// The backend that owns this brand's customers: `local` or `webcall`.
    pub customer_backend: String,
    /// How the `webcall` backend is reached (kept when the brand switches back to `local`).
    #[serde(default)]
    pub webcall: Option<crate::account::WebcallSettings>,
    /// Whether a new ticket opened by mail or in the portal is acknowledged by mail (SPEC §10).
    #[serde(default = "crate::entities::yes")]
    pub acknowledge_new_tickets: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub id: i64,
    pub brand_id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// Whether customers may open tickets in it from the portal.
    pub public: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// Custom attribute values by name, in their canonical JSON form.
pub type Attributes = std::collections::BTreeMap<String, serde_json::Value>;

/// An organisation or account that end users belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    /// Free text, as TeamTools keeps it (e.g. `Germany`).
    pub country: Option<String>,
    /// The customer's id in another system; lookups by it are indexed.
    pub external_id: Option<String>,
    pub tags: Vec<String>,
    /// Custom attribute values, by attribute name: top-level members on the wire (SPEC §3.4).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<Timestamp>,
}

/// A person of a customer; may log in to the portal once given a password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndUser {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    /// Custom attribute values, by attribute name: top-level members on the wire (SPEC §3.4).
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub attributes: Attributes,
    /// Whether a portal password is set (the hash itself never leaves the store).
    pub has_password: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<Timestamp>,
}

/// A staff account (admin or agent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Staff {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The departments the staff member belongs to: unassigned tickets there are told to them by mail
    /// (SPEC §10).
    #[serde(default)]
    pub department_ids: Vec<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// An API token as listed: never with its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub end_user_id: Option<i64>,
    /// The staff account that created it, if any.
    pub created_by: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// Something an end user did, as an integration reports it (TeamTools' `Event`): a name, how many times,
/// and free metadata. Not a change record (those are [`crate::Event`]s of the event log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    pub id: i64,
    pub end_user_id: i64,
    pub customer_id: i64,
    pub name: String,
    pub counter: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: serde_json::Value,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: Timestamp,
}

/// `true`, for serde defaults.
pub(crate) fn yes() -> bool {
    true
}
