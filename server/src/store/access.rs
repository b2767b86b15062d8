//! Reads and writes behind the access decision: the snapshot of one user's
//! groups, apps, assignments, seats and grants; launches; pins; seats.

use super::{db_err, SqlStore};
use app::domain::model::Millis;
use app::ports::*;
use async_trait::async_trait;
use std::sync::Arc;

/// The user's transitive groups: their direct groups, then every group
/// those are (nested) members of. UNION stops at groups already reached.
/// Binds: $1 org, $2 user.
pub(super) const REACH: &str = "WITH RECURSIVE reach(group_id) AS ( \
        SELECT group_id FROM group_user_members WHERE org_id = $1 AND user_id = $2 \
        UNION \
        SELECT e.group_id FROM group_group_members e JOIN reach r ON e.member_group_id = r.group_id \
    ) ";

/// The apps the snapshot covers, as a second CTE after [`REACH`] (append
/// with a comma). Binds: $1 org, $2 user, $3 app id or NULL. With an app id:
/// that app, assigned or not (so the decision can say why not). Without:
/// the apps assigned to the user or to one of their groups, and the apps
/// open to everyone. Driven by the user's own assignments (indexes on
/// user_id and group_id), never by a scan of the org's apps.
pub(super) const CANDIDATES: &str = "cand(app_id) AS ( \
        SELECT $3 WHERE $3 IS NOT NULL \
        UNION SELECT x.app_id FROM app_assignments x WHERE $3 IS NULL AND x.org_id = $1 AND x.user_id = $2 \
        UNION SELECT x.app_id FROM app_assignments x WHERE $3 IS NULL AND x.org_id = $1 \
            AND x.group_id IN (SELECT group_id FROM reach) \
        UNION SELECT o.id FROM applications o WHERE $3 IS NULL AND o.org_id = $1 AND o.assignment_required = FALSE \
    ) ";

#[derive(sqlx::FromRow)]
struct AccountRow {
    sign_in_blocked: bool,
    locked_until: Option<i64>,
    password_expires_at: Option<i64>,
    must_change_password: bool,
    user_consent_policy: String,
    admin_consent_workflow_enabled: bool,
}

#[derive(sqlx::FromRow)]
struct AppRow {
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
    sign_on_mode: String,
    launch_url: Option<String>,
    initiate_login_uri: Option<String>,
    consent_blocked: bool,
}

#[derive(sqlx::FromRow)]
struct PermissionRow {
    app_id: String,
    permission_id: String,
    value: String,
    display_name: String,
    description: String,
    api_name: String,
    admin_consent_required: bool,
    classification: Option<String>,
    tenant_granted_at: Option<i64>,
    user_granted_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    correlation_id: String,
    app_id: Option<String>,
    app_name: Option<String>,
    kind: String,
    outcome: String,
    reason_code: String,
    client_ip: String,
    user_agent: String,
    pub(super) created_at: i64,
}

impl EventRow {
    pub(super) fn into_record(self) -> SignInEventRecord {
        SignInEventRecord {
            correlation_id: self.correlation_id,
            app_id: self.app_id,
            app_name: self.app_name,
            kind: self.kind,
            outcome: self.outcome,
            reason_code: self.reason_code,
            client_ip: self.client_ip,
            user_agent: self.user_agent,
            created_at: self.created_at,
        }
    }
}

#[async_trait]
impl AccessStore for SqlStore {
    #[tracing::instrument(skip(self))]
    async fn access_snapshot(&self, org_id: &str, user_id: &str, app_id: Option<&str>, _now: Millis) -> StoreResult<AccessSnapshot> {
        let groups_sql = format!(
            "{REACH} SELECT g.id, g.name, EXISTS (SELECT 1 FROM group_user_members m WHERE m.group_id = g.id AND m.user_id = $2) AS direct \
             FROM user_groups g WHERE g.org_id = $1 AND g.id IN (SELECT group_id FROM reach)"
        );
        let edges_sql = format!(
            "{REACH} SELECT e.member_group_id, e.group_id FROM group_group_members e \
             WHERE e.org_id = $1 AND e.member_group_id IN (SELECT group_id FROM reach)"
        );
        let apps_sql = format!(
            "{REACH}, {CANDIDATES} SELECT a.id, a.name, a.description, a.logo_url, a.category, a.publisher_name, a.publisher_verified, \
                a.registered_in_org, a.enabled, a.visible, a.assignment_required, a.required_license_id, a.sign_on_mode, \
                a.launch_url, a.initiate_login_uri, (a.consent_blocked_at IS NOT NULL) AS consent_blocked \
             FROM cand JOIN applications a ON a.id = cand.app_id WHERE a.org_id = $1 ORDER BY a.name"
        );
        let assignments_sql = format!(
            "{REACH} SELECT x.app_id, x.user_id, x.group_id FROM app_assignments x \
             WHERE x.org_id = $1 AND ($3 IS NULL OR x.app_id = $3) \
             AND (x.user_id = $2 OR x.group_id IN (SELECT group_id FROM reach))"
        );
        let permissions_sql = format!(
            "{REACH}, {CANDIDATES} SELECT ap.app_id, p.id AS permission_id, p.value, p.display_name, p.description, api.name AS api_name, \
                p.admin_consent_required, p.classification, \
                (SELECT gp.granted_at FROM consent_grants g JOIN consent_grant_permissions gp ON gp.grant_id = g.id \
                  WHERE g.app_id = ap.app_id AND g.principal_user_id IS NULL AND gp.permission_id = p.id) AS tenant_granted_at, \
                (SELECT gp.granted_at FROM consent_grants g JOIN consent_grant_permissions gp ON gp.grant_id = g.id \
                  WHERE g.app_id = ap.app_id AND g.principal_user_id = $2 AND gp.permission_id = p.id) AS user_granted_at \
             FROM cand \
             JOIN application_permissions ap ON ap.app_id = cand.app_id \
             JOIN permissions p ON p.id = ap.permission_id \
             JOIN apis api ON api.id = p.api_id \
             WHERE ap.org_id = $1 \
             ORDER BY ap.app_id, api.name, p.value"
        );
        crate::on_pool!(&self.pool, p => {
            let account: AccountRow = sqlx::query_as(
                "SELECT u.sign_in_blocked, u.locked_until, u.password_expires_at, u.must_change_password, \
                        o.user_consent_policy, o.admin_consent_workflow_enabled \
                 FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.org_id = $1 AND u.id = $2")
                .bind(org_id).bind(user_id)
                .fetch_optional(p).await.map_err(db_err)?
                .ok_or(StoreError::NotFound)?;
            let groups: Vec<(String, String, bool)> = sqlx::query_as(&groups_sql)
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            let group_edges: Vec<(String, String)> = sqlx::query_as(&edges_sql)
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            let apps: Vec<AppRow> = sqlx::query_as(&apps_sql)
                .bind(org_id).bind(user_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let assignments: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(&assignments_sql)
                .bind(org_id).bind(user_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let seats: Vec<(String, String, String, bool)> = sqlx::query_as(&USER_SEATS)
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            let permissions: Vec<PermissionRow> = sqlx::query_as(&permissions_sql)
                .bind(org_id).bind(user_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            let pins: Vec<(String, i64)> = sqlx::query_as(
                "SELECT app_id, pinned_at FROM user_app_pins WHERE org_id = $1 AND user_id = $2 ORDER BY pinned_at")
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            let recents: Vec<(String, i64)> = sqlx::query_as(
                "SELECT app_id, last_launched_at FROM user_app_recents WHERE org_id = $1 AND user_id = $2 \
                 ORDER BY last_launched_at DESC LIMIT 12")
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            Ok(AccessSnapshot {
                account: AccountStatus {
                    sign_in_blocked: account.sign_in_blocked,
                    locked_until: account.locked_until,
                    password_expires_at: account.password_expires_at,
                    must_change_password: account.must_change_password,
                    user_consent_policy: account.user_consent_policy,
                    admin_consent_workflow_enabled: account.admin_consent_workflow_enabled,
                },
                groups,
                group_edges,
                apps: apps.into_iter().map(|a| AppRecord {
                    id: a.id, name: a.name, description: a.description, logo_url: a.logo_url, category: a.category,
                    publisher_name: a.publisher_name, publisher_verified: a.publisher_verified,
                    registered_in_org: a.registered_in_org, enabled: a.enabled, visible: a.visible,
                    assignment_required: a.assignment_required, required_license_id: a.required_license_id,
                    sign_on_mode: a.sign_on_mode, launch_url: a.launch_url, initiate_login_uri: a.initiate_login_uri,
                    consent_blocked: a.consent_blocked,
                }).collect(),
                assignments: assignments.into_iter().map(|(app_id, user_id, group_id)| AssignmentRecord { app_id, user_id, group_id }).collect(),
                seats: seats.into_iter().map(|(license_id, _, _, has_seat)| (license_id, has_seat)).collect(),
                permissions: permissions.into_iter().map(|r| RequestedPermission {
                    app_id: r.app_id, permission_id: r.permission_id, value: r.value, display_name: r.display_name,
                    description: r.description, api_name: r.api_name, admin_consent_required: r.admin_consent_required,
                    classification: r.classification, tenant_granted_at: r.tenant_granted_at, user_granted_at: r.user_granted_at,
                }).collect(),
                pins,
                recents,
                group_chains: Default::default(),
            })
        })
    }

    async fn launch_snapshot(&self, user: &SessionUser, app_id: &str, now: Millis) -> StoreResult<Arc<AccessSnapshot>> {
        self.snapshot_at_version(&user.org_id, &user.user_id, app_id, user.access_version, now).await
    }

    async fn snapshot_at_version(
        &self,
        org_id: &str,
        user_id: &str,
        app_id: &str,
        version: i64,
        now: Millis,
    ) -> StoreResult<Arc<AccessSnapshot>> {
        if let Some(snapshot) = self.snapshots.get(user_id, app_id, version) {
            return Ok(snapshot);
        }
        // Read after the version was (with the session, or the token's
        // user): at least as new as that version, which is what it is tagged with.
        let snapshot = Arc::new(self.access_snapshot(org_id, user_id, Some(app_id), now).await?);
        self.snapshots.insert(user_id, app_id, version, snapshot.clone());
        Ok(snapshot)
    }

    /// Group commit: see `launches`.
    async fn record_launch(&self, event: SignInEvent, succeeded: bool, confirm: Option<Arc<SessionRecord>>) -> StoreResult<LaunchRecorded> {
        self.launches.record(event, succeeded, confirm).await
    }

    async fn find_own_sign_in_event(&self, org_id: &str, user_id: &str, correlation_id: &str) -> StoreResult<Option<SignInEventRecord>> {
        let row: Option<EventRow> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "SELECT e.correlation_id, e.app_id, a.name AS app_name, e.kind, e.outcome, e.reason_code, e.client_ip, \
                    e.user_agent, e.created_at \
             FROM sign_in_events e LEFT JOIN applications a ON a.org_id = e.org_id AND a.id = e.app_id \
             WHERE e.org_id = $1 AND e.user_id = $2 AND e.correlation_id = $3 \
             ORDER BY e.created_at DESC LIMIT 1")
            .bind(org_id).bind(user_id).bind(correlation_id)
            .fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(EventRow::into_record))
    }

    async fn set_pinned(&self, org_id: &str, user_id: &str, app_id: &str, pinned: bool, now: Millis) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            if exists.is_none() {
                return Ok(false);
            }
            if pinned {
                sqlx::query("INSERT INTO user_app_pins (org_id, user_id, app_id, pinned_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (user_id, app_id) DO NOTHING")
                    .bind(org_id).bind(user_id).bind(app_id).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            } else {
                sqlx::query("DELETE FROM user_app_pins WHERE org_id = $1 AND user_id = $2 AND app_id = $3")
                    .bind(org_id).bind(user_id).bind(app_id)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

/// Who claims a seat of a license, as SQL both databases run: `claims(user_id,
/// effective_at)` (one row per claim: users assigned directly, and every
/// transitive member of an assigned group, effective from the later of the
/// group's assignment and the membership that brings them in), then
/// `earliest(user_id, effective_at)`: each claimant once, at their earliest.
/// Binds: $1 org, $2 license.
pub(crate) const CLAIMANTS: &str = "WITH RECURSIVE sub(group_id, since) AS ( \
         SELECT group_id, assigned_at FROM license_assignments \
         WHERE org_id = $1 AND license_id = $2 AND group_id IS NOT NULL \
         UNION \
         SELECT m.member_group_id, CASE WHEN m.added_at > s.since THEN m.added_at ELSE s.since END \
         FROM group_group_members m JOIN sub s ON m.group_id = s.group_id \
     ), claims(user_id, effective_at) AS ( \
         SELECT gum.user_id, CASE WHEN gum.added_at > s.since THEN gum.added_at ELSE s.since END \
         FROM sub s JOIN group_user_members gum ON gum.group_id = s.group_id \
         UNION ALL \
         SELECT user_id, assigned_at FROM license_assignments WHERE org_id = $1 AND license_id = $2 AND user_id IS NOT NULL \
     ), earliest(user_id, effective_at) AS ( \
         SELECT user_id, MIN(effective_at) FROM claims GROUP BY user_id \
     ) ";

/// The same claims seen from one user: `mine(license_id, effective_at)`,
/// each license the user claims at their earliest claim of it, walking up
/// from their own groups (a handful of rows, whatever the size of the
/// groups). Each path's time is the latest step on it, as in [`CLAIMANTS`]
/// walking down. Binds: $1 org, $2 user.
pub(crate) const USER_CLAIMS: &str = "WITH RECURSIVE up(group_id, since) AS ( \
         SELECT group_id, added_at FROM group_user_members WHERE org_id = $1 AND user_id = $2 \
         UNION \
         SELECT e.group_id, CASE WHEN e.added_at > u.since THEN e.added_at ELSE u.since END \
         FROM group_group_members e JOIN up u ON e.member_group_id = u.group_id \
     ), claims(license_id, effective_at) AS ( \
         SELECT a.license_id, CASE WHEN a.assigned_at > u.since THEN a.assigned_at ELSE u.since END \
         FROM up u JOIN license_assignments a ON a.group_id = u.group_id \
         UNION ALL \
         SELECT license_id, assigned_at FROM license_assignments WHERE org_id = $1 AND user_id = $2 \
     ), mine(license_id, effective_at) AS ( \
         SELECT license_id, MIN(effective_at) FROM claims GROUP BY license_id \
     ) ";

/// SQL for "the claimant `user` (an id), whose claim took effect at `at`,
/// holds a seat of the license row `l`": they come no later in seat order
/// than its last holder (see migrations/0011_license_seat_cutoff.sql). Never
/// NULL. Ids compare with the same collation as the recompute's ORDER BY.
pub(crate) fn holds_seat(at: &str, user: &str) -> String {
    format!(
        "(l.last_holder_at IS NOT NULL AND ({at} < l.last_holder_at \
          OR ({at} = l.last_holder_at AND {user} <= l.last_holder_user_id)))"
    )
}

/// The licenses one user claims, with whether they hold a seat:
/// `(license_id, name, sku, has_seat)` by name. Binds: $1 org, $2 user.
pub(crate) static USER_SEATS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{USER_CLAIMS} SELECT l.id, l.name, l.sku, {} AS has_seat \
         FROM mine m JOIN licenses l ON l.org_id = $1 AND l.id = m.license_id ORDER BY l.name, l.id",
        holds_seat("m.effective_at", "$2")
    )
});

/// Where the seats of a license end, recomputed inside the caller's
/// transaction (`$conn`: `&mut *tx`) after a change that can move one. Seats
/// go in seat order (earliest first, ties by user id — ids are canonical
/// lower-case UUIDs, which every collation orders as bytes), so who holds
/// one is said by the place of the last who does, kept on the license with
/// the number of claimants: one row written, however many claimants move
/// (BENCHMARKS.md, "License seats"). The rule is
/// `domain::licensing::allocate_seats`; a test checks the SQL against it.
///
/// The first statement locks the license row, so two changes reaching the
/// same license recompute one after the other, each counting the other's
/// claimants (each statement after it reads what committed before it).
macro_rules! recompute_license_seats {
    ($conn:expr, $org_id:expr, $license_id:expr) => {{
        let org_id: &str = $org_id;
        let license_id: &str = $license_id;
        // The claimant count, and the last claimant in seat order.
        static LAST_CLAIMANT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "{} SELECT COUNT(*) OVER (), effective_at, user_id FROM earliest \
                 ORDER BY effective_at DESC, user_id DESC LIMIT 1",
                $crate::store::access::CLAIMANTS
            )
        });
        // The claimant at a place in seat order ($3, from 0).
        static NTH_CLAIMANT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "{} SELECT effective_at, user_id FROM earliest ORDER BY effective_at, user_id LIMIT 1 OFFSET $3",
                $crate::store::access::CLAIMANTS
            )
        });
        let current: Option<(i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "UPDATE licenses SET seats = seats WHERE org_id = $1 AND id = $2 \
             RETURNING seats, claimants, last_holder_at, last_holder_user_id",
        )
        .bind(org_id)
        .bind(license_id)
        .fetch_optional(&mut *$conn)
        .await
        .map_err($crate::store::db_err)?;
        if let Some((seats, claimants, holder_at, holder_user)) = current {
            let last: Option<(i64, i64, String)> = sqlx::query_as(&LAST_CLAIMANT)
                .bind(org_id)
                .bind(license_id)
                .fetch_optional(&mut *$conn)
                .await
                .map_err($crate::store::db_err)?;
            let count = last.as_ref().map_or(0, |l| l.0);
            let holder: Option<(i64, String)> = match last {
                None => None,
                Some(_) if seats <= 0 => None,
                Some((_, at, user)) if count <= seats => Some((at, user)),
                Some(_) => sqlx::query_as(&NTH_CLAIMANT)
                    .bind(org_id)
                    .bind(license_id)
                    .bind(seats - 1)
                    .fetch_optional(&mut *$conn)
                    .await
                    .map_err($crate::store::db_err)?,
            };
            let (at, user) = holder.unzip();
            if (count, &at, &user) != (claimants, &holder_at, &holder_user) {
                sqlx::query(
                    "UPDATE licenses SET claimants = $3, last_holder_at = $4, last_holder_user_id = $5 \
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id)
                .bind(license_id)
                .bind(count)
                .bind(at)
                .bind(user)
                .execute(&mut *$conn)
                .await
                .map_err($crate::store::db_err)?;
            }
        }
    }};
}
pub(crate) use recompute_license_seats;
