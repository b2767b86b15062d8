//! Storage: one implementation of [`app::ports::Store`] over SQLite or
//! PostgreSQL, chosen by the database URL's scheme.
//!
//! The schema and every query are written in SQL both databases accept
//! (`$n` placeholders, BIGINT milliseconds, TEXT ids), so each method is
//! written once and the [`on_pool!`] macro compiles it for both drivers. Only
//! connecting differs: see `sqlite.rs` and `postgres.rs`.

mod access;
mod api_tokens;
mod apps;
mod consents;
mod directory;
mod grants;
mod groups;
pub(crate) mod kept;
mod launches;
mod licenses;
mod logs;
mod oauth;
mod permissions;
mod postgres;
mod requests;
mod scim;
mod scim_groups;
pub mod seed;
mod session_reads;
mod sessions;
mod snapshots;
mod sqlite;
mod users;

use crate::sealing::Sealer;
use app::domain::model::{MfaState, Millis, Role, SessionStage};
use app::ports::*;
use async_trait::async_trait;
use sqlx::{PgPool, SqlitePool};

/// The schema: `migrations/` in SQL both databases accept, then the few
/// statements whose syntax differs (triggers) from `migrations/sqlite/` or
/// `migrations/postgres/`. Numbers are shared across the three directories
/// (each database sees one sequence); each migrator ignores the other's
/// rows in `_sqlx_migrations`.
fn migrators(backend: Backend) -> [sqlx::migrate::Migrator; 2] {
    let mut shared = sqlx::migrate!("../migrations");
    let mut own = match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
    };
    shared.set_ignore_missing(true);
    own.set_ignore_missing(true);
    [shared, own]
}

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool is in use. The body is
/// compiled once per backend, so it may use backend-generic sqlx calls only.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

#[derive(Clone, Debug)]
pub struct SqlStore {
    pub pool: Pool,
    /// Encrypts TOTP keys at rest (see `crate::sealing`). A store without
    /// one (test fixtures, benchmarks) refuses to read or write them.
    sealer: Option<std::sync::Arc<Sealer>>,
    /// Launch snapshots this replica has read (see `snapshots`).
    snapshots: std::sync::Arc<snapshots::SnapshotCache>,
    /// Writes launches in batches, one transaction each (see `launches`).
    launches: launches::LaunchWriter,
    /// Reads the sessions of concurrent requests in one query (see `session_reads`).
    session_reads: session_reads::SessionReader,
    /// Writes issued tokens in batches, one transaction each (see `grants`).
    grants: grants::GrantWriter,
}

/// The associated data that binds a sealed TOTP key to its user.
fn totp_context(column: &str, org_id: &str, user_id: &str) -> String {
    format!("{column}:{org_id}:{user_id}")
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

impl SqlStore {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = match Backend::of_url(url) {
            Some(Backend::Sqlite) => Pool::Sqlite(sqlite::connect(url, max_connections).await?),
            Some(Backend::Postgres) => Pool::Postgres(postgres::connect(url, max_connections).await?),
            None => return Err(StoreError::Internal("DATABASE_URL must start with sqlite: or postgres://".into())),
        };
        let backend = match pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        };
        for migrator in migrators(backend) {
            on_pool!(&pool, p => migrator.run(p).await).map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
        }
        Ok(SqlStore::new(pool))
    }

    /// A store over `pool` (migrated); starts its session reader, launch
    /// writer and grant writer on a thread of their own.
    ///
    /// Every request waits for one of their round trips, so they must get
    /// on with the next batch the moment the database answers. On the
    /// request runtime they did not: woken by the answer, a task queued
    /// behind the dozens of request tasks ready at that moment, and under
    /// load a batch spent more time waiting for a turn than in the database.
    /// On their own thread (a single-threaded runtime that owns their
    /// connections' sockets) the operating system wakes them at once. The
    /// thread ends when the store is dropped (its tasks end with their
    /// queues).
    fn new(pool: Pool) -> Self {
        // The two writers take turns at SQLite's write lock (see `kept::WriteTurns`).
        let turns = kept::WriteTurns::default();
        let (launches, write_batches) = launches::LaunchWriter::new(pool.clone(), turns.clone());
        let (session_reads, read_batches) = session_reads::SessionReader::new(pool.clone());
        let (grants, write_grants) = grants::GrantWriter::new(pool.clone(), turns);
        std::thread::Builder::new()
            .name("myapps-db".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                match runtime {
                    Ok(runtime) => runtime.block_on(async {
                        tokio::join!(write_batches, read_batches, write_grants);
                    }),
                    Err(e) => tracing::error!(error = %e, "could not start the database thread's runtime"),
                }
            })
            .expect("the database thread starts");
        SqlStore { pool, sealer: None, snapshots: Default::default(), launches, session_reads, grants }
    }

    /// The same store, sealing second factors with `sealer`.
    pub fn with_sealer(self, sealer: Sealer) -> Self {
        SqlStore { sealer: Some(std::sync::Arc::new(sealer)), ..self }
    }

    fn sealer(&self) -> StoreResult<&Sealer> {
        self.sealer.as_deref().ok_or_else(|| StoreError::Internal("this store has no secret key to seal second factors with".into()))
    }

    fn seal_totp(&self, column: &str, org_id: &str, user_id: &str, secret: Option<&str>) -> StoreResult<Option<String>> {
        secret.map(|s| Ok(self.sealer()?.seal(s, &totp_context(column, org_id, user_id)))).transpose()
    }

    /// Fails closed: a key that does not open is an error, never "not enrolled"
    /// (which would let someone with the password enrol their own device).
    fn open_totp(&self, column: &str, org_id: &str, user_id: &str, sealed: Option<String>) -> StoreResult<Option<String>> {
        sealed
            .map(|s| {
                self.sealer()?
                    .open(&s, &totp_context(column, org_id, user_id))
                    .map_err(|e| StoreError::Internal(format!("{column} of user {user_id}: {e}")))
            })
            .transpose()
    }

    /// A new session as stored: its pending TOTP key sealed.
    fn sealed_session(&self, mut session: NewSession) -> StoreResult<NewSession> {
        session.pending_totp_secret =
            self.seal_totp(PENDING_TOTP, &session.org_id, &session.user_id, session.pending_totp_secret.as_deref())?;
        Ok(session)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Connections in use and idle, for /metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        on_pool!(&self.pool, p => (p.size(), p.num_idle()))
    }

    pub async fn close(&self) {
        on_pool!(&self.pool, p => p.close().await)
    }
}

/// Turns a driver error into a store error, naming the violated constraint
/// so callers can map it to a field message.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() || d.is_foreign_key_violation() || d.is_check_violation() => {
            StoreError::Conflict { constraint: d.constraint().map(str::to_string).unwrap_or_else(|| d.message().to_string()) }
        }
        _ => StoreError::Internal(e.to_string()),
    }
}

const USER_TOTP: &str = "users.totp_secret";
const PENDING_TOTP: &str = "sessions.pending_totp_secret";

fn parse_mfa(s: &str) -> StoreResult<MfaState> {
    MfaState::parse(s).ok_or_else(|| StoreError::Internal(format!("unknown mfa_state {s:?}")))
}

const ACCOUNT_COLUMNS: &str = "id, org_id, upn, password_hash, sign_in_blocked, locked_until, failed_sign_in_count, \
     password_expires_at, must_change_password, mfa_state, totp_secret, totp_last_step";

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct SessionRow {
    id_hash: String,
    stage: String,
    csrf_token: String,
    pending_totp_secret: Option<String>,
    last_seen_at: i64,
    idle_expires_at: i64,
    absolute_expires_at: i64,
    authenticated_at: i64,
    user_id: String,
    org_id: String,
    org_name: String,
    upn: String,
    display_name: String,
    email: String,
    role: String,
    sign_in_blocked: bool,
    password_expires_at: Option<i64>,
    must_change_password: bool,
    mfa_state: String,
    totp_enrolled: bool,
    locked_until: Option<i64>,
    user_consent_policy: String,
    admin_consent_workflow_enabled: bool,
    access_version: i64,
}

/// A session with its user and organisation; `session_reads` appends the
/// `WHERE` that picks the sessions.
pub(crate) const SELECT_SESSIONS: &str = "SELECT s.id_hash, s.stage, s.csrf_token, s.pending_totp_secret, s.last_seen_at, \
        s.idle_expires_at, s.absolute_expires_at, s.created_at AS authenticated_at, u.id AS user_id, u.org_id, o.name AS org_name, u.upn, u.display_name, \
        u.email, u.role, u.sign_in_blocked, u.password_expires_at, u.must_change_password, u.mfa_state, \
        (u.totp_secret IS NOT NULL) AS totp_enrolled, u.locked_until, o.user_consent_policy, \
        o.admin_consent_workflow_enabled, o.access_version \
     FROM sessions s \
     JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id \
     JOIN organisations o ON o.id = u.org_id ";

const INSERT_SESSION: &str = "INSERT INTO sessions (id_hash, org_id, user_id, stage, csrf_token, pending_totp_secret, \
     created_at, last_seen_at, idle_expires_at, absolute_expires_at, client_ip, user_agent) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11)";

pub(crate) const INSERT_SIGN_IN_EVENT: &str = "INSERT INTO sign_in_events (id, org_id, correlation_id, user_id, upn_attempted, app_id, \
     kind, outcome, reason_code, client_ip, user_agent, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub(crate) const INSERT_AUDIT_EVENT: &str = "INSERT INTO audit_events (id, org_id, actor_user_id, actor_label, action, target_type, \
     target_id, before_json, after_json, correlation_id, created_at, actor_token_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Binds the columns of a new session; used inside a transaction.
macro_rules! insert_session {
    ($exec:expr, $s:expr) => {
        sqlx::query(INSERT_SESSION)
            .bind(&$s.id_hash)
            .bind(&$s.org_id)
            .bind(&$s.user_id)
            .bind($s.stage.as_str())
            .bind(&$s.csrf_token)
            .bind(&$s.pending_totp_secret)
            .bind($s.created_at)
            .bind($s.idle_expires_at)
            .bind($s.absolute_expires_at)
            .bind(&$s.client_ip)
            .bind(&$s.user_agent)
            .execute($exec)
            .await
            .map_err(db_err)
    };
}

macro_rules! insert_sign_in_event {
    ($exec:expr, $e:expr) => {
        sqlx::query($crate::store::INSERT_SIGN_IN_EVENT)
            .bind($crate::store::new_id())
            .bind(&$e.org_id)
            .bind(&$e.correlation_id)
            .bind(&$e.user_id)
            .bind(&$e.upn_attempted)
            .bind(&$e.app_id)
            .bind($e.kind.as_str())
            .bind($e.outcome.as_str())
            .bind(&$e.reason_code)
            .bind(&$e.client_ip)
            .bind(&$e.user_agent)
            .bind($e.at)
            .execute($exec)
            .await
            .map_err(db_err)
    };
}

macro_rules! insert_audit_event {
    ($exec:expr, $a:expr) => {
        sqlx::query($crate::store::INSERT_AUDIT_EVENT)
            .bind($crate::store::new_id())
            .bind(&$a.org_id)
            .bind(&$a.actor_user_id)
            .bind(&$a.actor_label)
            .bind(&$a.action)
            .bind(&$a.target_type)
            .bind(&$a.target_id)
            .bind(&$a.before_json)
            .bind(&$a.after_json)
            .bind(&$a.correlation_id)
            .bind($a.at)
            .bind(&$a.actor_token_id)
            .execute($exec)
            .await
            .map_err($crate::store::db_err)
    };
}

pub(crate) use insert_audit_event;
pub(crate) use insert_session;
pub(crate) use insert_sign_in_event;
