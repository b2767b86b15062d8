//! The permission catalogue: the organisation's APIs and their delegated
//! permissions, and the classification privileged admins give them (which
//! the user-consent policy reads at the next launch: `permissions` is an
//! input of the access version).

use super::{db_err, insert_audit_event, new_id, SqlStore};
use app::domain::catalogue::{is_standard_api, NewApi, NewPermission};
use app::domain::consent::Classification;
use app::models::consents::{CatalogueApi, CataloguePermission};
use app::ports::*;
use async_trait::async_trait;

/// Gives an organisation, inside the caller's transaction, OpenID
/// Connect's API and standard scopes (low impact, open to user consent)
/// that it lacks. Evaluates to the number of scopes added.
macro_rules! insert_standard_scopes {
    ($conn:expr, $org_id:expr) => {{
        let org_id: &str = $org_id;
        let (name, identifier, description) = app::domain::catalogue::STANDARD_API;
        sqlx::query("INSERT INTO apis (id, org_id, name, identifier, description) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
            .bind($crate::store::new_id())
            .bind(org_id)
            .bind(name)
            .bind(identifier)
            .bind(description)
            .execute(&mut *$conn)
            .await
            .map_err($crate::store::db_err)?;
        let api_id: String = sqlx::query_scalar("SELECT id FROM apis WHERE org_id = $1 AND identifier = $2")
            .bind(org_id)
            .bind(identifier)
            .fetch_one(&mut *$conn)
            .await
            .map_err($crate::store::db_err)?;
        let mut added: u64 = 0;
        for (value, display_name, description) in app::domain::catalogue::STANDARD_SCOPES {
            added += sqlx::query(
                "INSERT INTO permissions (id, org_id, api_id, value, display_name, description, admin_consent_required, classification) \
                 VALUES ($1, $2, $3, $4, $5, $6, FALSE, 'low') ON CONFLICT DO NOTHING",
            )
            .bind($crate::store::new_id())
            .bind(org_id)
            .bind(&api_id)
            .bind(*value)
            .bind(*display_name)
            .bind(*description)
            .execute(&mut *$conn)
            .await
            .map_err($crate::store::db_err)?
            .rows_affected();
        }
        added
    }};
}
pub(crate) use insert_standard_scopes;

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
    async fn create_api(&self, org_id: &str, api: &NewApi, audit: AuditEvent) -> StoreResult<String> {
        let id = new_id();
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("INSERT INTO apis (id, org_id, name, identifier, description) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id).bind(org_id).bind(&api.name).bind(&api.identifier).bind(&api.description)
                .execute(&mut *tx).await.map_err(db_err)?;
            let mut audit = audit;
            audit.target_id = id.clone();
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    async fn create_permission(&self, org_id: &str, api_id: &str, permission: &NewPermission, audit: AuditEvent) -> StoreResult<String> {
        let id = new_id();
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let identifier: Option<String> = sqlx::query_scalar("SELECT identifier FROM apis WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(api_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            match identifier {
                None => return Err(StoreError::NotFound),
                Some(i) if is_standard_api(&i) => return Err(StoreError::Conflict { constraint: "standard_api".into() }),
                Some(_) => {}
            }
            // A scope names one permission in the organisation: an app's
            // request for it must mean one thing.
            let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM permissions WHERE org_id = $1 AND value = $2)")
                .bind(org_id).bind(&permission.value).fetch_one(&mut *tx).await.map_err(db_err)?;
            if taken {
                return Err(StoreError::Conflict { constraint: "value_taken".into() });
            }
            sqlx::query(
                "INSERT INTO permissions (id, org_id, api_id, value, display_name, description, admin_consent_required, classification) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&id).bind(org_id).bind(api_id).bind(&permission.value).bind(&permission.display_name).bind(&permission.description)
                .bind(permission.admin_consent_required).bind(permission.classification.map(Classification::as_str))
                .execute(&mut *tx).await.map_err(db_err)?;
            let mut audit = audit;
            audit.target_id = id.clone();
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    async fn delete_permission(&self, org_id: &str, permission_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let found: Option<(String, i64)> = sqlx::query_as(
                "SELECT a.identifier, (SELECT COUNT(*) FROM application_permissions ap WHERE ap.org_id = pm.org_id AND ap.permission_id = pm.id) \
                 FROM permissions pm JOIN apis a ON a.org_id = pm.org_id AND a.id = pm.api_id WHERE pm.org_id = $1 AND pm.id = $2")
                .bind(org_id).bind(permission_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some((identifier, requested)) = found else { return Ok(false) };
            if is_standard_api(&identifier) {
                return Err(StoreError::Conflict { constraint: "standard_api".into() });
            }
            if requested > 0 {
                return Err(StoreError::Conflict { constraint: "permission_in_use".into() });
            }
            sqlx::query("DELETE FROM permissions WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(permission_id).execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn ensure_standard_scopes(&self) -> StoreResult<u64> {
        crate::on_pool!(&self.pool, p => {
            // One read finds the organisations that lack any standard scope
            // (none, after the first start): start-up writes only for them.
            let orgs: Vec<String> = sqlx::query_scalar(
                "SELECT o.id FROM organisations o WHERE (SELECT COUNT(*) FROM permissions pm \
                   JOIN apis a ON a.org_id = pm.org_id AND a.id = pm.api_id \
                   WHERE a.org_id = o.id AND a.identifier = $1) < $2 ORDER BY o.id")
                .bind(app::domain::catalogue::STANDARD_API.1).bind(app::domain::catalogue::STANDARD_SCOPES.len() as i64)
                .fetch_all(p).await.map_err(db_err)?;
            let mut added = 0;
            for org_id in orgs {
                let mut tx = p.begin().await.map_err(db_err)?;
                added += insert_standard_scopes!(&mut *tx, &org_id);
                tx.commit().await.map_err(db_err)?;
            }
            Ok(added)
        })
    }

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
