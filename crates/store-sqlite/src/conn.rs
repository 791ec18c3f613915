//! The shared SQL's connection interface over rusqlite, run on the calling thread.
//!
//! SQLite is a library, not a server: a statement on a warm page cache takes microseconds, so it runs where
//! it is called. sqlx instead gives each SQLite connection a thread of its own and sends it every
//! statement; on two cores those two thread switches per statement cost more than the statements, and on
//! the one writer connection every other writer waited for them (docs/architecture.md has the figures).
//!
//! Placeholders are `$N` as in PostgreSQL; SQLite reads `$1` as a parameter *named* "$1", so values are
//! bound by the number in each parameter's name, not by position. Statements come from the connection's
//! prepared-statement cache; rows are read where SQLite holds them, never copied.
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, Connection, ToSql};
use std::cell::Cell;
use store::{ForeignKey, Result, StoreError, UniqueKey};
use store_sql::{Row, RowMap, Value};

/// Implements the shared SQL's connection interface and the SQLite dialect for a connection type with a
/// `db()` method that hands out the rusqlite connection (a pooled reader, or a unit on the writer that
/// first sends what it queued): both run the very same statements.
macro_rules! sqlite_connection {
    ($connection:ty) => {
        impl store_sql::Connection for $connection {
            async fn execute(&mut self, sql: store_sql::Sql, params: &[store_sql::Value]) -> store::Result<u64> {
                $crate::conn::execute(self.db()?, sql.as_str(), params)
            }

            async fn fetch_optional<T: Send>(
                &mut self,
                sql: store_sql::Sql,
                params: &[store_sql::Value],
                map: store_sql::RowMap<T>,
            ) -> store::Result<Option<T>> {
                $crate::conn::fetch_optional(self.db()?, sql.as_str(), params, map)
            }

            async fn fetch_all<T: Send>(
                &mut self,
                sql: store_sql::Sql,
                params: &[store_sql::Value],
                map: store_sql::RowMap<T>,
            ) -> store::Result<Vec<T>> {
                $crate::conn::fetch_all(self.db()?, sql.as_str(), params, map)
            }
        }

        impl store_sql::Dialect for $connection {
            const FOR_UPDATE: &'static str = $crate::dialect::FOR_UPDATE;
            const FOR_SHARE: &'static str = "";
            const SKIP_LOCKED: &'static str = "";

            fn push_ticket_terms(query: &mut store_sql::QueryBuilder, terms: &[String], internal: bool) {
                $crate::dialect::push_ticket_terms(query, terms, internal);
            }

            const STRING_AGG_VALUES: &'static str = "group_concat(v.value, ' ' ORDER BY v.attribute_id)";

            fn push_person_terms(
                query: &mut store_sql::QueryBuilder,
                entity: domain::AttributeEntity,
                terms: &[String],
                streaming: bool,
            ) {
                $crate::dialect::push_person_terms(query, entity, terms, streaming);
            }

            fn person_terms_table(entity: domain::AttributeEntity) -> Option<&'static str> {
                Some($crate::dialect::person_fts(entity))
            }

            async fn ticket_list_matching(
                &mut self,
                filter: &store::TicketFilter,
            ) -> store::Result<Vec<domain::Ticket>> {
                $crate::dialect::ticket_list_matching(self.db()?, filter)
            }

            async fn search(&mut self, request: &store::SearchRequest) -> store::Result<Vec<store::SearchRow>> {
                $crate::dialect::search(self.db()?, request)
            }
        }
    };
}
pub(crate) use sqlite_connection;

/// Maps a driver error onto the store's error, never panicking. Busy, locked, I/O, full, cannot-open and
/// read-only errors are conditions of the moment, not bugs (a read-only file or file system is fixed by
/// the operator, and the writer reopens then: see [`crate::batch`]); a broken unique key is named by its
/// columns.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    use rusqlite::ffi::{SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    let rusqlite::Error::SqliteFailure(failure, message) = &e else {
        return StoreError::internal_from("SQLite failed", e);
    };
    match (failure.code, failure.extended_code) {
        (_, SQLITE_CONSTRAINT_PRIMARYKEY) => StoreError::Unique(UniqueKey::Id),
        (_, SQLITE_CONSTRAINT_UNIQUE) => StoreError::Unique(unique_key(message.as_deref().unwrap_or_default())),
        // SQLite does not say which foreign key failed.
        (_, SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::Reference(ForeignKey::Unnamed),
        (
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly,
            _,
        ) => StoreError::unavailable_from("SQLite cannot take the statement now", e),
        _ => StoreError::internal_from("SQLite failed", e),
    }
}

/// Whether the error says the connection cannot write to the files (SQLite opens a read-write connection
/// read-only when the file is not writable; a file system remounted read-only fails writes the same way).
/// Such a connection never recovers by itself: it has to be opened again.
pub(crate) fn is_read_only(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly)
}

/// The key a `UNIQUE constraint failed: table.column, …` message names.
fn unique_key(message: &str) -> UniqueKey {
    let columns = message.strip_prefix("UNIQUE constraint failed: ").unwrap_or(message);
    match columns {
        "staff.email" => UniqueKey::StaffEmail,
        "brands.slug" => UniqueKey::BrandSlug,
        "departments.slug" => UniqueKey::DepartmentSlug,
        "customers.external_id" => UniqueKey::CustomerExternalId,
        // The partial index end_users_customer_email (live end users with an email).
        "end_users.customer_id, end_users.email" => UniqueKey::EndUserEmail,
        "api_tokens.secret_hash" => UniqueKey::TokenSecret,
        "customers.email" => UniqueKey::CustomerEmail,
        "attributes.entity, attributes.lower(name)" | "index 'attributes_name'" => UniqueKey::AttributeName,
        "attribute_values.attribute_id, attribute_values.unique_value" => UniqueKey::AttributeValue(None),
        "features.unique_key" => UniqueKey::FeatureKey,
        "subscriptions.customer_id, subscriptions.group_id" => UniqueKey::SubscriptionGroup,
        "billing_links.billing_system, billing_links.billing_id" => UniqueKey::BillingLink,
        "invoices.subscription_id, invoices.period_start" => UniqueKey::InvoicePeriod,
        "ticket_incidents.ticket_id, ticket_incidents.type" => UniqueKey::TicketIncident,
        c if c.ends_with(".id") || c.ends_with(".rowid") => UniqueKey::Id,
        other => UniqueKey::Other(other.to_owned()),
    }
}

/// A parameter value as rusqlite binds it, borrowed.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Int(Some(v)) => ValueRef::Integer(*v),
            Value::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Value::Bool(Some(v)) => ValueRef::Integer(i64::from(*v)),
            Value::Real(Some(v)) => ValueRef::Real(*v),
            Value::Bytes(Some(v)) => ValueRef::Blob(v),
            Value::Int(None) | Value::Text(None) | Value::Bool(None) | Value::Real(None) | Value::Bytes(None) => {
                ValueRef::Null
            }
        }))
    }
}

/// Prepares `sql` (from the connection's statement cache) and binds `params` by the numbers in `$N`.
fn prepare<'c>(c: &'c Connection, sql: &str, params: &[Value]) -> rusqlite::Result<CachedStatement<'c>> {
    let mut stmt = c.prepare_cached(sql)?;
    for index in 1..=stmt.parameter_count() {
        let number = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$').or_else(|| name.strip_prefix('?')))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let value = number
            .checked_sub(1)
            .and_then(|i| params.get(i))
            .ok_or(rusqlite::Error::InvalidParameterCount(number, params.len()))?;
        stmt.raw_bind_parameter(index, Param(value))?;
    }
    Ok(stmt)
}

/// Runs a statement to its end (rows it returns are read and dropped); how many rows it changed.
pub(crate) fn execute(c: &Connection, sql: &str, params: &[Value]) -> Result<u64> {
    let run = || {
        let mut stmt = prepare(c, sql, params)?;
        let mut rows = stmt.raw_query();
        while rows.next()?.is_some() {}
        Ok(c.changes())
    };
    run().map_err(map_err)
}

/// Runs a query and hands each row, mapped, to `each` until it returns false.
fn query<T>(
    c: &Connection,
    sql: &str,
    params: &[Value],
    map: RowMap<T>,
    mut each: impl FnMut(T) -> bool,
) -> Result<()> {
    let mut stmt = prepare(c, sql, params).map_err(map_err)?;
    // Owned names, so that the statement can be borrowed mutably for its rows.
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(map_err)? {
        if !each(map(&SqliteRow {
            row,
            columns: &columns,
            next: Cell::new(0),
        })?) {
            break;
        }
    }
    Ok(())
}

/// Every row of a query, mapped.
pub(crate) fn fetch_all<T>(c: &Connection, sql: &str, params: &[Value], map: RowMap<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    query(c, sql, params, map, |row| {
        out.push(row);
        true
    })?;
    Ok(out)
}

/// The first row of a query, mapped.
pub(crate) fn fetch_optional<T>(c: &Connection, sql: &str, params: &[Value], map: RowMap<T>) -> Result<Option<T>> {
    let mut out = None;
    query(c, sql, params, map, |row| {
        out = Some(row);
        false
    })?;
    Ok(out)
}

/// One row where SQLite holds it, with its statement's column names.
struct SqliteRow<'a> {
    row: &'a rusqlite::Row<'a>,
    columns: &'a [String],
    /// Where the next column is probably: mappings read columns in the order they are selected.
    next: Cell<usize>,
}

impl SqliteRow<'_> {
    fn value(&self, column: &str) -> Result<ValueRef<'_>> {
        let guess = self.next.get();
        let index = if self.columns.get(guess).is_some_and(|c| c == column) {
            guess
        } else {
            self.columns
                .iter()
                .position(|c| c == column)
                .ok_or_else(|| StoreError::internal(format!("the query has no column {column}")))?
        };
        self.next.set(index + 1);
        self.row.get_ref(index).map_err(map_err)
    }
}

fn wrong_type(column: &str, expected: &str, found: ValueRef<'_>) -> StoreError {
    StoreError::internal(format!(
        "column {column}: expected {expected}, found {}",
        found.data_type()
    ))
}

impl Row for SqliteRow<'_> {
    fn int(&self, column: &str) -> Result<Option<i64>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            other => Err(wrong_type(column, "an integer", other)),
        }
    }

    fn float(&self, column: &str) -> Result<Option<f64>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Real(f) => Ok(Some(f)),
            #[allow(clippy::cast_precision_loss)]
            ValueRef::Integer(i) => Ok(Some(i as f64)),
            other => Err(wrong_type(column, "a number", other)),
        }
    }

    fn bool(&self, column: &str) -> Result<Option<bool>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i != 0)),
            other => Err(wrong_type(column, "a boolean", other)),
        }
    }

    fn text(&self, column: &str) -> Result<Option<&str>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(Some)
                .map_err(|e| StoreError::internal_from(format!("column {column} is not UTF-8"), e)),
            other => Err(wrong_type(column, "text", other)),
        }
    }

    fn bytes(&self, column: &str) -> Result<Option<&[u8]>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Ok(Some(b)),
            other => Err(wrong_type(column, "a blob", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store_sql::RowExt;

    fn conn() -> Connection {
        Connection::open_in_memory().expect("in-memory database")
    }

    #[test]
    fn binds_by_the_number_in_the_placeholder() {
        let c = conn();
        let rows = fetch_all(
            &c,
            "SELECT $2 AS b, $1 AS a, $2 || $1 AS ba",
            &[Value::from(1_i64), Value::from("two")],
            |r| {
                Ok((
                    r.get::<i64>("a")?,
                    r.get::<String>("b")?,
                    r.get::<String>("ba")?,
                    r.get::<i64>("b").is_err(),
                ))
            },
        )
        .expect("query runs");
        assert_eq!(rows, vec![(1, "two".to_owned(), "two1".to_owned(), true)]);
    }

    #[test]
    fn nulls_booleans_and_missing_values() {
        let c = conn();
        let params = [Value::Int(None), Value::from(true)];
        let rows = fetch_all(&c, "SELECT $1 AS n, $2 AS t", &params, |r| {
            Ok((
                r.get::<Option<i64>>("n")?,
                r.get::<bool>("t")?,
                r.get::<i64>("n").is_err(),
                r.get::<i64>("x").is_err(),
            ))
        })
        .expect("query runs");
        assert_eq!(rows, vec![(None, true, true, true)]);
        assert!(
            fetch_optional(&c, "SELECT $2", &[Value::from(1_i64)], |_| Ok(())).is_err(),
            "$2 has no value"
        );
        let none = fetch_optional(&c, "SELECT 1 AS one WHERE 0", &[], |r| r.get::<i64>("one"));
        assert_eq!(none.ok(), Some(None));
    }

    #[test]
    fn unique_keys_are_named() {
        assert_eq!(
            unique_key("UNIQUE constraint failed: staff.email"),
            UniqueKey::StaffEmail
        );
        assert_eq!(unique_key("UNIQUE constraint failed: tickets.id"), UniqueKey::Id);
        assert_eq!(
            unique_key("UNIQUE constraint failed: end_users.customer_id, end_users.email"),
            UniqueKey::EndUserEmail
        );
        assert_eq!(
            unique_key("UNIQUE constraint failed: x.a, x.b"),
            UniqueKey::Other("x.a, x.b".to_owned())
        );
    }
}
