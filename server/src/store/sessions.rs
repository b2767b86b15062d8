//! Sign-in accounts and sessions: what the sign-in flow and the session
//! middleware read and write (`app::ports::Store`'s own methods). TOTP keys
//! are sealed on the way in and opened on the way out.

use super::*;
use super::{insert_session, insert_sign_in_event};
use crate::on_pool;

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    org_id: String,
    upn: String,
    password_hash: Option<String>,
    sign_in_blocked: bool,
    locked_until: Option<i64>,
    failed_sign_in_count: i64,
    password_expires_at: Option<i64>,
    must_change_password: bool,
    mfa_state: String,
    totp_secret: Option<String>,
    totp_last_step: Option<i64>,
}

impl AccountRow {
    fn into_account(self, store: &SqlStore) -> StoreResult<SignInAccount> {
        let totp_secret = store.open_totp(USER_TOTP, &self.org_id, &self.id, self.totp_secret)?;
        Ok(SignInAccount {
            user_id: self.id,
            org_id: self.org_id,
            upn: self.upn,
            password_hash: self.password_hash,
            sign_in_blocked: self.sign_in_blocked,
            locked_until: self.locked_until,
            failed_sign_in_count: self.failed_sign_in_count,
            password_expires_at: self.password_expires_at,
            must_change_password: self.must_change_password,
            mfa_state: parse_mfa(&self.mfa_state)?,
            totp_secret,
            totp_last_step: self.totp_last_step,
        })
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        on_pool!(&self.pool, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()).map_err(db_err))
    }

    #[tracing::instrument(skip(self))]
    async fn find_sign_in_accounts(&self, upn_normalized: &str, org_id: Option<&str>) -> StoreResult<Vec<SignInAccount>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE upn_normalized = $1 AND ($2 IS NULL OR org_id = $2) LIMIT 2");
        let rows: Vec<AccountRow> = on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(upn_normalized)
            .bind(org_id)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        rows.into_iter().map(|r| r.into_account(self)).collect()
    }

    #[tracing::instrument(skip(self))]
    async fn find_sign_in_account(&self, org_id: &str, user_id: &str) -> StoreResult<Option<SignInAccount>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        let row: Option<AccountRow> = on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(p)
            .await
            .map_err(db_err))?;
        row.map(|r| r.into_account(self)).transpose()
    }

    #[tracing::instrument(skip(self, event))]
    async fn record_failed_password(&self, failed: FailedPassword, event: SignInEvent) -> StoreResult<()> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET failed_sign_in_count = $1, locked_until = $2 WHERE org_id = $3 AND id = $4")
                .bind(failed.failed_sign_in_count)
                .bind(failed.locked_until)
                .bind(&failed.org_id)
                .bind(&failed.user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            insert_sign_in_event!(&mut *tx, event)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn record_sign_in_event(&self, event: SignInEvent) -> StoreResult<()> {
        on_pool!(&self.pool, p => insert_sign_in_event!(p, event).map(|_| ()))
    }

    #[tracing::instrument(skip_all)]
    async fn start_session(&self, session: NewSession, event: SignInEvent) -> StoreResult<()> {
        let session = self.sealed_session(session)?;
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET failed_sign_in_count = 0, locked_until = NULL WHERE org_id = $1 AND id = $2")
                .bind(&session.org_id)
                .bind(&session.user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            insert_session!(&mut *tx, session)?;
            insert_sign_in_event!(&mut *tx, event)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn find_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
        // Read together with every other request's session waiting at this
        // moment (see `session_reads`).
        let Some(mut row) = self.session_reads.find(id_hash).await? else { return Ok(None) };
        let pending_totp_secret = self.open_totp(PENDING_TOTP, &row.org_id, &row.user_id, row.pending_totp_secret.take())?;
        session_record(row, pending_totp_secret).map(Some)
    }

    fn cached_session(&self, id_hash: &str) -> Option<std::sync::Arc<SessionRecord>> {
        self.session_reads.cached(id_hash)
    }

    async fn touch_session(&self, id_hash: &str, now: Millis, idle_expires_at: Millis) -> StoreResult<()> {
        on_pool!(&self.pool, p => sqlx::query("UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id_hash = $3")
            .bind(now)
            .bind(idle_expires_at)
            .bind(id_hash)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(db_err))
    }

    #[tracing::instrument(skip_all)]
    async fn advance_session(&self, old_id_hash: &str, new_session: NewSession, event: Option<SignInEvent>) -> StoreResult<()> {
        let new_session = self.sealed_session(new_session)?;
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let deleted = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND org_id = $2 AND user_id = $3")
                .bind(old_id_hash)
                .bind(&new_session.org_id)
                .bind(&new_session.user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            // Two tabs finishing the same step: only the first one wins.
            if deleted.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            insert_session!(&mut *tx, new_session)?;
            if let Some(event) = event {
                insert_sign_in_event!(&mut *tx, event)?;
            }
            tx.commit().await.map_err(db_err)
        })
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        on_pool!(&self.pool, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(p)
            .await
            .map(|_| ())
            .map_err(db_err))
    }

    #[tracing::instrument(skip_all)]
    async fn enrol_totp(&self, org_id: &str, user_id: &str, secret_base32: &str, step: i64, audit: AuditEvent) -> StoreResult<()> {
        let sealed = self.seal_totp(USER_TOTP, org_id, user_id, Some(secret_base32))?;
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2, failed_sign_in_count = 0, \
                         locked_until = NULL, updated_at = $3 WHERE org_id = $4 AND id = $5")
                .bind(sealed)
                .bind(step)
                .bind(audit.at)
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn use_totp_step(&self, org_id: &str, user_id: &str, step: i64) -> StoreResult<bool> {
        // The condition makes the check-and-set atomic: of two requests with
        // the same code, only one updates a row.
        let result = on_pool!(&self.pool, p => sqlx::query(
            "UPDATE users SET totp_last_step = $1, failed_sign_in_count = 0, locked_until = NULL \
             WHERE org_id = $2 AND id = $3 AND (totp_last_step IS NULL OR totp_last_step < $1)")
            .bind(step)
            .bind(org_id)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err))?;
        Ok(result == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn set_password(
        &self,
        org_id: &str,
        user_id: &str,
        password_hash: &str,
        changed_at: Millis,
        expires_at: Option<Millis>,
        keep_session: &str,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, password_expires_at = $3, \
                         must_change_password = FALSE, updated_at = $2 WHERE org_id = $4 AND id = $5")
                .bind(password_hash)
                .bind(changed_at)
                .bind(expires_at)
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2 AND id_hash <> $3")
                .bind(org_id)
                .bind(user_id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn delete_expired_sessions(&self, now: Millis) -> StoreResult<u64> {
        on_pool!(&self.pool, p => sqlx::query("DELETE FROM sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1")
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err))
    }
}

/// A session row as the rest of the server sees it, its pending TOTP key
/// (sealed in the row) given opened.
pub(crate) fn session_record(r: SessionRow, pending_totp_secret: Option<String>) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.id_hash,
        stage: SessionStage::parse(&r.stage).ok_or_else(|| StoreError::Internal(format!("unknown stage {:?}", r.stage)))?,
        csrf_token: r.csrf_token,
        pending_totp_secret,
        last_seen_at: r.last_seen_at,
        idle_expires_at: r.idle_expires_at,
        absolute_expires_at: r.absolute_expires_at,
        authenticated_at: r.authenticated_at,
        user: SessionUser {
            user_id: r.user_id,
            org_id: r.org_id,
            org_name: r.org_name,
            upn: r.upn,
            display_name: r.display_name,
            email: r.email,
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Internal(format!("unknown role {:?}", r.role)))?,
            sign_in_blocked: r.sign_in_blocked,
            password_expires_at: r.password_expires_at,
            must_change_password: r.must_change_password,
            mfa_state: parse_mfa(&r.mfa_state)?,
            totp_enrolled: r.totp_enrolled,
            locked_until: r.locked_until,
            user_consent_policy: r.user_consent_policy,
            admin_consent_workflow_enabled: r.admin_consent_workflow_enabled,
            access_version: r.access_version,
        },
    })
}
