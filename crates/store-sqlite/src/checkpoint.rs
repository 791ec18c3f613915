//! WAL checkpoints: a thread of their own copies the WAL into the database, and the writer empties it when
//! it grows past a bound.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages: that commit copies
//! the WAL into the database file and syncs it, while every other writer waits for the one writer
//! connection. So the writer's automatic checkpoints are off, and a thread, on a connection of its own, runs
//! a `PASSIVE` checkpoint (which neither waits for nor blocks readers and the writer) after commits, at most
//! once per [`INTERVAL`].
//!
//! A passive checkpoint copies pages but never starts the WAL over: only a writer does, and only when every
//! page has been copied and no reader still reads from the WAL. Under sustained writes with readers beside
//! them that moment never comes, and the WAL grows without end (8 GB while a million tickets were seeded).
//! So after a commit, when the WAL file is larger than [`WalBound::limit_bytes`], the writer itself runs a
//! `RESTART` checkpoint between two batches: no write is in flight then, and the thread has copied most
//! pages already. The next commit writes the WAL from its beginning again and, by `journal_size_limit`,
//! cuts the file back to the bound (its blocks are reused, not freed and allocated again as after a
//! `TRUNCATE` checkpoint).
//!
//! - If the thread is copying just then, the writer tries again after its next commit, and waits for the
//!   copy only once the WAL has outgrown the bound twice (SQLite refuses a second checkpoint at once).
//! - The checkpoint waits for readers still on an older snapshot, for at most [`WalBound::reader_wait`].
//!   If they outlast that (a long export holds one snapshot), the writer goes on and tries again only once
//!   the WAL has grown by another bound, so a long reader costs the writer a short wait now and then, not
//!   one per commit.
//!
//! The thread opens its connection itself, and again whenever it is read-only (the files were not writable
//! when it was opened): a checkpoint on a read-only connection can never succeed.
//!
//! At shutdown the thread is stopped and joined ([`ThreadStop::stop`]) before the final `TRUNCATE`
//! checkpoint: only one connection can checkpoint at a time, and SQLite answers a second one with "busy"
//! at once, without waiting, so a final checkpoint that met a running `PASSIVE` one left the WAL behind.
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Shortest time between two passive checkpoints: the WAL grows by at most what the writer commits in it.
const INTERVAL: Duration = Duration::from_millis(100);

/// How large the WAL may grow, and how long emptying it may hold up the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalBound {
    /// WAL file size, in bytes, past which the writer empties the WAL after its next commit. It is also
    /// the `journal_size_limit`: the size a WAL file is cut back to when SQLite starts it over by itself.
    pub limit_bytes: u64,
    /// Longest time the writer waits for readers on an older snapshot when it empties the WAL.
    pub reader_wait: Duration,
}

impl Default for WalBound {
    /// 64 MB: the WAL reaches at most twice that and one batch (the writer waits for a running copy only
    /// past twice the bound), well under the 256 MB it may reach; and emptying it copies little the
    /// checkpoint thread has not copied yet.
    /// 200 ms: longer than the slowest read of the benchmark (tens of ms), short enough not to stall writes.
    fn default() -> Self {
        Self {
            limit_bytes: 64 * 1024 * 1024,
            reader_wait: Duration::from_millis(200),
        }
    }
}

/// Applies the bound to the writer connection: no checkpoints inside commits, and the WAL file cut back to
/// the limit whenever SQLite starts it over.
pub(crate) fn configure_writer(writer: &Connection, bound: &WalBound) -> rusqlite::Result<()> {
    let limit = i64::try_from(bound.limit_bytes).unwrap_or(i64::MAX);
    writer.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
    // The pragma answers with the limit it set; `query_row` reads that answer.
    writer.query_row(&format!("PRAGMA journal_size_limit = {limit}"), [], |_| Ok(()))
}

/// What the checkpoint thread is told.
enum Signal {
    /// There are commits to copy.
    Committed,
    /// The store is closing: end the thread (and close its connection).
    Stop,
}

/// Ends the checkpoint thread and waits for it (for shutdown); cloned out of the writer's [`Checkpoints`].
#[derive(Clone)]
pub(crate) struct ThreadStop {
    signal: SyncSender<Signal>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl ThreadStop {
    /// Once this returns, no checkpoint of the thread is running and its connection is closed. Blocks for
    /// up to one [`INTERVAL`] and a checkpoint; a second call returns at once.
    pub(crate) fn stop(&self) {
        let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) else {
            return;
        };
        // Fails only when the thread has already ended.
        let _ = self.signal.send(Signal::Stop);
        if thread.join().is_err() {
            tracing::warn!("the WAL checkpoint thread panicked");
        }
    }
}

/// The checkpoint thread's signal and the writer's side of the bound. Dropping it ends the thread.
pub(crate) struct Checkpoints {
    signal: SyncSender<Signal>,
    thread: ThreadStop,
    /// The `-wal` file beside the database.
    wal: PathBuf,
    bound: WalBound,
    /// The WAL size above which the writer next tries to empty it: the limit, or, after readers kept it
    /// from doing so, a limit above the size it had then.
    retry_above: u64,
    /// Held while a checkpoint runs, by the thread or the writer: SQLite lets only one run at a time and
    /// refuses a second at once instead of waiting, so the writer waits here when it must.
    running: Arc<Mutex<()>>,
}

/// How an attempt to empty the WAL ended.
#[derive(Debug, PartialEq, Eq)]
enum Emptying {
    Done,
    /// Another checkpoint (of another process) was running at that moment: the next commit tries again.
    CheckpointerBusy,
    /// Readers on an older snapshot outlasted [`WalBound::reader_wait`].
    ReadersBusy,
}

impl Checkpoints {
    /// Starts the thread for the database at `path`.
    pub(crate) fn start(path: PathBuf, bound: WalBound) -> std::io::Result<Self> {
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        // Capacity 1: a pending signal already says "there is something to copy".
        let (signal, rx) = sync_channel(1);
        let running = Arc::new(Mutex::new(()));
        let thread = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn({
            let running = running.clone();
            move || run(&path, &rx, &running)
        })?;
        Ok(Self {
            thread: ThreadStop {
                signal: signal.clone(),
                thread: Arc::new(Mutex::new(Some(thread))),
            },
            signal,
            wal,
            bound,
            retry_above: bound.limit_bytes,
            running,
        })
    }

    /// The writer's side of the bound alone, with no thread: for a process that commits a few
    /// transactions and exits (`mail-in`). Its writer still empties the WAL past the bound, and whatever
    /// it leaves is copied by the next checkpoint of any connection (a running server's thread, or the
    /// next start).
    pub(crate) fn without_thread(path: &Path, bound: WalBound) -> Self {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        // Nobody receives: `committed`'s signal is dropped, and `stop` finds no thread.
        let (signal, _) = sync_channel(1);
        Self {
            thread: ThreadStop {
                signal: signal.clone(),
                thread: Arc::new(Mutex::new(None)),
            },
            signal,
            wal: PathBuf::from(wal),
            bound,
            retry_above: bound.limit_bytes,
            running: Arc::new(Mutex::new(())),
        }
    }

    /// The bound this writer keeps the WAL under.
    pub(crate) fn bound(&self) -> WalBound {
        self.bound
    }

    /// A handle that ends the checkpoint thread (see [`ThreadStop::stop`]).
    pub(crate) fn thread(&self) -> ThreadStop {
        self.thread.clone()
    }

    /// Called by the writer after each commit, between two batches: wakes the checkpoint thread, and if
    /// the WAL has grown past the bound, empties it on `writer` (see the module's text).
    pub(crate) fn committed(&mut self, writer: &Connection) {
        let _ = self.signal.try_send(Signal::Committed);
        // One `stat` per commit; a WAL that cannot be measured is left to the checkpoint thread.
        let Ok(size) = std::fs::metadata(&self.wal).map(|m| m.len()) else {
            return;
        };
        if size <= self.retry_above {
            if size <= self.bound.limit_bytes {
                self.retry_above = self.bound.limit_bytes;
            }
            return;
        }
        // While the thread copies pages, the writer goes on and tries again after its next commit; but once
        // the WAL has grown by another bound meanwhile (writes outrun the copy), it waits for the copy to
        // end, which also holds back the writes that would grow the WAL further.
        let overdue = size > self.retry_above.saturating_add(self.bound.limit_bytes);
        let running = if overdue {
            self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        } else {
            match self.running.try_lock() {
                Ok(running) => running,
                Err(TryLockError::WouldBlock) => return,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            }
        };
        let emptied = empty_wal(writer, self.bound.reader_wait);
        drop(running);
        match emptied {
            Ok(Emptying::Done) => {
                tracing::debug!(wal_bytes = size, "the WAL was emptied");
                self.retry_above = self.bound.limit_bytes;
            }
            Ok(Emptying::CheckpointerBusy) => {
                tracing::debug!(
                    wal_bytes = size,
                    "another checkpoint was running; the WAL is emptied later"
                );
            }
            Ok(Emptying::ReadersBusy) => {
                tracing::debug!(
                    wal_bytes = size,
                    "readers kept the WAL from being emptied; it is tried again later"
                );
                self.retry_above = size.saturating_add(self.bound.limit_bytes);
            }
            Err(e) => {
                tracing::warn!(error = %e, wal_bytes = size, "emptying the WAL failed; it is tried again later");
                self.retry_above = size.saturating_add(self.bound.limit_bytes);
            }
        }
    }
}

/// A `RESTART` checkpoint on the writer, waiting at most `reader_wait` for readers.
fn empty_wal(writer: &Connection, reader_wait: Duration) -> rusqlite::Result<Emptying> {
    writer.busy_timeout(reader_wait)?;
    // (busy, frames in the WAL, frames copied); busy with -1 frames: another checkpoint held the lock, which
    // SQLite reports at once, without waiting.
    let outcome = writer.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
    });
    writer.busy_timeout(crate::BUSY_TIMEOUT)?;
    Ok(match outcome? {
        (0, _) => Emptying::Done,
        (_, -1) => Emptying::CheckpointerBusy,
        _ => Emptying::ReadersBusy,
    })
}

fn run(path: &Path, signals: &Receiver<Signal>, running: &Mutex<()>) {
    let mut conn = None;
    // `recv` returns at once if commits came in during the pause.
    while let Ok(Signal::Committed) = signals.recv() {
        checkpoint(path, &mut conn, running);
        std::thread::sleep(INTERVAL);
    }
    // Stopped, or the store dropped: the store's final checkpoint copies what is left.
}

/// Checkpoints on `conn`, opening it first if there is none or it is read-only (the files were not
/// writable when it was opened): a checkpoint on a read-only connection can never succeed.
fn checkpoint(path: &Path, conn: &mut Option<Connection>, running: &Mutex<()>) {
    let usable = conn
        .as_ref()
        .is_some_and(|c| c.is_readonly(rusqlite::MAIN_DB).is_ok_and(|ro| !ro));
    if !usable {
        *conn = None;
        match crate::connect_writable(path, OpenFlags::empty()) {
            Ok(opened) => *conn = Some(opened),
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the database for WAL checkpoints; retried after the next commit");
                return;
            }
        }
    }
    let _running: MutexGuard<'_, ()> = running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(conn) = conn
        && let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
    {
        tracing::warn!(error = %e, "WAL checkpoint failed; it is retried after the next commit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_ends_the_thread_and_closes_its_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stop.db");
        let writer = Connection::open(&path).expect("open");
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .expect("write");
        let mut checkpoints = Checkpoints::start(path, WalBound::default()).expect("start");
        checkpoints.committed(&writer);
        checkpoints.thread().stop();
        checkpoints.thread().stop();
        checkpoints.committed(&writer);
        // Leaving WAL mode needs the only connection to the file: the thread's one must be closed.
        let mode: String = writer
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .expect("journal mode");
        assert_eq!(mode, "delete");
    }
}
