//! The permission catalogue: the organisation's APIs and their delegated
//! permissions, and the classification privileged admins give them (which
//! the user-consent policy reads at the next launch: `permissions` is an
//! input of the access version).

use super::{db_err, insert_audit_event, SqlStore};
use app::domain::consent::Classification;
use app::models::consents::{CatalogueApi, CataloguePermission};
use app::ports::*;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct Row {
    api_id: String,
    api_name: String,
    identifier: String,
    api_description: String,
    id: Option<String>,
    value: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    admin_consent_required: Option<bool>,
    classification: Option<String>,
    requested_by_apps: Option<i64>,
}

#[async_trait]
impl PermissionsStore for SqlStore {
    async fn permission_catalogue(&self, org_id: &str) -> StoreResult<Vec<CatalogueApi>> {
        let rows: Vec<Row> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT a.id AS api_id, a.name AS api_name, a.identifier, a.description AS api_description, \
                    p.id, p.value, p.display_name, p.description, p.admin_consent_required, p.classification, \
                    (SELECT COUNT(*) FROM application_permissions ap WHERE ap.permission_id = p.id) AS requested_by_apps \
             FROM apis a LEFT JOIN permissions p ON p.org_id = a.org_id AND p.api_id = a.id \
             WHERE a.org_id = $1 ORDER BY lower(a.name), a.id, p.value")
            .bind(org_id).fetch_all(p).await.map_err(db_err))?;
        let mut apis: Vec<CatalogueApi> = Vec::new();
        for r in rows {
            if apis.last().is_none_or(|a| a.id != r.api_id) {
                apis.push(CatalogueApi {
                    id: r.api_id.clone(),
                    name: r.api_name,
                    identifier: r.identifier,
                    description: r.api_description,
                    permissions: vec![],
                });
            }
            let (Some(id), Some(value)) = (r.id, r.value) else { continue };
            let api = apis.last_mut().expect("pushed above");
            api.permissions.push(CataloguePermission {
                id,
                value,
                display_name: r.display_name.unwrap_or_default(),
                description: r.description.unwrap_or_default(),
                admin_consent_required: r.admin_consent_required.unwrap_or(false),
                classification: r.classification.as_deref().and_then(Classification::parse),
                requested_by_apps: r.requested_by_apps.unwrap_or(0),
            });
        }
        Ok(apis)
    }

    async fn classify_permission(
        &self,
        org_id: &str,
        permission_id: &str,
        classification: Option<Classification>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let changed = sqlx::query("UPDATE permissions SET classification = $3 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(permission_id).bind(classification.map(Classification::as_str))
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if !changed {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
