//! The admin area's users: who may reach it, search and paging, a user in
//! full, blocking (which ends sessions) and unlocking, with audit events,
//! and nothing across organisations.

use crate::helpers::*;
use serde_json::Value;

/// A signed-in client and the CSRF token of its session.
async fn admin_client(app: &TestApp, upn: &str) -> (reqwest::Client, String) {
    let client = app.signed_in(upn).await;
    let (_, html) = app.page(&client, "/").await;
    (client, csrf_in(&html))
}

async fn json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_admins_reach_the_admin_area_and_only_privileged_ones_its_users() {
    let app = spawn_app().await;
    let anonymous = browser();
    let (status, body) = json(anonymous.get(app.url("/api/v1/admin/users")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("sign_in_required")));

    let alex = app.signed_in(EMPLOYEE).await;
    let (status, body) = json(alex.get(app.url("/api/v1/admin/users")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("admin_required")));
    assert_eq!(app.page(&alex, "/admin").await.0, 403);
    assert_eq!(app.page(&alex, "/admin/users").await.0, 403);
    let (_, home) = app.page(&alex, "/").await;
    assert!(!home.contains("href=\"/admin\""), "employees see no Admin link");

    let sam = app.signed_in(APP_ADMIN).await;
    let (status, body) = json(sam.get(app.url("/api/v1/admin/users")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("privileged_admin_required")));
    let (status, admin_home) = app.page(&sam, "/admin").await;
    assert_eq!(status, 200);
    assert!(!admin_home.contains("href=\"/admin/users\""), "app admins are not offered the users pages");
    let (_, users_page) = app.page(&sam, "/admin/users").await;
    assert!(users_page.contains("privileged admin role"), "{users_page}");

    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (_, home) = app.page(&morgan, "/").await;
    assert!(home.contains("href=\"/admin\""), "admins see the Admin link");
    let (status, page) = app.page(&morgan, "/admin/users?q=alex").await;
    assert_eq!(status, 200);
    assert!(page.contains(EMPLOYEE), "{page}");
}

#[tokio::test]
async fn users_are_found_by_any_part_of_their_names_and_paged_without_gaps() {
    let app = spawn_app().await;
    let (morgan, _) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let list = |query: &str| morgan.get(app.url(&format!("/api/v1/admin/users?{query}"))).send();

    let (_, found) = json(list("search=WU@north").await.unwrap()).await;
    let upns: Vec<&str> = found["users"].as_array().unwrap().iter().map(|u| u["upn"].as_str().unwrap()).collect();
    assert_eq!(upns, [EMPLOYEE]);
    let (_, none) = json(list("search=%25_").await.unwrap()).await;
    assert_eq!(none["users"].as_array().unwrap().len(), 0, "% and _ are matched literally");

    let total = app.scalar_i64("SELECT COUNT(*) FROM users WHERE org_id = $1", &[&app.org_id]).await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".to_string(),
        };
        let (status, page) = json(list(&query).await.unwrap()).await;
        assert_eq!(status, 200);
        let users = page["users"].as_array().unwrap();
        assert!(users.len() <= 2);
        seen.extend(users.iter().map(|u| u["upn"].as_str().unwrap().to_lowercase()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total, "every user once");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "in UPN order, none twice");

    let (status, bad) = json(list("cursor=%21%21").await.unwrap()).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_input")));
    let long = "x".repeat(201);
    let (status, _) = json(list(&format!("search={long}")).await.unwrap()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_user_in_full_shows_groups_licenses_and_apps_with_their_paths() {
    let app = spawn_app().await;
    let (morgan, _) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let alex = app.user_id(EMPLOYEE).await;
    let (status, user) = json(morgan.get(app.url(&format!("/api/v1/admin/users/{alex}"))).send().await.unwrap()).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["summary"]["upn"], EMPLOYEE);
    let groups: Vec<&str> = user["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert!(groups.contains(&"All Staff"), "{groups:?}");
    let mail = user["apps"].as_array().unwrap().iter().find(|a| a["name"] == "Mail").expect("Mail is one of Alex's apps");
    assert!(mail["why"].as_str().unwrap().contains("All Staff"), "{mail}");
    assert_eq!(mail["refusal"], Value::Null);
    let licenses: Vec<&str> = user["licenses"].as_array().unwrap().iter().map(|l| l["sku"].as_str().unwrap()).collect();
    assert!(licenses.contains(&"OFFICE_E3"), "{licenses:?}");

    let (status, page) = app.page(&morgan, &format!("/admin/users/{alex}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("All Staff") && page.contains("Mail") && page.contains("Block sign-in"), "{page}");
    // Their sign-ins and the changes made to them, one click away.
    assert!(page.contains("href=\"/admin/sign-ins?user=alex.wu%40northwind.example\""), "{page}");
    assert!(page.contains(&format!("href=\"/admin/audit?target_id={alex}\"")), "{page}");

    for unknown in ["not-a-uuid", "00000000-0000-4000-8000-000000000000"] {
        let (status, body) = json(morgan.get(app.url(&format!("/api/v1/admin/users/{unknown}"))).send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("user_not_found")));
    }
}

#[tokio::test]
async fn blocking_ends_the_users_sessions_and_is_audited_and_unblocking_restores_sign_in() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let alex_client = app.signed_in(EMPLOYEE).await;
    let alex = app.user_id(EMPLOYEE).await;
    let post = |action: &str| morgan.post(app.url(&format!("/api/v1/admin/users/{alex}/{action}"))).header("x-csrf-token", &token).send();

    let (status, _) = json(morgan.post(app.url(&format!("/api/v1/admin/users/{alex}/block"))).send().await.unwrap()).await;
    assert_eq!(status, 403, "no CSRF token, no change");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users WHERE id = $1 AND sign_in_blocked", &[&alex]).await, 0);

    let (status, answer) = json(post("block").await.unwrap()).await;
    assert_eq!((status, &answer["changed"]), (200, &Value::Bool(true)), "{answer}");
    assert_eq!(answer["user"]["summary"]["sign_in_blocked"], true);
    assert_eq!(alex_client.get(app.url("/api/v1/me")).send().await.unwrap().status(), 401, "the session ended at once");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions WHERE user_id = $1", &[&alex]).await, 0);
    let audit = app
        .strings(
            "SELECT action || ' ' || actor_label || ' ' || before_json || ' ' || after_json FROM audit_events WHERE target_id = $1",
            &[&alex],
        )
        .await;
    assert_eq!(audit, [format!("user.sign_in_blocked {PRIVILEGED_ADMIN} {{\"sign_in_blocked\":false}} {{\"sign_in_blocked\":true}}")]);
    let res = app.sign_in(&browser(), EMPLOYEE, PASSWORD).await;
    assert!(location(&res).contains("error=account_blocked"), "{}", location(&res));

    let (_, again) = json(post("block").await.unwrap()).await;
    assert_eq!(again["changed"], false, "already blocked: nothing changes, nothing is audited");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE target_id = $1", &[&alex]).await, 1);

    let (status, answer) = json(post("unblock").await.unwrap()).await;
    assert_eq!((status, &answer["changed"]), (200, &Value::Bool(true)));
    app.signed_in(EMPLOYEE).await;

    let morgan_id = app.user_id(PRIVILEGED_ADMIN).await;
    let (status, body) =
        json(morgan.post(app.url(&format!("/api/v1/admin/users/{morgan_id}/block"))).header("x-csrf-token", &token).send().await.unwrap())
            .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("cannot_block_yourself")));
    let (status, _) = json(post("delete-everything").await.unwrap()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_users_page_blocks_and_unlocks_with_plain_forms() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let alex = app.user_id(EMPLOYEE).await;
    let page = format!("/admin/users/{alex}");
    let res = app.post_form(&morgan, &page, &format!("{page}/block"), &[]).await;
    assert_eq!(location(&res), format!("{page}?done=blocked"));
    let (_, html) = app.page(&morgan, &format!("{page}?done=blocked")).await;
    assert!(html.contains("Sign-in is blocked") && html.contains("Unblock sign-in"), "{html}");

    // Locked out by failed passwords: an admin lifts it.
    app.exec("UPDATE users SET locked_until = 9999999999999, failed_sign_in_count = 5 WHERE id = $1", &[&alex]).await;
    let (_, html) = app.page(&morgan, &page).await;
    assert!(html.contains("Locked out") || html.contains("Blocked"), "{html}");
    let res = app.post_form(&morgan, &page, &format!("{page}/unlock"), &[]).await;
    assert_eq!(location(&res), format!("{page}?done=unlocked"));
    assert_eq!(app.scalar_i64("SELECT failed_sign_in_count FROM users WHERE id = $1", &[&alex]).await, 0);
    let res = app.post_form(&morgan, &page, &format!("{page}/unlock"), &[]).await;
    assert_eq!(location(&res), format!("{page}?done=unchanged"));
}

#[tokio::test]
async fn an_admin_of_one_organisation_cannot_see_or_change_anothers_users() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let other_org = "11111111-1111-4111-8111-111111111111";
    let stranger = "22222222-2222-4222-8222-222222222222";
    app.exec("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Elsewhere', 0)", &[other_org]).await;
    app.exec(
        "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, created_at, updated_at) \
         VALUES ($1, $2, 'pat@elsewhere.example', 'pat@elsewhere.example', 'Pat Elsewhere', 0, 0)",
        &[stranger, other_org],
    )
    .await;
    let (status, _) = json(morgan.get(app.url(&format!("/api/v1/admin/users/{stranger}"))).send().await.unwrap()).await;
    assert_eq!(status, 404);
    let (status, _) =
        json(morgan.post(app.url(&format!("/api/v1/admin/users/{stranger}/block"))).header("x-csrf-token", &token).send().await.unwrap())
            .await;
    assert_eq!(status, 404);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users WHERE id = $1 AND sign_in_blocked", &[stranger]).await, 0);
    let (_, found) = json(morgan.get(app.url("/api/v1/admin/users?search=elsewhere")).send().await.unwrap()).await;
    assert_eq!(found["users"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_new_user_gets_a_temporary_password_they_must_change_and_duplicates_are_refused_by_field() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let create = |body: Value| morgan.post(app.url("/api/v1/admin/users")).header("x-csrf-token", &token).json(&body).send();

    let (status, created) = json(
        create(serde_json::json!({ "upn": "Ada.Lovelace@northwind.example", "display_name": "Ada Lovelace", "role": "app_admin" }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["user"]["summary"]["role"], "app_admin");
    assert_eq!(created["user"]["must_change_password"], true);
    let password = created["temporary_password"].as_str().unwrap().to_string();
    assert!(password.len() >= 16, "{password}");
    let audit =
        app.strings("SELECT action FROM audit_events WHERE target_id = $1", &[created["user"]["summary"]["id"].as_str().unwrap()]).await;
    assert_eq!(audit, ["user.created"]);
    // The temporary password signs in, straight to choosing their own.
    let res = app.sign_in(&browser(), "ada.lovelace@northwind.example", &password).await;
    assert!(location(&res).starts_with("/sign-in/change-password"), "{}", location(&res));

    // Same UPN in another case: refused on the field, nothing written.
    let users_before = app.scalar_i64("SELECT COUNT(*) FROM users", &[]).await;
    let (status, body) =
        json(create(serde_json::json!({ "upn": "ADA.lovelace@northwind.example", "display_name": "Someone Else" })).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("validation_failed")), "{body}");
    assert!(body["error"]["fields"]["upn"].as_str().unwrap().contains("already has this sign-in name"), "{body}");
    let (status, body) =
        json(create(serde_json::json!({ "upn": "nope", "display_name": "", "email": "x@y", "role": "root" })).await.unwrap()).await;
    assert_eq!(status, 422);
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().map(String::as_str).collect::<Vec<_>>(), ["display_name", "email", "role", "upn"], "{body}");
    let (status, _) = json(
        morgan
            .post(app.url("/api/v1/admin/users"))
            .header("x-csrf-token", &token)
            .body("{")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users", &[]).await, users_before, "failed requests write nothing");

    let (alex, alex_token) = admin_client(&app, EMPLOYEE).await;
    let res =
        alex.post(app.url("/api/v1/admin/users")).header("x-csrf-token", &alex_token).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_new_user_form_explains_each_field_and_shows_the_password_once() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let res = app
        .post_form(&morgan, "/admin/users/new", "/admin/users/new", &[("upn", EMPLOYEE), ("display_name", "Alex Again"), ("role", "user")])
        .await;
    let back = location(&res);
    assert!(back.starts_with("/admin/users/new?") && back.contains("errors=upn%3Ataken"), "{back}");
    let (status, page) = app.page(&morgan, &back).await;
    assert_eq!(status, 200);
    assert!(page.contains("already has this sign-in name") && page.contains("value=\"Alex Again\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""), "the field is marked invalid");

    let res = app
        .post_form(&morgan, "/admin/users/new", "/admin/users/new", &[("upn", "grace@northwind.example"), ("display_name", "Grace Hopper")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    let marker = "aria-label=\"Temporary password\"><code>";
    let start = page.find(marker).expect("the password is on the page") + marker.len();
    let password = &page[start..start + 19];
    let res = app.sign_in(&browser(), "grace@northwind.example", password).await;
    assert!(location(&res).starts_with("/sign-in/change-password"), "{}", location(&res));
}

#[tokio::test]
async fn resetting_a_password_ends_sessions_and_requires_a_new_one() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let alex_client = app.signed_in(EMPLOYEE).await;
    let alex = app.user_id(EMPLOYEE).await;
    app.exec("UPDATE users SET locked_until = 9999999999999 WHERE id = $1", &[&alex]).await;
    let (status, reset) = json(
        morgan.post(app.url(&format!("/api/v1/admin/users/{alex}/reset-password"))).header("x-csrf-token", &token).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(alex_client.get(app.url("/api/v1/me")).send().await.unwrap().status(), 401, "sessions ended");
    let res = app.sign_in(&browser(), EMPLOYEE, PASSWORD).await;
    assert!(location(&res).contains("error=invalid_credentials"), "the old password is gone: {}", location(&res));
    let res = app.sign_in(&browser(), EMPLOYEE, reset["temporary_password"].as_str().unwrap()).await;
    assert!(location(&res).starts_with("/sign-in/change-password"), "unlocked, and must change it: {}", location(&res));
    assert_eq!(app.strings("SELECT action FROM audit_events WHERE target_id = $1", &[&alex]).await, ["user.password_reset"]);

    let morgan_id = app.user_id(PRIVILEGED_ADMIN).await;
    let res = morgan
        .post(app.url(&format!("/api/v1/admin/users/{morgan_id}/reset-password")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn check_access_lays_out_every_check_and_its_fix_comes_back_to_it() {
    let app = spawn_app().await;
    let mail = app.app_id("Mail").await;
    let source = app.app_id("Source Control").await;

    // An app admin: the decision, read-only.
    let sam = app.signed_in(APP_ADMIN).await;
    let (status, page) = app.page(&sam, &format!("/admin/check-access?user=alex.wu%40northwind.example&app={source}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("can&#x27;t launch Source Control") || page.contains("can't launch Source Control"), "{page}");
    assert!(page.contains("consent_required") && page.contains("Through the group Engineering"), "{page}");
    assert!(!page.contains("Unblock sign-in"));
    assert!(page.contains(&format!("/admin/sign-ins?user=alex.wu%40northwind.example&amp;app_id={source}&amp;kind=launch")), "{page}");

    // A privileged admin, a blocked user: the fix is a button that comes back here.
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let here = format!("/admin/check-access?user=casey.brown%40northwind.example&app={mail}");
    let (_, page) = app.page(&morgan, &here).await;
    assert!(page.contains("account_blocked") && page.contains("Unblock sign-in"), "{page}");
    let casey = app.user_id(BLOCKED_USER).await;
    let res = app.post_form(&morgan, &here, &format!("/admin/users/{casey}/unblock"), &[("return_to", &here)]).await;
    assert_eq!(location(&res), format!("{here}&done=unblocked"));
    let (_, page) = app.page(&morgan, &location(&res)).await;
    assert!(page.contains("Sign-in is unblocked.") && page.contains("can launch Mail"), "{page}");
    // Somewhere else than the admin area is never a way back.
    let res = app.post_form(&morgan, &here, &format!("/admin/users/{casey}/block"), &[("return_to", "https://evil.example/")]).await;
    assert_eq!(location(&res), format!("/admin/users/{casey}?done=blocked"));

    let (_, page) = app.page(&morgan, &format!("/admin/check-access?user=nobody%40northwind.example&app={mail}")).await;
    assert!(page.contains("There is no such user or app in your organisation."), "{page}");
    let alex = app.signed_in(EMPLOYEE).await;
    assert_eq!(app.page(&alex, &here).await.0, 403);
}

#[tokio::test]
async fn editing_a_user_changes_only_what_is_sent_takes_effect_at_once_and_explains_problems() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let alex_client = app.signed_in(EMPLOYEE).await;
    let alex = app.user_id(EMPLOYEE).await;
    let patch = |id: &str, body: Value| {
        morgan.patch(app.url(&format!("/api/v1/admin/users/{id}"))).header("x-csrf-token", &token).json(&body).send()
    };

    assert_eq!(app.page(&alex_client, "/admin").await.0, 403);
    let (status, user) = json(patch(&alex, serde_json::json!({ "role": "app_admin", "job_title": "Staff Engineer" })).await.unwrap()).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!((user["summary"]["role"].as_str(), user["job_title"].as_str()), (Some("app_admin"), Some("Staff Engineer")));
    assert_eq!(user["summary"]["display_name"], "Alex Wu", "fields not sent keep their value");
    assert_eq!(app.page(&alex_client, "/admin").await.0, 200, "the new role holds at the next request");
    let audit = app.strings("SELECT after_json FROM audit_events WHERE target_id = $1 AND action = 'user.updated'", &[&alex]).await;
    assert!(audit[0].contains("\"role\":\"app_admin\""), "{audit:?}");

    let (status, body) =
        json(patch(&alex, serde_json::json!({ "upn": APP_ADMIN.to_uppercase(), "auth_phone": "call me" })).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["auth_phone"].is_string(), "{body}");
    let (status, body) = json(patch(&alex, serde_json::json!({ "upn": APP_ADMIN.to_uppercase() })).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["upn"].as_str().unwrap().contains("already has this sign-in name"), "{body}");
    let morgan_id = app.user_id(PRIVILEGED_ADMIN).await;
    let (status, body) = json(patch(&morgan_id, serde_json::json!({ "role": "user" })).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["role"].is_string(), "{body}");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'user.updated'", &[]).await,
        1,
        "refused edits write nothing"
    );

    // The edit page: problems come back on their fields with what was typed.
    let page = format!("/admin/users/{alex}/edit");
    let res = app.post_form(&morgan, &page, &page, &[("display_name", "Alex W."), ("auth_email", "not-an-address")]).await;
    let back = location(&res);
    assert!(back.contains("errors=auth_email%3Amalformed"), "{back}");
    let (_, html) = app.page(&morgan, &back).await;
    assert!(html.contains("value=\"Alex W.\"") && html.contains("An e-mail address looks like"), "{html}");
    let res = app.post_form(&morgan, &page, &page, &[("display_name", "Alex W.")]).await;
    assert_eq!(location(&res), format!("/admin/users/{alex}?done=saved"));
    assert_eq!(app.strings("SELECT display_name FROM users WHERE id = $1", &[&alex]).await, ["Alex W."]);
}

#[tokio::test]
async fn resetting_an_authenticator_makes_the_user_enrol_again_and_ends_their_sessions() {
    let app = spawn_app().await;
    let (morgan, token) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let alex = app.user_id(EMPLOYEE).await;
    let alex_client = app.signed_in(EMPLOYEE).await;
    let reset = || morgan.post(app.url(&format!("/api/v1/admin/users/{alex}/reset-mfa"))).header("x-csrf-token", &token).send();

    let (_, answer) = json(reset().await.unwrap()).await;
    assert_eq!(answer["changed"], false, "nothing enrolled, nothing to forget: {answer}");
    app.exec("UPDATE users SET totp_secret = 'v1.sealed-elsewhere', mfa_state = 'enforced' WHERE id = $1", &[&alex]).await;
    let (status, answer) = json(reset().await.unwrap()).await;
    assert_eq!((status, &answer["changed"]), (200, &Value::Bool(true)), "{answer}");
    assert_eq!(answer["user"]["totp_enrolled"], false);
    assert_eq!(alex_client.get(app.url("/api/v1/me")).send().await.unwrap().status(), 401, "sessions ended");
    assert_eq!(app.strings("SELECT action FROM audit_events WHERE target_id = $1", &[&alex]).await, ["user.authenticator_reset"]);
    let res = app.sign_in(&browser(), EMPLOYEE, PASSWORD).await;
    assert!(location(&res).starts_with("/sign-in/mfa/enrol"), "enrols a new one: {}", location(&res));
}
