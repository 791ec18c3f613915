//! WAL checkpoints on a thread of their own.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages: that commit copies
//! the WAL into the database file and syncs it, while every other writer waits for the one writer
//! connection. So the writer's automatic checkpoints are off, and this thread, on a connection of its own,
//! runs a `PASSIVE` checkpoint (which neither waits for nor blocks readers and the writer) after commits,
//! at most once per [`INTERVAL`].
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

/// Shortest time between two checkpoints: the WAL grows by at most what the writer commits in it.
const INTERVAL: Duration = Duration::from_millis(100);

/// Tells the checkpoint thread that there are commits to copy. Dropping every handle ends the thread.
#[derive(Clone)]
pub struct Checkpoints(SyncSender<()>);

impl Checkpoints {
    /// Starts the thread on `conn` (a read-write connection to the database).
    pub fn start(conn: Connection) -> std::io::Result<Self> {
        // Capacity 1: a pending signal already says "there is something to copy".
        let (tx, rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &rx))?;
        Ok(Self(tx))
    }

    /// Called after each commit; never blocks.
    pub fn committed(&self) {
        let _ = self.0.try_send(());
    }
}

fn run(conn: &Connection, commits: &Receiver<()>) {
    // `recv` returns at once if commits came in during the pause, and fails once the store is closed.
    while commits.recv().is_ok() {
        checkpoint(conn);
        std::thread::sleep(INTERVAL);
    }
    // Copy what is left, so the WAL does not outlive the store.
    checkpoint(conn);
}

fn checkpoint(conn: &Connection) {
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
        tracing::warn!(error = %e, "WAL checkpoint failed; it is retried after the next commit");
    }
}
