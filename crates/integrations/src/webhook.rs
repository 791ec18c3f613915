//! Sending one webhook message: a signed POST over a client whose every connection — to the name's
//! resolved addresses, to a literal address, after a redirect — is checked against the address rules.
use crate::address::refused_reason;
use crate::signature::sign;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Url, redirect};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much of an answer is read (and kept): the rest of a huge body is never downloaded.
const SNIPPET_BYTES: usize = 1024;

/// At most this many redirects are followed, each checked like the first target.
const MAX_REDIRECTS: usize = 5;

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

/// Resolves names and keeps only the addresses webhooks may reach.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| refused_reason(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let reason = resolved
                    .first()
                    .and_then(|a| refused_reason(a.ip()))
                    .unwrap_or("no address");
                return Err(format!("refused: {host} resolves to a {reason} address").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Why a URL may not be requested before any connection is tried: a scheme other than http(s), or a
/// literal address outside the public ranges.
fn refused_url(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("refused: {} is not http or https", url.scheme()));
    }
    if allow_private {
        return None;
    }
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(_) => return None,
    };
    refused_reason(ip).map(|reason| format!("refused: {ip} is a {reason} address"))
}

/// The errors of a failed request, outermost first, without repeating what the outer ones said.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    // The innermost cause says the most ("refused: …", "Connection refused").
    parts.pop().unwrap_or_else(|| error.to_string())
}

pub struct WebhookClient {
    client: reqwest::Client,
    config: WebhookClientConfig,
}

impl WebhookClient {
    pub fn new(config: WebhookClientConfig) -> Result<Self, String> {
        let allow_private = config.allow_private;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            match refused_url(attempt.url(), allow_private) {
                Some(reason) => attempt.error(format!("redirect {reason}")),
                None => attempt.follow(),
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("ferrodesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .no_proxy()
            .redirect(policy)
            .pool_max_idle_per_host(64);
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        let client = builder.build().map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str, allow_private: bool) -> Option<String> {
        refused_url(&Url::parse(url).expect("a URL"), allow_private)
    }

    /// The check every redirect target goes through (names are checked by the resolver instead).
    #[test]
    fn redirect_targets_to_private_literals_and_other_schemes_are_refused() {
        for target in [
            "http://127.0.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "file:///etc/passwd",
            "gopher://example.com/",
        ] {
            assert!(refused(target, false).is_some(), "{target} must be refused");
        }
        assert_eq!(refused("https://example.com/hook", false), None);
        assert_eq!(refused("http://93.184.216.34/hook", false), None);
        // Allowed private targets, but never another scheme.
        assert_eq!(refused("http://127.0.0.1/x", true), None);
        assert!(refused("file:///etc/passwd", true).is_some());
    }
}
