//! Licenses, as admins manage them: products with seats. Every query is
//! scoped by the organisation; a change is one transaction with its audit
//! event, and one that can move a seat recomputes the license's seats in it.

use super::access::{holds_seat, recompute_license_seats, CLAIMANTS};
use super::users::{decode_cursor, encode_cursor, SummaryRow as UserRow, SUMMARY_COLUMNS as USER_COLUMNS};
use super::{db_err, insert_audit_event, SqlStore};
use app::domain::licenses::LicenseFields;
use app::models::admin::{page_size, AssignmentView, LicenseDetail, LicenseSummary, NamedRef, UserPage, UserQuery};
use app::ports::*;
use async_trait::async_trait;

/// Seats used: every claimant up to the seat count (`recompute_license_seats!`
/// keeps `claimants` true in the transaction of each change).
const SUMMARY: &str = "SELECT l.id, l.name, l.sku, l.seats, \
       CASE WHEN l.claimants < l.seats THEN l.claimants ELSE l.seats END AS seats_used, \
       CASE WHEN l.claimants > l.seats THEN l.claimants - l.seats ELSE 0 END AS without_seat \
     FROM licenses l WHERE l.org_id = $1";

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    name: String,
    sku: String,
    seats: i64,
    seats_used: i64,
    without_seat: i64,
}

impl From<SummaryRow> for LicenseSummary {
    fn from(r: SummaryRow) -> Self {
        LicenseSummary { id: r.id, name: r.name, sku: r.sku, seats: r.seats, seats_used: r.seats_used, without_seat: r.without_seat }
    }
}

#[async_trait]
impl LicensesStore for SqlStore {
    async fn list_licenses(&self, org_id: &str) -> StoreResult<Vec<LicenseSummary>> {
        let sql = format!("{SUMMARY} ORDER BY lower(l.name), l.id");
        let rows: Vec<SummaryRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(org_id).fetch_all(p).await.map_err(db_err))?;
        Ok(rows.into_iter().map(LicenseSummary::from).collect())
    }

    async fn find_license(&self, org_id: &str, license_id: &str) -> StoreResult<Option<LicenseDetail>> {
        let sql = format!("{SUMMARY} AND l.id = $2");
        let found = crate::on_pool!(&self.pool, p => {
            let row: Option<SummaryRow> = sqlx::query_as(&sql).bind(org_id).bind(license_id).fetch_optional(p).await.map_err(db_err)?;
            if row.is_none() {
                return Ok(None);
            }
            let created_at: i64 = sqlx::query_scalar("SELECT created_at FROM licenses WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(license_id).fetch_one(p).await.map_err(db_err)?;
            let users: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT u.id, u.display_name, u.upn, a.assigned_at FROM license_assignments a \
                 JOIN users u ON u.org_id = a.org_id AND u.id = a.user_id \
                 WHERE a.org_id = $1 AND a.license_id = $2 ORDER BY lower(u.display_name), u.id")
                .bind(org_id).bind(license_id).fetch_all(p).await.map_err(db_err)?;
            let groups: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT g.id, g.name, a.assigned_at FROM license_assignments a \
                 JOIN user_groups g ON g.org_id = a.org_id AND g.id = a.group_id \
                 WHERE a.org_id = $1 AND a.license_id = $2 ORDER BY g.name_normalized")
                .bind(org_id).bind(license_id).fetch_all(p).await.map_err(db_err)?;
            let apps: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, name FROM applications WHERE org_id = $1 AND required_license_id = $2 ORDER BY lower(name), id")
                .bind(org_id).bind(license_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>(Some((row.expect("checked above"), created_at, users, groups, apps)))
        })?;
        let Some((row, created_at, users, groups, apps)) = found else { return Ok(None) };
        let ids: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
        let reach = self.effective_users(org_id, &ids).await?;
        let mut assignments: Vec<AssignmentView> = users
            .into_iter()
            .map(|(id, name, upn, assigned_at)| AssignmentView { kind: "user".into(), id, name, detail: upn, assigned_at })
            .collect();
        assignments.extend(groups.into_iter().map(|(id, name, assigned_at)| {
            let n = reach.get(&id).copied().unwrap_or(0);
            let detail = if n == 1 { "1 person".to_string() } else { format!("{n} people") };
            AssignmentView { kind: "group".into(), id, name, detail, assigned_at }
        }));
        Ok(Some(LicenseDetail {
            summary: row.into(),
            created_at,
            assignments,
            required_by: apps.into_iter().map(|(id, name)| NamedRef { id, name }).collect(),
        }))
    }

    async fn license_without_seat(&self, org_id: &str, license_id: &str, query: &UserQuery) -> StoreResult<UserPage> {
        let limit = page_size(query.limit);
        let after = match &query.cursor {
            Some(c) if !c.is_empty() => decode_cursor(c)?,
            _ => String::new(),
        };
        // The claimants after the last holder in seat order.
        let sql = format!(
            "{CLAIMANTS} SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 \
               AND u.id IN (SELECT e.user_id FROM earliest e JOIN licenses l ON l.org_id = $1 AND l.id = $2 WHERE NOT {}) \
               AND u.upn_normalized > $3 ORDER BY u.upn_normalized LIMIT $4",
            holds_seat("e.effective_at", "e.user_id")
        );
        let mut rows: Vec<UserRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(org_id).bind(license_id).bind(&after).bind(i64::from(limit) + 1).fetch_all(p).await.map_err(db_err))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(&r.upn_normalized)) } else { None };
        let users = rows.into_iter().map(UserRow::into_summary).collect::<StoreResult<_>>()?;
        Ok(UserPage { users, next_cursor })
    }

    async fn create_license(&self, org_id: &str, license_id: &str, f: &LicenseFields, audit: AuditEvent) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("INSERT INTO licenses (id, org_id, name, sku, seats, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(license_id).bind(org_id).bind(&f.name).bind(&f.sku).bind(f.seats).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn update_license(&self, org_id: &str, license_id: &str, f: &LicenseFields, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let updated = sqlx::query("UPDATE licenses SET name = $3, sku = $4, seats = $5 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(license_id).bind(&f.name).bind(&f.sku).bind(f.seats)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
            recompute_license_seats!(&mut *tx, org_id, license_id);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn delete_license(&self, org_id: &str, license_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let deleted = sqlx::query("DELETE FROM licenses WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(license_id).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if deleted != 1 {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
