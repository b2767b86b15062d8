//! Access requests: "Request access" on the refusal page of a launch that
//! is not assigned (or lacks its license), the app's reviewers (named on
//! the app, else app admins and privileged admins), approval into an
//! assignment and a license seat when one is free, and the same duplicate,
//! self-approval and bad-input rules as consent requests. Payroll is
//! assigned to Finance and HR, so Alex (Engineering) is refused it.

use crate::helpers::*;
use serde_json::json;

/// The refusal page a launch lands on, and its reference.
async fn refused(app: &TestApp, client: &reqwest::Client, app_id: &str) -> (String, String) {
    let to = app.launch(client, app_id).await;
    assert!(to.starts_with("/launch-refused?ref="), "{to}");
    let reference = to.trim_start_matches("/launch-refused?ref=").to_string();
    (to, reference)
}

async fn request_access(app: &TestApp, client: &reqwest::Client, app_id: &str, page: &str, reference: &str, why: &str) -> String {
    let res = app.post_form(client, page, &format!("/access/{app_id}/request"), &[("justification", why), ("ref", reference)]).await;
    assert_eq!(res.status(), 303);
    location(&res)
}

async fn pending_access(app: &TestApp, app_id: &str) -> String {
    app.strings("SELECT id FROM requests WHERE kind = 'access' AND app_id = $1 AND status = 'pending'", &[app_id]).await.remove(0)
}

#[tokio::test]
async fn an_access_request_is_approved_into_an_assignment_the_next_launch_uses() {
    let app = spawn_app().await;
    let payroll = app.app_id("Payroll").await;
    let alex = app.signed_in(EMPLOYEE).await;
    let (page, reference) = refused(&app, &alex, &payroll).await;
    assert_eq!(app.last_launch_reason().await, "failure:not_assigned");
    let (_, html) = app.page(&alex, &page).await;
    assert!(html.contains("Request access") && html.contains("Why do you need this app?"), "{html}");

    // Empty: back with the problem; nothing sent.
    let back = request_access(&app, &alex, &payroll, &page, &reference, " ").await;
    assert!(back.contains("errors=justification%3Amissing") && back.contains(&reference), "{back}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM requests", &[]).await, 0);

    let sent = request_access(&app, &alex, &payroll, &page, &reference, "I help Finance close the month.").await;
    assert_eq!(sent, format!("/launch-refused?ref={reference}&sent=created"));
    let (_, html) = app.page(&alex, &sent).await;
    assert!(html.contains("Request sent") && html.contains("You asked on"), "{html}");
    let again = request_access(&app, &alex, &payroll, &page, &reference, "Again").await;
    assert!(again.ends_with("sent=already_asked"), "{again}");
    let (_, html) = app.page(&alex, &page).await;
    assert!(html.contains("You already asked"), "the refusal page says when they asked");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM requests WHERE kind = 'access'", &[]).await, 1);
    assert_eq!(app.strings("SELECT reason_code FROM requests", &[]).await, ["not_assigned"]);

    // Nobody is named on Payroll: app admins and privileged admins review, and are told.
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (_, bell) = sam.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Alex Wu asks for access to Payroll", "{bell}");
    let (status, queue) = sam.get("/api/v1/admin/access-requests").await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["apps"][0]["requests"][0]["reason_code"], "not_assigned");
    let (_, html) = app.page(&sam.client, "/reviews").await;
    assert!(html.contains("Give Alex Wu access") && html.contains("I help Finance close the month."), "{html}");
    assert!(html.contains("Reviews"), "the header links the queue for app admins");

    let id = pending_access(&app, &payroll).await;
    let res = app.post_form(&sam.client, "/reviews", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(location(&res), "/reviews?done=approved");
    assert_eq!(app.launch(&alex, &payroll).await, "https://payroll.woodgrove.example/", "the assignment holds at the next launch");
    let alex_api = Api::as_user(&app, EMPLOYEE).await;
    let (_, mine) = alex_api.get("/api/v1/me/requests").await;
    assert_eq!((mine[0]["kind"].as_str(), mine[0]["status"].as_str()), (Some("access"), Some("approved")));
    let (_, bell) = alex_api.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Your request for access to Payroll was approved");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'access_request.approved'", &[]).await, 1);
}

#[tokio::test]
async fn approval_gives_the_license_while_a_seat_is_free_and_says_so_when_none_is() {
    let app = spawn_app().await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let payroll = app.app_id("Payroll").await;
    let (status, license) = morgan.post("/api/v1/admin/licenses", json!({ "name": "Payroll Seat", "sku": "PAYROLL", "seats": 1 })).await;
    assert_eq!(status, 201, "{license}");
    let license_id = license["id"].as_str().unwrap().to_string();
    let (status, body) = morgan.patch(&format!("/api/v1/admin/apps/{payroll}"), json!({ "required_license_id": license_id })).await;
    assert_eq!(status, 200, "{body}");
    let alex_id = app.user_id(EMPLOYEE).await;
    let other = app.user_id(APP_ADMIN).await;
    for user in [&alex_id, &other] {
        let (status, _) = morgan.post(&format!("/api/v1/admin/apps/{payroll}/assignments"), json!({ "user_id": user })).await;
        assert_eq!(status, 200);
    }
    // Alex: assigned, no license.
    let alex = Api::as_user(&app, EMPLOYEE).await;
    refused(&app, &alex.client, &payroll).await;
    assert_eq!(app.last_launch_reason().await, "failure:license_missing");
    let (status, asked) =
        alex.post("/api/v1/me/requests", json!({ "app_id": payroll, "kind": "access", "justification": "Month end" })).await;
    assert_eq!((status, asked["outcome"].as_str()), (201, Some("created")), "{asked}");
    let id = asked["request_id"].as_str().unwrap().to_string();
    let (status, decided) = morgan.post(&format!("/api/v1/admin/access-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(app.seat_of(&alex_id, &license_id).await, Some(true), "the free seat is Alex's");
    assert_eq!(app.launch(&alex.client, &payroll).await, "https://payroll.woodgrove.example/");
    let (_, mine) = alex.get("/api/v1/me/requests").await;
    assert_eq!(mine[0]["outcome"], "A seat of Payroll Seat is theirs too.");

    // Sam: the same, but no seat is left: approving would change nothing.
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, asked) = sam.post("/api/v1/me/requests", json!({ "app_id": payroll, "kind": "access", "justification": "Me too" })).await;
    assert_eq!(status, 201, "{asked}");
    let id = asked["request_id"].as_str().unwrap().to_string();
    let (status, body) = morgan.post(&format!("/api/v1/admin/access-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("no_seat_free")), "{body}");
    assert_eq!(app.strings("SELECT status FROM requests WHERE id = $1", &[&id]).await, ["pending"], "nothing changed");
    assert_eq!(app.seat_of(&other, &license_id).await, None);
    let (status, _) = morgan
        .post(&format!("/api/v1/admin/access-requests/{id}/decision"), json!({ "decision": "deny", "reason": "No seats until April." }))
        .await;
    assert_eq!(status, 200);
    let (_, bell) = sam.get("/api/v1/me/notifications").await;
    assert!(bell["items"][0]["body"].as_str().unwrap().contains("No seats until April."), "{bell}");
}

#[tokio::test]
async fn reviewers_named_on_an_app_decide_its_requests_instead_of_app_admins() {
    let app = spawn_app().await;
    let payroll = app.app_id("Payroll").await;
    let finance = app.strings("SELECT id FROM user_groups WHERE name = 'Finance'", &[]).await.remove(0);
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, reviewers) = sam.post(&format!("/api/v1/admin/apps/{payroll}/reviewers"), json!({ "group_id": finance })).await;
    assert_eq!((status, reviewers[0]["name"].as_str()), (200, Some("Finance")), "{reviewers}");
    let alex = Api::as_user(&app, EMPLOYEE).await;
    let (status, asked) = alex.post("/api/v1/me/requests", json!({ "app_id": payroll, "kind": "access", "justification": "Audit" })).await;
    assert_eq!(status, 201);
    let id = asked["request_id"].as_str().unwrap().to_string();

    // Sam (an app admin) no longer reviews Payroll: the request is not found for him.
    let (status, _) = sam.post(&format!("/api/v1/admin/access-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!(status, 404);
    let (_, bell) = sam.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 0, "only the named reviewers are told");
    // A Finance member reviews it from the portal.
    let accountant = app
        .strings(
            "SELECT u.upn FROM users u JOIN group_user_members m ON m.user_id = u.id WHERE m.group_id = $1 \
             AND u.sign_in_blocked = FALSE AND u.mfa_state = 'disabled' AND u.must_change_password = FALSE ORDER BY u.upn",
            &[&finance],
        )
        .await
        .remove(0);
    let reviewer = app.signed_in(&accountant).await;
    let (_, html) = app.page(&reviewer, "/reviews").await;
    assert!(html.contains("Payroll") && html.contains("Audit"), "{html}");
    let res = app.post_form(&reviewer, "/reviews", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(location(&res), "/reviews?done=approved");
    assert_eq!(app.launch(&alex.client, &payroll).await, "https://payroll.woodgrove.example/");

    // Removing the group gives the app back to app admins.
    let (status, _) = sam.delete(&format!("/api/v1/admin/apps/{payroll}/reviewers/groups/{finance}")).await;
    assert_eq!(status, 204);
    let (status, body) = sam.delete(&format!("/api/v1/admin/apps/{payroll}/reviewers/groups/{finance}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_a_reviewer")));
    let audited = app.strings("SELECT action FROM audit_events WHERE action LIKE 'app.reviewer_%' ORDER BY created_at", &[]).await;
    assert_eq!(audited, ["app.reviewer_added", "app.reviewer_removed"]);
}

#[tokio::test]
async fn access_requests_refuse_what_they_cannot_fix_and_nobody_approves_their_own() {
    let app = spawn_app().await;
    let alex = Api::as_user(&app, EMPLOYEE).await;
    let ask = |app_id: &str, kind: &str| json!({ "app_id": app_id, "kind": kind, "justification": "Need it" });
    let (status, body) = alex.post("/api/v1/me/requests", ask(&app.app_id("Team Chat").await, "access")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("access_not_needed")), "{body}");
    assert_eq!(body["error"]["message"], "You can already open this app.");
    // Source Control: assigned, only consent is missing.
    let (status, body) = alex.post("/api/v1/me/requests", ask(&app.app_id("Source Control").await, "access")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("access_not_needed")));
    let (status, body) = alex.post("/api/v1/me/requests", ask(&uuid::Uuid::new_v4().to_string(), "access")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("app_not_found")));
    let (status, _) = alex.post("/api/v1/me/requests", ask(&app.app_id("Payroll").await, "sideways")).await;
    assert_eq!(status, 422);
    let res = app.post_form(&alex.client, "/", "/access/not-an-id/request", &[("justification", "x"), ("ref", "x")]).await;
    assert_eq!(res.status(), 404);
    // A crafted reference is dropped: the way back is always our own page.
    let payroll = app.app_id("Payroll").await;
    let back = request_access(&app, &alex.client, &payroll, "/", "https://evil.example/", "Close the month").await;
    assert_eq!(back, "/launch-refused?ref=&sent=created");
    let (status, body) = alex.get("/api/v1/admin/access-requests").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("admin_required")));
    let id = pending_access(&app, &payroll).await;
    let res = app.post_form(&alex.client, "/", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(res.status(), 403, "Alex reviews nothing");

    // Sam, an app admin, asks for Payroll himself: he cannot approve it.
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, asked) = sam.post("/api/v1/me/requests", ask(&payroll, "access")).await;
    assert_eq!(status, 201, "{asked}");
    let own = asked["request_id"].as_str().unwrap().to_string();
    let (status, body) = sam.post(&format!("/api/v1/admin/access-requests/{own}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("own_request")));
    let (status, body) =
        sam.post(&format!("/api/v1/admin/access-requests/{id}/decision"), json!({ "decision": "block", "reason": "No" })).await;
    assert_eq!(
        (status, body["error"]["fields"]["decision"].as_str()),
        (422, Some("Only consent requests can be blocked; deny this request instead."))
    );
    // A consent request is not decided through the access route, nor the other way round.
    let (status, _) = sam.post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!(status, 403, "consent requests are for privileged admins");
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, _) = morgan.post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!(status, 404);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM requests WHERE status = 'pending'", &[]).await, 2, "nothing was decided");
}

#[tokio::test]
async fn access_requests_remind_the_apps_reviewers_and_expire_like_consent_requests() {
    let app = spawn_app().await;
    let payroll = app.app_id("Payroll").await;
    let alex = Api::as_user(&app, EMPLOYEE).await;
    let (status, asked) =
        alex.post("/api/v1/me/requests", json!({ "app_id": payroll, "kind": "access", "justification": "Audit season" })).await;
    assert_eq!(status, 201);
    let id = asked["request_id"].as_str().unwrap().to_string();
    app.exec("UPDATE requests SET remind_at = created_at WHERE id = $1", &[&id]).await;
    let reminded = || async {
        app.scalar_i64(
            "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id \
             WHERE n.kind = 'request_reminder' AND u.upn_normalized = $1",
            &[APP_ADMIN],
        )
        .await
    };
    for _ in 0..100 {
        if reminded().await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(reminded().await, 1, "Sam, an app admin, reviews Payroll and is reminded");
    app.exec("UPDATE requests SET expires_at = created_at WHERE id = $1", &[&id]).await;
    for _ in 0..100 {
        if app.strings("SELECT status FROM requests WHERE id = $1", &[&id]).await == ["expired"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (_, mine) = alex.get("/api/v1/me/requests").await;
    assert_eq!(mine[0]["status"], "expired", "{mine}");
    let (_, bell) = alex.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Your request for access to Payroll expired");
}
