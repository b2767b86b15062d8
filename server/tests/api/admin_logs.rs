//! The sign-in and audit logs: filters, cursor paging, CSV export and its
//! bound, and the organisation's walls.

use crate::helpers::*;
use serde_json::Value;

async fn get_json(client: &reqwest::Client, url: String) -> (u16, Value) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn events(page: &Value) -> &Vec<Value> {
    page["events"].as_array().expect("a page of events")
}

/// The correlation id of a refused launch (the one on the refusal page).
async fn refused_launch(app: &TestApp, client: &reqwest::Client, app_id: &str) -> String {
    let to = app.launch(client, app_id).await;
    to.strip_prefix("/launch-refused?ref=").expect("the launch is refused").to_string()
}

#[tokio::test]
async fn the_sign_in_log_finds_events_by_each_filter_and_pages_without_gaps() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let admin = app.signed_in(APP_ADMIN).await;
    let mail = app.app_id("Mail").await;
    // Payroll is not assigned to Alex.
    let payroll = app.app_id("Payroll").await;
    for _ in 0..6 {
        assert_eq!(app.launch(&alex, &mail).await, "https://mail.northwind.example/");
    }
    let refused = refused_launch(&app, &alex, &payroll).await;
    let log = |query: &str| app.url(&format!("/api/v1/admin/sign-ins?{query}"));

    // By the correlation id on the refusal page: that one event.
    let (status, page) = get_json(&admin, log(&format!("correlation_id={refused}"))).await;
    assert_eq!(status, 200, "{page}");
    let found = events(&page);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["outcome"], "failure");
    assert_eq!(found[0]["reason_code"], "not_assigned");
    assert_eq!(found[0]["kind"], "launch");
    assert_eq!(found[0]["upn"], EMPLOYEE);
    assert_eq!(found[0]["app_name"], "Payroll");

    // Each filter keeps only what it names.
    let (_, page) = get_json(&admin, log(&format!("app_id={mail}&outcome=success&kind=launch"))).await;
    assert_eq!(events(&page).len(), 6);
    assert!(events(&page).iter().all(|e| e["app_id"] == mail.as_str() && e["outcome"] == "success"));
    let (_, page) = get_json(&admin, log("user=ALEX.wu&reason_code=not_assigned")).await;
    assert_eq!(events(&page).len(), 1);
    let (_, page) = get_json(&admin, log("kind=portal")).await;
    let portal = events(&page);
    assert!(portal.len() >= 2, "both sign-ins");
    assert!(portal.iter().all(|e| e["kind"] == "portal"));
    // A time range after everything: nothing.
    let (_, page) = get_json(&admin, log("from=2999-01-01")).await;
    assert!(events(&page).is_empty());
    let (_, page) = get_json(&admin, log("to=2000-01-01T00:00")).await;
    assert!(events(&page).is_empty());

    // Pages of 3, followed by cursor, are the whole log in order, once.
    let (_, whole) = get_json(&admin, log("limit=200")).await;
    let all: Vec<Value> = events(&whole).iter().map(|e| e["id"].clone()).collect();
    assert!(all.len() >= 9);
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = get_json(&admin, log(&format!("limit=3&cursor={cursor}"))).await;
        assert_eq!(status, 200);
        walked.extend(events(&page).iter().map(|e| e["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(walked, all);
    let times: Vec<i64> = events(&whole).iter().map(|e| e["created_at"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    // Bad filters are explained field by field; a cursor we did not make is refused.
    let (status, body) = get_json(&admin, log("outcome=maybe&from=yesterday")).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "validation_failed");
    let fields = body["error"]["fields"].as_object().expect("a field map");
    assert!(fields.contains_key("outcome") && fields.contains_key("from"), "{body}");
    let (status, body) = get_json(&admin, log("cursor=bm90LW91cnM")).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn another_organisations_events_are_never_seen() {
    let app = spawn_app().await;
    app.add_other_org().await;
    let theirs = app.signed_in(OTHER_ORG_ADMIN).await;
    let admin = app.signed_in(PRIVILEGED_ADMIN).await;
    let (_, page) = get_json(&admin, app.url("/api/v1/admin/sign-ins?user=elsewhere&limit=200")).await;
    assert!(events(&page).is_empty(), "{page}");
    let (_, page) = get_json(&admin, app.url("/api/v1/admin/sign-ins?limit=200")).await;
    assert!(events(&page).iter().any(|e| e["upn"] == PRIVILEGED_ADMIN));
    assert!(events(&page).iter().all(|e| !e["upn"].as_str().unwrap().ends_with("@elsewhere.example")));
    // And the other way round: their admin sees only their own sign-in.
    let (_, page) = get_json(&theirs, app.url("/api/v1/admin/sign-ins?limit=200")).await;
    assert_eq!(events(&page).len(), 1, "{page}");
    assert_eq!(events(&page)[0]["upn"], OTHER_ORG_ADMIN);
    let (_, page) = get_json(&theirs, app.url("/api/v1/admin/audit-events?limit=200")).await;
    assert!(events(&page).is_empty(), "{page}");
}

#[tokio::test]
async fn the_audit_log_shows_who_changed_what_before_and_after() {
    let app = spawn_app().await;
    let admin = app.signed_in(PRIVILEGED_ADMIN).await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let me: Value = admin.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    let res = admin.post(app.url(&format!("/api/v1/admin/users/{alex_id}/block"))).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let (status, page) = get_json(&admin, app.url(&format!("/api/v1/admin/audit-events?action=user.&target_id={alex_id}"))).await;
    assert_eq!(status, 200, "{page}");
    let found = events(&page);
    assert_eq!(found.len(), 1, "{page}");
    let event = &found[0];
    assert_eq!(event["action"], "user.sign_in_blocked");
    assert_eq!(event["target_type"], "user");
    assert_eq!(event["before"]["sign_in_blocked"], false, "{event}");
    assert_eq!(event["after"]["sign_in_blocked"], true, "{event}");
    assert!(event["actor"].as_str().unwrap().to_lowercase().contains("morgan"), "{event}");
    // An action named in full, and an actor by part of their name.
    let (_, page) = get_json(&admin, app.url("/api/v1/admin/audit-events?action=user.sign_in_blocked&actor=MORGAN")).await;
    assert_eq!(events(&page).len(), 1);
    let (_, page) = get_json(&admin, app.url("/api/v1/admin/audit-events?action=user.sign_in_unblocked")).await;
    assert!(events(&page).is_empty());
}

#[tokio::test]
async fn logs_download_as_csv_that_a_spreadsheet_cannot_run() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let payroll = app.app_id("Payroll").await;
    // A user agent is whatever the client sends.
    let res = alex
        .get(app.url(&format!("/launch/{payroll}")))
        .header("accept", "text/html")
        .header("user-agent", "=HYPERLINK(\"https://evil.example\",\"x\"), \"quoted\"")
        .send()
        .await
        .unwrap();
    let refused = location(&res).strip_prefix("/launch-refused?ref=").unwrap().to_string();
    let admin = app.signed_in(APP_ADMIN).await;
    let res = admin.get(app.url(&format!("/api/v1/admin/sign-ins/export.csv?correlation_id={refused}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let text = res.text().await.unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    assert_eq!(&header[0], "time");
    assert_eq!(&header[1], "correlation_id");
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1, "{text}");
    let ua = header.iter().position(|h| h == "user_agent").unwrap();
    assert_eq!(&records[0][ua], "'=HYPERLINK(\"https://evil.example\",\"x\"), \"quoted\"");
    assert_eq!(&records[0][1], refused);
    assert!(records[0][0].ends_with('Z'), "times are RFC 3339 UTC");

    // The audit log too, with before and after as JSON.
    let res = admin.get(app.url("/api/v1/admin/audit-events/export.csv")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().starts_with("time,actor,actor_user_id,action,target_type,target_id,before,after,correlation_id"));

    // Bad filters get the same answer as the list.
    let res = admin.get(app.url("/api/v1/admin/sign-ins/export.csv?kind=ftp")).send().await.unwrap();
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn exports_past_the_bound_are_told_to_come_back() {
    let app = spawn_app_with(|c| c.concurrent_exports = 0).await;
    let admin = app.signed_in(APP_ADMIN).await;
    let res = admin.get(app.url("/api/v1/admin/sign-ins/export.csv")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    // The list itself is not an export.
    let (status, _) = get_json(&admin, app.url("/api/v1/admin/sign-ins")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_log_pages_filter_and_link_to_the_next_page_and_the_download() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let payroll = app.app_id("Payroll").await;
    let refused = refused_launch(&app, &alex, &payroll).await;
    let admin = app.signed_in(APP_ADMIN).await;
    let (status, html) = app.page(&admin, &format!("/admin/sign-ins?correlation_id={refused}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&refused) && html.contains("not_assigned"), "the event is listed");
    assert!(html.contains(&format!("/api/v1/admin/sign-ins/export.csv?correlation_id={refused}")), "the download keeps the filter");
    let (status, html) = app.page(&admin, "/admin/sign-ins?outcome=maybe").await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose success, failure or interrupted.") && html.contains("aria-invalid=\"true\""));
    let (_, html) = app.page(&admin, "/admin/audit").await;
    assert!(html.contains("Audit log"));
    let (_, html) = app.page(&admin, "/admin/sign-ins?kind=portal").await;
    assert!(html.contains("alex.wu@northwind.example"));
}
