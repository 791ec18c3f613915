//! OAuth 2.0 client credentials: managing clients (admins) and asking the token endpoints for access
//! tokens. Token endpoints answer refusals in their own shapes (RFC 6749 §5.2 on `/oauth/token`,
//! TeamTools' `{"error": {…}}` on `/teamtools/access_token`), which come back as [`Error::Token`].
use crate::{Client, Error, Result};
use api_types::*;
use base64::Engine;
use reqwest::Method;

/// How a token request carries the client's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRequestStyle {
    /// `application/x-www-form-urlencoded` body with every member.
    Form,
    /// A JSON object with every member.
    Json,
    /// HTTP Basic `client_id:client_secret` (each form-urlencoded, RFC 6749 §2.3.1), `grant_type` in a form.
    Basic,
}

fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl Client {
    pub async fn create_oauth_client(&self, body: &NewOauthClient) -> Result<CreatedOauthClient> {
        self.post("/api/v1/oauth-clients", body).await
    }

    pub async fn oauth_clients(&self, q: &ListQuery) -> Result<Page<OauthClient>> {
        self.get_query("/api/v1/oauth-clients", q).await
    }

    pub async fn oauth_client(&self, id: i64) -> Result<OauthClient> {
        self.get(&format!("/api/v1/oauth-clients/{id}")).await
    }

    pub async fn delete_oauth_client(&self, id: i64) -> Result<()> {
        self.delete(&format!("/api/v1/oauth-clients/{id}")).await
    }

    /// `POST /oauth/token` with `request` sent in `style` (members left out of `request` are not sent).
    /// This client's own bearer token, if any, is not sent.
    pub async fn oauth_token(&self, request: &OauthTokenRequest, style: TokenRequestStyle) -> Result<AccessToken> {
        let url = format!("{}/oauth/token", self.base);
        let rb = self.http.request(Method::POST, url);
        let rb = match style {
            TokenRequestStyle::Json => rb.json(request),
            TokenRequestStyle::Form => rb
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(request).map_err(|e| Error::BadUrl(e.to_string()))?),
            TokenRequestStyle::Basic => {
                let user = form_encode(request.client_id.as_deref().unwrap_or(""));
                let password = form_encode(request.client_secret.as_deref().unwrap_or(""));
                let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                let rest = OauthTokenRequest {
                    grant_type: request.grant_type.clone(),
                    ..OauthTokenRequest::default()
                };
                rb.header("authorization", format!("Basic {credentials}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(serde_urlencoded::to_string(&rest).map_err(|e| Error::BadUrl(e.to_string()))?)
            }
        };
        Self::token_answer(rb).await
    }

    /// `POST <path>` with `body` as given under `content_type`, read as a token endpoint's answer: for
    /// sending exactly what another client sends (the TeamTools SDK's JSON, malformed requests).
    pub async fn token_request_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Result<AccessToken> {
        let rb = self
            .http
            .request(Method::POST, format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        Self::token_answer(rb).await
    }

    /// `POST /teamtools/access_token` with the JSON body the TeamTools PHP SDK sends.
    pub async fn teamtools_access_token(&self, client_id: &str, client_secret: &str) -> Result<AccessToken> {
        let body = serde_json::to_vec(&OauthTokenRequest::client_credentials(client_id, client_secret))
            .map_err(|e| Error::BadUrl(e.to_string()))?;
        self.token_request_raw("/teamtools/access_token", "application/json", body)
            .await
    }

    async fn token_answer(rb: reqwest::RequestBuilder) -> Result<AccessToken> {
        let response = rb.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| Error::Unexpected {
                status: status.as_u16(),
                body: format!("{e}: {}", String::from_utf8_lossy(&bytes)),
            });
        }
        if let Ok(problem) = serde_json::from_slice::<Problem>(&bytes) {
            return Err(Error::Api(problem));
        }
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(body) => Err(Error::Token {
                status: status.as_u16(),
                body,
            }),
            Err(_) => Err(Error::Unexpected {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        }
    }
}
