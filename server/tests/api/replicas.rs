//! Two servers on one database (PostgreSQL in production; the same test runs
//! on SQLite): a change made through one is in force on the other at once,
//! although each keeps launch snapshots in memory.

use crate::helpers::*;
use app::ports::{AuditEvent, DirectoryStore, Principal, UsersStore};

fn audit(app: &TestApp, action: &str, target: &str) -> AuditEvent {
    AuditEvent {
        org_id: app.org_id.clone(),
        actor_user_id: None,
        actor_token_id: None,
        actor_label: "replica test".into(),
        action: action.into(),
        target_type: "test".into(),
        target_id: target.into(),
        before_json: None,
        after_json: None,
        correlation_id: "replica-test".into(),
        at: server::time::now_ms(),
    }
}

#[tokio::test]
async fn a_change_through_one_replica_takes_effect_on_the_other_at_once() {
    let first = spawn_app().await;
    let second = first.spawn_replica().await;
    // Alex works through the second replica; the admin's changes go through
    // the first one's store, as the admin console's will.
    let alex = second.signed_in(EMPLOYEE).await;
    let admin = &first.server_store;
    let org = first.org_id.clone();
    let mail = first.app_id("Mail").await;
    let all_staff = first.strings("SELECT id FROM user_groups WHERE name = 'All Staff'", &[]).await.remove(0);
    let office = first.strings("SELECT id FROM licenses WHERE sku = 'OFFICE_E3'", &[]).await.remove(0);
    let alex_id = first.user_id(EMPLOYEE).await;
    let allowed = "https://mail.northwind.example/";

    // The second replica has read (and kept) Mail's inputs for Alex.
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert_eq!(second.launch(&alex, &mail).await, allowed);

    // An assignment.
    let group = Principal::Group(all_staff.clone());
    assert!(admin.remove_app_assignment(&org, &mail, &group, audit(&first, "app.unassigned", &mail)).await.unwrap());
    assert!(second.launch(&alex, &mail).await.starts_with("/launch-refused"));
    assert_eq!(second.last_launch_reason().await, "failure:not_assigned");
    assert!(admin.add_app_assignment(&org, &mail, &group, audit(&first, "app.assigned", &mail)).await.unwrap());
    assert_eq!(second.launch(&alex, &mail).await, allowed);

    // A membership: Issue Tracker is assigned to Engineering, which Alex is
    // in through Platform Team.
    let tracker = first.app_id("Issue Tracker").await;
    let platform = first.strings("SELECT id FROM user_groups WHERE name = 'Platform Team'", &[]).await.remove(0);
    assert_eq!(second.launch(&alex, &tracker).await, "https://issues.tailspin.example/");
    let alex_member = Principal::User(alex_id.clone());
    assert!(admin.remove_group_member(&org, &platform, &alex_member, audit(&first, "group.member_removed", &platform)).await.unwrap());
    assert!(second.launch(&alex, &tracker).await.starts_with("/launch-refused"));
    assert_eq!(second.last_launch_reason().await, "failure:not_assigned");
    assert_eq!(
        admin.add_group_member(&org, &platform, &alex_member, audit(&first, "group.member_added", &platform)).await.unwrap(),
        app::ports::MemberAdded::Added
    );
    assert_eq!(second.launch(&alex, &tracker).await, "https://issues.tailspin.example/");

    // A license.
    assert!(admin.remove_license_assignment(&org, &office, &group, audit(&first, "license.unassigned", &office)).await.unwrap());
    assert!(second.launch(&alex, &mail).await.starts_with("/launch-refused"));
    assert_eq!(second.last_launch_reason().await, "failure:license_missing");
    assert!(admin.add_license_assignment(&org, &office, &group, audit(&first, "license.assigned", &office)).await.unwrap());
    assert_eq!(second.launch(&alex, &mail).await, allowed);

    // Each change was audited in its own transaction.
    let audited = first.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE correlation_id = 'replica-test'", &[]).await;
    assert_eq!(audited, 6);
}

#[tokio::test]
async fn every_input_of_the_decision_moves_the_access_version() {
    let app = spawn_app().await;
    let version = || app.scalar_i64("SELECT access_version FROM organisations", &[]);
    let intranet = app.app_id("Intranet").await;
    // Each statement below changes one input table, however it is written.
    let changes = [
        "UPDATE applications SET enabled = FALSE WHERE name = 'Mail'",
        "UPDATE user_groups SET description = 'x' WHERE name = 'Sales'",
        "DELETE FROM group_group_members WHERE member_group_id = (SELECT id FROM user_groups WHERE name = 'Sales EMEA')",
        "UPDATE licenses SET seats = 1 WHERE sku = 'DESIGN_PRO'",
        "UPDATE licenses SET last_holder_at = NULL, last_holder_user_id = NULL WHERE sku = 'CRM_ENT'",
        "DELETE FROM license_assignments WHERE user_id IS NOT NULL",
        "UPDATE apis SET description = 'x'",
        "UPDATE permissions SET classification = 'high' WHERE value = 'Files.Read'",
        "DELETE FROM application_permissions WHERE permission_id = (SELECT id FROM permissions WHERE value = 'Files.Read')",
        "DELETE FROM consent_grant_permissions WHERE permission_id = (SELECT id FROM permissions WHERE value = 'profile')",
        "DELETE FROM consent_grants WHERE principal_user_id IS NOT NULL",
        "DELETE FROM app_assignments WHERE user_id IS NOT NULL",
        "DELETE FROM group_user_members WHERE group_id = (SELECT id FROM user_groups WHERE name = 'Finance')",
    ];
    for sql in changes {
        let before = version().await;
        app.exec(sql, &[]).await;
        assert!(version().await > before, "{sql}");
    }
    // What is not an input (launch history, pins) leaves it alone.
    let before = version().await;
    let alex = app.signed_in(EMPLOYEE).await;
    assert_eq!(app.launch(&alex, &intranet).await, "https://intranet.northwind.example/");
    let res = alex
        .put(app.url(&format!("/api/v1/me/apps/{intranet}/pin")))
        .header("x-csrf-token", csrf_of(&app, &alex).await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(version().await, before);
}

/// A replica decides launches from its memory of the session (no read of
/// their own) and has each confirmed when the launch is written: a session
/// ended, or an account changed, through another replica stops the very
/// next launch all the same.
#[tokio::test]
async fn a_session_or_account_changed_through_one_replica_stops_the_others_next_launch() {
    let first = spawn_app().await;
    let second = first.spawn_replica().await;
    let mail = first.app_id("Mail").await;
    let allowed = "https://mail.northwind.example/";
    let alex = second.signed_in(EMPLOYEE).await;
    let successes = || first.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE kind = 'launch' AND outcome = 'success'", &[]);

    // The first launch reads the session; the next ones are decided from
    // the second replica's memory of it.
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert!(second.remembered_sessions("confirmed").await >= 2);
    assert_eq!(second.remembered_sessions("changed").await, 0);
    assert_eq!(successes().await, 3, "every launch is one event, written once");

    // Five wrong passwords through the first replica lock the account.
    for _ in 0..5 {
        first.sign_in(&browser(), EMPLOYEE, "not-the-password").await;
    }
    assert!(second.launch(&alex, &mail).await.starts_with("/launch-refused"));
    assert_eq!(second.last_launch_reason().await, "failure:account_locked");
    assert_eq!(second.remembered_sessions("changed").await, 1);
    first.exec("UPDATE users SET locked_until = NULL, failed_sign_in_count = 0 WHERE upn_normalized = $1", &[EMPLOYEE]).await;
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert_eq!(second.launch(&alex, &mail).await, allowed);
    assert_eq!(successes().await, 5);

    // An admin blocks Alex through the first replica (which ends Alex's
    // sessions): the second one's next launch sends Alex to sign in, and
    // records nothing.
    let alex_id = first.user_id(EMPLOYEE).await;
    let blocked = first.server_store.set_sign_in_blocked(&first.org_id, &alex_id, true, audit(&first, "user.blocked", &alex_id));
    assert!(blocked.await.unwrap());
    let changed = second.remembered_sessions("changed").await;
    let res = alex.get(second.url(&format!("/launch/{mail}"))).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/sign-in?return_to=%2Flaunch%2F{mail}"));
    assert_eq!(second.remembered_sessions("changed").await, changed + 1, "the launch was decided from memory first");
    assert_eq!(successes().await, 5);
}
