//! Writing what the OpenID Connect provider issues, with group commit.
//!
//! A refresh grant spends its refresh token and stores a new access and
//! refresh token, a sign-in event and the app's usage counter, all in one
//! transaction, before the app gets its answer. One transaction per grant
//! made that a seven-statement transaction per request, each statement a
//! hand-off to the database (with SQLite, to the connection's worker
//! thread, while holding the one write lock), and grants queued behind each
//! other's hand-offs (BENCHMARKS.md, "Token endpoint"). So, as launches do
//! (`launches`), one writer task on the database thread takes every write
//! waiting at that moment, up to [`MAX_BATCH`], and makes them one
//! transaction of a few statements, whatever the batch's size:
//!
//! 1. one `UPDATE … RETURNING` spends every refresh token the batch rotates;
//!    a token found spent already (by an earlier batch, or twice in this
//!    one) is a replay: nothing of that rotation is stored and its whole
//!    family is revoked, in the same transaction;
//! 2. one insert each for access tokens, refresh tokens, client tokens and
//!    sign-in events, and one upsert of the usage counters, summed per app
//!    and day.
//!
//! Each write is answered once the transaction holding it has committed.
//! The rows travel as one JSON array per statement (`json_each` on SQLite,
//! `json_to_recordset` on PostgreSQL), so every statement's text is fixed
//! and prepared once, and both backends run the same statements.

use super::kept::{next_batch, KeptConnection, OwnConnection, WriteTurns};
use super::{db_err, new_id, Pool};
use app::domain::model::DAY;
use app::ports::{IssuedTokens, RefreshRotation, SignInEvent, StoreError, StoreResult, UsageKind};
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use tokio::sync::{mpsc, oneshot};

/// The most writes one transaction carries.
pub const MAX_BATCH: usize = 256;
/// Writes that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

/// What one request stores besides its sign-in event and usage count.
#[derive(Debug)]
pub enum GrantWrite {
    /// Nothing else (userinfo, an authorization, a refused request).
    EventOnly,
    /// Tokens of a redeemed code.
    Tokens(IssuedTokens),
    /// A refresh: spend `old_hash`, then store `tokens`, unless it was spent
    /// already (a replay).
    Rotation { old_hash: String, tokens: IssuedTokens },
    /// An app's own access token (client_credentials).
    ClientToken { token_hash: String, org_id: String, app_id: String, scopes: Vec<String>, expires_at: i64 },
}

struct Pending {
    write: GrantWrite,
    event: SignInEvent,
    usage: UsageKind,
    done: oneshot::Sender<Result<RefreshRotation, String>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("correlation_id", &self.event.correlation_id).finish()
    }
}

/// The handle grants are written through; cheap to clone.
#[derive(Clone, Debug)]
pub struct GrantWriter {
    queue: mpsc::Sender<Pending>,
}

impl GrantWriter {
    /// The writer's handle and its task (which ends when every handle is
    /// gone), to be run on the database thread (see `SqlStore::new`).
    pub fn new(pool: Pool, turns: WriteTurns) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let (queue, rx) = mpsc::channel(QUEUE);
        (GrantWriter { queue }, write_batches(pool, turns, rx))
    }

    /// Stores one request's writes with its event and usage count; returns
    /// once they are committed. A rotation whose token was spent already
    /// answers [`RefreshRotation::Replayed`]: then only its family's
    /// revocation was written (no event, no count: the caller records the
    /// refusal).
    pub async fn write(&self, write: GrantWrite, event: SignInEvent, usage: UsageKind) -> StoreResult<RefreshRotation> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { write, event, usage, done })
            .await
            .map_err(|_| StoreError::Internal("the grant writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Internal("the grant writer stopped before committing".into()))?
            .map_err(StoreError::Internal)
    }
}

/// The writer: takes the writes waiting at that moment, commits them,
/// answers them, again (as `launches::write_batches` does, and for the
/// same reasons: one batch in flight, no timer).
async fn write_batches(pool: Pool, turns: WriteTurns, mut rx: mpsc::Receiver<Pending>) {
    let mut connection = KeptConnection::taking_turns(pool, turns);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while next_batch(&mut rx, &mut batch, MAX_BATCH).await {
        let result = connection.run(async |c| write(c, &batch).await).await;
        match result {
            Ok(answers) => {
                for (pending, answer) in batch.drain(..).zip(answers) {
                    let _ = pending.done.send(Ok(answer));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), "could not store issued tokens");
                let message = e.to_string();
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(message.clone()));
                }
            }
        }
    }
}

/// The columns of each statement's rows, with their PostgreSQL types.
type Columns = &'static [(&'static str, &'static str)];

const SPEND_COLUMNS: Columns = &[("token_hash", "text"), ("at", "bigint")];
const FAMILY_COLUMNS: Columns = &[("family_id", "text"), ("at", "bigint")];
const TOKEN_COLUMNS: Columns = &[
    ("access_hash", "text"),
    ("refresh_hash", "text"),
    ("org_id", "text"),
    ("app_id", "text"),
    ("user_id", "text"),
    ("scopes", "text"),
    ("family_id", "text"),
    ("at", "bigint"),
    ("access_expires_at", "bigint"),
    ("refresh_expires_at", "bigint"),
    ("auth_time", "bigint"),
];
const CLIENT_TOKEN_COLUMNS: Columns =
    &[("token_hash", "text"), ("org_id", "text"), ("app_id", "text"), ("scopes", "text"), ("at", "bigint"), ("expires_at", "bigint")];
const EVENT_COLUMNS: Columns = &[
    ("id", "text"),
    ("org_id", "text"),
    ("correlation_id", "text"),
    ("user_id", "text"),
    ("upn_attempted", "text"),
    ("app_id", "text"),
    ("kind", "text"),
    ("outcome", "text"),
    ("reason_code", "text"),
    ("client_ip", "text"),
    ("user_agent", "text"),
    ("at", "bigint"),
];
const USAGE_COLUMNS: Columns = &[
    ("org_id", "text"),
    ("app_id", "text"),
    ("day", "bigint"),
    ("launches", "bigint"),
    ("token_requests", "bigint"),
    ("userinfo_calls", "bigint"),
    ("last_seen_at", "bigint"),
];

/// `SELECT` of the rows of the JSON array bound to `$1`, as a table with `columns`.
fn rows(sqlite: bool, columns: Columns) -> String {
    if sqlite {
        let picked: Vec<String> = columns.iter().map(|(c, _)| format!("j.value ->> '{c}' AS {c}")).collect();
        format!("SELECT {} FROM json_each($1) AS j", picked.join(", "))
    } else {
        let typed: Vec<String> = columns.iter().map(|(c, t)| format!("{c} {t}")).collect();
        format!("SELECT * FROM json_to_recordset($1::json) AS j ({})", typed.join(", "))
    }
}

/// Tokens hang from the grant that allows them (revoking it deletes them):
/// the user's own, else the organisation's.
const GRANT_OF: &str = "(SELECT g.id FROM consent_grants g WHERE g.org_id = t.org_id AND g.app_id = t.app_id \
     AND (g.principal_user_id = t.user_id OR g.principal_user_id IS NULL) \
     ORDER BY CASE WHEN g.principal_user_id IS NULL THEN 1 ELSE 0 END LIMIT 1)";

/// Rows of an app or user deleted since the decision are skipped (the
/// delete would have taken them), so one such request cannot fail the
/// transaction that carries everybody else's.
const APP_EXISTS: &str = "EXISTS (SELECT 1 FROM applications a WHERE a.org_id = t.org_id AND a.id = t.app_id)";
const USER_EXISTS: &str = "EXISTS (SELECT 1 FROM users u WHERE u.org_id = t.org_id AND u.id = t.user_id)";

/// The statements, per backend.
struct Statements {
    spend: String,
    revoke_refresh: String,
    revoke_access: String,
    access_tokens: String,
    refresh_tokens: String,
    client_tokens: String,
    events: String,
    usage: String,
}

impl Statements {
    fn new(sqlite: bool) -> Self {
        let tokens = rows(sqlite, TOKEN_COLUMNS);
        let revoke = |table: &str| {
            format!(
                "UPDATE {table} SET revoked_at = f.at FROM ({}) AS f \
                 WHERE {table}.family_id = f.family_id AND {table}.revoked_at IS NULL",
                rows(sqlite, FAMILY_COLUMNS)
            )
        };
        Statements {
            spend: format!(
                "UPDATE oauth_refresh_tokens SET revoked_at = s.at FROM ({}) AS s \
                 WHERE oauth_refresh_tokens.token_hash = s.token_hash AND oauth_refresh_tokens.revoked_at IS NULL \
                 RETURNING oauth_refresh_tokens.token_hash",
                rows(sqlite, SPEND_COLUMNS)
            ),
            revoke_refresh: revoke("oauth_refresh_tokens"),
            revoke_access: revoke("oauth_access_tokens"),
            access_tokens: format!(
                "INSERT INTO oauth_access_tokens (token_hash, org_id, app_id, user_id, grant_id, scopes, created_at, expires_at, family_id) \
                 SELECT t.access_hash, t.org_id, t.app_id, t.user_id, {GRANT_OF}, t.scopes, t.at, t.access_expires_at, t.family_id \
                 FROM ({tokens}) AS t WHERE {APP_EXISTS} AND {USER_EXISTS}"
            ),
            refresh_tokens: format!(
                "INSERT INTO oauth_refresh_tokens (token_hash, org_id, app_id, user_id, grant_id, scopes, family_id, created_at, expires_at, auth_time) \
                 SELECT t.refresh_hash, t.org_id, t.app_id, t.user_id, {GRANT_OF}, t.scopes, t.family_id, t.at, t.refresh_expires_at, t.auth_time \
                 FROM ({tokens}) AS t WHERE t.refresh_hash IS NOT NULL AND {APP_EXISTS} AND {USER_EXISTS}"
            ),
            client_tokens: format!(
                "INSERT INTO oauth_client_tokens (token_hash, org_id, app_id, scopes, created_at, expires_at) \
                 SELECT t.token_hash, t.org_id, t.app_id, t.scopes, t.at, t.expires_at FROM ({}) AS t WHERE {APP_EXISTS}",
                rows(sqlite, CLIENT_TOKEN_COLUMNS)
            ),
            events: format!(
                "INSERT INTO sign_in_events (id, org_id, correlation_id, user_id, upn_attempted, app_id, kind, outcome, \
                 reason_code, client_ip, user_agent, created_at) \
                 SELECT t.id, t.org_id, t.correlation_id, t.user_id, t.upn_attempted, t.app_id, t.kind, t.outcome, \
                 t.reason_code, t.client_ip, t.user_agent, t.at FROM ({}) AS t",
                rows(sqlite, EVENT_COLUMNS)
            ),
            // (The WHERE also keeps SQLite from reading ON CONFLICT as a
            // join's.) In key order: batches of two replicas then lock the
            // counter rows they share in the same order, never in opposite
            // orders (a deadlock).
            usage: format!(
                "INSERT INTO app_usage_daily (org_id, app_id, day, launches, token_requests, userinfo_calls, last_seen_at) \
                 SELECT t.org_id, t.app_id, t.day, t.launches, t.token_requests, t.userinfo_calls, t.last_seen_at \
                 FROM ({}) AS t WHERE {APP_EXISTS} ORDER BY t.app_id, t.day \
                 ON CONFLICT (app_id, day) DO UPDATE SET launches = app_usage_daily.launches + excluded.launches, \
                 token_requests = app_usage_daily.token_requests + excluded.token_requests, \
                 userinfo_calls = app_usage_daily.userinfo_calls + excluded.userinfo_calls, \
                 last_seen_at = CASE WHEN excluded.last_seen_at > app_usage_daily.last_seen_at \
                 THEN excluded.last_seen_at ELSE app_usage_daily.last_seen_at END",
                rows(sqlite, USAGE_COLUMNS)
            ),
        }
    }
}

static SQLITE: LazyLock<Statements> = LazyLock::new(|| Statements::new(true));
static POSTGRES: LazyLock<Statements> = LazyLock::new(|| Statements::new(false));

/// What the batch stores, once its spends are known.
#[derive(Default)]
struct Rows {
    tokens: Vec<Value>,
    client_tokens: Vec<Value>,
    events: Vec<Value>,
    /// Per (org, app, day): launches, token requests, userinfo calls, last seen.
    usage: HashMap<(String, String, i64), [i64; 4]>,
    /// Families whose spent token came back, with when.
    replayed: Vec<Value>,
}

fn token_row(t: &IssuedTokens) -> Value {
    json!({
        "access_hash": t.access_hash,
        "refresh_hash": t.refresh.as_ref().map(|(hash, _)| hash),
        "org_id": t.org_id,
        "app_id": t.app_id,
        "user_id": t.user_id,
        "scopes": t.scopes.join(" "),
        "family_id": t.family_id,
        "at": t.at,
        "access_expires_at": t.access_expires_at,
        "refresh_expires_at": t.refresh.as_ref().map(|(_, expires_at)| expires_at),
        "auth_time": t.auth_time,
    })
}

fn event_row(e: &SignInEvent) -> Value {
    json!({
        "id": new_id(),
        "org_id": e.org_id,
        "correlation_id": e.correlation_id,
        "user_id": e.user_id,
        "upn_attempted": e.upn_attempted,
        "app_id": e.app_id,
        "kind": e.kind.as_str(),
        "outcome": e.outcome.as_str(),
        "reason_code": e.reason_code,
        "client_ip": e.client_ip,
        "user_agent": e.user_agent,
        "at": e.at,
    })
}

/// The rows to store and each write's answer, given which of the batch's
/// rotated tokens its `UPDATE` spent. A token rotated twice in one batch
/// is spent by the first; the second is a replay.
fn plan(batch: &[Pending], spent: &HashSet<String>) -> (Rows, Vec<RefreshRotation>) {
    let mut rows = Rows::default();
    let mut answers = Vec::with_capacity(batch.len());
    let mut taken: HashSet<&str> = HashSet::new();
    for p in batch {
        let answer = match &p.write {
            GrantWrite::Rotation { old_hash, tokens } => {
                if spent.contains(old_hash) && taken.insert(old_hash) {
                    rows.tokens.push(token_row(tokens));
                    RefreshRotation::Rotated
                } else {
                    rows.replayed.push(json!({ "family_id": tokens.family_id, "at": tokens.at }));
                    RefreshRotation::Replayed
                }
            }
            GrantWrite::Tokens(tokens) => {
                rows.tokens.push(token_row(tokens));
                RefreshRotation::Rotated
            }
            GrantWrite::ClientToken { token_hash, org_id, app_id, scopes, expires_at } => {
                rows.client_tokens.push(json!({
                    "token_hash": token_hash, "org_id": org_id, "app_id": app_id,
                    "scopes": scopes.join(" "), "at": p.event.at, "expires_at": expires_at,
                }));
                RefreshRotation::Rotated
            }
            GrantWrite::EventOnly => RefreshRotation::Rotated,
        };
        if answer == RefreshRotation::Rotated {
            rows.events.push(event_row(&p.event));
            if let Some(app_id) = &p.event.app_id {
                let counts = rows.usage.entry((p.event.org_id.clone(), app_id.clone(), p.event.at.div_euclid(DAY))).or_insert([0; 4]);
                counts[match p.usage {
                    UsageKind::Launch => 0,
                    UsageKind::TokenRequest => 1,
                    UsageKind::UserinfoCall => 2,
                }] += 1;
                counts[3] = counts[3].max(p.event.at);
            }
        }
        answers.push(answer);
    }
    (rows, answers)
}

/// The batch's statements on `$tx`, then its commit (a macro: the body is
/// the same for both drivers' transaction types).
macro_rules! in_transaction {
    ($tx:expr, $statements:expr, $batch:expr, $spends:expr) => {{
        let mut tx = $tx;
        let statements: &Statements = $statements;
        let spent: HashSet<String> = if $spends.is_empty() {
            HashSet::new()
        } else {
            sqlx::query_scalar(&statements.spend)
                .bind(Value::Array($spends).to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?
                .into_iter()
                .collect()
        };
        let (rows, answers) = plan($batch, &spent);
        let usage: Vec<Value> = rows
            .usage
            .iter()
            .map(|((org_id, app_id, day), [launches, tokens, userinfo, last])| {
                json!({
                    "org_id": org_id, "app_id": app_id, "day": day, "launches": launches,
                    "token_requests": tokens, "userinfo_calls": userinfo, "last_seen_at": last,
                })
            })
            .collect();
        // Revocations last: a family replayed in this very batch loses the
        // tokens its first rotation just stored too.
        for (statement, list) in [
            (&statements.access_tokens, &rows.tokens),
            (&statements.refresh_tokens, &rows.tokens),
            (&statements.client_tokens, &rows.client_tokens),
            (&statements.events, &rows.events),
            (&statements.usage, &usage),
            (&statements.revoke_refresh, &rows.replayed),
            (&statements.revoke_access, &rows.replayed),
        ] {
            if !list.is_empty() {
                let json = serde_json::to_string(list).map_err(|e| StoreError::Internal(e.to_string()))?;
                sqlx::query(statement).bind(json).execute(&mut *tx).await.map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(answers)
    }};
}

/// One transaction for the whole batch; each write's answer.
async fn write(connection: &mut OwnConnection, batch: &[Pending]) -> StoreResult<Vec<RefreshRotation>> {
    let spends: Vec<Value> = batch
        .iter()
        .filter_map(|p| match &p.write {
            GrantWrite::Rotation { old_hash, tokens } => Some(json!({ "token_hash": old_hash, "at": tokens.at })),
            _ => None,
        })
        .collect();
    // SQLite: take the write lock first, rather than upgrading to it
    // midway (other writers wait on `busy_timeout` either way).
    match connection {
        OwnConnection::Sqlite(c) => {
            let tx = c.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
            in_transaction!(tx, &SQLITE, batch, spends)
        }
        OwnConnection::Postgres(c) => {
            let tx = c.begin().await.map_err(db_err)?;
            in_transaction!(tx, &POSTGRES, batch, spends)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ports::{SignInKind, SignInOutcome};

    fn event(at: i64) -> SignInEvent {
        SignInEvent {
            org_id: "o".into(),
            correlation_id: "c".into(),
            user_id: Some("u".into()),
            upn_attempted: "alex@example.com".into(),
            app_id: Some("a".into()),
            kind: SignInKind::Token,
            outcome: SignInOutcome::Success,
            reason_code: String::new(),
            client_ip: String::new(),
            user_agent: String::new(),
            at,
        }
    }

    fn tokens(family: &str, at: i64) -> IssuedTokens {
        IssuedTokens {
            org_id: "o".into(),
            app_id: "a".into(),
            user_id: "u".into(),
            scopes: vec!["openid".into()],
            family_id: family.into(),
            access_hash: format!("access-{family}-{at}"),
            access_expires_at: at + 600_000,
            refresh: Some((format!("refresh-{family}-{at}"), at + 1_000_000)),
            auth_time: 0,
            at,
        }
    }

    fn pending(write: GrantWrite, at: i64, usage: UsageKind) -> Pending {
        Pending { write, event: event(at), usage, done: oneshot::channel().0 }
    }

    fn rotation(old: &str, family: &str, at: i64) -> Pending {
        pending(GrantWrite::Rotation { old_hash: old.into(), tokens: tokens(family, at) }, at, UsageKind::TokenRequest)
    }

    #[test]
    fn a_token_rotated_twice_in_one_batch_is_spent_once_and_its_family_revoked() {
        let batch = [rotation("r1", "f1", 10), rotation("r1", "f1", 11), rotation("r2", "f2", 12)];
        let spent: HashSet<String> = ["r1".to_string(), "r2".to_string()].into();
        let (rows, answers) = plan(&batch, &spent);
        assert_eq!(answers, [RefreshRotation::Rotated, RefreshRotation::Replayed, RefreshRotation::Rotated]);
        let stored: Vec<&str> = rows.tokens.iter().map(|t| t["access_hash"].as_str().unwrap()).collect();
        assert_eq!(stored, ["access-f1-10", "access-f2-12"]);
        assert_eq!(rows.replayed, [json!({ "family_id": "f1", "at": 11 })]);
        // The replay writes no event and no count: its caller records the refusal.
        assert_eq!(rows.events.len(), 2);
        assert_eq!(rows.usage[&("o".to_string(), "a".to_string(), 0)], [0, 2, 0, 12]);
    }

    #[test]
    fn a_token_spent_before_the_batch_is_a_replay() {
        let (rows, answers) = plan(&[rotation("r1", "f1", 10)], &HashSet::new());
        assert_eq!(answers, [RefreshRotation::Replayed]);
        assert!(rows.tokens.is_empty() && rows.events.is_empty() && rows.usage.is_empty());
        assert_eq!(rows.replayed.len(), 1);
    }

    #[test]
    fn every_write_counts_in_its_own_column_per_app_and_day() {
        let batch = [
            pending(GrantWrite::EventOnly, 5, UsageKind::Launch),
            pending(GrantWrite::EventOnly, DAY + 1, UsageKind::UserinfoCall),
            pending(GrantWrite::Tokens(tokens("f", 7)), 7, UsageKind::TokenRequest),
            pending(
                GrantWrite::ClientToken { token_hash: "t".into(), org_id: "o".into(), app_id: "a".into(), scopes: vec![], expires_at: 99 },
                8,
                UsageKind::TokenRequest,
            ),
        ];
        let (rows, answers) = plan(&batch, &HashSet::new());
        assert!(answers.iter().all(|a| *a == RefreshRotation::Rotated));
        assert_eq!(rows.usage[&("o".to_string(), "a".to_string(), 0)], [1, 2, 0, 8]);
        assert_eq!(rows.usage[&("o".to_string(), "a".to_string(), 1)], [0, 0, 1, DAY + 1]);
        assert_eq!((rows.tokens.len(), rows.client_tokens.len(), rows.events.len()), (1, 1, 4));
        assert_eq!(rows.client_tokens[0]["at"], 8);
    }
}
