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
//! (`WHERE id_hash IN (...)`, or `= ANY($1)` on PostgreSQL). Each lookup is still read after its request
//! arrived, so nothing is staler than a lookup of its own would be; under
//! light load a batch is one lookup, and under heavy load the batches grow
//! by themselves, with no timer adding delay. One batch is in flight at a
//! time, on a connection the reader keeps (see `kept`): with two readers,
//! batches were half the size and launches no faster.
//!
//! The reader also remembers the last row it read of each session
//! ([`SessionReader::cached`]). A remembered row is never trusted on its
//! own: a launch decided from one is written only if the launch writer,
//! reading the session again after the launch was handed to it, finds the
//! very same row (`launches`), so a launch costs no read of its own.

use super::kept::{KeptConnection, OwnConnection};
use super::sessions::session_record;
use super::{db_err, Pool, SessionRow, SELECT_SESSIONS};
use app::domain::model::SessionStage;
use app::ports::SessionRecord;
use app::ports::{StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use tokio::sync::{mpsc, oneshot};

/// The most distinct sessions one query reads.
pub const MAX_BATCH: usize = 64;

type Answer = Result<Option<SessionRow>, String>;

struct Lookup {
    id_hash: String,
    answer: oneshot::Sender<Answer>,
}

/// How many sessions a replica remembers (a few hundred bytes each).
pub const CACHE_CAPACITY: usize = 16_384;

/// Signed-in sessions with no step pending, as read last.
type Remembered = quick_cache::sync::Cache<String, Arc<SessionRecord>>;

#[derive(Clone, Debug)]
pub struct SessionReader {
    queue: mpsc::Sender<Lookup>,
    remembered: Arc<Remembered>,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

impl SessionReader {
    /// The reader's handle and its task (which ends when every handle is
    /// gone), to be run on the database thread (see `SqlStore::new`).
    pub fn new(pool: Pool) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let (queue, rx) = mpsc::channel(4096);
        let remembered = Arc::new(Remembered::new(CACHE_CAPACITY));
        (SessionReader { queue, remembered: remembered.clone() }, read_batches(pool, rx, remembered))
    }

    /// The row of this session as last read by this server, if any: to be
    /// confirmed before anything decided from it takes effect.
    pub fn cached(&self, id_hash: &str) -> Option<Arc<SessionRecord>> {
        self.remembered.get(id_hash)
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

async fn read_batches(pool: Pool, mut rx: mpsc::Receiver<Lookup>, remembered: Arc<Remembered>) {
    let mut connection = KeptConnection::new(pool);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Lookups that arrive while a batch is read wait for the next one.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        answer(&mut connection, std::mem::take(&mut batch), &remembered).await;
    }
}

async fn answer(connection: &mut KeptConnection, lookups: Vec<Lookup>, remembered: &Remembered) {
    let mut ids: Vec<&str> = lookups.iter().map(|l| l.id_hash.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows = connection.run(async |c| read(c, &ids).await).await;
    match rows {
        Ok(rows) => {
            let by_id: HashMap<&str, &SessionRow> = rows.iter().map(|r| (r.id_hash.as_str(), r)).collect();
            for id in &ids {
                match by_id.get(id).and_then(|row| rememberable((*row).clone())) {
                    Some(record) => remembered.insert(id.to_string(), Arc::new(record)),
                    None => {
                        remembered.remove(*id);
                    }
                }
            }
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

/// The session of a row, if a launch may be decided from memory of it:
/// signed in, with no step pending (so no sealed key to open). The reader
/// remembers only these, and the launch writer confirms only against these.
pub(crate) fn rememberable(row: SessionRow) -> Option<SessionRecord> {
    if row.stage != SessionStage::Active.as_str() || row.pending_totp_secret.is_some() {
        return None;
    }
    session_record(row, None).ok()
}

/// SQLite: one placeholder per id; PostgreSQL: one array, so that the
/// statement's text is the same for any number of ids and is prepared once.
pub(crate) async fn read(connection: &mut OwnConnection, ids: &[&str]) -> StoreResult<Vec<SessionRow>> {
    match connection {
        OwnConnection::Sqlite(c) => {
            let mut q = sqlx::QueryBuilder::new(SELECT_SESSIONS);
            q.push("WHERE s.id_hash IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as::<SessionRow>().fetch_all(c).await.map_err(db_err)
        }
        OwnConnection::Postgres(c) => {
            sqlx::query_as::<_, SessionRow>(&SELECT_SESSIONS_IN_ARRAY).bind(ids).fetch_all(c).await.map_err(db_err)
        }
    }
}

static SELECT_SESSIONS_IN_ARRAY: LazyLock<String> = LazyLock::new(|| format!("{SELECT_SESSIONS} WHERE s.id_hash = ANY($1)"));
