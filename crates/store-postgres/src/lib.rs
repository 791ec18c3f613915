//! ferrodesk on PostgreSQL: many `serve` nodes may share one database.
//!
//! Writers run concurrently and lock what they read for update (`FOR UPDATE`); background work is claimed
//! with `FOR UPDATE SKIP LOCKED`, so each job runs once however many nodes there are.

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;
use store::{Reader, Result, Store, StoreError, Writer};

type Db = Postgres;
type DbConn = sqlx::PgConnection;
type DbRow = sqlx::postgres::PgRow;

/// What the shared SQL calls, from sqlx (the SQLite backend has its own module of this name).
mod db {
    pub use sqlx::{Arguments, AssertSqlSafe, QueryBuilder, Row, query, query_scalar, query_scalar_with, query_with};
    use store::StoreError;

    pub type Args = sqlx::postgres::PgArguments;
    pub type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, Args>;

    /// Maps a driver error onto the store's error, keeping constraint names and never panicking.
    pub fn map_err(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) => {
                let what = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                if db.is_unique_violation() {
                    StoreError::Conflict(what)
                } else if db.is_foreign_key_violation() {
                    StoreError::Reference(what)
                } else if crate::dialect::is_unavailable(db.as_ref()) {
                    StoreError::Unavailable(db.message().to_owned())
                } else {
                    StoreError::Internal(e.to_string())
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Internal(e.to_string()),
        }
    }
}

mod sql {
    include!("../../store/sql/shared.rs");
    include!("../../store/sql/queue.rs");

    #[async_trait::async_trait]
    impl Conn for sqlx::pool::PoolConnection<Db> {
        async fn db(&mut self) -> Result<&mut DbConn> {
            Ok(&mut **self)
        }
    }

    #[async_trait::async_trait]
    impl Conn for sqlx::Transaction<'static, Db> {
        async fn db(&mut self) -> Result<&mut DbConn> {
            Ok(&mut **self)
        }
    }

    #[async_trait::async_trait]
    impl Finish for sqlx::Transaction<'static, Db> {
        async fn finish(self) -> Result<()> {
            self.commit().await.map_err(map_err)
        }
    }
}
use sql::{SqlConn, map_err};

mod dialect;
pub mod dump;

pub struct PostgresStore {
    pool: PgPool,
}

/// Pool settings: how many connections one node may hold.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    pub max_connections: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        Self { max_connections: 16 }
    }
}

impl PostgresStore {
    /// Connects to `url` and applies pending migrations. Several nodes may start at once: sqlx takes an
    /// advisory lock around migrations.
    pub async fn open(url: &str, size: PoolSize) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?
            .application_name("ferrodesk");
        let pool = PgPoolOptions::new()
            .max_connections(size.max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot migrate PostgreSQL database: {e}")))?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn read(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(SqlConn::new(self.pool.acquire().await.map_err(map_err)?)))
    }

    async fn write(&self) -> Result<Box<dyn Writer>> {
        Ok(Box::new(SqlConn::new(self.pool.begin().await.map_err(map_err)?)))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)
            .map(drop)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
