//! SQLite's side of the search vocabulary (`store_sql::vocabulary`): the statement that adds words, and the
//! fill from FTS5's own vocabulary after migration 0006 and after a restore.
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use store_sql::Value;
pub(crate) use store_sql::vocabulary::{Expansion, KnownWords, MAX_EXPANSION, expansion, key, key_upper_bound};

/// Fills `ticket_terms` from the search index itself (after migration 0006, and after a restore).
pub(crate) const FILL_FROM_INDEX: &str = include_str!("../sql/ticket_terms_fill.sql");

/// Makes [`key`] callable from SQL as `ferrodesk_term_key(word)`, for [`FILL_FROM_INDEX`].
pub(crate) fn register_key_function(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "ferrodesk_term_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(key(ctx
                .get_raw(0)
                .as_str()
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?))
        },
    )
}

/// The statements that add the words of `texts` to the vocabulary (see `store_sql::vocabulary::add_words`).
/// `INSERT OR IGNORE` with plain `VALUES` rows: an `INSERT … SELECT`, or an upsert's `ON CONFLICT DO
/// NOTHING`, runs in a statement savepoint, and at every savepoint FTS5 writes its pending index data out as
/// a new segment (see dialect.rs).
pub(crate) fn add_words<'t>(
    texts: impl IntoIterator<Item = &'t str>,
    known: &mut KnownWords,
) -> Vec<(&'static str, Vec<Value>)> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "INSERT OR IGNORE INTO ticket_terms (key, term) VALUES {}",
            store_sql::vocabulary::insert_rows()
        )
    });
    store_sql::vocabulary::add_words(texts, |w| known.learn(w))
        .into_iter()
        .map(|values| (SQL.as_str(), values))
        .collect()
}
