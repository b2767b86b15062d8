//! The sign-in and audit logs for admins: the organisation's events, newest
//! first, filtered and paged by a cursor of the last row's (time, id).
//!
//! Only the filters given become conditions (each a bound value), so every
//! query walks the organisation's (org, time) key backwards and stops after
//! one page of matches; a correlation id uses its own index.

use super::access::EventRow;
use super::users::{decode_cursor, encode_cursor};
use super::{db_err, Pool, SqlStore};
use app::domain::logs::{AuditFilter, SignInFilter};
use app::models::admin::{page_size, AuditLogEntry, AuditLogPage, SignInLogEntry, SignInLogPage};
use app::ports::{LogsStore, StoreError, StoreResult};
use async_trait::async_trait;

/// A value bound to a `$n` of a query being built.
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// A `SELECT` whose conditions are added one by one, each with its value.
pub(super) struct Select {
    sql: String,
    binds: Vec<Bind>,
}

impl Select {
    pub(super) fn new(sql: &str, org_id: &str) -> Self {
        Select { sql: sql.to_string(), binds: vec![Bind::Text(org_id.to_string())] }
    }

    /// Appends ` AND <condition>`, where every `?` in it stands for `value`.
    fn and(&mut self, condition: &str, value: Bind) {
        self.binds.push(value);
        let placeholder = format!("${}", self.binds.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&condition.replace('?', &placeholder));
    }

    fn and_text(&mut self, condition: &str, value: &str) {
        if !value.is_empty() {
            self.and(condition, Bind::Text(value.to_string()));
        }
    }

    /// The time range, and the rows after the cursor (older than its row).
    pub(super) fn and_window(&mut self, from: Option<i64>, to: Option<i64>, after: Option<(i64, String)>, table: &str) {
        if let Some(from) = from {
            self.and(&format!("{table}.created_at >= ?"), Bind::Int(from));
        }
        if let Some(to) = to {
            self.and(&format!("{table}.created_at < ?"), Bind::Int(to));
        }
        if let Some((at, id)) = after {
            self.binds.push(Bind::Int(at));
            let n = self.binds.len();
            self.binds.push(Bind::Text(id));
            self.sql.push_str(&format!(" AND ({table}.created_at < ${n} OR ({table}.created_at = ${n} AND {table}.id < ${}))", n + 1));
        }
        self.sql.push_str(&format!(" ORDER BY {table}.created_at DESC, {table}.id DESC"));
    }

    /// One page of rows, newest first, and the cursor of the page after it
    /// (`key` gives a row's time and id).
    pub(super) async fn page<R>(self, pool: &Pool, limit: u32, key: impl Fn(&R) -> (i64, &str)) -> StoreResult<(Vec<R>, Option<String>)>
    where
        R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        // One row more than the page tells whether there is a next page.
        let sql = format!("{} LIMIT {}", self.sql, i64::from(limit) + 1);
        let mut rows: Vec<R> = crate::on_pool!(pool, p => {
            let mut q = sqlx::query_as::<_, R>(&sql);
            for b in &self.binds {
                q = match b {
                    Bind::Text(s) => q.bind(s.as_str()),
                    Bind::Int(i) => q.bind(*i),
                };
            }
            q.fetch_all(p).await.map_err(db_err)
        })?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(|r| cursor_of(key(r).0, key(r).1)) } else { None };
        Ok((rows, next))
    }
}

/// The cursor of a row: its time and id.
fn cursor_of(at: i64, id: &str) -> String {
    encode_cursor(&format!("{at}:{id}"))
}

pub(super) fn parse_cursor(cursor: Option<&str>) -> StoreResult<Option<(i64, String)>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else { return Ok(None) };
    let decoded = decode_cursor(cursor)?;
    decoded
        .split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_string())))
        .map(Some)
        .ok_or(StoreError::InvalidInput { field: "cursor", message: "This page link is not valid. Start again from the first page." })
}

/// Substring search of lower-cased text, in each dialect.
fn contains(pool: &Pool, column: &str) -> String {
    match pool {
        Pool::Sqlite(_) => format!("instr(lower({column}), ?) > 0"),
        Pool::Postgres(_) => format!("strpos(lower({column}), ?) > 0"),
    }
}

#[derive(sqlx::FromRow)]
struct SignInRow {
    id: String,
    user_id: Option<String>,
    upn_attempted: String,
    #[sqlx(flatten)]
    event: EventRow,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    created_at: i64,
    actor_user_id: Option<String>,
    actor_token_id: Option<String>,
    actor_label: String,
    action: String,
    target_type: String,
    target_id: String,
    before_json: Option<String>,
    after_json: Option<String>,
    correlation_id: String,
}

fn json(text: Option<String>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t)))
}

#[async_trait]
impl LogsStore for SqlStore {
    async fn sign_in_log(&self, org_id: &str, filter: &SignInFilter, cursor: Option<&str>, limit: u32) -> StoreResult<SignInLogPage> {
        let limit = page_size(limit);
        let after = parse_cursor(cursor)?;
        let mut q = Select::new(
            "SELECT e.id, e.created_at, e.correlation_id, e.user_id, e.upn_attempted, e.app_id, a.name AS app_name, e.kind, \
                    e.outcome, e.reason_code, e.client_ip, e.user_agent \
             FROM sign_in_events e LEFT JOIN applications a ON a.org_id = e.org_id AND a.id = e.app_id \
             WHERE e.org_id = $1",
            org_id,
        );
        q.and_text("e.correlation_id = ?", &filter.correlation_id);
        q.and_text(&contains(&self.pool, "e.upn_attempted"), &filter.user);
        q.and_text("e.app_id = ?", &filter.app_id);
        q.and_text("e.outcome = ?", &filter.outcome);
        q.and_text("e.reason_code = ?", &filter.reason_code);
        q.and_text("e.kind = ?", &filter.kind);
        q.and_window(filter.from, filter.to, after, "e");
        let (rows, next_cursor) = q.page(&self.pool, limit, |r: &SignInRow| (r.event.created_at, r.id.as_str())).await?;
        let events = rows
            .into_iter()
            .map(|r| SignInLogEntry { id: r.id, user_id: r.user_id, upn: r.upn_attempted, event: r.event.into_record() })
            .collect();
        Ok(SignInLogPage { events, next_cursor })
    }

    async fn audit_log(&self, org_id: &str, filter: &AuditFilter, cursor: Option<&str>, limit: u32) -> StoreResult<AuditLogPage> {
        let limit = page_size(limit);
        let after = parse_cursor(cursor)?;
        let mut q = Select::new(
            "SELECT x.id, x.created_at, x.actor_user_id, x.actor_token_id, x.actor_label, x.action, x.target_type, x.target_id, x.before_json, \
                    x.after_json, x.correlation_id \
             FROM audit_events x WHERE x.org_id = $1",
            org_id,
        );
        q.and_text(&contains(&self.pool, "x.actor_label"), &filter.actor);
        // `user.` is every action on users; anything else one action.
        if filter.action.ends_with('.') {
            q.and_text("substr(x.action, 1, length(?)) = ?", &filter.action);
        } else {
            q.and_text("x.action = ?", &filter.action);
        }
        q.and_text("x.target_id = ?", &filter.target_id);
        q.and_text("x.correlation_id = ?", &filter.correlation_id);
        q.and_window(filter.from, filter.to, after, "x");
        let (rows, next_cursor) = q.page(&self.pool, limit, |r: &AuditRow| (r.created_at, r.id.as_str())).await?;
        let events = rows
            .into_iter()
            .map(|r| AuditLogEntry {
                id: r.id,
                created_at: r.created_at,
                actor_user_id: r.actor_user_id,
                actor_token_id: r.actor_token_id,
                actor: r.actor_label,
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id,
                before: json(r.before_json),
                after: json(r.after_json),
                correlation_id: r.correlation_id,
            })
            .collect();
        Ok(AuditLogPage { events, next_cursor })
    }
}
