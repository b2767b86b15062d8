use crate::helpers::*;

#[tokio::test]
async fn a_form_without_a_csrf_token_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let client = browser();
    let res = client
        .post(app.url("/auth/sign-in"))
        .header("accept", "text/html")
        .form(&[("upn", EMPLOYEE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/sign-in?error=form_expired&upn=alex.wu%40northwind.example");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 0);

    // a forged token is no better
    let res = client
        .post(app.url("/auth/sign-in"))
        .form(&[("csrf_token", "A".repeat(43).as_str()), ("upn", EMPLOYEE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/sign-in?error=form_expired"));
}

#[tokio::test]
async fn a_signed_in_post_needs_the_session_token_not_the_anonymous_one() {
    let app = spawn_app().await;
    let client = browser();
    let (_, page) = app.page(&client, "/sign-in").await;
    let anonymous_token = csrf_in(&page);
    app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    let res = client.post(app.url("/auth/sign-out")).header("x-csrf-token", anonymous_token).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_token_invalid");
    assert!(!body["error"]["correlation_id"].as_str().unwrap().is_empty());
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 1, "still signed in");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let client = browser();
    let (_, page) = app.page(&client, "/sign-in").await;
    let res = client
        .post(app.url("/auth/sign-in"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf_token", csrf_in(&page).as_str()), ("upn", EMPLOYEE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/sign-in?error=form_expired"));
}

#[tokio::test]
async fn oversized_forms_get_413_with_a_message() {
    let app = spawn_app().await;
    let client = browser();
    let huge = "x".repeat(100 * 1024);
    let res = client.post(app.url("/auth/sign-in")).form(&[("upn", huge.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");

    let res = client.post(app.url("/auth/sign-in")).header("accept", "text/html").form(&[("upn", huge.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("Forms can be at most 64 KiB"));
}

#[tokio::test]
async fn malformed_bodies_get_a_4xx_with_a_message() {
    let app = spawn_app().await;
    let client = browser();
    let (_, page) = app.page(&client, "/sign-in").await;
    let token = csrf_in(&page);
    // JSON where a form is expected
    let res = client
        .post(app.url("/auth/sign-in"))
        .header("x-csrf-token", &token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    // a form with invalid percent-encoding and unknown fields still answers sanely
    let res = client
        .post(app.url("/auth/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&upn=%ZZ%&password=&extra=1"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection() || res.status().is_client_error(), "{}", res.status());
}

#[tokio::test]
async fn unknown_routes_and_methods_get_clear_errors() {
    let app = spawn_app().await;
    let client = browser();
    app.sign_in(&client, EMPLOYEE, PASSWORD).await;

    let (status, html) = app.page(&client, "/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("We couldn't find that page"));

    let res = client.get(app.url("/api/v1/no-such-endpoint")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let (_, home) = app.page(&client, "/").await;
    let res = client.post(app.url("/nowhere")).header("x-csrf-token", csrf_in(&home)).send().await.unwrap();
    assert_eq!(res.status(), 404);

    let res = client.get(app.url("/auth/sign-in")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let res = client.delete(app.url("/healthz")).header("x-csrf-token", csrf_in(&home)).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn missing_or_forged_cookies_mean_anonymous() {
    let app = spawn_app().await;
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for cookie in ["mya_session=forged", &format!("mya_session={}", "B".repeat(43)), "mya_session=", "garbage"] {
        let res = plain.get(app.url("/")).header("cookie", cookie).header("accept", "text/html").send().await.unwrap();
        assert_eq!(res.status(), 303, "{cookie}");
        assert_eq!(location(&res), "/sign-in");
    }
    let res = plain.get(app.url("/api/v1/me")).header("cookie", format!("mya_session={}", "C".repeat(43))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "sign_in_required");
}

#[tokio::test]
async fn sign_in_with_missing_or_malformed_fields_explains_what_to_do() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.post_form(&client, "/sign-in", "/auth/sign-in", &[("upn", "")]).await;
    assert_eq!(location(&res), "/sign-in?error=missing_fields");
    let res = app.post_form(&client, "/sign-in", "/auth/sign-in", &[("upn", "not-an-email"), ("password", "x")]).await;
    assert_eq!(location(&res), "/sign-in?error=upn_malformed&upn=not-an-email");
    let (_, html) = app.page(&client, &location(&res)).await;
    assert!(html.contains("A sign-in name looks like name@domain"));
}

#[tokio::test]
async fn a_server_function_called_wrongly_answers_4xx_in_its_own_encoding() {
    let app = spawn_app().await;
    let sam = app.signed_in(APP_ADMIN).await;
    // Without its arguments: the caller's mistake, not ours.
    let res = sam.get(app.url("/api/fn/admin_app")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().contains_key("serverfnerror"), "the pages' code still decodes it");
    assert!(res.text().await.unwrap().starts_with("Args|"));
    // Refused by role: 403 with the reason.
    let res = sam.get(app.url("/api/fn/admin_users?search=")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(res.text().await.unwrap().contains("privileged admin role"));
    // A cursor we did not make: 400 with what to do.
    let res = sam.get(app.url("/api/fn/admin_apps?search=&cursor=%25%25")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("Start again from the first page"));
    // And the page a refused server function renders in says so too.
    assert_eq!(app.page(&sam, "/admin/users").await.0, 403);
}
