//! The admin area's apps: app admins and privileged admins register, edit
//! and delete them with every field, OpenID Connect apps get a client id
//! and a secret shown once (stored as a digest, rotatable), a launch
//! follows what was saved at once, and nothing crosses organisations.

use crate::helpers::*;
use serde_json::json;

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
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&id]).await;
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
    assert_eq!(app.launch(&alex, &id).await, format!("/consent/{id}"), "the prompt: openid is low impact");
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

/// A PNG of `w`×`h` pixels, as far as any reader looks (signature and IHDR).
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[tokio::test]
async fn a_logo_is_checked_stored_and_served_from_our_origin_to_the_org() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let mail = app.app_id("Mail").await;
    let put = |body: Vec<u8>, content_type: &'static str| {
        sam.client
            .put(app.url(&format!("/api/v1/admin/apps/{mail}/logo")))
            .header("x-csrf-token", &sam.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let logo = png(64, 64);
    let (status, saved) = json_of(put(logo.clone(), "image/png").await.unwrap()).await;
    assert_eq!(status, 200, "{saved}");
    let url = saved["logo_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/logos/{mail}/{}", server::security::bytes_digest(&logo)));

    // Alex sees it on the tile and gets the bytes, typed and not sniffable.
    let alex = app.signed_in(EMPLOYEE).await;
    let (_, home) = app.page(&alex, "/").await;
    assert!(home.contains(&url), "the tile shows the logo");
    let res = alex.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), logo);
    assert_eq!(browser().get(app.url(&url)).send().await.unwrap().status(), 401, "signed-in people only");
    let wrong = format!("/logos/{mail}/{}", "0".repeat(64));
    assert_eq!(alex.get(app.url(&wrong)).send().await.unwrap().status(), 404);

    // SVG (whatever it claims to be), oversize and odd sizes are refused.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let (status, body) = json_of(put(svg, "image/png").await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (415, Some("logo_unsupported_type")));
    let (status, body) = json_of(put(png(2000, 2000), "image/png").await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("logo_too_big")));
    let mut huge = png(64, 64);
    huge.resize(300 * 1024, 0);
    let status = put(huge, "image/png").await.unwrap().status().as_u16();
    assert_eq!(status, 413);
    let (_, unchanged) = sam.get(&format!("/api/v1/admin/apps/{mail}")).await;
    assert_eq!(unchanged["logo_url"].as_str(), Some(url.as_str()), "a refused logo changes nothing");

    // Removed: back to the monogram, and the old address is gone.
    let (status, _) = sam.delete(&format!("/api/v1/admin/apps/{mail}/logo")).await;
    assert_eq!(status, 204);
    assert_eq!(alex.get(app.url(&url)).send().await.unwrap().status(), 404);
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&mail]).await;
    assert_eq!(actions, ["app.logo_set", "app.logo_removed"]);
}

#[tokio::test]
async fn the_logo_form_uploads_with_the_token_in_its_address() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let docs = app.app_id("Documents").await;
    let (_, page) = app.page(&sam.client, &format!("/admin/apps/{docs}")).await;
    assert!(page.contains(&format!("/admin/apps/{docs}/logo?csrf_token=")), "the form carries its token");
    let upload = |token: Option<&str>, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("logo", reqwest::multipart::Part::bytes(bytes).file_name("logo.png"));
        let path = match token {
            Some(t) => format!("/admin/apps/{docs}/logo?csrf_token={t}"),
            None => format!("/admin/apps/{docs}/logo"),
        };
        sam.client.post(app.url(&path)).header("accept", "text/html").multipart(form).send()
    };
    assert_eq!(upload(None, png(32, 32)).await.unwrap().status(), 403, "no token, no upload");
    let res = upload(Some(&sam.token), png(32, 32)[..16].to_vec()).await.unwrap();
    assert_eq!(location(&res), format!("/admin/apps/{docs}?logo_error=unreadable"));
    let res = upload(Some(&sam.token), br#"<svg onload="alert(1)"/>"#.to_vec()).await.unwrap();
    assert_eq!(location(&res), format!("/admin/apps/{docs}?logo_error=unsupported_type"));
    let (_, shown) = app.page(&sam.client, &location(&res)).await;
    assert!(shown.contains("SVG is not accepted"), "{shown}");
    let res = upload(Some(&sam.token), png(32, 32)).await.unwrap();
    assert_eq!(location(&res), format!("/admin/apps/{docs}?done=logo_saved"));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM app_logos WHERE app_id = $1", &[&docs]).await, 1);
}

#[tokio::test]
async fn uploads_beyond_the_bound_are_answered_503_with_retry_after() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let mail = app.app_id("Mail").await;
    // Uploads that never finish sending hold every place...
    let mut senders = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..server::http::uploads::CONCURRENT_UPLOADS {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        tx.send(Ok(png(64, 64))).await.unwrap();
        senders.push(tx);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
        let request = sam
            .client
            .put(app.url(&format!("/api/v1/admin/apps/{mail}/logo")))
            .header("x-csrf-token", &sam.token)
            .header("content-type", "image/png")
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        pending.push(tokio::spawn(request));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // ...so the next one is told to come back, at once.
    let res = sam
        .client
        .put(app.url(&format!("/api/v1/admin/apps/{mail}/logo")))
        .header("x-csrf-token", &sam.token)
        .header("content-type", "image/png")
        .body(png(64, 64))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    // Finished, the held uploads complete and places free up again.
    drop(senders);
    for p in pending {
        assert_eq!(p.await.unwrap().unwrap().status(), 200);
    }
    let res = sam
        .client
        .put(app.url(&format!("/api/v1/admin/apps/{mail}/logo")))
        .header("x-csrf-token", &sam.token)
        .body(png(48, 48))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn assignments_to_people_and_groups_show_who_has_the_app_and_how() {
    let app = spawn_app().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (_, created) = sam.post("/api/v1/admin/apps", json!({"name": "Roadmap", "launch_url": "https://roadmap.example/"})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let alex_id = app.user_id(EMPLOYEE).await;
    let engineering = app.strings("SELECT id FROM user_groups WHERE name = 'Engineering'", &[]).await.remove(0);
    let alex = app.signed_in(EMPLOYEE).await;
    assert!(app.launch(&alex, &id).await.starts_with("/launch-refused"), "assignment required, none yet");

    // To Engineering: Alex has it through Platform Team, at once.
    let (status, answer) = sam.post(&format!("/api/v1/admin/apps/{id}/assignments"), json!({"group_id": engineering})).await;
    assert_eq!((status, answer["changed"].as_bool()), (200, Some(true)), "{answer}");
    assert_eq!(app.launch(&alex, &id).await, "https://roadmap.example/");
    let (_, again) = sam.post(&format!("/api/v1/admin/apps/{id}/assignments"), json!({"group_id": engineering})).await;
    assert_eq!(again["changed"], false);
    // And to Alex directly: two paths.
    sam.post(&format!("/api/v1/admin/apps/{id}/assignments"), json!({"user_id": alex_id})).await;
    let (_, listed) = sam.get(&format!("/api/v1/admin/apps/{id}/assignments")).await;
    let kinds: Vec<(&str, &str)> =
        listed.as_array().unwrap().iter().map(|a| (a["kind"].as_str().unwrap(), a["name"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("user", "Alex Wu"), ("group", "Engineering")]);

    let (status, access) = sam.get(&format!("/api/v1/admin/apps/{id}/access?search=alex.wu")).await;
    assert_eq!(status, 200, "{access}");
    assert_eq!(access["open_to_everyone"], false);
    assert_eq!(access["holders"][0]["paths"], json!(["Assigned directly", "Through the group Engineering, via Platform Team"]), "{access}");
    // Everyone the group reaches, once each, paged without gaps.
    let reached = app
        .scalar_i64(
            "SELECT COUNT(DISTINCT m.user_id) FROM group_user_members m JOIN user_groups g ON g.id = m.group_id \
             WHERE g.name IN ('Engineering', 'Platform Team', 'Frontend Team')",
            &[],
        )
        .await;
    let (mut seen, mut cursor) = (Vec::<String>::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/apps/{id}/access?limit=4&cursor={c}"),
            None => format!("/api/v1/admin/apps/{id}/access?limit=4"),
        };
        let (_, page) = sam.get(&path).await;
        seen.extend(page["holders"].as_array().unwrap().iter().map(|h| h["user"]["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.into()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len() as i64, unique.len() as i64), (reached, reached));

    // Removing the direct one leaves the group path; removing the group, nothing.
    assert_eq!(sam.delete(&format!("/api/v1/admin/apps/{id}/assignments/users/{alex_id}")).await.0, 204);
    assert_eq!(app.launch(&alex, &id).await, "https://roadmap.example/");
    assert_eq!(sam.delete(&format!("/api/v1/admin/apps/{id}/assignments/groups/{engineering}")).await.0, 204);
    assert!(app.launch(&alex, &id).await.starts_with("/launch-refused"));
    let (status, body) = sam.delete(&format!("/api/v1/admin/apps/{id}/assignments/groups/{engineering}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_assigned")));
    let (status, body) =
        sam.post(&format!("/api/v1/admin/apps/{id}/assignments"), json!({"user_id": "77777777-7777-4777-8777-777777777777"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("principal_not_found")));
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&id]).await;
    assert_eq!(actions, ["app.created", "app.assigned", "app.assigned", "app.unassigned", "app.unassigned"]);

    // Open to everyone: everyone, with that path.
    let mail = app.app_id("Team Chat").await;
    let (_, open) = sam.get(&format!("/api/v1/admin/apps/{mail}/access?search=casey")).await;
    assert_eq!(open["open_to_everyone"], true);
    assert_eq!(open["holders"][0]["paths"], json!(["Open to everyone in your organisation"]));
}

#[tokio::test]
async fn the_assignments_page_assigns_from_a_search() {
    let app = spawn_app().await;
    let sam = app.signed_in(APP_ADMIN).await;
    let docs = app.app_id("Documents").await;
    let page = format!("/admin/apps/{docs}/assignments?add=finance");
    let (status, html) = app.page(&sam, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Assign to the group Finance"), "{html}");
    let finance = app.strings("SELECT id FROM user_groups WHERE name = 'Finance'", &[]).await.remove(0);
    let res = app.post_form(&sam, &page, &format!("/admin/apps/{docs}/assignments"), &[("group_id", &finance), ("return_to", &page)]).await;
    assert_eq!(location(&res), format!("{page}&done=assigned"));
    let (_, html) = app.page(&sam, &format!("/admin/apps/{docs}/assignments")).await;
    assert!(html.contains("Remove the assignment to Finance"), "{html}");
    let res = app
        .post_form(&sam, &page, &format!("/admin/apps/{docs}/assignments/remove"), &[("group_id", &finance), ("return_to", &page)])
        .await;
    assert_eq!(location(&res), format!("{page}&done=unassigned"));
}
