//! Handlers of the native API, one module per area. Each is thin: extract, call one use case, answer.
pub(crate) mod attributes;
pub(crate) mod billing;
pub(crate) mod contracts;
pub(crate) mod directory;
pub(crate) mod embed;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod oauth;
pub(crate) mod people;
pub(crate) mod search;
pub(crate) mod staff;
pub(crate) mod teamtools;
pub(crate) mod ticaga;
pub(crate) mod tickets;
pub(crate) mod tokens;
pub(crate) mod views;

use api_types::Page;
use app::Paged;

pub(crate) fn page<T>(p: Paged<T>) -> Page<T> {
    Page {
        data: p.data,
        next_cursor: p.next_cursor,
    }
}

/// Result of a handler.
pub(crate) type Answer<T> = Result<T, crate::error::ApiError>;
