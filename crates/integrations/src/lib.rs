//! ferrodesk's connections to other systems. For now: delivering webhooks (SPEC §4) — the Standard
//! Webhooks signature, and an HTTP client that refuses private, loopback and link-local targets at
//! connection time (the address a name resolves to, literal addresses and redirects alike).

mod address;
mod signature;
mod webhook;

pub use address::{is_public, refused_reason};
pub use signature::{SecretError, secret_key, sign};
pub use webhook::{Attempt, Outgoing, WebhookClient, WebhookClientConfig};
