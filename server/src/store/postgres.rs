//! Connecting to PostgreSQL, for deployments where several stateless server
//! replicas share one database.

use super::db_err;
use app::ports::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    // No ping before each use (a round trip of its own, doubling the cost of
    // a one-query request); a connection that fails is closed by the pool.
    PgPoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(db_err)
}
