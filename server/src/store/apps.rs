//! Apps, as admins manage them. Every query is scoped by the organisation;
//! a change is one transaction with its audit event.

use super::users::{decode_cursor, encode_cursor, SummaryRow as UserRow, SUMMARY_COLUMNS as USER_COLUMNS};
use super::{db_err, insert_audit_event, SqlStore};
use app::domain::apps::{AppFields, SignOnMode};
use app::models::admin::{
    page_size, AccessHolder, AccessPage, AppAdminDetail, AppChoice, AppPage, AppQuery, AppSummary, AssignmentView, NamedRef,
    PermissionChoice, UserPage, UserQuery,
};
use app::ports::*;
use async_trait::async_trait;

/// The list's sort key: the lower-cased name, then the id (names repeat).
/// The cursor carries both, separated by a character no name holds.
fn encode_app_cursor(name_key: &str, id: &str) -> String {
    encode_cursor(&format!("{name_key}\u{1f}{id}"))
}

fn decode_app_cursor(cursor: &str) -> StoreResult<(String, String)> {
    let raw = decode_cursor(cursor)?;
    raw.split_once('\u{1f}')
        .map(|(name, id)| (name.to_string(), id.to_string()))
        .ok_or(StoreError::InvalidInput { field: "cursor", message: "This page link is not valid. Start again from the first page." })
}

fn search_apps_sql(function: &str) -> String {
    format!(
        "SELECT id, name, lower(name) AS name_key, category, sign_on_mode, publisher_name, publisher_verified, enabled, visible, \
           assignment_required \
         FROM applications WHERE org_id = $1 \
           AND ($2 = '' OR {function}(lower(name), $2) > 0 OR {function}(lower(publisher_name), $2) > 0 \
                OR {function}(lower(category), $2) > 0) \
           AND (lower(name) > $3 OR (lower(name) = $3 AND id > $4)) \
         ORDER BY lower(name), id LIMIT $5"
    )
}
static SEARCH_APPS_SQLITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| search_apps_sql("instr"));
static SEARCH_APPS_POSTGRES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| search_apps_sql("strpos"));

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    name: String,
    name_key: String,
    category: String,
    sign_on_mode: String,
    publisher_name: String,
    publisher_verified: bool,
    enabled: bool,
    visible: bool,
    assignment_required: bool,
}

fn mode(raw: &str) -> StoreResult<SignOnMode> {
    SignOnMode::parse(raw).ok_or_else(|| StoreError::Internal(format!("unknown sign-on mode {raw:?}")))
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: String,
    name: String,
    description: String,
    logo_url: Option<String>,
    category: String,
    publisher_name: String,
    publisher_verified: bool,
    registered_in_org: bool,
    enabled: bool,
    visible: bool,
    assignment_required: bool,
    required_license_id: Option<String>,
    required_license_name: Option<String>,
    sign_on_mode: String,
    launch_url: Option<String>,
    client_id: Option<String>,
    has_client_secret: bool,
    public_client: bool,
    initiate_login_uri: Option<String>,
    id_token_signed_response_alg: String,
    created_at: i64,
    updated_at: i64,
}

const PERMISSION_COLUMNS: &str = "p.id, p.value, p.display_name, a.name AS api_name, p.admin_consent_required";

#[derive(sqlx::FromRow)]
struct PermissionRow {
    id: String,
    value: String,
    display_name: String,
    api_name: String,
    admin_consent_required: bool,
}

impl From<PermissionRow> for PermissionChoice {
    fn from(r: PermissionRow) -> Self {
        PermissionChoice {
            id: r.id,
            value: r.value,
            display_name: r.display_name,
            api_name: r.api_name,
            admin_consent_required: r.admin_consent_required,
        }
    }
}

/// Writes an app's redirect URIs (sign-in and sign-out) and requested permissions anew, inside the
/// caller's transaction.
macro_rules! replace_app_lists {
    ($tx:expr, $org_id:expr, $app_id:expr, $fields:expr) => {{
        for (table, uris) in [
            ("application_redirect_uris", &$fields.redirect_uris),
            ("application_post_logout_redirect_uris", &$fields.post_logout_redirect_uris),
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1 AND app_id = $2"))
                .bind($org_id)
                .bind($app_id)
                .execute(&mut *$tx)
                .await
                .map_err(db_err)?;
            for uri in uris {
                sqlx::query(&format!("INSERT INTO {table} (org_id, app_id, uri) VALUES ($1, $2, $3)"))
                    .bind($org_id)
                    .bind($app_id)
                    .bind(uri)
                    .execute(&mut *$tx)
                    .await
                    .map_err(db_err)?;
            }
        }
        sqlx::query("DELETE FROM application_permissions WHERE org_id = $1 AND app_id = $2")
            .bind($org_id)
            .bind($app_id)
            .execute(&mut *$tx)
            .await
            .map_err(db_err)?;
        for permission_id in &$fields.permission_ids {
            sqlx::query("INSERT INTO application_permissions (org_id, app_id, permission_id) VALUES ($1, $2, $3)")
                .bind($org_id)
                .bind($app_id)
                .bind(permission_id)
                .execute(&mut *$tx)
                .await
                .map_err(db_err)?;
        }
    }};
}

/// Everyone an app's assignments reach, with the path: `holders(user_id,
/// path)`, path empty for a direct assignment, else the assigned group's
/// name and the nested groups' down to the user's own, joined by " → ".
/// Nesting is acyclic (refused when written); the depth bound is a guard.
/// Binds: $1 org, $2 app.
const HOLDERS: &str = "WITH RECURSIVE reach(group_id, path, depth) AS ( \
        SELECT g.id, g.name, 0 FROM app_assignments a JOIN user_groups g ON g.org_id = a.org_id AND g.id = a.group_id \
        WHERE a.org_id = $1 AND a.app_id = $2 \
        UNION ALL \
        SELECT e.member_group_id, reach.path || ' → ' || g.name, reach.depth + 1 \
        FROM group_group_members e JOIN reach ON e.group_id = reach.group_id \
        JOIN user_groups g ON g.org_id = e.org_id AND g.id = e.member_group_id \
        WHERE reach.depth < 32 \
    ), holders(user_id, path) AS ( \
        SELECT m.user_id, reach.path FROM group_user_members m JOIN reach ON m.group_id = reach.group_id WHERE m.org_id = $1 \
        UNION ALL \
        SELECT a.user_id, '' FROM app_assignments a WHERE a.org_id = $1 AND a.app_id = $2 AND a.user_id IS NOT NULL \
    ) ";

/// A path as the admin reads it.
fn path_words(path: &str) -> String {
    match path.split_once(" → ") {
        _ if path.is_empty() => "Assigned directly".to_string(),
        None => format!("Through the group {path}"),
        Some((group, via)) => format!("Through the group {group}, via {via}"),
    }
}

impl SqlStore {
    /// A page of users in UPN order, all of the organisation's or only the
    /// app's holders, matching the search.
    async fn access_page(&self, org_id: &str, app_id: &str, everyone: bool, query: &UserQuery) -> StoreResult<UserPage> {
        let limit = page_size(query.limit);
        let after = match &query.cursor {
            Some(c) if !c.is_empty() => decode_cursor(c)?,
            _ => String::new(),
        };
        let function = match &self.pool {
            super::Pool::Sqlite(_) => "instr",
            super::Pool::Postgres(_) => "strpos",
        };
        let (with, holders) = if everyone { ("", "") } else { (HOLDERS, "AND u.id IN (SELECT user_id FROM holders)") };
        // `$2 <> ''` uses the app id in both forms, so PostgreSQL knows every
        // parameter's type.
        let sql = format!(
            "{with} SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND $2 <> '' {holders} \
               AND ($3 = '' OR {function}(u.upn_normalized, $3) > 0 OR {function}(lower(u.display_name), $3) > 0 \
                    OR {function}(lower(u.email), $3) > 0) \
               AND u.upn_normalized > $4 ORDER BY u.upn_normalized LIMIT $5"
        );
        let mut rows: Vec<UserRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(&sql)
            .bind(org_id).bind(app_id).bind(query.search.trim().to_lowercase()).bind(&after).bind(i64::from(limit) + 1)
            .fetch_all(p).await.map_err(db_err))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(&r.upn_normalized)) } else { None };
        let users = rows.into_iter().map(UserRow::into_summary).collect::<StoreResult<_>>()?;
        Ok(UserPage { users, next_cursor })
    }
}

#[async_trait]
impl AppsStore for SqlStore {
    async fn list_app_choices(&self, org_id: &str) -> StoreResult<Vec<AppChoice>> {
        let rows: Vec<(String, String)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, name FROM applications WHERE org_id = $1 ORDER BY lower(name), id")
            .bind(org_id)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        Ok(rows.into_iter().map(|(id, name)| AppChoice { id, name }).collect())
    }

    async fn search_apps(&self, org_id: &str, query: &AppQuery) -> StoreResult<AppPage> {
        let limit = page_size(query.limit);
        let (after_name, after_id) = match &query.cursor {
            Some(c) if !c.is_empty() => decode_app_cursor(c)?,
            _ => (String::new(), String::new()),
        };
        let sql = match &self.pool {
            super::Pool::Sqlite(_) => SEARCH_APPS_SQLITE.as_str(),
            super::Pool::Postgres(_) => SEARCH_APPS_POSTGRES.as_str(),
        };
        let mut rows: Vec<SummaryRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(sql)
            .bind(org_id)
            .bind(query.search.trim().to_lowercase())
            .bind(&after_name)
            .bind(&after_id)
            .bind(i64::from(limit) + 1)
            .fetch_all(p)
            .await
            .map_err(db_err))?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_app_cursor(&r.name_key, &r.id)) } else { None };
        let apps = rows
            .into_iter()
            .map(|r| {
                Ok(AppSummary {
                    sign_on_mode: mode(&r.sign_on_mode)?,
                    id: r.id,
                    name: r.name,
                    category: r.category,
                    publisher_name: r.publisher_name,
                    publisher_verified: r.publisher_verified,
                    enabled: r.enabled,
                    visible: r.visible,
                    assignment_required: r.assignment_required,
                })
            })
            .collect::<StoreResult<_>>()?;
        Ok(AppPage { apps, next_cursor })
    }

    async fn find_app_admin(&self, org_id: &str, app_id: &str) -> StoreResult<Option<AppAdminDetail>> {
        let (row, uris, logout_uris, permissions) = crate::on_pool!(&self.pool, p => {
            let row: Option<DetailRow> = sqlx::query_as(
                "SELECT a.id, a.name, a.description, a.logo_url, a.category, a.publisher_name, a.publisher_verified, \
                   a.registered_in_org, a.enabled, a.visible, a.assignment_required, a.required_license_id, \
                   l.name AS required_license_name, a.sign_on_mode, a.launch_url, a.client_id, \
                   (a.client_secret_hash IS NOT NULL) AS has_client_secret, a.public_client, a.initiate_login_uri, \
                   a.id_token_signed_response_alg, a.created_at, a.updated_at \
                 FROM applications a LEFT JOIN licenses l ON l.org_id = a.org_id AND l.id = a.required_license_id \
                 WHERE a.org_id = $1 AND a.id = $2")
                .bind(org_id).bind(app_id).fetch_optional(p).await.map_err(db_err)?;
            if row.is_none() {
                return Ok(None);
            }
            let uris: Vec<String> = sqlx::query_scalar(
                "SELECT uri FROM application_redirect_uris WHERE org_id = $1 AND app_id = $2 ORDER BY uri")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let logout_uris: Vec<String> = sqlx::query_scalar(
                "SELECT uri FROM application_post_logout_redirect_uris WHERE org_id = $1 AND app_id = $2 ORDER BY uri")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let permissions: Vec<PermissionRow> = sqlx::query_as(&format!(
                "SELECT {PERMISSION_COLUMNS} FROM application_permissions ap \
                 JOIN permissions p ON p.org_id = ap.org_id AND p.id = ap.permission_id \
                 JOIN apis a ON a.org_id = p.org_id AND a.id = p.api_id \
                 WHERE ap.org_id = $1 AND ap.app_id = $2 ORDER BY a.name, p.value"))
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>((row, uris, logout_uris, permissions))
        })?;
        let Some(r) = row else { return Ok(None) };
        let permissions: Vec<PermissionChoice> = permissions.into_iter().map(PermissionChoice::from).collect();
        let mut permission_ids: Vec<String> = permissions.iter().map(|p| p.id.clone()).collect();
        permission_ids.sort();
        Ok(Some(AppAdminDetail {
            fields: AppFields {
                name: r.name,
                description: r.description,
                category: r.category,
                publisher_name: r.publisher_name,
                publisher_verified: r.publisher_verified,
                registered_in_org: r.registered_in_org,
                enabled: r.enabled,
                visible: r.visible,
                assignment_required: r.assignment_required,
                required_license_id: r.required_license_id,
                sign_on_mode: mode(&r.sign_on_mode)?,
                launch_url: r.launch_url,
                public_client: r.public_client,
                initiate_login_uri: r.initiate_login_uri,
                redirect_uris: uris,
                post_logout_redirect_uris: logout_uris,
                id_token_signed_response_alg: r.id_token_signed_response_alg,
                permission_ids,
            },
            id: r.id,
            client_id: r.client_id,
            has_client_secret: r.has_client_secret,
            logo_url: r.logo_url,
            required_license_name: r.required_license_name,
            permissions,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }))
    }

    async fn permission_choices(&self, org_id: &str) -> StoreResult<Vec<PermissionChoice>> {
        let rows: Vec<PermissionRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(&format!(
            "SELECT {PERMISSION_COLUMNS} FROM permissions p JOIN apis a ON a.org_id = p.org_id AND a.id = p.api_id \
             WHERE p.org_id = $1 ORDER BY a.name, p.value"))
            .bind(org_id).fetch_all(p).await.map_err(db_err))?;
        Ok(rows.into_iter().map(PermissionChoice::from).collect())
    }

    async fn license_choices(&self, org_id: &str) -> StoreResult<Vec<NamedRef>> {
        let rows: Vec<(String, String)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT id, name FROM licenses WHERE org_id = $1 ORDER BY lower(name), id")
            .bind(org_id).fetch_all(p).await.map_err(db_err))?;
        Ok(rows.into_iter().map(|(id, name)| NamedRef { id, name }).collect())
    }

    async fn create_app(
        &self,
        org_id: &str,
        app_id: &str,
        f: &AppFields,
        credentials: Option<&ClientCredentials>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let (client_id, secret) = (credentials.map(|c| c.client_id.as_str()), credentials.and_then(|c| c.secret_digest.as_deref()));
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query(
                "INSERT INTO applications (id, org_id, name, description, category, publisher_name, publisher_verified, \
                   registered_in_org, enabled, visible, assignment_required, required_license_id, sign_on_mode, launch_url, \
                   client_id, client_secret_hash, public_client, initiate_login_uri, id_token_signed_response_alg, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $20, $19, $19)")
                .bind(app_id).bind(org_id).bind(&f.name).bind(&f.description).bind(&f.category).bind(&f.publisher_name)
                .bind(f.publisher_verified).bind(f.registered_in_org).bind(f.enabled).bind(f.visible).bind(f.assignment_required)
                .bind(&f.required_license_id).bind(f.sign_on_mode.as_str()).bind(&f.launch_url).bind(client_id).bind(secret)
                .bind(f.public_client).bind(&f.initiate_login_uri).bind(audit.at).bind(&f.id_token_signed_response_alg)
                .execute(&mut *tx).await.map_err(db_err)?;
            replace_app_lists!(tx, org_id, app_id, f);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    async fn update_app(
        &self,
        org_id: &str,
        app_id: &str,
        f: &AppFields,
        credentials: Option<&ClientCredentials>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let updated = sqlx::query(
                "UPDATE applications SET name = $3, description = $4, category = $5, publisher_name = $6, publisher_verified = $7, \
                   registered_in_org = $8, enabled = $9, visible = $10, assignment_required = $11, required_license_id = $12, \
                   sign_on_mode = $13, launch_url = $14, public_client = $15, initiate_login_uri = $16, updated_at = $17, \
                   id_token_signed_response_alg = $18 \
                 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).bind(&f.name).bind(&f.description).bind(&f.category).bind(&f.publisher_name)
                .bind(f.publisher_verified).bind(f.registered_in_org).bind(f.enabled).bind(f.visible).bind(f.assignment_required)
                .bind(&f.required_license_id).bind(f.sign_on_mode.as_str()).bind(&f.launch_url).bind(f.public_client)
                .bind(&f.initiate_login_uri).bind(audit.at).bind(&f.id_token_signed_response_alg)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
            if let Some(c) = credentials {
                sqlx::query("UPDATE applications SET client_id = $3, client_secret_hash = $4 WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(app_id).bind(&c.client_id).bind(&c.secret_digest)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            replace_app_lists!(tx, org_id, app_id, f);
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn set_client_secret(&self, org_id: &str, app_id: &str, secret_digest: Option<&str>, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let updated = sqlx::query(
                "UPDATE applications SET client_secret_hash = $3, updated_at = $4 \
                 WHERE org_id = $1 AND id = $2 AND sign_on_mode = 'oidc' AND client_id IS NOT NULL")
                .bind(org_id).bind(app_id).bind(secret_digest).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn set_app_logo(&self, org_id: &str, app_id: &str, logo: Option<&AppLogo>, audit: AuditEvent) -> StoreResult<bool> {
        let logo_url = logo.map(|l| format!("/logos/{app_id}/{}", l.digest));
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let updated = sqlx::query("UPDATE applications SET logo_url = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).bind(&logo_url).bind(audit.at)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if updated != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM app_logos WHERE org_id = $1 AND app_id = $2")
                .bind(org_id).bind(app_id).execute(&mut *tx).await.map_err(db_err)?;
            if let Some(l) = logo {
                sqlx::query("INSERT INTO app_logos (org_id, app_id, content_type, digest, bytes, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(org_id).bind(app_id).bind(&l.content_type).bind(&l.digest).bind(&l.bytes).bind(audit.at)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn find_app_logo(&self, org_id: &str, app_id: &str, digest: &str) -> StoreResult<Option<AppLogo>> {
        let row: Option<(String, String, Vec<u8>)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT content_type, digest, bytes FROM app_logos WHERE org_id = $1 AND app_id = $2 AND digest = $3")
            .bind(org_id).bind(app_id).bind(digest).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(|(content_type, digest, bytes)| AppLogo { content_type, digest, bytes }))
    }

    async fn app_assignments(&self, org_id: &str, app_id: &str) -> StoreResult<Vec<AssignmentView>> {
        let (users, groups) = crate::on_pool!(&self.pool, p => {
            let users: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT u.id, u.display_name, u.upn, a.assigned_at FROM app_assignments a \
                 JOIN users u ON u.org_id = a.org_id AND u.id = a.user_id \
                 WHERE a.org_id = $1 AND a.app_id = $2 ORDER BY lower(u.display_name), u.id")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let groups: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT g.id, g.name, a.assigned_at FROM app_assignments a \
                 JOIN user_groups g ON g.org_id = a.org_id AND g.id = a.group_id \
                 WHERE a.org_id = $1 AND a.app_id = $2 ORDER BY g.name_normalized")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            Ok::<_, StoreError>((users, groups))
        })?;
        let ids: Vec<&str> = groups.iter().map(|g| g.0.as_str()).collect();
        let reach = self.effective_users(org_id, &ids).await?;
        let mut views: Vec<AssignmentView> = users
            .into_iter()
            .map(|(id, name, upn, assigned_at)| AssignmentView { kind: "user".into(), id, name, detail: upn, assigned_at })
            .collect();
        views.extend(groups.into_iter().map(|(id, name, assigned_at)| {
            let n = reach.get(&id).copied().unwrap_or(0);
            let detail = if n == 1 { "1 person".to_string() } else { format!("{n} people") };
            AssignmentView { kind: "group".into(), id, name, detail, assigned_at }
        }));
        Ok(views)
    }

    async fn app_access(&self, org_id: &str, app_id: &str, query: &UserQuery) -> StoreResult<AccessPage> {
        let open: Option<bool> = crate::on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT NOT assignment_required FROM applications WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(app_id).fetch_optional(p).await.map_err(db_err))?;
        let Some(open_to_everyone) = open else { return Err(StoreError::NotFound) };
        let page = self.access_page(org_id, app_id, open_to_everyone, query).await?;
        let ids: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
        let mut paths: std::collections::HashMap<String, Vec<String>> = Default::default();
        if !ids.is_empty() {
            let ids_as_rows = match &self.pool {
                super::Pool::Sqlite(_) => "SELECT value FROM json_each($3)",
                super::Pool::Postgres(_) => "SELECT jsonb_array_elements_text($3::jsonb)",
            };
            let sql = format!(
                "{HOLDERS} SELECT user_id, path FROM holders WHERE user_id IN ({ids_as_rows}) ORDER BY user_id, length(path), path"
            );
            let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Internal(e.to_string()))?;
            let rows: Vec<(String, String)> = crate::on_pool!(&self.pool, p => sqlx::query_as(&sql)
                .bind(org_id).bind(app_id).bind(&ids).fetch_all(p).await.map_err(db_err))?;
            for (user_id, path) in rows {
                let words = path_words(&path);
                let list = paths.entry(user_id).or_default();
                if !list.contains(&words) {
                    list.push(words);
                }
            }
        }
        let holders = page
            .users
            .into_iter()
            .map(|user| {
                let mut p = paths.remove(&user.id).unwrap_or_default();
                if open_to_everyone {
                    p.push("Open to everyone in your organisation".into());
                }
                AccessHolder { user, paths: p }
            })
            .collect();
        Ok(AccessPage { open_to_everyone, holders, next_cursor: page.next_cursor })
    }

    async fn delete_app(&self, org_id: &str, app_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let deleted = sqlx::query("DELETE FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if deleted != 1 {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::path_words;

    #[test]
    fn paths_read_as_words() {
        assert_eq!(path_words(""), "Assigned directly");
        assert_eq!(path_words("Engineering"), "Through the group Engineering");
        assert_eq!(path_words("Engineering → Platform Team"), "Through the group Engineering, via Platform Team");
    }
}
