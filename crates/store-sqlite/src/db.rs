//! The few query calls the shared SQL makes (`query`, `bind`, `fetch_*`, `QueryBuilder`, `Row::try_get`),
//! over rusqlite, run on the calling thread.
//!
//! The shared SQL (`store/sql/shared.rs`) is compiled once per backend against a module named `db`: the
//! PostgreSQL backend's is sqlx itself, this one mirrors the part of sqlx's interface that the shared code
//! uses. SQLite is a library, not a server: a statement on a warm page cache takes microseconds, so it runs
//! where it is called. sqlx instead gives each SQLite connection a thread of its own and sends it every
//! statement; on two cores those two thread switches per statement cost more than the statements, and on
//! the one writer connection every other writer waited for them (docs/architecture.md has the figures).
//!
//! Placeholders are `$N` as in PostgreSQL; SQLite reads `$1` as a parameter *named* "$1", so arguments are
//! bound by the number in each parameter's name, not by position.
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{CachedStatement, Connection, ToSql};
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;
use store::StoreError;

pub type Error = rusqlite::Error;

/// Maps a driver error onto the store's error, never panicking. Busy, locked, I/O, full and cannot-open
/// errors are conditions of the moment, not bugs.
pub fn map_err(e: Error) -> StoreError {
    use rusqlite::ErrorCode;
    use rusqlite::ffi::{SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    let Error::SqliteFailure(failure, message) = &e else {
        return StoreError::Internal(e.to_string());
    };
    let what = message.clone().unwrap_or_else(|| failure.to_string());
    match (failure.code, failure.extended_code) {
        (_, SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY) => StoreError::Conflict(what),
        (_, SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::Reference(what),
        (
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen,
            _,
        ) => StoreError::Unavailable(what),
        _ => StoreError::Internal(e.to_string()),
    }
}

/// The database marker for [`QueryBuilder`], as `QueryBuilder::<Db>` reads in the shared code.
pub struct Sqlite;

/// SQL text built at run time, which the caller vouches for (values are bound, never spliced in).
pub struct AssertSqlSafe<T>(pub T);

/// SQL text: a literal, or text the caller vouches for.
pub trait SqlSafeStr {
    fn into_text(self) -> Cow<'static, str>;
}

impl SqlSafeStr for &'static str {
    fn into_text(self) -> Cow<'static, str> {
        Cow::Borrowed(self)
    }
}

impl SqlSafeStr for AssertSqlSafe<String> {
    fn into_text(self) -> Cow<'static, str> {
        Cow::Owned(self.0)
    }
}

/// Bound values, in `$N` order.
#[derive(Default)]
pub struct Args(Vec<Value>);

/// Adding a value to [`Args`] (named as sqlx names it, so that the shared code reads the same on both).
pub trait Arguments {
    fn add<T: ToSql>(&mut self, value: T) -> Result<(), Error>;
}

impl Arguments for Args {
    fn add<T: ToSql>(&mut self, value: T) -> Result<(), Error> {
        self.0.push(owned(&value)?);
        Ok(())
    }
}

fn owned<T: ToSql + ?Sized>(value: &T) -> Result<Value, Error> {
    match value.to_sql()? {
        ToSqlOutput::Owned(v) => Ok(v),
        ToSqlOutput::Borrowed(v) => Value::try_from(v).map_err(|e| Error::ToSqlConversionFailure(Box::new(e))),
        _ => Err(Error::ToSqlConversionFailure("unsupported value kind".into())),
    }
}

/// The effect of a statement.
pub struct QueryResult {
    rows_affected: u64,
}

impl QueryResult {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// Prepares `sql` (from the connection's statement cache) and binds `args` by the numbers in `$N`.
fn prepare<'c>(c: &'c Connection, sql: &str, args: &[Value]) -> Result<CachedStatement<'c>, Error> {
    let mut stmt = c.prepare_cached(sql)?;
    for index in 1..=stmt.parameter_count() {
        let number = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$').or_else(|| name.strip_prefix('?')))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let value = number
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or(Error::InvalidParameterCount(number, args.len()))?;
        stmt.raw_bind_parameter(index, value)?;
    }
    Ok(stmt)
}

/// Runs `sql` and hands each row to `each`, stopping after `limit` rows.
fn run(c: &Connection, sql: &str, args: &[Value], limit: usize, mut each: impl FnMut(DbRow)) -> Result<(), Error> {
    let mut stmt = prepare(c, sql, args)?;
    let columns: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let count = columns.len();
    let mut rows = stmt.raw_query();
    let mut seen = 0;
    while seen < limit {
        let Some(row) = rows.next()? else { break };
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            let value = row.get_ref(i)?;
            values.push(
                Value::try_from(value)
                    .map_err(|e| Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))?,
            );
        }
        each(DbRow {
            columns: columns.clone(),
            values,
        });
        seen += 1;
    }
    Ok(())
}

/// A statement with its arguments, run by one of the `fetch_*`/`execute` calls.
pub struct Query<'q> {
    sql: Cow<'static, str>,
    args: Vec<Value>,
    /// The first value that could not be bound; reported when the query runs, as sqlx does.
    error: Option<Error>,
    _borrows: PhantomData<&'q ()>,
}

pub fn query(sql: impl SqlSafeStr) -> Query<'static> {
    Query {
        sql: sql.into_text(),
        args: Vec::new(),
        error: None,
        _borrows: PhantomData,
    }
}

pub fn query_with(sql: impl SqlSafeStr, args: Args) -> Query<'static> {
    Query {
        sql: sql.into_text(),
        args: args.0,
        error: None,
        _borrows: PhantomData,
    }
}

impl<'q> Query<'q> {
    pub fn bind<T: ToSql>(mut self, value: T) -> Self {
        match owned(&value) {
            Ok(v) => self.args.push(v),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    fn checked(self) -> Result<(Cow<'static, str>, Vec<Value>), Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok((self.sql, self.args)),
        }
    }

    /// Runs the statement to its end (rows it returns are read and dropped).
    pub async fn execute(self, c: &mut Connection) -> Result<QueryResult, Error> {
        let (sql, args) = self.checked()?;
        let mut stmt = prepare(c, &sql, &args)?;
        let mut rows = stmt.raw_query();
        while rows.next()?.is_some() {}
        drop(rows);
        drop(stmt);
        Ok(QueryResult {
            rows_affected: c.changes(),
        })
    }

    pub async fn fetch_all(self, c: &mut Connection) -> Result<Vec<DbRow>, Error> {
        let (sql, args) = self.checked()?;
        let mut out = Vec::new();
        run(c, &sql, &args, usize::MAX, |row| out.push(row))?;
        Ok(out)
    }

    pub async fn fetch_optional(self, c: &mut Connection) -> Result<Option<DbRow>, Error> {
        let (sql, args) = self.checked()?;
        let mut out = None;
        run(c, &sql, &args, 1, |row| out = Some(row))?;
        Ok(out)
    }

    pub async fn fetch_one(self, c: &mut Connection) -> Result<DbRow, Error> {
        self.fetch_optional(c).await?.ok_or(Error::QueryReturnedNoRows)
    }
}

/// A query whose rows are one value each.
pub struct QueryScalar<'q, O> {
    inner: Query<'q>,
    _output: PhantomData<fn() -> O>,
}

pub fn query_scalar<O>(sql: impl SqlSafeStr) -> QueryScalar<'static, O> {
    QueryScalar {
        inner: query(sql),
        _output: PhantomData,
    }
}

pub fn query_scalar_with<O>(sql: impl SqlSafeStr, args: Args) -> QueryScalar<'static, O> {
    QueryScalar {
        inner: query_with(sql, args),
        _output: PhantomData,
    }
}

impl<'q, O: for<'r> Decode<'r>> QueryScalar<'q, O> {
    pub fn bind<T: ToSql>(self, value: T) -> Self {
        Self {
            inner: self.inner.bind(value),
            _output: PhantomData,
        }
    }

    pub async fn fetch_one(self, c: &mut Connection) -> Result<O, Error> {
        self.inner.fetch_one(c).await?.try_get(0usize)
    }
}

/// A row read out of its statement, so that it outlives it.
pub struct DbRow {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

/// Where a column is: by name or by position.
pub trait ColumnIndex {
    fn position(&self, row: &DbRow) -> Result<usize, Error>;
}

impl ColumnIndex for &str {
    fn position(&self, row: &DbRow) -> Result<usize, Error> {
        row.columns
            .iter()
            .position(|c| c == self)
            .ok_or_else(|| Error::InvalidColumnName((*self).to_owned()))
    }
}

impl ColumnIndex for usize {
    fn position(&self, row: &DbRow) -> Result<usize, Error> {
        if *self < row.values.len() {
            Ok(*self)
        } else {
            Err(Error::InvalidColumnIndex(*self))
        }
    }
}

/// Reading a column's value (named as sqlx names it).
pub trait Row {
    fn try_get<'r, T: Decode<'r>, I: ColumnIndex>(&'r self, index: I) -> Result<T, Error>;
}

impl Row for DbRow {
    fn try_get<'r, T: Decode<'r>, I: ColumnIndex>(&'r self, index: I) -> Result<T, Error> {
        let i = index.position(self)?;
        let value = &self.values[i];
        T::decode(value)
            .ok_or_else(|| Error::InvalidColumnType(i, self.columns[i].clone(), ValueRef::from(value).data_type()))
    }
}

/// A Rust value read from a column; `None` if the column holds another type.
pub trait Decode<'r>: Sized {
    fn decode(value: &'r Value) -> Option<Self>;
}

impl Decode<'_> for i64 {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

impl Decode<'_> for bool {
    fn decode(value: &Value) -> Option<Self> {
        i64::decode(value).map(|i| i != 0)
    }
}

impl Decode<'_> for f64 {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Real(f) => Some(*f),
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl Decode<'_> for String {
    fn decode(value: &Value) -> Option<Self> {
        match value {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl<'r> Decode<'r> for &'r str {
    fn decode(value: &'r Value) -> Option<Self> {
        match value {
            Value::Text(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

impl<'r, T: Decode<'r>> Decode<'r> for Option<T> {
    fn decode(value: &'r Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::decode(other).map(Some),
        }
    }
}

/// SQL assembled piece by piece, with values bound as it goes (`$N` numbered in order).
pub struct QueryBuilder<DB> {
    sql: String,
    args: Vec<Value>,
    error: Option<Error>,
    _db: PhantomData<DB>,
}

impl<DB> QueryBuilder<DB> {
    pub fn new(init: impl Into<String>) -> Self {
        Self {
            sql: init.into(),
            args: Vec::new(),
            error: None,
            _db: PhantomData,
        }
    }

    pub fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        let _ = write!(self.sql, "{sql}");
        self
    }

    pub fn push_bind<T: ToSql>(&mut self, value: T) -> &mut Self {
        match owned(&value) {
            Ok(v) => {
                self.args.push(v);
                let n = self.args.len();
                self.push(format_args!("${n}"));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Values pushed through the result are separated by `separator`.
    pub fn separated(&mut self, separator: &'static str) -> Separated<'_, DB> {
        Separated {
            builder: self,
            separator,
            first: true,
        }
    }

    pub fn build(&mut self) -> Query<'_> {
        Query {
            sql: Cow::Owned(std::mem::take(&mut self.sql)),
            args: std::mem::take(&mut self.args),
            error: self.error.take(),
            _borrows: PhantomData,
        }
    }
}

pub struct Separated<'b, DB> {
    builder: &'b mut QueryBuilder<DB>,
    separator: &'static str,
    first: bool,
}

impl<DB> Separated<'_, DB> {
    pub fn push_bind<T: ToSql>(&mut self, value: T) -> &mut Self {
        if !self.first {
            self.builder.push(self.separator);
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        Connection::open_in_memory().expect("in-memory database")
    }

    #[tokio::test]
    async fn binds_by_the_number_in_the_placeholder() {
        let mut c = conn();
        let row = query("SELECT $2 AS b, $1 AS a, $2 || $1 AS ba")
            .bind(1i64)
            .bind("two")
            .fetch_one(&mut c)
            .await;
        let row = row.expect("query runs");
        assert_eq!(row.try_get::<i64, _>("a").ok(), Some(1));
        assert_eq!(row.try_get::<&str, _>("b").ok(), Some("two"));
        assert_eq!(row.try_get::<String, _>("ba").ok().as_deref(), Some("two1"));
        assert!(row.try_get::<i64, _>("b").is_err(), "text is not an integer");
        assert!(row.try_get::<i64, _>("missing").is_err());
    }

    #[tokio::test]
    async fn nulls_options_and_missing_arguments() {
        let mut c = conn();
        let row = query("SELECT $1 AS n, $2 AS t")
            .bind(None::<i64>)
            .bind(true)
            .fetch_one(&mut c)
            .await;
        let row = row.expect("query runs");
        assert_eq!(row.try_get::<Option<i64>, _>("n").ok(), Some(None));
        assert_eq!(row.try_get::<bool, _>("t").ok(), Some(true));
        assert!(query("SELECT $2").bind(1i64).fetch_one(&mut c).await.is_err());
        assert!(query("SELECT 1 WHERE 0").fetch_one(&mut c).await.is_err());
        assert!(
            query("SELECT 1 WHERE 0")
                .fetch_optional(&mut c)
                .await
                .ok()
                .flatten()
                .is_none()
        );
    }

    #[tokio::test]
    async fn builder_numbers_its_values_in_order() {
        let mut c = conn();
        let mut q = QueryBuilder::<Sqlite>::new("SELECT 1 WHERE 3 IN (");
        let mut list = q.separated(", ");
        for n in [1i64, 2, 3] {
            list.push_bind(n);
        }
        q.push(") AND ").push_bind("x").push(" = 'x'");
        let rows = q.build().fetch_all(&mut c).await.expect("query runs");
        assert_eq!(rows.len(), 1);
        let n: i64 = query_scalar("SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 2)")
            .fetch_one(&mut c)
            .await
            .expect("query runs");
        assert_eq!(n, 2);
    }
}
