//! Token endpoint throughput: refresh-token grants and client-credentials
//! grants per second, at 64 concurrent connections, against a running
//! portal with the demo organisation (bench/run.sh starts one per backend):
//!
//!   cargo bench -p server --bench token_grants -- http://127.0.0.1:PORT [SECONDS [REFERENCE]]
//!
//! It registers a confidential OpenID Connect client as the demo's app
//! admin, consents for the organisation as its privileged admin, and signs
//! the employee in through the forms, as people would. Each of the 64
//! workers then gets its own refresh token through the code flow (PKCE) and
//! refreshes in a loop, each time with the token the last refresh returned
//! (rotation makes every refresh token single-use), so every request is a
//! real rotation: decision, spend, two inserts, a sign-in event. Then 64
//! workers ask for client-credentials tokens. Prints requests/s and p99.
//!
//! With REFERENCE (the address of `bare_redirect`), the same 64 workers
//! first and last post the same refresh form to its `/oauth/token`, which
//! answers at once: the same run's ceiling for this load generator, HTTP
//! and JSON on these cores. Refresh grants are printed as a ratio of it.

use reqwest::redirect::Policy;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const PASSWORD: &str = "Northwind-Demo-2026";
const CALLBACK: &str = "https://bench.example/callback";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

async fn signed_in(base: &str, upn: &str) -> (reqwest::Client, String) {
    let client = browser();
    let html = client.get(format!("{base}/sign-in")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = html[start..].split('"').next().unwrap().to_string();
    let res = client
        .post(format!("{base}/auth/sign-in"))
        .header("accept", "text/html")
        .form(&[("csrf_token", csrf.as_str()), ("upn", upn), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "signed in as {upn}");
    let me: Value = client.get(format!("{base}/api/v1/me")).send().await.unwrap().json().await.unwrap();
    (client, me["csrf_token"].as_str().unwrap().to_string())
}

async fn register(base: &str) -> (String, String) {
    let (sam, csrf) = signed_in(base, "sam.patel@northwind.example").await;
    let catalogue: Value = sam.get(format!("{base}/api/v1/admin/permissions")).send().await.unwrap().json().await.unwrap();
    let ids: Vec<String> = catalogue
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|api| api["permissions"].as_array().unwrap().iter())
        .filter(|p| ["openid", "profile", "email", "offline_access"].contains(&p["value"].as_str().unwrap()))
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let created: Value = sam
        .post(format!("{base}/api/v1/admin/apps"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Token bench", "sign_on_mode": "oidc", "assignment_required": false, "publisher_verified": true,
                      "redirect_uris": [CALLBACK], "launch_url": "https://bench.example/", "permission_ids": ids}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (morgan, csrf) = signed_in(base, "morgan.lee@northwind.example").await;
    let res = morgan
        .post(format!("{base}/api/v1/admin/apps/{}/consents", created["id"].as_str().unwrap()))
        .header("x-csrf-token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    (created["client_id"].as_str().unwrap().to_string(), created["client_secret"].as_str().unwrap().to_string())
}

async fn refresh_token(base: &str, alex: &reqwest::Client, http: &reqwest::Client, client_id: &str, secret: &str) -> String {
    let challenge = app::domain::oidc::pkce_s256(VERIFIER);
    let url = format!(
        "{base}/oauth/authorize?client_id={client_id}&redirect_uri=https%3A%2F%2Fbench.example%2Fcallback&response_type=code\
         &scope=openid%20profile%20offline_access&code_challenge={challenge}&code_challenge_method=S256"
    );
    let res = alex.get(url).send().await.unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let code = url::Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["refresh_token"].as_str().unwrap().to_string()
}

/// Runs `CONNECTIONS` workers for `seconds`; each request's latency kept.
async fn load<F, Fut>(seconds: u64, worker: F) -> (f64, Duration, u64)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (Vec<Duration>, u64)> + Send + 'static,
{
    let start = Instant::now();
    let handles: Vec<_> = (0..CONNECTIONS).map(|i| tokio::spawn(worker(i))).collect();
    let mut times = Vec::new();
    let mut failures = 0;
    for h in handles {
        let (t, f) = h.await.unwrap();
        times.extend(t);
        failures += f;
    }
    let elapsed = start.elapsed().as_secs_f64().min(seconds as f64 + 1.0);
    times.sort();
    let p99 = times.get(times.len() * 99 / 100).copied().unwrap_or_default();
    (times.len() as f64 / elapsed, p99, failures)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let base = args.first().expect("the portal's address").trim_end_matches('/').to_string();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let reference = args.get(2).map(|r| r.trim_end_matches('/').to_string());
    let (client_id, secret) = register(&base).await;
    let (alex, _) = signed_in(&base, "alex.wu@northwind.example").await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(CONNECTIONS).build().unwrap();
    let mut tokens = Vec::new();
    for _ in 0..CONNECTIONS {
        tokens.push(refresh_token(&base, &alex, &http, &client_id, &secret).await);
    }
    // (target, grant): the reference twice around the portal's two grants.
    let mut runs = vec![(base.clone(), "refresh_token"), (base.clone(), "client_credentials")];
    if let Some(reference) = &reference {
        runs.insert(0, (reference.clone(), "reference"));
        runs.push((reference.clone(), "reference"));
    }
    let (mut reference_rates, mut refresh_rate) = (Vec::new(), 0.0);
    for (target, kind) in runs {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let (rate, p99, failures) = load(seconds, |i| {
            let (http, target, client_id, secret) = (http.clone(), target.clone(), client_id.clone(), secret.clone());
            let chain = (kind != "client_credentials").then(|| tokens[i].clone());
            grants(http, target, client_id, secret, chain, deadline)
        })
        .await;
        match kind {
            "reference" => reference_rates.push(rate),
            "refresh_token" => refresh_rate = rate,
            _ => {}
        }
        println!(
            "{:<27}{rate:8.0} /s  p99 {:6.2} ms  ({CONNECTIONS} connections, {failures} refused)",
            format!("{kind} grants:"),
            p99.as_secs_f64() * 1000.0
        );
    }
    if !reference_rates.is_empty() {
        let reference = reference_rates.iter().sum::<f64>() / reference_rates.len() as f64;
        println!("refresh grants / reference = {:.3}", refresh_rate / reference);
    }
}

/// One worker: client-credentials grants, or (with a refresh token)
/// refresh grants, each with the token the last one returned, until the
/// deadline. A refused refresh ends the chain.
async fn grants(
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
    mut chain: Option<String>,
    deadline: Instant,
) -> (Vec<Duration>, u64) {
    let (mut times, mut failures) = (Vec::new(), 0u64);
    while Instant::now() < deadline {
        let t = Instant::now();
        let form: Vec<(&str, &str)> = match &chain {
            Some(token) => vec![("grant_type", "refresh_token"), ("refresh_token", token.as_str())],
            None => vec![("grant_type", "client_credentials")],
        };
        let res = http.post(format!("{base}/oauth/token")).basic_auth(&client_id, Some(&secret)).form(&form).send().await;
        match res {
            Ok(r) if r.status().is_success() => {
                let body: Value = r.json().await.unwrap();
                if chain.is_some() {
                    chain = body["refresh_token"].as_str().map(str::to_string);
                }
                times.push(t.elapsed());
            }
            _ => {
                failures += 1;
                if chain.is_some() {
                    break;
                }
            }
        }
    }
    (times, failures)
}
