//! Export and restore on PostgreSQL: a snapshot is one `REPEATABLE READ` read-only transaction; a load is
//! one transaction that inserts the rows with the search triggers off, then builds each ticket's search
//! document once and moves the id sequences past the loaded ids.

use crate::{PoolSize, PostgresStore};
use async_trait::async_trait;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgRow};
use sqlx::query::Query;
use sqlx::{ConnectOptions, Connection, PgConnection, Postgres, Row};
use std::str::FromStr;
use store::dump::{
    Cell, Column, Kind, Loader, Snapshot, TABLES, Table, insert_batch, insert_sql, page_rows, select_page_sql,
};
use store::{Result, Store, StoreError};

/// Tables whose triggers keep the ticket search index; a load turns them off and builds the index once.
const INDEXED: [&str; 2] = ["tickets", "replies"];

async fn connect(url: &str) -> Result<PgConnection> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::unavailable_from("bad PostgreSQL URL", e))?
        .application_name("ferrodesk-dump")
        // A copy's statements are long by nature (the search index of a million tickets takes minutes);
        // sqlx would warn about every one of them.
        .disable_statement_logging();
    PgConnection::connect_with(&options)
        .await
        .map_err(|e| StoreError::unavailable_from("cannot connect to PostgreSQL", e))
}

async fn run(conn: &mut PgConnection, sql: String) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map_err(crate::map_err)
        .map(drop)
}

/// A read-only snapshot of the database at `url` (a running server may keep writing).
pub async fn snapshot(url: &str) -> Result<Box<dyn Snapshot>> {
    let mut conn = connect(url).await?;
    run(&mut conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".into()).await?;
    Ok(Box::new(PgSnapshot { conn }))
}

struct PgSnapshot {
    conn: PgConnection,
}

#[async_trait]
impl Snapshot for PgSnapshot {
    async fn count(&mut self, table: &'static Table) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {}", table.name)))
            .fetch_one(&mut self.conn)
            .await
            .map_err(crate::map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn rows(&mut self, table: &'static Table, after_id: i64, limit: u32) -> Result<Vec<Vec<Cell>>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_page_sql(table)))
            .bind(after_id)
            .bind(i64::from(page_rows(table, limit)))
            .fetch_all(&mut self.conn)
            .await
            .map_err(crate::map_err)?;
        rows.iter().map(|row| cells(row, table)).collect()
    }
}

fn cells(row: &PgRow, table: &Table) -> Result<Vec<Cell>> {
    let decode = |column: &Column, e: sqlx::Error| {
        StoreError::internal_from(format!("cannot read {}.{}", table.name, column.name), e)
    };
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let cell = match column.kind {
                Kind::Int => row.try_get::<Option<i64>, _>(i).map(|v| v.map(Cell::Int)),
                Kind::Text => row.try_get::<Option<String>, _>(i).map(|v| v.map(Cell::Text)),
                Kind::Bool => row.try_get::<Option<bool>, _>(i).map(|v| v.map(Cell::Bool)),
                Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i).map(|v| v.map(Cell::Bytes)),
            }
            .map_err(|e| decode(column, e))?;
            Ok(cell.unwrap_or(Cell::Null))
        })
        .collect()
}

/// Creates the schema at `url` if needed and starts loading into it; refuses a database that holds any of
/// ferrodesk's rows.
pub async fn loader(url: &str) -> Result<Box<dyn Loader>> {
    PostgresStore::open(url, PoolSize { max_connections: 1 })
        .await?
        .close()
        .await;
    let mut conn = connect(url).await?;
    run(&mut conn, "BEGIN".into()).await?;
    for table in TABLES {
        let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {})",
            table.name
        )))
        .fetch_one(&mut conn)
        .await
        .map_err(crate::map_err)?;
        if any {
            // Not a condition of the moment, but nothing a retry fixes either: the operator must pick an
            // empty database.
            return Err(StoreError::unavailable(format!(
                "the database is not empty ({} has rows): restore only into an empty database",
                table.name
            )));
        }
    }
    for table in INDEXED {
        run(&mut conn, format!("ALTER TABLE {table} DISABLE TRIGGER USER")).await?;
    }
    // The search indexes are built once at the end, as migrations build them: filling an indexed GIN table
    // row by row merges its pending list over and over (it took longer than loading every row). Their
    // definitions are read from the catalogue, so they come back exactly as the migrations made them.
    let search_indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam \
         WHERE i.indrelid IN ('ticket_search'::regclass, 'customers'::regclass, 'end_users'::regclass) \
         AND am.amname = 'gin'",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(crate::map_err)?;
    for (name, _) in &search_indexes {
        run(&mut conn, format!("DROP INDEX {name}")).await?;
    }
    Ok(Box::new(PgLoader {
        conn: Some(conn),
        search_indexes,
    }))
}

struct PgLoader {
    conn: Option<PgConnection>,
    /// The GIN search indexes (name, definition), dropped while loading and made again at the end.
    search_indexes: Vec<(String, String)>,
}

/// Binds a cell as its column's type, so that a null is typed too.
fn bind<'q>(q: Query<'q, Postgres, PgArguments>, column: &Column, cell: &Cell) -> Query<'q, Postgres, PgArguments> {
    match (column.kind, cell) {
        (Kind::Int, Cell::Int(v)) => q.bind(Some(*v)),
        (Kind::Text, Cell::Text(v)) => q.bind(Some(v.clone())),
        (Kind::Bool, Cell::Bool(v)) => q.bind(Some(*v)),
        (Kind::Bytes, Cell::Bytes(v)) => q.bind(Some(v.clone())),
        (Kind::Int, _) => q.bind(None::<i64>),
        (Kind::Text, _) => q.bind(None::<String>),
        (Kind::Bool, _) => q.bind(None::<bool>),
        (Kind::Bytes, _) => q.bind(None::<Vec<u8>>),
    }
}

#[async_trait]
impl Loader for PgLoader {
    async fn insert(&mut self, table: &'static Table, columns: &[&'static Column], rows: &[Vec<Cell>]) -> Result<()> {
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| StoreError::internal("the restore has finished"))?;
        for chunk in rows.chunks(insert_batch(table)) {
            let sql = insert_sql(table, columns, chunk.len());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for (column, cell) in columns.iter().zip(row) {
                    q = bind(q, column, cell);
                }
            }
            q.execute(&mut *conn).await.map_err(crate::map_err)?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        let mut conn = self
            .conn
            .take()
            .ok_or_else(|| StoreError::internal("the restore has finished"))?;
        // Statistics first: tables loaded in this very transaction have none yet to plan the rebuild by.
        run(&mut conn, "ANALYZE tickets, replies".into()).await?;
        // Every document in one pass over the replies grouped by ticket (migration 0006); memory for that
        // grouping and for building the index afterwards, for this transaction only.
        run(&mut conn, "SET LOCAL work_mem = '256MB'".into()).await?;
        run(&mut conn, "SET LOCAL maintenance_work_mem = '256MB'".into()).await?;
        run(
            &mut conn,
            "INSERT INTO ticket_search (ticket_id, doc) SELECT ticket_id, doc FROM ticket_search_documents()".into(),
        )
        .await?;
        for (_, definition) in std::mem::take(&mut self.search_indexes) {
            run(&mut conn, definition).await?;
        }
        run(&mut conn, "ANALYZE ticket_search".into()).await?;
        // The search vocabulary from the documents just built (migration 0007).
        run(&mut conn, "SELECT ticket_terms_fill()".into()).await?;
        // Keyword lists of people choose their plan by the statistics of the search index expressions
        // (migration 0011), which only ANALYZE gathers.
        run(&mut conn, "ANALYZE customers, end_users".into()).await?;
        for sql in store::dump::DERIVED_FROM_ROWS {
            run(&mut conn, (*sql).into()).await?;
        }
        for sql in REBUILD_PHONE_KEYS.iter().chain(REBUILD_TAGS) {
            run(&mut conn, (*sql).into()).await?;
        }
        for table in INDEXED {
            run(&mut conn, format!("ALTER TABLE {table} ENABLE TRIGGER USER")).await?;
        }
        for table in TABLES {
            let name = table.name;
            run(
                &mut conn,
                format!(
                    "SELECT setval(pg_get_serial_sequence('{name}', 'id'), \
                     coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                ),
            )
            .await?;
        }
        run(&mut conn, "COMMIT".into()).await?;
        conn.close().await.map_err(crate::map_err)
    }
}

/// The phone keys of migration 0026, from the loaded numbers (as `store_sql::phone_key` computes them).
const REBUILD_PHONE_KEYS: &[&str] = &[
    "UPDATE customers SET phone_key = NULLIF(reverse(regexp_replace(phone, '[^0-9]', '', 'g')), '') \
     WHERE phone IS NOT NULL",
    "UPDATE end_users SET phone_key = NULLIF(reverse(regexp_replace(phone, '[^0-9]', '', 'g')), '') \
     WHERE phone IS NOT NULL",
];

/// The tag rows, indexed again from the entities' `tags` (as migration 0009 first made them).
const REBUILD_TAGS: &[&str] = &[
    "DELETE FROM entity_tags",
    "INSERT INTO entity_tags (entity, tag, entity_id) SELECT DISTINCT 'customer', j.value, c.id \
     FROM customers c, jsonb_array_elements_text(c.tags::jsonb) j",
    "INSERT INTO entity_tags (entity, tag, entity_id) SELECT DISTINCT 'end_user', j.value, e.id \
     FROM end_users e, jsonb_array_elements_text(e.tags::jsonb) j",
];
