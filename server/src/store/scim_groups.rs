//! Groups as SCIM provisions them: lists filtered like users', and one
//! write (fields and any number of member changes) per request in one
//! transaction — each kind of change one statement over the request's ids
//! passed as a JSON array, seats recomputed once, nesting checked for
//! cycles before commit.

use super::directory::{recompute_licenses, LICENSES_REACHING_GROUP, NESTING_ABOVE_GROUP};
use super::scim::{condition, page, Bind, Where};
use super::{db_err, insert_audit_event, Pool, SqlStore};
use app::domain::groups::GroupFields as NameFields;
use app::domain::scim::filter::CompareOp;
use app::domain::scim::query::{Cond, GroupAttr, Operand};
use app::domain::scim::resource::{GroupFields, Member};
use app::models::admin::NamedRef;
use app::ports::*;
use async_trait::async_trait;

fn group_column(a: GroupAttr) -> (&'static str, bool) {
    match a {
        GroupAttr::Id => ("g.id", false),
        GroupAttr::DisplayName => ("g.name_normalized", false),
        GroupAttr::ExternalId => ("g.external_id", true),
        GroupAttr::Created => ("g.created_at", false),
        // Compared through `group_special`.
        GroupAttr::Member => ("g.id", false),
    }
}

/// `members eq "id"`: a direct member, user or group.
fn group_special(w: &mut Where, a: GroupAttr, op: CompareOp, value: &Operand) -> Option<String> {
    let (GroupAttr::Member, Operand::Text(id)) = (a, value) else { return None };
    let p = w.bind_text(id);
    let has = format!(
        "(EXISTS (SELECT 1 FROM group_user_members m WHERE m.group_id = g.id AND m.user_id = {p}) \
          OR EXISTS (SELECT 1 FROM group_group_members m WHERE m.group_id = g.id AND m.member_group_id = {p}))"
    );
    Some(match op {
        CompareOp::Eq => has,
        CompareOp::Ne => format!("(NOT {has})"),
        _ => "(1 = 0)".into(),
    })
}

const GROUP_COLUMNS: &str = "g.id, g.name, g.external_id, g.created_at, g.updated_at";

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: String,
    name: String,
    external_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<GroupRow> for ScimGroupRecord {
    fn from(r: GroupRow) -> Self {
        ScimGroupRecord {
            id: r.id,
            fields: GroupFields { display_name: r.name, external_id: r.external_id },
            created_at: r.created_at,
            updated_at: r.updated_at.max(r.created_at),
        }
    }
}

/// Reads a JSON array of ids as rows, in each dialect.
fn ids_from_json(pool: &Pool, n: usize) -> String {
    match pool {
        Pool::Sqlite(_) => format!("SELECT value FROM json_each(${n})"),
        Pool::Postgres(_) => format!("SELECT jsonb_array_elements_text(${n}::jsonb)"),
    }
}

#[async_trait]
impl ScimGroupsStore for SqlStore {
    async fn scim_groups(
        &self,
        org_id: &str,
        filter: Option<&Cond<GroupAttr>>,
        offset: u64,
        count: u32,
    ) -> StoreResult<ScimPage<ScimGroupRecord>> {
        let mut w = Where::new(1);
        let cond = filter.map(|f| condition(&mut w, f, &group_column, &group_special)).unwrap_or_else(|| "(1 = 1)".into());
        w.binds.insert(0, Bind::Text(org_id.to_string()));
        let select = format!("SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.org_id = $1 AND {cond}");
        let count_sql = format!("SELECT COUNT(*) FROM user_groups g WHERE g.org_id = $1 AND {cond}");
        let (total, rows) = page::<GroupRow>(&self.pool, &select, &count_sql, "g.name_normalized", &w, offset, count).await?;
        Ok(ScimPage { total, items: rows.into_iter().map(ScimGroupRecord::from).collect() })
    }

    async fn scim_group(&self, org_id: &str, group_id: &str) -> StoreResult<Option<ScimGroupRecord>> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.org_id = $1 AND g.id = $2");
        let row: Option<GroupRow> =
            crate::on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(org_id).bind(group_id).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(ScimGroupRecord::from))
    }

    async fn scim_group_members(&self, org_id: &str, group_id: &str) -> StoreResult<Vec<Member>> {
        let (users, groups): (Vec<(String, String)>, Vec<(String, String)>) = crate::on_pool!(&self.pool, p => {
            let users = sqlx::query_as(
                "SELECT u.id, u.display_name FROM group_user_members m JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id \
                 WHERE m.org_id = $1 AND m.group_id = $2 ORDER BY u.upn_normalized")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            let groups = sqlx::query_as(
                "SELECT g.id, g.name FROM group_group_members m JOIN user_groups g ON g.org_id = m.org_id AND g.id = m.member_group_id \
                 WHERE m.org_id = $1 AND m.group_id = $2 ORDER BY g.name_normalized")
                .bind(org_id).bind(group_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>((users, groups))
        })?;
        let mut members: Vec<Member> = users.into_iter().map(|(id, display)| Member { id, display, kind: "User" }).collect();
        members.extend(groups.into_iter().map(|(id, display)| Member { id, display, kind: "Group" }));
        Ok(members)
    }

    async fn scim_write_group(
        &self,
        org_id: &str,
        group_id: &str,
        create: bool,
        name: &NameFields,
        external_id: Option<&str>,
        members: &MembersChange,
        audit: AuditEvent,
    ) -> StoreResult<GroupWrite> {
        let at = audit.at;
        let postgres = matches!(self.pool, Pool::Postgres(_));
        let add = serde_json::to_string(&members.add).map_err(|e| StoreError::Internal(e.to_string()))?;
        let remove = serde_json::to_string(&members.remove).map_err(|e| StoreError::Internal(e.to_string()))?;
        let ids = ids_from_json(&self.pool, 2);
        let users_in = format!("SELECT id FROM users WHERE org_id = $1 AND id IN ({ids})");
        let groups_in = format!("SELECT id FROM user_groups WHERE org_id = $1 AND id IN ({ids})");
        let ids4 = ids_from_json(&self.pool, 4);
        let add_users = format!(
            "INSERT INTO group_user_members (org_id, group_id, user_id, added_at) \
             SELECT $1, $2, u.id, $3 FROM users u WHERE u.org_id = $1 AND u.id IN ({ids4}) ON CONFLICT DO NOTHING"
        );
        let add_groups = format!(
            "INSERT INTO group_group_members (org_id, group_id, member_group_id, added_at) \
             SELECT $1, $2, g.id, $3 FROM user_groups g WHERE g.org_id = $1 AND g.id IN ({ids4}) ON CONFLICT DO NOTHING"
        );
        let ids3 = ids_from_json(&self.pool, 3);
        let remove_users = format!("DELETE FROM group_user_members WHERE org_id = $1 AND group_id = $2 AND user_id IN ({ids3})");
        let remove_groups = format!("DELETE FROM group_group_members WHERE org_id = $1 AND group_id = $2 AND member_group_id IN ({ids3})");
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // Which of the ids to add are users, which groups, which nothing.
            let (user_ids, group_ids): (Vec<String>, Vec<String>) = if members.add.is_empty() {
                (vec![], vec![])
            } else {
                let users: Vec<String> = sqlx::query_scalar(&users_in).bind(org_id).bind(&add).fetch_all(&mut *tx).await.map_err(db_err)?;
                let groups: Vec<String> = sqlx::query_scalar(&groups_in).bind(org_id).bind(&add).fetch_all(&mut *tx).await.map_err(db_err)?;
                (users, groups)
            };
            let unknown: Vec<String> = members.add.iter().filter(|id| !user_ids.contains(id) && !group_ids.contains(id)).cloned().collect();
            if !unknown.is_empty() {
                return Ok(GroupWrite::UnknownMembers(unknown));
            }
            if create {
                sqlx::query("INSERT INTO user_groups (id, org_id, name, name_normalized, description, external_id, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, '', $5, $6, $6)")
                    .bind(group_id).bind(org_id).bind(&name.name).bind(name.name_normalized()).bind(external_id).bind(at)
                    .execute(&mut *tx).await.map_err(db_err)?;
            } else {
                let updated = sqlx::query("UPDATE user_groups SET name = $3, name_normalized = $4, external_id = $5, updated_at = $6 \
                                           WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(group_id).bind(&name.name).bind(name.name_normalized()).bind(external_id).bind(at)
                    .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                if updated != 1 {
                    return Err(StoreError::NotFound);
                }
            }
            if !members.remove.is_empty() {
                sqlx::query(&remove_users).bind(org_id).bind(group_id).bind(&remove).execute(&mut *tx).await.map_err(db_err)?;
                sqlx::query(&remove_groups).bind(org_id).bind(group_id).bind(&remove).execute(&mut *tx).await.map_err(db_err)?;
            }
            if !user_ids.is_empty() {
                let json = serde_json::to_string(&user_ids).map_err(|e| StoreError::Internal(e.to_string()))?;
                sqlx::query(&add_users).bind(org_id).bind(group_id).bind(at).bind(&json).execute(&mut *tx).await.map_err(db_err)?;
            }
            if !group_ids.is_empty() {
                // Nestings of one organisation take turns (see `add_group_member`).
                if postgres {
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('group-nesting:' || $1))")
                        .bind(org_id).execute(&mut *tx).await.map_err(db_err)?;
                }
                if group_ids.iter().any(|g| g == group_id) {
                    return Ok(GroupWrite::WouldCloseCycle(vec![NamedRef { id: group_id.to_string(), name: name.name.clone() }]));
                }
                let json = serde_json::to_string(&group_ids).map_err(|e| StoreError::Internal(e.to_string()))?;
                sqlx::query(&add_groups).bind(org_id).bind(group_id).bind(at).bind(&json).execute(&mut *tx).await.map_err(db_err)?;
                // The nesting above the group, now: a member that is also
                // above it closes a cycle.
                let edges: Vec<(String, String)> = sqlx::query_as(NESTING_ABOVE_GROUP)
                    .bind(org_id).bind(group_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                for member_id in &group_ids {
                    let mut parents: std::collections::HashMap<String, Vec<String>> = Default::default();
                    for (child, parent) in &edges {
                        if !(child == member_id && parent == group_id) {
                            parents.entry(child.clone()).or_default().push(parent.clone());
                        }
                    }
                    if let Some(chain) = app::domain::groups::cycle_path(group_id, member_id, &parents) {
                        let mut named = Vec::with_capacity(chain.len());
                        for id in chain {
                            let name: String = sqlx::query_scalar("SELECT name FROM user_groups WHERE org_id = $1 AND id = $2")
                                .bind(org_id).bind(&id).fetch_one(&mut *tx).await.map_err(db_err)?;
                            named.push(NamedRef { id, name });
                        }
                        return Ok(GroupWrite::WouldCloseCycle(named));
                    }
                }
            }
            if !members.is_empty() {
                let licenses: Vec<String> = sqlx::query_scalar(LICENSES_REACHING_GROUP)
                    .bind(org_id).bind(group_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                recompute_licenses!(&mut *tx, org_id, &licenses);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(GroupWrite::Done)
        })
    }
}
