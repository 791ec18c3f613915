//! WAL checkpoints on a thread of their own.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages: that commit copies
//! the WAL into the database file and syncs it, while every other writer waits for the one writer
//! connection. So the writer's automatic checkpoints are off, and this thread, on a connection of its own,
//! runs a `PASSIVE` checkpoint (which neither waits for nor blocks readers and the writer) after commits,
//! at most once per [`INTERVAL`].
//!
//! The thread opens its connection itself, and again whenever it is read-only (the files were not writable
//! when it was opened): a checkpoint on a read-only connection can never succeed.
//!
//! At shutdown the thread is stopped and joined ([`Checkpoints::stop`]) before the final `TRUNCATE`
//! checkpoint: only one connection can checkpoint at a time, and SQLite answers a second one with "busy"
//! at once, without waiting, so a final checkpoint that met a running `PASSIVE` one left the WAL behind.
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Shortest time between two checkpoints: the WAL grows by at most what the writer commits in it.
const INTERVAL: Duration = Duration::from_millis(100);

/// What the checkpoint thread is told.
enum Signal {
    /// There are commits to copy.
    Committed,
    /// The store is closing: end the thread (and close its connection).
    Stop,
}

/// Tells the checkpoint thread that there are commits to copy, or to stop.
#[derive(Clone)]
pub struct Checkpoints {
    signals: SyncSender<Signal>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Checkpoints {
    /// Starts the thread for the database at `path`.
    pub fn start(path: PathBuf) -> std::io::Result<Self> {
        // Capacity 1: a pending signal already says "there is something to copy".
        let (signals, rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&path, &rx))?;
        Ok(Self {
            signals,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// Called after each commit; never blocks. After [`Checkpoints::stop`] it does nothing.
    pub fn committed(&self) {
        let _ = self.signals.try_send(Signal::Committed);
    }

    /// Ends the thread and waits for it: once this returns, no checkpoint of the thread is running and its
    /// connection is closed. Blocks for up to one [`INTERVAL`] and a checkpoint; a second call returns at
    /// once.
    pub fn stop(&self) {
        let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) else {
            return;
        };
        // Fails only when the thread has already ended.
        let _ = self.signals.send(Signal::Stop);
        if thread.join().is_err() {
            tracing::warn!("the WAL checkpoint thread panicked");
        }
    }
}

fn run(path: &Path, signals: &Receiver<Signal>) {
    let mut conn = None;
    // `recv` returns at once if commits came in during the pause.
    while let Ok(Signal::Committed) = signals.recv() {
        checkpoint(path, &mut conn);
        std::thread::sleep(INTERVAL);
    }
    // Stopped: the store's final checkpoint copies what is left.
}

/// Checkpoints on `conn`, opening it first if there is none or it is read-only.
fn checkpoint(path: &Path, conn: &mut Option<Connection>) {
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
        let checkpoints = Checkpoints::start(path.clone()).expect("start");
        checkpoints.committed();
        checkpoints.stop();
        checkpoints.stop();
        checkpoints.committed();
        // Leaving WAL mode needs the only connection to the file: the thread's one must be closed.
        let mode: String = writer
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .expect("journal mode");
        assert_eq!(mode, "delete");
    }
}
