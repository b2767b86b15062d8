//! The OpenID Connect provider's rows: clients (apps in "oidc" mode),
//! authorization codes, refresh, access and client tokens, signing keys.
//! Codes and tokens are found by the SHA-256 digest of their value (a
//! unique index) and never stored otherwise. Spending a code or a refresh
//! token is one conditional `UPDATE … WHERE <not spent>`, so of two
//! requests racing with the same value exactly one wins, on either
//! database, and the loser's answer is a revocation of what the value issued.

use super::grants::GrantWrite;
use super::{db_err, SqlStore};
use crate::on_pool;
use app::domain::oidc::SubjectProfile;
use app::ports::*;
use async_trait::async_trait;

const DAY_MS: i64 = 86_400_000;

fn scopes_of(stored: &str) -> Vec<String> {
    stored.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The associated data that binds a sealed private key to its key id.
fn key_context(kid: &str) -> String {
    format!("signing_keys.private_key_pem:{kid}")
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    org_id: String,
    id: String,
    client_id: String,
    name: String,
    enabled: bool,
    public_client: bool,
    client_secret_hash: Option<String>,
    id_token_signed_response_alg: String,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    org_id: String,
    app_id: String,
    user_id: String,
    redirect_uri: String,
    scopes: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    auth_time: Option<i64>,
    created_at: i64,
    expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    org_id: String,
    app_id: String,
    user_id: String,
    scopes: String,
    family_id: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    auth_time: Option<i64>,
    #[sqlx(flatten)]
    holder: HolderRow,
}

/// Who a token is for and their account state: `HOLDER_COLUMNS`. Every
/// column is optional so that the same row reads from a left join (a token
/// whose user is gone).
#[derive(sqlx::FromRow)]
struct HolderRow {
    upn: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    updated_at: Option<i64>,
    sign_in_blocked: Option<bool>,
    locked_until: Option<i64>,
    password_expires_at: Option<i64>,
    must_change_password: Option<bool>,
    user_consent_policy: Option<String>,
    admin_consent_workflow_enabled: Option<bool>,
    access_version: Option<i64>,
}

/// Of `users u` joined to `organisations o`.
const HOLDER_COLUMNS: &str = "u.upn, u.display_name, u.email, u.updated_at, u.sign_in_blocked, u.locked_until, \
     u.password_expires_at, u.must_change_password, o.user_consent_policy, o.admin_consent_workflow_enabled, o.access_version";

impl HolderRow {
    /// The holder, unless the row found no user.
    fn into_holder(self, user_id: &str) -> Option<TokenHolder> {
        Some(TokenHolder {
            profile: SubjectProfile {
                user_id: user_id.to_string(),
                upn: self.upn?,
                display_name: self.display_name?,
                email: self.email?,
                updated_at: self.updated_at?,
            },
            account: AccountStatus {
                sign_in_blocked: self.sign_in_blocked?,
                locked_until: self.locked_until,
                password_expires_at: self.password_expires_at,
                must_change_password: self.must_change_password?,
                user_consent_policy: self.user_consent_policy?,
                admin_consent_workflow_enabled: self.admin_consent_workflow_enabled?,
            },
            access_version: self.access_version?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AccessRow {
    org_id: String,
    app_id: String,
    user_id: Option<String>,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    algorithm: String,
    private_key_pem: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
}

macro_rules! revoke_family {
    ($exec:expr, $family:expr, $now:expr) => {{
        let mut revoked: u64 = 0;
        for table in ["oauth_refresh_tokens", "oauth_access_tokens"] {
            revoked += sqlx::query(&format!("UPDATE {table} SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"))
                .bind($family)
                .bind($now)
                .execute(&mut *$exec)
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        revoked
    }};
}

impl SqlStore {
    /// The OIDC client matching `condition` (over `$1` and `$2`), with its
    /// addresses unless `addresses` is false (the token endpoint's case).
    async fn client_where(&self, condition: &str, a: &str, b: &str, addresses: bool) -> StoreResult<Option<OAuthClient>> {
        let sql = format!(
            "SELECT org_id, id, client_id, name, enabled, public_client, client_secret_hash, id_token_signed_response_alg \
             FROM applications WHERE {condition} AND sign_on_mode = 'oidc' AND client_id IS NOT NULL"
        );
        on_pool!(&self.pool, p => {
            let row: Option<ClientRow> = sqlx::query_as(&sql).bind(a).bind(b).fetch_optional(p).await.map_err(db_err)?;
            let Some(row) = row else { return Ok(None) };
            let mut client = OAuthClient {
                org_id: row.org_id,
                app_id: row.id,
                client_id: row.client_id,
                name: row.name,
                enabled: row.enabled,
                public_client: row.public_client,
                secret_digest: row.client_secret_hash,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                id_token_alg: row.id_token_signed_response_alg,
            };
            if addresses {
                for (table, list) in [
                    ("application_redirect_uris", &mut client.redirect_uris),
                    ("application_post_logout_redirect_uris", &mut client.post_logout_redirect_uris),
                ] {
                    *list = sqlx::query_scalar(&format!("SELECT uri FROM {table} WHERE org_id = $1 AND app_id = $2 ORDER BY uri"))
                        .bind(&client.org_id).bind(&client.app_id).fetch_all(p).await.map_err(db_err)?;
                }
            }
            Ok(Some(client))
        })
    }
}

#[async_trait]
impl OAuthStore for SqlStore {
    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClient>> {
        self.client_where("client_id = $1 AND $2 = ''", client_id, "", true).await
    }

    async fn oauth_client_credentials(&self, client_id: &str) -> StoreResult<Option<OAuthClient>> {
        self.client_where("client_id = $1 AND $2 = ''", client_id, "", false).await
    }

    async fn oauth_client_by_app(&self, org_id: &str, app_id: &str) -> StoreResult<Option<OAuthClient>> {
        self.client_where("org_id = $1 AND id = $2", org_id, app_id, false).await
    }

    async fn token_holder(&self, org_id: &str, user_id: &str) -> StoreResult<Option<TokenHolder>> {
        let row: Option<HolderRow> = on_pool!(&self.pool, p => sqlx::query_as(&format!(
            "SELECT {HOLDER_COLUMNS} FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.org_id = $1 AND u.id = $2"))
            .bind(org_id).bind(user_id).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.and_then(|r| r.into_holder(user_id)))
    }

    async fn create_authorization_code(&self, c: NewAuthorizationCode) -> StoreResult<()> {
        on_pool!(&self.pool, p => sqlx::query(
            "INSERT INTO oauth_authorization_codes (code_hash, org_id, app_id, user_id, redirect_uri, scopes, code_challenge, \
             code_challenge_method, nonce, session_hash, created_at, expires_at, auth_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&c.code_hash).bind(&c.org_id).bind(&c.app_id).bind(&c.user_id).bind(&c.redirect_uri)
            .bind(c.scopes.join(" ")).bind(&c.code_challenge).bind(c.code_challenge.as_ref().map(|_| "S256"))
            .bind(&c.nonce).bind(&c.session_hash).bind(c.created_at).bind(c.expires_at).bind(c.auth_time)
            .execute(p).await.map(|_| ()).map_err(db_err))
    }

    async fn redeem_authorization_code(&self, code_hash: &str, family_id: &str, now: i64) -> StoreResult<CodeRedemption> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let spent: Option<CodeRow> = sqlx::query_as(
                "UPDATE oauth_authorization_codes SET used_at = $2, family_id = $3 WHERE code_hash = $1 AND used_at IS NULL \
                 RETURNING org_id, app_id, user_id, redirect_uri, scopes, code_challenge, nonce, auth_time, created_at, expires_at")
                .bind(code_hash).bind(now).bind(family_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let answer = match spent {
                Some(row) => CodeRedemption::Redeemed(AuthorizationCode {
                    auth_time: row.auth_time.unwrap_or(row.created_at),
                    org_id: row.org_id,
                    app_id: row.app_id,
                    user_id: row.user_id,
                    redirect_uri: row.redirect_uri,
                    scopes: scopes_of(&row.scopes),
                    code_challenge: row.code_challenge,
                    nonce: row.nonce,
                    expires_at: row.expires_at,
                }),
                None => {
                    let earlier: Option<Option<String>> = sqlx::query_scalar(
                        "SELECT family_id FROM oauth_authorization_codes WHERE code_hash = $1")
                        .bind(code_hash).fetch_optional(&mut *tx).await.map_err(db_err)?;
                    match earlier {
                        None => CodeRedemption::Unknown,
                        Some(family) => {
                            let revoked = match family { Some(f) => revoke_family!(&mut *tx, &f, now), None => 0 };
                            CodeRedemption::Reused { revoked }
                        }
                    }
                }
            };
            tx.commit().await.map_err(db_err)?;
            Ok(answer)
        })
    }

    async fn issue_tokens(&self, t: IssuedTokens, event: SignInEvent) -> StoreResult<()> {
        self.grants.write(GrantWrite::Tokens(t), event, UsageKind::TokenRequest).await.map(|_| ())
    }

    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        // With its holder: a refresh needs both, and this is one read less.
        let row: Option<RefreshRow> = on_pool!(&self.pool, p => sqlx::query_as(&format!(
            "SELECT r.org_id, r.app_id, r.user_id, r.scopes, r.family_id, r.created_at, r.expires_at, r.revoked_at, r.auth_time, \
                    {HOLDER_COLUMNS} \
             FROM oauth_refresh_tokens r \
             LEFT JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id \
             LEFT JOIN organisations o ON o.id = u.org_id \
             WHERE r.token_hash = $1"))
            .bind(token_hash).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(|r| RefreshTokenRecord {
            holder: r.holder.into_holder(&r.user_id),
            org_id: r.org_id,
            app_id: r.app_id,
            user_id: r.user_id,
            scopes: scopes_of(&r.scopes),
            family_id: r.family_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            auth_time: r.auth_time,
        }))
    }

    async fn rotate_refresh_token(&self, old_hash: &str, t: IssuedTokens, event: SignInEvent) -> StoreResult<RefreshRotation> {
        // Group commit, the spend first: see `grants`.
        self.grants.write(GrantWrite::Rotation { old_hash: old_hash.to_string(), tokens: t }, event, UsageKind::TokenRequest).await
    }

    async fn revoke_token_family(&self, family_id: &str, now: i64) -> StoreResult<u64> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let n = revoke_family!(&mut *tx, family_id, now);
            tx.commit().await.map_err(db_err)?;
            Ok(n)
        })
    }

    async fn issue_client_token(
        &self,
        org_id: &str,
        app_id: &str,
        token_hash: &str,
        scopes: &[String],
        expires_at: i64,
        event: SignInEvent,
    ) -> StoreResult<()> {
        let write = GrantWrite::ClientToken {
            token_hash: token_hash.to_string(),
            org_id: org_id.to_string(),
            app_id: app_id.to_string(),
            scopes: scopes.to_vec(),
            expires_at,
        };
        self.grants.write(write, event, UsageKind::TokenRequest).await.map(|_| ())
    }

    async fn find_access_token(&self, token_hash: &str) -> StoreResult<Option<AccessTokenRecord>> {
        let row: Option<AccessRow> = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT org_id, app_id, user_id, scopes, created_at, expires_at, revoked_at FROM oauth_access_tokens WHERE token_hash = $1 \
             UNION ALL \
             SELECT org_id, app_id, NULL, scopes, created_at, expires_at, revoked_at FROM oauth_client_tokens WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(|r| AccessTokenRecord {
            org_id: r.org_id,
            app_id: r.app_id,
            user_id: r.user_id,
            scopes: scopes_of(&r.scopes),
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked: r.revoked_at.is_some(),
        }))
    }

    async fn revoke_app_token(&self, app_id: &str, token_hash: &str, now: i64) -> StoreResult<bool> {
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // A refresh token goes with its family (RFC 7009 §2.1: and the
            // access tokens of the same grant).
            let family: Option<String> = sqlx::query_scalar(
                "SELECT family_id FROM oauth_refresh_tokens WHERE token_hash = $1 AND app_id = $2")
                .bind(token_hash).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let found = if let Some(family) = family {
                let _ = revoke_family!(&mut *tx, &family, now);
                true
            } else {
                let access = sqlx::query("UPDATE oauth_access_tokens SET revoked_at = $3 WHERE token_hash = $1 AND app_id = $2 AND revoked_at IS NULL")
                    .bind(token_hash).bind(app_id).bind(now).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                let client = sqlx::query("UPDATE oauth_client_tokens SET revoked_at = $3 WHERE token_hash = $1 AND app_id = $2 AND revoked_at IS NULL")
                    .bind(token_hash).bind(app_id).bind(now).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                access + client > 0
            };
            tx.commit().await.map_err(db_err)?;
            Ok(found)
        })
    }

    async fn record_protocol_event(&self, event: SignInEvent, usage: UsageKind) -> StoreResult<()> {
        self.grants.write(GrantWrite::EventOnly, event, usage).await.map(|_| ())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows: Vec<KeyRow> = on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT kid, algorithm, private_key_pem, public_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid")
            .fetch_all(p).await.map_err(db_err))?;
        let sealer = self.sealer()?;
        rows.into_iter()
            .map(|r| {
                // Fails closed: a key that does not open is an error, never skipped.
                let private_key_pem = sealer
                    .open(&r.private_key_pem, &key_context(&r.kid))
                    .map_err(|e| StoreError::Internal(format!("signing key {}: {e}", r.kid)))?;
                Ok(SigningKeyRecord {
                    kid: r.kid,
                    algorithm: r.algorithm,
                    private_key_pem,
                    public_jwk: r.public_jwk,
                    created_at: r.created_at,
                    retired_at: r.retired_at,
                })
            })
            .collect()
    }

    async fn add_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()> {
        let sealed = self.sealer()?.seal(&key.private_key_pem, &key_context(&key.kid));
        on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query("UPDATE signing_keys SET retired_at = $2 WHERE algorithm = $1 AND retired_at IS NULL")
                .bind(&key.algorithm).bind(key.created_at).execute(&mut *tx).await.map_err(db_err)?;
            sqlx::query("INSERT INTO signing_keys (kid, algorithm, private_key_pem, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&key.kid).bind(&key.algorithm).bind(&sealed).bind(&key.public_jwk).bind(key.created_at)
                .execute(&mut *tx).await.map_err(db_err)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn delete_signing_keys_retired_before(&self, before: i64) -> StoreResult<u64> {
        on_pool!(&self.pool, p => sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
            .bind(before).execute(p).await.map(|r| r.rows_affected()).map_err(db_err))
    }

    async fn delete_expired_oauth(&self, now: i64) -> StoreResult<u64> {
        on_pool!(&self.pool, p => {
            let mut n = 0;
            // Codes stay a day past their expiry, so that a late second use
            // is still recognised (and revokes what the first one issued).
            for (table, until) in [
                ("oauth_authorization_codes", now - DAY_MS),
                ("oauth_access_tokens", now),
                ("oauth_refresh_tokens", now),
                ("oauth_client_tokens", now),
            ] {
                n += sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
                    .bind(until).execute(p).await.map_err(db_err)?.rows_affected();
            }
            Ok(n)
        })
    }

    async fn connected_apps(&self, org_id: &str, now: i64) -> StoreResult<Vec<app::models::admin::ConnectedApp>> {
        use app::domain::usage::{daily_counts, trend_days};
        let days = trend_days(now);
        let (apps, usage, recent, seen) = on_pool!(&self.pool, p => {
            let apps: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
                "SELECT id, name, client_id, enabled, public_client FROM applications \
                 WHERE org_id = $1 AND sign_on_mode = 'oidc' AND client_id IS NOT NULL ORDER BY lower(name), id")
                .bind(org_id).fetch_all(p).await.map_err(db_err)?;
            let usage: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT app_id, day, launches + token_requests + userinfo_calls FROM app_usage_daily \
                 WHERE org_id = $1 AND day >= $2")
                .bind(org_id).bind(days[0]).fetch_all(p).await.map_err(db_err)?;
            // The same requests as the daily counters count, for the exact
            // last 24 hours: successful launches (My Apps and authorize),
            // every token request and userinfo call.
            let recent: Vec<(String, i64)> = sqlx::query_as(
                "SELECT app_id, COUNT(*) FROM sign_in_events WHERE org_id = $1 AND created_at > $2 AND app_id IS NOT NULL \
                 AND ((kind = 'launch' AND outcome = 'success') OR kind IN ('token', 'userinfo')) GROUP BY app_id")
                .bind(org_id).bind(now - DAY_MS).fetch_all(p).await.map_err(db_err)?;
            // Last seen, however long ago.
            let seen: Vec<(String, i64)> = sqlx::query_as(
                "SELECT app_id, MAX(last_seen_at) FROM app_usage_daily WHERE org_id = $1 GROUP BY app_id")
                .bind(org_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>((apps, usage, recent, seen))
        })?;
        Ok(apps
            .into_iter()
            .map(|(app_id, name, client_id, enabled, public_client)| {
                let rows: Vec<(i64, i64)> = usage.iter().filter(|u| u.0 == app_id).map(|u| (u.1, u.2)).collect();
                let last_seen_at = seen.iter().find(|s| s.0 == app_id).map(|s| s.1);
                app::models::admin::ConnectedApp {
                    requests_24h: recent.iter().find(|r| r.0 == app_id).map_or(0, |r| r.1),
                    daily_requests: daily_counts(&days, &rows),
                    last_seen_at,
                    app_id,
                    name,
                    client_id,
                    enabled,
                    public_client,
                }
            })
            .collect())
    }
}
