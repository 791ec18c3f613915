//! Export and restore on SQLite: a snapshot is one read transaction on a connection of its own; a load
//! runs in one transaction with a rollback journal instead of the WAL, so loading millions of rows into an
//! empty file neither doubles it in a WAL nor leaves half a copy behind when it fails.

use crate::{connect, file_path};
use async_trait::async_trait;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, Statement};
use store::dump::{
    Cell, Column, Kind, Loader, Snapshot, TABLES, Table, insert_batch, insert_sql, page_rows, select_page_sql,
};
use store::{Result, StoreError};

fn failed(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| StoreError::internal_from(what.to_owned(), e)
}

/// A read transaction over the database at `url`, which must exist (a running server may keep writing:
/// the snapshot does not see its later commits).
pub fn snapshot(url: &str) -> Result<Box<dyn Snapshot>> {
    let path = file_path(url)
        .ok_or_else(|| StoreError::unavailable(format!("bad SQLite URL {url:?}: expected sqlite://path/to.db")))?;
    if !path.exists() {
        return Err(StoreError::unavailable(format!(
            "there is no database at {}",
            path.display()
        )));
    }
    let conn = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(failed("cannot open the database"))?;
    conn.execute_batch("BEGIN")
        .map_err(failed("cannot begin a read transaction"))?;
    Ok(Box::new(SqliteSnapshot { conn }))
}

struct SqliteSnapshot {
    conn: Connection,
}

#[async_trait]
impl Snapshot for SqliteSnapshot {
    async fn count(&mut self, table: &'static Table) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM {}", table.name);
        let n: i64 = self
            .conn
            .query_row(&sql, [], |r| r.get(0))
            .map_err(failed(&format!("cannot count {}", table.name)))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn rows(&mut self, table: &'static Table, after_id: i64, limit: u32) -> Result<Vec<Vec<Cell>>> {
        let what = format!("cannot read {}", table.name);
        let limit = page_rows(table, limit);
        let mut stmt = self
            .conn
            .prepare_cached(&select_page_sql(table))
            .map_err(failed(&what))?;
        stmt.raw_bind_parameter(1, after_id).map_err(failed(&what))?;
        stmt.raw_bind_parameter(2, i64::from(limit)).map_err(failed(&what))?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::with_capacity(limit as usize);
        while let Some(row) = rows.next().map_err(failed(&what))? {
            let mut cells = Vec::with_capacity(table.columns.len());
            for (i, column) in table.columns.iter().enumerate() {
                cells.push(cell(row.get_ref(i).map_err(failed(&what))?, column, table)?);
            }
            out.push(cells);
        }
        Ok(out)
    }
}

/// A stored value as the copy carries it (booleans are integers in SQLite).
fn cell(value: ValueRef<'_>, column: &Column, table: &Table) -> Result<Cell> {
    let wrong = || {
        StoreError::internal(format!(
            "{}.{} holds {:?}, which is not a {:?}",
            table.name,
            column.name,
            value.data_type(),
            column.kind
        ))
    };
    match (value, column.kind) {
        (ValueRef::Null, _) if column.nullable => Ok(Cell::Null),
        (ValueRef::Integer(i), Kind::Int) => Ok(Cell::Int(i)),
        (ValueRef::Integer(i), Kind::Bool) => Ok(Cell::Bool(i != 0)),
        (ValueRef::Text(t), Kind::Text) => std::str::from_utf8(t)
            .map(|s| Cell::Text(s.to_owned()))
            .map_err(|_| wrong()),
        (ValueRef::Blob(b), Kind::Bytes) => Ok(Cell::Bytes(b.to_vec())),
        _ => Err(wrong()),
    }
}

/// Creates and migrates the database at `url` if needed, and starts loading into it; refuses a database
/// that holds any of ferrodesk's rows. No server may use the file meanwhile.
#[allow(
    clippy::unused_async,
    reason = "starts a load like the PostgreSQL loader, so callers treat both backends alike"
)]
pub async fn loader(url: &str) -> Result<Box<dyn Loader>> {
    let path = file_path(url)
        .ok_or_else(|| StoreError::unavailable(format!("bad SQLite URL {url:?}: expected sqlite://path/to.db")))?;
    // Private directory and file: the copy holds password and token hashes.
    crate::files::prepare(path)?;
    let mut conn = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
        .map_err(failed("cannot open the database"))?;
    // Leaving WAL mode needs the only connection to the file: a running server makes this fail.
    conn.execute_batch("PRAGMA journal_mode = TRUNCATE").map_err(|e| {
        StoreError::unavailable_from("cannot take the database for a restore (is a server running on it?)", e)
    })?;
    crate::migrate::run(&mut conn).map_err(|e| StoreError::unavailable_from("cannot migrate the database", e))?;
    conn.execute_batch("PRAGMA cache_size = -262144; BEGIN IMMEDIATE")
        .map_err(failed("cannot begin the restore"))?;
    for table in TABLES {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", table.name);
        let any: bool = conn
            .query_row(&sql, [], |r| r.get(0))
            .map_err(failed(&format!("cannot read {}", table.name)))?;
        if any {
            // Not a condition of the moment, but nothing a retry fixes either: the operator must pick an
            // empty database.
            return Err(StoreError::unavailable(format!(
                "the database is not empty ({} has rows): restore only into an empty database",
                table.name
            )));
        }
    }
    Ok(Box::new(SqliteLoader { conn: Some(conn) }))
}

struct SqliteLoader {
    conn: Option<Connection>,
}

impl SqliteLoader {
    fn conn(&mut self) -> Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::internal("the restore has finished"))
    }
}

fn bind(stmt: &mut Statement<'_>, index: usize, cell: &Cell) -> rusqlite::Result<()> {
    match cell {
        Cell::Null => stmt.raw_bind_parameter(index, Value::Null),
        Cell::Int(v) => stmt.raw_bind_parameter(index, v),
        Cell::Text(v) => stmt.raw_bind_parameter(index, v.as_str()),
        Cell::Bool(v) => stmt.raw_bind_parameter(index, i64::from(*v)),
        Cell::Bytes(v) => stmt.raw_bind_parameter(index, v.as_slice()),
    }
}

#[async_trait]
impl Loader for SqliteLoader {
    async fn insert(&mut self, table: &'static Table, columns: &[&'static Column], rows: &[Vec<Cell>]) -> Result<()> {
        let conn = self.conn()?;
        let what = format!("cannot restore {}", table.name);
        for chunk in rows.chunks(insert_batch(table)) {
            let mut stmt = conn
                .prepare_cached(&insert_sql(table, columns, chunk.len()))
                .map_err(failed(&what))?;
            let mut index = 0;
            for row in chunk {
                for cell in row {
                    index += 1;
                    bind(&mut stmt, index, cell).map_err(failed(&what))?;
                }
            }
            stmt.raw_execute().map_err(crate::conn::map_err)?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::internal("the restore has finished"))?;
        // New tickets and replies are indexed by the statements that insert them, not by triggers
        // (migration 0003), so a load indexes them here, once per ticket.
        conn.execute_batch(REBUILD_TICKET_SEARCH)
            .map_err(failed("cannot rebuild the ticket search index"))?;
        conn.execute_batch(crate::vocabulary::FILL_FROM_INDEX)
            .map_err(failed("cannot rebuild the ticket search vocabulary"))?;
        for sql in store::dump::DERIVED_FROM_ROWS {
            conn.execute_batch(&sql.replace("DOUBLE PRECISION", "REAL"))
                .map_err(failed("cannot derive what follows from the loaded rows"))?;
        }
        conn.execute_batch(REBUILD_PHONE_KEYS)
            .map_err(failed("cannot index the phone numbers"))?;
        conn.execute_batch(REBUILD_TAGS)
            .map_err(failed("cannot index the tags"))?;
        conn.execute_batch("COMMIT").map_err(crate::conn::map_err)?;
        conn.execute_batch("PRAGMA journal_mode = WAL")
            .map_err(failed("cannot return the database to WAL mode"))?;
        Ok(())
    }
}

/// The phone keys of migration 0025, from the loaded numbers.
const REBUILD_PHONE_KEYS: &str = "
    UPDATE customers SET phone_key = ferrodesk_phone_key(phone) WHERE phone IS NOT NULL;
    UPDATE end_users SET phone_key = ferrodesk_phone_key(phone) WHERE phone IS NOT NULL;
";

const REBUILD_TAGS: &str = "
    DELETE FROM entity_tags;
    INSERT INTO entity_tags (entity, tag, entity_id)
        SELECT DISTINCT 'customer', j.value, c.id FROM customers c, json_each(c.tags) j;
    INSERT INTO entity_tags (entity, tag, entity_id)
        SELECT DISTINCT 'end_user', j.value, e.id FROM end_users e, json_each(e.tags) j;
";

// Each message after a line break, as the statements that index new replies write it.
const REBUILD_TICKET_SEARCH: &str = "
    DELETE FROM ticket_fts;
    INSERT INTO ticket_fts (rowid, title, body, notes)
    SELECT t.id, t.title,
        coalesce((SELECT group_concat(char(10) || message, '') FROM (SELECT message FROM replies
                  WHERE ticket_id = t.id AND internal = 0 ORDER BY id)), ''),
        coalesce((SELECT group_concat(char(10) || message, '') FROM (SELECT message FROM replies
                  WHERE ticket_id = t.id AND internal <> 0 ORDER BY id)), '')
    FROM tickets t;
";
