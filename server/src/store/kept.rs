//! A connection a background task keeps for itself.
//!
//! The session reader and the launch writer run one query after another all
//! day. Taken from the pool, every query would cost a round trip more than
//! itself: sqlx tests each connection given back to its pool with a ping
//! (with SQLite a hand-over to the connection's worker thread and back, with
//! PostgreSQL a trip to the server), and gives it back from a task of its
//! own. So each of these tasks takes a connection out of the pool for good
//! (the pool opens another in its place when it needs one) and uses it until
//! it fails; after a failure the next batch starts on a fresh one.

use super::{db_err, Pool};
use app::ports::StoreResult;
use sqlx::{Connection, PgConnection, SqliteConnection};
use tokio::sync::mpsc;

/// A connection of either backend, out of its pool.
#[derive(Debug)]
pub enum OwnConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs the same code against whichever connection is kept (see [`on_pool!`]).
#[macro_export]
macro_rules! on_connection {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::kept::OwnConnection::Sqlite($c) => $body,
            $crate::store::kept::OwnConnection::Postgres($c) => $body,
        }
    };
}

/// The connection a task keeps, opened when first needed.
#[derive(Debug)]
pub struct KeptConnection {
    pool: Pool,
    connection: Option<OwnConnection>,
    /// Writers' turns at SQLite's write lock (see [`WriteTurns`]).
    turns: Option<WriteTurns>,
}

/// Turns at SQLite's one write lock for the writers on the database
/// thread, handed out in the order they were asked for.
///
/// SQLite lets one transaction write at a time; another writer gets "busy"
/// and its busy handler sleeps and tries again (1, 2, 5, 10 … ms). The
/// launch and grant writers each start their next batch as soon as the
/// last one commits, so under load one of them found the lock free only by
/// luck between the other's batches: with refresh grants running flat out,
/// launches waited 356–594 ms at p99 (29–32 ms taking turns; BENCHMARKS.md).
/// They take turns here instead, and the lock is always free when their
/// turn comes. (PostgreSQL has row locks and needs none of this.)
#[derive(Clone, Debug, Default)]
pub struct WriteTurns(std::sync::Arc<tokio::sync::Mutex<()>>);

impl KeptConnection {
    pub fn new(pool: Pool) -> Self {
        KeptConnection { pool, connection: None, turns: None }
    }

    /// The same, for a writer that takes `turns` on SQLite.
    pub fn taking_turns(pool: Pool, turns: WriteTurns) -> Self {
        let turns = matches!(pool, Pool::Sqlite(_)).then_some(turns);
        KeptConnection { pool, connection: None, turns }
    }

    /// The kept connection, opened (with the pool's options) if there is
    /// none. Opened, not taken from the pool: its socket then belongs to the
    /// runtime of the task that keeps it (the database thread: `SqlStore::new`).
    pub async fn get(&mut self) -> StoreResult<&mut OwnConnection> {
        if self.connection.is_none() {
            let connection = match &self.pool {
                Pool::Sqlite(p) => OwnConnection::Sqlite(SqliteConnection::connect_with(&p.connect_options()).await.map_err(db_err)?),
                Pool::Postgres(p) => {
                    let mut c = PgConnection::connect_with(&p.connect_options()).await.map_err(db_err)?;
                    // These tasks run the same few statements all day, each
                    // prepared once. Left to choose, PostgreSQL plans each
                    // execution afresh (the plan for `= ANY($1)` depends on
                    // the array's length), and planning cost more than
                    // running them.
                    sqlx::query("SET plan_cache_mode = force_generic_plan").execute(&mut c).await.map_err(db_err)?;
                    OwnConnection::Postgres(c)
                }
            };
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("set just above"))
    }

    /// Runs `work` on the kept connection (in its writer's turn, if it
    /// takes turns) and, if it fails, closes the connection (see
    /// [`Self::discard`]).
    pub async fn run<R>(&mut self, work: impl AsyncFnOnce(&mut OwnConnection) -> StoreResult<R>) -> StoreResult<R> {
        let turns = self.turns.clone();
        // (tokio's mutex is fair: waiters get it in the order they asked.)
        let _turn = match &turns {
            Some(turns) => Some(turns.0.lock().await),
            None => None,
        };
        let result = match self.get().await {
            Ok(c) => work(c).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            self.discard().await;
        }
        result
    }

    /// Closes the kept connection after an error (it may be broken, or
    /// inside a transaction the error left open); the next [`Self::get`]
    /// starts on a fresh one.
    pub async fn discard(&mut self) {
        if let Some(connection) = self.connection.take() {
            let _ = on_connection!(connection, c => c.close_hard().await);
        }
    }
}

/// A writer's next batch: waits for one item, then takes every item
/// waiting, up to `max`, into `batch`. One yield in between lets requests
/// already running hand theirs over too, so the batch grows without a timer
/// and a lone item waits for nothing. False once every sender is gone.
pub async fn next_batch<T>(rx: &mut mpsc::Receiver<T>, batch: &mut Vec<T>, max: usize) -> bool {
    if rx.recv_many(batch, max).await == 0 {
        return false;
    }
    tokio::task::yield_now().await;
    while batch.len() < max {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    true
}
