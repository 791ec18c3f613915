//! The use cases' error type: what went wrong in terms a caller can act on (not found, invalid fields,
//! conflicts, refusals), mapped from store errors once; the web crate turns it into problem+json.
use domain::FieldError;
use store::{StoreError, UniqueKey};
use thiserror::Error;

pub type AppResult<T> = Result<T, AppError>;

/// Why a use case did not happen. The web edge maps each kind to one problem+json code.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("the ticket is locked")]
    TicketLocked,
    /// A contract has no incident of the type left to redeem (SPEC §5.4: 409 `no_incidents_left`).
    #[error("no incidents left: {0}")]
    NoIncidentsLeft(String),
    #[error("rejected by a hook: {0}")]
    HookRejected(String),
    /// Too many attempts; the client may try again after `retry_after_secs`.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// The brand's customer backend failed (SPEC §6: 502 `backend_unavailable`); the message says how and
    /// never holds a secret.
    #[error("the customer backend failed: {0}")]
    BackendUnavailable(String),
    /// The database is unreachable or restarting: worth retrying.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected answer; the message is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique(key) => AppError::Conflict(conflict_message(&key).to_owned()),
            StoreError::Reference(key) => {
                AppError::Conflict(format!("a referenced record does not exist or is in use ({key})"))
            }
            StoreError::Unavailable { message, .. } => AppError::Unavailable(message),
            internal @ StoreError::Internal { .. } => AppError::Internal(with_sources(&internal)),
        }
    }
}

/// Words a client can act on, for a broken unique key.
fn conflict_message(key: &UniqueKey) -> &'static str {
    match key {
        UniqueKey::StaffEmail => "a record with this email already exists",
        UniqueKey::BrandSlug | UniqueKey::DepartmentSlug => "this slug is already taken",
        UniqueKey::CustomerExternalId => "a customer with this external_id already exists",
        UniqueKey::EndUserEmail => "this customer already has an end user with this email",
        UniqueKey::CustomerEmail => "another customer has this email",
        UniqueKey::AttributeName => "another attribute has this name",
        UniqueKey::AttributeValue(_) => "another record has this attribute value",
        UniqueKey::FeatureKey => "another feature has this unique key",
        UniqueKey::BillingLink => "this billing account is linked to a customer already",
        UniqueKey::InvoicePeriod => "this subscription period is invoiced already",
        UniqueKey::TicketIncident => "this incident type is redeemed on this ticket already",
        UniqueKey::SubscriptionGroup => {
            "the customer already has a subscription in this group (subscribe with force to replace it)"
        }
        UniqueKey::TokenSecret | UniqueKey::Id | UniqueKey::Other(_) => "this record conflicts with an existing one",
    }
}

/// An error and its chain of sources in one line, for the log (internal errors are never shown).
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_become_app_errors() {
        let conflict = AppError::from(StoreError::Unique(UniqueKey::BrandSlug));
        assert!(matches!(conflict, AppError::Conflict(m) if m == "this slug is already taken"));
        let email = AppError::from(StoreError::Unique(UniqueKey::EndUserEmail));
        assert!(
            matches!(&email, AppError::Conflict(m) if m == "this customer already has an end user with this email"),
            "a lost race on the end-user email index answers as a sequential duplicate: {email:?}"
        );
        let io = std::io::Error::other("disk on fire");
        let internal = AppError::from(StoreError::internal_from("SQLite failed", io));
        assert!(
            matches!(&internal, AppError::Internal(m) if m == "storage error: SQLite failed: disk on fire"),
            "{internal:?}"
        );
        let gone = AppError::from(StoreError::unavailable("restarting"));
        assert!(matches!(gone, AppError::Unavailable(m) if m == "restarting"));
    }
}
