//! The benchmark's reference: a bare axum 0.8 handler answering every
//! `GET /launch/{id}` with a 303, on the same runtime settings as the
//! portal. `bench/run.sh` measures launches as a ratio of this, in the same
//! run, so the figures hold on a noisy machine. It also answers
//! `POST /oauth/token` with a token response of the portal's shape, doing
//! none of the work: the token benchmark's reference (its HTTP, form and
//! JSON cost on both sides, on the same cores).
//!
//!   bare_redirect 127.0.0.1:3901

use axum::http::header;
use axum::response::Redirect;
use axum::routing::{get, post};

#[tokio::main]
async fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3901".into());
    let app = axum::Router::new()
        .route("/launch/{app_id}", get(|| async { Redirect::to("https://mail.northwind.example/") }))
        .route("/oauth/token", post(token));
    let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
    println!("bare redirect on http://{listen}");
    axum::serve(listener, app).await.expect("serve");
}

/// A refresh grant's answer without the grant: the form read, a JSON body
/// of the same size out.
async fn token(form: axum::extract::Form<std::collections::HashMap<String, String>>) -> impl axum::response::IntoResponse {
    let refresh = form.get("refresh_token").cloned().unwrap_or_default();
    let body = serde_json::json!({
        "access_token": "bench-reference-access-token-0123456789abcdefghijk",
        "token_type": "Bearer",
        "expires_in": 600,
        "refresh_token": refresh,
        "scope": "openid profile email offline_access",
    });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body))
}
