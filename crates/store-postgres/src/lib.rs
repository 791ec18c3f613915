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

mod sql {
    include!("../../store/sql/shared.rs");
    include!("../../store/sql/queue.rs");
}
use sql::{SqlConn, map_err};

mod dialect;

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
