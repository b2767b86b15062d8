//! Requests made of reviewers and the notifications they send. Every change
//! is one transaction: the request's new state, what it grants, its audit
//! event and the notifications that tell people, so a notification never
//! tells of something that did not happen, and nothing that happened goes
//! untold.
//!
//! The background work (expiry, reminders, the e-mail outbox) may run on
//! several replicas at once: each batch is claimed by one UPDATE whose
//! WHERE clause repeats the claim's conditions (PostgreSQL re-checks them
//! on a row another replica changed meanwhile, so nobody takes a row twice)
//! and, on PostgreSQL, picks its rows `FOR UPDATE SKIP LOCKED` so replicas
//! take different rows instead of waiting on each other.

use super::access::REACH;
use super::directory::columns;
use super::{db_err, insert_audit_event, new_id, Pool, SqlStore};
use app::domain::consent::Classification;
use app::domain::model::Millis;
use app::domain::model::Role;
use app::domain::requests::{
    new_request_notice, outcome_notice, reminder_at, reminder_notice, seat_outcome_text, Decision, Notice, RequestKind, RequestStatus,
    SeatOutcome,
};
use app::models::consents::ReviewerView;
use app::models::requests::{
    request_history, BlockedApp, DecisionFacts, HeaderCounts, LicenseNeed, MyRequest, Notification, Notifications, RequestedPermission,
    Requester, ReviewApp, ReviewQueue, ReviewRequest,
};
use app::ports::*;
use async_trait::async_trait;
use std::collections::HashMap;

/// The users who review the org's consent requests: those named, and the
/// members of the groups named (through nested groups). Binds: $1 org.
const CONSENT_REVIEWERS: &str = "WITH RECURSIVE down(group_id) AS ( \
        SELECT group_id FROM consent_reviewers WHERE org_id = $1 AND group_id IS NOT NULL \
        UNION \
        SELECT e.member_group_id FROM group_group_members e JOIN down d ON e.group_id = d.group_id \
    ) \
    SELECT u.id, u.email FROM users u WHERE u.org_id = $1 AND ( \
        u.id IN (SELECT user_id FROM consent_reviewers WHERE org_id = $1 AND user_id IS NOT NULL) \
        OR u.id IN (SELECT m.user_id FROM group_user_members m WHERE m.org_id = $1 AND m.group_id IN (SELECT group_id FROM down)) \
    ) ORDER BY u.id";

/// The users who review an app's access requests: those named on it and
/// the members of groups named on it, or, when nobody is named, the
/// organisation's app admins and privileged admins. Binds: $1 org, $2 app.
const APP_REVIEWERS: &str = "WITH RECURSIVE down(group_id) AS ( \
        SELECT group_id FROM app_reviewers WHERE org_id = $1 AND app_id = $2 AND group_id IS NOT NULL \
        UNION \
        SELECT e.member_group_id FROM group_group_members e JOIN down d ON e.group_id = d.group_id \
    ) \
    SELECT u.id, u.email FROM users u WHERE u.org_id = $1 AND ( \
        u.id IN (SELECT user_id FROM app_reviewers WHERE org_id = $1 AND app_id = $2 AND user_id IS NOT NULL) \
        OR u.id IN (SELECT m.user_id FROM group_user_members m WHERE m.org_id = $1 AND m.group_id IN (SELECT group_id FROM down)) \
        OR (u.role IN ('app_admin', 'privileged_admin') \
            AND NOT EXISTS (SELECT 1 FROM app_reviewers x WHERE x.org_id = $1 AND x.app_id = $2)) \
    ) ORDER BY u.id";

/// What a viewer reviews. Binds: $1 org, $2 user (or NULL), $3 privileged,
/// $4 app admin.
static SCOPE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{REACH} SELECT \
            ($3 OR EXISTS (SELECT 1 FROM consent_reviewers c WHERE c.org_id = $1 \
                AND (c.user_id = $2 OR c.group_id IN (SELECT group_id FROM reach)))) AS consent, \
            ($3 OR $4 OR EXISTS (SELECT 1 FROM app_reviewers x WHERE x.org_id = $1 \
                AND (x.user_id = $2 OR x.group_id IN (SELECT group_id FROM reach)))) AS access"
    )
});

/// The requests a viewer reviews, as a CTE `visible(id)` after `reach`
/// (the viewer's groups). Binds: $1 org, $2 user (or NULL), $3 status,
/// $4 reviews consent, $5 privileged, $6 app admin, $7 kind (or NULL).
/// Access requests: every app for privileged admins; the apps a user is
/// named on (or a group of theirs is); app admins: apps nobody is named on.
static VISIBLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{REACH}, visible(id) AS ( \
            SELECT r.id FROM requests r WHERE r.org_id = $1 AND r.status = $3 AND ($7 IS NULL OR r.kind = $7) AND ( \
                (r.kind = 'consent' AND $4) \
                OR (r.kind = 'access' AND ($5 \
                    OR r.app_id IN (SELECT x.app_id FROM app_reviewers x WHERE x.org_id = $1 \
                        AND (x.user_id = $2 OR x.group_id IN (SELECT group_id FROM reach))) \
                    OR ($6 AND NOT EXISTS (SELECT 1 FROM app_reviewers x WHERE x.org_id = $1 AND x.app_id = r.app_id)))))) "
    )
});

/// A request's requesters with their e-mail addresses. Binds: $1 org, $2 request.
const REQUESTERS: &str = "SELECT q.user_id, u.email FROM request_requesters q \
    JOIN users u ON u.org_id = q.org_id AND u.id = q.user_id WHERE q.org_id = $1 AND q.request_id = $2";

/// An app's name. Binds: $1 org, $2 app.
const APP_NAME: &str = "SELECT name FROM applications WHERE org_id = $1 AND id = $2";

/// The statement that claims up to `$2` requests that are `due` (with `$1`
/// now), setting `set`: the outer WHERE repeats `due`, so a row another
/// replica changed meanwhile is not taken twice (see the module's comment).
fn claim_requests(set: &str, due: &str, order: &str, skip_locked: &str) -> String {
    format!(
        "UPDATE requests SET {set} WHERE {due} AND id IN ( \
            SELECT id FROM requests WHERE {due} ORDER BY {order} LIMIT $2{skip_locked}) \
         RETURNING id, org_id, kind, app_id, expires_at"
    )
}

/// Inserts one notification; the e-mail goes to `email_to` when set.
macro_rules! insert_notification {
    ($exec:expr, $org:expr, $user:expr, $notice:expr, $email_to:expr, $at:expr) => {
        sqlx::query(
            "INSERT INTO notifications (id, org_id, user_id, kind, title, body, link, created_at, email_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind($org)
        .bind($user)
        .bind($notice.kind)
        .bind(&$notice.title)
        .bind(&$notice.body)
        .bind(&$notice.link)
        .bind($at)
        .bind($email_to)
        .execute($exec)
        .await
        .map_err(db_err)
    };
}

/// The address to e-mail a notification to: when e-mail is on and the
/// person has one.
fn email_to(email: bool, address: &str) -> Option<&str> {
    (email && !address.trim().is_empty()).then_some(address)
}

fn parse_status(s: &str) -> StoreResult<RequestStatus> {
    RequestStatus::parse(s).ok_or_else(|| StoreError::Internal(format!("unknown request status {s:?}")))
}

fn parse_kind(s: &str) -> StoreResult<RequestKind> {
    RequestKind::parse(s).ok_or_else(|| StoreError::Internal(format!("unknown request kind {s:?}")))
}

/// Audit events the server makes on its own (expiry).
fn system_audit(org_id: &str, action: &str, target_id: &str, after: serde_json::Value, at: Millis) -> AuditEvent {
    AuditEvent {
        org_id: org_id.into(),
        actor_user_id: None,
        actor_token_id: None,
        actor_label: "My Apps".into(),
        action: action.into(),
        target_type: "request".into(),
        target_id: target_id.into(),
        before_json: Some(serde_json::json!({ "status": "pending" }).to_string()),
        after_json: Some(after.to_string()),
        correlation_id: new_id(),
        at,
    }
}

/// "1 December 2026, 15:04 UTC".
fn utc_text(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at).map(|t| t.format("%-d %B %Y, %H:%M UTC").to_string()).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct MyRequestRow {
    id: String,
    kind: String,
    app_id: String,
    app_name: String,
    status: String,
    requested_at: i64,
    justification: String,
    expires_at: i64,
    decided_at: Option<i64>,
    decided_by_label: Option<String>,
    decision_reason: Option<String>,
    outcome: Option<String>,
    display_name: String,
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    id: String,
    kind: String,
    app_id: String,
    status: String,
    created_at: i64,
    expires_at: i64,
    decided_at: Option<i64>,
    decided_by_label: Option<String>,
    decision_reason: Option<String>,
    outcome: Option<String>,
    app_name: String,
    publisher_name: String,
    publisher_verified: bool,
    registered_in_org: bool,
    consent_blocked_at: Option<i64>,
    consent_blocked_reason: Option<String>,
    reason_code: Option<String>,
    license_name: Option<String>,
    license_seats: Option<i64>,
    license_claimants: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PermissionRow {
    request_id: String,
    id: String,
    value: String,
    display_name: String,
    description: String,
    api_name: String,
    classification: Option<String>,
    admin_consent_required: bool,
}

#[derive(sqlx::FromRow)]
struct RequesterRow {
    request_id: String,
    user_id: String,
    display_name: String,
    upn: String,
    justification: String,
    requested_at: i64,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: String,
    org_id: String,
    kind: String,
    app_id: String,
    expires_at: i64,
}

/// The audit record's "after", with what an approval did.
fn with_outcome(after: Option<&str>, outcome: &str) -> Option<String> {
    let mut value: serde_json::Value = after.and_then(|a| serde_json::from_str(a).ok()).unwrap_or_else(|| serde_json::json!({}));
    if let Some(object) = value.as_object_mut() {
        object.insert("outcome".into(), serde_json::Value::String(outcome.into()));
    }
    Some(value.to_string())
}

/// Approves an access request inside the caller's transaction: the app
/// assigned to the requester (when the app needs assignment and they have
/// no direct one), and its license given when they lack it and a seat is
/// free (the license row is locked first, so two approvals cannot take
/// the same last seat). A request refused only for the license, with no
/// seat free, is not approved (`Conflict { "no_seat_free" }`: nothing would
/// change). Evaluates to the outcome sentence, if any.
macro_rules! approve_access {
    ($tx:expr, $org:expr, $request:expr, $app:expr, $decider:expr, $now:expr) => {{
        let (subject, reason_code): (String, Option<String>) =
            sqlx::query_as("SELECT subject_user_id, reason_code FROM requests WHERE org_id = $1 AND id = $2")
                .bind($org)
                .bind($request)
                .fetch_one(&mut *$tx)
                .await
                .map_err(db_err)?;
        let (assignment_required, license): (bool, Option<String>) =
            sqlx::query_as("SELECT assignment_required, required_license_id FROM applications WHERE org_id = $1 AND id = $2")
                .bind($org)
                .bind($app)
                .fetch_one(&mut *$tx)
                .await
                .map_err(db_err)?;
        if assignment_required {
            let direct: Option<String> =
                sqlx::query_scalar("SELECT id FROM app_assignments WHERE org_id = $1 AND app_id = $2 AND user_id = $3")
                    .bind($org)
                    .bind($app)
                    .bind(&subject)
                    .fetch_optional(&mut *$tx)
                    .await
                    .map_err(db_err)?;
            if direct.is_none() {
                sqlx::query(
                    "INSERT INTO app_assignments (id, org_id, app_id, user_id, group_id, assigned_at, assigned_by) \
                             VALUES ($1, $2, $3, $4, NULL, $5, $6)",
                )
                .bind(new_id())
                .bind($org)
                .bind($app)
                .bind(&subject)
                .bind($now)
                .bind(&$decider.user_id)
                .execute(&mut *$tx)
                .await
                .map_err(db_err)?;
            }
        }
        match license {
            None => None,
            Some(license_id) => {
                // Lock the license row: seats are counted after it.
                let (name, seats, claimants): (String, i64, i64) =
                    sqlx::query_as("UPDATE licenses SET seats = seats WHERE org_id = $1 AND id = $2 RETURNING name, seats, claimants")
                        .bind($org)
                        .bind(&license_id)
                        .fetch_one(&mut *$tx)
                        .await
                        .map_err(db_err)?;
                let mine: Vec<(String, String, String, bool)> =
                    sqlx::query_as(&super::access::USER_SEATS).bind($org).bind(&subject).fetch_all(&mut *$tx).await.map_err(db_err)?;
                let held = mine.iter().find(|(id, ..)| *id == license_id).map(|(.., has_seat)| *has_seat);
                let seat = match held {
                    Some(true) => SeatOutcome::NotNeeded,
                    Some(false) => SeatOutcome::InLine,
                    None if claimants < seats => {
                        sqlx::query(
                            "INSERT INTO license_assignments (id, org_id, license_id, user_id, group_id, assigned_at) \
                                     VALUES ($1, $2, $3, $4, NULL, $5)",
                        )
                        .bind(new_id())
                        .bind($org)
                        .bind(&license_id)
                        .bind(&subject)
                        .bind($now)
                        .execute(&mut *$tx)
                        .await
                        .map_err(db_err)?;
                        super::access::recompute_license_seats!(&mut *$tx, $org, &license_id);
                        SeatOutcome::Given
                    }
                    None => SeatOutcome::NoneFree,
                };
                if seat == SeatOutcome::NoneFree && reason_code.as_deref() == Some("license_missing") {
                    return Err(StoreError::Conflict { constraint: "no_seat_free".into() });
                }
                seat_outcome_text(&name, seat)
            }
        }
    }};
}

impl SqlStore {
    fn skip_locked(&self) -> &'static str {
        match self.pool {
            Pool::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Pool::Sqlite(_) => "",
        }
    }
}

#[async_trait]
impl RequestsStore for SqlStore {
    async fn pending_request_of(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        kind: RequestKind,
    ) -> StoreResult<Option<(String, Millis)>> {
        crate::on_pool!(&self.pool, p => {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT r.id, q.requested_at FROM requests r \
                 JOIN request_requesters q ON q.request_id = r.id AND q.user_id = $3 \
                 WHERE r.org_id = $1 AND r.app_id = $2 AND r.kind = $4 AND r.status = 'pending'")
                .bind(org_id).bind(app_id).bind(user_id).bind(kind.as_str())
                .fetch_optional(p).await.map_err(db_err)
        })
    }

    async fn ask_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        justification: &str,
        permission_ids: &[String],
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<AskOutcome> {
        let now = audit.at;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let app: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT name, consent_blocked_at FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some((app_name, blocked)) = app else { return Err(StoreError::NotFound) };
            if blocked.is_some() {
                return Err(StoreError::Conflict { constraint: "app_blocked".into() });
            }
            let (expiry_days, notify): (i64, bool) = sqlx::query_as(
                "SELECT admin_consent_request_expiry_days, admin_consent_notify_reviewers FROM organisations WHERE id = $1")
                .bind(org_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            let pending = "SELECT id FROM requests WHERE org_id = $1 AND kind = 'consent' AND app_id = $2 AND status = 'pending'";
            let mut existing: Option<String> = sqlx::query_scalar(pending)
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let mut created = false;
            if existing.is_none() {
                let id = new_id();
                let expires = app::domain::requests::expires_at(now, expiry_days);
                // Two first requesters at once: one insert wins (the unique
                // pending index), the other joins its request.
                let inserted = sqlx::query(
                    "INSERT INTO requests (id, org_id, kind, app_id, status, created_at, expires_at, remind_at) \
                     VALUES ($1, $2, 'consent', $3, 'pending', $4, $5, $6) ON CONFLICT DO NOTHING")
                    .bind(&id).bind(org_id).bind(app_id).bind(now).bind(expires).bind(reminder_at(now, expires))
                    .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                if inserted == 1 {
                    existing = Some(id);
                    created = true;
                } else {
                    existing = sqlx::query_scalar(pending).bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                }
            }
            let Some(request_id) = existing else { return Err(StoreError::Internal("pending request vanished".into())) };
            if !created {
                let asked: Option<i64> = sqlx::query_scalar(
                    "SELECT requested_at FROM request_requesters WHERE request_id = $1 AND user_id = $2")
                    .bind(&request_id).bind(user_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                if let Some(asked_at) = asked {
                    return Ok(AskOutcome::AlreadyAsked { request_id, asked_at });
                }
            }
            sqlx::query(
                "INSERT INTO request_requesters (org_id, request_id, user_id, justification, requested_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(org_id).bind(&request_id).bind(user_id).bind(justification).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            for permission_id in permission_ids {
                // Only permissions of the org that this app requests.
                sqlx::query(
                    "INSERT INTO request_permissions (org_id, request_id, permission_id) \
                     SELECT $1, $2, ap.permission_id FROM application_permissions ap \
                     WHERE ap.org_id = $1 AND ap.app_id = $3 AND ap.permission_id = $4 ON CONFLICT DO NOTHING")
                    .bind(org_id).bind(&request_id).bind(app_id).bind(permission_id)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            if notify {
                let requester: String = sqlx::query_scalar("SELECT display_name FROM users WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(user_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                let notice = new_request_notice(RequestKind::Consent, &app_name, &requester);
                let reviewers: Vec<(String, String)> = sqlx::query_as(CONSENT_REVIEWERS).bind(org_id).fetch_all(&mut *tx).await.map_err(db_err)?;
                for (reviewer, address) in reviewers.iter().filter(|(id, _)| id != user_id) {
                    insert_notification!(&mut *tx, org_id, reviewer, notice, email_to(email, address), now)?;
                }
            }
            let mut audit = audit;
            audit.target_type = "request".into();
            audit.target_id = request_id.clone();
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(if created { AskOutcome::Created { request_id } } else { AskOutcome::Joined { request_id } })
        })
    }

    async fn my_requests(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<MyRequest>> {
        crate::on_pool!(&self.pool, p => {
            let rows: Vec<MyRequestRow> = sqlx::query_as(
                "SELECT r.id, r.kind, r.app_id, a.name AS app_name, r.status, q.requested_at, q.justification, r.expires_at, \
                    r.decided_at, r.decided_by_label, r.decision_reason, r.outcome, u.display_name \
                 FROM request_requesters q \
                 JOIN requests r ON r.id = q.request_id \
                 JOIN applications a ON a.org_id = r.org_id AND a.id = r.app_id \
                 JOIN users u ON u.org_id = q.org_id AND u.id = q.user_id \
                 WHERE q.org_id = $1 AND q.user_id = $2 \
                 ORDER BY q.requested_at DESC, r.id DESC LIMIT 200")
                .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err)?;
            rows.into_iter().map(|r| {
                let status = parse_status(&r.status)?;
                let decision = DecisionFacts { status, at: r.decided_at, by: r.decided_by_label.clone(), reason: r.decision_reason.clone() };
                Ok(MyRequest {
                    history: request_history(&r.display_name, r.requested_at, &r.justification, &decision),
                    id: r.id,
                    kind: parse_kind(&r.kind)?,
                    app_id: r.app_id,
                    app_name: r.app_name,
                    status,
                    asked_at: r.requested_at,
                    justification: r.justification,
                    expires_at: r.expires_at,
                    outcome: r.outcome,
                })
            }).collect()
        })
    }

    async fn review_scope(&self, org_id: &str, viewer: &QueueViewer) -> StoreResult<ReviewScope> {
        crate::on_pool!(&self.pool, p => {
            let (consent, access): (bool, bool) = sqlx::query_as(&SCOPE)
                .bind(org_id).bind(&viewer.user_id).bind(viewer.role == Role::PrivilegedAdmin).bind(viewer.role == Role::AppAdmin)
                .fetch_one(p).await.map_err(db_err)?;
            Ok(ReviewScope { consent, access })
        })
    }

    async fn review_queue(
        &self,
        org_id: &str,
        viewer: &QueueViewer,
        status: RequestStatus,
        kind: Option<RequestKind>,
    ) -> StoreResult<ReviewQueue> {
        let scope = self.review_scope(org_id, viewer).await?;
        if !scope.consent && !scope.access {
            return Ok(ReviewQueue::default());
        }
        let privileged = viewer.role == Role::PrivilegedAdmin;
        let app_admin = viewer.role == Role::AppAdmin;
        let kind = kind.map(RequestKind::as_str);
        let visible: &str = &VISIBLE;
        crate::on_pool!(&self.pool, p => {
            macro_rules! bound {
                ($q:expr) => {
                    $q.bind(org_id).bind(&viewer.user_id).bind(status.as_str()).bind(scope.consent).bind(privileged).bind(app_admin).bind(kind)
                };
            }
            let rows: Vec<QueueRow> = bound!(sqlx::query_as(&format!(
                "{visible} SELECT r.id, r.kind, r.app_id, r.status, r.created_at, r.expires_at, r.decided_at, r.decided_by_label, \
                    r.decision_reason, r.outcome, r.reason_code, a.name AS app_name, a.publisher_name, a.publisher_verified, \
                    a.registered_in_org, a.consent_blocked_at, a.consent_blocked_reason, \
                    l.name AS license_name, l.seats AS license_seats, l.claimants AS license_claimants \
                 FROM requests r JOIN visible v ON v.id = r.id \
                 JOIN applications a ON a.org_id = r.org_id AND a.id = r.app_id \
                 LEFT JOIN licenses l ON l.org_id = a.org_id AND l.id = a.required_license_id \
                 ORDER BY lower(a.name), a.id, r.kind DESC, r.created_at DESC LIMIT 500")))
                .fetch_all(p).await.map_err(db_err)?;
            let permissions: Vec<PermissionRow> = bound!(sqlx::query_as(&format!(
                "{visible} SELECT rp.request_id, pm.id, pm.value, pm.display_name, pm.description, api.name AS api_name, \
                    pm.classification, pm.admin_consent_required \
                 FROM request_permissions rp JOIN visible v ON v.id = rp.request_id \
                 JOIN permissions pm ON pm.org_id = rp.org_id AND pm.id = rp.permission_id \
                 JOIN apis api ON api.org_id = pm.org_id AND api.id = pm.api_id \
                 ORDER BY api.name, pm.value")))
                .fetch_all(p).await.map_err(db_err)?;
            let requesters: Vec<RequesterRow> = bound!(sqlx::query_as(&format!(
                "{visible} SELECT q.request_id, q.user_id, u.display_name, u.upn, q.justification, q.requested_at \
                 FROM request_requesters q JOIN visible v ON v.id = q.request_id \
                 JOIN users u ON u.org_id = q.org_id AND u.id = q.user_id \
                 ORDER BY q.requested_at, u.id")))
                .fetch_all(p).await.map_err(db_err)?;
            let blocked: Vec<(String, String, Option<String>, i64)> = if scope.consent && kind != Some("access") {
                sqlx::query_as(
                    "SELECT id, name, consent_blocked_reason, consent_blocked_at FROM applications \
                     WHERE org_id = $1 AND consent_blocked_at IS NOT NULL ORDER BY lower(name), id")
                    .bind(org_id).fetch_all(p).await.map_err(db_err)?
            } else {
                Vec::new()
            };
            let mut perms_of: HashMap<String, Vec<RequestedPermission>> = HashMap::new();
            for r in permissions {
                perms_of.entry(r.request_id).or_default().push(RequestedPermission {
                    id: r.id, value: r.value, display_name: r.display_name, description: r.description, api_name: r.api_name,
                    classification: r.classification.as_deref().and_then(Classification::parse),
                    admin_consent_required: r.admin_consent_required,
                });
            }
            let mut requesters_of: HashMap<String, Vec<Requester>> = HashMap::new();
            for r in requesters {
                requesters_of.entry(r.request_id).or_default().push(Requester {
                    user_id: r.user_id, display_name: r.display_name, upn: r.upn, justification: r.justification, requested_at: r.requested_at,
                });
            }
            let mut apps: Vec<ReviewApp> = Vec::new();
            for r in rows {
                let request = ReviewRequest {
                    permissions: perms_of.remove(&r.id).unwrap_or_default(),
                    requesters: requesters_of.remove(&r.id).unwrap_or_default(),
                    kind: parse_kind(&r.kind)?,
                    status: parse_status(&r.status)?,
                    id: r.id,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                    decided_at: r.decided_at,
                    decided_by: r.decided_by_label,
                    decision_reason: r.decision_reason,
                    outcome: r.outcome,
                    reason_code: r.reason_code,
                };
                match apps.last_mut() {
                    Some(last) if last.app_id == r.app_id => last.requests.push(request),
                    _ => apps.push(ReviewApp {
                        app_id: r.app_id,
                        app_name: r.app_name,
                        publisher: r.publisher_name,
                        publisher_verified: r.publisher_verified,
                        registered_in_org: r.registered_in_org,
                        blocked_reason: r.consent_blocked_at.and(r.consent_blocked_reason),
                        blocked_at: r.consent_blocked_at,
                        license: r.license_name.map(|name| LicenseNeed {
                            name, seats: r.license_seats.unwrap_or(0), in_use: r.license_claimants.unwrap_or(0).min(r.license_seats.unwrap_or(0)),
                        }),
                        requests: vec![request],
                    }),
                }
            }
            let blocked_apps = blocked.into_iter().map(|(app_id, app_name, reason, blocked_at)| BlockedApp {
                app_id, app_name, reason: reason.unwrap_or_default(), blocked_at,
            }).collect();
            Ok(ReviewQueue { reviews_consent: scope.consent, reviews_access: scope.access, apps, blocked_apps })
        })
    }

    async fn request_for_review(&self, org_id: &str, request_id: &str, viewer: &QueueViewer) -> StoreResult<Option<RequestForReview>> {
        let scope = self.review_scope(org_id, viewer).await?;
        let visible: &str = &VISIBLE;
        crate::on_pool!(&self.pool, p => {
            let row: Option<(String, String, String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT r.id, r.kind, r.app_id, a.name, r.status, r.reason_code FROM requests r \
                 JOIN applications a ON a.org_id = r.org_id AND a.id = r.app_id WHERE r.org_id = $1 AND r.id = $2")
                .bind(org_id).bind(request_id).fetch_optional(p).await.map_err(db_err)?;
            let Some((id, kind, app_id, app_name, status, reason_code)) = row else { return Ok(None) };
            let kind = parse_kind(&kind)?;
            let requester_ids: Vec<String> = sqlx::query_scalar("SELECT user_id FROM request_requesters WHERE org_id = $1 AND request_id = $2")
                .bind(org_id).bind(&id).fetch_all(p).await.map_err(db_err)?;
            // The same rule the queue lists by: is the request among those
            // the viewer sees in its state?
            let viewer_reviews: bool = sqlx::query_scalar(&format!("{visible} SELECT EXISTS (SELECT 1 FROM visible WHERE id = $8)"))
                .bind(org_id).bind(&viewer.user_id).bind(&status).bind(scope.consent)
                .bind(viewer.role == Role::PrivilegedAdmin).bind(viewer.role == Role::AppAdmin).bind(None::<&str>).bind(&id)
                .fetch_one(p).await.map_err(db_err)?;
            Ok(Some(RequestForReview { id, kind, app_id, app_name, status: parse_status(&status)?, requester_ids, reason_code, viewer_reviews }))
        })
    }

    async fn ask_access(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        justification: &str,
        reason_code: &str,
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<AskOutcome> {
        let now = audit.at;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let app_name: Option<String> = sqlx::query_scalar(APP_NAME)
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some(app_name) = app_name else { return Err(StoreError::NotFound) };
            let pending = "SELECT r.id, q.requested_at FROM requests r JOIN request_requesters q ON q.request_id = r.id \
                 WHERE r.org_id = $1 AND r.kind = 'access' AND r.app_id = $2 AND r.subject_user_id = $3 AND r.status = 'pending'";
            let existing: Option<(String, i64)> = sqlx::query_as(pending)
                .bind(org_id).bind(app_id).bind(user_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            if let Some((request_id, asked_at)) = existing {
                return Ok(AskOutcome::AlreadyAsked { request_id, asked_at });
            }
            let expiry_days: i64 = sqlx::query_scalar("SELECT admin_consent_request_expiry_days FROM organisations WHERE id = $1")
                .bind(org_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            let request_id = new_id();
            let expires = app::domain::requests::expires_at(now, expiry_days);
            let inserted = sqlx::query(
                "INSERT INTO requests (id, org_id, kind, app_id, subject_user_id, status, created_at, expires_at, remind_at, reason_code) \
                 VALUES ($1, $2, 'access', $3, $4, 'pending', $5, $6, $7, $8) ON CONFLICT DO NOTHING")
                .bind(&request_id).bind(org_id).bind(app_id).bind(user_id).bind(now).bind(expires).bind(reminder_at(now, expires)).bind(reason_code)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if inserted == 0 {
                // The same person asking twice at once: the other ask won.
                let (request_id, asked_at): (String, i64) = sqlx::query_as(pending)
                    .bind(org_id).bind(app_id).bind(user_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                return Ok(AskOutcome::AlreadyAsked { request_id, asked_at });
            }
            sqlx::query(
                "INSERT INTO request_requesters (org_id, request_id, user_id, justification, requested_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(org_id).bind(&request_id).bind(user_id).bind(justification).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            let requester: String = sqlx::query_scalar("SELECT display_name FROM users WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(user_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            let notice = new_request_notice(RequestKind::Access, &app_name, &requester);
            let reviewers: Vec<(String, String)> = sqlx::query_as(APP_REVIEWERS).bind(org_id).bind(app_id).fetch_all(&mut *tx).await.map_err(db_err)?;
            for (reviewer, address) in reviewers.iter().filter(|(id, _)| id != user_id) {
                insert_notification!(&mut *tx, org_id, reviewer, notice, email_to(email, address), now)?;
            }
            let mut audit = audit;
            audit.target_type = "request".into();
            audit.target_id = request_id.clone();
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(AskOutcome::Created { request_id })
        })
    }

    async fn app_reviewers(&self, org_id: &str, app_id: &str) -> StoreResult<Vec<ReviewerView>> {
        crate::on_pool!(&self.pool, p => {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT 'user', u.id, u.display_name, u.upn FROM app_reviewers r \
                   JOIN users u ON u.org_id = r.org_id AND u.id = r.user_id WHERE r.org_id = $1 AND r.app_id = $2 \
                 UNION ALL \
                 SELECT 'group', g.id, g.name, '' FROM app_reviewers r \
                   JOIN user_groups g ON g.org_id = r.org_id AND g.id = r.group_id WHERE r.org_id = $1 AND r.app_id = $2 \
                 ORDER BY 1 DESC, 3, 2")
                .bind(org_id).bind(app_id).fetch_all(p).await.map_err(db_err)?;
            Ok(rows.into_iter().map(|(kind, id, name, detail)| ReviewerView { kind, id, name, detail }).collect())
        })
    }

    async fn add_app_reviewer(&self, org_id: &str, app_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(reviewer);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let (sql, id) = match reviewer {
                Principal::User(id) => ("SELECT id FROM users WHERE org_id = $1 AND id = $2", id),
                Principal::Group(id) => ("SELECT id FROM user_groups WHERE org_id = $1 AND id = $2", id),
            };
            let app: Option<String> = sqlx::query_scalar("SELECT id FROM applications WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(app_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            let principal: Option<String> = sqlx::query_scalar(sql).bind(org_id).bind(id).fetch_optional(&mut *tx).await.map_err(db_err)?;
            if app.is_none() || principal.is_none() {
                return Err(StoreError::NotFound);
            }
            let added = sqlx::query(
                "INSERT INTO app_reviewers (id, org_id, app_id, user_id, group_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                .bind(new_id()).bind(org_id).bind(app_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if added {
                insert_audit_event!(&mut *tx, audit)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(added)
        })
    }

    async fn remove_app_reviewer(&self, org_id: &str, app_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool> {
        let (user_id, group_id) = columns(reviewer);
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let removed = sqlx::query("DELETE FROM app_reviewers WHERE org_id = $1 AND app_id = $2 AND (user_id = $3 OR group_id = $4)")
                .bind(org_id).bind(app_id).bind(user_id).bind(group_id)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() > 0;
            if removed {
                insert_audit_event!(&mut *tx, audit)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(removed)
        })
    }

    async fn decide_request(
        &self,
        org_id: &str,
        request_id: &str,
        decision: Decision,
        reason: Option<&str>,
        decider: &Decider,
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let now = audit.at;
        let status = decision.status();
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // The decision claims the request: of two reviewers deciding at
            // once, one changes it and the other finds it decided.
            let claimed: Option<(String, String)> = sqlx::query_as(
                "UPDATE requests SET status = $3, decided_at = $4, decided_by_user_id = $5, decided_by_label = $6, decision_reason = $7 \
                 WHERE org_id = $1 AND id = $2 AND status = 'pending' RETURNING kind, app_id")
                .bind(org_id).bind(request_id).bind(status.as_str()).bind(now).bind(&decider.user_id).bind(&decider.label).bind(reason)
                .fetch_optional(&mut *tx).await.map_err(db_err)?;
            let Some((kind, app_id)) = claimed else { return Ok(false) };
            let kind = parse_kind(&kind)?;
            let mut outcome: Option<String> = None;
            match (kind, decision) {
                (RequestKind::Access, Decision::Approve) => {
                    outcome = approve_access!(&mut *tx, org_id, request_id, &app_id, decider, now);
                }
                (RequestKind::Access, Decision::Block) => {
                    return Err(StoreError::InvalidInput { field: "decision", message: "only consent requests can be blocked" });
                }
                (RequestKind::Consent, Decision::Approve) => {
                    // The organisation's grant, made if it has none, and the
                    // requested permissions the app still asks for.
                    sqlx::query(
                        "INSERT INTO consent_grants (id, org_id, app_id, principal_user_id, granted_by, granted_by_label, granted_at) \
                         VALUES ($1, $2, $3, NULL, $4, $5, $6) ON CONFLICT DO NOTHING")
                        .bind(new_id()).bind(org_id).bind(&app_id).bind(&decider.user_id)
                        .bind(format!("{} (approved a request)", decider.label)).bind(now)
                        .execute(&mut *tx).await.map_err(db_err)?;
                    let grant_id: String = sqlx::query_scalar(
                        "SELECT id FROM consent_grants WHERE org_id = $1 AND app_id = $2 AND principal_user_id IS NULL")
                        .bind(org_id).bind(&app_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                    sqlx::query(
                        "INSERT INTO consent_grant_permissions (org_id, grant_id, permission_id, granted_at) \
                         SELECT $1, $2, rp.permission_id, $4 FROM request_permissions rp \
                         JOIN application_permissions ap ON ap.org_id = rp.org_id AND ap.app_id = $3 AND ap.permission_id = rp.permission_id \
                         WHERE rp.org_id = $1 AND rp.request_id = $5 ON CONFLICT DO NOTHING")
                        .bind(org_id).bind(&grant_id).bind(&app_id).bind(now).bind(request_id)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                (_, Decision::Deny) => {}
                (RequestKind::Consent, Decision::Block) => {
                    sqlx::query(
                        "UPDATE applications SET consent_blocked_at = $3, consent_blocked_reason = $4 WHERE org_id = $1 AND id = $2")
                        .bind(org_id).bind(&app_id).bind(now).bind(reason)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
            }
            let app_name: String = sqlx::query_scalar(APP_NAME)
                .bind(org_id).bind(&app_id).fetch_one(&mut *tx).await.map_err(db_err)?;
            let notice = outcome_notice(kind, &app_name, status, reason, outcome.as_deref());
            let requesters: Vec<(String, String)> = sqlx::query_as(REQUESTERS)
                .bind(org_id).bind(request_id).fetch_all(&mut *tx).await.map_err(db_err)?;
            for (user_id, address) in &requesters {
                insert_notification!(&mut *tx, org_id, user_id, notice, email_to(email, address), now)?;
            }
            let mut audit = audit;
            if let Some(outcome) = &outcome {
                audit.after_json = with_outcome(audit.after_json.as_deref(), outcome);
            }
            if let Some(outcome) = &outcome {
                sqlx::query("UPDATE requests SET outcome = $3 WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(request_id).bind(outcome).execute(&mut *tx).await.map_err(db_err)?;
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn unblock_app_consent(&self, org_id: &str, app_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let changed = sqlx::query(
                "UPDATE applications SET consent_blocked_at = NULL, consent_blocked_reason = NULL \
                 WHERE org_id = $1 AND id = $2 AND consent_blocked_at IS NOT NULL")
                .bind(org_id).bind(app_id).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn expire_due_requests(&self, now: Millis, email: bool, limit: i64) -> StoreResult<u64> {
        let due = "status = 'pending' AND expires_at <= $1";
        let claim = claim_requests("status = 'expired', decided_at = $1", due, "expires_at", self.skip_locked());
        crate::on_pool!(&self.pool, p => {
            // A read first: most rounds find nothing, and on SQLite a claim
            // that changes nothing would still take the write lock.
            let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM requests WHERE {due})"))
                .bind(now).fetch_one(p).await.map_err(db_err)?;
            if !any {
                return Ok(0);
            }
            let mut tx = p.begin().await.map_err(db_err)?;
            let expired: Vec<DueRow> = sqlx::query_as(&claim).bind(now).bind(limit).fetch_all(&mut *tx).await.map_err(db_err)?;
            for r in &expired {
                let app_name: String = sqlx::query_scalar(APP_NAME)
                    .bind(&r.org_id).bind(&r.app_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                let notice = outcome_notice(parse_kind(&r.kind)?, &app_name, RequestStatus::Expired, None, None);
                let requesters: Vec<(String, String)> = sqlx::query_as(REQUESTERS)
                    .bind(&r.org_id).bind(&r.id).fetch_all(&mut *tx).await.map_err(db_err)?;
                for (user_id, address) in &requesters {
                    insert_notification!(&mut *tx, &r.org_id, user_id, notice, email_to(email, address), now)?;
                }
                let audit = system_audit(&r.org_id, "request.expired", &r.id,
                    serde_json::json!({ "status": "expired", "kind": r.kind, "app": app_name, "expired_at": r.expires_at }), now);
                insert_audit_event!(&mut *tx, audit)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(expired.len() as u64)
        })
    }

    async fn remind_due_requests(&self, now: Millis, email: bool, limit: i64) -> StoreResult<u64> {
        let due = "status = 'pending' AND reminded_at IS NULL AND remind_at <= $1 AND expires_at > $1";
        let claim = claim_requests("reminded_at = $1", due, "remind_at", self.skip_locked());
        crate::on_pool!(&self.pool, p => {
            let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM requests WHERE {due})"))
                .bind(now).fetch_one(p).await.map_err(db_err)?;
            if !any {
                return Ok(0);
            }
            let mut tx = p.begin().await.map_err(db_err)?;
            let due: Vec<DueRow> = sqlx::query_as(&claim).bind(now).bind(limit).fetch_all(&mut *tx).await.map_err(db_err)?;
            let mut reminded = 0;
            for r in &due {
                let reminders: bool = sqlx::query_scalar("SELECT admin_consent_reminders FROM organisations WHERE id = $1")
                    .bind(&r.org_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                if !reminders {
                    continue;
                }
                let kind = parse_kind(&r.kind)?;
                let app_name: String = sqlx::query_scalar(APP_NAME)
                    .bind(&r.org_id).bind(&r.app_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                let notice: Notice = reminder_notice(kind, &app_name, &utc_text(r.expires_at));
                let requesters: Vec<String> = sqlx::query_scalar("SELECT user_id FROM request_requesters WHERE org_id = $1 AND request_id = $2")
                    .bind(&r.org_id).bind(&r.id).fetch_all(&mut *tx).await.map_err(db_err)?;
                let reviewers: Vec<(String, String)> = match kind {
                    RequestKind::Consent => sqlx::query_as(CONSENT_REVIEWERS).bind(&r.org_id).fetch_all(&mut *tx).await.map_err(db_err)?,
                    RequestKind::Access => {
                        sqlx::query_as(APP_REVIEWERS).bind(&r.org_id).bind(&r.app_id).fetch_all(&mut *tx).await.map_err(db_err)?
                    }
                };
                // Nobody is reminded to review their own request.
                for (user_id, address) in reviewers.iter().filter(|(id, _)| !requesters.contains(id)) {
                    insert_notification!(&mut *tx, &r.org_id, user_id, notice, email_to(email, address), now)?;
                }
                reminded += 1;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(reminded)
        })
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: String,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
}

/// An e-mail claim older than this is taken to have died with its replica.
const STALE_CLAIM_MS: Millis = 2 * 60 * 1000;
/// Tries per e-mail before it is given up (the notification stays in the portal).
const EMAIL_ATTEMPTS: i64 = 5;

#[async_trait]
impl NotificationsStore for SqlStore {
    async fn notifications(&self, org_id: &str, user_id: &str, limit: i64) -> StoreResult<Notifications> {
        crate::on_pool!(&self.pool, p => {
            let rows: Vec<NotificationRow> = sqlx::query_as(
                "SELECT id, kind, title, body, link, created_at, read_at FROM notifications \
                 WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3")
                .bind(org_id).bind(user_id).bind(limit).fetch_all(p).await.map_err(db_err)?;
            let unread: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL")
                .bind(org_id).bind(user_id).fetch_one(p).await.map_err(db_err)?;
            Ok(Notifications {
                unread: unread.max(0) as u64,
                items: rows.into_iter().map(|r| Notification {
                    id: r.id, kind: r.kind, title: r.title, body: r.body, link: r.link, created_at: r.created_at, read_at: r.read_at,
                }).collect(),
            })
        })
    }

    async fn header_counts(&self, org_id: &str, viewer: &QueueViewer) -> StoreResult<HeaderCounts> {
        let Some(user_id) = viewer.user_id.as_deref() else { return Ok(HeaderCounts::default()) };
        let unread: i64 = crate::on_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL")
                .bind(org_id).bind(user_id).fetch_one(p).await.map_err(db_err)?
        });
        let scope = self.review_scope(org_id, viewer).await?;
        let pending_reviews = if scope.consent || scope.access {
            let privileged = viewer.role == Role::PrivilegedAdmin;
            let app_admin = viewer.role == Role::AppAdmin;
            let visible: &str = &VISIBLE;
            let count: i64 = crate::on_pool!(&self.pool, p => {
                sqlx::query_scalar(&format!("{visible} SELECT COUNT(*) FROM visible"))
                    .bind(org_id).bind(user_id).bind(RequestStatus::Pending.as_str()).bind(scope.consent).bind(privileged).bind(app_admin)
                    .bind(None::<&str>)
                    .fetch_one(p).await.map_err(db_err)?
            });
            Some(count.max(0) as u64)
        } else {
            None
        };
        Ok(HeaderCounts { unread_notifications: unread.max(0) as u64, pending_reviews })
    }

    async fn open_notification(&self, org_id: &str, user_id: &str, id: &str, now: Millis) -> StoreResult<Option<Option<String>>> {
        crate::on_pool!(&self.pool, p => {
            let link: Option<Option<String>> = sqlx::query_scalar(
                "UPDATE notifications SET read_at = COALESCE(read_at, $4) WHERE org_id = $1 AND user_id = $2 AND id = $3 RETURNING link")
                .bind(org_id).bind(user_id).bind(id).bind(now).fetch_optional(p).await.map_err(db_err)?;
            Ok(link)
        })
    }

    async fn mark_notifications_read(&self, org_id: &str, user_id: &str, ids: Option<&[String]>, now: Millis) -> StoreResult<u64> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let mut changed = 0;
            match ids {
                None => {
                    changed = sqlx::query("UPDATE notifications SET read_at = $3 WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL")
                        .bind(org_id).bind(user_id).bind(now).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                }
                Some(ids) => {
                    for id in ids {
                        changed += sqlx::query(
                            "UPDATE notifications SET read_at = $4 WHERE org_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL")
                            .bind(org_id).bind(user_id).bind(id).bind(now).execute(&mut *tx).await.map_err(db_err)?.rows_affected();
                    }
                }
            }
            tx.commit().await.map_err(db_err)?;
            Ok(changed)
        })
    }

    async fn claim_outbox(&self, now: Millis, limit: i64) -> StoreResult<Vec<OutboxMail>> {
        let due = "email_to IS NOT NULL AND emailed_at IS NULL AND email_attempts < $3 \
                   AND (email_claimed_at IS NULL OR email_claimed_at <= $2)";
        let claim = format!(
            "UPDATE notifications SET email_claimed_at = $1, email_attempts = email_attempts + 1 WHERE {due} AND id IN ( \
                SELECT id FROM notifications WHERE {due} ORDER BY created_at LIMIT $4{}) \
             RETURNING id, email_to, title, body, link",
            self.skip_locked()
        );
        crate::on_pool!(&self.pool, p => {
            let any: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM notifications WHERE email_to IS NOT NULL AND emailed_at IS NULL \
                    AND email_attempts < $1 AND (email_claimed_at IS NULL OR email_claimed_at <= $2))")
                .bind(EMAIL_ATTEMPTS).bind(now - STALE_CLAIM_MS).fetch_one(p).await.map_err(db_err)?;
            if !any {
                return Ok(Vec::new());
            }
            let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(&claim)
                .bind(now).bind(now - STALE_CLAIM_MS).bind(EMAIL_ATTEMPTS).bind(limit)
                .fetch_all(p).await.map_err(db_err)?;
            Ok(rows.into_iter().map(|(notification_id, to, title, body, link)| OutboxMail { notification_id, to, title, body, link }).collect())
        })
    }

    async fn mark_emailed(&self, notification_id: &str, now: Millis) -> StoreResult<()> {
        crate::on_pool!(&self.pool, p => {
            sqlx::query("UPDATE notifications SET emailed_at = $2 WHERE id = $1")
                .bind(notification_id).bind(now).execute(p).await.map_err(db_err)?;
            Ok(())
        })
    }
}
