//! Why a web call failed. Every message is safe to show (the app puts it in a 502 problem's `detail`): it
//! never carries `intPass`, the configured URL (which may hold credentials) or the posted values.
use std::fmt;

/// The web calls of the protocol, each with its own URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Search,
    Load,
    Update,
    CaseUpdate,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Search => "search",
            Operation::Load => "load",
            Operation::Update => "update",
            Operation::CaseUpdate => "case update",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebcallError {
    /// The brand has no URL for this web call.
    #[error("the web-call {0} URL is not configured")]
    NotConfigured(Operation),
    #[error("the web-call {operation} URL is not a valid URL: {reason}")]
    InvalidUrl { operation: Operation, reason: String },
    /// The address rules refused the target (a private, loopback or link-local address while those are not
    /// allowed, a redirect there, or a scheme other than http/https).
    #[error("{0}")]
    Refused(String),
    /// No connection could be made or the exchange broke off.
    #[error("could not reach the backend: {0}")]
    Unreachable(String),
    #[error("no answer within {millis} ms")]
    Timeout { millis: u128 },
    /// The answer's status was not 2xx.
    #[error("HTTP {0}")]
    Status(u16),
    #[error("the answer is larger than {limit} bytes", limit = super::MAX_ANSWER_BYTES)]
    TooLarge,
    #[error("the answer is not UTF-8 (invalid byte at {position})")]
    NotUtf8 { position: usize },
    #[error("the answer declares a DOCTYPE; entities are never expanded")]
    Doctype,
    /// `position` is the byte offset in the answer as it was received.
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed { position: u64, reason: String },
    #[error("the answer's root element is <{found}>, not <{expected}>")]
    WrongRoot { expected: &'static str, found: String },
    #[error("the answer has no <{expected}> element")]
    NoRoot { expected: &'static str },
    /// A load answered an empty `<userdata/>`: the backend has no such account (not a broken answer).
    #[error("the backend has no such account")]
    NoAccount,
    #[error("<{parent}> has no <{element}> element")]
    MissingElement {
        parent: &'static str,
        element: &'static str,
    },
    #[error("a <{element}> element has no {attribute} attribute")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
}

impl WebcallError {
    /// A stable label of the kind of failure, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            WebcallError::NotConfigured(_) => "not_configured",
            WebcallError::InvalidUrl { .. } => "invalid_url",
            WebcallError::Refused(_) => "refused",
            WebcallError::Unreachable(_) => "unreachable",
            WebcallError::Timeout { .. } => "timeout",
            WebcallError::Status(_) => "http_status",
            WebcallError::TooLarge => "too_large",
            WebcallError::NotUtf8 { .. } => "not_utf8",
            WebcallError::Doctype => "doctype",
            WebcallError::Malformed { .. } => "malformed_xml",
            WebcallError::WrongRoot { .. } | WebcallError::NoRoot { .. } => "wrong_root",
            WebcallError::NoAccount => "no_account",
            WebcallError::MissingElement { .. } => "missing_element",
            WebcallError::MissingAttribute { .. } => "missing_attribute",
        }
    }
}
