//! App logos, served from our own origin to signed-in people of the app's
//! organisation. The address names the content (its SHA-256), so a logo
//! can be cached for good; a new logo is a new address.

use super::error::AppError;
use super::AppState;
use app::auth::RequestAuth;
use app::domain::model::SessionStage;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// GET /logos/{app_id}/{digest}.
pub async fn logo(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path((app_id, digest)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let RequestAuth::Session(session) = &auth else { return Err(AppError::unauthorized()) };
    if session.stage != SessionStage::Active {
        return Err(AppError::forbidden("sign_in_incomplete", "Finish signing in first."));
    }
    let well_formed = uuid::Uuid::parse_str(&app_id).is_ok() && digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Err(AppError::not_found());
    }
    let logo = state.store.find_app_logo(&session.user.org_id, &app_id, &digest).await?.ok_or_else(AppError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, logo.content_type),
            (header::CACHE_CONTROL, "private, max-age=31536000, immutable".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            // Opened on its own, an image runs nothing and loads nothing.
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        logo.bytes,
    )
        .into_response())
}
