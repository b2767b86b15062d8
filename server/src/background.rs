//! Work no request asks for: expiring requests nobody decided, reminding
//! reviewers, sending the e-mail outbox, and deleting expired OAuth codes
//! and tokens. Every replica runs this loop;
//! the store claims each piece of work for one of them (see
//! `store/requests.rs`), so nothing is done twice and nothing is lost when
//! a replica stops.

use crate::mailer::Mailer;
use crate::store::SqlStore;
use app::ports::{NotificationsStore, OAuthStore, RequestsStore};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Requests (or e-mails) taken per claim: small enough that a claim's
/// transaction is short, repeated until there is no more.
const BATCH: i64 = 100;
const EMAIL_BATCH: i64 = 20;

/// Expired codes and tokens are deleted this often (each round would take
/// SQLite's write lock for nothing most of the time).
const PURGE_EVERY_MS: i64 = 10 * 60_000;
static LAST_PURGE: AtomicI64 = AtomicI64::new(0);

pub async fn run(store: SqlStore, mailer: Option<Arc<Mailer>>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = once(&store, mailer.as_deref()).await {
            tracing::warn!(error = %e, "background work failed; trying again at the next tick");
        }
    }
}

/// One round: everything due now.
pub async fn once(store: &SqlStore, mailer: Option<&Mailer>) -> Result<(), app::ports::StoreError> {
    let email = mailer.is_some();
    loop {
        let now = crate::time::now_ms();
        let expired = store.expire_due_requests(now, email, BATCH).await?;
        if expired > 0 {
            tracing::info!(expired, "expired requests nobody reviewed");
        }
        if expired < BATCH as u64 {
            break;
        }
    }
    loop {
        let reminded = store.remind_due_requests(crate::time::now_ms(), email, BATCH).await?;
        if reminded < BATCH as u64 {
            break;
        }
    }
    let now = crate::time::now_ms();
    if now - LAST_PURGE.load(Ordering::Relaxed) >= PURGE_EVERY_MS {
        LAST_PURGE.store(now, Ordering::Relaxed);
        let purged = store.delete_expired_oauth(now).await?;
        if purged > 0 {
            tracing::info!(purged, "deleted expired OAuth codes and tokens");
        }
    }
    if let Some(mailer) = mailer {
        loop {
            let mails = store.claim_outbox(crate::time::now_ms(), EMAIL_BATCH).await?;
            for mail in &mails {
                match mailer.send(mail).await {
                    Ok(()) => store.mark_emailed(&mail.notification_id, crate::time::now_ms()).await?,
                    // Left claimed: tried again once the claim is stale, a few times at most.
                    Err(e) => tracing::warn!(error = %e, notification = %mail.notification_id, "notification e-mail not sent"),
                }
            }
            if mails.len() < EMAIL_BATCH as usize {
                break;
            }
        }
    }
    Ok(())
}
