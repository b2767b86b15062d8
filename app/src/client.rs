//! The page's own calls to the JSON API (`/api/v1/me/...`), with gloo-net.
//! Browser only: the server renders pages from the same data directly.

use crate::models::apps::MyApps;
use gloo_net::http::Request;

/// Pins (or unpins) an app. The session's CSRF token goes in the header.
pub async fn set_pinned(app_id: &str, pinned: bool, csrf_token: &str) -> Result<(), String> {
    let url = format!("/api/v1/me/apps/{app_id}/pin");
    let request = if pinned { Request::put(&url) } else { Request::delete(&url) };
    let response = request.header("x-csrf-token", csrf_token).send().await.map_err(|e| e.to_string())?;
    if response.ok() {
        Ok(())
    } else {
        Err(format!("the server answered {}", response.status()))
    }
}

/// The current list, for a live refresh.
pub async fn my_apps() -> Result<MyApps, String> {
    let response = Request::get("/api/v1/me/apps").send().await.map_err(|e| e.to_string())?;
    if !response.ok() {
        return Err(format!("the server answered {}", response.status()));
    }
    response.json::<MyApps>().await.map_err(|e| e.to_string())
}
