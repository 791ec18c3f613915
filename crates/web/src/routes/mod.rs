//! Handlers of the native API, one module per area. Each is thin: extract, call one use case, answer.
pub mod directory;
pub mod events;
pub mod health;
pub mod people;
pub mod search;
pub mod staff;
pub mod tickets;
pub mod tokens;

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
