//! The OAuth aggregate's SQL: OAuth clients and the access tokens issued to them (stored as hashes).
use crate::{Dialect, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err, id_page};
use domain::{OauthClient, Role, Timestamp};
use store::time::{from_micros, to_micros};
use store::{OauthGrant, OauthRead, OauthWrite, PageRequest, Result};

const CLIENT_COLS: &str = "id, name, role, client_id, created_by, created_at";

const CLIENT_ROW: RowMap<OauthClient> = |r| {
    let role = r.get::<&str>("role")?;
    Ok(OauthClient {
        id: r.get("id")?,
        name: r.get("name")?,
        role: Role::parse(role).map_err(|e| decode_err("role", e))?,
        client_id: r.get("client_id")?,
        created_by: r.get("created_by")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

#[async_trait::async_trait]
impl<C: Dialect> OauthRead for SqlConn<C> {
    async fn oauth_client(&mut self, id: i64) -> Result<Option<OauthClient>> {
        by_id(&mut self.conn, CLIENT_COLS, "oauth_clients", id, CLIENT_ROW).await
    }

    async fn oauth_client_by_credentials(&mut self, client_id: &str, secret_hash: &str) -> Result<Option<OauthClient>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM oauth_clients WHERE client_id = $1 AND secret_hash = $2");
        let params = [Value::from(client_id), Value::from(secret_hash)];
        self.conn.fetch_optional(sql.into(), &params, CLIENT_ROW).await
    }

    async fn oauth_client_salt(&mut self, id: i64) -> Result<Option<String>> {
        let sql = "SELECT salt FROM oauth_clients WHERE id = $1";
        self.conn
            .fetch_optional(sql.into(), &[Value::from(id)], |r| r.get("salt"))
            .await
    }

    async fn oauth_client_list(&mut self, page: &PageRequest) -> Result<Vec<OauthClient>> {
        id_page(&mut self.conn, CLIENT_COLS, "oauth_clients", "", None, page, CLIENT_ROW).await
    }

    async fn oauth_grant_by_token_hash(&mut self, token_hash: &str) -> Result<Option<OauthGrant>> {
        let sql = "SELECT c.id, c.name, c.role, c.client_id, c.created_by, c.created_at, t.expires_at \
                   FROM oauth_access_tokens t JOIN oauth_clients c ON c.id = t.client_id \
                   WHERE t.token_hash = $1";
        let map: RowMap<OauthGrant> = |r| {
            Ok(OauthGrant {
                client: CLIENT_ROW(r)?,
                expires_at: from_micros(r.get("expires_at")?),
            })
        };
        self.conn
            .fetch_optional(sql.into(), &[Value::from(token_hash)], map)
            .await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> OauthWrite for SqlConn<C> {
    async fn insert_oauth_client(&mut self, c: &OauthClient, secret_hash: &str, salt: &str) -> Result<OauthClient> {
        let sql = "INSERT INTO oauth_clients (name, role, client_id, secret_hash, salt, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let params = [
            Value::from(&c.name),
            Value::from(c.role.as_str()),
            Value::from(&c.client_id),
            Value::from(secret_hash),
            Value::from(salt),
            Value::from(c.created_by),
            Value::from(to_micros(c.created_at)),
        ];
        let id = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(OauthClient { id, ..c.clone() })
    }

    async fn delete_oauth_client(&mut self, id: i64) -> Result<()> {
        let tokens = "DELETE FROM oauth_access_tokens WHERE client_id = $1";
        self.conn.execute(tokens.into(), &[Value::from(id)]).await?;
        let client = "DELETE FROM oauth_clients WHERE id = $1";
        self.conn.execute(client.into(), &[Value::from(id)]).await.map(drop)
    }

    async fn insert_oauth_token(
        &mut self,
        client_id: i64,
        token_hash: &str,
        created_at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<i64> {
        let sql = "INSERT INTO oauth_access_tokens (client_id, token_hash, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4) RETURNING id";
        let params = [
            Value::from(client_id),
            Value::from(token_hash),
            Value::from(to_micros(created_at)),
            Value::from(to_micros(expires_at)),
        ];
        self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await
    }

    async fn delete_expired_oauth_tokens(&mut self, client_id: i64, now: Timestamp) -> Result<u64> {
        let sql = "DELETE FROM oauth_access_tokens WHERE client_id = $1 AND expires_at <= $2";
        self.conn
            .execute(sql.into(), &[Value::from(client_id), Value::from(to_micros(now))])
            .await
    }
}
