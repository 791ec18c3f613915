use domain::FieldError;
use store::StoreError;
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
    #[error("rejected by a hook: {0}")]
    HookRejected(String),
    /// Too many attempts; the client may try again after `retry_after_secs`.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
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
            StoreError::Conflict(what) => AppError::Conflict(conflict_message(&what)),
            StoreError::Reference(what) => {
                AppError::Conflict(format!("a referenced record does not exist or is in use ({what})"))
            }
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Internal(m) => AppError::Internal(m),
        }
    }
}

/// Turns a constraint name or driver message into words a client can act on.
fn conflict_message(what: &str) -> String {
    let known = [
        ("email", "a record with this email already exists"),
        ("slug", "this slug is already taken"),
        ("external_id", "a customer with this external_id already exists"),
    ];
    known
        .iter()
        .find(|(key, _)| what.contains(key))
        .map(|(_, msg)| (*msg).to_owned())
        .unwrap_or_else(|| "this record conflicts with an existing one".to_owned())
}
