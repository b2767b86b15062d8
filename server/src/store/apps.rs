//! Apps, as admins manage them. Every query is scoped by the organisation.

use super::{db_err, SqlStore};
use app::models::admin::AppChoice;
use app::ports::*;
use async_trait::async_trait;

#[async_trait]
impl AppsStore for SqlStore {
    async fn list_app_choices(&self, org_id: &str) -> StoreResult<Vec<AppChoice>> {
        let rows: Vec<(String, String)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, name FROM applications WHERE org_id = $1 ORDER BY lower(name), id")
            .bind(org_id)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        Ok(rows.into_iter().map(|(id, name)| AppChoice { id, name }).collect())
    }
}
