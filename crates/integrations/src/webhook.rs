//! Sending one webhook message: a signed POST over a client whose every connection — to the name's
//! resolved addresses, to a literal address, after a redirect — is checked against the address rules.
use crate::http::{describe, guarded_client_builder, refused_url};
use crate::signature::sign;
use reqwest::Url;
use std::time::{Duration, Instant};

/// How much of an answer is read (and kept): the rest of a huge body is never downloaded.
const SNIPPET_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy)]
pub struct WebhookClientConfig {
    /// Whether private, loopback and link-local targets may be reached (`--webhooks-allow-private`).
    pub allow_private: bool,
    /// The whole attempt: connecting, sending, and reading the start of the answer.
    pub timeout: Duration,
}

impl Default for WebhookClientConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A message for one endpoint.
#[derive(Clone)]
pub struct Outgoing {
    pub url: String,
    /// `webhook-id`: the same on every attempt of the message.
    pub id: String,
    pub body: Vec<u8>,
    /// The signing key ([`crate::secret_key`] of the endpoint's secret).
    pub key: Vec<u8>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("url", &self.url)
            .field("id", &self.id)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// A 2xx answer came.
    pub delivered: bool,
    pub status: Option<u16>,
    /// Why it was not delivered.
    pub error: Option<String>,
    pub latency: Duration,
    /// The start of the answer's body.
    pub response: Option<String>,
}

pub struct WebhookClient {
    client: reqwest::Client,
    config: WebhookClientConfig,
}

impl WebhookClient {
    pub fn new(config: WebhookClientConfig) -> Result<Self, String> {
        let client = guarded_client_builder(config.allow_private)
            .user_agent(concat!("ferrodesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, config })
    }

    /// POSTs `message` signed for `timestamp` (Unix seconds) and reads at most the start of the answer.
    pub async fn send(&self, message: &Outgoing, timestamp: i64) -> Attempt {
        let started = Instant::now();
        let failed = |error: String, status: Option<u16>, response: Option<String>| Attempt {
            delivered: false,
            status,
            error: Some(error),
            latency: started.elapsed(),
            response,
        };
        let url = match Url::parse(&message.url) {
            Ok(url) => url,
            Err(e) => return failed(format!("not a URL: {e}"), None, None),
        };
        if let Some(reason) = refused_url(&url, self.config.allow_private) {
            return failed(reason, None, None);
        }
        let signature = sign(&message.key, &message.id, timestamp, &message.body);
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &message.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(message.body.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return failed(describe(&e), None, None),
        };
        let status = response.status();
        let mut snippet: Vec<u8> = Vec::new();
        let mut read_error = None;
        while snippet.len() < SNIPPET_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => snippet.extend_from_slice(&chunk[..chunk.len().min(SNIPPET_BYTES - snippet.len())]),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(describe(&e));
                    break;
                }
            }
        }
        // Dropping the answer here closes the connection of a body not read to its end.
        drop(response);
        let text = (!snippet.is_empty()).then(|| String::from_utf8_lossy(&snippet).into_owned());
        if !status.is_success() {
            return failed(format!("HTTP {}", status.as_u16()), Some(status.as_u16()), text);
        }
        Attempt {
            delivered: true,
            status: Some(status.as_u16()),
            error: read_error,
            latency: started.elapsed(),
            response: text,
        }
    }
}
