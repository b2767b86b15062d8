//! Connecting to SQLite, the embedded default: a file under the data
//! directory, created on first start, in WAL mode so readers never wait for
//! the writer. (Not memory-mapped: with launches appending all the time the
//! file grows, every connection remaps it, and the unmapping's TLB
//! shootdowns cost more than the reads they save — measured.)

use super::db_err;
use app::ports::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Internal(format!("bad SQLite URL: {e}")))?
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        // Statement journals (a multi-row statement inside a transaction
        // keeps the pages it changes, to undo just that statement) and temp
        // tables in memory: on disk, every batch of launches created,
        // wrote and deleted a temporary file once its journal passed 64 KiB.
        .pragma("temp_store", "memory")
        // Writers queue for the lock instead of failing at once.
        .busy_timeout(Duration::from_secs(10));
    // No ping before each use: with SQLite every statement is a round trip
    // to the connection's worker thread, and the ping doubled them (it was
    // the largest single cost of a launch). A connection that fails is
    // closed by the pool anyway.
    SqlitePoolOptions::new().max_connections(max_connections).test_before_acquire(false).connect_with(options).await.map_err(db_err)
}
