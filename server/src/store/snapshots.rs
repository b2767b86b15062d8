//! This replica's memory of launch snapshots: the access-decision inputs of
//! one user and one app, so that a launch costs one query (the session, which
//! carries the organisation's access version) instead of eight.
//!
//! An entry is tagged with the access version it was read at, and is used
//! only by a request whose session read that version or an older one. Every
//! change to an input bumps the version in the database (triggers, see
//! `migrations/0003_access_version.sql`), and every request reads it afresh
//! with its session, so a change made through any replica is seen by the
//! next request on every replica: nothing is ever served stale, whatever the
//! number of servers. Entries of old versions are simply not used again and
//! age out.

use app::ports::AccessSnapshot;
use std::sync::Arc;

/// How many (user, app) snapshots a replica keeps (each one to two KiB).
pub const CAPACITY: usize = 16_384;

#[derive(Debug)]
pub struct SnapshotCache {
    entries: quick_cache::sync::Cache<(String, String), (i64, Arc<AccessSnapshot>)>,
}

impl Default for SnapshotCache {
    fn default() -> Self {
        SnapshotCache { entries: quick_cache::sync::Cache::new(CAPACITY) }
    }
}

impl SnapshotCache {
    /// The snapshot of `user_id` and `app_id` if it was read at `version` or later.
    pub fn get(&self, user_id: &str, app_id: &str, version: i64) -> Option<Arc<AccessSnapshot>> {
        let (read_at, snapshot) = self.entries.get(&(user_id.to_string(), app_id.to_string()))?;
        (read_at >= version).then_some(snapshot)
    }

    /// Remembers a snapshot read after the session that saw `version`.
    pub fn insert(&self, user_id: &str, app_id: &str, version: i64, snapshot: Arc<AccessSnapshot>) {
        self.entries.insert((user_id.to_string(), app_id.to_string()), (version, snapshot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ports::AccountStatus;

    fn snapshot() -> Arc<AccessSnapshot> {
        Arc::new(AccessSnapshot {
            account: AccountStatus {
                sign_in_blocked: false,
                locked_until: None,
                password_expires_at: None,
                must_change_password: false,
                user_consent_policy: "verified_low".into(),
                admin_consent_workflow_enabled: false,
            },
            groups: vec![],
            group_edges: vec![],
            apps: vec![],
            assignments: vec![],
            seats: vec![],
            permissions: vec![],
            pins: vec![],
            recents: vec![],
            group_chains: Default::default(),
        })
    }

    #[test]
    fn an_entry_serves_only_requests_that_saw_its_version_or_an_older_one() {
        let cache = SnapshotCache::default();
        assert!(cache.get("u", "a", 0).is_none());
        cache.insert("u", "a", 7, snapshot());
        assert!(cache.get("u", "a", 7).is_some());
        assert!(cache.get("u", "a", 6).is_some(), "a request that began before the change may use the newer inputs");
        assert!(cache.get("u", "a", 8).is_none(), "a change since: read again");
        assert!(cache.get("u", "b", 7).is_none());
        assert!(cache.get("v", "a", 7).is_none());
    }
}
