//! Uploads cost memory while they are read: at most a few are read at a
//! time, each bounded in size (`DefaultBodyLimit` on their routes); past
//! that, 503 with `Retry-After` rather than memory that grows with the
//! number of uploaders.

use super::error::AppError;
use super::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Uploads read at the same time, per replica.
pub const CONCURRENT_UPLOADS: usize = 4;
/// The most bytes an upload request may carry (a logo and its form).
pub const UPLOAD_LIMIT: usize = crate::logos::MAX_LOGO_BYTES + 16 * 1024;

/// The gate in front of the upload routes.
pub async fn bounded(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_permit) = state.uploads.clone().try_acquire_owned() else {
        let back = req.uri().path().rsplit_once('/').map(|(page, _)| page.replace("/api/v1/admin/", "/admin/")).unwrap_or_default();
        return AppError::Busy { retry_after_secs: 2, try_again: back }.into_response();
    };
    next.run(req).await
}
