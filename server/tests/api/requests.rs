//! The admin-consent workflow end to end: "Approval required" with a
//! justification, one pending request per app (asking again sends
//! nothing, others join), the reviewers' queue, approve / deny / block /
//! unblock, notifications, My requests with history, expiry and reminders
//! from the background task (also with two replicas), and e-mail to a real
//! SMTP server. In the demo the workflow is on and Morgan Lee reviews;
//! with user consent switched off, Alex may not consent to Source Control
//! and has to ask.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// Switches user consent off, so a user's missing consent goes to reviewers.
async fn user_consent_off(app: &TestApp) {
    let morgan = Api::as_user(app, PRIVILEGED_ADMIN).await;
    let (status, body) = morgan.patch("/api/v1/admin/consent-settings", json!({ "user_consent_policy": "disabled" })).await;
    assert_eq!(status, 200, "{body}");
}

/// "Request approval" on the consent page: where it sends the browser.
async fn ask(app: &TestApp, client: &reqwest::Client, app_id: &str, justification: &str) -> String {
    let page = format!("/consent/{app_id}");
    let res = app.post_form(client, &page, &format!("{page}/request"), &[("justification", justification)]).await;
    assert_eq!(res.status(), 303);
    location(&res)
}

async fn requests_of(app: &TestApp, app_id: &str) -> Vec<String> {
    app.strings("SELECT status FROM requests WHERE app_id = $1 ORDER BY created_at, id", &[app_id]).await
}

async fn request_id(app: &TestApp, app_id: &str) -> String {
    app.strings("SELECT id FROM requests WHERE app_id = $1 AND status = 'pending'", &[app_id]).await.remove(0)
}

/// Alex's pending request for Source Control, with user consent off.
struct Asked {
    source: String,
    alex: reqwest::Client,
    id: String,
}

async fn alex_asked(app: &TestApp) -> Asked {
    user_consent_off(app).await;
    let source = app.app_id("Source Control").await;
    let alex = app.signed_in(EMPLOYEE).await;
    ask(app, &alex, &source, "Code reviews").await;
    let id = request_id(app, &source).await;
    Asked { source, alex, id }
}

/// Waits (up to 10 s) for the background task to make `check` true.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn another_engineer(app: &TestApp) -> String {
    app.strings(
        "SELECT u.upn FROM users u JOIN group_user_members m ON m.user_id = u.id JOIN user_groups g ON g.id = m.group_id \
         WHERE g.name IN ('Engineering', 'Platform Team', 'Frontend Team') AND u.upn_normalized NOT IN ($1, $2, $3) AND u.sign_in_blocked = FALSE \
           AND u.mfa_state = 'disabled' AND u.must_change_password = FALSE ORDER BY u.upn",
        &[EMPLOYEE, PRIVILEGED_ADMIN, APP_ADMIN],
    )
    .await
    .into_iter()
    .next()
    .expect("a second engineer in the demo")
}

#[tokio::test]
async fn asking_for_approval_sends_one_request_and_asking_again_sends_nothing() {
    let app = spawn_app().await;
    user_consent_off(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"), "the launch stops at Approval required");
    assert_eq!(app.last_launch_reason().await, "failure:consent_required");
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("Approval required") && page.contains("Why do you need this app?"), "{page}");
    assert!(!page.contains("Accept and open"), "no consent button where the user may not consent");

    // Empty and oversized justifications come back with what was typed; nothing is sent.
    let back = ask(&app, &alex, &source, "   ").await;
    assert!(back.contains("errors=justification%3Amissing"), "{back}");
    let long = "x".repeat(1001);
    let back = ask(&app, &alex, &source, &long).await;
    assert!(back.contains("errors=justification%3Atoo_long") && back.contains(&"x".repeat(1001)), "{back}");
    let (_, page) = app.page(&alex, &back).await;
    assert!(page.contains("A justification can be at most 1,000 characters long."));
    assert!(requests_of(&app, &source).await.is_empty());

    assert_eq!(ask(&app, &alex, &source, "I review the platform team's code.").await, format!("/consent/{source}?sent=created"));
    let (_, page) = app.page(&alex, &format!("/consent/{source}?sent=created")).await;
    assert!(page.contains("Request sent") && page.contains("You asked on"), "{page}");
    // Asking again submits nothing new and says when they asked.
    assert_eq!(ask(&app, &alex, &source, "Again").await, format!("/consent/{source}?sent=already_asked"));
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("You already asked") && page.contains("You asked for approval on"), "{page}");
    let api = Api::as_user(&app, EMPLOYEE).await;
    let (status, again) = api.post("/api/v1/me/requests", json!({ "app_id": source, "justification": "Once more" })).await;
    assert_eq!((status, again["outcome"].as_str()), (200, Some("already_asked")), "{again}");
    assert_eq!(requests_of(&app, &source).await, ["pending"]);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM request_requesters", &[]).await, 1);
    let asked = app.strings("SELECT justification FROM request_requesters", &[]).await;
    assert_eq!(asked, ["I review the platform team's code."], "the first justification stands");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM request_permissions", &[]).await, 3, "what was missing: 3 permissions");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'consent_request.asked'", &[]).await, 1);

    // My requests: pending, with its history.
    let (status, mine) = api.get("/api/v1/me/requests").await;
    assert_eq!(status, 200);
    let mine = mine.as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0]["status"].as_str(), mine[0]["app_name"].as_str()), (Some("pending"), Some("Source Control")));
    assert_eq!(mine[0]["history"][0]["event"], "asked");
    let (_, page) = app.page(&alex, "/my-requests").await;
    assert!(page.contains("Waiting for review") && page.contains("I review the platform team"), "{page}");

    // The reviewer is told, in the portal.
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 1, "{bell}");
    assert_eq!(bell["items"][0]["title"], "Alex Wu asks for approval of Source Control");
    assert_eq!(bell["items"][0]["link"], "/reviews");
    let (_, page) = app.page(&morgan.client, "/").await;
    assert!(page.contains("Notifications: 1 unread"), "the bell shows the count");
    let (_, alex_bell) = api.get("/api/v1/me/notifications").await;
    assert_eq!(alex_bell["unread"], 0, "the requester is not told of their own request");
}

#[tokio::test]
async fn a_second_requester_joins_the_pending_request_and_reviewers_see_both() {
    let app = spawn_app().await;
    user_consent_off(&app).await;
    let source = app.app_id("Source Control").await;
    let alex = app.signed_in(EMPLOYEE).await;
    ask(&app, &alex, &source, "Code reviews").await;
    let other = another_engineer(&app).await;
    let them = app.signed_in(&other).await;
    assert_eq!(ask(&app, &them, &source, "On-call fixes").await, format!("/consent/{source}?sent=joined"));
    assert_eq!(requests_of(&app, &source).await, ["pending"], "one request per app");

    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, queue) = morgan.get("/api/v1/admin/consent-requests").await;
    assert_eq!(status, 200, "{queue}");
    let apps = queue["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!((apps[0]["app_name"].as_str(), apps[0]["publisher"].as_str()), (Some("Source Control"), Some("Northwind Traders")));
    let request = &apps[0]["requests"][0];
    let justifications: Vec<&str> =
        request["requesters"].as_array().unwrap().iter().map(|r| r["justification"].as_str().unwrap()).collect();
    assert_eq!(justifications, ["Code reviews", "On-call fixes"]);
    let permissions: Vec<&str> = request["permissions"].as_array().unwrap().iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(permissions, ["offline_access", "openid", "profile"]);
    assert_eq!(request["permissions"][0]["classification"], "low");
    let (_, page) = app.page(&morgan.client, "/reviews").await;
    for words in ["Source Control", "Code reviews", "On-call fixes", "Maintain access", "Low impact", "Approve Source Control for everyone"]
    {
        assert!(page.contains(words), "the queue shows {words:?}");
    }
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 2, "a notice for each requester");
}

#[tokio::test]
async fn approving_grants_the_organisation_and_the_next_launch_goes_through() {
    let app = spawn_app().await;
    let Asked { source, alex, id } = alex_asked(&app).await;

    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let res = app.post_form(&morgan, "/reviews", &format!("/reviews/{id}"), &[("decision", "approve"), ("reason", "")]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/reviews?done=approved".to_string()));
    assert!(app.launch(&alex, &source).await.starts_with("https://git.northwind.example/"), "the organisation's grant covers Alex");
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM consent_grant_permissions gp JOIN consent_grants g ON g.id = gp.grant_id \
             WHERE g.app_id = $1 AND g.principal_user_id IS NULL",
            &[&source]
        )
        .await,
        3
    );

    let api = Api::as_user(&app, EMPLOYEE).await;
    let (_, bell) = api.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Your request for approval of Source Control was approved", "{bell}");
    let (_, mine) = api.get("/api/v1/me/requests").await;
    assert_eq!(mine[0]["status"], "approved");
    assert_eq!((mine[0]["history"][1]["event"].as_str(), mine[0]["history"][1]["by"].as_str()), (Some("approved"), Some("Morgan Lee")));
    let (_, page) = app.page(&alex, "/my-requests").await;
    assert!(page.contains("Approved by Morgan Lee"), "{page}");

    // Decided once: a second decision is refused and changes nothing.
    let reviewer = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, body) =
        reviewer.post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "deny", "reason": "Too late" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("request_decided")), "{body}");
    assert_eq!(requests_of(&app, &source).await, ["approved"]);
    let audited =
        app.strings("SELECT actor_label || ' ' || after_json FROM audit_events WHERE action = 'consent_request.approved'", &[]).await;
    assert_eq!(audited.len(), 1);
    assert!(audited[0].starts_with(PRIVILEGED_ADMIN), "{audited:?}");
}

#[tokio::test]
async fn a_denial_needs_a_reason_is_told_and_people_may_ask_again() {
    let app = spawn_app().await;
    let Asked { source, alex, id } = alex_asked(&app).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let decide = format!("/api/v1/admin/consent-requests/{id}/decision");

    let (status, body) = morgan.post(&decide, json!({ "decision": "deny" })).await;
    assert_eq!((status, body["error"]["fields"]["reason"].as_str()), (422, Some("Give a reason: the requester sees it.")), "{body}");
    let (status, body) = morgan.post(&decide, json!({ "decision": "deny", "reason": "x".repeat(501) })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = morgan.post(&decide, json!({ "decision": "maybe", "reason": "x" })).await;
    assert_eq!(status, 422, "{body}");
    // The page's form comes back with the problem and what was typed.
    let res = app.post_form(&morgan.client, "/reviews", &format!("/reviews/{id}"), &[("decision", "block"), ("reason", " ")]).await;
    assert!(location(&res).contains("errors=reason%3Amissing"), "{}", location(&res));
    assert_eq!(requests_of(&app, &source).await, ["pending"], "nothing changed");

    let (status, body) = morgan.post(&decide, json!({ "decision": "deny", "reason": "Use the mirror instead." })).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("denied")), "{body}");
    let api = Api::as_user(&app, EMPLOYEE).await;
    let (_, bell) = api.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Your request for approval of Source Control was denied");
    assert!(bell["items"][0]["body"].as_str().unwrap().contains("Reason: Use the mirror instead."), "{bell}");
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"), "still Approval required");

    // Users may ask again: a new request.
    assert_eq!(ask(&app, &alex, &source, "The mirror is down").await, format!("/consent/{source}?sent=created"));
    assert_eq!(requests_of(&app, &source).await, ["denied", "pending"]);
    let (_, mine) = api.get("/api/v1/me/requests").await;
    assert_eq!((mine[0]["status"].as_str(), mine[1]["status"].as_str()), (Some("pending"), Some("denied")));
    assert_eq!(mine[1]["history"][1]["text"], "Use the mirror instead.");

    // Mark as read: the count goes down, only for the caller.
    let (status, marked) = api.post("/api/v1/me/notifications/read", json!({})).await;
    assert_eq!((status, marked["marked"].as_u64()), (200, Some(1)));
    let (_, bell) = api.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 0);
    let (_, theirs) = morgan.get("/api/v1/me/notifications").await;
    assert_eq!(theirs["unread"], 2, "the reviewer's own are untouched");
}

#[tokio::test]
async fn a_block_stops_requests_and_consent_until_unblocked() {
    let app = spawn_app().await;
    let Asked { source, alex, id } = alex_asked(&app).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, _) = morgan
        .post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "block", "reason": "Under security review" }))
        .await;
    assert_eq!(status, 200);
    let api = Api::as_user(&app, EMPLOYEE).await;
    let (status, body) = api.post("/api/v1/me/requests", json!({ "app_id": source, "justification": "Please" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("app_blocked")), "{body}");
    assert!(app.launch(&alex, &source).await.starts_with("/launch-refused"), "no prompt for a blocked app");

    // Even where the policy would let Alex consent, a block holds.
    let (status, _) = morgan.patch("/api/v1/admin/consent-settings", json!({ "user_consent_policy": "verified_low" })).await;
    assert_eq!(status, 200);
    assert!(app.launch(&alex, &source).await.starts_with("/launch-refused"));
    let (_, queue) = morgan.get("/api/v1/admin/consent-requests?status=blocked").await;
    assert_eq!(queue["apps"][0]["requests"][0]["decision_reason"], "Under security review", "{queue}");
    assert_eq!(queue["blocked_apps"][0]["app_name"], "Source Control");

    let (status, _) = morgan.delete(&format!("/api/v1/admin/consent-blocks/{source}")).await;
    assert_eq!(status, 204);
    let (status, body) = morgan.delete(&format!("/api/v1/admin/consent-blocks/{source}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_blocked")));
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"), "the prompt again");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'application.consent_unblocked'", &[]).await, 1);
}

#[tokio::test]
async fn nobody_reviews_their_own_request_and_only_reviewers_review() {
    let app = spawn_app().await;
    user_consent_off(&app).await;
    let source = app.app_id("Source Control").await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    // Alex becomes a reviewer too.
    let (status, _) = morgan.post("/api/v1/admin/consent-settings/reviewers", json!({ "user_id": alex_id })).await;
    assert_eq!(status, 200);
    let alex = app.signed_in(EMPLOYEE).await;
    ask(&app, &alex, &source, "Code reviews").await;
    let id = request_id(&app, &source).await;
    let (status, _) = app.page(&alex, "/reviews").await;
    assert_eq!(status, 200);
    let res = app.post_form(&alex, "/reviews", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(res.status(), 403, "own request");
    let page = res.text().await.unwrap();
    assert!(page.contains("another reviewer has to decide it"), "the page says why: {page}");

    // An app admin who is no consent reviewer (he reviews access requests):
    // the request is not found for him, in the queue, its forms or the API.
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let res = app.post_form(&sam.client, "/", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(res.status(), 404);
    let (status, _) = sam.get("/api/v1/admin/consent-requests").await;
    assert_eq!(status, 403);
    let (_, page) = app.page(&sam.client, "/reviews").await;
    assert!(!page.contains("Code reviews") && page.contains("Nothing here."), "{page}");
    // An employee who reviews nothing is refused the forms outright.
    let other = app.signed_in(&another_engineer(&app).await).await;
    let res = app.post_form(&other, "/", &format!("/reviews/{id}"), &[("decision", "approve")]).await;
    assert_eq!(res.status(), 403);
    let (_, page) = app.page(&other, "/reviews").await;
    assert!(page.contains("Only your organisation&#x27;s reviewers") || page.contains("Only your organisation's reviewers"), "{page}");
    assert_eq!(requests_of(&app, &source).await, ["pending"]);

    // A privileged API token decides, and the history names it.
    let (_, secret) = app.create_api_token("Approvals bot", "privileged_admin").await;
    let res = browser()
        .post(app.url(&format!("/api/v1/admin/consent-requests/{id}/decision")))
        .bearer_auth(&secret)
        .json(&json!({ "decision": "approve" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let api = Api::as_user(&app, EMPLOYEE).await;
    let (_, mine) = api.get("/api/v1/me/requests").await;
    assert_eq!(mine[0]["history"][1]["by"], "API token \u{201c}Approvals bot\u{201d}");
}

#[tokio::test]
async fn bad_requests_get_clear_answers_and_change_nothing() {
    let app = spawn_app().await;
    user_consent_off(&app).await;
    app.add_other_org().await;
    let api = Api::as_user(&app, EMPLOYEE).await;
    let ask = |app_id: &str| json!({ "app_id": app_id, "justification": "Need it" });
    for (app_id, status, code) in [
        ("not-a-uuid".to_string(), 404, "app_not_found"),
        (uuid::Uuid::new_v4().to_string(), 404, "app_not_found"),
        // Team Chat: the organisation granted it already.
        (app.app_id("Team Chat").await, 409, "approval_not_needed"),
        // Payroll: not Alex's (the launch stops earlier than consent).
        (app.app_id("Payroll").await, 409, "approval_not_needed"),
    ] {
        let (got, body) = api.post("/api/v1/me/requests", ask(&app_id)).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{app_id}: {body}");
    }
    let source = app.app_id("Source Control").await;
    let (status, body) = api.post("/api/v1/me/requests", json!({ "app_id": source, "justification": "" })).await;
    assert_eq!(
        (status, body["error"]["fields"]["justification"].as_str()),
        (422, Some("Say why you need this app, so a reviewer can decide."))
    );
    let (status, _) = api.post("/api/v1/me/requests", json!({ "app_id": source })).await;
    assert_eq!(status, 422, "a missing justification is refused by the body's shape");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM requests", &[]).await, 0);

    // Another organisation's admin finds none of this organisation's requests.
    let (status, _) = api.post("/api/v1/me/requests", json!({ "app_id": source, "justification": "Need it" })).await;
    assert_eq!(status, 201);
    let id = request_id(&app, &source).await;
    let boss = Api::as_user(&app, OTHER_ORG_ADMIN).await;
    let (status, body) = boss.post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("request_not_found")));
    let (_, queue) = boss.get("/api/v1/admin/consent-requests").await;
    assert_eq!(queue["apps"].as_array().unwrap().len(), 0);
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, _) = morgan.get("/api/v1/admin/consent-requests?status=sideways").await;
    assert_eq!(status, 400);
    let (status, _) = morgan.post("/api/v1/admin/consent-requests/nope/decision", json!({ "decision": "approve" })).await;
    assert_eq!(status, 404);
    for query in ["limit=0", "limit=101", "limit=x"] {
        let (status, _) = api.get(&format!("/api/v1/me/notifications?{query}")).await;
        assert_eq!(status, 400, "{query}");
    }
    let (status, _) = api.post("/api/v1/me/notifications/read", json!({ "ids": ["nope"] })).await;
    assert_eq!(status, 400);
    let (status, _) = api.post("/api/v1/me/notifications/read", json!({ "ids": [] })).await;
    assert_eq!(status, 400);
    assert_eq!(requests_of(&app, &source).await, ["pending"]);
}

#[tokio::test]
async fn pending_requests_expire_and_requesters_are_told() {
    let app = spawn_app().await;
    let Asked { source, alex, id } = alex_asked(&app).await;
    let expiry = app.scalar_i64("SELECT expires_at - created_at FROM requests WHERE id = $1", &[&id]).await;
    assert_eq!(expiry, 30 * 24 * 3600 * 1000, "the org's 30 days");
    // Its time is up.
    app.exec("UPDATE requests SET expires_at = created_at - 1 WHERE id = $1", &[&id]).await;
    eventually("the request to expire", || async { requests_of(&app, &source).await == ["expired"] }).await;
    let api = Api::as_user(&app, EMPLOYEE).await;
    let (_, bell) = api.get("/api/v1/me/notifications").await;
    assert_eq!(bell["items"][0]["title"], "Your request for approval of Source Control expired", "{bell}");
    let (_, mine) = api.get("/api/v1/me/requests").await;
    assert_eq!(mine[0]["history"][1]["event"], "expired");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'request.expired' AND target_id = $1", &[&id]).await, 1);
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, body) = morgan.post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("request_decided")));
    assert_eq!(ask(&app, &alex, &source, "Still need it").await, format!("/consent/{source}?sent=created"), "they can ask again");
}

#[tokio::test]
async fn reviewers_are_reminded_once_and_not_when_reminders_are_off() {
    let app = spawn_app().await;
    let Asked { id, .. } = alex_asked(&app).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let reminders = || async { app.scalar_i64("SELECT COUNT(*) FROM notifications WHERE kind = 'request_reminder'", &[]).await };
    assert_eq!(reminders().await, 0);
    app.exec("UPDATE requests SET remind_at = created_at WHERE id = $1", &[&id]).await;
    eventually("a reminder", || async { reminders().await == 1 }).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(reminders().await, 1, "once");
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    assert!(bell["items"][0]["title"].as_str().unwrap().starts_with("Reminder: a request for approval of Source Control"), "{bell}");

    // With reminders off, a due reminder is dropped.
    let (status, _) = morgan.patch("/api/v1/admin/consent-settings", json!({ "reminders": false })).await;
    assert_eq!(status, 200);
    // Whiteboard: the other engineer has not consented to it (Alex has).
    let other = another_engineer(&app).await;
    let whiteboard = app.app_id("Whiteboard").await;
    let them = app.signed_in(&other).await;
    assert_eq!(ask(&app, &them, &whiteboard, "Sketches").await, format!("/consent/{whiteboard}?sent=created"));
    let second = request_id(&app, &whiteboard).await;
    app.exec("UPDATE requests SET remind_at = created_at WHERE id = $1", &[&second]).await;
    eventually("the reminder to be dropped", || async {
        app.scalar_i64("SELECT COUNT(*) FROM requests WHERE id = $1 AND reminded_at IS NOT NULL", &[&second]).await == 1
    })
    .await;
    assert_eq!(reminders().await, 1, "no new reminder");
}

#[tokio::test]
async fn two_replicas_expire_each_request_exactly_once() {
    use app::ports::{AuditEvent, RequestsStore};
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let alex = app.user_id(EMPLOYEE).await;
    let apps = app.strings("SELECT id FROM applications WHERE org_id = $1 ORDER BY id", &[&app.org_id]).await;
    assert!(apps.len() >= 20, "enough apps to race over");
    for app_id in &apps {
        let audit = AuditEvent {
            org_id: app.org_id.clone(),
            actor_user_id: Some(alex.clone()),
            actor_token_id: None,
            actor_label: EMPLOYEE.into(),
            action: "consent_request.asked".into(),
            target_type: "request".into(),
            target_id: app_id.clone(),
            before_json: None,
            after_json: None,
            correlation_id: "test".into(),
            at: server::time::now_ms(),
        };
        app.store.ask_consent(&app.org_id, app_id, &alex, "Race", &[], false, audit).await.unwrap();
    }
    // Every request's time is up at once, for both replicas' background tasks.
    app.exec("UPDATE requests SET expires_at = 0", &[]).await;
    eventually("every request to expire", || async {
        app.scalar_i64("SELECT COUNT(*) FROM requests WHERE status = 'pending'", &[]).await == 0
    })
    .await;
    let n = apps.len() as i64;
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM requests WHERE status = 'expired'", &[]).await, n);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'request.expired'", &[]).await, n, "each once");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM notifications WHERE kind = 'request_outcome' AND user_id = $1", &[&alex]).await,
        n,
        "one notice per request"
    );
    drop(replica);
}

/// A real SMTP server (Python's aiosmtpd) writing what it receives into a
/// maildir; stopped when dropped.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let mut child = std::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test.sh installs it: pip install aiosmtpd)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return SmtpSink { child, port, dir };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start (is it installed? pip install aiosmtpd)");
    }

    /// Every message received so far, as raw text.
    fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(new) else { return Vec::new() };
        entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A message's header, unfolded.
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn notifications_arrive_by_email_with_recipient_subject_and_link() {
    let smtp = SmtpSink::start().await;
    let port = smtp.port;
    let app = spawn_app_with(move |c| {
        c.smtp_host = Some(format!("127.0.0.1:{port}"));
        c.smtp_tls = "none".into();
        c.smtp_from = "My Apps <portal@northwind.example>".into();
    })
    .await;
    user_consent_off(&app).await;
    let source = app.app_id("Source Control").await;
    let alex = app.signed_in(EMPLOYEE).await;
    ask(&app, &alex, &source, "Code reviews").await;
    let reviewer_email = app.strings("SELECT email FROM users WHERE upn_normalized = $1", &[PRIVILEGED_ADMIN]).await.remove(0);
    eventually("the reviewer's e-mail", || async { !smtp.messages().is_empty() }).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let mail = &messages[0];
    assert!(header(mail, "To").unwrap().contains(&reviewer_email), "{mail}");
    assert_eq!(header(mail, "Subject"), Some("Alex Wu asks for approval of Source Control"));
    assert!(header(mail, "From").unwrap().contains("portal@northwind.example"));
    assert!(mail.contains(&format!("{}/reviews", app.address)), "the link to the queue: {mail}");

    let id = request_id(&app, &source).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, _) = morgan
        .post(&format!("/api/v1/admin/consent-requests/{id}/decision"), json!({ "decision": "deny", "reason": "Use the mirror" }))
        .await;
    assert_eq!(status, 200);
    eventually("the requester's e-mail", || async { smtp.messages().len() == 2 }).await;
    let alex_email = app.strings("SELECT email FROM users WHERE upn_normalized = $1", &[EMPLOYEE]).await.remove(0);
    let outcome = smtp.messages().into_iter().find(|m| header(m, "To").is_some_and(|t| t.contains(&alex_email))).expect("to Alex");
    assert_eq!(header(&outcome, "Subject"), Some("Your request for approval of Source Control was denied"));
    assert!(outcome.contains("Use the mirror") && outcome.contains(&format!("{}/my-requests", app.address)), "{outcome}");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM notifications WHERE email_to IS NOT NULL AND emailed_at IS NULL", &[]).await,
        0,
        "every e-mail recorded as sent"
    );
}

#[tokio::test]
async fn following_a_notification_marks_it_read_and_goes_to_its_page() {
    let app = spawn_app().await;
    alex_asked(&app).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    let id = bell["items"][0]["id"].as_str().unwrap().to_string();
    let (_, page) = app.page(&morgan.client, "/notifications").await;
    assert!(page.contains(&format!("/notifications/{id}/open")) && page.contains("1 unread"), "{page}");
    let res = morgan.client.get(app.url(&format!("/notifications/{id}/open"))).header("accept", "text/html").send().await.unwrap();
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/reviews".to_string()));
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 0);
    // Someone else's, or none: not found, and nothing changes.
    let alex = app.signed_in(EMPLOYEE).await;
    app.exec("UPDATE notifications SET read_at = NULL", &[]).await;
    let res = alex.get(app.url(&format!("/notifications/{id}/open"))).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = alex.get(app.url("/notifications/nope/open")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 404);
    let (_, bell) = morgan.get("/api/v1/me/notifications").await;
    assert_eq!(bell["unread"], 1, "still unread: Alex could not touch Morgan's");
}
