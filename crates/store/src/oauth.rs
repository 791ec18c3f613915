//! The OAuth aggregate's storage: OAuth clients (client credentials) and the access tokens issued to them.
//!
//! Secrets are never stored: a client's secret and every access token are kept as their SHA-256, and found
//! by that hash. An access token belongs to one client and ends with it.
use crate::{PageRequest, Result};
use async_trait::async_trait;
use domain::{OauthClient, Timestamp};

/// The client an access token was issued to, and when the token stops working.
#[derive(Debug, Clone, PartialEq)]
pub struct OauthGrant {
    pub client: OauthClient,
    pub expires_at: Timestamp,
}

/// Reading OAuth clients and access tokens.
#[async_trait]
pub trait OauthRead: Send {
    async fn oauth_client(&mut self, id: i64) -> Result<Option<OauthClient>>;
    /// The client with this public id and secret hash: `None` for an unknown client and for a wrong secret
    /// alike (the database compares the hashes; no secret is ever read back).
    async fn oauth_client_by_credentials(&mut self, client_id: &str, secret_hash: &str) -> Result<Option<OauthClient>>;
    /// A client's salt (TeamTools signs activity events with it), `None` when there is no such client.
    async fn oauth_client_salt(&mut self, id: i64) -> Result<Option<String>>;
    /// Clients, newest first.
    async fn oauth_client_list(&mut self, page: &PageRequest) -> Result<Vec<OauthClient>>;
    /// The grant behind an access token's hash, expired or not (the caller compares `expires_at`).
    async fn oauth_grant_by_token_hash(&mut self, token_hash: &str) -> Result<Option<OauthGrant>>;
}

/// Changing OAuth clients and access tokens, on a transaction.
#[async_trait]
pub trait OauthWrite: Send {
    /// Stores a client (its `id` is ignored) with its secret's hash and its salt; returns it as stored.
    async fn insert_oauth_client(&mut self, client: &OauthClient, secret_hash: &str, salt: &str)
    -> Result<OauthClient>;
    /// Deletes a client and every access token issued to it.
    async fn delete_oauth_client(&mut self, id: i64) -> Result<()>;
    /// Stores an access token's hash for a client, valid until `expires_at`; returns the token row's id.
    async fn insert_oauth_token(
        &mut self,
        client_id: i64,
        token_hash: &str,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<i64>;
    /// Deletes a client's access tokens that expired at or before `now`; how many there were.
    async fn delete_expired_oauth_tokens(&mut self, client_id: i64, now: Timestamp) -> Result<u64>;
}
