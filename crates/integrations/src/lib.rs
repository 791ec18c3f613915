//! ferrodesk's connections to other systems: delivering webhooks (SPEC §4) — the Standard
//! Webhooks signature, and an HTTP client that refuses private, loopback and link-local targets at
//! connection time (the address a name resolves to, literal addresses and redirects alike); and SpiceCSM's
//! web calls to external customer databases (SPEC §6, [`webcall`]) over a client with the same rules.

mod address;
mod http;
pub mod mail;
mod signature;
pub mod webcall;
mod webhook;

pub use address::{is_public, refused_reason};
pub use signature::{SecretError, secret_key, sign};
pub use webhook::{Attempt, Outgoing, WebhookClient, WebhookClientConfig};
