use thiserror::Error;

/// What can go wrong below the use cases. Backends map their driver errors onto these.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the string names the constraint (e.g. `staff.email`).
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// A row refers to one that does not exist (or one still referred to was deleted).
    #[error("reference constraint violated: {0}")]
    Reference(String),
    /// The database cannot be reached or is restarting; the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row could not be decoded, or the database answered something unexpected.
    #[error("storage error: {0}")]
    Internal(String),
}
