//! Group commit on SQLite's one writer connection.
//!
//! Writers take the connection in turn (a fair, first-come lock). The first one opens a transaction with
//! `BEGIN IMMEDIATE`; each unit of work, when it commits, only finishes its part, hands the connection on
//! and waits. A committer task queues for the connection like any writer; when its turn comes it `COMMIT`s
//! everything finished so far and answers every waiting unit. So a burst of concurrent writes shares one
//! commit (one WAL append of the pages they touched) instead of paying one each, and nobody is told
//! "committed" before the data is.
//!
//! Statements run on the calling task's thread (see [`crate::db`]). A unit must undo only its own part
//! of the shared transaction if it fails, and savepoints are costly (FTS5 writes out its pending index data
//! at every one), so new rows are numbered here and their inserts queued until the unit's next other
//! statement or its end ([`WriteQueue`]):
//!
//! - A unit that only inserts (a new ticket with its first message and its event) runs its inserts when it
//!   finishes, without a savepoint: if one of them fails, the rows before it are deleted again by id.
//! - A unit that does anything else opens `SAVEPOINT unit` with its first statement and releases it when
//!   it finishes. Dropped without committing (an error, a cancelled request), it leaves a mark, and whoever
//!   takes the connection next rolls it back before anything else, so other units never see it.
use crate::DbConn;
use crate::checkpoint::Checkpoints;
use crate::db;
use crate::sql::{Conn, Finish, Queued, RowId, WriteQueue, map_err};
use std::sync::Arc;
use store::{Result, StoreError};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

/// The write connection and the state of the batch on it.
pub struct Lane {
    conn: DbConn,
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
    checkpoints: Checkpoints,
}

/// Shared by the store and its committer task.
pub struct Writers {
    lane: Arc<Mutex<Lane>>,
    commit_wanted: Notify,
}

/// How often the committer lets ready tasks run first when the last commit was shared.
const LINGER_YIELDS: usize = 6;

async fn exec(conn: &mut DbConn, statements: &'static str) -> Result<()> {
    conn.execute_batch(statements).map_err(map_err)
}

/// Runs one queued statement; the row it added, if any.
async fn run_queued(c: &mut DbConn, queued: Queued) -> Result<Option<RowId>> {
    let (text, args, row) = queued.args()?;
    db::query_with(db::AssertSqlSafe(text), args)
        .execute(c)
        .await
        .map_err(map_err)?;
    Ok(row)
}

/// Runs `first`, the queued statements and `then`.
async fn run_queue(c: &mut DbConn, queue: &mut WriteQueue, first: &'static str, then: &'static str) -> Result<()> {
    if !first.is_empty() {
        exec(c, first).await?;
    }
    for queued in queue.drain() {
        run_queued(c, queued).await?;
    }
    if !then.is_empty() {
        exec(c, then).await?;
    }
    Ok(())
}

/// Runs the queued inserts with nothing to undo them but their ids: if one fails, those before it are
/// deleted again (in reverse order, so their triggers undo what they did), and the error is returned. Only
/// an error while undoing is `Err` of the outer result: then the transaction's state is unknown.
async fn run_queue_undoable(c: &mut DbConn, queue: &mut WriteQueue) -> Result<Result<()>> {
    let mut done = Vec::new();
    let mut failure = None;
    for queued in queue.drain() {
        match run_queued(c, queued).await {
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
        db::query(db::AssertSqlSafe(format!("DELETE FROM {table} WHERE id = $1")))
            .bind(id)
            .execute(c)
            .await
            .map_err(map_err)?;
    }
    Ok(Err(failure))
}

impl Lane {
    /// Undoes an abandoned unit. If SQLite already rolled the whole transaction back (it does on some I/O
    /// errors), the finished units are lost too, and they are told so.
    async fn tidy(&mut self) {
        self.queue.clear();
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        if let Err(e) = exec(&mut self.conn, "ROLLBACK TO unit; RELEASE unit").await {
            self.abandon_batch(&format!("the write transaction was lost: {e}"))
                .await
        }
    }

    /// Rolls the whole transaction back and tells every finished unit that it was not committed.
    async fn abandon_batch(&mut self, message: &str) {
        let _ = exec(&mut self.conn, "ROLLBACK").await;
        self.queue.reset();
        self.open = false;
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(Err(message.to_owned()));
        }
    }

    /// Opens the transaction and learns where new rows' ids start.
    async fn open_batch(&mut self) -> Result<()> {
        use db::Row as _;
        exec(&mut self.conn, "BEGIN IMMEDIATE").await?;
        let highest = db::query(
            "SELECT coalesce((SELECT max(id) FROM tickets), 0), coalesce((SELECT max(id) FROM replies), 0), \
             coalesce((SELECT max(id) FROM events), 0)",
        )
        .fetch_one(&mut self.conn)
        .await
        .and_then(|row| Ok([row.try_get(0usize)?, row.try_get(1usize)?, row.try_get(2usize)?]));
        match highest {
            Ok(highest) => {
                self.open = true;
                self.queue.number_from(highest);
                Ok(())
            }
            Err(e) => {
                let _ = exec(&mut self.conn, "ROLLBACK").await;
                Err(map_err(e))
            }
        }
    }

    async fn commit_batch(&mut self) {
        self.tidy().await;
        if !self.open {
            return;
        }
        match exec(&mut self.conn, "COMMIT").await {
            Ok(()) => {
                self.open = false;
                self.queue.reset();
                for waiter in self.waiting.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
                // After the answers: emptying an overgrown WAL holds up the next batch, not this one.
                self.checkpoints.committed(&self.conn);
            }
            Err(e) => self.abandon_batch(&format!("commit failed: {e}")).await,
        }
    }

    /// Runs the holder's part: what it queued and, if it has a savepoint, the release.
    async fn finish_unit(&mut self) -> Result<()> {
        if self.in_savepoint {
            if let Err(e) = run_queue(&mut self.conn, &mut self.queue, "", "RELEASE unit").await {
                // A queued insert broke a constraint: only this unit is undone. If even that fails, the
                // transaction itself is gone, and the whole batch with it.
                if let Err(lost) = exec(&mut self.conn, "ROLLBACK TO unit; RELEASE unit").await {
                    let message = format!("the write transaction was lost: {lost}");
                    self.abandon_batch(&message).await;
                    return Err(StoreError::Unavailable(message));
                }
                return Err(e);
            }
            return Ok(());
        }
        match run_queue_undoable(&mut self.conn, &mut self.queue).await {
            Ok(outcome) => outcome,
            Err(lost) => {
                let message = format!("the write transaction was lost: {lost}");
                self.abandon_batch(&message).await;
                Err(StoreError::Unavailable(message))
            }
        }
    }
}

impl Writers {
    /// Takes over the write connection and starts the committer task.
    pub fn start(conn: DbConn, checkpoints: Checkpoints) -> (Arc<Writers>, tokio::task::JoinHandle<()>) {
        let writers = Arc::new(Writers {
            lane: Arc::new(Mutex::new(Lane {
                conn,
                open: false,
                in_savepoint: false,
                abandoned: false,
                waiting: Vec::new(),
                queue: WriteQueue::default(),
                checkpoints,
            })),
            commit_wanted: Notify::new(),
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
                    lane.commit_batch().await;
                }
            })
        };
        (writers, committer)
    }

    /// A unit of work on the connection, in the open batch.
    pub async fn begin(self: &Arc<Self>) -> Result<Unit> {
        let mut lane = self.lane.clone().lock_owned().await;
        lane.tidy().await;
        if !lane.open
            && let Err(e) = lane.open_batch().await
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

    /// Commits whatever is pending, for shutdown.
    pub async fn flush(&self) {
        self.lane.lock().await.commit_batch().await;
    }

    /// Copies the whole WAL into the database file and empties it, so that the file alone is the database
    /// (a stopped server's data can be copied as one file). For shutdown, after [`Writers::flush`] and once
    /// no reader is left; a failure only leaves the WAL for the next start to replay.
    pub async fn checkpoint_fully(&self) {
        let lane = self.lane.lock().await;
        if let Err(e) = lane.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::warn!(error = %e, "final WAL checkpoint failed; the next start replays the WAL");
        }
    }
}

/// One writer's turn on the connection.
pub struct Unit {
    lane: Option<OwnedMutexGuard<Lane>>,
    writers: Arc<Writers>,
}

impl Unit {
    fn lane(&mut self) -> Result<&mut Lane> {
        self.lane
            .as_deref_mut()
            .ok_or_else(|| StoreError::Internal("a unit used after it finished".into()))
    }
}

#[async_trait::async_trait]
impl Conn for Unit {
    async fn db(&mut self) -> Result<&mut DbConn> {
        let lane = self.lane()?;
        if !lane.in_savepoint {
            // From here on this unit's statements are undone by its savepoint: they include what it queued.
            // (Should the SAVEPOINT itself fail, rolling back to it fails too, and the batch is abandoned.)
            lane.in_savepoint = true;
            run_queue(&mut lane.conn, &mut lane.queue, "SAVEPOINT unit", "").await?;
        } else if !lane.queue.is_empty() {
            run_queue(&mut lane.conn, &mut lane.queue, "", "").await?;
        }
        Ok(&mut lane.conn)
    }

    fn queue(&mut self) -> Option<&mut WriteQueue> {
        self.lane.as_deref_mut().map(|lane| &mut lane.queue)
    }
}

#[async_trait::async_trait]
impl Finish for Unit {
    async fn finish(mut self) -> Result<()> {
        let Some(mut lane) = self.lane.take() else {
            return Err(StoreError::Internal("unit finished twice".into()));
        };
        let finished = lane.finish_unit().await;
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
            Ok(Err(message)) => Err(StoreError::Unavailable(message)),
            Err(_) => Err(StoreError::Unavailable("the writer stopped before committing".into())),
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
