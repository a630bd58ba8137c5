//! Group commit for the month-end hot path: sends, downloads and receipts.
//!
//! Every write appends to the one hash-chained audit log, so writers take turns (see `sql.rs`).
//! Taking turns one transaction at a time made each send pay for a whole commit (an fsync on
//! SQLite, a WAL flush and the advisory lock on PostgreSQL). Here one writer task takes every
//! write that is waiting, runs them in **one** transaction under the same lock, and answers each
//! caller only after that transaction committed — so an acknowledged send is exactly as durable
//! as before, but a burst of N sends costs one commit instead of N.
//!
//! Inside the transaction a batch costs a fixed number of statements, not a few per job: the
//! sends' duplicate check, envelope rows, blobs, the receipts' reads and writes and the audit
//! rows are each one multi-row statement (PostgreSQL pays a network round trip per statement).
//! The audit chain is computed in memory from the tip read at the start of the batch
//! ([`AuditTip`]).
//!
//! When one job of a batch fails with a database error, the whole batch is rolled back and each
//! job is run again in a transaction of its own, so a bad job cannot fail its neighbours and every
//! caller gets its own answer. Logical outcomes (already stored, conflict, duplicate receipt,
//! unknown envelope) are answers, not errors, and do not break a batch.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tsunagu_standard::OfficeId;

use super::audit::AuditTip;
use super::{NewEnvelope, NewReceipt, ReceiptOutcome, SendOutcome, StoreError, StoreResult};

/// At most this many jobs per transaction: bounds how long the lock is held and how long the
/// last job of a batch waits.
const MAX_JOBS: usize = 128;
/// At most about this many ciphertext bytes per transaction (the bodies are held in memory
/// until the commit).
const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Waiting jobs beyond this make callers wait for room (backpressure instead of memory growth).
const QUEUE: usize = 1024;

/// One write of the hot path.
pub(super) enum WriteJob {
    Send(NewEnvelope),
    /// Records a download in the audit log (the bytes were read outside the writer).
    Downloaded {
        envelope_id: String,
        by_device: String,
        by_office: OfficeId,
        size: usize,
    },
    Receipt(NewReceipt),
}

impl WriteJob {
    fn bytes(&self) -> usize {
        match self {
            WriteJob::Send(e) => e.ciphertext.len(),
            WriteJob::Downloaded { .. } => 0,
            WriteJob::Receipt(r) => r.receipt_json.len(),
        }
    }
}

/// What a job answers.
pub(super) enum WriteOutput {
    Sent(SendOutcome),
    Downloaded,
    Receipt(ReceiptOutcome),
}

/// A backend's part: open a transaction holding the write lock, run the jobs in it, commit.
#[async_trait]
pub(super) trait BatchBackend: Send + Sync + 'static {
    type Tx: Send;
    /// Begins a transaction holding the writers' lock, and reads the chain's tip.
    async fn begin_batch(&self) -> StoreResult<(Self::Tx, AuditTip)>;
    /// Runs every job (each with its own `now`); the outer error is a database error that
    /// spoils the transaction, the inner ones are answers to single jobs (e.g. unknown envelope).
    async fn run_jobs(
        &self,
        tx: &mut Self::Tx,
        tip: &mut AuditTip,
        jobs: &[(&WriteJob, i64)],
    ) -> StoreResult<Vec<StoreResult<WriteOutput>>>;
    async fn commit_batch(&self, tx: Self::Tx) -> StoreResult<()>;
}

struct Pending {
    job: WriteJob,
    now: i64,
    reply: oneshot::Sender<StoreResult<WriteOutput>>,
}

/// The handle callers submit jobs to; the writer task ends when the last handle is dropped.
pub(super) struct GroupWriter {
    queue: mpsc::Sender<Pending>,
}

impl GroupWriter {
    /// Starts the writer task on the current tokio runtime.
    /// With `batch_timeout`, a batch the database does not finish in time fails as
    /// "unavailable" (a silently dead network would otherwise hold every writer for minutes).
    pub fn spawn<B: BatchBackend>(backend: B, batch_timeout: Option<Duration>) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run_writer(Arc::new(backend), rx, batch_timeout));
        Self { queue }
    }

    /// Runs `job` in the next batch and answers once that batch committed.
    pub async fn submit(&self, job: WriteJob, now: i64) -> StoreResult<WriteOutput> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { job, now, reply })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Unavailable(sqlx::Error::Protocol(
        "the store's writer has stopped".into(),
    ))
}

async fn run_writer<B: BatchBackend>(
    backend: Arc<B>,
    mut rx: mpsc::Receiver<Pending>,
    batch_timeout: Option<Duration>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_JOBS);
    while let Some(first) = rx.recv().await {
        let mut bytes = first.job.bytes();
        batch.push(first);
        // Everything that queued up while the previous batch was committing joins this one.
        while batch.len() < MAX_JOBS && bytes < MAX_BYTES {
            match rx.try_recv() {
                Ok(next) => {
                    bytes += next.job.bytes();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let jobs: Vec<Pending> = std::mem::take(&mut batch);
        // A panic in a job would kill the writer and leave every later caller waiting; run the
        // batch in its own task so a panic only fails this batch's callers.
        let backend = Arc::clone(&backend);
        let handle = tokio::spawn(async move { commit_jobs(&*backend, jobs, batch_timeout).await });
        if let Err(e) = handle.await {
            tracing::error!(error = %e, "store writer batch panicked; its callers got an error");
        }
    }
}

/// Runs `jobs` as one transaction; on a database error, once more each on its own.
async fn commit_jobs<B: BatchBackend>(backend: &B, jobs: Vec<Pending>, limit: Option<Duration>) {
    let single = jobs.len() == 1;
    match run_batch_within(backend, &jobs, limit).await {
        Ok(outputs) => {
            for (pending, output) in jobs.into_iter().zip(outputs) {
                // The caller may have gone away (client disconnected); the write stands.
                let _ = pending.reply.send(output);
            }
        }
        Err(e) if single || matches!(e, StoreError::Unavailable(_)) => {
            // Nothing to separate: every caller gets the error. Nothing was acknowledged; if a
            // lost connection hid a commit that did happen, resends are idempotent (200, same id).
            for pending in jobs {
                let _ = pending.reply.send(Err(shared_error(&e)));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, jobs = jobs.len(), "store batch rolled back; running its jobs one by one");
            for pending in jobs {
                let one = std::slice::from_ref(&pending);
                let result = match run_batch_within(backend, one, limit).await {
                    Ok(mut outputs) => outputs.remove(0),
                    Err(e) => Err(e),
                };
                let _ = pending.reply.send(result);
            }
        }
    }
}

/// [`run_batch`], failing as unavailable after `limit`. Dropping the unfinished batch drops its
/// transaction: nothing of it is acknowledged, and a commit the database did make unseen is
/// harmless because resends are idempotent.
async fn run_batch_within<B: BatchBackend>(
    backend: &B,
    jobs: &[Pending],
    limit: Option<Duration>,
) -> StoreResult<Vec<StoreResult<WriteOutput>>> {
    let Some(limit) = limit else {
        return run_batch(backend, jobs).await;
    };
    match tokio::time::timeout(limit, run_batch(backend, jobs)).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                jobs = jobs.len(),
                limit_secs = limit.as_secs_f64(),
                "store batch got no answer from the database in time; failed as unavailable"
            );
            Err(StoreError::Unavailable(sqlx::Error::Protocol(format!(
                "the database did not answer within {:.0} s",
                limit.as_secs_f64()
            ))))
        }
    }
}

async fn run_batch<B: BatchBackend>(
    backend: &B,
    jobs: &[Pending],
) -> StoreResult<Vec<StoreResult<WriteOutput>>> {
    let (mut tx, mut tip) = backend.begin_batch().await?;
    let list: Vec<(&WriteJob, i64)> = jobs.iter().map(|p| (&p.job, p.now)).collect();
    let outputs = backend.run_jobs(&mut tx, &mut tip, &list).await?;
    if outputs.len() != jobs.len() {
        return Err(StoreError::Corrupt(
            "the store's writer lost a job's answer".into(),
        ));
    }
    // Dropping `tx` on an error above rolls the whole batch back.
    backend.commit_batch(tx).await?;
    Ok(outputs)
}

/// The same error for every caller of a failed batch (sqlx errors are not `Clone`).
fn shared_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::AlreadyExists => StoreError::AlreadyExists,
        StoreError::InviteInvalid => StoreError::InviteInvalid,
        StoreError::Unavailable(inner) => {
            StoreError::Unavailable(sqlx::Error::Protocol(inner.to_string()))
        }
        StoreError::Corrupt(s) => StoreError::Corrupt(s.clone()),
        StoreError::Database(_) | StoreError::Migrate(_) => {
            StoreError::Database(sqlx::Error::Protocol(e.to_string()))
        }
    }
}
