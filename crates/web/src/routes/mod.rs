//! Handlers of the native API, one module per area. Each is thin: extract, call one use case, answer.
pub(crate) mod accounts;
pub(crate) mod attachments;
pub(crate) mod attributes;
pub(crate) mod automation;
pub(crate) mod billing;
pub(crate) mod contracts;
pub(crate) mod directory;
pub(crate) mod embed;
pub(crate) mod events;
pub(crate) mod health;
pub(crate) mod jsonrpc;
pub(crate) mod mailboxes;
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

/// Every page of a native list, oldest first, stopping once `cap` rows are read: `page` is asked for each
/// page by its cursor (`None` for the first). For the compatibility APIs, whose clients read whole lists.
pub(crate) async fn every_page<T, F, Fut>(cap: usize, mut page: F) -> Result<Vec<T>, app::AppError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Paged<T>, app::AppError>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let found = page(cursor.take()).await?;
        out.extend(found.data);
        match found.next_cursor {
            Some(next) if out.len() < cap => cursor = Some(next),
            _ => return Ok(out),
        }
    }
}
