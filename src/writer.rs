//! The SQLite writer: one task that owns the write transaction and commits
//! many units of work in it (group commit).
//!
//! SQLite has one writer at a time, and each commit costs a WAL write and
//! several round trips to sqlx's worker thread. Instead of a transaction per
//! send, units queue here; the writer opens one transaction, hands it to each
//! queued unit in turn (a [`Lease`]) inside its own savepoint, so a unit that
//! fails or is dropped rolls back alone, and commits once the queue is empty
//! or [`MAX_BATCH`] units are in. Each unit learns of the commit only after
//! it happened, so nothing is acknowledged before it is durable.
//!
//! The batch has no deliberate delay: units that queue while a batch runs
//! form the next one, so the wait is bounded by one batch. Other writes
//! (profile edits, blacklist, ...) still take the write gate; the writer
//! holds the same gate for each batch, so they interleave between batches.
//! PostgreSQL has no writer: its transactions run concurrently.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::error::{AppError, AppResult};

/// Most units of work committed in one transaction.
pub const MAX_BATCH: usize = 256;

/// Most units waiting for the writer before senders wait to queue.
const QUEUE: usize = 4096;

/// The savepoint each unit runs in (reused: released before the next one).
const SAVEPOINT: &str = "SAVEPOINT unit";
const RELEASE: &str = "RELEASE unit";
const ROLLBACK: &str = "ROLLBACK TO unit; RELEASE unit";

type Granted = Result<Lease, String>;

/// The handle that queues units for the writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<oneshot::Sender<Granted>>,
}

/// A unit's turn in the writer's transaction. [`Lease::commit`] keeps its
/// writes and waits for the batch commit; dropping it rolls them back.
pub struct Lease {
    // Declared first: dropped before `done`, so that the writer, once told,
    // holds the only reference to the transaction and can commit it.
    tx: Arc<DatabaseTransaction>,
    done: oneshot::Sender<bool>,
    committed: oneshot::Receiver<Result<(), String>>,
}

impl Lease {
    /// The shared transaction, inside this unit's savepoint.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Keep this unit's writes and wait until the batch is committed.
    pub async fn commit(self) -> AppResult<()> {
        let Self {
            tx,
            done,
            committed,
        } = self;
        drop(tx);
        // A writer that is gone cannot commit: the receive below reports it.
        let _ = done.send(true);
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(cause)) => Err(AppError::internal(format!("group commit failed: {cause}"))),
            Err(_) => Err(AppError::internal("the writer stopped before committing")),
        }
    }
}

impl Writer {
    /// Start the writer task over `db`, taking `gate` for each batch.
    pub fn start(db: DatabaseConnection, gate: Arc<Mutex<()>>) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, gate, requests));
        Self { queue }
    }

    /// Wait for this unit's turn in a write transaction.
    pub async fn lease(&self) -> AppResult<Lease> {
        let (grant, granted) = oneshot::channel();
        self.queue
            .send(grant)
            .await
            .map_err(|_| AppError::internal("the writer has stopped"))?;
        match granted.await {
            Ok(Ok(lease)) => Ok(lease),
            Ok(Err(cause)) => Err(AppError::internal(format!(
                "cannot open a write transaction: {cause}"
            ))),
            Err(_) => Err(AppError::internal("the writer stopped before the unit ran")),
        }
    }
}

/// The writer task: one batch after another until every [`Writer`] is gone.
async fn run(
    db: DatabaseConnection,
    gate: Arc<Mutex<()>>,
    mut requests: mpsc::Receiver<oneshot::Sender<Granted>>,
) {
    while let Some(first) = requests.recv().await {
        let _gate = gate.lock().await;
        let tx = match db.begin().await {
            Ok(tx) => Arc::new(tx),
            Err(err) => {
                let _ = first.send(Err(err.to_string()));
                continue;
            }
        };
        let outcome = batch(&tx, first, &mut requests).await;
        let result = match (outcome, Arc::try_unwrap(tx)) {
            (Ok(waiting), Ok(tx)) => (tx.commit().await.map_err(|e| e.to_string()), waiting),
            (Ok(waiting), Err(_)) => (Err("a unit kept the transaction".to_owned()), waiting),
            (Err((cause, waiting)), _) => (Err(cause), waiting),
        };
        let (committed, waiting) = result;
        if let Err(cause) = &committed {
            tracing::error!(%cause, units = waiting.len(), "group commit failed");
        }
        for unit in waiting {
            let _ = unit.send(committed.clone());
        }
    }
}

type Waiting = Vec<oneshot::Sender<Result<(), String>>>;

/// Run queued units in `tx`, each in its savepoint, until the queue is empty
/// or the batch is full; the units whose writes were kept, to tell after
/// commit. A failed savepoint statement fails the whole batch.
async fn batch(
    tx: &Arc<DatabaseTransaction>,
    first: oneshot::Sender<Granted>,
    requests: &mut mpsc::Receiver<oneshot::Sender<Granted>>,
) -> Result<Waiting, (String, Waiting)> {
    let mut waiting: Waiting = Vec::new();
    let mut next = Some(first);
    let mut opening = SAVEPOINT.to_owned();
    let mut units = 0;
    while let Some(grant) = next.take() {
        units += 1;
        if let Err(err) = tx.execute_unprepared(&opening).await {
            let _ = grant.send(Err(err.to_string()));
            return Err((err.to_string(), waiting));
        }
        let (done, told) = oneshot::channel();
        let (commit_tx, committed) = oneshot::channel();
        let lease = Lease {
            tx: tx.clone(),
            done,
            committed,
        };
        // A unit whose requester went away is rolled back like a dropped one.
        let kept = match grant.send(Ok(lease)) {
            Ok(()) => told.await.unwrap_or(false),
            Err(_) => false,
        };
        if kept {
            waiting.push(commit_tx);
        }
        if units < MAX_BATCH {
            next = requests.try_recv().ok();
        }
        // The next unit's savepoint goes in the same round trip as this
        // one's end; the last kept unit needs none (COMMIT releases it).
        opening = match (kept, next.is_some()) {
            (true, true) => format!("{RELEASE}; {SAVEPOINT}"),
            (false, true) => format!("{ROLLBACK}; {SAVEPOINT}"),
            (true, false) => String::new(),
            (false, false) => ROLLBACK.to_owned(),
        };
        if next.is_none() && !opening.is_empty() {
            if let Err(err) = tx.execute_unprepared(&opening).await {
                return Err((err.to_string(), waiting));
            }
        }
    }
    Ok(waiting)
}
