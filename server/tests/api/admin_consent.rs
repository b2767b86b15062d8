//! The organisation's consent settings: read and changed through the admin
//! API (here with a privileged API token, as a script would) and the page's
//! forms; every change audited with before and after; bad input refused
//! field by field with nothing written; reviewers added and removed, the
//! last one kept while the workflow is on; and the policy in force at the
//! next launch.

use crate::helpers::*;
use serde_json::{json, Value};

struct Script<'a> {
    app: &'a TestApp,
    secret: String,
}

impl Script<'_> {
    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = browser().request(method.parse().unwrap(), self.app.url(path)).bearer_auth(&self.secret);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

async fn script(app: &TestApp) -> Script<'_> {
    let (_, secret) = app.create_api_token("Consent settings", "privileged_admin").await;
    Script { app, secret }
}

const SETTINGS: &str = "/api/v1/admin/consent-settings";

/// The launch stops at "Approval required" (the demo's workflow is on)
/// instead of the consent prompt: the change is in force at once.
async fn assert_approval_required(app: &TestApp, alex: &reqwest::Client, source: &str) {
    assert_eq!(app.launch(alex, source).await, format!("/consent/{source}"));
    let (_, page) = app.page(alex, &format!("/consent/{source}")).await;
    assert!(page.contains("Approval required") && !page.contains("Accept and open"), "in force at the next launch: {page}");
}

#[tokio::test]
async fn settings_are_read_changed_and_audited_and_the_policy_holds_at_the_next_launch() {
    let app = spawn_app().await;
    let api = script(&app).await;
    let (status, view) = api.send("GET", SETTINGS, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        view["settings"],
        json!({"user_consent_policy": "verified_publishers_low_impact", "users_can_remove_consent": true, "workflow_enabled": true,
               "request_expiry_days": 30, "notify_reviewers": true, "reminders": true})
    );
    assert_eq!(view["reviewers"][0]["detail"], PRIVILEGED_ADMIN);

    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"));

    let (status, view) = api.send("PATCH", SETTINGS, Some(json!({"user_consent_policy": "disabled", "request_expiry_days": 14}))).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (view["settings"]["user_consent_policy"].as_str(), view["settings"]["request_expiry_days"].as_i64()),
        (Some("disabled"), Some(14))
    );
    assert_eq!(view["settings"]["reminders"], true, "what was not sent is kept");
    assert_approval_required(&app, &alex, &source).await;
    let audited =
        app.strings("SELECT before_json || ' -> ' || after_json FROM audit_events WHERE action = 'consent_settings.changed'", &[]).await;
    assert_eq!(audited.len(), 1);
    assert!(audited[0].contains("\"request_expiry_days\":30") && audited[0].contains("\"request_expiry_days\":14"), "{audited:?}");

    // Bad input: every problem at once, nothing written.
    for (body, fields) in [
        (json!({"user_consent_policy": "everyone", "request_expiry_days": 0}), vec!["request_expiry_days", "user_consent_policy"]),
        (json!({"request_expiry_days": 366}), vec!["request_expiry_days"]),
        (json!({}), vec!["settings"]),
    ] {
        let (status, answer) = api.send("PATCH", SETTINGS, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        let mut named: Vec<&str> = answer["error"]["fields"].as_object().unwrap().keys().map(String::as_str).collect();
        named.sort();
        assert_eq!(named, fields, "{answer}");
    }
    let (status, _) = api.send("PATCH", SETTINGS, Some(json!({"request_expiry_days": "soon"}))).await;
    assert!((400..500).contains(&status), "a wrong type is a client error: {status}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'consent_settings.changed'", &[]).await, 1);
    assert_eq!(app.scalar_i64("SELECT admin_consent_request_expiry_days FROM organisations WHERE id = $1", &[&app.org_id]).await, 14);
}

#[tokio::test]
async fn reviewers_are_added_and_removed_and_the_workflow_keeps_its_last() {
    let app = spawn_app().await;
    let api = script(&app).await;
    let morgan = app.user_id(PRIVILEGED_ADMIN).await;
    let finance = app.strings("SELECT id FROM user_groups WHERE name = 'Finance'", &[]).await.remove(0);

    let (status, answer) = api.send("POST", &format!("{SETTINGS}/reviewers"), Some(json!({"group_id": finance}))).await;
    assert_eq!((status, answer["changed"].as_bool()), (200, Some(true)));
    assert!(answer["settings"]["reviewers"].as_array().unwrap().iter().any(|r| r["kind"] == "group" && r["name"] == "Finance"));
    let (_, again) = api.send("POST", &format!("{SETTINGS}/reviewers"), Some(json!({"group_id": finance}))).await;
    assert_eq!(again["changed"], false, "a reviewer once");
    for (body, status) in
        [(json!({"user_id": "00000000-0000-4000-8000-000000000000"}), 404), (json!({"user_id": "nope"}), 404), (json!({}), 400)]
    {
        assert_eq!(api.send("POST", &format!("{SETTINGS}/reviewers"), Some(body.clone())).await.0, status, "{body}");
    }

    assert_eq!(api.send("DELETE", &format!("{SETTINGS}/reviewers/groups/{finance}"), None).await.0, 204);
    let (status, answer) = api.send("DELETE", &format!("{SETTINGS}/reviewers/users/{morgan}"), None).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("last_reviewer")), "the workflow is on");
    let (status, answer) = api.send("DELETE", &format!("{SETTINGS}/reviewers/groups/{finance}"), None).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (404, Some("not_a_reviewer")));

    // Off, the last one can go; on again needs one first.
    assert_eq!(api.send("PATCH", SETTINGS, Some(json!({"workflow_enabled": false}))).await.0, 200);
    assert_eq!(api.send("DELETE", &format!("{SETTINGS}/reviewers/users/{morgan}"), None).await.0, 204);
    let (status, answer) = api.send("PATCH", SETTINGS, Some(json!({"workflow_enabled": true}))).await;
    assert_eq!(status, 422);
    assert!(answer["error"]["fields"]["workflow_enabled"].as_str().unwrap().contains("reviewer"), "{answer}");
    let actions = app.strings("SELECT action FROM audit_events WHERE action LIKE 'consent_reviewer.%' ORDER BY created_at, id", &[]).await;
    assert_eq!(actions, ["consent_reviewer.added", "consent_reviewer.removed", "consent_reviewer.removed"]);

    // Another organisation's user cannot be made a reviewer here.
    app.add_other_org().await;
    let stranger = app.strings("SELECT id FROM users WHERE upn_normalized = $1", &[OTHER_ORG_ADMIN]).await.remove(0);
    assert_eq!(api.send("POST", &format!("{SETTINGS}/reviewers"), Some(json!({"user_id": stranger}))).await.0, 404);
}

#[tokio::test]
async fn the_settings_page_saves_with_plain_forms() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (status, page) = app.page(&morgan, "/admin/consent").await;
    assert_eq!(status, 200);
    assert!(page.contains("Consent settings") && page.contains("Morgan Lee"));

    // Unticked boxes are not sent: they switch off.
    let res = app
        .post_form(
            &morgan,
            "/admin/consent",
            "/admin/consent",
            &[("user_consent_policy", "all"), ("request_expiry_days", "7"), ("workflow_enabled", "on")],
        )
        .await;
    assert_eq!(location(&res), "/admin/consent?done=saved");
    let saved = app
        .strings(
            "SELECT user_consent_policy || ' ' || CAST(admin_consent_request_expiry_days AS TEXT) || ' ' || \
             CASE WHEN users_can_remove_consent THEN 'remove' ELSE 'keep' END || ' ' || \
             CASE WHEN admin_consent_reminders THEN 'remind' ELSE 'quiet' END FROM organisations WHERE id = $1",
            &[&app.org_id],
        )
        .await;
    assert_eq!(saved, ["all 7 keep quiet"]);

    let res =
        app.post_form(&morgan, "/admin/consent", "/admin/consent", &[("user_consent_policy", "all"), ("request_expiry_days", "400")]).await;
    assert_eq!(location(&res), "/admin/consent?request_expiry_days=400&errors=request_expiry_days%3Aout_of_range");
    let (_, page) = app.page(&morgan, &location(&res)).await;
    assert!(page.contains("Requests can expire after 1 to 365 days."));

    // Search, add a group, remove it.
    let (_, page) = app.page(&morgan, "/admin/consent?find=Finance").await;
    assert!(page.contains("Add Finance (group) as a reviewer"), "search results offer to add");
    let finance = app.strings("SELECT id FROM user_groups WHERE name = 'Finance'", &[]).await.remove(0);
    let res = app.post_form(&morgan, "/admin/consent", "/admin/consent/reviewers", &[("kind", "group"), ("id", &finance)]).await;
    assert_eq!(location(&res), "/admin/consent?done=reviewer_added");
    let res = app.post_form(&morgan, "/admin/consent", "/admin/consent/reviewers/remove", &[("kind", "group"), ("id", &finance)]).await;
    assert_eq!(location(&res), "/admin/consent?done=reviewer_removed");
    let morgan_id = app.user_id(PRIVILEGED_ADMIN).await;
    let res = app.post_form(&morgan, "/admin/consent", "/admin/consent/reviewers/remove", &[("kind", "user"), ("id", &morgan_id)]).await;
    assert_eq!(location(&res), "/admin/consent?done=last_reviewer");

    // An app admin is refused the page and its posts.
    let sam = app.signed_in(APP_ADMIN).await;
    assert_eq!(app.page(&sam, "/admin/consent").await.0, 403);
    let res = app.post_form(&sam, "/admin", "/admin/consent", &[("user_consent_policy", "disabled"), ("request_expiry_days", "7")]).await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn the_permission_catalogue_is_read_by_admins_and_classified_by_privileged_ones() {
    let app = spawn_app().await;
    let api = script(&app).await;
    let (_, app_admin_secret) = app.create_api_token("Catalogue reader", "app_admin").await;
    let reader = Script { app: &app, secret: app_admin_secret };

    let (status, catalogue) = reader.send("GET", "/api/v1/admin/permissions", None).await;
    assert_eq!(status, 200);
    let oidc = catalogue.as_array().unwrap().iter().find(|a| a["identifier"] == "openid").expect("OpenID Connect's scopes");
    let values: Vec<&str> = oidc["permissions"].as_array().unwrap().iter().filter_map(|p| p["value"].as_str()).collect();
    assert_eq!(values, ["email", "offline_access", "openid", "profile"]);
    let offline = oidc["permissions"].as_array().unwrap().iter().find(|p| p["value"] == "offline_access").unwrap().clone();
    assert_eq!((offline["classification"].as_str(), offline["admin_consent_required"].as_bool()), (Some("low"), Some(false)));
    assert!(offline["requested_by_apps"].as_i64().unwrap() >= 1, "Source Control asks for it");
    let id = offline["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/admin/permissions/{id}");
    assert_eq!(reader.send("PATCH", &path, Some(json!({"classification": "high"}))).await.0, 403, "app admins only read");

    // High impact: Alex may no longer consent to Source Control himself.
    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    let (status, saved) = api.send("PATCH", &path, Some(json!({"classification": "high"}))).await;
    assert_eq!((status, saved["classification"].as_str()), (200, Some("high")));
    assert_approval_required(&app, &alex, &source).await;
    let audited =
        app.strings("SELECT before_json || ' -> ' || after_json FROM audit_events WHERE action = 'permission.classified'", &[]).await;
    assert_eq!(audited, [r#"{"classification":"low","value":"offline_access"} -> {"classification":"high","value":"offline_access"}"#]);
    // Not classified counts as not low, too.
    assert_eq!(api.send("PATCH", &path, Some(json!({"classification": ""}))).await.1["classification"], Value::Null);
    assert_approval_required(&app, &alex, &source).await;
    assert_eq!(api.send("PATCH", &path, Some(json!({"classification": "low"}))).await.0, 200);
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"));
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("Accept and open"), "Alex may consent again");

    for (body, status) in [(json!({"classification": "extreme"}), 422), (json!({}), 422)] {
        assert_eq!(api.send("PATCH", &path, Some(body.clone())).await.0, status, "{body}");
    }
    assert_eq!(
        api.send("PATCH", "/api/v1/admin/permissions/00000000-0000-4000-8000-000000000000", Some(json!({"classification": "low"}))).await.0,
        404
    );
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'permission.classified'", &[]).await, 3);

    // The page: a select for privileged admins, plain text for app admins.
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (status, page) = app.page(&morgan, "/admin/permissions").await;
    assert_eq!(status, 200);
    assert!(page.contains("Maintain access") && page.contains(&format!("/admin/permissions/{id}/classify")));
    let res =
        app.post_form(&morgan, "/admin/permissions", &format!("/admin/permissions/{id}/classify"), &[("classification", "medium")]).await;
    assert_eq!(location(&res), "/admin/permissions?done=classified");
    assert_eq!(app.strings("SELECT classification FROM permissions WHERE id = $1", &[&id]).await, ["medium"]);
    let sam = app.signed_in(APP_ADMIN).await;
    let (status, page) = app.page(&sam, "/admin/permissions").await;
    assert_eq!(status, 200);
    assert!(page.contains("Medium impact") && !page.contains("/classify"));
}
