//! OAuth 2.0 client credentials (RFC 6749 §4.4): admins create clients, whose secret is shown once and
//! stored as SHA-256; a client trades its id and secret for a bearer access token (stored as SHA-256 too)
//! that acts with the client's role until it expires or the client is deleted.
//!
//! Issuing a token is a login, not a change of a record: it writes no event (creating and deleting clients
//! do). A client's expired tokens are deleted whenever it is issued a new one, so they do not pile up.
use crate::auth::{MAX_TOKEN_BYTES, token_hash};
use crate::paging::{by_id, page_request, paged};
use crate::{
    App, AppError, AppResult, Change, Fields, Paged, RequestMeta, Subject, commit_with_event, json, require_admin,
};
use api_types::{AccessToken, CreatedOauthClient, ListQuery, NewOauthClient};
use base64::Engine;
use domain::event::{EntityType, EventAction};
use domain::oauth::{TokenRefusal, TokenRequest};
use domain::{IntegrationKind, OauthClient, Principal, Role};
use rand::RngExt;
use std::time::Duration;
use store::StoreError;
use store::time::now;

/// Prefix of every client secret, so a leaked one is easy to recognise and scan for.
pub const CLIENT_SECRET_PREFIX: &str = "fdcs_";

/// Prefix of every access token: the API looks such a bearer secret up among access tokens first.
pub const ACCESS_TOKEN_PREFIX: &str = "fdat_";

/// How long an access token works unless configured otherwise: 30 days (TeamTools' SDK never refreshes).
pub const DEFAULT_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The longest lifetime an access token may be given: ten years, far inside what a timestamp can hold.
pub const MAX_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Longest client name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// Longest salt, in characters.
const MAX_SALT_CHARS: usize = 255;

/// Longest `client_id` a token request may present: ours are 24 characters, so a huge one is never looked up.
const MAX_CLIENT_ID_BYTES: usize = 255;

/// Why a token request got no token.
#[derive(Debug)]
pub enum TokenError {
    /// The request broke the protocol or presented wrong credentials (RFC 6749 §5.2).
    Refused(TokenRefusal),
    /// Something else went wrong (the database is unavailable, …).
    Failed(AppError),
}

impl From<AppError> for TokenError {
    fn from(e: AppError) -> Self {
        TokenError::Failed(e)
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        TokenError::Failed(e.into())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// A fresh secret: `prefix` and 32 random bytes (256 bits), base64url.
fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A fresh public client id: 12 random bytes as 24 lower-case hex digits (the shape of TeamTools' ids).
pub fn new_client_id() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    hex(&bytes)
}

/// A fresh salt: 16 random bytes as 32 lower-case hex digits.
fn new_salt() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex(&bytes)
}

/// The rules of a new client's fields; every bad field named in one answer.
fn check_new_client(input: &NewOauthClient) -> AppResult<(String, Role)> {
    let mut fields = Fields::default();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        fields.add("name", format!("must be 1 to {MAX_NAME_CHARS} characters"));
    }
    let role = input.role.unwrap_or(Role::Agent);
    if !role.is_staff() {
        fields.add("role", "must be admin or agent");
    }
    if let Some(salt) = &input.salt
        && (salt.is_empty() || salt.chars().count() > MAX_SALT_CHARS)
    {
        fields.add("salt", format!("must be 1 to {MAX_SALT_CHARS} characters"));
    }
    fields.finish()?;
    Ok((name, role))
}

impl App {
    /// Creates a client; the answer holds its secret, which is never shown again.
    pub async fn create_oauth_client(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        input: NewOauthClient,
    ) -> AppResult<CreatedOauthClient> {
        require_admin(p)?;
        let (name, role) = check_new_client(&input)?;
        let salt = input.salt.unwrap_or_else(new_salt);
        let secret = new_secret(CLIENT_SECRET_PREFIX);
        let created_by = match p {
            Principal::Staff { id, .. } => Some(*id),
            _ => None,
        };
        let mut tx = self.store().write().await?;
        let client = tx
            .insert_oauth_client(
                &OauthClient {
                    id: 0,
                    name,
                    role,
                    client_id: new_client_id(),
                    created_by,
                    created_at: now(),
                },
                &token_hash(&secret),
                &salt,
            )
            .await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Created,
                Subject(EntityType::OauthClient, client.id, None),
                None,
                json(&client),
                serde_json::Value::Null,
            ),
        )
        .await?;
        Ok(CreatedOauthClient {
            id: client.id,
            name: client.name,
            role: client.role,
            client_id: client.client_id,
            client_secret: secret,
            salt,
            created_at: client.created_at,
        })
    }

    pub async fn list_oauth_clients(&self, p: &Principal, q: &ListQuery) -> AppResult<Paged<OauthClient>> {
        require_admin(p)?;
        let page = page_request(q.limit, q.cursor.as_deref())?;
        let rows = self.store().read().await?.oauth_client_list(&page).await?;
        Ok(paged(rows, &page, |c| by_id(c.id)))
    }

    pub async fn oauth_client(&self, p: &Principal, id: i64) -> AppResult<OauthClient> {
        require_admin(p)?;
        self.store()
            .read()
            .await?
            .oauth_client(id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Deletes a client; its access tokens stop working at once.
    pub async fn delete_oauth_client(&self, p: &Principal, meta: &RequestMeta, id: i64) -> AppResult<()> {
        require_admin(p)?;
        let mut tx = self.store().write().await?;
        let old = tx.oauth_client(id).await?.ok_or(AppError::NotFound)?;
        tx.delete_oauth_client(id).await?;
        let change = Change { principal: p, meta };
        commit_with_event(
            tx,
            change.event(
                EventAction::Deleted,
                Subject(EntityType::OauthClient, id, None),
                None,
                serde_json::Value::Null,
                json(&old),
            ),
        )
        .await
    }

    /// The client-credentials grant: checks the request and the client's credentials, then issues an access
    /// token valid for the configured lifetime. Wrong credentials are refused before anything is written
    /// (the check runs on a read connection, so failed attempts never queue for the writer).
    pub async fn issue_access_token(&self, request: TokenRequest) -> Result<AccessToken, TokenError> {
        let creds = request.credentials().map_err(TokenError::Refused)?;
        if creds.client_id.len() > MAX_CLIENT_ID_BYTES || creds.client_secret.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Refused(TokenRefusal::InvalidClient));
        }
        let secret_hash = token_hash(&creds.client_secret);
        let client = self
            .store()
            .read()
            .await?
            .oauth_client_by_credentials(&creds.client_id, &secret_hash)
            .await?
            .ok_or(TokenError::Refused(TokenRefusal::InvalidClient))?;
        let ttl = self.oauth_token_ttl();
        let issued_at = now();
        let expires_at = issued_at
            .checked_add(ttl)
            .map_err(|e| AppError::Internal(format!("token expiry out of range: {e}")))?;
        let token = new_secret(ACCESS_TOKEN_PREFIX);
        let mut tx = self.store().write().await?;
        tx.delete_expired_oauth_tokens(client.id, issued_at).await?;
        match tx
            .insert_oauth_token(client.id, &token_hash(&token), issued_at, expires_at)
            .await
        {
            // The client was deleted since its credentials were checked.
            Err(StoreError::Reference(_)) => return Err(TokenError::Refused(TokenRefusal::InvalidClient)),
            other => other?,
        };
        tx.commit().await?;
        Ok(AccessToken {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: ttl.as_secs(),
        })
    }

    /// The principal of an access token (by its hash), `Ok(None)` when no such token exists, and
    /// unauthenticated when it has expired.
    pub(crate) async fn oauth_principal(
        &self,
        db: &mut dyn store::Reader,
        secret_hash: &str,
    ) -> AppResult<Option<Principal>> {
        let Some(grant) = db.oauth_grant_by_token_hash(secret_hash).await? else {
            return Ok(None);
        };
        if grant.expires_at <= now() {
            return Err(AppError::Unauthenticated);
        }
        Ok(Some(Principal::Integration {
            token_id: grant.client.id,
            role: grant.client.role,
            name: grant.client.name,
            kind: IntegrationKind::OauthClient,
        }))
    }

    /// The salt of the OAuth client a principal acts as (TeamTools checks activity-event keys with it);
    /// `None` for any other principal.
    pub async fn oauth_client_salt(&self, p: &Principal) -> AppResult<Option<String>> {
        match p {
            Principal::Integration {
                token_id,
                kind: IntegrationKind::OauthClient,
                ..
            } => Ok(self.store().read().await?.oauth_client_salt(*token_id).await?),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_their_shapes() {
        let secret = new_secret(CLIENT_SECRET_PREFIX);
        assert!(secret.starts_with(CLIENT_SECRET_PREFIX));
        assert_eq!(secret.len(), CLIENT_SECRET_PREFIX.len() + 43, "256 bits, base64url");
        assert_ne!(secret, new_secret(CLIENT_SECRET_PREFIX));
        let id = new_client_id();
        assert_eq!(id.len(), 24);
        assert!(
            id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{id}"
        );
        assert_eq!(new_salt().len(), 32);
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }

    #[test]
    fn new_client_rules() {
        let ok = NewOauthClient {
            name: "  Billing sync ".into(),
            ..Default::default()
        };
        assert_eq!(
            check_new_client(&ok).expect("valid"),
            ("Billing sync".into(), Role::Agent)
        );
        let admin = NewOauthClient {
            name: "x".into(),
            role: Some(Role::Admin),
            salt: Some("s".into()),
        };
        assert_eq!(check_new_client(&admin).expect("valid").1, Role::Admin);
        let bad = NewOauthClient {
            name: " ".into(),
            role: Some(Role::EndUser),
            salt: Some(String::new()),
        };
        let Err(AppError::Validation(errors)) = check_new_client(&bad) else {
            panic!("refused");
        };
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["name", "role", "salt"]);
        let long = NewOauthClient {
            name: "n".repeat(201),
            salt: Some("s".repeat(256)),
            ..Default::default()
        };
        assert!(matches!(check_new_client(&long), Err(AppError::Validation(e)) if e.len() == 2));
    }
}
