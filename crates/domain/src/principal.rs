//! Who is acting: every request resolves to one principal or none.
use crate::names::one_of;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// A role of a staff account or an API token.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    strum::VariantNames,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Admin,
    /// The least-privileged staff role, hence the default.
    #[default]
    Agent,
    EndUser,
}

impl Role {
    pub const ALL: &'static [Role] = <Self as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        static INVALID: LazyLock<String> = LazyLock::new(one_of::<Role>);
        s.parse().map_err(|_| INVALID.as_str())
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Agent)
    }
}

/// The credential an integration principal presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationKind {
    /// An API token (`/api/v1/tokens`); the principal's `token_id` is the token's id.
    ApiToken,
    /// An access token issued to an OAuth client; the principal's `token_id` is the client's id.
    OauthClient,
}

impl IntegrationKind {
    /// The name of the kind in `/api/v1/me` (`kind`) and in the event log (`memberType`).
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationKind::ApiToken => "token",
            IntegrationKind::OauthClient => "oauth_client",
        }
    }
}

/// The acting party of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person with a staff account (web session, or JSON-RPC session).
    Staff { id: i64, role: Role, name: String },
    /// An API token or OAuth client with a staff role, not tied to a person. `token_id` is the id of the
    /// API token or of the OAuth client, as `kind` says.
    Integration {
        token_id: i64,
        role: Role,
        name: String,
        kind: IntegrationKind,
    },
    /// A person of a customer: sees only that customer's data.
    EndUser { id: i64, customer_id: i64, name: String },
    /// Background work: scheduled jobs, migrations, bootstrap.
    System,
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::Staff { role, .. } | Principal::Integration { role, .. } => *role,
            Principal::EndUser { .. } => Role::EndUser,
            Principal::System => Role::Admin,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// The customer an end user belongs to; `None` for staff-side principals, who see every customer.
    pub fn customer_scope(&self) -> Option<i64> {
        match self {
            Principal::EndUser { customer_id, .. } => Some(*customer_id),
            _ => None,
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            Principal::Staff { name, .. } | Principal::Integration { name, .. } | Principal::EndUser { name, .. } => {
                name
            }
            Principal::System => "System",
        }
    }

    /// The id recorded as the event log's `memberId`, with its kind in `memberType`.
    pub fn member(&self) -> (Option<i64>, Option<&'static str>) {
        match self {
            Principal::Staff { id, .. } => (Some(*id), Some("staff")),
            Principal::Integration { token_id, kind, .. } => (Some(*token_id), Some(kind.as_str())),
            Principal::EndUser { id, .. } => (Some(*id), Some("end_user")),
            Principal::System => (None, None),
        }
    }
}
