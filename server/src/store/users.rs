//! Users, as admins find and manage them. Every query is scoped by the
//! organisation; a change is one transaction with its audit event.

use super::{db_err, insert_audit_event, parse_mfa, SqlStore};
use app::domain::model::Role;
use app::models::admin::{page_size, UserLicenseView, UserPage, UserProfile, UserQuery, UserSummary};
use app::ports::*;
use async_trait::async_trait;

/// Ends every session of a user, inside the caller's transaction: they
/// are signed out on every device at their next request.
macro_rules! end_sessions {
    ($conn:expr, $org_id:expr, $user_id:expr) => {
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind($org_id)
            .bind($user_id)
            .execute($conn)
            .await
            .map_err(db_err)?
    };
}

/// One audited change of a user's row, in one transaction: the update
/// (`$sql`, bound by `$bind`), and only when it changed the row, the end of
/// the user's sessions (when `$end_sessions`) and the audit event. False
/// when nothing changed (no such user, or already so): nothing is written.
macro_rules! audited_user_change {
    ($self:expr, $org_id:expr, $user_id:expr, $end_sessions:expr, $audit:expr, $sql:expr, |$q:ident| $bind:expr) => {
        crate::on_pool!(&$self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let $q = sqlx::query($sql);
            if $bind.execute(&mut *tx).await.map_err(db_err)?.rows_affected() != 1 {
                return Ok(false);
            }
            if $end_sessions {
                end_sessions!(&mut *tx, $org_id, $user_id);
            }
            insert_audit_event!(&mut *tx, $audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    };
}

pub(super) const SUMMARY_COLUMNS: &str = "id, upn, upn_normalized, display_name, email, role, sign_in_blocked, locked_until, mfa_state";

#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    id: String,
    upn: String,
    pub(super) upn_normalized: String,
    display_name: String,
    email: String,
    role: String,
    sign_in_blocked: bool,
    locked_until: Option<i64>,
    mfa_state: String,
}

impl SummaryRow {
    pub(super) fn into_summary(self) -> StoreResult<UserSummary> {
        Ok(UserSummary {
            role: Role::parse(&self.role).ok_or_else(|| StoreError::Internal(format!("unknown role {:?}", self.role)))?,
            mfa_state: parse_mfa(&self.mfa_state)?,
            id: self.id,
            upn: self.upn,
            display_name: self.display_name,
            email: self.email,
            sign_in_blocked: self.sign_in_blocked,
            locked_until: self.locked_until,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    job_title: String,
    department: String,
    auth_phone: String,
    auth_email: String,
    totp_enrolled: bool,
    must_change_password: bool,
    password_expires_at: Option<i64>,
    created_at: i64,
}

/// Cursors are opaque to clients: the last row's sort key, encoded.
pub(super) fn encode_cursor(upn_normalized: &str) -> String {
    data_encoding::BASE64URL_NOPAD.encode(upn_normalized.as_bytes())
}

/// A cursor we did not make is an error the caller reports, not a crash.
pub(super) fn decode_cursor(cursor: &str) -> StoreResult<String> {
    data_encoding::BASE64URL_NOPAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(StoreError::InvalidInput { field: "cursor", message: "This page link is not valid. Start again from the first page." })
}

// Filtering in UPN order walks the directory index (org, UPN, name,
// e-mail) and stops after one page of matches: the first pages come at once
// whatever the org's size, a rare search reads the index once and never
// sorts, and only matching rows are fetched from the table. The test is a
// plain substring search of lower-cased text (LIKE with an escape clause
// cost three times as much per row). SQLite is told to use that index: by
// itself it picks the narrower unique (org, UPN) index and then reads every
// row of the table to test it.
fn search_users_sql(from: &str, function: &str) -> String {
    format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} WHERE org_id = $1 \
           AND ($2 = '' OR {function}(upn_normalized, $2) > 0 OR {function}(lower(display_name), $2) > 0 \
                OR {function}(lower(email), $2) > 0) \
           AND upn_normalized > $3 \
         ORDER BY upn_normalized LIMIT $4"
    )
}
static SEARCH_USERS_SQLITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| search_users_sql("users INDEXED BY users_directory_idx", "instr"));
static SEARCH_USERS_POSTGRES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| search_users_sql("users", "strpos"));

#[async_trait]
impl UsersStore for SqlStore {
    async fn search_users(&self, org_id: &str, query: &UserQuery) -> StoreResult<UserPage> {
        let limit = page_size(query.limit);
        let after = match &query.cursor {
            Some(c) if !c.is_empty() => decode_cursor(c)?,
            _ => String::new(),
        };
        // One row more than the page tells whether there is a next page.
        let sql = match &self.pool {
            super::Pool::Sqlite(_) => SEARCH_USERS_SQLITE.as_str(),
            super::Pool::Postgres(_) => SEARCH_USERS_POSTGRES.as_str(),
        };
        let mut rows: Vec<SummaryRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(sql)
            .bind(org_id)
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

    async fn find_user(&self, org_id: &str, user_id: &str) -> StoreResult<Option<UserProfile>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, job_title, department, auth_phone, auth_email, (totp_secret IS NOT NULL) AS totp_enrolled, \
             must_change_password, password_expires_at, created_at FROM users WHERE org_id = $1 AND id = $2"
        );
        let row: Option<DetailRow> =
            crate::on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(org_id).bind(user_id).fetch_optional(p).await.map_err(db_err))?;
        row.map(|r| {
            Ok(UserProfile {
                summary: r.summary.into_summary()?,
                job_title: r.job_title,
                department: r.department,
                auth_phone: r.auth_phone,
                auth_email: r.auth_email,
                totp_enrolled: r.totp_enrolled,
                must_change_password: r.must_change_password,
                password_expires_at: r.password_expires_at,
                created_at: r.created_at,
            })
        })
        .transpose()
    }

    async fn user_licenses(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<UserLicenseView>> {
        let rows: Vec<(String, String, String, bool)> = crate::on_pool!(&self.pool, p => sqlx::query_as(&super::access::USER_SEATS)
            .bind(org_id)
            .bind(user_id)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        Ok(rows.into_iter().map(|(id, name, sku, has_seat)| UserLicenseView { id, name, sku, has_seat }).collect())
    }

    async fn set_sign_in_blocked(&self, org_id: &str, user_id: &str, blocked: bool, audit: AuditEvent) -> StoreResult<bool> {
        let at = audit.at;
        audited_user_change!(
            self,
            org_id,
            user_id,
            blocked,
            audit,
            "UPDATE users SET sign_in_blocked = $3, updated_at = $4 WHERE org_id = $1 AND id = $2 AND sign_in_blocked <> $3",
            |q| q.bind(org_id).bind(user_id).bind(blocked).bind(at)
        )
    }

    async fn unlock_user(&self, org_id: &str, user_id: &str, now: i64, audit: AuditEvent) -> StoreResult<bool> {
        audited_user_change!(
            self,
            org_id,
            user_id,
            false,
            audit,
            "UPDATE users SET locked_until = NULL, failed_sign_in_count = 0, updated_at = $3 \
             WHERE org_id = $1 AND id = $2 AND locked_until > $3",
            |q| q.bind(org_id).bind(user_id).bind(now)
        )
    }

    async fn create_user(&self, new: NewUserRecord, audit: AuditEvent) -> StoreResult<()> {
        let u = &new.user;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query(
                "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, email, job_title, department, role, \
                 password_hash, password_changed_at, must_change_password, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, TRUE, $11, $11)")
                .bind(&new.id)
                .bind(&new.org_id)
                .bind(u.upn.as_str())
                .bind(u.upn.normalized())
                .bind(&u.display_name)
                .bind(&u.email)
                .bind(&u.job_title)
                .bind(&u.department)
                .bind(u.role.as_str())
                .bind(&new.password_hash)
                .bind(new.created_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn set_temporary_password(&self, org_id: &str, user_id: &str, password_hash: &str, audit: AuditEvent) -> StoreResult<bool> {
        let at = audit.at;
        audited_user_change!(
            self,
            org_id,
            user_id,
            true,
            audit,
            "UPDATE users SET password_hash = $3, password_changed_at = $4, must_change_password = TRUE, \
             locked_until = NULL, failed_sign_in_count = 0, updated_at = $4 WHERE org_id = $1 AND id = $2",
            |q| q.bind(org_id).bind(user_id).bind(password_hash).bind(at)
        )
    }

    async fn reset_authenticator(&self, org_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        let at = audit.at;
        audited_user_change!(
            self,
            org_id,
            user_id,
            true,
            audit,
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, updated_at = $3 \
             WHERE org_id = $1 AND id = $2 AND totp_secret IS NOT NULL",
            |q| q.bind(org_id).bind(user_id).bind(at)
        )
    }

    async fn update_user(&self, org_id: &str, user_id: &str, edit: &app::domain::users::UserEdit, audit: AuditEvent) -> StoreResult<bool> {
        let at = audit.at;
        audited_user_change!(
            self,
            org_id,
            user_id,
            false,
            audit,
            "UPDATE users SET upn = $3, upn_normalized = $4, display_name = $5, email = $6, job_title = $7, department = $8, \
             role = $9, mfa_state = $10, auth_phone = $11, auth_email = $12, updated_at = $13 WHERE org_id = $1 AND id = $2",
            |q| q
                .bind(org_id)
                .bind(user_id)
                .bind(edit.upn.as_str())
                .bind(edit.upn.normalized())
                .bind(&edit.display_name)
                .bind(&edit.email)
                .bind(&edit.job_title)
                .bind(&edit.department)
                .bind(edit.role.as_str())
                .bind(edit.mfa_state.as_str())
                .bind(&edit.auth_phone)
                .bind(&edit.auth_email)
                .bind(at)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor("alex.wu@northwind.example")).unwrap(), "alex.wu@northwind.example");
        assert!(matches!(decode_cursor("not base64!"), Err(StoreError::InvalidInput { field: "cursor", .. })));
    }
}
