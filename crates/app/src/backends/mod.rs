//! Customer backends (SPEC §6, Eventum's customer backend): where a brand's accounts live. The agent's
//! view of an account — search, load with contacts and fields, update — is the same whichever backend serves
//! the brand; each backend is one module implementing [`CustomerBackend`].
mod local;
mod webcall;

use crate::{App, AppError, AppResult, RequestMeta, require_staff};
use api_types::{AccountBody, BackendTest};
use async_trait::async_trait;
use domain::account::{Account, AccountCriteria, AccountSummary};
use domain::{Brand, Principal};
use std::time::{Duration, Instant};

pub use webcall::WebcallBackend;

/// Accounts a search answers at most.
pub const MAX_ACCOUNTS: usize = 50;

/// The operations of a customer backend. Errors of the backend itself (unreachable, malformed answers)
/// are [`AppError::BackendUnavailable`]; an account that does not exist is [`AppError::NotFound`].
#[async_trait]
pub trait CustomerBackend: Send + Sync {
    /// `local` or `webcall`.
    fn name(&self) -> &'static str;
    async fn search(&self, criteria: &AccountCriteria) -> AppResult<Vec<AccountSummary>>;
    async fn load(&self, userkey: &str) -> AppResult<Account>;
    /// Writes `account` (as loaded, with the agent's changes) back.
    async fn update(&self, account: &Account) -> AppResult<()>;
    /// Why the backend takes no updates at all, when it does not ([`AppError::Conflict`]'s message).
    fn refuses_updates(&self) -> Option<&'static str> {
        None
    }
    /// Checks that the backend answers; how long it took.
    async fn test(&self) -> AppResult<Duration>;
}

impl App {
    /// The backend that serves `brand`'s accounts, acting for `p`.
    pub(crate) fn backend_of<'a>(
        &'a self,
        brand: &Brand,
        p: &'a Principal,
        meta: &'a RequestMeta,
    ) -> AppResult<Box<dyn CustomerBackend + 'a>> {
        match brand.customer_backend.as_str() {
            "webcall" => {
                let settings = brand
                    .webcall
                    .clone()
                    .ok_or_else(|| AppError::BackendUnavailable("the brand's web calls are not configured".into()))?;
                Ok(Box::new(WebcallBackend::new(self.webcall_client()?, settings)))
            }
            _ => Ok(Box::new(local::LocalBackend::new(self, p, meta))),
        }
    }

    async fn brand_for_accounts(&self, p: &Principal, brand_id: i64) -> AppResult<Brand> {
        require_staff(p)?;
        self.store()
            .read()
            .await?
            .brand(brand_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// `GET /api/v1/brands/{id}/accounts?<criteria>`: the accounts of the brand's backend that match
    /// (staff). At least one criterion is needed.
    pub async fn account_search(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        brand_id: i64,
        criteria: &AccountCriteria,
    ) -> AppResult<Vec<AccountSummary>> {
        let brand = self.brand_for_accounts(p, brand_id).await?;
        if criteria.is_empty() {
            return Err(AppError::field(
                "criteria",
                format!("give at least one of: {}", domain::account::SEARCH_CRITERIA.join(", ")),
            ));
        }
        let mut found = self.backend_of(&brand, p, meta)?.search(criteria).await?;
        found.truncate(MAX_ACCOUNTS);
        Ok(found)
    }

    /// `GET /api/v1/brands/{id}/accounts/{userkey}` (staff).
    pub async fn account_load(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        brand_id: i64,
        userkey: &str,
    ) -> AppResult<Account> {
        let brand = self.brand_for_accounts(p, brand_id).await?;
        check_userkey(userkey)?;
        self.backend_of(&brand, p, meta)?.load(userkey).await
    }

    /// `PUT /api/v1/brands/{id}/accounts/{userkey}` (staff): the account is loaded first (it must exist,
    /// and its password goes back unchanged), then written with `body`'s values; answers it as loaded
    /// again.
    pub async fn account_update(
        &self,
        p: &Principal,
        meta: &RequestMeta,
        brand_id: i64,
        userkey: &str,
        body: AccountBody,
    ) -> AppResult<Account> {
        let brand = self.brand_for_accounts(p, brand_id).await?;
        check_userkey(userkey)?;
        if !body.userkey.is_empty() && body.userkey != userkey {
            return Err(AppError::field(
                "userkey",
                "must be the account's userkey (the path's) or left out",
            ));
        }
        let backend = self.backend_of(&brand, p, meta)?;
        if let Some(why) = backend.refuses_updates() {
            return Err(AppError::Conflict(why.into()));
        }
        let current = backend.load(userkey).await?;
        let account = body.into_account(userkey, current.password);
        backend.update(&account).await?;
        backend.load(userkey).await
    }

    /// `POST /api/v1/brands/{id}/backend/test` (admins): whether the brand's backend answers.
    pub async fn test_backend(&self, p: &Principal, meta: &RequestMeta, brand_id: i64) -> AppResult<BackendTest> {
        crate::require_admin(p)?;
        let brand = self
            .store()
            .read()
            .await?
            .brand(brand_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let started = Instant::now();
        let backend = self.backend_of(&brand, p, meta);
        let outcome = match &backend {
            Ok(b) => b.test().await,
            Err(_) => Err(AppError::BackendUnavailable(
                "the brand's web calls are not configured".into(),
            )),
        };
        let latency_ms = match &outcome {
            Ok(d) => d.as_secs_f64() * 1000.0,
            Err(_) => started.elapsed().as_secs_f64() * 1000.0,
        };
        let error = match outcome {
            Ok(_) => None,
            Err(AppError::BackendUnavailable(m)) => Some(m),
            Err(e) => return Err(e),
        };
        Ok(BackendTest {
            ok: error.is_none(),
            backend: brand.customer_backend.clone(),
            latency_ms: (latency_ms * 100.0).round() / 100.0,
            error,
        })
    }
}

/// A userkey names an account: not empty, no longer than a line.
fn check_userkey(userkey: &str) -> AppResult<()> {
    if userkey.trim().is_empty() || userkey.chars().count() > 255 || userkey.chars().any(char::is_control) {
        return Err(AppError::field(
            "userkey",
            "must be 1 to 255 characters without control characters",
        ));
    }
    Ok(())
}
