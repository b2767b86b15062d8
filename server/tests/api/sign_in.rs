use crate::helpers::*;

#[tokio::test]
async fn signing_in_shows_name_and_organisation_and_signing_out_ends_the_session() {
    let app = spawn_app().await;
    let client = browser();

    let res = app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    let cookie = set_cookies(res.headers()).into_iter().find(|c| c.starts_with("mya_session=")).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-HTTP test server: no Secure flag");

    let (status, html) = app.page(&client, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Alex Wu"), "shows the name");
    assert!(html.contains("Northwind Traders"), "shows the organisation");
    assert!(html.contains(&app.org_id), "shows the tenant id");

    let res = app.post_form(&client, "/", "/auth/sign-out", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/sign-in?notice=signed_out");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 0, "session ended on the server");

    let res = client.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in");
}

#[tokio::test]
async fn a_stolen_cookie_is_useless_after_sign_out() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    let cookie = set_cookies(res.headers()).into_iter().find(|c| c.starts_with("mya_session=")).unwrap();
    let pair = cookie.split(';').next().unwrap().to_string();
    app.post_form(&client, "/", "/auth/sign-out", &[]).await;

    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = replay.get(app.url("/")).header("cookie", &pair).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/sign-in");
}

#[tokio::test]
async fn unknown_account_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let client = browser();
    let wrong = app.sign_in(&client, EMPLOYEE, "not the password").await;
    let unknown = app.sign_in(&client, "nobody@northwind.example", "not the password").await;
    assert_eq!(wrong.status(), unknown.status());
    let strip_upn = |l: String| l.split("&upn=").next().unwrap().to_string();
    assert_eq!(strip_upn(location(&wrong)), "/sign-in?error=invalid_credentials");
    assert_eq!(strip_upn(location(&unknown)), "/sign-in?error=invalid_credentials");

    let (_, html) = app.page(&client, &location(&wrong)).await;
    assert!(html.contains("Your sign-in name or password is incorrect"));
    assert!(html.contains("value=\"alex.wu@northwind.example\""), "what was typed is kept");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_until_the_cool_down_ends() {
    let app = spawn_app().await;
    let client = browser();
    for _ in 0..5 {
        let res = app.sign_in(&client, EMPLOYEE, "wrong password").await;
        assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"));
    }
    // Locked: even the right password is refused, with the same answer.
    let res = app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"), "{}", location(&res));
    let reasons = app.strings("SELECT reason_code FROM sign_in_events WHERE upn_attempted = $1 ORDER BY created_at, id", &[EMPLOYEE]).await;
    assert_eq!(
        reasons,
        ["invalid_password", "invalid_password", "invalid_password", "invalid_password", "account_locked", "account_locked"]
    );

    // The cool-down passes.
    app.exec("UPDATE users SET locked_until = 1 WHERE upn_normalized = $1", &[EMPLOYEE]).await;
    let res = app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    assert_eq!(location(&res), "/");
    assert_eq!(app.scalar_i64("SELECT failed_sign_in_count FROM users WHERE upn_normalized = $1", &[EMPLOYEE]).await, 0);
}

#[tokio::test]
async fn blocked_accounts_are_refused() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.sign_in(&client, BLOCKED_USER, PASSWORD).await;
    assert!(location(&res).starts_with("/sign-in?error=account_blocked"));
    let (_, html) = app.page(&client, &location(&res)).await;
    assert!(html.contains("blocked from signing in"));
    // wrong password for a blocked account says nothing about the block
    let res = app.sign_in(&client, BLOCKED_USER, "wrong password").await;
    assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"));
}

#[tokio::test]
async fn blocking_a_signed_in_user_ends_their_session() {
    let app = spawn_app().await;
    let client = browser();
    app.sign_in(&client, EMPLOYEE, PASSWORD).await;
    app.exec("UPDATE users SET sign_in_blocked = TRUE WHERE upn_normalized = $1", &[EMPLOYEE]).await;
    let res = client.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in");
}

#[tokio::test]
async fn every_sign_in_gets_a_new_session_id() {
    let app = spawn_app().await;
    let client = browser();
    let first = set_cookies(app.sign_in(&client, EMPLOYEE, PASSWORD).await.headers());
    // signing in again from the same browser (with its session's token) replaces the session
    let (_, home) = app.page(&client, "/").await;
    let token = csrf_in(&home);
    let res = client
        .post(app.url("/auth/sign-in"))
        .form(&[("csrf_token", token.as_str()), ("upn", EMPLOYEE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let second = set_cookies(res.headers());
    let session = |c: &Vec<String>| c.iter().find(|c| c.starts_with("mya_session=")).cloned().unwrap();
    assert_ne!(session(&first), session(&second));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 1, "the old session was ended");
}

#[tokio::test]
async fn deep_links_continue_after_sign_in_but_never_off_site() {
    let app = spawn_app().await;
    let client = browser();
    let res = client.get(app.url("/some/deep/link?x=1")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in?return_to=%2Fsome%2Fdeep%2Flink%3Fx%3D1");

    let res = app
        .post_form(&client, "/sign-in", "/auth/sign-in", &[("upn", EMPLOYEE), ("password", PASSWORD), ("return_to", "/some/deep/link?x=1")])
        .await;
    assert_eq!(location(&res), "/some/deep/link?x=1");

    for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
        let c = browser();
        let res = app.post_form(&c, "/sign-in", "/auth/sign-in", &[("upn", EMPLOYEE), ("password", PASSWORD), ("return_to", evil)]).await;
        assert_eq!(location(&res), "/", "return_to {evil:?}");
    }
    // and a signed-in visit to /sign-in?return_to=... follows only local paths
    let res = client.get(app.url("/sign-in?return_to=//evil.example")).send().await.unwrap();
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn idle_and_absolute_expiry_end_sessions() {
    let app = spawn_app().await;
    for column in ["idle_expires_at", "absolute_expires_at"] {
        let client = browser();
        app.sign_in(&client, EMPLOYEE, PASSWORD).await;
        let (status, _) = app.page(&client, "/").await;
        assert_eq!(status, 200);
        app.exec(&format!("UPDATE sessions SET {column} = 1"), &[]).await;
        let res = client.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(location(&res), "/sign-in", "{column}");
        assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 0);
    }
}

#[tokio::test]
async fn sign_in_events_record_the_client() {
    let app = spawn_app().await;
    let client = browser();
    client.get(app.url("/sign-in")).send().await.unwrap();
    let (_, html) = app.page(&client, "/sign-in").await;
    client
        .post(app.url("/auth/sign-in"))
        .header("user-agent", "TestAgent/1.0")
        .form(&[("csrf_token", csrf_in(&html).as_str()), ("upn", EMPLOYEE), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let rows = app.strings("SELECT outcome || ' ' || client_ip || ' ' || user_agent FROM sign_in_events", &[]).await;
    assert_eq!(rows, ["success 127.0.0.1 TestAgent/1.0"]);
}

/// Signs in from the address `forwarded_for` names (meaningful only to a
/// server that trusts 127.0.0.1 as its proxy).
async fn sign_in_from(app: &TestApp, client: &reqwest::Client, forwarded_for: &str, upn: &str, password: &str) -> String {
    let (_, html) = app.page(client, "/sign-in").await;
    let res = client
        .post(app.url("/auth/sign-in"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("csrf_token", csrf_in(&html).as_str()), ("upn", upn), ("password", password)])
        .send()
        .await
        .unwrap();
    location(&res)
}

#[tokio::test]
async fn an_address_spraying_passwords_is_throttled_before_any_account_locks() {
    let app = spawn_app_with(|c| c.sign_in_failures_per_ip = 3).await;
    let client = browser();
    // One wrong password each on three accounts (one of them unknown): no
    // account is near its own lockout, but the address has used its allowance.
    for upn in [EMPLOYEE, APP_ADMIN, "nobody@northwind.example"] {
        let res = app.sign_in(&client, upn, "Spring2026!").await;
        assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"), "{}", location(&res));
    }
    // Now even the right password is refused, with a message that says why.
    let res = app.sign_in(&client, PRIVILEGED_ADMIN, PASSWORD).await;
    let to = location(&res);
    assert!(to.starts_with("/sign-in?error=too_many_attempts"), "{to}");
    let (_, html) = app.page(&client, &to).await;
    assert!(html.contains("Too many failed sign-ins have come from your network"), "the page explains");
    // Refused before the account was even looked up: nothing was recorded
    // against it, and the accounts themselves are not locked.
    let events = app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE upn_attempted = $1", &[PRIVILEGED_ADMIN]).await;
    assert_eq!(events, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users WHERE locked_until IS NOT NULL", &[]).await, 0);
    let (_, metrics) = app.page(&client, "/metrics").await;
    assert!(metrics.contains("myapps_sign_ins_throttled_total 1"), "{metrics}");
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    // Not trusted (the default): the header is ignored, so a client cannot
    // escape the throttle by naming a new address each time.
    let app = spawn_app_with(|c| c.sign_in_failures_per_ip = 2).await;
    let client = browser();
    for fake in ["203.0.113.1", "203.0.113.2"] {
        let to = sign_in_from(&app, &client, fake, EMPLOYEE, "wrong password").await;
        assert!(to.starts_with("/sign-in?error=invalid_credentials"), "{to}");
    }
    let to = sign_in_from(&app, &client, "203.0.113.3", EMPLOYEE, PASSWORD).await;
    assert!(to.starts_with("/sign-in?error=too_many_attempts"), "{to}");
    let ips = app.strings("SELECT DISTINCT client_ip FROM sign_in_events", &[]).await;
    assert_eq!(ips, ["127.0.0.1"]);

    // Behind a trusted proxy: each client is itself, in the throttle and in
    // the sign-in events.
    let app = spawn_app_with(|c| {
        c.sign_in_failures_per_ip = 2;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let client = browser();
    for _ in 0..2 {
        sign_in_from(&app, &client, "203.0.113.1", EMPLOYEE, "wrong password").await;
    }
    let to = sign_in_from(&app, &client, "203.0.113.1", EMPLOYEE, PASSWORD).await;
    assert!(to.starts_with("/sign-in?error=too_many_attempts"), "{to}");
    // A forged entry before the real client changes nothing.
    let to = sign_in_from(&app, &client, "198.51.100.7, 203.0.113.1", EMPLOYEE, PASSWORD).await;
    assert!(to.starts_with("/sign-in?error=too_many_attempts"), "{to}");
    let to = sign_in_from(&app, &client, "203.0.113.2", EMPLOYEE, PASSWORD).await;
    assert_eq!(to, "/", "another client is not held back");
    let ips = app.strings("SELECT client_ip FROM sign_in_events WHERE outcome = 'success'", &[]).await;
    assert_eq!(ips, ["203.0.113.2"]);
}

#[tokio::test]
async fn a_flood_of_sign_ins_past_the_queue_gets_503_with_retry_after_not_a_hang() {
    // No room to wait: while every core is hashing, further sign-ins are
    // refused at once rather than piling up.
    let app = spawn_app_with(|c| {
        c.password_check_queue = 0;
        c.sign_in_failures_per_ip = 0;
    })
    .await;
    let client = browser();
    let (_, html) = app.page(&client, "/sign-in").await;
    let token = csrf_in(&html);
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (client, url, token) = (client.clone(), app.url("/auth/sign-in"), token.clone());
        attempts.spawn(async move {
            let upn = format!("nobody{i}@northwind.example");
            let form = [("csrf_token", token.as_str()), ("upn", upn.as_str()), ("password", "Spring2026!"), ("return_to", "/apps")];
            client.post(url).header("accept", "text/html").form(&form).send().await.unwrap()
        });
    }
    let mut checked = 0;
    let mut refused = 0;
    while let Some(res) = attempts.join_next().await {
        let res = res.unwrap();
        match res.status().as_u16() {
            303 => {
                assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"), "{}", location(&res));
                checked += 1;
            }
            503 => {
                let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
                let page = res.text().await.unwrap();
                assert!(page.contains("We&#39;re busy right now") || page.contains("We're busy right now"), "{page}");
                // "Try again" goes back to the form, keeping where they were going.
                assert!(page.contains(r#"href="/sign-in?notice=try_again&amp;return_to=%2Fapps&amp;upn=nobody"#), "{page}");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(checked >= 1, "some sign-ins were checked");
    assert!(refused >= 1, "the rest were refused at once ({checked} checked)");
    // The server is not wedged: a real sign-in works straight after.
    let res = app.sign_in(&browser(), EMPLOYEE, PASSWORD).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn concurrent_requests_each_get_their_own_session() {
    // Sessions of requests arriving together are read in one query: each
    // request must still get exactly its own.
    let app = spawn_app().await;
    let people = [EMPLOYEE, APP_ADMIN, PRIVILEGED_ADMIN];
    let mut clients = Vec::new();
    for upn in people {
        clients.push((upn, app.signed_in(upn).await));
    }
    let mut requests = tokio::task::JoinSet::new();
    for round in 0..20 {
        for (upn, client) in &clients {
            let (upn, client, url) = (upn.to_string(), client.clone(), app.url("/api/v1/me"));
            requests.spawn(async move {
                let me: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
                (round, upn, me["upn"].as_str().unwrap_or_default().to_string())
            });
        }
    }
    let anonymous = reqwest::Client::new().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    while let Some(answer) = requests.join_next().await {
        let (round, asked_as, answered_for) = answer.unwrap();
        assert_eq!(answered_for, asked_as, "round {round}");
    }
}
