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
    let limit = checked_limit(limit, PageRequest::DEFAULT_LIMIT, PageRequest::MAX_LIMIT)?;
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

/// The one rule for `limit` on every list: absent is `default`; 1 to `max` is taken as given; anything
/// else is refused (never silently clamped, so a client asking for more learns it gets less).
pub(crate) fn checked_limit(limit: Option<u32>, default: u32, max: u32) -> AppResult<u32> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::field("limit", format!("must be between 1 and {max}"))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(checked_limit(None, 50, 500).ok(), Some(50));
        assert_eq!(checked_limit(Some(1), 50, 500).ok(), Some(1));
        assert_eq!(checked_limit(Some(500), 50, 500).ok(), Some(500));
        for bad in [0, 501, u32::MAX] {
            assert!(checked_limit(Some(bad), 50, 500).is_err(), "{bad}");
        }
    }
}
