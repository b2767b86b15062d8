//! Connecting to PostgreSQL, for deployments where several stateless server
//! replicas share one database.

use super::db_err;
use app::ports::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    PgPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10)).connect(url).await.map_err(db_err)
}
