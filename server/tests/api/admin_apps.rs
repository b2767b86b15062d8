//! The admin area's apps: app admins and privileged admins register, edit
//! and delete them with every field, OpenID Connect apps get a client id
//! and a secret shown once (stored as a digest, rotatable), a launch
//! follows what was saved at once, and nothing crosses organisations.

use crate::helpers::*;
use serde_json::{json, Value};

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

struct Api<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    token: String,
}

impl Api<'_> {
    async fn as_user<'a>(app: &'a TestApp, upn: &str) -> Api<'a> {
        let client = app.signed_in(upn).await;
        let (_, html) = app.page(&client, "/").await;
        Api { app, token: csrf_in(&html), client }
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        json_of(self.client.get(self.app.url(path)).send().await.unwrap()).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        json_of(self.client.post(self.app.url(path)).header("x-csrf-token", &self.token).json(&body).send().await.unwrap()).await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        json_of(self.client.patch(self.app.url(path)).header("x-csrf-token", &self.token).json(&body).send().await.unwrap()).await
    }
    async fn delete(&self, path: &str) -> (u16, Value) {
        json_of(self.client.delete(self.app.url(path)).header("x-csrf-token", &self.token).send().await.unwrap()).await
    }
}

#[tokio::test]
async fn app_admins_manage_apps_and_employees_cannot() {
    let app = spawn_app().await;
    let alex = Api::as_user(&app, EMPLOYEE).await;
    let (status, body) = alex.get("/api/v1/admin/apps").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("admin_required")));
    let (status, _) = alex.post("/api/v1/admin/apps", json!({"name": "Sneaky", "launch_url": "https://evil.example/"})).await;
    assert_eq!(status, 403);
    assert_eq!(app.page(&alex.client, "/admin/apps").await.0, 403);

    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, page) = sam.get("/api/v1/admin/apps?search=mail").await;
    assert_eq!(status, 200);
    assert!(page["apps"].as_array().unwrap().iter().any(|a| a["name"] == "Mail"), "{page}");
    let (status, created) = sam.post("/api/v1/admin/apps", json!({"name": "Payroll", "launch_url": "https://payroll.example/"})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM applications WHERE name = 'Sneaky'", &[]).await, 0);
}

#[tokio::test]
async fn a_linked_app_is_registered_with_every_field_and_launches_as_saved() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let office = app.strings("SELECT id FROM licenses WHERE sku = 'OFFICE_E3'", &[]).await.remove(0);
    let (status, created) = sam
        .post(
            "/api/v1/admin/apps",
            json!({
                "name": "  Payroll ", "description": "Pay slips\nand expenses", "category": "Finance",
                "publisher_name": "Contoso Payroll", "publisher_verified": true, "registered_in_org": false,
                "assignment_required": false, "required_license_id": office, "launch_url": "https://payroll.example/start"
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], "Payroll");
    assert_eq!(created["sign_on_mode"], "linked");
    assert_eq!((created["publisher_verified"].as_bool(), created["registered_in_org"].as_bool()), (Some(true), Some(false)));
    assert_eq!(created["required_license_name"], "Office Suite E3");
    assert_eq!(created["user_access_url"], format!("{}/launch/{id}", app.address));
    assert!(created.get("client_secret").is_none() && created["client_id"].is_null());

    // Open to everyone with the license: Alex (in All Staff, holding Office)
    // launches it at once; disabled, nobody does.
    let alex = app.signed_in(EMPLOYEE).await;
    assert_eq!(app.launch(&alex, &id).await, "https://payroll.example/start");
    let (status, edited) = sam.patch(&format!("/api/v1/admin/apps/{id}"), json!({"enabled": false})).await;
    assert_eq!((status, edited["enabled"].as_bool(), edited["category"].as_str()), (200, Some(false), Some("Finance")));
    assert!(app.launch(&alex, &id).await.starts_with("/launch-refused"));
    assert_eq!(app.last_launch_reason().await, "failure:app_disabled");

    // Every problem by field; nothing written.
    let (status, bad) = sam
        .patch(
            &format!("/api/v1/admin/apps/{id}"),
            json!({"name": "", "launch_url": "javascript:alert(1)", "sign_on_mode": "saml", "required_license_id": "nope"}),
        )
        .await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("validation_failed")), "{bad}");
    for field in ["name", "launch_url", "sign_on_mode"] {
        assert!(bad["error"]["fields"][field].is_string(), "{field}: {bad}");
    }
    let (status, bad) = sam.patch(&format!("/api/v1/admin/apps/{id}"), json!({"required_license_id": "nope"})).await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["required_license_id"].is_string(), "{bad}");
    let (_, unchanged) = sam.get(&format!("/api/v1/admin/apps/{id}")).await;
    assert_eq!(unchanged["name"], "Payroll");

    let (status, _) = sam.delete(&format!("/api/v1/admin/apps/{id}")).await;
    assert_eq!(status, 204);
    assert_eq!(sam.get(&format!("/api/v1/admin/apps/{id}")).await.0, 404);
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, action", &[&id]).await;
    assert_eq!(actions, ["app.created", "app.updated", "app.deleted"]);
}

#[tokio::test]
async fn an_oidc_app_gets_a_client_id_and_a_secret_shown_once_and_stored_as_a_digest() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let openid = app.strings("SELECT id FROM permissions WHERE value = 'openid'", &[]).await.remove(0);
    let (status, created) = sam
        .post(
            "/api/v1/admin/apps",
            json!({
                "name": "Wiki", "sign_on_mode": "oidc", "assignment_required": false,
                "redirect_uris": ["https://wiki.example/callback", "http://127.0.0.1:8080/cb"],
                "initiate_login_uri": "https://wiki.example/login", "launch_url": "https://wiki.example/",
                "permission_ids": [openid]
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let client_id = created["client_id"].as_str().expect("a client id").to_string();
    let secret = created["client_secret"].as_str().expect("the secret, once").to_string();
    assert!(secret.len() >= 22, "at least 128 bits");
    assert_eq!(created["has_client_secret"], true);
    assert_eq!(created["redirect_uris"], json!(["http://127.0.0.1:8080/cb", "https://wiki.example/callback"]));
    assert_eq!(created["permissions"][0]["value"], "openid");
    let stored = app.strings("SELECT client_secret_hash FROM applications WHERE id = $1", &[&id]).await.remove(0);
    assert_ne!(stored, secret, "only a digest is stored");
    assert_eq!(stored, server::security::token_digest(&secret));

    // Never shown again.
    let (_, read) = sam.get(&format!("/api/v1/admin/apps/{id}")).await;
    assert!(read.get("client_secret").is_none() && !read.to_string().contains(&secret));

    // Alex has not consented to what it requests; without permissions, a
    // launch starts the app's own sign-in (third-party initiated login).
    let alex = app.signed_in(EMPLOYEE).await;
    assert!(app.launch(&alex, &id).await.starts_with("/launch-refused"));
    assert_eq!(app.last_launch_reason().await, "failure:consent_required");
    let (status, _) = sam.patch(&format!("/api/v1/admin/apps/{id}"), json!({"permission_ids": []})).await;
    assert_eq!(status, 200);
    let target = app.launch(&alex, &id).await;
    assert!(target.starts_with("https://wiki.example/login?iss="), "{target}");

    // Rotating: a new secret, once; the old digest is gone.
    let (status, rotated) = sam.post(&format!("/api/v1/admin/apps/{id}/client-secret"), json!({})).await;
    assert_eq!((status, rotated["client_id"].as_str()), (200, Some(client_id.as_str())));
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    let stored = app.strings("SELECT client_secret_hash FROM applications WHERE id = $1", &[&id]).await.remove(0);
    assert_eq!(stored, server::security::token_digest(new_secret));

    // Redirect URIs must be exact https (or loopback http) addresses.
    let (status, bad) = sam.patch(&format!("/api/v1/admin/apps/{id}"), json!({"redirect_uris": ["http://wiki.example/cb"]})).await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["redirect_uris"].as_str().unwrap().contains("https://"), "{bad}");

    // A linked app has no secret to rotate.
    let mail = app.app_id("Mail").await;
    let (status, body) = sam.post(&format!("/api/v1/admin/apps/{mail}/client-secret"), json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_a_confidential_client")));
}

#[tokio::test]
async fn a_linked_app_that_becomes_oidc_gets_its_credentials_then() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (_, created) = sam.post("/api/v1/admin/apps", json!({"name": "Portal", "launch_url": "https://portal.example/"})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let (status, public) = sam
        .patch(
            &format!("/api/v1/admin/apps/{id}"),
            json!({"sign_on_mode": "oidc", "public_client": true, "redirect_uris": ["https://portal.example/cb"]}),
        )
        .await;
    assert_eq!(status, 200, "{public}");
    assert!(public["client_id"].is_string());
    assert!(public.get("client_secret").is_none(), "a public client has no secret");
    assert_eq!(public["has_client_secret"], false);
    let (status, _) = sam.post(&format!("/api/v1/admin/apps/{id}/client-secret"), json!({})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn apps_are_paged_by_name_without_gaps_even_when_names_repeat() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    for _ in 0..3 {
        let (status, _) = sam.post("/api/v1/admin/apps", json!({"name": "Same Name", "launch_url": "https://same.example/"})).await;
        assert_eq!(status, 201);
    }
    let total = app.scalar_i64("SELECT COUNT(*) FROM applications WHERE org_id = $1", &[&app.org_id]).await;
    let (mut seen, mut cursor) = (Vec::<String>::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/apps?limit=2&cursor={c}"),
            None => "/api/v1/admin/apps?limit=2".into(),
        };
        let (status, page) = sam.get(&path).await;
        assert_eq!(status, 200);
        seen.extend(page["apps"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.into()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len() as i64, unique.len() as i64), (total, total));
}

#[tokio::test]
async fn the_apps_pages_register_and_show_a_secret_once() {
    let app = spawn_app().await;
    let sam = app.signed_in(APP_ADMIN).await;
    let fields = [
        ("name", "Board"),
        ("description", ""),
        ("category", "Productivity"),
        ("publisher_name", ""),
        ("enabled", "on"),
        ("visible", "on"),
        ("required_license_id", ""),
        ("sign_on_mode", "oidc"),
        ("launch_url", ""),
        ("redirect_uris", "http://board.example/cb"),
        ("initiate_login_uri", ""),
    ];
    let res = app.post_form(&sam, "/admin/apps/new", "/admin/apps/new", &fields).await;
    let back = location(&res);
    assert!(back.starts_with("/admin/apps/new?") && back.contains("retry=1"), "{back}");
    let (_, form) = app.page(&sam, &back).await;
    assert!(form.contains("A redirect URI must start with https://") && form.contains("value=\"Board\""), "{form}");

    let mut fixed = fields.to_vec();
    fixed[9] = ("redirect_uris", "https://board.example/cb");
    let res = app.post_form(&sam, "/admin/apps/new", "/admin/apps/new", &fixed).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains("Client secret") && page.contains("Go to Board"), "{page}");
    let id = app.strings("SELECT id FROM applications WHERE name = 'Board'", &[]).await.remove(0);
    let (_, shown) = app.page(&sam, &format!("/admin/apps/{id}")).await;
    assert!(shown.contains(&format!("/launch/{id}")) && shown.contains("Set (shown only when it was made)"), "{shown}");
    let as_ticked = "SELECT COUNT(*) FROM applications WHERE id = $1 AND enabled AND visible \
                     AND NOT assignment_required AND NOT publisher_verified AND NOT registered_in_org AND NOT public_client";
    assert_eq!(app.scalar_i64(as_ticked, &[&id]).await, 1, "ticked boxes are true, the others false");
}

#[tokio::test]
async fn an_admin_of_one_organisation_cannot_see_or_change_anothers_apps() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let other_org = "11111111-1111-4111-8111-111111111111";
    let stranger_app = "55555555-5555-4555-8555-555555555555";
    app.exec("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Elsewhere', 0)", &[other_org]).await;
    app.exec(
        "INSERT INTO applications (id, org_id, name, sign_on_mode, launch_url, created_at, updated_at) \
         VALUES ($1, $2, 'Their App', 'linked', 'https://their.example/', 0, 0)",
        &[stranger_app, other_org],
    )
    .await;
    assert_eq!(sam.get(&format!("/api/v1/admin/apps/{stranger_app}")).await.0, 404);
    assert_eq!(sam.patch(&format!("/api/v1/admin/apps/{stranger_app}"), json!({"enabled": false})).await.0, 404);
    assert_eq!(sam.delete(&format!("/api/v1/admin/apps/{stranger_app}")).await.0, 404);
    let (_, found) = sam.get("/api/v1/admin/apps?search=their").await;
    assert_eq!(found["apps"].as_array().unwrap().len(), 0);
    // Another organisation's permission or license can't be borrowed.
    let (status, body) = sam
        .post(
            "/api/v1/admin/apps",
            json!({"name": "X", "launch_url": "https://x.example/", "permission_ids": ["66666666-6666-4666-8666-666666666666"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["permission_ids"].is_string(), "{body}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM applications WHERE id = $1 AND enabled", &[stranger_app]).await, 1);
}
