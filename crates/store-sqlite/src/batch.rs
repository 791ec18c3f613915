//! Group commit on SQLite's one writer connection.
//!
//! Writers take the connection in turn (a fair, first-come lock). The first one opens a transaction with
//! `BEGIN IMMEDIATE`; each unit of work runs inside `SAVEPOINT unit` and, when it commits, only releases its
//! savepoint, hands the connection on, and waits. A committer task queues for the connection like any
//! writer; when its turn comes it `COMMIT`s everything released so far and answers every waiting unit. So a
//! burst of concurrent writes shares one commit (one WAL append of the pages they touched) instead of paying
//! one each, and nobody is told "committed" before the data is.
//!
//! A unit dropped without committing (an error, a cancelled request) leaves a mark; whoever takes the
//! connection next rolls it back to its savepoint before anything else, so other units never see it.
//!
//! Every statement is a round trip to the connection's thread, and those round trips are what the one
//! writer spends its time on. So new rows are numbered here and their inserts queued until the unit's next
//! statement or its end ([`WriteQueue`]), and a finishing unit sends its queued inserts, releases its
//! savepoint and opens the next one in one round trip (`…; RELEASE unit; SAVEPOINT unit`): creating a
//! ticket with its first message and its event costs the writer one round trip.
use crate::sql::{Conn, Finish, WriteQueue, map_err, run_queue};
use crate::{Db, DbConn};
use std::sync::Arc;
use store::{Result, StoreError};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

/// The write connection and the state of the batch on it.
pub struct Lane {
    conn: DbConn,
    /// A transaction is open and holds released units.
    open: bool,
    /// An empty `SAVEPOINT unit` is open, ready for the next unit.
    prepared: bool,
    /// The previous holder dropped its unit without committing: roll back to its savepoint first.
    abandoned: bool,
    /// Units released into the open transaction, waiting for its COMMIT.
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
    /// The holder's inserts not sent yet, and the ids of new rows while the transaction is open.
    queue: WriteQueue,
}

/// Shared by the store and its committer task.
pub struct Writers {
    lane: Arc<Mutex<Lane>>,
    commit_wanted: Notify,
}

async fn exec(conn: &mut DbConn, statement: &'static str) -> Result<()> {
    sqlx::query::<Db>(statement)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(map_err)
}

impl Lane {
    /// Undoes an abandoned unit. If SQLite already rolled the whole transaction back (it does on some I/O
    /// errors), the released units are lost too, and they are told so.
    async fn tidy(&mut self) {
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        self.queue.clear();
        // ROLLBACK TO keeps the savepoint open and empty: ready for the next unit.
        match exec(&mut self.conn, "ROLLBACK TO unit").await {
            Ok(()) => self.prepared = true,
            Err(e) => {
                self.abandon_batch(&format!("the write transaction was lost: {e}"))
                    .await
            }
        }
    }

    /// Rolls the whole transaction back and tells every released unit that it was not committed.
    async fn abandon_batch(&mut self, message: &str) {
        let _ = exec(&mut self.conn, "ROLLBACK").await;
        self.queue.reset();
        self.open = false;
        self.prepared = false;
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(Err(message.to_owned()));
        }
    }

    /// Opens the transaction and the first unit's savepoint, and learns where new rows' ids start, all in
    /// one round trip.
    async fn open_batch(&mut self) -> Result<()> {
        let highest: (i64, i64, i64) = sqlx::query_as(
            "BEGIN IMMEDIATE; SAVEPOINT unit; SELECT coalesce((SELECT max(id) FROM tickets), 0), \
             coalesce((SELECT max(id) FROM replies), 0), coalesce((SELECT max(id) FROM events), 0)",
        )
        .fetch_one(&mut self.conn)
        .await
        .map_err(map_err)?;
        self.open = true;
        self.queue.number_from([highest.0, highest.1, highest.2]);
        Ok(())
    }

    async fn commit_batch(&mut self) {
        self.tidy().await;
        if !self.open {
            return;
        }
        match exec(&mut self.conn, "COMMIT").await {
            Ok(()) => {
                self.open = false;
                self.prepared = false;
                self.queue.reset();
                for waiter in self.waiting.drain(..) {
                    let _ = waiter.send(Ok(()));
                }
            }
            Err(e) => self.abandon_batch(&format!("commit failed: {e}")).await,
        }
    }
}

impl Writers {
    /// Takes over the write connection and starts the committer task.
    pub fn start(conn: DbConn) -> (Arc<Writers>, tokio::task::JoinHandle<()>) {
        let writers = Arc::new(Writers {
            lane: Arc::new(Mutex::new(Lane {
                conn,
                open: false,
                prepared: false,
                abandoned: false,
                waiting: Vec::new(),
                queue: WriteQueue::default(),
            })),
            commit_wanted: Notify::new(),
        });
        let committer = {
            let writers = writers.clone();
            tokio::spawn(async move {
                loop {
                    writers.commit_wanted.notified().await;
                    writers.lane.lock().await.commit_batch().await;
                }
            })
        };
        (writers, committer)
    }

    /// A unit of work: the connection, inside a savepoint of the open batch.
    pub async fn begin(self: &Arc<Self>) -> Result<Unit> {
        let mut lane = self.lane.clone().lock_owned().await;
        lane.tidy().await;
        let opened = if !lane.open {
            lane.open_batch().await
        } else if !lane.prepared {
            exec(&mut lane.conn, "SAVEPOINT unit").await
        } else {
            Ok(())
        };
        if let Err(e) = opened {
            // Nothing of this unit exists yet; let the committer settle the batch.
            drop(lane);
            self.commit_wanted.notify_one();
            return Err(e);
        }
        lane.prepared = false;
        Ok(Unit {
            lane: Some(lane),
            writers: self.clone(),
        })
    }

    /// Commits whatever is pending, for shutdown.
    pub async fn flush(&self) {
        self.lane.lock().await.commit_batch().await;
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
        if !lane.queue.is_empty() {
            run_queue(&mut lane.conn, &mut lane.queue, "").await?;
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
        let lane_ref = &mut *lane;
        if let Err(e) = run_queue(&mut lane_ref.conn, &mut lane_ref.queue, "RELEASE unit; SAVEPOINT unit").await {
            // A queued insert broke a constraint (the savepoint is still there: only this unit is undone), or
            // the transaction itself is gone (then the whole batch is).
            match exec(&mut lane.conn, "ROLLBACK TO unit").await {
                Ok(()) => lane.prepared = true,
                Err(_) => {
                    let message = format!("the write transaction was lost: {e}");
                    lane.abandon_batch(&message).await;
                    return Err(StoreError::Unavailable(message));
                }
            }
            drop(lane);
            self.writers.commit_wanted.notify_one();
            return Err(e);
        }
        lane.prepared = true;
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
            lane.abandoned = true;
            drop(lane);
            self.writers.commit_wanted.notify_one();
        }
    }
}
