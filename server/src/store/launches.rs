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

use super::{db_err, new_id, Pool};
use app::domain::model::DAY;
use app::ports::{SignInEvent, StoreError, StoreResult};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// The most launches one transaction writes (12 bound values each, well
/// under SQLite's 32,766 per statement).
pub const MAX_BATCH: usize = 256;
/// Launches that may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

struct Pending {
    event: SignInEvent,
    succeeded: bool,
    done: oneshot::Sender<Result<(), String>>,
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
    /// Starts the writer task on the current runtime.
    pub fn start(pool: Pool) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(pool, rx));
        LaunchWriter { queue }
    }

    /// Records one launch; returns once it is committed.
    pub async fn record(&self, event: SignInEvent, succeeded: bool) -> StoreResult<()> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Pending { event, succeeded, done })
            .await
            .map_err(|_| StoreError::Internal("the launch writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Internal("the launch writer stopped before committing".into()))?
            .map_err(StoreError::Internal)
    }
}

async fn write_batches(pool: Pool, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Waits for at least one launch, then takes all that are waiting.
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // One yield lets requests already running hand theirs over too: the
        // batch grows without a timer, and a lone launch waits for nothing.
        tokio::task::yield_now().await;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let result = write(&pool, &batch).await.map_err(|e| {
            tracing::error!(error = %e, launches = batch.len(), "could not record launches");
            e.to_string()
        });
        for pending in batch.drain(..) {
            let _ = pending.done.send(result.clone());
        }
    }
}

/// One transaction: the events, then usage and recents of allowed launches.
async fn write(pool: &Pool, batch: &[Pending]) -> StoreResult<()> {
    // Usage per (org, app, day): launches and the latest time; recents per
    // (org, user, app): the latest time. Summed here so that each upsert
    // touches a row once (PostgreSQL refuses a statement that updates the
    // same row twice).
    let mut usage: HashMap<(&str, &str, i64), (i64, i64)> = HashMap::new();
    let mut recents: HashMap<(&str, &str, &str), i64> = HashMap::new();
    for p in batch.iter().filter(|p| p.succeeded) {
        let e = &p.event;
        if let (Some(app_id), Some(user_id)) = (e.app_id.as_deref(), e.user_id.as_deref()) {
            let u = usage.entry((e.org_id.as_str(), app_id, e.at.div_euclid(DAY))).or_insert((0, e.at));
            u.0 += 1;
            u.1 = u.1.max(e.at);
            let r = recents.entry((e.org_id.as_str(), user_id, app_id)).or_insert(e.at);
            *r = (*r).max(e.at);
        }
    }
    crate::on_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(db_err)?;
        let mut events = sqlx::QueryBuilder::new(
            "INSERT INTO sign_in_events (id, org_id, correlation_id, user_id, upn_attempted, app_id, kind, outcome, \
             reason_code, client_ip, user_agent, created_at) ",
        );
        events.push_values(batch, |mut row, p| {
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
        events.build().execute(&mut *tx).await.map_err(db_err)?;
        if !usage.is_empty() {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO app_usage_daily (org_id, app_id, day, launches, last_seen_at) ");
            q.push_values(&usage, |mut row, ((org_id, app_id, day), (launches, last))| {
                row.push_bind(*org_id).push_bind(*app_id).push_bind(*day).push_bind(*launches).push_bind(*last);
            });
            q.push(
                " ON CONFLICT (app_id, day) DO UPDATE SET launches = app_usage_daily.launches + excluded.launches, \
                 last_seen_at = CASE WHEN excluded.last_seen_at > app_usage_daily.last_seen_at \
                 THEN excluded.last_seen_at ELSE app_usage_daily.last_seen_at END",
            );
            q.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        if !recents.is_empty() {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO user_app_recents (org_id, user_id, app_id, last_launched_at) ");
            q.push_values(&recents, |mut row, ((org_id, user_id, app_id), at)| {
                row.push_bind(*org_id).push_bind(*user_id).push_bind(*app_id).push_bind(*at);
            });
            q.push(
                " ON CONFLICT (user_id, app_id) DO UPDATE SET last_launched_at = CASE \
                 WHEN excluded.last_launched_at > user_app_recents.last_launched_at \
                 THEN excluded.last_launched_at ELSE user_app_recents.last_launched_at END",
            );
            q.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    })
}
