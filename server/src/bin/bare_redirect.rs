//! The benchmark's reference: a bare axum 0.8 handler answering every
//! `GET /launch/{id}` with a 303, on the same runtime settings as the
//! portal. `bench/run.sh` measures launches as a ratio of this, in the same
//! run, so the figures hold on a noisy machine.
//!
//!   bare_redirect 127.0.0.1:3901

use axum::response::Redirect;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3901".into());
    let app = axum::Router::new().route("/launch/{app_id}", get(|| async { Redirect::to("https://mail.northwind.example/") }));
    let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
    println!("bare redirect on http://{listen}");
    axum::serve(listener, app).await.expect("serve");
}
