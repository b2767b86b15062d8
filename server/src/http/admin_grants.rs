//! Admin consent (privileged admins): every grant of an app (who, what,
//! when, by whom), a grant for the whole organisation or for one user, and
//! revoking any grant with the tokens issued under it. The admin API
//! (`/api/v1/admin/apps/{id}/consents`) and the page's forms
//! (`/admin/apps/{id}/consents`) call the same functions; each is audited.

use super::admin::{audit, back_with_notice, require_privileged_admin, AdminCaller};
use super::api::app_not_found;
use super::error::AppError;
use super::AppState;
use app::auth::RequestAuth;
use app::models::consents::AppConsents;
use app::ports::StoreError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use serde::Deserialize;
use serde_json::json;

fn grant_not_found() -> AppError {
    AppError::Client { status: StatusCode::NOT_FOUND, code: "grant_not_found", message: "This app has no such grant.".into() }
}

fn user_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "user_not_found",
        message: "There is no such user in your organisation.".into(),
    }
}

async fn consents_of(state: &AppState, admin: &AdminCaller, app_id: &str) -> Result<AppConsents, AppError> {
    if !super::canonical_id(app_id) {
        return Err(app_not_found());
    }
    state.store.app_consents(&admin.org_id, app_id).await?.ok_or_else(app_not_found)
}

/// Grants the app's permissions (these, or all it asks for) to the
/// organisation or to one user.
async fn grant(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    app_id: &str,
    user_id: Option<&str>,
    permission_ids: Option<&[String]>,
) -> Result<AppConsents, AppError> {
    let current = consents_of(state, admin, app_id).await?;
    if current.requested.is_empty() {
        return Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "nothing_to_grant",
            message: "This app asks for no permissions: there is nothing to grant.".into(),
        });
    }
    let wanted: Vec<String> = match permission_ids {
        None => current.requested.iter().map(|p| p.id.clone()).collect(),
        Some(ids) if ids.is_empty() || ids.len() > 100 => return Err(AppError::Validation(vec![("permission_ids", "missing")])),
        Some(ids) => {
            if !ids.iter().all(|id| current.requested.iter().any(|p| &p.id == id)) {
                return Err(AppError::Validation(vec![("permission_ids", "not_requested")]));
            }
            ids.to_vec()
        }
    };
    if let Some(user_id) = user_id {
        if !super::canonical_id(user_id) {
            return Err(user_not_found());
        }
    }
    let values: Vec<&str> = current.requested.iter().filter(|p| wanted.contains(&p.id)).map(|p| p.value.as_str()).collect();
    let principal = match user_id {
        Some(id) => json!({ "user_id": id }),
        None => json!("organisation"),
    };
    let event = audit(
        admin,
        headers,
        "consent.granted",
        "application",
        app_id,
        serde_json::Value::Null,
        json!({ "app": current.app_name, "permissions": values, "principal": principal, "by": "admin" }),
    );
    match state.store.admin_grant_consent(&admin.org_id, app_id, user_id, &wanted, &admin.decider(None), event).await {
        Err(StoreError::NotFound) if user_id.is_some() => return Err(user_not_found()),
        Err(StoreError::NotFound) => return Err(app_not_found()),
        other => other?,
    }
    consents_of(state, admin, app_id).await
}

async fn revoke(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, grant_id: &str) -> Result<(), AppError> {
    let current = consents_of(state, admin, app_id).await?;
    let Some(existing) = current.grants.iter().find(|g| g.id == grant_id) else { return Err(grant_not_found()) };
    let before = json!({
        "app": current.app_name,
        "principal": existing.subject.user_id.as_deref().map_or(json!("organisation"), |id| json!({ "user_id": id })),
        "permissions": existing.permissions.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(),
    });
    let event = audit(admin, headers, "consent.revoked", "application", app_id, before, serde_json::Value::Null);
    match state.store.revoke_grant(&admin.org_id, app_id, grant_id, event).await? {
        Some(tokens) => {
            tracing::info!(tokens, "grant revoked by an admin with its refresh tokens");
            Ok(())
        }
        None => Err(grant_not_found()),
    }
}

/// Every grant of an app
///
/// The organisation's grant first, then each user's: who it is for, what
/// it grants (each permission with its date), when and by whom; and the
/// permissions the app asks for. Privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps/{app_id}/consents",
    tag = "Consent",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The app's grants", body = AppConsents), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such app in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn list_app_consents(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<Json<AppConsents>, AppError> {
    let admin = require_privileged_admin(&auth)?;
    Ok(Json(consents_of(&state, &admin, &app_id).await?))
}

/// A grant to make: for the organisation (no `user_id`) or one user; the
/// permissions the app asks for (all of them when absent).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    pub user_id: Option<String>,
    pub permission_ids: Option<Vec<String>>,
}

/// Grants consent to an app
///
/// For the whole organisation, or for one user: the permissions given (all
/// the app asks for when absent), added to any grant they already have.
#[utoipa::path(
    post,
    path = "/api/v1/admin/apps/{app_id}/consents",
    tag = "Consent",
    params(("app_id" = String, Path, description = "The app's id")),
    request_body = GrantInput,
    responses((status = 200, description = "The app's grants after the change", body = AppConsents), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such app or user in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The app asks for no permissions", body = super::error::ErrorResponse), (status = 422, description = "Permissions the app does not ask for; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn grant_app_consent(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Json(input): Json<GrantInput>,
) -> Result<Json<AppConsents>, AppError> {
    let admin = require_privileged_admin(&auth)?;
    Ok(Json(grant(&state, &admin, &headers, &app_id, input.user_id.as_deref(), input.permission_ids.as_deref()).await?))
}

/// Revokes a grant
///
/// Removes one grant of the app, and every refresh and access token issued
/// under it, at once.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/apps/{app_id}/consents/{grant_id}",
    tag = "Consent",
    params(("app_id" = String, Path, description = "The app's id"), ("grant_id" = String, Path, description = "The grant's id")),
    responses((status = 204, description = "Revoked"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such app or grant in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn revoke_app_consent(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((app_id, grant_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = require_privileged_admin(&auth)?;
    revoke(&state, &admin, &headers, &app_id, &grant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    /// `organisation`, or `user` with `upn`.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    upn: String,
    /// From `prompt=admin_consent`: the app's sign-in request to go on with.
    #[serde(default)]
    return_to: Option<String>,
}

/// POST /admin/apps/{app_id}/consents: "Grant for everyone" or "Grant for
/// this person" on the page.
pub async fn grant_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<GrantForm>,
) -> Result<Response, AppError> {
    let admin = require_privileged_admin(&auth)?;
    let page = format!("/admin/apps/{app_id}/consents");
    let user_id = if form.scope == "user" {
        let upn = form.upn.trim().to_lowercase();
        let found = if upn.is_empty() || upn.len() > 254 {
            None
        } else {
            state.store.find_sign_in_accounts(&upn, Some(&admin.org_id)).await?.into_iter().next().map(|a| a.user_id)
        };
        match found {
            Some(id) => Some(id),
            None => return Ok(back_with_notice(None, &page, "no_such_user")),
        }
    } else {
        None
    };
    let continuation = app::domain::oidc::authorize_continuation(form.return_to.as_deref());
    match grant(&state, &admin, &headers, &app_id, user_id.as_deref(), None).await {
        Ok(_) | Err(AppError::Client { code: "nothing_to_grant", .. }) if continuation.is_some() => {
            Ok(axum::response::Redirect::to(continuation.as_deref().unwrap_or("/")).into_response())
        }
        Ok(_) => Ok(back_with_notice(None, &page, "granted")),
        Err(AppError::Client { code: "nothing_to_grant", .. }) => Ok(back_with_notice(None, &page, "nothing_to_grant")),
        Err(e) => Err(e),
    }
}

/// POST /admin/apps/{app_id}/consents/{grant_id}/revoke: from the page.
pub async fn revoke_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((app_id, grant_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let admin = require_privileged_admin(&auth)?;
    revoke(&state, &admin, &headers, &app_id, &grant_id).await?;
    Ok(back_with_notice(None, &format!("/admin/apps/{app_id}/consents"), "grant_revoked"))
}

/// Connected applications
///
/// The organisation's OpenID Connect apps with their usage: last seen, requests in the last 24 hours, and requests per day (UTC) over the last 30 days, counted from launches, token requests and userinfo calls. App admins and privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/connected-apps",
    tag = "Apps",
    responses((status = 200, description = "The apps, by name", body = Vec<app::models::admin::ConnectedApp>), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn connected_apps(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Result<Json<Vec<app::models::admin::ConnectedApp>>, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    Ok(Json(state.store.connected_apps(&admin.org_id, crate::time::now_ms()).await?))
}
