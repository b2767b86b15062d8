//! API tokens: stored as the SHA-256 digest of their secret, scoped by
//! organisation; creating and revoking one is a transaction with its audit
//! event. Authenticating a request reads one row by the digest's unique
//! index and writes the last-used time at most once a minute.

use super::logs::{parse_cursor, Select};
use super::{db_err, insert_audit_event, SqlStore};
use app::domain::api_tokens::{last_used_due, ApiTokenState, LAST_USED_EVERY_MS};
use app::domain::model::Role;
use app::models::admin::{page_size, ApiTokenPage, ApiTokenView};
use app::ports::*;
use async_trait::async_trait;

const COLUMNS: &str =
    "t.id, t.name, t.role, t.secret_hint, t.created_by, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by";

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    role: String,
    secret_hint: String,
    created_by: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    revoked_by: Option<String>,
}

fn role_of(stored: &str) -> StoreResult<Role> {
    Role::parse(stored).ok_or_else(|| StoreError::Internal(format!("unknown API token role {stored:?}")))
}

impl TokenRow {
    fn into_view(self, now: i64) -> StoreResult<ApiTokenView> {
        Ok(ApiTokenView {
            role: role_of(&self.role)?,
            state: ApiTokenState::of(self.expires_at, self.revoked_at, now),
            secret_hint: format!("{}…{}", app::domain::api_tokens::SECRET_PREFIX, self.secret_hint),
            id: self.id,
            name: self.name,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            revoked_by: self.revoked_by,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    id: String,
    org_id: String,
    name: String,
    role: String,
    secret_digest: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

#[async_trait]
impl ApiTokensStore for SqlStore {
    async fn authenticate_api_token(&self, secret_digest: &str, now: i64) -> StoreResult<Option<ApiTokenCaller>> {
        let row: Option<CallerRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, org_id, name, role, secret_digest, expires_at, last_used_at FROM api_tokens \
             WHERE secret_digest = $1 AND revoked_at IS NULL")
            .bind(secret_digest).fetch_optional(p).await.map_err(db_err))?;
        // The index found the row; the comparison that decides is the constant-time one.
        let Some(row) = row.filter(|r| crate::security::constant_time_eq(&r.secret_digest, secret_digest)) else { return Ok(None) };
        if ApiTokenState::of(row.expires_at, None, now) != ApiTokenState::Active {
            return Ok(None);
        }
        if last_used_due(row.last_used_at, now) {
            // Conditional, so replicas racing on the same minute write once.
            crate::on_pool!(&self.pool, p => sqlx::query(
                "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)")
                .bind(&row.id).bind(now).bind(now - LAST_USED_EVERY_MS).execute(p).await.map(|_| ()).map_err(db_err))?;
        }
        Ok(Some(ApiTokenCaller { role: role_of(&row.role)?, token_id: row.id, org_id: row.org_id, name: row.name }))
    }

    async fn list_api_tokens(&self, org_id: &str, cursor: Option<&str>, limit: u32, now: i64) -> StoreResult<ApiTokenPage> {
        let after = parse_cursor(cursor)?;
        let mut q = Select::new(&format!("SELECT {COLUMNS} FROM api_tokens t WHERE t.org_id = $1"), org_id);
        q.and_window(None, None, after, "t");
        let (rows, next_cursor) = q.page(&self.pool, page_size(limit), |r: &TokenRow| (r.created_at, r.id.as_str())).await?;
        let tokens = rows.into_iter().map(|r| r.into_view(now)).collect::<StoreResult<_>>()?;
        Ok(ApiTokenPage { tokens, next_cursor })
    }

    async fn find_api_token(&self, org_id: &str, token_id: &str, now: i64) -> StoreResult<Option<ApiTokenView>> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens t WHERE t.org_id = $1 AND t.id = $2");
        let row: Option<TokenRow> =
            crate::on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(org_id).bind(token_id).fetch_optional(p).await.map_err(db_err))?;
        row.map(|r| r.into_view(now)).transpose()
    }

    async fn create_api_token(&self, t: NewApiTokenRecord, audit: AuditEvent) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query(
                "INSERT INTO api_tokens (id, org_id, name, name_normalized, role, secret_digest, secret_hint, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&t.id).bind(&t.org_id).bind(&t.token.name).bind(t.token.name.to_lowercase()).bind(t.token.role.as_str())
                .bind(&t.secret_digest).bind(&t.secret_hint).bind(&t.created_by).bind(t.created_at).bind(t.token.expires_at)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn revoke_api_token(&self, org_id: &str, token_id: &str, revoked_by: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3, revoked_by = $4 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
                .bind(org_id).bind(token_id).bind(audit.at).bind(revoked_by)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if !done {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}
