//! Turning `?limit=&cursor=` into store page requests and rows back into pages.
use crate::{AppError, AppResult};
use domain::Cursor;
use store::PageRequest;

/// One page of results, with the cursor of the next page if there is one.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Validates the page parameters. The store is asked for one row more than the page holds, so that the
/// last page says `next_cursor: null` instead of leading to an empty page.
pub(crate) fn page_request(limit: Option<u32>, cursor: Option<&str>) -> AppResult<PageRequest> {
    let limit = match limit {
        None => PageRequest::DEFAULT_LIMIT,
        Some(0) => return Err(AppError::field("limit", "must be between 1 and 500")),
        Some(n) => n.min(PageRequest::MAX_LIMIT),
    };
    let after = cursor
        .filter(|c| !c.is_empty())
        .map(Cursor::decode)
        .transpose()
        .map_err(|e| AppError::field("cursor", e))?;
    Ok(PageRequest {
        limit: limit + 1,
        after,
    })
}

/// Cuts the extra row off and makes the next cursor from the last row kept.
pub(crate) fn paged<T>(mut rows: Vec<T>, page: &PageRequest, key: impl Fn(&T) -> Cursor) -> Paged<T> {
    let limit = (page.limit - 1) as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(|r| key(r).encode())
    } else {
        None
    };
    Paged {
        data: rows,
        next_cursor,
    }
}

pub(crate) fn by_id(id: i64) -> Cursor {
    Cursor { key: 0, id }
}
