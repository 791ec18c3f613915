//! ferrodesk on embedded SQLite.
//!
//! WAL journal (readers never wait for the writer), `synchronous = NORMAL` (a committed transaction survives
//! a crash of the process; only a power loss may drop the last commits), foreign keys on, a busy timeout,
//! and exactly one writer connection whose transactions start with `BEGIN IMMEDIATE`, so writers queue for
//! it instead of failing with `SQLITE_BUSY` half-way through a transaction. Concurrent writes share commits
//! (see [`batch`]).

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use store::{Reader, Result, Store, StoreError, Writer};

type Db = Sqlite;
type DbConn = sqlx::SqliteConnection;
type DbRow = sqlx::sqlite::SqliteRow;

mod sql {
    include!("../../store/sql/shared.rs");
    include!("../../store/sql/queue.rs");
}
use sql::{SqlConn, map_err};

mod batch;
mod dialect;

/// How many read connections to keep; reads run in parallel with the one writer.
const READERS: u32 = 8;

pub struct SqliteStore {
    read: SqlitePool,
    writers: Arc<batch::Writers>,
    committer: tokio::task::JoinHandle<()>,
}

impl SqliteStore {
    /// Opens (creating the file and its directory if needed) and migrates the database at `url`
    /// (`sqlite://path/to.db`, `sqlite:path`, or `sqlite::memory:` for a private in-memory database).
    pub async fn open(url: &str) -> Result<Self> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Unavailable(
                "an in-memory SQLite database cannot be shared by the reader and writer connections; use a file".into(),
            ));
        }
        if let Some(dir) = file_path(url).and_then(|p| p.parent().map(Path::to_path_buf))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create directory {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        let mut write = options
            .connect()
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open SQLite database {url:?}: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&mut write)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot migrate SQLite database {url:?}: {e}")))?;
        // A file connection does not go stale: no ping (a round trip to the connection's thread) per acquire.
        let read = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(0)
            .test_before_acquire(false)
            .idle_timeout(Duration::from_secs(300))
            .connect_with(options.read_only(true))
            .await
            .map_err(map_err)?;
        let (writers, committer) = batch::Writers::start(write);
        Ok(Self {
            read,
            writers,
            committer,
        })
    }
}

/// The file behind a `sqlite:` URL, if it names one.
fn file_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| Path::new(path))
}

#[async_trait]
impl Store for SqliteStore {
    async fn read(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(SqlConn::new(self.read.acquire().await.map_err(map_err)?)))
    }

    async fn write(&self) -> Result<Box<dyn Writer>> {
        Ok(Box::new(SqlConn::new(self.writers.begin().await?)))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(map_err)
            .map(drop)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn close(&self) {
        self.writers.flush().await;
        self.committer.abort();
        self.read.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths() {
        assert_eq!(file_path("sqlite://data/x.db"), Some(Path::new("data/x.db")));
        assert_eq!(file_path("sqlite:x.db?mode=rwc"), Some(Path::new("x.db")));
        assert_eq!(file_path("postgres://x"), None);
    }
}
