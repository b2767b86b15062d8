//! The JSON API for the signed-in user (`/api/v1/me/...`): the same data
//! My Apps shows, for the page's own client-side calls and for scripts.
//! Authenticated by the session cookie; state changes need the session's
//! CSRF token in `X-CSRF-Token`. Documented in the README.

use super::error::AppError;
use super::AppState;
use app::auth::{RequestAuth, Viewer};
use app::domain::model::{ReturnTo, SessionStage};
use app::models::apps::{AppDetails, AppTile, MyApps};
use app::ports::{SessionRecord, SessionUser};
use app::services::access::UserAccess;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;

use crate::time::now_ms;

/// The caller's session, when fully signed in (the first line of every
/// handler here).
pub(super) fn require_session(auth: &RequestAuth) -> Result<&SessionRecord, AppError> {
    match auth {
        RequestAuth::Session(s) if s.stage == SessionStage::Active => Ok(s),
        RequestAuth::Session(_) => Err(AppError::forbidden("sign_in_incomplete", "Finish signing in first.")),
        RequestAuth::Anonymous { .. } | RequestAuth::ApiToken(_) => Err(AppError::unauthorized()),
    }
}

pub(super) fn app_not_found() -> AppError {
    AppError::Client { status: StatusCode::NOT_FOUND, code: "app_not_found", message: "You have no app with that id.".into() }
}

async fn my_apps_of(state: &AppState, user: &SessionUser) -> Result<MyApps, AppError> {
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, None, now).await?;
    Ok(UserAccess::new(&snapshot, now, true).my_apps())
}

/// Who is signed in
///
/// The signed-in person, their organisation and the CSRF token changes send in `X-CSRF-Token`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "Me",
    security(("session" = [])),
    responses((status = 200, description = "The person", body = Viewer), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn me(Extension(auth): Extension<RequestAuth>) -> Result<Json<Viewer>, AppError> {
    require_session(&auth)?;
    match auth.view() {
        app::auth::AuthView::SignedIn(viewer) => Ok(Json(viewer)),
        _ => Err(AppError::unauthorized()),
    }
}

/// My apps
///
/// Every app the caller may launch, with why they have each, and their recently used ones.
#[utoipa::path(
    get,
    path = "/api/v1/me/apps",
    tag = "Me",
    security(("session" = [])),
    responses((status = 200, description = "The apps", body = MyApps), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn my_apps(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Result<Json<MyApps>, AppError> {
    let session = require_session(&auth)?;
    Ok(Json(my_apps_of(&state, &session.user).await?))
}

/// Recently used apps
///
/// The apps the caller launched lately, most recent first.
#[utoipa::path(
    get,
    path = "/api/v1/me/recent",
    tag = "Me",
    security(("session" = [])),
    responses((status = 200, description = "The apps", body = Vec<AppTile>), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn recent(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Result<Json<Vec<AppTile>>, AppError> {
    let session = require_session(&auth)?;
    let mine = my_apps_of(&state, &session.user).await?;
    let tiles = mine.recent.iter().filter_map(|id| mine.apps.iter().find(|a| &a.id == id).cloned()).collect();
    Ok(Json(tiles))
}

/// One of my apps
///
/// An app the caller has, with its permissions in plain words and its deep link.
#[utoipa::path(
    get,
    path = "/api/v1/me/apps/{app_id}",
    tag = "Me",
    security(("session" = [])),
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The app", body = AppDetails), (status = 404, description = "No such app of theirs", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn app_details(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<Json<AppDetails>, AppError> {
    let session = require_session(&auth)?;
    let user = &session.user;
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Err(app_not_found());
    }
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, Some(&app_id), now).await?;
    UserAccess::new(&snapshot, now, true).details(&app_id, &state.public_url).map(Json).ok_or_else(app_not_found)
}

async fn set_pin(state: &AppState, user: &SessionUser, app_id: &str, pinned: bool) -> Result<(), AppError> {
    // Only apps the caller has can be pinned.
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, Some(app_id), now).await?;
    if uuid::Uuid::parse_str(app_id).is_err() || UserAccess::new(&snapshot, now, true).details(app_id, "").is_none() {
        return Err(app_not_found());
    }
    if !state.store.set_pinned(&user.org_id, &user.user_id, app_id, pinned, now).await? {
        return Err(app_not_found());
    }
    Ok(())
}

/// Pins an app to Favourites
#[utoipa::path(
    put,
    path = "/api/v1/me/apps/{app_id}/pin",
    tag = "Me",
    security(("session" = [])),
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 204, description = "Pinned"), (status = 404, description = "No such app of theirs", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn pin(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let session = require_session(&auth)?;
    set_pin(&state, &session.user, &app_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unpins an app
#[utoipa::path(
    delete,
    path = "/api/v1/me/apps/{app_id}/pin",
    tag = "Me",
    security(("session" = [])),
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 204, description = "Unpinned"), (status = 404, description = "No such app of theirs", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn unpin(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let session = require_session(&auth)?;
    set_pin(&state, &session.user, &app_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pinned: String,
    #[serde(default)]
    return_to: String,
}

/// POST /me/apps/{id}/pin: the same for a plain form (before the page's
/// script has loaded), answering with a redirect back.
pub async fn pin_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
    Form(form): Form<PinForm>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    set_pin(&state, &session.user, &app_id, form.pinned == "true").await?;
    Ok(Redirect::to(ReturnTo::parse_or_home(Some(&form.return_to)).as_str()).into_response())
}
