//! Group commit on SQLite's one writer connection.
//!
//! Writers take the connection in turn (a fair, first-come lock). The first one opens a transaction with
//! `BEGIN IMMEDIATE`; each unit of work, when it commits, only finishes its part, hands the connection on
//! and waits. A committer task queues for the connection like any writer; when its turn comes it `COMMIT`s
//! everything finished so far and answers every waiting unit. So a burst of concurrent writes shares one
//! commit (one WAL append of the pages they touched) instead of paying one each, and nobody is told
//! "committed" before the data is.
//!
//! Statements run on the calling task's thread (see [`crate::conn`]). A unit must undo only its own part
//! of the shared transaction if it fails, and savepoints are costly (FTS5 writes out its pending index data
//! at every one), so new rows are numbered here and their inserts queued until the unit's next other
//! statement or its end ([`WriteQueue`]):
//!
//! - A unit that only inserts (a new ticket with its first message and its event) runs its inserts when it
//!   finishes, without a savepoint: if one of them fails, the rows before it are deleted again by id.
//! - A unit that does anything else opens `SAVEPOINT unit` with its first statement and releases it when
//!   it finishes. Dropped without committing (an error, a cancelled request), it leaves a mark, and whoever
//!   takes the connection next rolls it back before anything else, so other units never see it.
//!
//! The connection is opened again when it cannot write: SQLite silently opens a read-write connection
//! read-only when the file is not writable, and such a connection stays read-only after the cause is gone.
//! So before a batch opens (and for readiness), a read-only connection, or one whose write failed as
//! read-only, is replaced by a fresh one; while that one cannot write either, writes are 503.
use crate::checkpoint::Checkpoints;
use crate::conn::{self, map_err};
use crate::dialect;
use crate::queue::{Queued, RowId, WriteQueue};
use crate::vocabulary;
use rusqlite::Connection as DbConn;
use std::path::PathBuf;
use std::sync::Arc;
use store::{Result, StoreError};
use store_sql::{NewRow, Transaction, Value};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

/// The write connection and the state of the batch on it.
pub(crate) struct Lane {
    conn: DbConn,
    /// The database file, to open the connection again.
    path: PathBuf,
    /// A statement failed because the files could not be written: open the connection again before the
    /// next batch (a file system remounted read-only leaves the connection unable to write).
    reopen: bool,
    /// A transaction is open and holds finished units.
    open: bool,
    /// The current holder has opened `SAVEPOINT unit`.
    in_savepoint: bool,
    /// The previous holder dropped its unit inside its savepoint: roll it back first.
    abandoned: bool,
    /// Units finished in the open transaction, waiting for its COMMIT.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
    /// The holder's inserts not sent yet, and the ids of new rows while the transaction is open.
    queue: WriteQueue,
    /// Words the vocabulary holds, forgotten at every rollback.
    known_words: vocabulary::KnownWords,
    checkpoints: Checkpoints,
}

/// Shared by the store and its committer task.
pub(crate) struct Writers {
    lane: Arc<Mutex<Lane>>,
    commit_wanted: Notify,
    /// Told after every commit (the outbox workers wait on it).
    pub(crate) committed: Arc<Notify>,
}

/// How often the committer lets ready tasks run first when the last commit was shared.
const LINGER_YIELDS: usize = 6;

/// How long the final checkpoint at shutdown retries while the WAL is busy.
const FINAL_CHECKPOINT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// The pause between two tries of the final checkpoint.
const FINAL_CHECKPOINT_RETRY: std::time::Duration = std::time::Duration::from_millis(10);

fn exec(conn: &mut DbConn, statements: &'static str) -> Result<()> {
    conn.execute_batch(statements).map_err(map_err)
}

/// The refusal of a write while the database files cannot be written.
fn read_only() -> StoreError {
    StoreError::unavailable("the database is read-only (file permissions or a read-only file system)")
}

/// Runs one queued statement; the row it added, if any.
fn run_queued(c: &mut DbConn, queued: Queued) -> Result<Option<RowId>> {
    conn::execute(c, &queued.sql, &queued.values)?;
    Ok(queued.row)
}

/// Runs `first`, the queued statements and `then`.
fn run_queue(c: &mut DbConn, queue: &mut WriteQueue, first: &'static str, then: &'static str) -> Result<()> {
    if !first.is_empty() {
        exec(c, first)?;
    }
    for queued in queue.drain() {
        run_queued(c, queued)?;
    }
    if !then.is_empty() {
        exec(c, then)?;
    }
    Ok(())
}

/// Runs the queued inserts with nothing to undo them but their ids: if one fails, those before it are
/// deleted again (in reverse order, so their triggers undo what they did), and the error is returned. Only
/// an error while undoing is `Err` of the outer result: then the transaction's state is unknown.
fn run_queue_undoable(c: &mut DbConn, queue: &mut WriteQueue) -> Result<Result<()>> {
    let mut done = Vec::new();
    let mut failure = None;
    for queued in queue.drain() {
        match run_queued(c, queued) {
            Ok(row) => done.extend(row),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    queue.clear();
    let Some(failure) = failure else { return Ok(Ok(())) };
    for (table, id) in done.into_iter().rev() {
        conn::execute(c, &format!("DELETE FROM {table} WHERE id = $1"), &[Value::from(id)])?;
    }
    Ok(Err(failure))
}

impl Lane {
    /// Makes sure the connection can write, opening it again if it cannot (only between batches). `Err`
    /// while the files still cannot be written.
    fn ensure_writable(&mut self) -> Result<()> {
        if self.open {
            return Ok(());
        }
        if !self.reopen && !self.conn.is_readonly(rusqlite::MAIN_DB).map_err(map_err)? {
            return Ok(());
        }
        let mut fresh = match crate::connect_writable(&self.path, rusqlite::OpenFlags::empty()) {
            Ok(fresh) => fresh,
            Err(e) if conn::is_read_only(&e) => return Err(read_only()),
            Err(e) => return Err(map_err(e)),
        };
        crate::ready_writer(&mut fresh, &self.checkpoints.bound())?;
        self.conn = fresh;
        self.reopen = false;
        tracing::info!("the SQLite database is writable again; the writer connection was reopened");
        Ok(())
    }

    /// Notes a failed write: one that failed as read-only, or on an I/O error (a file system remounted
    /// read-only answers either), asks for a fresh connection.
    fn failed(&mut self, e: &StoreError) {
        if std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<rusqlite::Error>())
            .is_some_and(|e| {
                conn::is_read_only(e) || e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure)
            })
        {
            self.reopen = true;
        }
    }

    /// Undoes an abandoned unit. If SQLite already rolled the whole transaction back (it does on some I/O
    /// errors), the finished units are lost too, and they are told so.
    fn tidy(&mut self) {
        self.queue.clear();
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        self.known_words.forget();
        if let Err(e) = exec(&mut self.conn, "ROLLBACK TO unit; RELEASE unit") {
            self.abandon_batch(&format!("the write transaction was lost: {e}"));
        }
    }

    /// Rolls the whole transaction back and tells every finished unit that it was not committed.
    fn abandon_batch(&mut self, message: &str) {
        let _ = exec(&mut self.conn, "ROLLBACK");
        self.known_words.forget();
        self.queue.reset();
        self.open = false;
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(Err(message.to_owned()));
        }
    }

    /// Opens the transaction and learns where new rows' ids start.
    fn open_batch(&mut self) -> Result<()> {
        self.ensure_writable()?;
        if let Err(e) = exec(&mut self.conn, "BEGIN IMMEDIATE") {
            self.failed(&e);
            return Err(e);
        }
        let highest = self.conn.query_row(
            "SELECT coalesce((SELECT max(id) FROM tickets), 0), coalesce((SELECT max(id) FROM replies), 0), \
             coalesce((SELECT max(id) FROM events), 0)",
            [],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?]),
        );
        match highest {
            Ok(highest) => {
                self.open = true;
                self.queue.number_from(highest);
                Ok(())
            }
            Err(e) => {
                let _ = exec(&mut self.conn, "ROLLBACK");
                Err(map_err(e))
            }
        }
    }

    fn commit_batch(&mut self) {
        self.tidy();
        if !self.open {
            return;
        }
        match exec(&mut self.conn, "COMMIT") {
            Ok(()) => {
                self.open = false;
                self.queue.reset();
                for waiter in self.waiting.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
                // After the answers: emptying an overgrown WAL holds up the next batch, not this one.
                self.checkpoints.committed(&self.conn);
            }
            Err(e) => {
                self.failed(&e);
                self.abandon_batch(&format!("commit failed: {e}"));
            }
        }
    }

    /// Runs the holder's part: what it queued and, if it has a savepoint, the release.
    fn finish_unit(&mut self) -> Result<()> {
        if self.in_savepoint {
            if let Err(e) = run_queue(&mut self.conn, &mut self.queue, "", "RELEASE unit") {
                // A queued insert broke a constraint: only this unit is undone. If even that fails, the
                // transaction itself is gone, and the whole batch with it.
                self.known_words.forget();
                if let Err(lost) = exec(&mut self.conn, "ROLLBACK TO unit; RELEASE unit") {
                    let message = format!("the write transaction was lost: {lost}");
                    self.abandon_batch(&message);
                    return Err(StoreError::unavailable_from(message, lost));
                }
                return Err(e);
            }
            return Ok(());
        }
        match run_queue_undoable(&mut self.conn, &mut self.queue) {
            Ok(outcome) => outcome,
            Err(lost) => {
                let message = format!("the write transaction was lost: {lost}");
                self.abandon_batch(&message);
                Err(StoreError::unavailable_from(message, lost))
            }
        }
    }
}

impl Writers {
    /// Takes over the write connection and starts the committer task.
    pub(crate) fn start(
        conn: DbConn,
        path: PathBuf,
        checkpoints: Checkpoints,
    ) -> (Arc<Writers>, tokio::task::JoinHandle<()>) {
        let writers = Arc::new(Writers {
            lane: Arc::new(Mutex::new(Lane {
                conn,
                path,
                reopen: false,
                open: false,
                in_savepoint: false,
                abandoned: false,
                waiting: Vec::new(),
                queue: WriteQueue::default(),
                known_words: vocabulary::KnownWords::default(),
                checkpoints,
            })),
            commit_wanted: Notify::new(),
            committed: Arc::new(Notify::new()),
        });
        let committer = {
            let writers = writers.clone();
            tokio::spawn(async move {
                let mut last_batch = 0;
                loop {
                    writers.commit_wanted.notified().await;
                    if last_batch > 1 {
                        // Writes are arriving concurrently: let the tasks that are ready to run (requests
                        // on their way to the writer) go first, so that they share this commit.
                        for _ in 0..LINGER_YIELDS {
                            tokio::task::yield_now().await;
                        }
                    }
                    let mut lane = writers.lane.lock().await;
                    last_batch = lane.waiting.len();
                    lane.commit_batch();
                    drop(lane);
                    writers.committed.notify_one();
                }
            })
        };
        (writers, committer)
    }

    /// A unit of work on the connection, in the open batch.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Unit> {
        let mut lane = self.lane.clone().lock_owned().await;
        lane.tidy();
        if !lane.open
            && let Err(e) = lane.open_batch()
        {
            // Nothing of this unit exists yet; let the committer settle the batch.
            drop(lane);
            self.commit_wanted.notify_one();
            return Err(e);
        }
        lane.in_savepoint = false;
        Ok(Unit {
            lane: Some(lane),
            writers: self.clone(),
        })
    }

    /// Whether the writer can write now (for readiness), opening its connection again if it could not.
    /// Between batches it takes and releases the write lock: a connection that is not read-only itself
    /// can still fail to write when the WAL or its index file is not writable.
    pub(crate) async fn check_writable(&self) -> Result<()> {
        let mut lane = self.lane.lock().await;
        lane.ensure_writable()?;
        if lane.open {
            return Ok(());
        }
        match exec(&mut lane.conn, "BEGIN IMMEDIATE; ROLLBACK") {
            Ok(()) => Ok(()),
            Err(e) => {
                // A failed BEGIN leaves no transaction; a failed ROLLBACK has nothing left to undo.
                let _ = lane.conn.execute_batch("ROLLBACK");
                lane.failed(&e);
                Err(e)
            }
        }
    }

    /// Commits whatever is pending, for shutdown.
    pub(crate) async fn flush(&self) {
        self.lane.lock().await.commit_batch();
    }

    /// Copies the whole WAL into the database file and empties it, so that the file alone is the database
    /// (a stopped server's data can be copied as one file). For shutdown, after [`Writers::flush`] and once
    /// no reader is left; a failure only leaves the WAL for the next start to replay.
    ///
    /// The checkpoint thread is stopped first: SQLite lets one connection checkpoint at a time and answers
    /// another with "busy" at once. A reader that is still finishing can hold the checkpoint back too, so a
    /// busy answer is retried for up to [`FINAL_CHECKPOINT_WAIT`].
    pub(crate) async fn checkpoint_fully(&self) {
        let lane = self.lane.lock().await;
        let thread = lane.checkpoints.thread();
        if tokio::task::spawn_blocking(move || thread.stop()).await.is_err() {
            tracing::warn!("stopping the WAL checkpoint thread failed");
        }
        let deadline = tokio::time::Instant::now() + FINAL_CHECKPOINT_WAIT;
        loop {
            // One row: (1 if the checkpoint could not finish, WAL frames, frames copied).
            let outcome = lane
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
            let busy = match outcome {
                Ok(0) => return,
                Ok(_) => "the WAL is in use".to_owned(),
                Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => e.to_string(),
                Err(e) => {
                    tracing::warn!(error = %e, "final WAL checkpoint failed; the next start replays the WAL");
                    return;
                }
            };
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(error = %busy, "final WAL checkpoint stayed busy; the next start replays the WAL");
                return;
            }
            tokio::time::sleep(FINAL_CHECKPOINT_RETRY).await;
        }
    }
}

/// One writer's turn on the connection.
pub(crate) struct Unit {
    lane: Option<OwnedMutexGuard<Lane>>,
    writers: Arc<Writers>,
}

impl Unit {
    fn lane(&mut self) -> Result<&mut Lane> {
        self.lane
            .as_deref_mut()
            .ok_or_else(|| StoreError::internal("a unit used after it finished"))
    }

    /// The connection, after every statement this unit queued has run: whatever asks for it sees this
    /// unit's own writes.
    fn db(&mut self) -> Result<&mut DbConn> {
        let lane = self.lane()?;
        if !lane.in_savepoint {
            // From here on this unit's statements are undone by its savepoint: they include what it queued.
            // (Should the SAVEPOINT itself fail, rolling back to it fails too, and the batch is abandoned.)
            lane.in_savepoint = true;
            run_queue(&mut lane.conn, &mut lane.queue, "SAVEPOINT unit", "")?;
        } else if !lane.queue.is_empty() {
            run_queue(&mut lane.conn, &mut lane.queue, "", "")?;
        }
        Ok(&mut lane.conn)
    }

    /// Runs `sql` with `values`: queued under `tag` after the statements before it while the queue numbers
    /// rows, otherwise at once.
    /// Adds the words of `text` to the search index's vocabulary (vocabulary.rs).
    fn add_words(&mut self, text: &str) -> Result<()> {
        let lane = self.lane()?;
        for (sql, values) in vocabulary::add_words([text], &mut lane.known_words) {
            self.queue_or_run(None, sql.to_owned(), values)?;
        }
        Ok(())
    }

    fn queue_or_run(&mut self, tag: Option<RowId>, sql: String, values: Vec<Value>) -> Result<()> {
        let lane = self.lane()?;
        if lane.queue.is_numbering() {
            lane.queue.push(sql, values, None, tag);
            if lane.queue.is_full() {
                self.db()?;
            }
            return Ok(());
        }
        conn::execute(self.db()?, &sql, &values).map(drop)
    }
}

crate::conn::sqlite_connection!(Unit);

impl Transaction for Unit {
    async fn insert(&mut self, row: NewRow) -> Result<i64> {
        let row = match self.lane()?.queue.insert(row) {
            Ok(id) => {
                if self.lane()?.queue.is_full() {
                    self.db()?;
                }
                return Ok(id);
            }
            Err(row) => row,
        };
        let sql = format!("{} RETURNING id", row.insert_sql(false));
        conn::fetch_optional(self.db()?, &sql, &row.values, |r| store_sql::RowExt::get(r, "id"))?
            .ok_or_else(|| StoreError::internal("an insert returned no id"))
    }

    async fn index_new_ticket(&mut self, id: i64, title: &str) -> Result<()> {
        let (tag, sql, values) = dialect::index_new_ticket(id, title);
        self.queue_or_run(Some(tag), sql.to_owned(), values)?;
        self.add_words(title)
    }

    async fn index_new_reply(&mut self, ticket_id: i64, message: &str, internal: bool) -> Result<()> {
        self.add_words(message)?;
        let lane = self.lane()?;
        if dialect::append_to_queued_ticket(&mut lane.queue, ticket_id, message, internal) {
            return Ok(());
        }
        let (sql, values) = dialect::index_new_reply(ticket_id, message, internal);
        self.queue_or_run(None, sql, values)
    }

    async fn index_changed_text(&mut self, text: &str) -> Result<()> {
        self.add_words(text)
    }

    async fn commit(mut self) -> Result<()> {
        let Some(mut lane) = self.lane.take() else {
            return Err(StoreError::internal("unit finished twice"));
        };
        let finished = lane.finish_unit();
        lane.in_savepoint = false;
        if let Err(e) = finished {
            drop(lane);
            self.writers.commit_wanted.notify_one();
            return Err(e);
        }
        let (done, committed) = oneshot::channel();
        lane.waiting.push(done);
        drop(lane);
        self.writers.commit_wanted.notify_one();
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StoreError::unavailable(message)),
            Err(_) => Err(StoreError::unavailable("the writer stopped before committing")),
        }
    }
}

impl Drop for Unit {
    fn drop(&mut self) {
        if let Some(mut lane) = self.lane.take() {
            // What it queued was never sent; what it sent is inside its savepoint.
            lane.queue.clear();
            lane.abandoned = lane.in_savepoint;
            lane.in_savepoint = false;
            drop(lane);
            self.writers.commit_wanted.notify_one();
        }
    }
}
