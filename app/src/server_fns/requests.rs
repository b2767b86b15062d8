//! Requests and notifications for pages: the caller's requests, the
//! reviewers' queue, the bell. Each checks who is calling first.

use crate::models::requests::{HeaderCounts, MyRequest, Notifications, ReviewQueue};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::guard as ssr;

/// The caller's requests, newest first. Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "my_requests", input = GetUrl)]
pub async fn load_my_requests() -> Result<Vec<MyRequest>, ServerFnError> {
    let user = ssr::require_user()?;
    ssr::store()?.my_requests(&user.org_id, &user.user_id).await.map_err(ssr::internal)
}

/// The requests the caller reviews in `status` (pending when empty): both
/// kinds; nothing (and `reviews_*` false) for someone who reviews none.
#[server(prefix = "/api/fn", endpoint = "review_queue", input = GetUrl)]
pub async fn load_review_queue(status: String) -> Result<ReviewQueue, ServerFnError> {
    use crate::domain::requests::RequestStatus;
    let user = ssr::require_user()?;
    let status = if status.is_empty() { RequestStatus::Pending } else { RequestStatus::parse(&status).unwrap_or(RequestStatus::Pending) };
    let viewer = crate::ports::QueueViewer { user_id: Some(user.user_id.clone()), role: user.role };
    ssr::store()?.review_queue(&user.org_id, &viewer, status, None).await.map_err(ssr::internal)
}

/// The caller's latest notifications. Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "notifications", input = GetUrl)]
pub async fn load_notifications() -> Result<Notifications, ServerFnError> {
    let user = ssr::require_user()?;
    ssr::store()?.notifications(&user.org_id, &user.user_id, 50).await.map_err(ssr::internal)
}

/// The header's counts. Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "header_counts", input = GetUrl)]
pub async fn load_header_counts() -> Result<HeaderCounts, ServerFnError> {
    let user = ssr::require_user()?;
    let viewer = crate::ports::QueueViewer { user_id: Some(user.user_id.clone()), role: user.role };
    ssr::store()?.header_counts(&user.org_id, &viewer).await.map_err(ssr::internal)
}
