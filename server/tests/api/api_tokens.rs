//! API tokens: made and revoked by signed-in privileged admins, shown once,
//! stored as digests; a token acts for its organisation with its role on
//! the admin API (no cookies, no CSRF), is audited as itself, records its
//! last use at most once a minute, and stops at once when revoked or expired.

use crate::helpers::*;
use serde_json::{json, Value};

/// A script with a token: no cookie jar, no CSRF token.
struct Script<'a> {
    app: &'a TestApp,
    secret: String,
}

impl Script<'_> {
    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        json_of(Self::client().get(self.app.url(path)).bearer_auth(&self.secret).send().await.unwrap()).await
    }
    async fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let req = Self::client().request(method.parse().unwrap(), self.app.url(path)).bearer_auth(&self.secret).json(&body);
        json_of(req.send().await.unwrap()).await
    }
}

/// A signed-in admin's API calls (with the session's CSRF token).
async fn session_api(app: &TestApp, upn: &str) -> (reqwest::Client, String) {
    let client = app.signed_in(upn).await;
    let (_, html) = app.page(&client, "/").await;
    (client, csrf_in(&html))
}

#[tokio::test]
async fn a_token_is_shown_once_kept_as_a_digest_and_acts_with_its_role() {
    let app = spawn_app().await;
    let (morgan, csrf) = session_api(&app, PRIVILEGED_ADMIN).await;
    let res = morgan
        .post(app.url("/api/v1/admin/api-tokens"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": " HR sync ", "role": "privileged_admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (status, created) = json_of(res).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["token"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("mya_") && secret.len() == 47, "{secret}");
    assert_eq!(created["token"]["name"], "HR sync");
    assert_eq!(created["token"]["state"], "active");
    assert_eq!(created["token"]["expires_at"], Value::Null, "no expiry asked for: never");
    assert_eq!(created["token"]["secret_hint"], format!("mya_…{}", &secret[43..]));

    // Stored as its SHA-256 digest, never as itself; the list never shows it.
    let digest = {
        use sha2::Digest;
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(secret.as_bytes()))
    };
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM api_tokens WHERE secret_digest = $1", &[&digest]).await, 1);
    let stored = app.strings("SELECT name || role || secret_digest || secret_hint || created_by FROM api_tokens", &[]).await;
    assert!(stored.iter().all(|row| !row.contains(&secret[4..])));
    let (_, list) = json_of(morgan.get(app.url("/api/v1/admin/api-tokens")).send().await.unwrap()).await;
    assert!(!list.to_string().contains(&secret[4..]));
    assert_eq!(list["tokens"][0]["id"], id.as_str());
    assert_eq!(list["tokens"][0]["last_used_at"], Value::Null);

    // The script: no cookies, no CSRF token, and it changes a user.
    let script = Script { app: &app, secret };
    let (status, users) = script.get("/api/v1/admin/users?search=alex").await;
    assert_eq!(status, 200, "{users}");
    let alex = users["users"][0]["id"].as_str().unwrap().to_string();
    let (status, body) = script.send("PATCH", &format!("/api/v1/admin/users/{alex}"), json!({ "job_title": "Staff engineer" })).await;
    assert_eq!(status, 200, "{body}");
    // Audited as the token, not as the person who made it.
    let actor = app
        .strings("SELECT COALESCE(actor_user_id, '-') || '|' || actor_token_id || '|' || actor_label FROM audit_events WHERE action = 'user.updated'", &[])
        .await;
    assert_eq!(actor, [format!("-|{id}|API token \u{201c}HR sync\u{201d}")]);
    let (_, audit) = json_of(morgan.get(app.url("/api/v1/admin/audit-events?actor=hr%20sync")).send().await.unwrap()).await;
    assert_eq!(audit["events"][0]["actor_token_id"], id.as_str());
    // Its creation was audited too, as Morgan.
    let created_by =
        app.strings("SELECT actor_label FROM audit_events WHERE action = 'api_token.created' AND target_id = $1", &[&id]).await;
    assert_eq!(created_by, [PRIVILEGED_ADMIN]);
}

#[tokio::test]
async fn last_use_is_written_at_most_once_a_minute() {
    let app = spawn_app().await;
    let (id, secret) = app.create_api_token("Reports", "app_admin").await;
    let script = Script { app: &app, secret };
    let last_used =
        || async { app.strings("SELECT COALESCE(CAST(last_used_at AS TEXT), '') FROM api_tokens WHERE id = $1", &[&id]).await.remove(0) };
    assert_eq!(last_used().await, "");
    assert_eq!(script.get("/api/v1/admin/apps").await.0, 200);
    let first = last_used().await;
    assert!(!first.is_empty());
    // Thirty seconds ago: another call does not write.
    app.exec("UPDATE api_tokens SET last_used_at = last_used_at - 30000 WHERE id = $1", &[&id]).await;
    let moved = last_used().await;
    assert_eq!(script.get("/api/v1/admin/apps").await.0, 200);
    assert_eq!(last_used().await, moved);
    // More than a minute ago: it does.
    app.exec("UPDATE api_tokens SET last_used_at = last_used_at - 31000 WHERE id = $1", &[&id]).await;
    let old: i64 = last_used().await.parse().unwrap();
    assert_eq!(script.get("/api/v1/admin/apps").await.0, 200);
    assert!(last_used().await.parse::<i64>().unwrap() >= old + 61_000);
}

#[tokio::test]
async fn a_token_has_its_role_and_nothing_else() {
    let app = spawn_app().await;
    let (_, secret) = app.create_api_token("Catalogue", "app_admin").await;
    let script = Script { app: &app, secret };
    assert_eq!(script.get("/api/v1/admin/apps").await.0, 200);
    let (status, body) = script.get("/api/v1/admin/users").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("privileged_admin_required")));

    let (_, secret) = app.create_api_token("Everything", "privileged_admin").await;
    let script = Script { app: &app, secret };
    // A token does not make or revoke tokens, even a privileged one.
    let (status, body) = script.send("POST", "/api/v1/admin/api-tokens", json!({ "name": "Successor", "role": "privileged_admin" })).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("signed_in_admin_required")));
    let (_, list) = script.get("/api/v1/admin/api-tokens").await;
    let any = list["tokens"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = script.send("DELETE", &format!("/api/v1/admin/api-tokens/{any}"), Value::Null).await;
    assert_eq!(status, 403);
    // Nor is it a credential anywhere but the admin API: the employee API
    // and the pages see nobody.
    assert_eq!(script.get("/api/v1/me/apps").await.0, 401);
    let page =
        Script::client().get(app.url("/admin/users")).bearer_auth(&script.secret).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM api_tokens", &[]).await, 2);
}

#[tokio::test]
async fn revoked_expired_and_forged_tokens_are_refused_at_once() {
    let app = spawn_app().await;
    let (id, secret) = app.create_api_token("Old job", "privileged_admin").await;
    let script = Script { app: &app, secret: secret.clone() };
    assert_eq!(script.get("/api/v1/admin/users").await.0, 200);

    let (morgan, csrf) = session_api(&app, PRIVILEGED_ADMIN).await;
    let revoke = || morgan.delete(app.url(&format!("/api/v1/admin/api-tokens/{id}"))).header("x-csrf-token", &csrf).send();
    assert_eq!(revoke().await.unwrap().status().as_u16(), 204);
    let res = Script::client().get(app.url("/api/v1/admin/users")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="My Apps", error="invalid_token""#);
    let (_, body) = json_of(res).await;
    assert_eq!(body["error"]["code"], "api_token_invalid");
    // Revoking again changes nothing and audits nothing more.
    assert_eq!(revoke().await.unwrap().status().as_u16(), 204);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'api_token.revoked'", &[]).await, 1);
    let (_, shown) = json_of(morgan.get(app.url(&format!("/api/v1/admin/api-tokens/{id}"))).send().await.unwrap()).await;
    assert_eq!((shown["state"].as_str(), shown["revoked_by"].as_str()), (Some("revoked"), Some(PRIVILEGED_ADMIN)));

    // Expired: refused the same way.
    let (id, secret) = app.create_api_token("Short", "privileged_admin").await;
    app.exec("UPDATE api_tokens SET expires_at = 1000 WHERE id = $1", &[&id]).await;
    assert_eq!(Script { app: &app, secret }.get("/api/v1/admin/users").await.0, 401);

    // Well-formed but unknown, malformed, another scheme: 401, never anonymous.
    let forged = format!("mya_{}", "A".repeat(43));
    let (status, body) = Script { app: &app, secret: forged }.get("/api/v1/admin/apps").await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("api_token_invalid")));
    for header in ["Bearer short", "Basic bW9yZ2FuOnB3", "Bearer"] {
        let res = Script::client().get(app.url("/api/v1/admin/apps")).header("authorization", header).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{header}");
        let (_, body) = json_of(res).await;
        assert_eq!(body["error"]["code"], "api_token_malformed", "{header}");
    }
    // A bad token with a good session cookie is still refused: the header decides.
    let res = morgan.get(app.url("/api/v1/admin/apps")).header("authorization", "Bearer nope").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn creating_a_token_explains_every_problem_and_writes_nothing() {
    let app = spawn_app().await;
    let (morgan, csrf) = session_api(&app, PRIVILEGED_ADMIN).await;
    let post = |body: Value| morgan.post(app.url("/api/v1/admin/api-tokens")).header("x-csrf-token", &csrf).json(&body).send();
    let (status, body) = json_of(post(json!({ "name": "", "role": "user", "expires_in_days": 0 })).await.unwrap()).await;
    assert_eq!(status, 422);
    let fields = body["error"]["fields"].as_object().unwrap();
    assert!(fields.contains_key("name") && fields.contains_key("role") && fields.contains_key("expires_in_days"), "{body}");
    assert_eq!(json_of(post(json!({ "name": "Sync", "role": "app_admin" })).await.unwrap()).await.0, 201);
    // The same name (any case) as a live token: that field, nothing written.
    let (status, body) = json_of(post(json!({ "name": "SYNC", "role": "app_admin" })).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["name"].as_str().unwrap().contains("Another active API token"), "{body}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM api_tokens", &[]).await, 1);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'api_token.created'", &[]).await, 1);
    // Once revoked, the name is free again.
    let id = app.strings("SELECT id FROM api_tokens", &[]).await.remove(0);
    morgan.delete(app.url(&format!("/api/v1/admin/api-tokens/{id}"))).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(json_of(post(json!({ "name": "sync", "role": "app_admin" })).await.unwrap()).await.0, 201);
    // Not JSON at all: a 4xx that says so.
    let res = morgan
        .post(app.url("/api/v1/admin/api-tokens"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16() / 100, 4);
}

#[tokio::test]
async fn app_admins_and_other_organisations_do_not_reach_tokens() {
    let app = spawn_app().await;
    let (id, secret) = app.create_api_token("Ours", "privileged_admin").await;
    let (sam, csrf) = session_api(&app, APP_ADMIN).await;
    assert_eq!(sam.get(app.url("/api/v1/admin/api-tokens")).send().await.unwrap().status().as_u16(), 403);
    let res = sam
        .post(app.url("/api/v1/admin/api-tokens"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "x", "role": "app_admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    app.add_other_org().await;
    let (boss, csrf) = session_api(&app, OTHER_ORG_ADMIN).await;
    assert_eq!(boss.get(app.url(&format!("/api/v1/admin/api-tokens/{id}"))).send().await.unwrap().status().as_u16(), 404);
    let res = boss.delete(app.url(&format!("/api/v1/admin/api-tokens/{id}"))).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let (_, theirs) = json_of(boss.get(app.url("/api/v1/admin/api-tokens")).send().await.unwrap()).await;
    assert_eq!(theirs["tokens"], json!([]));
    // Our token sees our organisation only: their admin is nobody to it.
    let script = Script { app: &app, secret };
    let (_, found) = script.get("/api/v1/admin/users?search=boss").await;
    assert_eq!(found["users"], json!([]));
    assert_eq!(script.get("/api/v1/admin/users/22222222-2222-4222-8222-222222222222").await.0, 404);
}

#[tokio::test]
async fn the_tokens_page_creates_shows_the_secret_once_and_revokes() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let res = app
        .post_form(
            &morgan,
            "/admin/api-tokens",
            "/admin/api-tokens/new",
            &[("name", "Nightly export"), ("role", "app_admin"), ("expires_in_days", "90")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let secret = html
        .split("<code>")
        .find(|s| s.starts_with("mya_"))
        .and_then(|s| s.split('<').next())
        .expect("the secret is on the page")
        .to_string();
    assert_eq!(Script { app: &app, secret: secret.clone() }.get("/api/v1/admin/apps").await.0, 200);
    let expires = app.scalar_i64("SELECT expires_at - created_at FROM api_tokens", &[]).await;
    assert_eq!(expires, 90 * 86_400_000);

    let (status, list) = app.page(&morgan, "/admin/api-tokens").await;
    assert_eq!(status, 200);
    assert!(list.contains("Nightly export") && list.contains(&secret[43..]) && !list.contains(&secret[4..]));
    assert!(list.contains(&format!("{}/scim/v2", app.address)), "the SCIM address to give a provisioning system");
    // A bad form comes back with the field marked and what was typed.
    let res =
        app.post_form(&morgan, "/admin/api-tokens", "/admin/api-tokens/new", &[("name", "nightly EXPORT"), ("role", "app_admin")]).await;
    let back = location(&res);
    assert!(back.starts_with("/admin/api-tokens?") && back.contains("errors=name%3Atoken_taken"), "{back}");
    let (_, html) = app.page(&morgan, &back).await;
    assert!(html.contains("Another active API token has this name") && html.contains("aria-invalid=\"true\""));

    let id = app.strings("SELECT id FROM api_tokens", &[]).await.remove(0);
    let (_, confirm) = app.page(&morgan, &format!("/admin/api-tokens?revoke={id}")).await;
    assert!(confirm.contains("Revoke Nightly export?"));
    let res = app.post_form(&morgan, "/admin/api-tokens", &format!("/admin/api-tokens/{id}/revoke"), &[]).await;
    assert_eq!(location(&res), "/admin/api-tokens?done=token_revoked");
    assert_eq!(Script { app: &app, secret }.get("/api/v1/admin/apps").await.0, 401);
}
