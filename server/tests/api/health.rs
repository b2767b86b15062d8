use crate::helpers::*;

#[tokio::test]
async fn probes_answer() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let res = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    let id = res.headers().get("x-request-id").expect("request id header").to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.server_store.close().await;
    let res = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn probes_set_no_cookies() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = reqwest::get(app.url(path)).await.unwrap();
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_launches_by_outcome() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    app.launch(&alex, &app.app_id("Mail").await).await;
    app.launch(&alex, &app.app_id("Payroll").await).await;
    let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains("myapps_http_requests_total{method=\"GET\",route=\"/launch/{app_id}\",status=\"303\"} 2"), "{text}");
    assert!(text.contains("myapps_launches_total{outcome=\"success\",reason=\"\"} 1"));
    assert!(text.contains("myapps_launches_total{outcome=\"failure\",reason=\"not_assigned\"} 1"));
    assert!(text.contains("myapps_db_pool_connections{state=\"idle\"}"));
    assert!(!text.contains(&app.app_id("Mail").await), "ids never become labels");
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some(server::config::Secret("s3cret-metrics-token".into()))).await;
    let client = reqwest::Client::new();
    let res = client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = client.get(app.url("/metrics")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = client.get(app.url("/metrics")).bearer_auth("s3cret-metrics-token").send().await.unwrap();
    assert_eq!(res.status(), 200);
}
