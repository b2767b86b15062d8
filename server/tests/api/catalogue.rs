//! The permission catalogue beyond classifying: every organisation has
//! OpenID Connect's standard scopes; privileged admins register APIs and
//! their permissions (checked field by field, scopes unique in the
//! organisation), and delete those no app asks for.

use crate::helpers::*;
use serde_json::{json, Value};

fn api_named<'a>(catalogue: &'a Value, name: &str) -> &'a Value {
    catalogue.as_array().unwrap().iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("{name} in {catalogue}"))
}

#[tokio::test]
async fn every_organisation_has_the_standard_openid_connect_scopes() {
    let app = spawn_app().await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (_, catalogue) = morgan.get("/api/v1/admin/permissions").await;
    let standard = api_named(&catalogue, "OpenID Connect");
    let values: Vec<&str> = standard["permissions"].as_array().unwrap().iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["email", "offline_access", "openid", "profile"]);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM apis WHERE identifier = 'openid'", &[]).await, 1, "once");

    // An organisation made another way gets them when a server starts.
    app.add_other_org().await;
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM apis WHERE identifier = 'openid'", &[]).await, 1);
    let _replica = app.spawn_replica().await;
    let boss = Api::as_user(&app, OTHER_ORG_ADMIN).await;
    let (_, theirs) = boss.get("/api/v1/admin/permissions").await;
    let standard = api_named(&theirs, "OpenID Connect");
    assert_eq!(standard["permissions"].as_array().unwrap().len(), 4, "{theirs}");
    assert!(standard["permissions"].as_array().unwrap().iter().all(|p| p["classification"] == "low"));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM permissions WHERE value = 'openid'", &[]).await, 2, "one per organisation");
}

#[tokio::test]
async fn a_privileged_admin_registers_an_api_and_permissions_apps_then_ask_for() {
    let app = spawn_app().await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let api = json!({ "name": "Reports", "identifier": "https://reports.northwind.example", "description": "Monthly reports" });
    assert_eq!(sam.post("/api/v1/admin/apis", api.clone()).await.0, 403);
    let (status, created) = morgan.post("/api/v1/admin/apis", api.clone()).await;
    assert_eq!(status, 201, "{created}");
    let api_id = created["id"].as_str().unwrap().to_string();
    let (status, again) = morgan.post("/api/v1/admin/apis", api).await;
    assert_eq!(
        (status, again["error"]["fields"]["identifier"].as_str()),
        (422, Some("Your organisation already has an API with this identifier."))
    );
    let (status, bad) = morgan.post("/api/v1/admin/apis", json!({ "name": "", "identifier": "openid" })).await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["name"].is_string() && bad["error"]["fields"]["identifier"].is_string(), "{bad}");

    let permission = json!({ "value": "Reports.Read", "display_name": "Read your reports", "description": "See the reports you can open", "classification": "low" });
    let path = format!("/api/v1/admin/apis/{api_id}/permissions");
    assert_eq!(sam.post(&path, permission.clone()).await.0, 403);
    let (status, with) = morgan.post(&path, permission.clone()).await;
    assert_eq!(status, 201, "{with}");
    let added = &with["permissions"][0];
    assert_eq!((added["value"].as_str(), added["classification"].as_str()), (Some("Reports.Read"), Some("low")));
    let (status, dup) = morgan.post(&path, permission).await;
    assert_eq!(
        (status, dup["error"]["fields"]["value"].as_str()),
        (422, Some("Another permission of your organisation already has this scope."))
    );
    let (status, _) = morgan.post(&path, json!({ "value": "Mail.Read", "display_name": "x", "description": "y" })).await;
    assert_eq!(status, 422, "Mail.Read is Northwind Mail's");
    for (body, field) in [
        (json!({ "value": "openid", "display_name": "x", "description": "y" }), "value"),
        (json!({ "value": "Has Space", "display_name": "x", "description": "y" }), "value"),
        (json!({ "value": "Ok.Scope", "display_name": "", "description": "y" }), "display_name"),
        (json!({ "value": "Ok.Scope", "display_name": "x", "description": "" }), "description"),
        (json!({ "value": "Ok.Scope", "display_name": "x", "description": "y", "classification": "huge" }), "classification"),
    ] {
        let (status, answer) = morgan.post(&path, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert!(answer["error"]["fields"][field].is_string(), "{body}: {answer}");
    }
    let standard = app.strings("SELECT id FROM apis WHERE identifier = 'openid'", &[]).await.remove(0);
    let (status, body) = morgan
        .post(&format!("/api/v1/admin/apis/{standard}/permissions"), json!({ "value": "phone", "display_name": "x", "description": "y" }))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("standard_api")));
    assert_eq!(
        morgan
            .post(
                &format!("/api/v1/admin/apis/{}/permissions", uuid::Uuid::new_v4()),
                json!({ "value": "A.B", "display_name": "x", "description": "y" })
            )
            .await
            .0,
        404
    );

    // An app asks for it: it cannot be deleted until it no longer does.
    let reports_read = added["id"].as_str().unwrap().to_string();
    let source = app.app_id("Source Control").await;
    let (_, source_app) = sam.get(&format!("/api/v1/admin/apps/{source}")).await;
    let mut ids: Vec<Value> = source_app["permission_ids"].as_array().cloned().unwrap_or_default();
    ids.push(json!(reports_read));
    let (status, saved) = sam.patch(&format!("/api/v1/admin/apps/{source}"), json!({ "permission_ids": ids })).await;
    assert_eq!(status, 200, "{saved}");
    let (status, body) = morgan.delete(&format!("/api/v1/admin/permissions/{reports_read}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("permission_in_use")));
    let alex = app.signed_in(EMPLOYEE).await;
    let (_, page) = app.page(&alex, &format!("/consent/{source}")).await;
    assert!(page.contains("Read your reports"), "the prompt asks for the new permission in its plain words");
    ids.pop();
    assert_eq!(sam.patch(&format!("/api/v1/admin/apps/{source}"), json!({ "permission_ids": ids })).await.0, 200);
    let (status, _) = morgan.delete(&format!("/api/v1/admin/permissions/{reports_read}")).await;
    assert_eq!(status, 204);
    let openid = app.strings("SELECT p.id FROM permissions p JOIN apis a ON a.id = p.api_id WHERE p.value = 'email'", &[]).await.remove(0);
    let (status, body) = morgan.delete(&format!("/api/v1/admin/permissions/{openid}")).await;
    assert_eq!(status, 409, "{body}");
    let audited = app.strings("SELECT action FROM audit_events WHERE action IN ('api.created', 'permission.created', 'permission.deleted') ORDER BY created_at", &[]).await;
    assert_eq!(audited, ["api.created", "permission.created", "permission.deleted"]);
}

#[tokio::test]
async fn the_catalogue_page_registers_with_plain_forms_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let page = "/admin/permissions";
    let res = app
        .post_form(&morgan, page, "/admin/permissions/apis", &[("name", "Reports"), ("identifier", "reports"), ("description", "")])
        .await;
    let back = location(&res);
    assert!(back.contains("errors=identifier%3Amalformed_identifier") && back.contains("name=Reports"), "{back}");
    let (_, html) = app.page(&morgan, &back).await;
    assert!(html.contains("An identifier is an https:// address"), "{html}");
    let res =
        app.post_form(&morgan, page, "/admin/permissions/apis", &[("name", "Reports"), ("identifier", "urn:northwind:reports")]).await;
    assert_eq!(location(&res), "/admin/permissions?done=api_created");
    let api_id = app.strings("SELECT id FROM apis WHERE identifier = 'urn:northwind:reports'", &[]).await.remove(0);
    let res = app
        .post_form(
            &morgan,
            page,
            "/admin/permissions/new",
            &[
                ("api_id", &api_id),
                ("value", "Reports.Write"),
                ("display_name", "Change your reports"),
                ("permission_description", "Edit the reports you own"),
                ("admin_consent_required", "true"),
                ("classification", "high"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/admin/permissions?done=permission_created");
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM permissions WHERE value = 'Reports.Write' AND classification = 'high' AND admin_consent_required = TRUE",
            &[]
        )
        .await,
        1,
        "saved with its impact and the admin-only flag"
    );
    let (_, html) = app.page(&morgan, page).await;
    assert!(html.contains("Change your reports") && html.contains("Delete the permission Reports.Write"), "{html}");
}
