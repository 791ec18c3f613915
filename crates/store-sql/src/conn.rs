//! The connection interface the shared SQL runs on, which each backend implements over its own driver.
//!
//! Statements are SQL text with `$N` placeholders ([`Sql`]), parameters are owned [`Value`]s, and rows are
//! read through [`Row`] (one typed accessor, [`RowExt::get`], whose errors are [`StoreError`]s). The
//! futures are not boxed: the shared code is generic over the connection, so each backend's statements
//! compile to direct calls.
use domain::Ticket;
use std::borrow::Cow;
use std::future::Future;
use store::{Result, SearchRequest, SearchRow, StoreError, TicketFilter};

/// SQL text: a literal, or text built at run time from literals (values are always bound, never spliced in).
#[derive(Debug, Clone)]
pub struct Sql(pub Cow<'static, str>);

impl Sql {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Sql {
    fn from(text: &'static str) -> Self {
        Self(Cow::Borrowed(text))
    }
}

impl From<String> for Sql {
    fn from(text: String) -> Self {
        Self(Cow::Owned(text))
    }
}

/// A parameter value. Nulls keep their type: PostgreSQL needs a parameter's type even when it is NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Real(Option<f64>),
    /// Binary data (attachment content): a BLOB on SQLite, BYTEA on PostgreSQL.
    Bytes(Option<Vec<u8>>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(Some(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(Some(v))
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::Real(v)
    }
}
impl From<Option<bool>> for Value {
    fn from(v: Option<bool>) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(Some(v.to_vec()))
    }
}

/// One row of a result, read where the driver holds it (no copy of the row is made). Columns are named as
/// the query selects them; a column of another type, a missing column or a driver failure is an error.
pub trait Row {
    fn int(&self, column: &str) -> Result<Option<i64>>;
    fn float(&self, column: &str) -> Result<Option<f64>>;
    fn bool(&self, column: &str) -> Result<Option<bool>>;
    fn text(&self, column: &str) -> Result<Option<&str>>;
    /// Binary data; text is refused like any other type.
    fn bytes(&self, column: &str) -> Result<Option<&[u8]>>;
}

/// A Rust value read from one column.
pub trait FromColumn<'r>: Sized {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self>;
}

fn required<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| StoreError::internal(format!("column {column} is NULL")))
}

impl<'r> FromColumn<'r> for Option<i64> {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        row.int(column)
    }
}
impl<'r> FromColumn<'r> for i64 {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        required(row.int(column)?, column)
    }
}
impl<'r> FromColumn<'r> for f64 {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        required(row.float(column)?, column)
    }
}
impl<'r> FromColumn<'r> for bool {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        required(row.bool(column)?, column)
    }
}
impl<'r> FromColumn<'r> for Option<&'r str> {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        row.text(column)
    }
}
impl<'r> FromColumn<'r> for &'r str {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        required(row.text(column)?, column)
    }
}
impl<'r> FromColumn<'r> for Option<String> {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        Ok(row.text(column)?.map(str::to_owned))
    }
}
impl<'r> FromColumn<'r> for String {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        Ok(required(row.text(column)?, column)?.to_owned())
    }
}

impl<'r> FromColumn<'r> for Option<Vec<u8>> {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        Ok(row.bytes(column)?.map(<[u8]>::to_vec))
    }
}
impl<'r> FromColumn<'r> for Vec<u8> {
    fn from_column(row: &'r (dyn Row + 'r), column: &str) -> Result<Self> {
        Ok(required(row.bytes(column)?, column)?.to_vec())
    }
}

/// The one typed accessor: `row.get::<i64>("id")`.
pub trait RowExt<'r> {
    fn get<T: FromColumn<'r>>(self, column: &str) -> Result<T>;
}

impl<'r> RowExt<'r> for &'r (dyn Row + 'r) {
    fn get<T: FromColumn<'r>>(self, column: &str) -> Result<T> {
        T::from_column(self, column)
    }
}

/// Turns one row into a value.
pub type RowMap<T> = for<'r> fn(&'r (dyn Row + 'r)) -> Result<T>;

/// A connection the shared SQL runs on: a pooled connection (reads) or a transaction (reads and writes).
pub trait Connection: Send {
    /// Runs a statement; how many rows it changed.
    fn execute(&mut self, sql: Sql, params: &[Value]) -> impl Future<Output = Result<u64>> + Send;

    /// The first row, mapped, if there is one.
    fn fetch_optional<T: Send>(
        &mut self,
        sql: Sql,
        params: &[Value],
        map: RowMap<T>,
    ) -> impl Future<Output = Result<Option<T>>> + Send;

    /// Every row, mapped.
    fn fetch_all<T: Send>(
        &mut self,
        sql: Sql,
        params: &[Value],
        map: RowMap<T>,
    ) -> impl Future<Output = Result<Vec<T>>> + Send;

    /// The first row, mapped; no row is an error.
    fn fetch_one<T: Send>(
        &mut self,
        sql: Sql,
        params: &[Value],
        map: RowMap<T>,
    ) -> impl Future<Output = Result<T>> + Send {
        async move {
            self.fetch_optional(sql, params, map)
                .await?
                .ok_or_else(|| StoreError::internal("the query returned no row"))
        }
    }
}

/// What the backends do differently on any connection.
pub trait Dialect: Connection {
    /// Appended to a `SELECT` that reads rows for update: a row lock where the database has them.
    const FOR_UPDATE: &'static str;

    /// Appended to a `SELECT` that reads rows which must not change until the transaction ends: a shared
    /// row lock where writers run concurrently, empty where they take turns (nothing can change between a
    /// unit's reads and its writes there).
    const FOR_SHARE: &'static str;

    /// Appended to a `SELECT` of work to do from `s` (a batch of due subscriptions, say): a row lock that
    /// skips rows another transaction holds, so several processes split the work instead of queueing for
    /// it; empty where writers take turns anyway.
    const SKIP_LOCKED: &'static str;

    /// Narrows a ticket list (`tickets t`) to tickets matching every term (`AND …`); `internal`: internal
    /// notes count.
    fn push_ticket_terms(query: &mut QueryBuilder, terms: &[String], internal: bool);

    /// The ticket list of `filter`, which has terms and is sorted by id: the matches in that order, read
    /// from the full-text index newest (or oldest) first and stopping at the page, with the list's other
    /// filters and cursor applied on the way.
    fn ticket_list_matching(&mut self, filter: &TicketFilter) -> impl Future<Output = Result<Vec<Ticket>>> + Send;

    /// `string_agg(v.value, ' ' ORDER BY v.attribute_id)` in the database's words: the search text of an
    /// entity's searchable values (`attribute_values v`).
    const STRING_AGG_VALUES: &'static str;

    /// Narrows a customer or end-user list (`customers e` / `end_users e`) to rows matching every keyword
    /// term (`AND …`), the last one also as a prefix. `streaming`: the list reads
    /// [`Dialect::person_terms_table`] joined to `e`, and the terms narrow that table's rows.
    fn push_person_terms(query: &mut QueryBuilder, entity: domain::AttributeEntity, terms: &[String], streaming: bool);

    /// A full-text table that yields a customer's or end user's matches in id order (its rowid), where the
    /// database has one: a list in id order with terms then reads it joined to the records, newest (or
    /// oldest) first, and stops at the page instead of collecting every match of a common word first.
    fn person_terms_table(entity: domain::AttributeEntity) -> Option<&'static str>;

    /// A customer or end-user list with keyword terms, where the dialect's full-text index yields matches in
    /// no order: the dialect finds the ids of the matches itself (in windows of ids from the end the list
    /// reads first, say) and reads the page among them with [`crate::person_query_among`]. `None`: the
    /// list's one query reads the terms (the default, right where [`Dialect::person_terms_table`] streams
    /// them in id order, or for lists the dialect leaves to the planner).
    fn person_list_matching<T: Send>(
        &mut self,
        query: &store::PersonQuery,
        cols: &str,
        map: RowMap<T>,
    ) -> impl Future<Output = Result<Option<Vec<T>>>> + Send {
        let _ = (query, cols, map);
        async { Ok(None) }
    }

    /// A full-text search of tickets, customers and end users.
    fn search(&mut self, request: &SearchRequest) -> impl Future<Output = Result<Vec<SearchRow>>> + Send;
}

/// A write transaction: what the backends do differently when writing.
pub trait Transaction: Dialect {
    /// Inserts a new row and returns its id. A backend may number the row itself and send the insert later,
    /// with the transaction's next statement (SQLite's writer does; a constraint the insert breaks is then
    /// reported by that statement or by the commit); PostgreSQL runs it at once with `RETURNING id`.
    fn insert(&mut self, row: NewRow) -> impl Future<Output = Result<i64>> + Send;

    /// Keeps the full-text index in step with a new ticket (where triggers do not).
    fn index_new_ticket(&mut self, id: i64, title: &str) -> impl Future<Output = Result<()>> + Send;

    /// Keeps the full-text index in step with a new reply (where triggers do not).
    fn index_new_reply(
        &mut self,
        ticket_id: i64,
        message: &str,
        internal: bool,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Keeps what a backend keeps beside its full-text index in step with text that replaced earlier text
    /// (a ticket's title, a reply's message), which the index itself follows by triggers.
    fn index_changed_text(&mut self, text: &str) -> impl Future<Output = Result<()>> + Send;

    /// Ends the unit of work: everything it wrote is committed when this returns `Ok`.
    fn commit(self) -> impl Future<Output = Result<()>> + Send;
}

/// One new row: its table, and its columns (without `id`) with their values.
#[derive(Debug)]
pub struct NewRow {
    pub table: &'static str,
    pub columns: Vec<&'static str>,
    pub values: Vec<Value>,
}

impl NewRow {
    pub fn new(table: &'static str) -> Self {
        Self {
            table,
            columns: Vec::new(),
            values: Vec::new(),
        }
    }

    pub fn set(mut self, column: &'static str, value: impl Into<Value>) -> Self {
        self.columns.push(column);
        self.values.push(value.into());
        self
    }

    /// `INSERT INTO table (columns) VALUES ($1, …)`, with `id` as the first column when `with_id`.
    pub fn insert_sql(&self, with_id: bool) -> String {
        let columns = if with_id {
            format!("id, {}", self.columns.join(", "))
        } else {
            self.columns.join(", ")
        };
        let count = self.columns.len() + usize::from(with_id);
        let placeholders = (1..=count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        format!("INSERT INTO {} ({columns}) VALUES ({placeholders})", self.table)
    }
}

/// SQL assembled piece by piece, each bound value numbered `$N` in order.
#[derive(Debug, Default)]
pub struct QueryBuilder {
    sql: String,
    params: Vec<Value>,
}

impl QueryBuilder {
    pub fn new(init: impl Into<String>) -> Self {
        Self {
            sql: init.into(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text (never a value: values go through [`QueryBuilder::bind`]).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.params.push(value.into());
        let n = self.params.len();
        self.sql.push('$');
        self.sql.push_str(&n.to_string());
        self
    }

    /// Appends `value, value, …`, each bound.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends SQL text that names its values by number itself, from `$n` where `n` is
    /// [`QueryBuilder::next_param`] before this call, and binds them in that order.
    pub fn push_numbered(&mut self, sql: &str, values: impl IntoIterator<Item = Value>) -> &mut Self {
        self.sql.push_str(sql);
        self.params.extend(values);
        self
    }

    /// The number of the next value bound (`$n`).
    pub fn next_param(&self) -> usize {
        self.params.len() + 1
    }

    /// The statement and its values.
    pub fn build(self) -> (Sql, Vec<Value>) {
        (Sql::from(self.sql), self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_numbers_values_in_order() {
        let mut q = QueryBuilder::new("SELECT 1 WHERE a IN (");
        q.bind_list([1_i64, 2]).push(") AND b = ").bind("x");
        let (sql, params) = q.build();
        assert_eq!(sql.as_str(), "SELECT 1 WHERE a IN ($1, $2) AND b = $3");
        assert_eq!(params, vec![Value::from(1), Value::from(2), Value::from("x")]);
    }

    #[test]
    fn insert_sql_numbers_columns() {
        let row = NewRow::new("t").set("a", 1_i64).set("b", "x");
        assert_eq!(row.insert_sql(false), "INSERT INTO t (a, b) VALUES ($1, $2)");
        assert_eq!(row.insert_sql(true), "INSERT INTO t (id, a, b) VALUES ($1, $2, $3)");
    }
}
