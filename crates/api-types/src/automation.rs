//! Request and answer bodies of hook scripts (`/api/v1/hooks`) and webhooks (`/api/v1/webhooks`).
use serde::{Deserialize, Serialize};

pub use domain::automation::{
    Delivery, DeliveryAttempt, DeliveryStatus, HookScript, HookScriptVersion, Webhook, WebhookFormat,
};
pub use domain::case_update::{CaseUpdateAttempt, CaseUpdateDelivery};
pub use domain::hook_params::HookRun;

body! {
    /// `POST /api/v1/hooks`: `source` is the Rhai text; it must compile (422 naming `source` with the line).
    pub struct NewHook {
        pub name: String,
        pub source: String,
        /// Default `true`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enabled: Option<bool>,
    }
}

body! {
    /// `PATCH /api/v1/hooks/{id}`: a new `source` is a new version.
    pub struct HookPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enabled: Option<bool>,
    }
}

body! {
    /// `POST /api/v1/hooks/{id}/test`: the ticket the script's hooks get (as their hook points give it).
    pub struct HookTest {
        pub ticket_id: i64,
    }
}

/// One hook of the script, run against the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HookTestRun {
    pub hook: String,
    pub priority: i64,
    /// `view`, `validation` or `event`.
    pub kind: String,
    /// A view hook's HTML, or the message of a validation hook that refuses.
    pub output: Option<String>,
    /// A validation hook returned `#{error: …}`: the write would be refused.
    pub rejected: bool,
    pub error: Option<String>,
    pub line: usize,
    pub duration_us: u64,
}

/// `POST /api/v1/hooks/{id}/test`: what each hook of the script gave. Nothing is stored and no event is
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HookTestResult {
    pub hook_id: i64,
    pub version: i64,
    pub ticket_id: i64,
    pub runs: Vec<HookTestRun>,
}

body! {
    /// `POST /api/v1/webhooks`. Without `secret` one is made (`whsec_` + base64 of 32 random bytes).
    pub struct NewWebhook {
        pub url: String,
        /// Event names, or `["*"]` for every event. Default `["*"]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub events: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub secret: Option<String>,
        /// `native` (default) or `teamtools`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub format: Option<String>,
        /// Default `true`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
    }
}

body! {
    /// `PATCH /api/v1/webhooks/{id}`: `active: true` turns a disabled endpoint on again.
    pub struct WebhookPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub events: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub secret: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub format: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
    }
}

/// `GET /api/v1/events/{id}`: the event, the hook runs, the webhook deliveries, the case updates and the mails
/// made for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: domain::Event,
    pub runs: Vec<HookRun>,
    pub deliveries: Vec<Delivery>,
    /// The case updates sent to the brand's customer database for a reply (SPEC §6), each with its attempts.
    #[serde(default)]
    pub case_updates: Vec<CaseUpdateDelivery>,
    /// The mails sent for it (SPEC §10), one per recipient, each with its attempts.
    #[serde(default)]
    pub mails: Vec<domain::mailbox::MailDelivery>,
}
