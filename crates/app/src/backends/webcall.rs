//! The `webcall` backend: SpiceCSM's web calls to the brand's external customer database
//! (`integrations::webcall` speaks the protocol).
use super::CustomerBackend;
use crate::{AppError, AppResult};
use async_trait::async_trait;
use domain::account::{Account, AccountCriteria, AccountSummary, CaseUpdate, WebcallSettings};
use integrations::webcall::{Operation, WebcallClient, WebcallConfig, WebcallError};
use std::sync::Arc;
use std::time::Duration;

pub struct WebcallBackend {
    client: Arc<WebcallClient>,
    config: WebcallConfig,
}

/// The client's settings of a brand's.
pub(crate) fn config_of(settings: WebcallSettings) -> WebcallConfig {
    WebcallConfig {
        search_url: settings.search_url,
        load_url: settings.load_url,
        update_url: settings.update_url,
        case_url: settings.case_url,
        int_user: settings.int_user,
        int_pass: settings.int_pass,
        timeout: Duration::from_millis(settings.timeout_ms),
    }
}

/// A failure of a web call is the backend's (502 `backend_unavailable`); its detail names the call, since
/// "HTTP 500" alone does not tell an agent or an admin which of the brand's URLs failed.
fn backend_error(operation: Operation, e: WebcallError) -> AppError {
    tracing::warn!(%operation, kind = e.kind(), error = %e, "web call failed");
    AppError::BackendUnavailable(format!("the {operation} web call failed: {e}"))
}

/// A load answered with no account (`<userdata/>`) is the account's absence; any other failure
/// is the backend's.
fn load_error(e: WebcallError) -> AppError {
    match e {
        // Only an empty `<userdata/>` says the account does not exist: a 404 is as likely a wrong load URL.
        WebcallError::NoAccount => AppError::NotFound,
        other => backend_error(Operation::Load, other),
    }
}

impl WebcallBackend {
    pub fn new(client: Arc<WebcallClient>, settings: WebcallSettings) -> Self {
        Self {
            client,
            config: config_of(settings),
        }
    }

    /// Tells the backend about a reply (the outbox's case-update worker).
    pub async fn case_update(&self, userkey: &str, case: &CaseUpdate) -> Result<(), WebcallError> {
        self.client.case_update(&self.config, userkey, case).await
    }
}

#[async_trait]
impl CustomerBackend for WebcallBackend {
    fn name(&self) -> &'static str {
        "webcall"
    }

    async fn search(&self, criteria: &AccountCriteria) -> AppResult<Vec<AccountSummary>> {
        self.client
            .search(&self.config, criteria)
            .await
            .map_err(|e| backend_error(Operation::Search, e))
    }

    async fn load(&self, userkey: &str) -> AppResult<Account> {
        self.client.load(&self.config, userkey).await.map_err(load_error)
    }

    fn refuses_updates(&self) -> Option<&'static str> {
        (!self.config.is_configured(Operation::Update))
            .then_some("this brand's customer database takes no updates (no update_url)")
    }

    async fn update(&self, account: &Account) -> AppResult<()> {
        if let Some(why) = self.refuses_updates() {
            return Err(AppError::Conflict(why.into()));
        }
        self.client
            .update(&self.config, account)
            .await
            .map_err(|e| backend_error(Operation::Update, e))
    }

    async fn test(&self) -> AppResult<Duration> {
        self.client
            .test_connection(&self.config)
            .await
            .map_err(|e| backend_error(Operation::Search, e))
    }
}
