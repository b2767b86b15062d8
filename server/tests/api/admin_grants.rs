//! Admin consent: privileged admins see every grant of an app (who, what,
//! when, by whom), grant for the whole organisation or one person, and
//! revoke any grant with the tokens issued under it; nobody else can, and
//! nothing crosses organisations.

use crate::helpers::*;
use serde_json::json;

fn path(app_id: &str) -> String {
    format!("/api/v1/admin/apps/{app_id}/consents")
}

#[tokio::test]
async fn every_grant_of_an_app_is_listed_with_who_what_when_and_by_whom() {
    let app = spawn_app().await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (status, chat) = morgan.get(&path(&app.app_id("Team Chat").await)).await;
    assert_eq!(status, 200, "{chat}");
    let grant = &chat["grants"][0];
    assert_eq!((grant["subject"]["kind"].as_str(), grant["granted_by"].as_str()), (Some("organisation"), Some("Morgan Lee")));
    let values: Vec<&str> = grant["permissions"].as_array().unwrap().iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["email", "openid", "profile"]);
    let (_, board) = morgan.get(&path(&app.app_id("Whiteboard").await)).await;
    let own = &board["grants"][0];
    assert_eq!((own["subject"]["upn"].as_str(), own["granted_by"].as_str()), (Some(EMPLOYEE), Some("Alex Wu")), "{board}");
    assert_eq!(board["requested"].as_array().unwrap().len(), 4);
    let (status, page) = app.page(&morgan.client, &format!("/admin/apps/{}/consents", app.app_id("Whiteboard").await)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Alex Wu (alex.wu@northwind.example)") && page.contains("Grant for everyone in the organisation"), "{page}");
}

#[tokio::test]
async fn an_admin_grants_for_one_person_then_everyone_and_revokes_with_the_tokens() {
    let app = spawn_app().await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let source = app.app_id("Source Control").await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let alex = app.signed_in(EMPLOYEE).await;
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"));

    // For Alex only.
    let (status, after) = morgan.post(&path(&source), json!({ "user_id": alex_id })).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["grants"][0]["subject"]["user_id"], alex_id.as_str());
    assert_eq!(after["grants"][0]["granted_by"], PRIVILEGED_ADMIN);
    assert!(app.launch(&alex, &source).await.starts_with("https://git.northwind.example/"), "Alex's launch goes through");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM consent_grants WHERE app_id = $1 AND principal_user_id IS NULL", &[&source]).await,
        0,
        "nobody else's"
    );

    // For everyone, from the page.
    let page = format!("/admin/apps/{source}/consents");
    let res = app.post_form(&morgan.client, &page, &page, &[("scope", "organisation")]).await;
    assert_eq!(location(&res), format!("{page}?done=granted"));
    let (_, after) = morgan.get(&path(&source)).await;
    let org = &after["grants"][0];
    assert_eq!((org["subject"]["kind"].as_str(), org["permissions"].as_array().unwrap().len()), (Some("organisation"), 3));
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'consent.granted' AND target_id = $1", &[&source]).await,
        2
    );

    // Revoked, with the tokens issued under it.
    let grant = org["id"].as_str().unwrap().to_string();
    app.exec(
        "INSERT INTO oauth_refresh_tokens (token_hash, org_id, app_id, user_id, grant_id, scopes, family_id, created_at, expires_at) \
         VALUES ('r9', $1, $2, $3, $4, 'openid offline_access', 'f9', 0, 9999999999999)",
        &[&app.org_id, &source, &alex_id, &grant],
    )
    .await;
    let (status, _) = morgan.delete(&format!("{}/{grant}", path(&source))).await;
    assert_eq!(status, 204);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM oauth_refresh_tokens WHERE grant_id = $1", &[&grant]).await, 0);
    let (status, body) = morgan.delete(&format!("{}/{grant}", path(&source))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("grant_not_found")));
    let revoked = app.strings("SELECT before_json FROM audit_events WHERE action = 'consent.revoked' AND target_id = $1", &[&source]).await;
    assert!(revoked.len() == 1 && revoked[0].contains("organisation"), "{revoked:?}");
    // Alex's own grant stands; the page revokes it too.
    let own = app.strings("SELECT id FROM consent_grants WHERE app_id = $1", &[&source]).await.remove(0);
    let res = app.post_form(&morgan.client, &page, &format!("{page}/{own}/revoke"), &[]).await;
    assert_eq!(location(&res), format!("{page}?done=grant_revoked"));
    assert_eq!(app.launch(&alex, &source).await, format!("/consent/{source}"), "the next launch asks again");
}

#[tokio::test]
async fn only_privileged_admins_grant_and_bad_grants_change_nothing() {
    let app = spawn_app().await;
    app.add_other_org().await;
    let source = app.app_id("Source Control").await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    assert_eq!(sam.get(&path(&source)).await.0, 403);
    assert_eq!(sam.post(&path(&source), json!({})).await.0, 403);
    let boss = Api::as_user(&app, OTHER_ORG_ADMIN).await;
    assert_eq!(boss.get(&path(&source)).await.0, 404, "another organisation's app is not found");
    assert_eq!(boss.post(&path(&source), json!({})).await.0, 404);

    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let files = app.strings("SELECT id FROM permissions WHERE value = 'Files.Read'", &[]).await.remove(0);
    for (body, status, code) in [
        (json!({ "user_id": uuid::Uuid::new_v4().to_string() }), 404, "user_not_found"),
        (json!({ "user_id": "nope" }), 404, "user_not_found"),
        (json!({ "user_id": "22222222-2222-4222-8222-222222222222" }), 404, "user_not_found"),
        (json!({ "permission_ids": [files] }), 422, "validation_failed"),
        (json!({ "permission_ids": [] }), 422, "validation_failed"),
    ] {
        let (got, answer) = morgan.post(&path(&source), body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body}: {answer}");
    }
    let (status, body) = morgan.post(&path(&app.app_id("Mail").await), json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("nothing_to_grant")));
    assert_eq!(morgan.get(&path(&uuid::Uuid::new_v4().to_string())).await.0, 404);
    assert_eq!(morgan.get("/api/v1/admin/apps/not-an-id/consents").await.0, 404);
    let res = app
        .post_form(
            &morgan.client,
            "/",
            &format!("/admin/apps/{source}/consents"),
            &[("scope", "user"), ("upn", "nobody@northwind.example")],
        )
        .await;
    assert_eq!(location(&res), format!("/admin/apps/{source}/consents?done=no_such_user"));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM consent_grants WHERE app_id = $1", &[&source]).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'consent.granted'", &[]).await, 0);
}
