//! What every handler shares: the use cases, the edge's configuration and the metrics recorder.
use app::App;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Peers whose `X-Forwarded-For` is believed: single addresses are /32 (or /128) networks.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Request bodies larger than this are refused with 413.
    pub body_limit: usize,
    /// A request taking longer is answered 503 `service_unavailable` with `Retry-After`.
    pub request_timeout: Duration,
    /// How long a connection may take to send a request head, and may sit idle between requests.
    pub header_read_timeout: Duration,
    /// Open connections at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Longest path and query, in bytes (longer: 414).
    pub max_uri_length: usize,
    /// Largest header block, in bytes (larger: 431).
    pub max_header_bytes: usize,
    /// Largest file of a reply, in bytes (`FERRODESK_ATTACHMENT_MAX_BYTES`; larger: 413). A multipart reply
    /// may be as large as its files, beyond `body_limit`.
    pub attachment_max_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: vec![],
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_uri_length: 16 * 1024,
            max_header_bytes: 32 * 1024,
            attachment_max_bytes: 25 * 1024 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
}
