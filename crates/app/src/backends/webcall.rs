//! The `webcall` backend: SpiceCSM's web calls to the brand's external customer database
//! (`integrations::webcall` speaks the protocol).
use super::CustomerBackend;
use crate::{AppError, AppResult};
use async_trait::async_trait;
use domain::account::{Account, AccountCriteria, AccountSummary, CaseUpdate, WebcallSettings};
use integrations::webcall::{WebcallClient, WebcallConfig, WebcallError};
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

/// Every failure of a web call is the backend's (502 `backend_unavailable`), except a load answered with
/// no account or a 404, which is the account's absence.
fn backend_error(e: WebcallError) -> AppError {
    match e {
        WebcallError::MissingElement {
            parent: "userdata",
            element: "user",
        }
        | WebcallError::Status(404) => AppError::NotFound,
        other => {
            tracing::warn!(kind = other.kind(), error = %other, "web call failed");
            AppError::BackendUnavailable(other.to_string())
        }
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
        self.client.search(&self.config, criteria).await.map_err(|e| match e {
            WebcallError::Status(404) => AppError::BackendUnavailable(e.to_string()),
            other => backend_error(other),
        })
    }

    async fn load(&self, userkey: &str) -> AppResult<Account> {
        self.client.load(&self.config, userkey).await.map_err(backend_error)
    }

    async fn update(&self, account: &Account) -> AppResult<()> {
        if self.config.update_url.trim().is_empty() {
            return Err(AppError::Conflict(
                "this brand's customer database takes no updates (no update_url)".into(),
            ));
        }
        self.client
            .update(&self.config, account)
            .await
            .map_err(|e| AppError::BackendUnavailable(e.to_string()))
    }

    async fn test(&self) -> AppResult<Duration> {
        self.client
            .test_connection(&self.config)
            .await
            .map_err(|e| AppError::BackendUnavailable(e.to_string()))
    }
}
