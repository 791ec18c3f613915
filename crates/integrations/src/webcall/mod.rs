//! SpiceCSM's web calls (SPEC §6): an external customer database reached by form-encoded HTTP POSTs
//! that always carry `intUser` and `intPass`, answering in the protocol's XML documents.
//!
//! - search: the non-empty criteria under the protocol's own names → `<users>`;
//! - load: `Userkey` → `<userdata>`;
//! - update: `userXML` (the load structure);
//! - case update: `Userkey` and `caseXML` (`<tickets><ticket …/></tickets>`).
//!
//! The parsers and writers of the documents are pure functions ([`parse_users`], [`parse_userdata`],
//! [`parse_tickets`], [`user_xml`], [`case_xml`]); [`WebcallClient`] makes the calls. Limits: an answer
//! is read in chunks up to [`MAX_ANSWER_BYTES`], each call within the brand's timeout, over a client that
//! keeps the webhook address rules (no private targets unless allowed).
mod client;
mod encoding;
mod error;
mod quotes;
mod xml;

pub use client::{CONNECTION_TEST_USERKEY, WebcallClient};
pub use encoding::{url_decode, url_encode};
pub use error::{Operation, WebcallError};
pub use xml::{case_xml, parse_tickets, parse_userdata, parse_users, user_xml};

use domain::account::{DEFAULT_WEBCALL_TIMEOUT_MS, MASKED_SECRET, WebcallSettings};
use std::time::Duration;

/// The most of an answer that is read: 5 MiB. A larger answer is refused without reading further.
pub const MAX_ANSWER_BYTES: usize = 5 * 1024 * 1024;

/// How long a call may take when the brand sets nothing else.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(DEFAULT_WEBCALL_TIMEOUT_MS);

/// A brand's web-call settings. An empty URL means that call is not configured.
#[derive(Clone, PartialEq, Eq)]
pub struct WebcallConfig {
    pub search_url: String,
    pub load_url: String,
    pub update_url: String,
    pub case_url: String,
    /// Sent as `intUser` with every call.
    pub int_user: String,
    /// Sent as `intPass` with every call; never shown (`Debug` masks it).
    pub int_pass: String,
    /// The whole call: connecting, sending, and reading the answer to its end.
    pub timeout: Duration,
}

impl Default for WebcallConfig {
    fn default() -> Self {
        Self {
            search_url: String::new(),
            load_url: String::new(),
            update_url: String::new(),
            case_url: String::new(),
            int_user: String::new(),
            int_pass: String::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A brand's stored settings as the client takes them.
impl From<&WebcallSettings> for WebcallConfig {
    fn from(settings: &WebcallSettings) -> Self {
        Self {
            search_url: settings.search_url.clone(),
            load_url: settings.load_url.clone(),
            update_url: settings.update_url.clone(),
            case_url: settings.case_url.clone(),
            int_user: settings.int_user.clone(),
            int_pass: settings.int_pass.clone(),
            timeout: Duration::from_millis(settings.timeout_ms),
        }
    }
}

impl WebcallConfig {
    /// The URL of a call, empty when not configured.
    pub fn url(&self, operation: Operation) -> &str {
        match operation {
            Operation::Search => &self.search_url,
            Operation::Load => &self.load_url,
            Operation::Update => &self.update_url,
            Operation::CaseUpdate => &self.case_url,
        }
        .trim()
    }

    pub fn is_configured(&self, operation: Operation) -> bool {
        !self.url(operation).is_empty()
    }
}

/// A URL for logs: a password in it (`https://user:secret@host/`) is masked.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password fails only for URLs that cannot have one, and this one has one.
            let _ = parsed.set_password(Some(MASKED_SECRET));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for WebcallConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = if self.int_pass.is_empty() { "" } else { MASKED_SECRET };
        f.debug_struct("WebcallConfig")
            .field("search_url", &shown_url(&self.search_url))
            .field("load_url", &shown_url(&self.load_url))
            .field("update_url", &shown_url(&self.update_url))
            .field("case_url", &shown_url(&self.case_url))
            .field("int_user", &self.int_user)
            .field("int_pass", &masked)
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_password_and_url_credentials() {
        let config = WebcallConfig {
            search_url: "https://crm:hunter2@crm.example/search".into(),
            int_user: "ferrodesk".into(),
            int_pass: "s3cret-pass".into(),
            ..WebcallConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-pass"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(&format!("int_pass: \"{MASKED_SECRET}\"")), "{shown}");
        assert!(shown.contains(&format!("crm:{MASKED_SECRET}@crm.example")), "{shown}");
        assert!(shown.contains("ferrodesk"), "{shown}");
    }

    #[test]
    fn a_blank_url_is_not_configured() {
        let config = WebcallConfig {
            load_url: "  ".into(),
            search_url: "https://crm.example/search".into(),
            ..WebcallConfig::default()
        };
        assert!(!config.is_configured(Operation::Load));
        assert!(config.is_configured(Operation::Search));
    }
}
