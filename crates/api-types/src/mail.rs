//! Mailboxes' request bodies (SPEC §10, `/api/v1/mailboxes`).
use crate::nullable;
use serde::{Deserialize, Serialize};

pub use domain::mailbox::{MailAttempt, MailDelivery, MailKind, Mailbox};

body! {
    /// `POST /api/v1/mailboxes`. `smtp_url` none: the installation's `FERRODESK_SMTP_URL` sends its mail;
    /// `imap_url` none: its mail arrives through `ferrodesk mail-in` only.
    pub struct NewMailbox {
        pub brand_id: i64,
        pub address: String,
        pub department_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub imap_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub smtp_url: Option<String>,
        /// Default `true`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
    }
}

body! {
    /// `PATCH /api/v1/mailboxes/{id}`: a URL sent back with its password masked keeps the stored password;
    /// `null` clears a URL.
    pub struct MailboxPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub brand_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub address: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub department_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub imap_url: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "nullable")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        pub smtp_url: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
    }
}

/// `POST /api/v1/mailboxes/{id}/test`: what connecting to each server gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxTest {
    /// Both servers that are set answered and took the login.
    pub ok: bool,
    pub imap: ServerCheck,
    pub smtp: ServerCheck,
}

/// One server's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerCheck {
    /// `ok`, `failed`, or `not_configured`.
    pub status: String,
    /// The URL checked, its password masked.
    pub url: Option<String>,
    /// What failed.
    pub error: Option<String>,
}

impl ServerCheck {
    pub fn ok(url: String) -> Self {
        Self {
            status: "ok".into(),
            url: Some(url),
            error: None,
        }
    }

    pub fn failed(url: String, error: String) -> Self {
        Self {
            status: "failed".into(),
            url: Some(url),
            error: Some(error),
        }
    }

    pub fn not_configured() -> Self {
        Self {
            status: "not_configured".into(),
            url: None,
            error: None,
        }
    }
}
