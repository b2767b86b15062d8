//! The user access URL, through every branch of the access decision.

use crate::helpers::*;

const REFUSED: &str = "/launch-refused?ref=";

#[tokio::test]
async fn a_linked_app_launches_and_is_counted() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let mail = app.app_id("Mail").await;
    assert_eq!(app.launch(&alex, &mail).await, "https://mail.northwind.example/");
    assert_eq!(app.last_launch_reason().await, "success:");
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&mail]).await, 1);
    app.launch(&alex, &mail).await;
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&mail]).await, 2);
    let recent: Vec<serde_json::Value> = alex.get(app.url("/api/v1/me/recent")).send().await.unwrap().json().await.unwrap();
    assert_eq!(recent[0]["name"], "Mail");
}

#[tokio::test]
async fn an_oidc_app_starts_a_third_party_initiated_login() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let chat = app.app_id("Team Chat").await; // open to everyone, consent granted tenant-wide
    let target = app.launch(&alex, &chat).await;
    let url = url::Url::parse(&target).unwrap();
    assert_eq!(url.host_str(), Some("chat.northwind.example"));
    assert_eq!(url.path(), "/login");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["iss"], app.address);
    assert_eq!(q["login_hint"], EMPLOYEE);
    assert_eq!(q["target_link_uri"], "https://chat.northwind.example/");
}

#[tokio::test]
async fn every_refusal_branch_has_its_code_and_page() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let alex_id = app.user_id(EMPLOYEE).await;
    // Alex is assigned Brand Assets directly but has no Design Pro license.
    let brand = app.app_id("Brand Assets").await;
    app.exec(
        "INSERT INTO app_assignments (id, org_id, app_id, user_id, assigned_at) VALUES ($1, $2, $3, $4, 1)",
        &["x1", &app.org_id, &brand, &alex_id],
    )
    .await;
    // Where users may not consent themselves and cannot ask reviewers,
    // missing consent is a refusal (where they may, it is the consent
    // prompt: tests/api/consent.rs; where they can ask, "Approval
    // required": tests/api/requests.rs).
    app.exec("UPDATE organisations SET user_consent_policy = 'disabled', admin_consent_workflow_enabled = FALSE", &[]).await;
    let cases = [
        ("Payroll", "not_assigned", "You don't have access to this app"),
        ("Legacy Reports", "app_disabled", "This app is switched off"),
        ("Brand Assets", "license_missing", "You need a license for this app"),
        ("Source Control", "consent_required", "This app needs permission first"),
    ];
    for (name, code, title) in cases {
        let id = app.app_id(name).await;
        let target = app.launch(&alex, &id).await;
        assert!(target.starts_with(REFUSED), "{name}: {target}");
        assert_eq!(app.last_launch_reason().await, format!("failure:{code}"), "{name}");
        let correlation = target.trim_start_matches(REFUSED);
        let (status, html) = app.page(&alex, &target).await;
        assert_eq!(status, 200);
        assert!(html.contains(title), "{name}: page says {title:?}");
        assert!(html.contains(code), "{name}: page shows the code");
        assert!(html.contains(correlation), "{name}: support block has the correlation id");
        assert!(html.contains(EMPLOYEE) && html.contains(&app.org_id), "{name}: UPN and tenant id");
        assert!(html.contains(name), "{name}: the app's name");
    }
}

#[tokio::test]
async fn assignment_through_nested_groups_and_open_apps_launch() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    // Issue Tracker is assigned to Engineering; Alex is in Platform Team, nested in it.
    let tracker = app.app_id("Issue Tracker").await;
    assert_eq!(app.launch(&alex, &tracker).await, "https://issues.tailspin.example/");
    // Intranet needs no assignment.
    let intranet = app.app_id("Intranet").await;
    assert_eq!(app.launch(&alex, &intranet).await, "https://intranet.northwind.example/");
    // Whiteboard: consent covered by Alex's own grant.
    let board = app.app_id("Whiteboard").await;
    assert!(app.launch(&alex, &board).await.starts_with("https://board.fabrikam.example/login?iss="));
}

#[tokio::test]
async fn a_hidden_app_is_not_listed_but_its_link_still_works() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let hidden = app.app_id("Status Page Admin").await;
    let alex_id = app.user_id(EMPLOYEE).await;
    app.exec(
        "INSERT INTO app_assignments (id, org_id, app_id, user_id, assigned_at) VALUES ($1, $2, $3, $4, 1)",
        &["x2", &app.org_id, &hidden, &alex_id],
    )
    .await;
    let list: serde_json::Value = alex.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    assert!(!list["apps"].as_array().unwrap().iter().any(|a| a["id"] == hidden.as_str()));
    assert_eq!(app.launch(&alex, &hidden).await, "https://status-admin.northwind.example/");
}

#[tokio::test]
async fn users_beyond_the_seat_count_are_refused() {
    let app = spawn_app().await;
    // Office Suite E3 has 40 seats for the 50 members of All Staff.
    let office = app.strings("SELECT id FROM licenses WHERE sku = 'OFFICE_E3'", &[]).await.remove(0);
    assert_eq!(app.seat_holders(&office).await.len(), 40);
    // Someone who claims it without a seat, and nothing else in their way.
    let mut without = Vec::new();
    for (id, upn) in app
        .strings(
            "SELECT id || ' ' || upn_normalized FROM users WHERE sign_in_blocked = FALSE AND mfa_state = 'disabled' \
             AND password_expires_at IS NULL ORDER BY upn_normalized",
            &[],
        )
        .await
        .iter()
        .filter_map(|row| row.split_once(' '))
    {
        if app.seat_of(id, &office).await == Some(false) {
            without.push(upn.to_string());
        }
    }
    assert!(!without.is_empty(), "one of the 10 without a seat can sign in");
    let client = app.signed_in(&without[0]).await;
    let mail = app.app_id("Mail").await;
    assert!(app.launch(&client, &mail).await.starts_with(REFUSED));
    assert_eq!(app.last_launch_reason().await, "failure:license_seats_exhausted");
    let list: serde_json::Value = client.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    assert!(!list["apps"].as_array().unwrap().iter().any(|a| a["name"] == "Mail"), "no tile without a seat");
}

#[tokio::test]
async fn unknown_malformed_and_foreign_app_ids_look_the_same() {
    let app = spawn_app().await;
    // Another organisation with an app of its own.
    app.exec("INSERT INTO organisations (id, name, created_at) VALUES ('other-org', 'Other Org', 1)", &[]).await;
    app.exec("INSERT INTO applications (id, org_id, name, sign_on_mode, launch_url, assignment_required, created_at, updated_at) \
              VALUES ('0190a0a0-0000-7000-8000-000000000001', 'other-org', 'Secret Other App', 'linked', 'https://other.example/', FALSE, 1, 1)", &[]).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let mut pages = Vec::new();
    for id in
        ["0190a0a0-0000-7000-8000-000000000001", "0190a0a0-0000-7000-8000-0000000000ff", "not-a-uuid", "%2e%2e%2fetc", "'%20OR%201=1--"]
    {
        let target = app.launch(&alex, id).await;
        assert!(target.starts_with(REFUSED), "{id}: {target}");
        assert_eq!(app.last_launch_reason().await, "failure:app_not_found", "{id}");
        let (_, html) = app.page(&alex, &target).await;
        assert!(html.contains("We can&#x27;t find that app") || html.contains("We can't find that app"), "{id}");
        assert!(!html.contains("Secret Other App"));
        pages.push(html.replace(target.trim_start_matches(REFUSED), "CID"));
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE kind = 'launch' AND app_id IS NOT NULL", &[]).await, 0);
}

#[tokio::test]
async fn a_deep_link_signs_in_first_then_continues_to_the_app() {
    let app = spawn_app().await;
    let client = browser();
    let mail = app.app_id("Mail").await;
    let res = client.get(app.url(&format!("/launch/{mail}"))).header("accept", "text/html").send().await.unwrap();
    let to_sign_in = location(&res);
    assert_eq!(to_sign_in, format!("/sign-in?return_to=%2Flaunch%2F{mail}"));
    let res = app
        .post_form(
            &client,
            &to_sign_in,
            "/auth/sign-in",
            &[("upn", EMPLOYEE), ("password", PASSWORD), ("return_to", &format!("/launch/{mail}"))],
        )
        .await;
    assert_eq!(location(&res), format!("/launch/{mail}"));
    assert_eq!(app.launch(&client, &mail).await, "https://mail.northwind.example/");
}

#[tokio::test]
async fn someone_elses_refusal_page_shows_nothing() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let target = app.launch(&alex, &app.app_id("Payroll").await).await;
    let sam = app.signed_in("sam.patel@northwind.example").await;
    let (status, html) = app.page(&sam, &target).await;
    assert_eq!(status, 200);
    assert!(html.contains("Nothing to show here"));
    assert!(!html.contains(EMPLOYEE));
}

#[tokio::test]
async fn launches_record_client_and_correlation_id() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let res = alex
        .get(app.url(&format!("/launch/{}", app.app_id("Payroll").await)))
        .header("user-agent", "LaunchAgent/2.0")
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(location(&res), format!("{REFUSED}{request_id}"));
    let row =
        app.strings("SELECT correlation_id || ' ' || client_ip || ' ' || user_agent FROM sign_in_events WHERE kind = 'launch'", &[]).await;
    assert_eq!(row, [format!("{request_id} 127.0.0.1 LaunchAgent/2.0")]);
}

/// A launch event the store is asked to record directly (as the launch
/// handler does), for the user `upn`, of app `app_id`.
pub(super) async fn launch_event(app: &TestApp, org_id: &str, upn: &str, app_id: &str, correlation_id: &str) -> app::ports::SignInEvent {
    app::ports::SignInEvent {
        org_id: org_id.to_string(),
        correlation_id: correlation_id.to_string(),
        user_id: Some(app.user_id(upn).await),
        upn_attempted: upn.to_string(),
        app_id: Some(app_id.to_string()),
        kind: app::ports::SignInKind::Launch,
        outcome: app::ports::SignInOutcome::Success,
        reason_code: String::new(),
        client_ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        at: 1_800_000_000_000,
    }
}

#[tokio::test]
async fn a_failed_batch_of_launches_is_rolled_back_and_the_next_one_is_written() {
    use app::ports::AccessStore;
    let app = spawn_app().await;
    let mail = app.app_id("Mail").await;
    // An event of an organisation that does not exist breaks its batch's
    // transaction (foreign key): nothing of that batch may remain, and the
    // writer must carry on with a working connection.
    let broken = launch_event(&app, "no-such-org", EMPLOYEE, &mail, "broken").await;
    assert!(app.server_store.record_launch(broken, true, None).await.is_err());
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id = 'broken'", &[]).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM app_usage_daily", &[]).await, 0);
    for n in 0..3 {
        let fine = launch_event(&app, &app.org_id, EMPLOYEE, &mail, &format!("fine-{n}")).await;
        app.server_store.record_launch(fine, true, None).await.expect("the writer recovered");
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id LIKE 'fine-%'", &[]).await, 3);
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&mail]).await, 3);
}

#[tokio::test]
async fn concurrent_launches_are_each_recorded_and_counted_once() {
    use app::ports::AccessStore;
    let app = spawn_app().await;
    let mail = app.app_id("Mail").await;
    let docs = app.app_id("Documents").await;
    let mut events = Vec::new();
    for n in 0..200 {
        let (upn, app_id) = if n % 2 == 0 { (EMPLOYEE, &mail) } else { (APP_ADMIN, &docs) };
        events.push(launch_event(&app, &app.org_id, upn, app_id, &format!("c-{n}")).await);
    }
    // All at once: the writer takes them in a few batches.
    let mut launches = tokio::task::JoinSet::new();
    for event in events {
        let store = app.server_store.clone();
        launches.spawn(async move { store.record_launch(event, true, None).await });
    }
    while let Some(result) = launches.join_next().await {
        result.unwrap().expect("recorded");
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id LIKE 'c-%'", &[]).await, 200);
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&mail]).await, 100);
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&docs]).await, 100);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_app_recents", &[]).await, 2);
}

#[tokio::test]
async fn a_launch_of_an_app_deleted_meanwhile_fails_nobody_elses() {
    use app::ports::AccessStore;
    let app = spawn_app().await;
    let mail = app.app_id("Mail").await;
    // An allowed launch whose app is gone by the time it is written (deleted
    // between the decision and the write): its event stays, its counts are
    // skipped, and the launches written with it are recorded and counted.
    let mut launches = tokio::task::JoinSet::new();
    for n in 0..40 {
        let app_id = if n == 20 { "deleted-app".to_string() } else { mail.clone() };
        let event = launch_event(&app, &app.org_id, EMPLOYEE, &app_id, &format!("d-{n}")).await;
        let store = app.server_store.clone();
        launches.spawn(async move { store.record_launch(event, true, None).await });
    }
    while let Some(result) = launches.join_next().await {
        result.unwrap().expect("recorded");
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id LIKE 'd-%'", &[]).await, 40);
    assert_eq!(app.scalar_i64("SELECT launches FROM app_usage_daily WHERE app_id = $1", &[&mail]).await, 39);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM app_usage_daily", &[]).await, 1);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_app_recents WHERE app_id = 'deleted-app'", &[]).await, 0);
}
