//! The user's own consent: the prompt a launch stops at, accepting it,
//! My consents, and removing a consent with the tokens issued under it.
//! Source Control (registered in the org, openid + profile +
//! offline_access, all low impact) is one Alex may consent to under the
//! default policy; Alex has consented to Whiteboard; the organisation has
//! consented to Team Chat for everyone.

use crate::helpers::*;
use serde_json::Value;

/// The hidden field of the consent form: the permission ids it shows.
fn shown_permissions(html: &str) -> String {
    let marker = "name=\"permissions\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("the page has the consent form");
    html[start..].split('"').next().unwrap().to_string()
}

async fn grants_of(app: &TestApp, upn: &str, app_id: &str) -> i64 {
    let user = app.user_id(upn).await;
    app.scalar_i64(
        "SELECT COUNT(*) FROM consent_grant_permissions gp JOIN consent_grants g ON g.id = gp.grant_id \
         WHERE g.app_id = $1 AND g.principal_user_id = $2",
        &[app_id, &user],
    )
    .await
}

async fn my_consents(app: &TestApp, client: &reqwest::Client) -> Value {
    client.get(app.url("/api/v1/me/consents")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_launch_stops_at_the_prompt_and_accepting_it_opens_the_app() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"));
    assert_eq!(app.last_launch_reason().await, "failure:consent_required");

    let (status, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert_eq!(status, 200);
    for words in
        ["Source Control wants permission", "Northwind Traders", "Registered by your organisation", "Maintain access", "Low impact"]
    {
        assert!(page.contains(words), "the prompt says {words:?}");
    }
    let shown = shown_permissions(&page);
    assert_eq!(shown.split(',').count(), 3, "only what is missing: openid, profile, offline_access");

    let res = app.post_form(&alex, &format!("/consent/{source}"), &format!("/consent/{source}"), &[("permissions", &shown)]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, format!("/launch/{source}")));
    assert_eq!(grants_of(&app, EMPLOYEE, &source).await, 3);
    assert!(app.launch(&alex, &source).await.starts_with("https://git.northwind.example/login?iss="), "the launch goes on");
    let audited = app
        .strings(
            "SELECT actor_label || ' ' || after_json FROM audit_events WHERE action = 'consent.granted' AND target_id = $1",
            &[&source],
        )
        .await;
    assert_eq!(audited.len(), 1);
    assert!(audited[0].starts_with(EMPLOYEE) && audited[0].contains("offline_access"), "{audited:?}");

    let mine = my_consents(&app, &alex).await;
    let entry = mine["apps"].as_array().unwrap().iter().find(|a| a["app_id"] == source.as_str()).expect("listed");
    assert_eq!((entry["granted_by"].as_str(), entry["removable"].as_bool()), (Some("you"), Some(true)));
    assert_eq!(entry["permissions"].as_array().unwrap().len(), 3);

    // Nothing is missing now: the page says so, and posting again grants nothing.
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("Nothing to approve here"));
}

#[tokio::test]
async fn accepting_other_permissions_than_are_missing_asks_again_and_grants_nothing() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    let shown = shown_permissions(&page);
    let fewer = shown.split(',').take(2).collect::<Vec<_>>().join(",");
    let mail_read = app.strings("SELECT id FROM permissions WHERE value = 'Mail.Send'", &[]).await.remove(0);
    for sent in [fewer, format!("{shown},{mail_read}"), String::new(), "not-an-id,,".to_string()] {
        let res = app.post_form(&alex, &format!("/consent/{source}"), &format!("/consent/{source}"), &[("permissions", &sent)]).await;
        assert_eq!(location(&res), format!("/consent/{source}?changed=1"), "{sent:?}");
    }
    assert_eq!(grants_of(&app, EMPLOYEE, &source).await, 0);
    let (_, page) = app.page(&alex, &format!("/consent/{source}?changed=1")).await;
    assert!(page.contains("changed since you saw it"));
}

#[tokio::test]
async fn where_the_user_may_not_consent_the_server_grants_nothing() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let source = app.app_id("Source Control").await;
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    let shown = shown_permissions(&page);
    // The policy changes after the page was shown (and nobody takes approval requests).
    app.exec("UPDATE organisations SET user_consent_policy = 'disabled', admin_consent_workflow_enabled = FALSE", &[]).await;
    let res = app.post_form(&alex, "/", &format!("/consent/{source}"), &[("permissions", &shown)]).await;
    assert_eq!(location(&res), format!("/launch/{source}"), "back to the launch, which says why");
    assert_eq!(grants_of(&app, EMPLOYEE, &source).await, 0);
    assert!(app.launch(&alex, &source).await.starts_with("/launch-refused"));
    // The prompt itself says an admin has to approve, with no form.
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("An admin has to approve this app") && !page.contains("name=\"permissions\""));

    // An app Alex does not have (not assigned) gets no prompt and no grant.
    app.exec("UPDATE organisations SET user_consent_policy = 'all'", &[]).await;
    let crm = app.app_id("CRM").await;
    let res = app.post_form(&alex, "/", &format!("/consent/{crm}"), &[("permissions", &shown)]).await;
    assert_eq!(location(&res), format!("/launch/{crm}"));
    assert_eq!(grants_of(&app, EMPLOYEE, &crm).await, 0);
    // Nor does an unknown id (the launch says it is not found), nor a malformed one (404).
    let unknown = "00000000-0000-4000-8000-000000000000";
    let res = app.post_form(&alex, "/", &format!("/consent/{unknown}"), &[("permissions", &shown)]).await;
    assert_eq!(location(&res), format!("/launch/{unknown}"));
    let res = app.post_form(&alex, "/", "/consent/nope", &[("permissions", &shown)]).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn removing_a_consent_revokes_its_tokens_at_once_and_the_next_launch_asks_again() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let board = app.app_id("Whiteboard").await;
    let grant =
        app.strings("SELECT id FROM consent_grants WHERE app_id = $1 AND principal_user_id = $2", &[&board, &alex_id]).await.remove(0);
    // Tokens the app holds under the grant (as the OIDC provider issues them).
    app.exec(
        "INSERT INTO oauth_refresh_tokens (token_hash, org_id, app_id, user_id, grant_id, scopes, family_id, created_at, expires_at) \
         VALUES ('r1', $1, $2, $3, $4, 'openid offline_access', 'f1', 0, 9999999999999)",
        &[&app.org_id, &board, &alex_id, &grant],
    )
    .await;
    app.exec(
        "INSERT INTO oauth_access_tokens (token_hash, org_id, app_id, user_id, grant_id, scopes, created_at, expires_at) \
         VALUES ('a1', $1, $2, $3, $4, 'openid', 0, 9999999999999)",
        &[&app.org_id, &board, &alex_id, &grant],
    )
    .await;

    // The confirmation says what will happen.
    let (status, page) = app.page(&alex, &format!("/my-consents/{board}/remove")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Remove Whiteboard?") && page.contains("refresh tokens") && page.contains("asks for your permission again"));
    let res = app.post_form(&alex, &format!("/my-consents/{board}/remove"), &format!("/my-consents/{board}/remove"), &[]).await;
    assert_eq!(location(&res), "/my-consents?notice=removed");

    let tokens = app.scalar_i64("SELECT COUNT(*) FROM oauth_refresh_tokens WHERE grant_id = $1", &[&grant]).await
        + app.scalar_i64("SELECT COUNT(*) FROM oauth_access_tokens WHERE grant_id = $1", &[&grant]).await;
    assert_eq!(tokens, 0, "the tokens went with the grant");
    assert_eq!(grants_of(&app, EMPLOYEE, &board).await, 0);
    let before = app.strings("SELECT before_json FROM audit_events WHERE action = 'consent.revoked' AND target_id = $1", &[&board]).await;
    assert!(before.len() == 1 && before[0].contains("Files.Read"), "{before:?}");
    assert_eq!(app.launch(&alex, &board).await, format!("/consent/{board}"), "the next launch asks again");
    assert!(!my_consents(&app, &alex).await["apps"].as_array().unwrap().iter().any(|a| a["app_id"] == board.as_str()));

    // Again: there is nothing to remove.
    let token = csrf_of(&app, &alex).await;
    let res = alex.delete(app.url(&format!("/api/v1/me/consents/{board}"))).header("x-csrf-token", &token).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let (_, page) = app.page(&alex, &format!("/my-consents/{board}/remove")).await;
    assert!(page.contains("Nothing to remove"));
}

#[tokio::test]
async fn the_organisations_grants_show_as_such_and_only_the_users_own_can_be_removed() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let chat = app.app_id("Team Chat").await;
    let board = app.app_id("Whiteboard").await;
    let mine = my_consents(&app, &alex).await;
    assert_eq!(mine["users_can_remove"], true);
    let apps = mine["apps"].as_array().unwrap();
    let of = |id: &str| apps.iter().find(|a| a["app_id"] == id).cloned().unwrap_or(Value::Null);
    assert_eq!((of(&chat)["granted_by"].as_str(), of(&chat)["removable"].as_bool()), (Some("organisation"), Some(false)));
    assert_eq!(of(&board)["granted_by"], "you");
    // Another user's grants and apps they do not have are not listed.
    let payroll = app.app_id("Payroll").await;
    assert!(of(&payroll).is_null());

    let (status, page) = app.page(&alex, "/my-consents").await;
    assert_eq!(status, 200);
    assert!(page.contains("Granted by your organisation") && page.contains("You consented on") && page.contains("Remove Whiteboard"));
    assert!(!page.contains("Remove Team Chat"));

    let token = csrf_of(&app, &alex).await;
    let delete = |id: String| {
        let (alex, token) = (alex.clone(), token.clone());
        let url = app.url(&format!("/api/v1/me/consents/{id}"));
        async move {
            let res = alex.delete(url).header("x-csrf-token", token).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.map(|b| b["error"]["code"].as_str().unwrap_or("").to_string()).unwrap_or_default())
        }
    };
    assert_eq!(delete(chat.clone()).await, (403, "consent_granted_by_organisation".into()));
    assert_eq!(delete("00000000-0000-4000-8000-000000000000".into()).await, (404, "consent_not_found".into()));
    assert_eq!(delete("not-an-id".into()).await, (404, "app_not_found".into()));
    // Without the CSRF token: refused, nothing removed.
    let res = alex.delete(app.url(&format!("/api/v1/me/consents/{board}"))).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Where the organisation does not let users remove consent.
    app.exec("UPDATE organisations SET users_can_remove_consent = FALSE", &[]).await;
    assert_eq!(delete(board.clone()).await, (403, "consent_removal_disabled".into()));
    assert_eq!(grants_of(&app, EMPLOYEE, &board).await, 4, "still there");
    let (_, page) = app.page(&alex, "/my-consents").await;
    assert!(page.contains("doesn&#x27;t let people remove") || page.contains("doesn't let people remove"));
    assert!(!page.contains("Remove Whiteboard"));
    app.exec("UPDATE organisations SET users_can_remove_consent = TRUE", &[]).await;
    assert_eq!(delete(board).await.0, 204);

    // Signed out: 401.
    let res = browser().get(app.url("/api/v1/me/consents")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}
