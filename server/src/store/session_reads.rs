//! Reading sessions for concurrent requests together.
//!
//! Every request after sign-in reads its session (with the user, the org
//! and its access version) from the database: that is what makes sign-out,
//! blocking and every access change take effect at once on every replica.
//! It is also the one database round trip of a launch, and a round trip
//! costs more than the query (with SQLite a hand-over to the connection's
//! worker thread and back; with PostgreSQL a trip to the server process).
//! So one reader task takes every session lookup waiting at that moment —
//! up to [`MAX_BATCH`] distinct ids — and answers them all from one query
//! (`WHERE id_hash IN (...)`). Each lookup is still read after its request
//! arrived, so nothing is staler than a lookup of its own would be; under
//! light load a batch is one lookup, and under heavy load the batches grow
//! by themselves, with no timer adding delay. One batch is in flight at a
//! time ([`READERS`]): with two, batches were half the size and launches no
//! faster.

use super::{db_err, Pool, SessionRow, SELECT_SESSIONS};
use app::ports::{StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// The most distinct sessions one query reads.
pub const MAX_BATCH: usize = 64;
/// Batches in flight at once (each holds a pooled connection).
const READERS: usize = 1;

type Answer = Result<Option<SessionRow>, String>;

struct Lookup {
    id_hash: String,
    answer: oneshot::Sender<Answer>,
}

#[derive(Clone, Debug)]
pub struct SessionReader {
    queue: mpsc::Sender<Lookup>,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

impl SessionReader {
    /// Starts the reader task on the current runtime.
    pub fn start(pool: Pool) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        tokio::spawn(read_batches(pool, rx));
        SessionReader { queue }
    }

    /// The session with this id digest, read after this call began.
    pub async fn find(&self, id_hash: &str) -> StoreResult<Option<SessionRow>> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Lookup { id_hash: id_hash.to_string(), answer })
            .await
            .map_err(|_| StoreError::Internal("the session reader has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Internal("the session reader stopped before answering".into()))?
            .map_err(StoreError::Internal)
    }
}

async fn read_batches(pool: Pool, mut rx: mpsc::Receiver<Lookup>) {
    let readers = Arc::new(Semaphore::new(READERS));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // A reader is free before lookups are taken, so that lookups
        // arriving meanwhile join the next batch rather than wait behind it.
        let Ok(reader) = readers.clone().acquire_owned().await else { return };
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let lookups = std::mem::take(&mut batch);
        let pool = pool.clone();
        tokio::spawn(async move {
            let _reader = reader;
            answer(&pool, lookups).await;
        });
    }
}

async fn answer(pool: &Pool, lookups: Vec<Lookup>) {
    let mut ids: Vec<&str> = lookups.iter().map(|l| l.id_hash.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = read(pool, &ids).await;
    match rows {
        Ok(rows) => {
            let by_id: HashMap<&str, &SessionRow> = rows.iter().map(|r| (r.id_hash.as_str(), r)).collect();
            for l in lookups {
                let row = by_id.get(l.id_hash.as_str()).map(|r| (*r).clone());
                let _ = l.answer.send(Ok(row));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for l in lookups {
                let _ = l.answer.send(Err(message.clone()));
            }
        }
    }
}

async fn read(pool: &Pool, ids: &[&str]) -> StoreResult<Vec<SessionRow>> {
    crate::on_pool!(pool, p => {
        let mut q = sqlx::QueryBuilder::new(SELECT_SESSIONS);
        q.push("WHERE s.id_hash IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(")");
        q.build_query_as::<SessionRow>().fetch_all(p).await.map_err(db_err)
    })
}
