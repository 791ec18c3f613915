//! OAuth 2.0 clients (client credentials grant, RFC 6749 §4.4): the record, and the pure rules of a token
//! request — which members it needs and what each refusal is called on the wire (RFC 6749 §5.2).
use crate::{Role, Timestamp};
use serde::{Deserialize, Serialize};

/// The only grant ferrodesk issues tokens for.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// An OAuth client as listed: never with its secret (stored only as a hash) or its salt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OauthClient {
    pub id: i64,
    pub name: String,
    /// `admin` or `agent`: what its access tokens may do.
    pub role: Role,
    /// The public identifier the client logs in with.
    pub client_id: String,
    /// The staff account that created it, if any.
    pub created_by: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// The members of a token request, wherever they came from (form, JSON, HTTP Basic); `None` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// Why a token request is refused, named as RFC 6749 §5.2 names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRefusal {
    /// A member is missing, repeated or malformed (400); the text says which.
    InvalidRequest(String),
    /// Unknown client or wrong secret (401).
    InvalidClient,
    /// A grant other than `client_credentials` (400).
    UnsupportedGrantType,
}

impl TokenRefusal {
    /// The RFC 6749 `error` word.
    pub fn error(&self) -> &'static str {
        match self {
            TokenRefusal::InvalidRequest(_) => "invalid_request",
            TokenRefusal::InvalidClient => "invalid_client",
            TokenRefusal::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            TokenRefusal::InvalidClient => 401,
            TokenRefusal::InvalidRequest(_) | TokenRefusal::UnsupportedGrantType => 400,
        }
    }

    /// Words for a person reading the answer.
    pub fn description(&self) -> String {
        match self {
            TokenRefusal::InvalidRequest(why) => why.clone(),
            TokenRefusal::InvalidClient => "unknown client or wrong client secret".into(),
            TokenRefusal::UnsupportedGrantType => format!("grant_type must be {CLIENT_CREDENTIALS}"),
        }
    }
}

/// Credentials a token request presents: the client's public id and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

impl TokenRequest {
    /// The credentials of a well-formed client-credentials request. The grant type is checked first (a
    /// missing one is `invalid_request`, another one `unsupported_grant_type`), then the client's members;
    /// an empty member counts as missing.
    pub fn credentials(self) -> Result<ClientCredentials, TokenRefusal> {
        let present = |v: Option<String>| v.filter(|s| !s.is_empty());
        match present(self.grant_type).as_deref() {
            None => return Err(TokenRefusal::InvalidRequest("grant_type is required".into())),
            Some(CLIENT_CREDENTIALS) => {}
            Some(_) => return Err(TokenRefusal::UnsupportedGrantType),
        }
        let client_id = present(self.client_id);
        let client_secret = present(self.client_secret);
        match (client_id, client_secret) {
            (Some(client_id), Some(client_secret)) => Ok(ClientCredentials {
                client_id,
                client_secret,
            }),
            (None, _) => Err(TokenRefusal::InvalidRequest("client_id is required".into())),
            (_, None) => Err(TokenRefusal::InvalidRequest("client_secret is required".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(grant: Option<&str>, id: Option<&str>, secret: Option<&str>) -> TokenRequest {
        TokenRequest {
            grant_type: grant.map(str::to_owned),
            client_id: id.map(str::to_owned),
            client_secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn a_complete_request_gives_its_credentials() {
        let creds = request(Some("client_credentials"), Some("abc"), Some("s3cret"))
            .credentials()
            .expect("complete");
        assert_eq!(
            (creds.client_id.as_str(), creds.client_secret.as_str()),
            ("abc", "s3cret")
        );
        assert!(!format!("{creds:?}").contains("s3cret"), "Debug hides the secret");
    }

    #[test]
    fn refusals_are_named_as_rfc_6749_names_them() {
        let cases = [
            (request(None, Some("a"), Some("b")), "invalid_request", 400),
            (request(Some(""), Some("a"), Some("b")), "invalid_request", 400),
            (
                request(Some("password"), Some("a"), Some("b")),
                "unsupported_grant_type",
                400,
            ),
            (
                request(Some("Client_Credentials"), Some("a"), Some("b")),
                "unsupported_grant_type",
                400,
            ),
            (
                request(Some("client_credentials"), None, Some("b")),
                "invalid_request",
                400,
            ),
            (
                request(Some("client_credentials"), Some("a"), None),
                "invalid_request",
                400,
            ),
            (
                request(Some("client_credentials"), Some("a"), Some("")),
                "invalid_request",
                400,
            ),
        ];
        for (req, error, status) in cases {
            let refusal = req.clone().credentials().expect_err("refused");
            assert_eq!((refusal.error(), refusal.status()), (error, status), "{req:?}");
        }
        // The grant type is judged before the members: a wrong grant without a client is still unsupported.
        assert_eq!(
            request(Some("password"), None, None).credentials(),
            Err(TokenRefusal::UnsupportedGrantType)
        );
        assert_eq!(
            request(Some("client_credentials"), None, None).credentials(),
            Err(TokenRefusal::InvalidRequest("client_id is required".into()))
        );
        assert_eq!(TokenRefusal::InvalidClient.status(), 401);
        assert_eq!(TokenRefusal::InvalidClient.error(), "invalid_client");
    }
}
