//! ferrodesk on embedded SQLite.
//!
//! WAL journal (readers never wait for the writer), `synchronous = NORMAL` (a committed transaction survives
//! a crash of the process; only a power loss may drop the last commits), foreign keys on, a busy timeout,
//! and exactly one writer connection whose transactions start with `BEGIN IMMEDIATE`, so writers queue for
//! it instead of failing with `SQLITE_BUSY` half-way through a transaction. Concurrent writes share commits
//! (see [`batch`]); WAL checkpoints run on a thread of their own, and the writer keeps the WAL under a bound
//! ([`checkpoint`]).
//!
//! Statements run on the calling task's thread through rusqlite ([`conn`]): a point read or an insert on warm
//! pages takes microseconds, less than handing it to another thread would. A slow query (a search of a
//! common word over millions of tickets) occupies its runtime worker for its milliseconds, like any CPU work.

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{Reader, Result, Store, StoreError, Writer};
use store_sql::SqlConn;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

mod batch;
mod checkpoint;
mod conn;
pub use checkpoint::WalBound;
mod dialect;
pub mod dump;
pub mod files;
mod migrate;
mod queue;
mod vocabulary;

/// How many read connections may be open; reads run beside the one writer.
const READERS: usize = 8;

/// Prepared statements kept per connection (the shared SQL has a few dozen; filters and searches add more).
const STATEMENT_CACHE: usize = 256;

/// Longest wait for a free read connection.
const READER_WAIT: Duration = Duration::from_secs(30);

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    readers: Arc<Readers>,
    writers: Arc<batch::Writers>,
    committer: tokio::task::JoinHandle<()>,
    lifetime: Lifetime,
}

/// What the store is opened for, which decides the WAL's upkeep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    /// A server, or a command that writes much (`restore`, `import`): a checkpoint thread copies the WAL
    /// as commits come, and `close` empties it, so that a stopped server's file alone is the database.
    Long,
    /// A command that writes one message and exits (`mail-in`, run once per mail by an MTA): no thread
    /// and no final checkpoint, both of which cost more than its write (a thread's start, and a
    /// `TRUNCATE` checkpoint that waits for every other process on the database). The WAL stays bounded:
    /// the writer empties it past the bound, and a running server's thread copies it as it does its own.
    Command,
}

/// Opens a connection with the settings every connection shares.
fn connect(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")?;
    Ok(conn)
}

/// Opens a connection for writing: `Err` (read-only) when SQLite could open the file for reading only,
/// which it does silently when the file, its directory or the file system is not writable.
fn connect_writable(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = connect(path, flags | OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some(format!("{} is not writable", path.display())),
        ));
    }
    Ok(conn)
}

/// Readies a writer connection, at start and when it is opened again: WAL (readers never wait for the
/// writer), NORMAL (a commit survives a crash of the process), the migrations (which still checkpoint
/// themselves, before the checkpoint thread has commits to follow), then no automatic checkpoints: they
/// run beside the writer, not inside its commits (see `checkpoint`).
fn ready_writer(conn: &mut Connection, wal: &WalBound) -> Result<()> {
    let failed = |e: rusqlite::Error| StoreError::unavailable_from("cannot set up the SQLite writer connection", e);
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .map_err(failed)?;
    let applied =
        migrate::run(conn).map_err(|e| StoreError::unavailable_from("cannot migrate the SQLite database", e))?;
    if applied > 0 {
        // A new database's schema alone fills most of the WAL bound: copied into the database now, the WAL
        // starts empty instead of at its limit.
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(failed)?;
    }
    checkpoint::configure_writer(conn, wal).map_err(failed)
}

impl SqliteStore {
    /// Opens (creating the file and its directory if needed) and migrates the database at `url`
    /// (`sqlite://path/to.db` or `sqlite:path`; an in-memory database cannot be shared by the connections).
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, WalBound::default()).await
    }

    /// [`SqliteStore::open`] with the WAL kept under `wal` instead of the default bound.
    #[allow(
        clippy::unused_async,
        reason = "opens like PostgresStore::open, so callers treat both backends alike"
    )]
    pub async fn open_with(url: &str, wal: WalBound) -> Result<Self> {
        Self::open_for(url, wal, Lifetime::Long)
    }

    /// [`SqliteStore::open`] for a command that writes one message and exits (`mail-in`): the schema is
    /// migrated as always, but no checkpoint thread runs and `close` leaves the WAL to the next checkpoint
    /// (a running server's, or the writer's own once the WAL outgrows its bound).
    #[allow(
        clippy::unused_async,
        reason = "opens like PostgresStore::open, so callers treat both backends alike"
    )]
    pub async fn open_for_command(url: &str) -> Result<Self> {
        Self::open_for(url, WalBound::default(), Lifetime::Command)
    }

    fn open_for(url: &str, wal: WalBound, lifetime: Lifetime) -> Result<Self> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::unavailable(
                "an in-memory SQLite database cannot be shared by the reader and writer connections; use a file",
            ));
        }
        let path = file_path(url)
            .ok_or_else(|| StoreError::unavailable(format!("bad SQLite URL {url:?}: expected sqlite://path/to.db")))?
            .to_path_buf();
        files::prepare(&path)?;
        let cannot_open =
            |e: rusqlite::Error| StoreError::unavailable_from(format!("cannot open SQLite database {url:?}"), e);
        // A database that exists but is read-only (file permissions, a read-only mount) still starts, for
        // reads: writes are 503 and /readyz fails until it is writable again, when the writer reopens.
        let mut write =
            connect(&path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE).map_err(cannot_open)?;
        if write.is_readonly(rusqlite::MAIN_DB).map_err(cannot_open)? {
            tracing::warn!(
                path = %path.display(),
                "the SQLite database is read-only: writes are refused (503) until it is writable again"
            );
        } else {
            ready_writer(&mut write, &wal)?;
        }
        let checkpoints = match lifetime {
            Lifetime::Long => checkpoint::Checkpoints::start(path.clone(), wal)
                .map_err(|e| StoreError::unavailable_from("cannot start the checkpoint thread", e))?,
            Lifetime::Command => checkpoint::Checkpoints::without_thread(&path, wal),
        };
        let path_for_writer = path.clone();
        let readers = Arc::new(Readers {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(READERS)),
        });
        let (writers, committer) = batch::Writers::start(write, path_for_writer, checkpoints);
        Ok(Self {
            readers,
            writers,
            committer,
            lifetime,
        })
    }
}

/// The read connections: opened when first needed, kept for reuse.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    async fn acquire(self: &Arc<Self>) -> Result<ReadConn> {
        // Bounded, as a pool's acquire is: a reader held too long somewhere is a 503, not a hang.
        let permit = tokio::time::timeout(READER_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::unavailable("no read connection became free in time"))?
            .map_err(|_| StoreError::unavailable("the store is closed"))?;
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(conn::map_err)?,
        };
        Ok(ReadConn {
            conn: Some(conn),
            readers: self.clone(),
            _permit: permit,
        })
    }
}

/// A read connection on loan; it goes back to the idle list when dropped.
pub struct ReadConn {
    conn: Option<Connection>,
    readers: Arc<Readers>,
    _permit: OwnedSemaphorePermit,
}

impl ReadConn {
    fn db(&self) -> Result<&Connection> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::internal("a read connection used after it was returned"))
    }
}

conn::sqlite_connection!(ReadConn);

impl Drop for ReadConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && let Ok(mut idle) = self.readers.idle.lock()
        {
            idle.push(conn);
        }
    }
}

/// The file behind a `sqlite:` URL, if it names one.
pub fn file_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty()).then(|| Path::new(path))
}

#[async_trait]
impl Store for SqliteStore {
    async fn read(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(SqlConn::new(self.readers.acquire().await?)))
    }

    async fn write(&self) -> Result<Box<dyn Writer>> {
        Ok(Box::new(SqlConn::new(self.writers.begin().await?)))
    }

    /// Ready when a reader can read and the writer can write (reopening it if it could not before).
    async fn ping(&self) -> Result<()> {
        let conn = self.readers.acquire().await?;
        conn::execute(conn.db()?, "SELECT 1 FROM sqlite_schema LIMIT 1", &[])?;
        drop(conn);
        self.writers.check_writable().await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.writers.committed)
    }

    async fn close(&self) {
        self.writers.flush().await;
        self.committer.abort();
        self.readers.permits.close();
        if let Ok(mut idle) = self.readers.idle.lock() {
            idle.clear();
        }
        if self.lifetime == Lifetime::Long {
            self.writers.checkpoint_fully().await;
        }
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
