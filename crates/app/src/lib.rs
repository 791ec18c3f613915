//! ferrodesk's use cases. Each public method is one thing a principal can do: it checks who may do it,
//! validates the input, and performs all reads-for-update and writes, the event row included, on one store
//! transaction. Nothing here knows about HTTP.

mod activity;
pub mod attachments;
mod attributes;
pub mod auth;
pub mod backends;
mod billing;
pub mod case_updates;
pub mod console;
mod contracts;
pub mod dashboard;
pub mod deliveries;
mod directory;
mod error;
mod events;
mod hook_scripts;
pub mod import;
mod invoices;
mod limits;
mod links;
mod mail_in;
mod mail_out;
mod mail_text;
mod mailboxes;
pub use mail_in::{MAX_MAIL_BYTES, MailReceipt, MailRefused};
pub use mail_out::{MailFailure, MailSent};
pub mod oauth;
mod outbox;
mod paging;
pub(crate) mod people;
mod person_query;
mod related;
pub mod renewals;
mod replies;
mod search;
mod service;
pub mod sessions;
pub mod staff;
mod subscriptions;
mod support;
pub mod telephony;
pub mod ticaga;
mod tickets;
mod tokens;
pub mod views;
mod webhooks;

pub use activity::{ACTIVITY_LIMIT, NewActivity, event_key};
pub use attributes::indexed_values;
pub use error::{AppError, AppResult};
pub use paging::Paged;
pub use people::{BulkError, BulkRow, COUNT_BOUND};
pub use related::INCLUDED_EVENTS;

use domain::event::{EntityType, EventAction, EventSource, NewEvent};
use domain::{FieldError, HookPoint, Principal};
use std::sync::Arc;
use store::Store;

/// Where a request came from, recorded on the events it causes.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub source: Option<EventSource>,
    /// The request path.
    pub url: Option<String>,
    /// The client address (after trusted-proxy resolution).
    pub ip: Option<String>,
}

/// Password changes (and sets by staff) one principal may make per minute: each costs an argon2 hash.
pub const PASSWORD_CHANGES_PER_MINUTE: u32 = 10;

/// The application: the use cases over one store.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    password_changes: Arc<limits::RateLimiter>,
    /// How long an OAuth access token works.
    oauth_token_ttl: std::time::Duration,
    /// The hook scripts (SPEC §4).
    hooks: Arc<hooks::Hooks>,
    webhooks: deliveries::WebhookSettings,
    /// Notified when deliveries may be due (queued by the outbox, replayed, an endpoint turned on).
    deliveries_signal: Arc<tokio::sync::Notify>,
    /// Notified when case updates may be due (queued by the outbox).
    case_updates_signal: Arc<tokio::sync::Notify>,
    /// Notified when mail may be due (queued by the outbox); the IMAP pollers read the mailboxes every 2 s instead.
    mail_signal: Arc<tokio::sync::Notify>,
    /// The installation's outgoing mail server (`FERRODESK_SMTP_URL`), for mailboxes without their own.
    smtp_url: Option<Arc<str>>,
    /// SMTP senders by server, their connections reused between mails.
    senders: Arc<mail_out::Senders>,
    /// Certificate authorities trusted for IMAP and SMTP besides the system's (`FERRODESK_MAIL_CA_FILE`).
    mail_roots: Arc<Vec<integrations::mail::CertificateDer<'static>>>,
    sessions: sessions::SessionSettings,
    /// Whether `webcall` backends on private, loopback and link-local addresses may be reached.
    webcall_allow_private: bool,
    /// The web-call client of `webcall` customer backends (one for every brand), built when first used:
    /// it reads the system's root certificates, which a one-message command such as `mail-in` never needs.
    /// `Err` says why it could not be built.
    webcall: Arc<std::sync::OnceLock<Result<Arc<integrations::webcall::WebcallClient>, String>>>,
}

impl App {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            password_changes: Arc::new(limits::RateLimiter::new(
                PASSWORD_CHANGES_PER_MINUTE,
                std::time::Duration::from_secs(60),
            )),
            oauth_token_ttl: oauth::DEFAULT_ACCESS_TOKEN_TTL,
            hooks: Arc::new(hooks::Hooks::default()),
            webhooks: deliveries::WebhookSettings::default(),
            deliveries_signal: Arc::new(tokio::sync::Notify::new()),
            case_updates_signal: Arc::new(tokio::sync::Notify::new()),
            mail_signal: Arc::new(tokio::sync::Notify::new()),
            smtp_url: None,
            senders: Arc::default(),
            mail_roots: Arc::default(),
            sessions: sessions::SessionSettings::default(),
            webcall_allow_private: false,
            webcall: Arc::default(),
        }
    }

    /// The same application, reaching `webcall` backends on private, loopback and link-local addresses too
    /// when `allow_private` (`--webcalls-allow-private`: a customer database on the company's network).
    pub fn with_webcall_allow_private(mut self, allow_private: bool) -> Self {
        self.webcall_allow_private = allow_private;
        self.webcall = Arc::default();
        self
    }

    /// The web-call client.
    pub(crate) fn webcall_client(&self) -> AppResult<Arc<integrations::webcall::WebcallClient>> {
        self.webcall
            .get_or_init(|| integrations::webcall::WebcallClient::new(self.webcall_allow_private).map(Arc::new))
            .clone()
            .map_err(|e| AppError::Internal(format!("the web-call client could not be built: {e}")))
    }

    /// The same application, with web sessions lasting as `settings` say.
    pub fn with_session_settings(mut self, settings: sessions::SessionSettings) -> Self {
        self.sessions = settings;
        self
    }

    pub fn session_settings(&self) -> sessions::SessionSettings {
        self.sessions
    }

    /// The same application, delivering webhooks with `settings`.
    pub fn with_webhook_settings(mut self, settings: deliveries::WebhookSettings) -> Self {
        self.webhooks = settings;
        self
    }

    pub fn webhook_settings(&self) -> deliveries::WebhookSettings {
        self.webhooks
    }

    /// Notified when webhook deliveries may have become due on this node.
    pub fn deliveries_signal(&self) -> &Arc<tokio::sync::Notify> {
        &self.deliveries_signal
    }

    /// Notified when mail may be due.
    pub fn mail_signal(&self) -> &Arc<tokio::sync::Notify> {
        &self.mail_signal
    }

    /// The same application, sending the mail of mailboxes without an SMTP server of their own through
    /// `smtp_url` (`FERRODESK_SMTP_URL`).
    pub fn with_smtp_url(mut self, smtp_url: Option<String>) -> Self {
        self.smtp_url = smtp_url.filter(|u| !u.trim().is_empty()).map(Arc::from);
        self
    }

    /// The same application, trusting `roots` for IMAP and SMTP besides the system's certificate authorities
    /// (a company mail server with a CA of its own).
    pub fn with_mail_roots(mut self, roots: Vec<integrations::mail::CertificateDer<'static>>) -> Self {
        self.mail_roots = Arc::new(roots);
        self
    }

    /// The certificate authorities trusted for IMAP and SMTP besides the system's.
    pub fn mail_roots(&self) -> &[integrations::mail::CertificateDer<'static>] {
        &self.mail_roots
    }

    /// The installation's outgoing mail server, if one is set.
    pub fn smtp_url(&self) -> Option<&str> {
        self.smtp_url.as_deref()
    }

    /// The same application, running `hooks`' scripts.
    pub fn with_hooks(mut self, hooks: Arc<hooks::Hooks>) -> Self {
        self.hooks = hooks;
        self
    }

    /// The hook scripts this application runs.
    pub fn hooks(&self) -> &Arc<hooks::Hooks> {
        &self.hooks
    }

    /// Runs the validation hooks of `point` with `params` before a write, on a blocking thread: the first
    /// `#{error: msg}` refuses the request (422 `hook_rejected`, `detail` = msg); a failing script is logged
    /// and does not refuse. Without hooks for `point` nothing runs (and `params` is not built).
    pub(crate) async fn validate_with_hooks(
        &self,
        point: domain::HookPoint,
        params: impl FnOnce() -> serde_json::Value,
    ) -> AppResult<()> {
        if !self.hooks.has(point) {
            return Ok(());
        }
        let (hooks, params) = (Arc::clone(&self.hooks), params());
        let (rejection, failures) = tokio::task::spawn_blocking(move || hooks.validate(point, &params))
            .await
            .map_err(|e| AppError::Internal(format!("a validation hook's thread failed: {e}")))?;
        for f in failures {
            tracing::warn!(script = %f.script, line = f.line, hook = %f.point, error = %f.message, "hook failed");
        }
        match rejection {
            Some(r) => Err(AppError::HookRejected(r.message)),
            None => Ok(()),
        }
    }

    /// The same application, issuing OAuth access tokens that work for `ttl` (at least a second, at most
    /// [`oauth::MAX_ACCESS_TOKEN_TTL`]).
    pub fn with_oauth_token_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.oauth_token_ttl = ttl.clamp(std::time::Duration::from_secs(1), oauth::MAX_ACCESS_TOKEN_TTL);
        self
    }

    /// How long an OAuth access token issued now works.
    pub fn oauth_token_ttl(&self) -> std::time::Duration {
        self.oauth_token_ttl
    }

    /// Counts a password change made by `p`, or refuses it (429) past the per-minute limit.
    pub(crate) fn count_password_change(&self, p: &Principal) -> AppResult<()> {
        let key = match p.member() {
            (Some(id), Some(kind)) => format!("{kind}:{id}"),
            _ => "system".to_owned(),
        };
        self.password_changes.check(&key)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

/// A change being recorded: who, from where, what.
pub(crate) struct Change<'a> {
    pub principal: &'a Principal,
    pub meta: &'a RequestMeta,
}

/// What an event is about: the entity type, its id, and the customer whose history it belongs to.
pub(crate) struct Subject(pub EntityType, pub i64, pub Option<i64>);

impl Change<'_> {
    pub(crate) fn event(
        &self,
        action: EventAction,
        Subject(entity, entity_id, customer_id): Subject,
        name: Option<HookPoint>,
        value: serde_json::Value,
        old: serde_json::Value,
    ) -> NewEvent {
        let (member_id, member_type) = self.principal.member();
        NewEvent {
            source: self.meta.source.unwrap_or(EventSource::Api),
            member_id,
            member_type,
            url: self.meta.url.clone(),
            action,
            name: name.map(HookPoint::as_str),
            entity,
            entity_id,
            customer_id,
            value,
            old,
        }
    }
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Collects field errors so that one answer names every bad field.
#[derive(Default, Clone)]
pub(crate) struct Fields(Vec<FieldError>);

impl Fields {
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the parsed value, or records the field's error.
    pub(crate) fn check<T>(&mut self, field: &str, parsed: Result<T, &str>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// Anything a principal may not see is "not found", so ids cannot be probed.
pub(crate) fn require_staff(p: &Principal) -> AppResult<()> {
    if p.is_staff() { Ok(()) } else { Err(AppError::NotFound) }
}

pub(crate) fn require_admin(p: &Principal) -> AppResult<()> {
    if p.is_admin() { Ok(()) } else { Err(AppError::NotFound) }
}

/// A record's display name (brands, departments, catalogue entries, support levels): trimmed, 1 to 200
/// characters.
pub(crate) fn check_name(fields: &mut Fields, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        fields.add("name", "must be 1 to 200 characters");
    }
    name.to_owned()
}

/// Trims optional text and turns blank into `None`.
pub(crate) fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The last step of every use case that changes something: write the change's event, then commit, so the
/// event exists exactly when the change does.
pub(crate) async fn commit_with_event(mut tx: Box<dyn store::Writer>, event: NewEvent) -> AppResult<()> {
    tx.insert_event(&event).await?;
    tx.commit().await?;
    Ok(())
}
