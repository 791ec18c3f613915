//! The SQL both backends share, written and compiled once: every ordinary query and the row mapping.
//!
//! Both databases accept `$N` placeholders and store the same column types (ids as 64-bit integers,
//! timestamps as integer microseconds, JSON as text, booleans as booleans), so the queries of each
//! aggregate live once, in a module of their own ([`directory`], [`people`], [`tickets`], [`events`],
//! [`oauth`]), over the small [`Connection`] interface that `store-sqlite` (rusqlite) and `store-postgres`
//! (sqlx) implement. What truly differs (row locks, full-text search, how new rows reach the search index, how an
//! insert learns its id) is the [`Dialect`] and [`Transaction`] traits, never an `if sqlite`.

mod attachments;
mod attributes;
pub mod automation;
pub mod billing;
pub mod calls;
pub mod case_updates;
mod conn;
pub mod contracts;
pub mod directory;
pub mod events;
mod leased;
pub mod mail;
pub mod oauth;
pub mod people;
pub mod sessions;
pub mod tickets;
pub mod vocabulary;

pub use attributes::person_query_among;
pub use conn::{Connection, Dialect, FromColumn, NewRow, QueryBuilder, Row, RowExt, RowMap, Sql, Transaction, Value};

use store::{Result, SearchKind, SearchRow, StoreError};

/// A backend connection dressed as the store's [`store::Reader`] (any [`Dialect`]) or [`store::Writer`]
/// (a [`Transaction`]).
pub struct SqlConn<C> {
    conn: C,
}

impl<C> SqlConn<C> {
    pub fn new(conn: C) -> Self {
        Self { conn }
    }
}

#[async_trait::async_trait]
impl<C: Transaction> store::Writer for SqlConn<C> {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.conn.commit().await
    }
}

fn decode_err(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::internal(format!("cannot decode {what}: {e}"))
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::internal_from("cannot encode JSON", e))
}

fn from_json_text<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::internal_from(format!("cannot decode {what}"), e))
}

/// `SELECT <cols> FROM <table> WHERE id = $1`, decoded with `map`.
async fn by_id<C: Connection, T: Send>(
    c: &mut C,
    cols: &str,
    table: &str,
    id: i64,
    map: RowMap<T>,
) -> Result<Option<T>> {
    let sql = format!("SELECT {cols} FROM {table} WHERE id = $1");
    c.fetch_optional(sql.into(), &[Value::from(id)], map).await
}

/// Newest-first keyset page of a table, narrowed by `condition` (`AND …`), which may refer to `$3`:
/// `third`, bound only when given.
async fn id_page<C: Connection, T: Send>(
    c: &mut C,
    cols: &str,
    table: &str,
    condition: &str,
    third: Option<i64>,
    page: &store::PageRequest,
    map: RowMap<T>,
) -> Result<Vec<T>> {
    let sql = format!("SELECT {cols} FROM {table} WHERE id < $1 {condition} ORDER BY id DESC LIMIT $2");
    let first = [Value::from(page.before_id()), Value::from(i64::from(page.limit))];
    match third {
        Some(value) => {
            let [a, b] = first;
            c.fetch_all(sql.into(), &[a, b, Value::from(value)], map).await
        }
        None => c.fetch_all(sql.into(), &first, map).await,
    }
}

/// A count (the query selects it `AS count`).
fn count_row(r: &dyn Row) -> Result<i64> {
    r.get("count")
}

/// A search hit without its kind; each dialect's search query selects `id, title, text, score`.
pub type SearchHit = (i64, String, String, f64);

/// Reads a [`SearchHit`].
pub fn search_hit(r: &dyn Row) -> Result<SearchHit> {
    Ok((r.get("id")?, r.get("title")?, r.get("text")?, r.get("score")?))
}

/// The search rows of `hits` of one kind.
pub fn search_rows(kind: SearchKind, hits: Vec<SearchHit>) -> impl Iterator<Item = SearchRow> {
    hits.into_iter().map(move |(id, title, text, score)| SearchRow {
        kind,
        id,
        title,
        text,
        score,
    })
}

/// The phone key of migration 0025 (`domain::account::phone_key`).
pub use domain::account::phone_key;
