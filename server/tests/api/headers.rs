use crate::helpers::*;

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test]
async fn pages_name_their_own_script_nonce_and_nothing_else_runs_scripts() {
    let app = spawn_app().await;
    let client = browser();
    let res = client.get(app.url("/sign-in")).header("accept", "text/html").send().await.unwrap();
    let policy = header(&res, "content-security-policy");
    let html = res.text().await.unwrap();
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("the page policy has a nonce");
    assert!(nonce.len() >= 22, "at least 128 bits: {nonce}");
    assert!(html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")), "the hydration script carries the nonce");
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"), "{policy}");

    // Each render has its own nonce.
    let again = client.get(app.url("/sign-in")).header("accept", "text/html").send().await.unwrap();
    assert_ne!(header(&again, "content-security-policy"), policy);

    // JSON, redirects and error pages run no script at all.
    for (path, accept) in [("/api/v1/me", "application/json"), ("/", "text/html"), ("/no-such-page", "application/json")] {
        let res = client.get(app.url(path)).header("accept", accept).send().await.unwrap();
        let policy = header(&res, "content-security-policy");
        assert!(policy.contains("script-src 'none'"), "{path}: {policy}");
    }
}

#[tokio::test]
async fn every_answer_refuses_framing_sniffing_referrers_and_caches() {
    let app = spawn_app().await;
    let client = app.signed_in(EMPLOYEE).await;
    for path in ["/", "/api/v1/me/apps", "/healthz", "/no-such-page"] {
        let res = client.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(header(&res, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&res, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&res, "cache-control"), "no-store", "{path}: one person's answers are never cached");
        assert_eq!(header(&res, "strict-transport-security"), "", "{path}: plain HTTP sends no HSTS");
    }
    // The site's files may be cached.
    let res = client.get(app.url("/favicon.svg")).send().await.unwrap();
    assert_ne!(header(&res, "cache-control"), "no-store");
}

#[tokio::test]
async fn https_deployments_send_hsts() {
    let app = spawn_app_with(|c| c.public_url = Some("https://myapps.northwind.example".parse().unwrap())).await;
    let res = browser().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(header(&res, "strict-transport-security"), "max-age=31536000");
}
