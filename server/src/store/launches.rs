//! Recording launches with group commit.
//!
//! Every launch writes its sign-in event (and, when allowed, the app's daily
//! usage and the user's recently used list) before the person is redirected:
//! an acknowledged launch is never lost. One transaction per launch would
//! cap launches at the rate the database can commit (each commit waits for
//! the disk). Instead one writer task takes every launch waiting at that
//! moment — up to [`MAX_BATCH`] — and writes them in one transaction: one
//! multi-row insert of events, one upsert of usage counters (summed per app
//! and day) and one of recents. Each launch's request is answered when the
//! transaction that holds its event has committed, never before. Under light
//! load a batch is one launch; under heavy load batches grow by themselves,
//! with no timer adding delay.
//!
//! A launch may come decided from the session as this server last read it
//! (`session_reads`), without a read of its own. The writer then reads the
//! sessions of the batch's such launches again — one query, after every
//! one of them was handed over, so no answer rests on a read older than
//! its request — and writes only the launches whose session is still
//! exactly the row they were decided from (same user, account state,
//! organisation settings and access version, same deadlines). The others
//! are answered [`LaunchRecorded::SessionChanged`] with nothing written,
//! and are decided again from a fresh read.

use super::kept::{next_batch, KeptConnection, OwnConnection, WriteTurns};
use super::{db_err, new_id, session_reads, Pool};
use app::domain::model::DAY;
use app::ports::{LaunchRecorded, SessionRecord, SignInEvent, StoreError, StoreResult};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use tokio::sync::{mpsc, oneshot};

/// The most launches one transaction writes (12 bound values each, well
/// under SQLite's 32,766 per statement).
pub const MAX_BATCH: usize = 256;
/// Launches that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

struct Pending {
    event: SignInEvent,
    succeeded: bool,
    /// The session the launch was decided from, when that was this
    /// server's memory of it rather than a read of its own.
    confirm: Option<Arc<SessionRecord>>,
    done: oneshot::Sender<Result<LaunchRecorded, String>>,
}

/// The handle launches are recorded through; cheap to clone.
#[derive(Clone, Debug)]
pub struct LaunchWriter {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("correlation_id", &self.event.correlation_id).finish()
    }
}

impl LaunchWriter {
    /// The writer's handle and its task (which ends when every handle is
    /// gone), to be run on the database thread (see `SqlStore::new`).
    pub fn new(pool: Pool, turns: WriteTurns) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let (queue, rx) = mpsc::channel(QUEUE);
        (LaunchWriter { queue }, write_batches(pool, turns, rx))
    }

    /// Records one launch; returns once it is committed (or, with
    /// `confirm`, once its session was found changed and nothing written).
    pub async fn record(&self, event: SignInEvent, succeeded: bool, confirm: Option<Arc<SessionRecord>>) -> StoreResult<LaunchRecorded> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { event, succeeded, confirm, done })
            .await
            .map_err(|_| StoreError::Internal("the launch writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Internal("the launch writer stopped before committing".into()))?
            .map_err(StoreError::Internal)
    }
}

/// The writer: takes the launches waiting at that moment, writes them,
/// answers them, again. (One writer: measured on PostgreSQL, two or four
/// made batches smaller and launches no faster — concurrent batches update
/// the same usage row, so each waits for the other's commit.)
async fn write_batches(pool: Pool, turns: WriteTurns, mut rx: mpsc::Receiver<Pending>) {
    let mut connection = KeptConnection::taking_turns(pool, turns);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while next_batch(&mut rx, &mut batch, MAX_BATCH).await {
        let result = connection.run(async |c| confirm_and_write(c, &batch).await).await;
        match result {
            Ok(changed) => {
                for (pending, changed) in batch.drain(..).zip(changed) {
                    let _ = pending.done.send(Ok(if changed { LaunchRecorded::SessionChanged } else { LaunchRecorded::Recorded }));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, launches = batch.len(), "could not record launches");
                let message = e.to_string();
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(message.clone()));
                }
            }
        }
    }
}

/// Reads again the sessions that launches of the batch were decided from,
/// then writes every launch whose session is unchanged. Returns, for each
/// launch in order, whether its session had changed (it was not written).
async fn confirm_and_write(connection: &mut OwnConnection, batch: &[Pending]) -> StoreResult<Vec<bool>> {
    let mut ids: Vec<&str> = batch.iter().filter_map(|p| p.confirm.as_ref().map(|s| s.id_hash.as_str())).collect();
    let mut fresh: HashMap<String, SessionRecord> = HashMap::new();
    if !ids.is_empty() {
        ids.sort_unstable();
        ids.dedup();
        // A session that can no longer be remembered (ended, a step
        // pending) is missing here, so it never matches.
        for record in session_reads::read(connection, &ids).await?.into_iter().filter_map(session_reads::rememberable) {
            fresh.insert(record.id_hash.clone(), record);
        }
    }
    let changed: Vec<bool> =
        batch.iter().map(|p| p.confirm.as_ref().is_some_and(|decided| fresh.get(&decided.id_hash) != Some(&**decided))).collect();
    let to_write: Vec<&Pending> = batch.iter().zip(&changed).filter(|(_, changed)| !**changed).map(|(p, _)| p).collect();
    if !to_write.is_empty() {
        write(connection, &to_write).await?;
    }
    Ok(changed)
}

/// Usage per (org, app, day): launches and the latest time; recents per
/// (org, user, app): the latest time. Summed here so that each upsert
/// touches a row once (PostgreSQL refuses a statement that updates the same
/// row twice).
struct Derived<'a> {
    usage: HashMap<(&'a str, &'a str, i64), (i64, i64)>,
    recents: HashMap<(&'a str, &'a str, &'a str), i64>,
}

fn derive<'a>(batch: &[&'a Pending]) -> Derived<'a> {
    let mut derived = Derived { usage: HashMap::new(), recents: HashMap::new() };
    for p in batch.iter().copied().filter(|p| p.succeeded) {
        let e = &p.event;
        if let (Some(app_id), Some(user_id)) = (e.app_id.as_deref(), e.user_id.as_deref()) {
            let u = derived.usage.entry((e.org_id.as_str(), app_id, e.at.div_euclid(DAY))).or_insert((0, e.at));
            u.0 += 1;
            u.1 = u.1.max(e.at);
            let r = derived.recents.entry((e.org_id.as_str(), user_id, app_id)).or_insert(e.at);
            *r = (*r).max(e.at);
        }
    }
    derived
}

const INSERT_EVENTS: &str = "INSERT INTO sign_in_events (id, org_id, correlation_id, user_id, upn_attempted, app_id, \
     kind, outcome, reason_code, client_ip, user_agent, created_at) ";
const UPSERT_USAGE: &str = " ON CONFLICT (app_id, day) DO UPDATE SET launches = app_usage_daily.launches + excluded.launches, \
     last_seen_at = CASE WHEN excluded.last_seen_at > app_usage_daily.last_seen_at \
     THEN excluded.last_seen_at ELSE app_usage_daily.last_seen_at END";
const UPSERT_RECENTS: &str = " ON CONFLICT (user_id, app_id) DO UPDATE SET last_launched_at = CASE \
     WHEN excluded.last_launched_at > user_app_recents.last_launched_at \
     THEN excluded.last_launched_at ELSE user_app_recents.last_launched_at END";

/// One transaction: the events, then usage and recents of allowed launches,
/// sent to the database as one command (each command is a round trip, and
/// a batch used to be five: begin, three statements, commit).
async fn write(connection: &mut OwnConnection, batch: &[&Pending]) -> StoreResult<()> {
    let derived = derive(batch);
    match connection {
        OwnConnection::Sqlite(c) => write_sqlite(c, batch, &derived).await,
        OwnConnection::Postgres(c) => write_postgres(c, batch, &derived).await,
    }
}

/// SQLite runs the statements of one command in order, binding the values
/// in order: the transaction is spelled out in the command. A failure stops
/// it midway, and the caller then closes the connection, which rolls the
/// transaction back.
async fn write_sqlite(c: &mut sqlx::SqliteConnection, batch: &[&Pending], derived: &Derived<'_>) -> StoreResult<()> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("BEGIN IMMEDIATE; ");
    q.push(INSERT_EVENTS);
    q.push_values(batch, |mut row, p| {
        let e = &p.event;
        row.push_bind(new_id())
            .push_bind(&e.org_id)
            .push_bind(&e.correlation_id)
            .push_bind(&e.user_id)
            .push_bind(&e.upn_attempted)
            .push_bind(&e.app_id)
            .push_bind(e.kind.as_str())
            .push_bind(e.outcome.as_str())
            .push_bind(&e.reason_code)
            .push_bind(&e.client_ip)
            .push_bind(&e.user_agent)
            .push_bind(e.at);
    });
    if !derived.usage.is_empty() {
        // Counts of an app or user deleted since the decision are skipped
        // (their rows would go with them), so such a launch cannot fail the
        // transaction that carries everybody else's events.
        q.push("; INSERT INTO app_usage_daily (org_id, app_id, day, launches, last_seen_at) SELECT * FROM (");
        q.push_values(&derived.usage, |mut row, ((org_id, app_id, day), (launches, last))| {
            row.push_bind(*org_id).push_bind(*app_id).push_bind(*day).push_bind(*launches).push_bind(*last);
        });
        q.push(") AS u WHERE EXISTS (SELECT 1 FROM applications a WHERE a.org_id = u.column1 AND a.id = u.column2)");
        q.push(UPSERT_USAGE);
        q.push("; INSERT INTO user_app_recents (org_id, user_id, app_id, last_launched_at) SELECT * FROM (");
        q.push_values(&derived.recents, |mut row, ((org_id, user_id, app_id), at)| {
            row.push_bind(*org_id).push_bind(*user_id).push_bind(*app_id).push_bind(*at);
        });
        q.push(
            ") AS r WHERE EXISTS (SELECT 1 FROM applications a WHERE a.org_id = r.column1 AND a.id = r.column3) \
             AND EXISTS (SELECT 1 FROM users s WHERE s.org_id = r.column1 AND s.id = r.column2)",
        );
        q.push(UPSERT_RECENTS);
    }
    q.push("; COMMIT");
    q.build().execute(c).await.map_err(db_err)?;
    Ok(())
}

static POSTGRES_WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH events AS ({INSERT_EVENTS} \
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
           $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])), \
         usage AS (INSERT INTO app_usage_daily (org_id, app_id, day, launches, last_seen_at) \
           SELECT u.* FROM UNNEST($13::text[], $14::text[], $15::bigint[], $16::bigint[], $17::bigint[]) \
             AS u (org_id, app_id, day, launches, last_seen_at) \
           WHERE EXISTS (SELECT 1 FROM applications a WHERE a.org_id = u.org_id AND a.id = u.app_id) \
           ORDER BY u.app_id, u.day {UPSERT_USAGE}) \
         INSERT INTO user_app_recents (org_id, user_id, app_id, last_launched_at) \
           SELECT r.* FROM UNNEST($18::text[], $19::text[], $20::text[], $21::bigint[]) AS r (org_id, user_id, app_id, at) \
           WHERE EXISTS (SELECT 1 FROM applications a WHERE a.org_id = r.org_id AND a.id = r.app_id) \
             AND EXISTS (SELECT 1 FROM users s WHERE s.org_id = r.org_id AND s.id = r.user_id) \
           ORDER BY r.user_id, r.app_id {UPSERT_RECENTS}"
    )
});

/// PostgreSQL: one statement (its own transaction), the rows passed as
/// arrays, so its text is the same for every batch and is prepared once.
/// Counters and recents are upserted in key order, so batches of two
/// replicas lock the rows they share in the same order (in opposite orders
/// they would deadlock).
async fn write_postgres(c: &mut sqlx::PgConnection, batch: &[&Pending], derived: &Derived<'_>) -> StoreResult<()> {
    let events: Vec<&SignInEvent> = batch.iter().map(|p| &p.event).collect();
    let column = |f: fn(&SignInEvent) -> Option<&str>| events.iter().map(|e| f(e)).collect::<Vec<_>>();
    let ids: Vec<String> = events.iter().map(|_| new_id()).collect();
    type UsageKey<'a> = &'a (&'a str, &'a str, i64);
    let (usage_keys, usage_counts): (Vec<UsageKey>, Vec<&(i64, i64)>) = derived.usage.iter().unzip();
    let recents: Vec<(&(&str, &str, &str), &i64)> = derived.recents.iter().collect();
    sqlx::query(&POSTGRES_WRITE)
        .bind(&ids)
        .bind(column(|e| Some(&e.org_id)))
        .bind(column(|e| Some(&e.correlation_id)))
        .bind(column(|e| e.user_id.as_deref()))
        .bind(column(|e| Some(&e.upn_attempted)))
        .bind(column(|e| e.app_id.as_deref()))
        .bind(column(|e| Some(e.kind.as_str())))
        .bind(column(|e| Some(e.outcome.as_str())))
        .bind(column(|e| Some(&e.reason_code)))
        .bind(column(|e| Some(&e.client_ip)))
        .bind(column(|e| Some(&e.user_agent)))
        .bind(events.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(usage_keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind(usage_keys.iter().map(|k| k.1).collect::<Vec<_>>())
        .bind(usage_keys.iter().map(|k| k.2).collect::<Vec<_>>())
        .bind(usage_counts.iter().map(|v| v.0).collect::<Vec<_>>())
        .bind(usage_counts.iter().map(|v| v.1).collect::<Vec<_>>())
        .bind(recents.iter().map(|r| r.0 .0).collect::<Vec<_>>())
        .bind(recents.iter().map(|r| r.0 .1).collect::<Vec<_>>())
        .bind(recents.iter().map(|r| r.0 .2).collect::<Vec<_>>())
        .bind(recents.iter().map(|r| *r.1).collect::<Vec<_>>())
        .execute(c)
        .await
        .map_err(db_err)?;
    Ok(())
}
