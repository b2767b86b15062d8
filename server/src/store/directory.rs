//! Who has what: app assignments, group memberships, license assignments.
//! One transaction per change, with its audit event; changes that can move a
//! license seat recompute the seats of the licenses they reach.

use super::access::recompute_license_seats;
use super::{db_err, new_id, SqlStore};
use app::ports::*;
use async_trait::async_trait;

/// The (user_id, group_id) columns of a principal.
pub(super) fn columns(p: &Principal) -> (Option<&str>, Option<&str>) {
    match p {
        Principal::User(id) => (Some(id.as_str()), None),
        Principal::Group(id) => (None, Some(id.as_str())),
    }
}

/// Licenses assigned to `group_id` or to any group it is (transitively) a
/// member of: the licenses whose claimants a change of its members moves.
/// Binds: $1 org, $2 group.
pub(super) const LICENSES_REACHING_GROUP: &str = "WITH RECURSIVE up(group_id) AS ( \
        SELECT $2 \
        UNION SELECT e.group_id FROM group_group_members e JOIN up ON e.member_group_id = up.group_id \
    ) \
    SELECT DISTINCT license_id FROM license_assignments WHERE org_id = $1 AND group_id IN (SELECT group_id FROM up)";

/// Every nesting edge (member group, group) above `group_id`: the groups it
/// is in, transitively, and theirs. Binds: $1 org, $2 group.
pub(super) const NESTING_ABOVE_GROUP: &str = "WITH RECURSIVE up(group_id) AS ( \
        SELECT $2 \
        UNION SELECT e.group_id FROM group_group_members e JOIN up ON e.member_group_id = up.group_id \
    ) \
    SELECT e.member_group_id, e.group_id FROM group_group_members e \
    WHERE e.org_id = $1 AND e.member_group_id IN (SELECT group_id FROM up)";

/// Recomputes, inside the caller's transaction, the seats of each license.
macro_rules! recompute_licenses {
    ($conn:expr, $org_id:expr, $licenses:expr) => {{
        for license_id in $licenses {
            $crate::store::access::recompute_license_seats!(&mut *$conn, $org_id, license_id);
        }
    }};
}
pub(super) use recompute_licenses;

/// Recomputes, inside the caller's transaction, the seats of every license
/// whose claimants a change of `group_id`'s members moves.
macro_rules! recompute_seats_reaching_group {
    ($conn:expr, $org_id:expr, $group_id:expr) => {{
        let licenses: Vec<String> =
            sqlx::query_scalar(LICENSES_REACHING_GROUP).bind($org_id).bind($group_id).fetch_all(&mut *$conn).await.map_err(db_err)?;
        recompute_licenses!($conn, $org_id, &licenses);
    }};
}

/// A group's members changed: when (SCIM's `meta.lastModified`).
macro_rules! touch_group {
    ($conn:expr, $org_id:expr, $group_id:expr, $at:expr) => {
        sqlx::query("UPDATE user_groups SET updated_at = $3 WHERE org_id = $1 AND id = $2")
            .bind($org_id)
            .bind($group_id)
            .bind($at)
            .execute(&mut *$conn)
            .await
            .map_err(db_err)?
    };
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
    async fn add_group_member(&self, org_id: &str, group_id: &str, member: &Principal, audit: AuditEvent) -> StoreResult<MemberAdded> {
        let postgres = matches!(self.pool, super::Pool::Postgres(_));
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let added = match member {
                Principal::User(user_id) => sqlx::query(
                    "INSERT INTO group_user_members (org_id, group_id, user_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                    .bind(org_id).bind(group_id).bind(user_id).bind(audit.at)
                    .execute(&mut *tx).await.map_err(db_err)?.rows_affected(),
                Principal::Group(member_id) if member_id == group_id => {
                    let name: Option<String> = sqlx::query_scalar("SELECT name FROM user_groups WHERE org_id = $1 AND id = $2")
                        .bind(org_id).bind(group_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                    return match name {
                        Some(name) => Ok(MemberAdded::WouldCloseCycle(vec![app::models::admin::NamedRef { id: group_id.to_string(), name }])),
                        None => Err(StoreError::NotFound),
                    };
                }
                Principal::Group(member_id) => {
                    // Two nestings that together close a cycle must not both
                    // pass the check: on PostgreSQL they take turns (SQLite
                    // writes one transaction at a time anyway). The trigger
                    // that moves the org's access version on this insert
                    // serialises them too, by its row lock; this lock does not
                    // depend on that.
                    if postgres {
                        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('group-nesting:' || $1))")
                            .bind(org_id).execute(&mut *tx).await.map_err(db_err)?;
                    }
                    let added = sqlx::query(
                        "INSERT INTO group_group_members (org_id, group_id, member_group_id, added_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING")
                        .bind(org_id).bind(group_id).bind(member_id).bind(audit.at)
                        .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                    if added == 1 {
                        // The nesting above `group_id`, as it was before.
                        let edges: Vec<(String, String)> = sqlx::query_as(NESTING_ABOVE_GROUP)
                            .bind(org_id).bind(group_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                        let mut parents: std::collections::HashMap<String, Vec<String>> = Default::default();
                        for (child, parent) in edges {
                            if !(child == *member_id && parent == *group_id) {
                                parents.entry(child).or_default().push(parent);
                            }
                        }
                        if let Some(chain) = app::domain::groups::cycle_path(group_id, member_id, &parents) {
                            let mut named = Vec::with_capacity(chain.len());
                            for id in chain {
                                let name: String = sqlx::query_scalar("SELECT name FROM user_groups WHERE org_id = $1 AND id = $2")
                                    .bind(org_id).bind(&id).fetch_one(&mut *tx).await.map_err(db_err)?;
                                named.push(app::models::admin::NamedRef { id, name });
                            }
                            // Dropping the transaction rolls the edge back.
                            return Ok(MemberAdded::WouldCloseCycle(named));
                        }
                    }
                    added
                }
            };
            if added == 0 {
                return Ok(MemberAdded::AlreadyMember);
            }
            recompute_seats_reaching_group!(&mut *tx, org_id, group_id);
            touch_group!(&mut *tx, org_id, group_id, audit.at);
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(MemberAdded::Added)
        })
    }

    #[tracing::instrument(skip(self, audit))]
    async fn remove_group_member(&self, org_id: &str, group_id: &str, member: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let removed = match member {
                Principal::User(user_id) => sqlx::query("DELETE FROM group_user_members WHERE org_id = $1 AND group_id = $2 AND user_id = $3")
                    .bind(org_id).bind(group_id).bind(user_id).execute(&mut *tx).await,
                Principal::Group(member_id) => sqlx::query(
                    "DELETE FROM group_group_members WHERE org_id = $1 AND group_id = $2 AND member_group_id = $3")
                    .bind(org_id).bind(group_id).bind(member_id).execute(&mut *tx).await,
            }
            .map_err(db_err)?
            .rows_affected();
            if removed == 0 {
                return Ok(false);
            }
            recompute_seats_reaching_group!(&mut *tx, org_id, group_id);
            touch_group!(&mut *tx, org_id, group_id, audit.at);
            super::insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
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
