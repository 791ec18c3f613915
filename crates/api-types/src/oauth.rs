//! Wire types of OAuth 2.0 client credentials: client management (`/api/v1/oauth-clients`) and the token
//! endpoints (`POST /oauth/token`, `POST /teamtools/access_token`).
use domain::Role;
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `POST /api/v1/oauth-clients`: `role` defaults to `agent` (`admin` or `agent`); `salt` (TeamTools signs
/// activity events with it) is random when not given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOauthClient {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// The answer to client creation: the only time `client_secret` and `salt` are shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedOauthClient {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub client_id: String,
    pub client_secret: String,
    pub salt: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: domain::Timestamp,
}

/// A token request (RFC 6749 §4.4.2) as a form or a JSON object. The client's members may instead come
/// as HTTP Basic credentials (`client_id:client_secret`, RFC 6749 §2.3.1). Members are sent in the order
/// the TeamTools SDK sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OauthTokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
}

impl OauthTokenRequest {
    /// A complete client-credentials request.
    pub fn client_credentials(client_id: &str, client_secret: &str) -> Self {
        Self {
            client_id: Some(client_id.to_owned()),
            client_secret: Some(client_secret.to_owned()),
            grant_type: Some(domain::oauth::CLIENT_CREDENTIALS.to_owned()),
        }
    }
}

/// A bearer token issued to an OAuth client (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccessToken {
    /// Sent as `Authorization: Bearer <access_token>` (or, on the TeamTools API, as `access_token`).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token stops working.
    pub expires_in: u64,
}

/// A refused token request (RFC 6749 §5.2): `error` is `invalid_request`, `invalid_client` or
/// `unsupported_grant_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OauthError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}
