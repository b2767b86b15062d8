//! Consent grants as the user who gave them sees them: recording a
//! user's consent from the prompt, listing their consents (and the
//! organisation's for their apps), and revoking their own with every token
//! issued under it. Each change is one transaction with its audit event.

use super::access::{CANDIDATES, REACH};
use super::directory::columns;
use super::{db_err, insert_audit_event, new_id, SqlStore};
use app::domain::consent::Classification;
use app::domain::consent::UserConsentPolicy;
use app::domain::consent_settings::ConsentSettings;
use app::models::apps::GrantedBy;
use app::models::consents::{
    AppConsents, AppGrant, ConsentSettingsView, ConsentedApp, GrantSubject, GrantedPermission, MyConsents, ReviewerView,
};
use app::models::requests::RequestedPermission;
use app::ports::*;
use async_trait::async_trait;

#[derive(sqlx::FromRow)]
struct GrantRow {
    app_id: String,
    app_name: String,
    publisher_name: String,
    publisher_verified: bool,
    tenant_wide: bool,
    grant_granted_at: i64,
    value: String,
    display_name: String,
    description: String,
    api_name: String,
    granted_at: i64,
}

/// Deletes a grant in the caller's transaction, and with it every OAuth
/// token issued under it: an app cannot refresh its way past a revocation.
/// The number of refresh tokens deleted.
macro_rules! delete_grant {
    ($tx:expr, $org:expr, $grant:expr) => {{
        let refresh = sqlx::query("DELETE FROM oauth_refresh_tokens WHERE org_id = $1 AND grant_id = $2")
            .bind($org)
            .bind($grant)
            .execute($tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        sqlx::query("DELETE FROM oauth_access_tokens WHERE org_id = $1 AND grant_id = $2")
            .bind($org)
            .bind($grant)
            .execute($tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM consent_grants WHERE org_id = $1 AND id = $2")
            .bind($org)
            .bind($grant)
            .execute($tx)
            .await
            .map_err(db_err)?;
        refresh
    }};
}

#[derive(sqlx::FromRow)]
struct AppGrantRow {
    id: String,
    principal_user_id: Option<String>,
    display_name: Option<String>,
    upn: Option<String>,
    grant_granted_at: i64,
    granted_by: String,
    value: Option<String>,
    permission_name: Option<String>,
    description: Option<String>,
    api_name: Option<String>,
    granted_at: Option<i64>,
}

/// An app's grants read for admins: at most this many rows (grant ×
/// permission), the organisation's grant first.
const APP_GRANT_ROWS: i64 = 5000;

#[async_trait]
impl ConsentStore for SqlStore {
    async fn grant_user_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        permission_ids: &[String],
        audit: AuditEvent,
    ) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // One grant per (app, user): made on the first consent, added to later.
            sqlx::query(
                "INSERT INTO consent_grants (id, org_id, app_id, principal_user_id, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT DO NOTHING")
                .bind(new_id()).bind(org_id).bind(app_id).bind(user_id).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?;
            let grant_id: String = sqlx::query_scalar(
                "SELECT id FROM consent_grants WHERE org_id = $1 AND app_id = $2 AND principal_user_id = $3")
                .bind(org_id).bind(app_id).bind(user_id)
                .fetch_one(&mut *tx).await.map_err(db_err)?;
            for permission_id in permission_ids {
                // Only the org's permissions that this app requests.
                sqlx::query(
                    "INSERT INTO consent_grant_permissions (org_id, grant_id, permission_id, granted_at) \
                     SELECT $1, $2, ap.permission_id, $5 FROM application_permissions ap \
                     WHERE ap.org_id = $1 AND ap.app_id = $3 AND ap.permission_id = $4 \
                     ON CONFLICT DO NOTHING")
                    .bind(org_id).bind(&grant_id).bind(app_id).bind(permission_id).bind(audit.at)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn my_consents(&self, org_id: &str, user_id: &str) -> StoreResult<MyConsents> {
        // The user's own grants for any app; the organisation's only for
        // the apps the user has (assigned, through a group, or open).
        static GRANTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "{REACH}, {CANDIDATES} SELECT g.app_id, a.name AS app_name, a.publisher_name, a.publisher_verified, \
                    (g.principal_user_id IS NULL) AS tenant_wide, g.granted_at AS grant_granted_at, \
                    p.value, p.display_name, p.description, api.name AS api_name, gp.granted_at \
                 FROM consent_grants g \
                 JOIN applications a ON a.org_id = g.org_id AND a.id = g.app_id \
                 JOIN consent_grant_permissions gp ON gp.grant_id = g.id \
                 JOIN permissions p ON p.org_id = g.org_id AND p.id = gp.permission_id \
                 JOIN apis api ON api.org_id = p.org_id AND api.id = p.api_id \
                 WHERE g.org_id = $1 \
                   AND (g.principal_user_id = $2 OR (g.principal_user_id IS NULL AND g.app_id IN (SELECT app_id FROM cand))) \
                 ORDER BY (g.principal_user_id IS NULL), lower(a.name), a.id, api.name, p.value"
            )
        });
        crate::on_pool!(&self.pool, p => {
            let users_can_remove: bool = sqlx::query_scalar("SELECT users_can_remove_consent FROM organisations WHERE id = $1")
                .bind(org_id).fetch_one(p).await.map_err(db_err)?;
            let rows: Vec<GrantRow> = sqlx::query_as(&GRANTS)
                .bind(org_id).bind(user_id).bind(None::<&str>)
                .fetch_all(p).await.map_err(db_err)?;
            let mut apps: Vec<ConsentedApp> = Vec::new();
            for r in rows {
                let granted_by = if r.tenant_wide { GrantedBy::Organisation } else { GrantedBy::You };
                let permission = GrantedPermission {
                    value: r.value, display_name: r.display_name, description: r.description, api_name: r.api_name, granted_at: r.granted_at,
                };
                match apps.last_mut() {
                    Some(last) if last.app_id == r.app_id && last.granted_by == granted_by => last.permissions.push(permission),
                    _ => apps.push(ConsentedApp {
                        app_id: r.app_id,
                        app_name: r.app_name,
                        publisher: r.publisher_name,
                        publisher_verified: r.publisher_verified,
                        granted_by,
                        granted_at: r.grant_granted_at,
                        permissions: vec![permission],
                        removable: users_can_remove && granted_by == GrantedBy::You,
                    }),
                }
            }
            Ok(MyConsents { users_can_remove, apps })
        })
    }

    async fn revoke_user_consent(&self, org_id: &str, app_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<Option<u64>> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let grant_id: Option<String> = sqlx::query_scalar(
                "SELECT id FROM consent_grants WHERE org_id = $1 AND app_id = $2 AND principal_user_id = $3")
                .bind(org_id).bind(app_id).bind(user_id)
                .fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some(grant_id) = grant_id else { return Ok(None) };
            let refresh = delete_grant!(&mut *tx, org_id, &grant_id);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(refresh))
        })
    }

    async fn app_consents(&self, org_id: &str, app_id: &str) -> StoreResult<Option<AppConsents>> {
        crate::on_pool!(&self.pool, p => {
            let app: Option<(String, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT name, consent_blocked_reason, consent_blocked_at FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).fetch_optional(p).await.map_err(db_err)?;
            let Some((app_name, reason, blocked_at)) = app else { return Ok(None) };
            let requested: Vec<(String, String, String, String, String, Option<String>, bool)> = sqlx::query_as(
                "SELECT pm.id, pm.value, pm.display_name, pm.description, api.name, pm.classification, pm.admin_consent_required \
                 FROM application_permissions ap \
                 JOIN permissions pm ON pm.org_id = ap.org_id AND pm.id = ap.permission_id \
                 JOIN apis api ON api.org_id = pm.org_id AND api.id = pm.api_id \
                 WHERE ap.org_id = $1 AND ap.app_id = $2 ORDER BY api.name, pm.value")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let rows: Vec<AppGrantRow> = sqlx::query_as(
                "SELECT g.id, g.principal_user_id, u.display_name, u.upn, g.granted_at AS grant_granted_at, \
                    COALESCE(g.granted_by_label, gu.display_name, '') AS granted_by, \
                    pm.value, pm.display_name AS permission_name, pm.description, api.name AS api_name, gp.granted_at \
                 FROM consent_grants g \
                 LEFT JOIN users u ON u.org_id = g.org_id AND u.id = g.principal_user_id \
                 LEFT JOIN users gu ON gu.org_id = g.org_id AND gu.id = g.granted_by \
                 LEFT JOIN consent_grant_permissions gp ON gp.grant_id = g.id \
                 LEFT JOIN permissions pm ON pm.org_id = gp.org_id AND pm.id = gp.permission_id \
                 LEFT JOIN apis api ON api.org_id = pm.org_id AND api.id = pm.api_id \
                 WHERE g.org_id = $1 AND g.app_id = $2 \
                 ORDER BY (g.principal_user_id IS NOT NULL), lower(u.display_name), g.id, api.name, pm.value LIMIT $3")
                .bind(org_id).bind(app_id).bind(APP_GRANT_ROWS).fetch_all(p).await.map_err(db_err)?;
            let mut grants: Vec<AppGrant> = Vec::new();
            for r in rows {
                let permission = match (r.value, r.permission_name, r.description, r.api_name, r.granted_at) {
                    (Some(value), Some(display_name), Some(description), Some(api_name), Some(granted_at)) => {
                        Some(GrantedPermission { value, display_name, description, api_name, granted_at })
                    }
                    _ => None,
                };
                if grants.last().map(|g| g.id != r.id).unwrap_or(true) {
                    grants.push(AppGrant {
                        id: r.id.clone(),
                        subject: GrantSubject {
                            kind: if r.principal_user_id.is_some() { "user" } else { "organisation" }.into(),
                            user_id: r.principal_user_id,
                            display_name: r.display_name,
                            upn: r.upn,
                        },
                        granted_at: r.grant_granted_at,
                        granted_by: r.granted_by,
                        permissions: Vec::new(),
                    });
                }
                if let (Some(last), Some(permission)) = (grants.last_mut(), permission) {
                    last.permissions.push(permission);
                }
            }
            Ok(Some(AppConsents {
                app_id: app_id.to_string(),
                app_name,
                requested: requested.into_iter().map(|(id, value, display_name, description, api_name, classification, admin_consent_required)| {
                    RequestedPermission {
                        id, value, display_name, description, api_name,
                        classification: classification.as_deref().and_then(Classification::parse),
                        admin_consent_required,
                    }
                }).collect(),
                grants,
                blocked_reason: blocked_at.and(reason),
            }))
        })
    }

    async fn admin_grant_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: Option<&str>,
        permission_ids: &[String],
        granted_by: &Decider,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let now = audit.at;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let app: Option<String> = sqlx::query_scalar("SELECT id FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            if app.is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(user_id) = user_id {
                let user: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(user_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                if user.is_none() {
                    return Err(StoreError::NotFound);
                }
            }
            // One grant per (app, user) and one for the organisation: made
            // if missing, added to otherwise.
            sqlx::query(
                "INSERT INTO consent_grants (id, org_id, app_id, principal_user_id, granted_by, granted_by_label, granted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
                .bind(new_id()).bind(org_id).bind(app_id).bind(user_id).bind(&granted_by.user_id).bind(&granted_by.label).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            let grant_id: String = sqlx::query_scalar(
                "SELECT id FROM consent_grants WHERE org_id = $1 AND app_id = $2 \
                 AND (principal_user_id = $3 OR ($3 IS NULL AND principal_user_id IS NULL))")
                .bind(org_id).bind(app_id).bind(user_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            for permission_id in permission_ids {
                sqlx::query(
                    "INSERT INTO consent_grant_permissions (org_id, grant_id, permission_id, granted_at) \
                     SELECT $1, $2, ap.permission_id, $5 FROM application_permissions ap \
                     WHERE ap.org_id = $1 AND ap.app_id = $3 AND ap.permission_id = $4 ON CONFLICT DO NOTHING")
                    .bind(org_id).bind(&grant_id).bind(app_id).bind(permission_id).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn revoke_grant(&self, org_id: &str, app_id: &str, grant_id: &str, audit: AuditEvent) -> StoreResult<Option<u64>> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let found: Option<String> = sqlx::query_scalar("SELECT id FROM consent_grants WHERE org_id = $1 AND app_id = $2 AND id = $3")
                .bind(org_id).bind(app_id).bind(grant_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            if found.is_none() {
                return Ok(None);
            }
            let refresh = delete_grant!(&mut *tx, org_id, grant_id);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(refresh))
        })
    }
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    user_consent_policy: String,
    users_can_remove_consent: bool,
    admin_consent_workflow_enabled: bool,
    admin_consent_request_expiry_days: i64,
    admin_consent_notify_reviewers: bool,
    admin_consent_reminders: bool,
}

#[async_trait]
impl ConsentSettingsStore for SqlStore {
    async fn consent_settings(&self, org_id: &str) -> StoreResult<ConsentSettingsView> {
        crate::on_pool!(&self.pool, p => {
            let row: SettingsRow = sqlx::query_as(
                "SELECT user_consent_policy, users_can_remove_consent, admin_consent_workflow_enabled, \
                        admin_consent_request_expiry_days, admin_consent_notify_reviewers, admin_consent_reminders \
                 FROM organisations WHERE id = $1")
                .bind(org_id).fetch_optional(p).await.map_err(db_err)?.ok_or(StoreError::NotFound)?;
            let reviewers: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT 'user', u.id, u.display_name, u.upn FROM consent_reviewers r \
                   JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id WHERE r.org_id = $1 \
                 UNION ALL \
                 SELECT 'group', g.id, g.name, '' FROM consent_reviewers r \
                   JOIN user_groups g ON g.org_id = r.org_id AND g.id = r.group_id WHERE r.org_id = $1 \
                 ORDER BY 1 DESC, 3, 2")
                .bind(org_id).fetch_all(p).await.map_err(db_err)?;
            Ok(ConsentSettingsView {
                settings: ConsentSettings {
                    user_consent_policy: UserConsentPolicy::parse(&row.user_consent_policy).unwrap_or(UserConsentPolicy::VerifiedPublishersLowImpact),
                    users_can_remove_consent: row.users_can_remove_consent,
                    workflow_enabled: row.admin_consent_workflow_enabled,
                    request_expiry_days: row.admin_consent_request_expiry_days,
                    notify_reviewers: row.admin_consent_notify_reviewers,
                    reminders: row.admin_consent_reminders,
                },
                reviewers: reviewers.into_iter().map(|(kind, id, name, detail)| ReviewerView { kind, id, name, detail }).collect(),
            })
        })
    }

    async fn update_consent_settings(&self, org_id: &str, s: &ConsentSettings, audit: AuditEvent) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query(
                "UPDATE organisations SET user_consent_policy = $2, users_can_remove_consent = $3, admin_consent_workflow_enabled = $4, \
                    admin_consent_request_expiry_days = $5, admin_consent_notify_reviewers = $6, admin_consent_reminders = $7 \
                 WHERE id = $1")
                .bind(org_id).bind(s.user_consent_policy.as_str()).bind(s.users_can_remove_consent).bind(s.workflow_enabled)
                .bind(s.request_expiry_days).bind(s.notify_reviewers).bind(s.reminders)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn add_consent_reviewer(&self, org_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(reviewer);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let (sql, id) = match reviewer {
                Principal::User(id) => ("SELECT id FROM users WHERE org_id = $1 AND id = $2", id),
                Principal::Group(id) => ("SELECT id FROM user_groups WHERE org_id = $1 AND id = $2", id),
            };
            let exists: Option<String> = sqlx::query_scalar(sql)
            .bind(org_id).bind(id)
            .fetch_optional(&mut *tx).await.map_err(db_err)?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            let added = sqlx::query(
                "INSERT INTO consent_reviewers (id, org_id, user_id, group_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(new_id()).bind(org_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if added {
                insert_audit_event!(&mut *tx, audit)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(added)
        })
    }

    async fn remove_consent_reviewer(&self, org_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(reviewer);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let removed = sqlx::query("DELETE FROM consent_reviewers WHERE org_id = $1 AND (user_id = $2 OR group_id = $3)")
                .bind(org_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() > 0;
            if !removed {
                return Ok(false);
            }
            // Lock the organisation's row, then count (a statement after the
            // lock sees every removal committed before it): of two removals
            // at once, the second to get the lock sees the first's, so they
            // cannot both leave the workflow without a reviewer.
            sqlx::query("UPDATE organisations SET admin_consent_workflow_enabled = admin_consent_workflow_enabled WHERE id = $1")
                .bind(org_id).execute(&mut *tx).await.map_err(db_err)?;
            let (on, left): (bool, i64) = sqlx::query_as(
                "SELECT o.admin_consent_workflow_enabled, (SELECT COUNT(*) FROM consent_reviewers r WHERE r.org_id = o.id) \
                 FROM organisations o WHERE o.id = $1")
                .bind(org_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            if on && left == 0 {
                return Err(StoreError::Conflict { constraint: "last_reviewer".into() });
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
