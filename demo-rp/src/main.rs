//! The demo relying party: a small app that signs people in with My Apps
//! over OpenID Connect, as any app would, and shows what it got.
//!
//!     cargo run -p demo-rp        # with the portal at http://127.0.0.1:3000 (`server --demo`)
//!
//! The demo organisation registers it as "Northwind Notes": a public
//! client (authorization code + PKCE S256, no secret) at
//! http://127.0.0.1:4000, with `initiate_login_uri` /login, redirect URI
//! /auth/callback and post-logout address /. Launching it from My Apps
//! starts its own sign-in (third-party initiated login); the portal asks for
//! consent; the callback redeems the code, checks the ID token against the
//! published keys, and the page shows its claims, userinfo, and a refresh
//! that fails once consent is removed on My consents.
//!
//! State (pending sign-ins, signed-in sessions) is in memory: this is a
//! demo, one process.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Parser, Debug, Clone)]
#[command(name = "demo-rp", about = "A demo OpenID Connect relying party for My Apps.")]
struct Config {
    /// The portal, as its discovery document names it.
    #[arg(long, env = "DEMO_RP_ISSUER", default_value = "http://127.0.0.1:3000")]
    issuer: String,
    /// Where this app listens; its registered addresses are under it.
    #[arg(long, env = "DEMO_RP_LISTEN", default_value = "127.0.0.1:4000")]
    listen: std::net::SocketAddr,
    #[arg(long, env = "DEMO_RP_CLIENT_ID", default_value = "demo-northwind-notes")]
    client_id: String,
}

struct Pending {
    verifier: String,
    nonce: String,
}

#[derive(Clone)]
struct Signed {
    claims: Value,
    id_token: String,
    access_token: String,
    refresh_token: Option<String>,
    scope: String,
    note: Option<String>,
}

struct Demo {
    config: Config,
    base: String,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Signed>>,
}

type Shared = Arc<Demo>;

fn random() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · Northwind Notes</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1f29;background:#fff}}\
         @media (prefers-color-scheme: dark){{body{{color:#e6e9f0;background:#12151c}} a{{color:#9cb4ff}}}}\
         pre{{white-space:pre-wrap;word-break:break-all;background:rgba(127,127,127,.12);padding:.75rem;border-radius:6px}}\
         .button{{display:inline-block;padding:.45rem .9rem;border:1px solid currentColor;border-radius:6px;text-decoration:none;background:none;color:inherit;font:inherit;cursor:pointer}}\
         form{{display:inline}}</style></head><body><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix("demo_rp=").map(str::to_string))
}

async fn discovery(demo: &Demo) -> Result<Value, String> {
    let url = format!("{}/.well-known/openid-configuration", demo.config.issuer.trim_end_matches('/'));
    demo.http.get(&url).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())
}

async fn home(State(demo): State<Shared>, headers: HeaderMap) -> Html<String> {
    let signed = session_of(&headers).and_then(|sid| demo.sessions.lock().unwrap().get(&sid).cloned());
    let Some(s) = signed else {
        return page("Northwind Notes", "<p>You are not signed in.</p><p><a class=\"button\" href=\"/login\">Sign in with My Apps</a></p>");
    };
    let name = s.claims["name"].as_str().or(s.claims["preferred_username"].as_str()).unwrap_or("you");
    let note = s.note.as_deref().map(|n| format!("<p role=\"status\"><strong>{}</strong></p>", escape(n))).unwrap_or_default();
    page(
        &format!("Signed in as {}", escape(name)),
        &format!(
            "{note}<p>My Apps signed you in. The ID token's signature, issuer, audience, nonce and expiry were checked \
             against the portal's published keys.</p>\
             <h2>ID token claims</h2><pre data-testid=\"claims\">{}</pre>\
             <p>Scopes granted: <code data-testid=\"scope\">{}</code></p>\
             <p><a class=\"button\" href=\"/userinfo\">Call userinfo</a> \
             <form method=\"post\" action=\"/refresh\"><button class=\"button\" type=\"submit\">Refresh the tokens</button></form> \
             <a class=\"button\" href=\"/logout\">Sign out</a></p>",
            escape(&serde_json::to_string_pretty(&s.claims).unwrap_or_default()),
            escape(&s.scope),
        ),
    )
}

#[derive(Deserialize)]
struct LoginQuery {
    iss: Option<String>,
    login_hint: Option<String>,
}

/// /login: where a launch from My Apps lands (OpenID Connect Core §4:
/// `iss`, `login_hint`, `target_link_uri`), and the "Sign in" button.
async fn login(State(demo): State<Shared>, Query(q): Query<LoginQuery>) -> Response {
    let issuer = demo.config.issuer.trim_end_matches('/');
    if q.iss.as_deref().is_some_and(|iss| iss.trim_end_matches('/') != issuer) {
        return (StatusCode::BAD_REQUEST, page("Unknown issuer", "<p>This app only signs in with its own portal.</p>")).into_response();
    }
    let metadata = match discovery(&demo).await {
        Ok(m) => m,
        Err(e) => return (StatusCode::BAD_GATEWAY, page("Portal unreachable", &escape(&e))).into_response(),
    };
    let (state, nonce, verifier) = (random(), random(), random());
    let challenge = data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(metadata["authorization_endpoint"].as_str().unwrap_or_default()).expect("an authorization endpoint");
    url.query_pairs_mut()
        .append_pair("client_id", &demo.config.client_id)
        .append_pair("redirect_uri", &format!("{}/auth/callback", demo.base))
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(hint) = &q.login_hint {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    demo.pending.lock().unwrap().insert(state, Pending { verifier, nonce });
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(State(demo): State<Shared>, Query(q): Query<CallbackQuery>) -> Response {
    let fail = |title: &str, why: &str| {
        (StatusCode::BAD_REQUEST, page(title, &format!("<p>{}</p><p><a href=\"/\">Back</a></p>", escape(why)))).into_response()
    };
    if let Some(error) = q.error {
        return fail("Not signed in", &format!("The portal answered {error}: {}", q.error_description.unwrap_or_default()));
    }
    let Some(pending) = q.state.and_then(|s| demo.pending.lock().unwrap().remove(&s)) else {
        return fail("Not signed in", "This sign-in was not started here (unknown state).");
    };
    if q.iss.as_deref().map(|i| i.trim_end_matches('/')) != Some(demo.config.issuer.trim_end_matches('/')) {
        return fail("Not signed in", "The answer came from another issuer (RFC 9207).");
    }
    let metadata = match discovery(&demo).await {
        Ok(m) => m,
        Err(e) => return fail("Portal unreachable", &e),
    };
    let form = [
        ("grant_type", "authorization_code".to_string()),
        ("code", q.code.unwrap_or_default()),
        ("redirect_uri", format!("{}/auth/callback", demo.base)),
        ("client_id", demo.config.client_id.clone()),
        ("code_verifier", pending.verifier),
    ];
    let tokens: Value = match demo.http.post(metadata["token_endpoint"].as_str().unwrap_or_default()).form(&form).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => return fail("Portal unreachable", &e.to_string()),
    };
    let Some(id_token) = tokens["id_token"].as_str() else {
        return fail("Not signed in", &format!("The token endpoint said: {tokens}"));
    };
    let claims = match verify(&demo, &metadata, id_token, &pending.nonce).await {
        Ok(c) => c,
        Err(e) => return fail("Not signed in", &format!("The ID token did not check out: {e}")),
    };
    let sid = random();
    demo.sessions.lock().unwrap().insert(
        sid.clone(),
        Signed {
            claims,
            id_token: id_token.to_string(),
            access_token: tokens["access_token"].as_str().unwrap_or_default().to_string(),
            refresh_token: tokens["refresh_token"].as_str().map(str::to_string),
            scope: tokens["scope"].as_str().unwrap_or_default().to_string(),
            note: None,
        },
    );
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(header::SET_COOKIE, format!("demo_rp={sid}; Path=/; HttpOnly; SameSite=Lax").parse().expect("a cookie"));
    res
}

/// The ID token, checked as OpenID Connect Core §3.1.3.7 asks, against the
/// keys the portal publishes.
async fn verify(demo: &Demo, metadata: &Value, id_token: &str, nonce: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| e.to_string())?;
    let jwks: Value = demo
        .http
        .get(metadata["jwks_uri"].as_str().unwrap_or_default())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"].as_str() == header.kid.as_deref()))
        .ok_or("signed with a key the portal does not publish")?;
    let key = match header.alg {
        jsonwebtoken::Algorithm::RS256 => {
            jsonwebtoken::DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap_or_default(), jwk["e"].as_str().unwrap_or_default())
        }
        jsonwebtoken::Algorithm::EdDSA => jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap_or_default()),
        other => return Err(format!("unexpected algorithm {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[demo.config.issuer.trim_end_matches('/')]);
    validation.set_audience(&[&demo.config.client_id]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation).map_err(|e| e.to_string())?.claims;
    if claims["nonce"].as_str() != Some(nonce) {
        return Err("the nonce is not this sign-in's".into());
    }
    Ok(claims)
}

fn signed_in(demo: &Demo, headers: &HeaderMap) -> Option<(String, Signed)> {
    let sid = session_of(headers)?;
    let s = demo.sessions.lock().unwrap().get(&sid).cloned()?;
    Some((sid, s))
}

async fn userinfo(State(demo): State<Shared>, headers: HeaderMap) -> Response {
    let Some((_, s)) = signed_in(&demo, &headers) else { return Redirect::to("/").into_response() };
    let Ok(metadata) = discovery(&demo).await else { return StatusCode::BAD_GATEWAY.into_response() };
    let answer = demo.http.get(metadata["userinfo_endpoint"].as_str().unwrap_or_default()).bearer_auth(&s.access_token).send().await;
    let text = match answer {
        Ok(r) => format!("{}\n{}", r.status(), r.text().await.unwrap_or_default()),
        Err(e) => e.to_string(),
    };
    page("Userinfo", &format!("<pre data-testid=\"userinfo\">{}</pre><p><a href=\"/\">Back</a></p>", escape(&text))).into_response()
}

/// Rotates the tokens; says what the portal said when it refuses (for
/// example after consent was removed).
async fn refresh(State(demo): State<Shared>, headers: HeaderMap) -> Response {
    let Some((sid, mut s)) = signed_in(&demo, &headers) else { return Redirect::to("/").into_response() };
    let Ok(metadata) = discovery(&demo).await else { return StatusCode::BAD_GATEWAY.into_response() };
    let form = [
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", s.refresh_token.clone().unwrap_or_default()),
        ("client_id", demo.config.client_id.clone()),
    ];
    let answer: Value = match demo.http.post(metadata["token_endpoint"].as_str().unwrap_or_default()).form(&form).send().await {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(e) => serde_json::json!({ "error": e.to_string() }),
    };
    s.note = Some(match answer["access_token"].as_str() {
        Some(access) => {
            s.access_token = access.to_string();
            s.refresh_token = answer["refresh_token"].as_str().map(str::to_string);
            "Refreshed: new access and refresh tokens.".to_string()
        }
        None => format!(
            "The refresh was refused: {} ({})",
            answer["error"].as_str().unwrap_or("error"),
            answer["error_description"].as_str().unwrap_or("")
        ),
    });
    demo.sessions.lock().unwrap().insert(sid, s);
    Redirect::to("/").into_response()
}

/// Signs out here and at the portal (RP-Initiated Logout), back to /.
async fn logout(State(demo): State<Shared>, headers: HeaderMap) -> Response {
    let Some((sid, s)) = signed_in(&demo, &headers) else { return Redirect::to("/").into_response() };
    demo.sessions.lock().unwrap().remove(&sid);
    let Ok(metadata) = discovery(&demo).await else { return Redirect::to("/").into_response() };
    let mut url = url::Url::parse(metadata["end_session_endpoint"].as_str().unwrap_or_default()).expect("an end-session endpoint");
    url.query_pairs_mut().append_pair("id_token_hint", &s.id_token).append_pair("post_logout_redirect_uri", &format!("{}/", demo.base));
    let mut res = Redirect::to(url.as_str()).into_response();
    res.headers_mut().insert(header::SET_COOKIE, "demo_rp=; Path=/; Max-Age=0".parse().expect("a cookie"));
    res
}

#[tokio::main]
async fn main() {
    let config = Config::parse();
    let listener = tokio::net::TcpListener::bind(config.listen).await.expect("the demo relying party's address is free");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let demo = Arc::new(Demo {
        base: base.clone(),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client"),
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
        config,
    });
    let app = Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/userinfo", get(userinfo))
        .route("/refresh", post(refresh))
        .route("/logout", get(logout))
        .with_state(demo.clone());
    println!("Northwind Notes (demo relying party) is running at {base}, signing in with {}", demo.config.issuer);
    axum::serve(listener, app).await.expect("the server runs");
}
