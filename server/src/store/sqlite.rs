//! Connecting to SQLite, the embedded default: a file under the data
//! directory, created on first start, in WAL mode so readers never wait for
//! the writer.

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
        // Writers queue for the lock instead of failing at once.
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new().max_connections(max_connections).connect_with(options).await.map_err(db_err)
}
