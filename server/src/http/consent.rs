//! The user's own consent: accepting the consent prompt (a plain form from
//! `/consent/{app_id}`), and removing a consent from My consents (a plain
//! form, or `DELETE /api/v1/me/consents/{app_id}`). Every answer is decided
//! here, on the server, from a fresh read: what the page showed is only
//! what the user agreed to, never what they are allowed.

use super::api::{app_not_found, require_session};
use super::error::{correlation_id, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::consent::{permissions_to_grant, ConsentNext};
use app::models::apps::GrantedBy;
use app::models::consents::MyConsents;
use app::ports::{AuditEvent, SessionUser};
use app::services::access::UserAccess;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::json;

use crate::time::now_ms;

/// Ids are canonical UUIDs; anything else is no app of theirs.
fn checked_app_id(app_id: &str) -> Result<(), AppError> {
    if super::canonical_id(app_id) {
        Ok(())
    } else {
        Err(app_not_found())
    }
}

fn user_audit(
    user: &SessionUser,
    headers: &HeaderMap,
    action: &str,
    app_id: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        org_id: user.org_id.clone(),
        actor_user_id: Some(user.user_id.clone()),
        actor_token_id: None,
        actor_label: user.upn.clone(),
        action: action.into(),
        target_type: "application".into(),
        target_id: app_id.into(),
        before_json: Some(before.to_string()),
        after_json: Some(after.to_string()),
        correlation_id: correlation_id(headers),
        at: now_ms(),
    }
}

#[derive(Deserialize)]
pub struct ConsentForm {
    /// The ids of the permissions the page showed, comma-separated.
    #[serde(default)]
    permissions: String,
    /// The authorize request that asked for consent, to continue.
    #[serde(default)]
    return_to: Option<String>,
}

/// POST /consent/{app_id}: the user accepts the prompt. Granted only when a
/// launch would now stop at consent alone, the user may consent to what is
/// missing (the org's policy, the app's publisher, each permission's
/// impact), and what is missing is what the page showed; then on to the
/// app's launch, which decides again. Otherwise back to the page, or to the
/// launch (which says why not).
pub async fn accept_consent_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    let user = &session.user;
    checked_app_id(&app_id)?;
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, Some(&app_id), now).await?;
    let access = UserAccess::with_account(&snapshot, &user.account_status(), now, true);
    // Back to the app's sign-in request that asked, or on to the launch;
    // either decides again.
    let next = app::domain::oidc::authorize_continuation(form.return_to.as_deref()).unwrap_or_else(|| format!("/launch/{app_id}"));
    let launch = Redirect::to(&next).into_response();
    let Some(prompt) = access.consent_prompt(&app_id) else { return Ok(launch) };
    if prompt.next != ConsentNext::UserCanConsent {
        return Ok(launch);
    }
    let missing: Vec<String> = prompt.missing.iter().map(|p| p.id.clone()).collect();
    let shown: Vec<String> = form.permissions.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let Ok(grant) = permissions_to_grant(&missing, &shown) else {
        let mut again = format!("/consent/{app_id}?changed=1");
        if let Some(back) = app::domain::oidc::authorize_continuation(form.return_to.as_deref()) {
            again.push_str(&format!("&return_to={}", super::session::urlencode(&back)));
        }
        return Ok(Redirect::to(&again).into_response());
    };
    let values: Vec<&str> = prompt.missing.iter().map(|p| p.value.as_str()).collect();
    let audit = user_audit(
        user,
        &headers,
        "consent.granted",
        &app_id,
        json!(null),
        json!({ "app": prompt.app_name, "permissions": values, "principal": "user" }),
    );
    state.store.grant_user_consent(&user.org_id, &app_id, &user.user_id, &grant, audit).await?;
    Ok(launch)
}

fn consent_not_found() -> AppError {
    AppError::Client { status: StatusCode::NOT_FOUND, code: "consent_not_found", message: "You haven't given this app consent.".into() }
}

/// Removes the caller's own grant for the app, when the org lets users.
async fn revoke_own(state: &AppState, user: &SessionUser, headers: &HeaderMap, app_id: &str) -> Result<(), AppError> {
    checked_app_id(app_id)?;
    let mine: MyConsents = state.store.my_consents(&user.org_id, &user.user_id).await?;
    let own = mine.apps.iter().find(|a| a.app_id == app_id && a.granted_by == GrantedBy::You);
    let Some(own) = own else {
        if mine.apps.iter().any(|a| a.app_id == app_id) {
            return Err(AppError::forbidden(
                "consent_granted_by_organisation",
                "Your organisation granted this app its permissions for everyone; only an admin can remove them.",
            ));
        }
        return Err(consent_not_found());
    };
    if !mine.users_can_remove {
        return Err(AppError::forbidden(
            "consent_removal_disabled",
            "Your organisation doesn't let people remove apps they consented to. Ask your admin.",
        ));
    }
    let before = json!({
        "app": own.app_name,
        "permissions": own.permissions.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(),
        "principal": "user",
    });
    let audit = user_audit(user, headers, "consent.revoked", app_id, before, json!(null));
    match state.store.revoke_user_consent(&user.org_id, app_id, &user.user_id, audit).await? {
        Some(tokens) => {
            tracing::info!(tokens, "consent revoked with its refresh tokens");
            Ok(())
        }
        // Removed by another request between the read above and this one.
        None => Err(consent_not_found()),
    }
}

/// POST /my-consents/{app_id}/remove: the confirmed removal, from the page.
pub async fn remove_consent_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    revoke_own(&state, &session.user, &headers, &app_id).await?;
    Ok(Redirect::to("/my-consents?notice=removed").into_response())
}

/// My consents
///
/// The apps the caller let in, and those their organisation let in for the apps they have, each permission with its date.
#[utoipa::path(
    get,
    path = "/api/v1/me/consents",
    tag = "Me",
    security(("session" = [])),
    responses((status = 200, description = "The consents", body = MyConsents), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn my_consents(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Result<Json<MyConsents>, AppError> {
    let session = require_session(&auth)?;
    Ok(Json(state.store.my_consents(&session.user.org_id, &session.user.user_id).await?))
}

/// Removes my consent to an app
///
/// Removes the caller's own grant, with every refresh and access token issued under it, at once.
#[utoipa::path(
    delete,
    path = "/api/v1/me/consents/{app_id}",
    tag = "Me",
    security(("session" = [])),
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 204, description = "Removed"), (status = 404, description = "No consent of theirs for that app", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn revoke_consent(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let session = require_session(&auth)?;
    revoke_own(&state, &session.user, &headers, &app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
