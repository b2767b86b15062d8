//! Groups, as admins find and manage them. Every query is scoped by the
//! organisation; a change is one transaction with its audit event.
//! Memberships are changed in `directory` (they move license seats).

use super::directory::{recompute_licenses, LICENSES_REACHING_GROUP};
use super::users::{decode_cursor, encode_cursor, SummaryRow, SUMMARY_COLUMNS};
use super::{db_err, insert_audit_event, SqlStore};
use app::domain::groups::GroupFields;
use app::models::admin::{page_size, GroupDetail, GroupLicenseView, GroupPage, GroupQuery, GroupSummary, NamedRef, UserPage, UserQuery};
use app::ports::*;
use async_trait::async_trait;
use std::collections::HashMap;

fn cursor_after(cursor: &Option<String>) -> StoreResult<String> {
    match cursor {
        Some(c) if !c.is_empty() => decode_cursor(c),
        _ => Ok(String::new()),
    }
}

/// Groups in name order from the (org, name) index, filtered by a plain
/// substring of the lower-cased name. Direct counts ride along.
fn search_groups_sql(function: &str) -> String {
    format!(
        "SELECT g.id, g.name, g.name_normalized, g.description, \
           (SELECT COUNT(*) FROM group_user_members m WHERE m.group_id = g.id) AS direct_users, \
           (SELECT COUNT(*) FROM group_group_members e WHERE e.group_id = g.id) AS direct_groups \
         FROM user_groups g WHERE g.org_id = $1 AND ($2 = '' OR {function}(g.name_normalized, $2) > 0) \
           AND g.name_normalized > $3 ORDER BY g.name_normalized LIMIT $4"
    )
}
static SEARCH_GROUPS_SQLITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| search_groups_sql("instr"));
static SEARCH_GROUPS_POSTGRES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| search_groups_sql("strpos"));

/// Every user each of a set of groups reaches (through nested groups too),
/// counted once per group. The groups are passed as a JSON array of ids,
/// which both databases can read as rows. Binds: $1 org, $2 the ids.
fn effective_users_sql(ids_as_rows: &str) -> String {
    format!(
        "WITH RECURSIVE down(root, group_id) AS ( \
             SELECT id, id FROM user_groups WHERE org_id = $1 AND id IN ({ids_as_rows}) \
             UNION SELECT down.root, e.member_group_id FROM group_group_members e JOIN down ON e.group_id = down.group_id \
         ) \
         SELECT down.root, COUNT(DISTINCT m.user_id) FROM down JOIN group_user_members m ON m.group_id = down.group_id \
         GROUP BY down.root"
    )
}
static EFFECTIVE_USERS_SQLITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| effective_users_sql("SELECT value FROM json_each($2)"));
static EFFECTIVE_USERS_POSTGRES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| effective_users_sql("SELECT jsonb_array_elements_text($2::jsonb)"));

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: String,
    name: String,
    name_normalized: String,
    description: String,
    direct_users: i64,
    direct_groups: i64,
}

impl SqlStore {
    /// The effective user count of each group of `ids`.
    pub(super) async fn effective_users(&self, org_id: &str, ids: &[&str]) -> StoreResult<HashMap<String, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = match &self.pool {
            super::Pool::Sqlite(_) => EFFECTIVE_USERS_SQLITE.as_str(),
            super::Pool::Postgres(_) => EFFECTIVE_USERS_POSTGRES.as_str(),
        };
        let ids = serde_json::to_string(ids).map_err(|e| StoreError::Internal(e.to_string()))?;
        let rows: Vec<(String, i64)> =
            crate::on_pool!(&self.pool, p => sqlx::query_as(sql).bind(org_id).bind(&ids).fetch_all(p).await.map_err(db_err))?;
        Ok(rows.into_iter().collect())
    }
}

#[async_trait]
impl GroupsStore for SqlStore {
    async fn search_groups(&self, org_id: &str, query: &GroupQuery) -> StoreResult<GroupPage> {
        let limit = page_size(query.limit);
        let after = cursor_after(&query.cursor)?;
        let sql = match &self.pool {
            super::Pool::Sqlite(_) => SEARCH_GROUPS_SQLITE.as_str(),
            super::Pool::Postgres(_) => SEARCH_GROUPS_POSTGRES.as_str(),
        };
        // One row more than the page tells whether there is a next page.
        let mut rows: Vec<GroupRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(sql)
            .bind(org_id)
            .bind(query.search.trim().to_lowercase())
            .bind(&after)
            .bind(i64::from(limit) + 1)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(&r.name_normalized)) } else { None };
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let effective = self.effective_users(org_id, &ids).await?;
        let groups = rows
            .into_iter()
            .map(|r| GroupSummary {
                effective_users: effective.get(&r.id).copied().unwrap_or(0),
                id: r.id,
                name: r.name,
                description: r.description,
                direct_users: r.direct_users,
                direct_groups: r.direct_groups,
            })
            .collect();
        Ok(GroupPage { groups, next_cursor })
    }

    async fn find_group(&self, org_id: &str, group_id: &str) -> StoreResult<Option<GroupDetail>> {
        let found: Option<(String, String, String, i64, i64, i64)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT g.id, g.name, g.description, g.created_at, \
               (SELECT COUNT(*) FROM group_user_members m WHERE m.group_id = g.id), \
               (SELECT COUNT(*) FROM group_group_members e WHERE e.group_id = g.id) \
             FROM user_groups g WHERE g.org_id = $1 AND g.id = $2")
            .bind(org_id).bind(group_id).fetch_optional(p).await.map_err(db_err))?;
        let Some((id, name, description, created_at, direct_users, direct_groups)) = found else {
            return Ok(None);
        };
        let effective_users = self.effective_users(org_id, &[group_id]).await?.get(group_id).copied().unwrap_or(0);
        let named = |rows: Vec<(String, String)>| rows.into_iter().map(|(id, name)| NamedRef { id, name }).collect::<Vec<_>>();
        let (member_groups, member_of, apps, licenses) = crate::on_pool!(&self.pool, p => {
            let member_groups: Vec<(String, String)> = sqlx::query_as(
                "SELECT g.id, g.name FROM group_group_members e JOIN user_groups g ON g.org_id = e.org_id AND g.id = e.member_group_id \
                 WHERE e.org_id = $1 AND e.group_id = $2 ORDER BY g.name_normalized")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            let member_of: Vec<(String, String)> = sqlx::query_as(
                "SELECT g.id, g.name FROM group_group_members e JOIN user_groups g ON g.org_id = e.org_id AND g.id = e.group_id \
                 WHERE e.org_id = $1 AND e.member_group_id = $2 ORDER BY g.name_normalized")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            let apps: Vec<(String, String)> = sqlx::query_as(
                "SELECT a.id, a.name FROM app_assignments s JOIN applications a ON a.org_id = s.org_id AND a.id = s.app_id \
                 WHERE s.org_id = $1 AND s.group_id = $2 ORDER BY lower(a.name)")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            let licenses: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT l.id, l.name, l.sku FROM license_assignments s JOIN licenses l ON l.org_id = s.org_id AND l.id = s.license_id \
                 WHERE s.org_id = $1 AND s.group_id = $2 ORDER BY lower(l.name)")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>((member_groups, member_of, apps, licenses))
        })?;
        Ok(Some(GroupDetail {
            summary: GroupSummary { id, name, description, direct_users, direct_groups, effective_users },
            created_at,
            member_groups: named(member_groups),
            member_of: named(member_of),
            apps: named(apps),
            licenses: licenses.into_iter().map(|(id, name, sku)| GroupLicenseView { id, name, sku }).collect(),
        }))
    }

    async fn group_member_users(&self, org_id: &str, group_id: &str, query: &UserQuery) -> StoreResult<UserPage> {
        let limit = page_size(query.limit);
        let after = cursor_after(&query.cursor)?;
        let function = match &self.pool {
            super::Pool::Sqlite(_) => "instr",
            super::Pool::Postgres(_) => "strpos",
        };
        // From the group's members (its primary key), in UPN order.
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM users u WHERE u.org_id = $1 \
               AND u.id IN (SELECT m.user_id FROM group_user_members m WHERE m.org_id = $1 AND m.group_id = $2) \
               AND ($3 = '' OR {function}(u.upn_normalized, $3) > 0 OR {function}(lower(u.display_name), $3) > 0 \
                    OR {function}(lower(u.email), $3) > 0) \
               AND u.upn_normalized > $4 \
             ORDER BY u.upn_normalized LIMIT $5"
        );
        let mut rows: Vec<SummaryRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(org_id)
            .bind(group_id)
            .bind(query.search.trim().to_lowercase())
            .bind(&after)
            .bind(i64::from(limit) + 1)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(&r.upn_normalized)) } else { None };
        let users = rows.into_iter().map(SummaryRow::into_summary).collect::<StoreResult<_>>()?;
        Ok(UserPage { users, next_cursor })
    }

    async fn create_group(&self, org_id: &str, group_id: &str, fields: &GroupFields, audit: AuditEvent) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("INSERT INTO user_groups (id, org_id, name, name_normalized, description, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6)")
                .bind(group_id).bind(org_id).bind(&fields.name).bind(fields.name_normalized()).bind(&fields.description).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn update_group(&self, org_id: &str, group_id: &str, fields: &GroupFields, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let updated = sqlx::query("UPDATE user_groups SET name = $3, name_normalized = $4, description = $5, updated_at = $6 \
                                       WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(group_id).bind(&fields.name).bind(fields.name_normalized()).bind(&fields.description).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn delete_group(&self, org_id: &str, group_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // The licenses its members held through it, read before it goes.
            let licenses: Vec<String> = sqlx::query_scalar(LICENSES_REACHING_GROUP)
                .bind(org_id).bind(group_id).fetch_all(&mut *tx).await.map_err(db_err)?;
            let deleted = sqlx::query("DELETE FROM user_groups WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(group_id).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if deleted != 1 {
                return Ok(false);
            }
            recompute_licenses!(&mut *tx, org_id, &licenses);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
