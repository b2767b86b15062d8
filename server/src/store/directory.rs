//! Who has what: app assignments, group memberships, license assignments.
//! One transaction per change, with its audit event; changes that can move a
//! license seat recompute the seats of the licenses they reach.

use super::access::recompute_license_seats;
use super::{db_err, new_id, SqlStore};
use app::ports::*;
use async_trait::async_trait;

/// The (user_id, group_id) columns of a principal.
fn columns(p: &Principal) -> (Option<&str>, Option<&str>) {
    match p {
        Principal::User(id) => (Some(id.as_str()), None),
        Principal::Group(id) => (None, Some(id.as_str())),
    }
}

/// Licenses assigned to `group_id` or to any group it is (transitively) a
/// member of: the licenses whose claimants a change of its members moves.
/// Binds: $1 org, $2 group.
const LICENSES_REACHING_GROUP: &str = "WITH RECURSIVE up(group_id) AS ( \
        SELECT $2 \
        UNION SELECT e.group_id FROM group_group_members e JOIN up ON e.member_group_id = up.group_id \
    ) \
    SELECT DISTINCT license_id FROM license_assignments WHERE org_id = $1 AND group_id IN (SELECT group_id FROM up)";

/// Recomputes, inside the caller's transaction, the seats of every license
/// whose claimants a change of `group_id`'s members moves.
macro_rules! recompute_seats_reaching_group {
    ($conn:expr, $org_id:expr, $group_id:expr) => {{
        let licenses: Vec<String> =
            sqlx::query_scalar(LICENSES_REACHING_GROUP).bind($org_id).bind($group_id).fetch_all(&mut *$conn).await.map_err(db_err)?;
        for license_id in &licenses {
            recompute_license_seats!(&mut *$conn, $org_id, license_id);
        }
    }};
}

#[async_trait]
impl DirectoryStore for SqlStore {
    #[tracing::instrument(skip(self, audit))]
    async fn add_app_assignment(&self, org_id: &str, app_id: &str, to: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(to);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT id FROM app_assignments WHERE org_id = $1 AND app_id = $2 \
                 AND (user_id = $3 OR group_id = $4)")
                .bind(org_id).bind(app_id).bind(user_id).bind(group_id)
                .fetch_optional(&mut *tx).await.map_err(db_err)?;
            if exists.is_some() {
                return Ok(false);
            }
            sqlx::query("INSERT INTO app_assignments (id, org_id, app_id, user_id, group_id, assigned_at, assigned_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(new_id()).bind(org_id).bind(app_id).bind(user_id).bind(group_id).bind(audit.at).bind(&audit.actor_user_id)
                .execute(&mut *tx).await.map_err(db_err)?;
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    #[tracing::instrument(skip(self, audit))]
    async fn remove_app_assignment(&self, org_id: &str, app_id: &str, from: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(from);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let removed = sqlx::query("DELETE FROM app_assignments WHERE org_id = $1 AND app_id = $2 AND (user_id = $3 OR group_id = $4)")
                .bind(org_id).bind(app_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?
                .rows_affected();
            if removed == 0 {
                return Ok(false);
            }
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    #[tracing::instrument(skip(self, audit))]
    async fn add_group_member(&self, org_id: &str, group_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        self.change_membership(Membership::Add, org_id, group_id, user_id, audit).await
    }

    #[tracing::instrument(skip(self, audit))]
    async fn remove_group_member(&self, org_id: &str, group_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        self.change_membership(Membership::Remove, org_id, group_id, user_id, audit).await
    }

    #[tracing::instrument(skip(self, audit))]
    async fn add_license_assignment(&self, org_id: &str, license_id: &str, to: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(to);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT id FROM license_assignments WHERE org_id = $1 AND license_id = $2 AND (user_id = $3 OR group_id = $4)")
                .bind(org_id).bind(license_id).bind(user_id).bind(group_id)
                .fetch_optional(&mut *tx).await.map_err(db_err)?;
            if exists.is_some() {
                return Ok(false);
            }
            sqlx::query("INSERT INTO license_assignments (id, org_id, license_id, user_id, group_id, assigned_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(new_id()).bind(org_id).bind(license_id).bind(user_id).bind(group_id).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?;
            recompute_license_seats!(&mut *tx, org_id, license_id);
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    #[tracing::instrument(skip(self, audit))]
    async fn remove_license_assignment(&self, org_id: &str, license_id: &str, from: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(from);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let removed = sqlx::query(
                "DELETE FROM license_assignments WHERE org_id = $1 AND license_id = $2 AND (user_id = $3 OR group_id = $4)")
                .bind(org_id).bind(license_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?
                .rows_affected();
            if removed == 0 {
                return Ok(false);
            }
            recompute_license_seats!(&mut *tx, org_id, license_id);
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

#[derive(Clone, Copy)]
enum Membership {
    Add,
    Remove,
}

impl SqlStore {
    /// Adds or removes a direct membership; when something changed, the seats
    /// it moves and the audit event, in the same transaction.
    async fn change_membership(
        &self,
        change: Membership,
        org_id: &str,
        group_id: &str,
        user_id: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let changed = match change {
                Membership::Add => sqlx::query(
                    "INSERT INTO group_user_members (org_id, group_id, user_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                    .bind(org_id).bind(group_id).bind(user_id).bind(audit.at)
                    .execute(&mut *tx).await,
                Membership::Remove => sqlx::query("DELETE FROM group_user_members WHERE org_id = $1 AND group_id = $2 AND user_id = $3")
                    .bind(org_id).bind(group_id).bind(user_id)
                    .execute(&mut *tx).await,
            }
            .map_err(db_err)?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            recompute_seats_reaching_group!(&mut *tx, org_id, group_id);
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
