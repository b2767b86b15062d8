//! The organisation's consent settings in the admin API
//! (`/api/v1/admin/consent-settings`) and on `/admin/consent`: the
//! user-consent policy, whether users may remove apps they consented to,
//! the admin-consent workflow and its reviewers. Privileged admins
//! (DOMAIN.md, "Actors"); each handler checks that first. Every change is
//! audited with what it was before. And the permission catalogue
//! (`/api/v1/admin/permissions`, `/admin/permissions`): every admin reads it;
//! privileged admins classify permissions by impact.

use super::admin::{
    audit, back_to_form, back_with_notice, principal_json, principal_not_found, require_admin, require_privileged_admin, AdminCaller,
    PrincipalRef,
};
use super::error::AppError;
use super::AppState;
use app::auth::RequestAuth;
use app::domain::catalogue::{validate_api, validate_permission, ApiInput, PermissionInput};
use app::domain::consent::Classification;
use app::domain::consent_settings::{validate_consent_settings, ConsentSettingsInput};
use app::models::consents::{CatalogueApi, CataloguePermission, ConsentSettingsView};
use app::ports::{Principal, StoreError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

const PAGE: &str = "/admin/consent";

async fn change_settings(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    input: &ConsentSettingsInput,
) -> Result<ConsentSettingsView, AppError> {
    let current = state.store.consent_settings(&admin.org_id).await?;
    let next = validate_consent_settings(&current.settings, current.reviewers.len(), input).map_err(AppError::Validation)?;
    let event = audit(
        admin,
        headers,
        "consent_settings.changed",
        "organisation",
        &admin.org_id,
        serde_json::to_value(&current.settings).unwrap_or_default(),
        serde_json::to_value(&next).unwrap_or_default(),
    );
    state.store.update_consent_settings(&admin.org_id, &next, event).await?;
    Ok(state.store.consent_settings(&admin.org_id).await?)
}

async fn add_reviewer(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, reviewer: &Principal) -> Result<bool, AppError> {
    let event =
        audit(admin, headers, "consent_reviewer.added", "organisation", &admin.org_id, serde_json::Value::Null, principal_json(reviewer));
    match state.store.add_consent_reviewer(&admin.org_id, reviewer, event).await {
        Err(StoreError::NotFound) => Err(principal_not_found()),
        other => Ok(other?),
    }
}

async fn remove_reviewer(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, reviewer: &Principal) -> Result<(), AppError> {
    let event =
        audit(admin, headers, "consent_reviewer.removed", "organisation", &admin.org_id, principal_json(reviewer), serde_json::Value::Null);
    match state.store.remove_consent_reviewer(&admin.org_id, reviewer, event).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AppError::Client {
            status: StatusCode::NOT_FOUND,
            code: "not_a_reviewer",
            message: "That user or group is not a reviewer.".into(),
        }),
        Err(StoreError::Conflict { .. }) => Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "last_reviewer",
            message: "The approval workflow is on and this is its last reviewer. Add another reviewer, or switch the workflow off, first."
                .into(),
        }),
        Err(e) => Err(e.into()),
    }
}

fn reviewer_of(kind: &str, id: String) -> Result<Principal, AppError> {
    match kind {
        "users" | "user" => Ok(Principal::User(id)),
        "groups" | "group" => Ok(Principal::Group(id)),
        _ => Err(AppError::not_found()),
    }
}

/// The consent settings
///
/// The user-consent policy, whether users may remove apps they consented
/// to, the admin-consent workflow and its reviewers. Privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/consent-settings",
    tag = "Consent",
    responses((status = 200, description = "The settings and reviewers", body = ConsentSettingsView), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn get_settings(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Result<Json<ConsentSettingsView>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(state.store.consent_settings(&admin.org_id).await?))
}

/// Changes the consent settings
///
/// Only the fields sent (at least one). Turning user consent off keeps the
/// grants users already gave. The workflow cannot be switched on without a
/// reviewer.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/consent-settings",
    tag = "Consent",
    request_body = ConsentSettingsInput,
    responses((status = 200, description = "The settings as saved", body = ConsentSettingsView), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn update_settings(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<ConsentSettingsInput>,
) -> Result<Json<ConsentSettingsView>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(change_settings(&state, admin, &headers, &input).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReviewerAnswer {
    /// False when they already were a reviewer.
    changed: bool,
    settings: ConsentSettingsView,
}

/// Adds a reviewer
///
/// `{"user_id": ...}` or `{"group_id": ...}`: every member of a group reviews.
#[utoipa::path(
    post,
    path = "/api/v1/admin/consent-settings/reviewers",
    tag = "Consent",
    request_body = PrincipalRef,
    responses((status = 200, description = "`changed` is false when they already were one", body = ReviewerAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn add_reviewer_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(to): Json<PrincipalRef>,
) -> Result<Json<ReviewerAnswer>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let changed = add_reviewer(&state, admin, &headers, &to.principal()?).await?;
    Ok(Json(ReviewerAnswer { changed, settings: state.store.consent_settings(&admin.org_id).await? }))
}

/// Removes a reviewer
///
/// 409 `last_reviewer` while the workflow is on and they are its last.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/consent-settings/reviewers/{kind}/{principal_id}",
    tag = "Consent",
    params(("kind" = super::admin::PrincipalKind, Path, description = "A user or a group"), ("principal_id" = String, Path, description = "The user's or group's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The change conflicts with the state of the resource", body = super::error::ErrorResponse))
)]
pub async fn remove_reviewer_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((kind, principal_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    remove_reviewer(&state, admin, &headers, &reviewer_of(&kind, principal_id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The settings form: what was chosen. An unticked checkbox is not sent.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    user_consent_policy: String,
    #[serde(default)]
    users_can_remove_consent: Option<String>,
    #[serde(default)]
    workflow_enabled: Option<String>,
    #[serde(default)]
    request_expiry_days: String,
    #[serde(default)]
    notify_reviewers: Option<String>,
    #[serde(default)]
    reminders: Option<String>,
}

impl SettingsForm {
    fn input(&self) -> ConsentSettingsInput {
        ConsentSettingsInput {
            user_consent_policy: Some(self.user_consent_policy.clone()),
            users_can_remove_consent: Some(self.users_can_remove_consent.is_some()),
            workflow_enabled: Some(self.workflow_enabled.is_some()),
            // Not a whole number: out of range, like 0.
            request_expiry_days: Some(self.request_expiry_days.trim().parse::<i64>().unwrap_or(0)),
            notify_reviewers: Some(self.notify_reviewers.is_some()),
            reminders: Some(self.reminders.is_some()),
        }
    }
}

/// POST /admin/consent from the settings page.
pub async fn update_settings_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match change_settings(&state, admin, &headers, &form.input()).await {
        Ok(_) => Ok(back_with_notice(None, PAGE, "saved")),
        Err(AppError::Validation(problems)) => {
            Ok(back_to_form(PAGE, &[("request_expiry_days", Some(&form.request_expiry_days))], &problems))
        }
        Err(e) => Err(e),
    }
}

/// A reviewer named by a page's button: `kind` (user or group) and `id`.
#[derive(Debug, Deserialize)]
pub struct ReviewerForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
}

/// POST /admin/consent/reviewers from the settings page's search results.
pub async fn add_reviewer_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<ReviewerForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    if uuid::Uuid::parse_str(&form.id).is_err() {
        return Err(principal_not_found());
    }
    let changed = add_reviewer(&state, admin, &headers, &reviewer_of(&form.kind, form.id.clone())?).await?;
    Ok(back_with_notice(None, PAGE, if changed { "reviewer_added" } else { "already_reviewer" }))
}

/// POST /admin/consent/reviewers/remove from the settings page.
pub async fn remove_reviewer_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<ReviewerForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match remove_reviewer(&state, admin, &headers, &reviewer_of(&form.kind, form.id.clone())?).await {
        Ok(()) => Ok(back_with_notice(None, PAGE, "reviewer_removed")),
        Err(AppError::Client { code: "last_reviewer", .. }) => Ok(back_with_notice(None, PAGE, "last_reviewer")),
        Err(e) => Err(e),
    }
}

fn permission_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "permission_not_found",
        message: "There is no permission with that id in your organisation.".into(),
    }
}

/// A classification as sent: `low`, `medium`, `high`, or empty for "not classified".
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ClassificationInput {
    /// `low`, `medium` or `high`; `""` clears it (not classified counts as not low).
    classification: Option<String>,
}

async fn classify(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    permission_id: &str,
    input: &ClassificationInput,
) -> Result<CataloguePermission, AppError> {
    let catalogue = state.store.permission_catalogue(&admin.org_id).await?;
    let current =
        catalogue.iter().flat_map(|a| a.permissions.iter()).find(|p| p.id == permission_id).cloned().ok_or_else(permission_not_found)?;
    let wanted = match input.classification.as_deref().map(str::trim) {
        None => return Err(AppError::Validation(vec![("classification", "missing")])),
        Some("") => None,
        Some(c) => Some(Classification::parse(c).ok_or(AppError::Validation(vec![("classification", "unknown_value")]))?),
    };
    let name = |c: Option<Classification>| c.map_or(serde_json::Value::Null, |c| c.as_str().into());
    let event = audit(
        admin,
        headers,
        "permission.classified",
        "permission",
        permission_id,
        serde_json::json!({ "value": current.value, "classification": name(current.classification) }),
        serde_json::json!({ "value": current.value, "classification": name(wanted) }),
    );
    if !state.store.classify_permission(&admin.org_id, permission_id, wanted, event).await? {
        return Err(permission_not_found());
    }
    Ok(CataloguePermission { classification: wanted, ..current })
}

/// The permission catalogue
///
/// Every API of the organisation with its delegated permissions: plain
/// words, whether only an admin can consent, the classification, and how
/// many apps ask for each. App admins and privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/permissions",
    tag = "Consent",
    responses((status = 200, description = "The APIs and their permissions", body = Vec<CatalogueApi>), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn permission_catalogue(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Result<Json<Vec<CatalogueApi>>, AppError> {
    let admin = &require_admin(&auth)?;
    Ok(Json(state.store.permission_catalogue(&admin.org_id).await?))
}

/// Classifies a permission
///
/// Low, medium or high impact, or not classified (`""`). Under the default
/// policy people may consent only to low-impact permissions; the change
/// holds from the next launch. Privileged admins.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/permissions/{permission_id}",
    tag = "Consent",
    params(("permission_id" = String, Path, description = "The permission's id")),
    request_body = ClassificationInput,
    responses((status = 200, description = "The permission as saved", body = CataloguePermission), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn classify_permission(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(permission_id): Path<String>,
    Json(input): Json<ClassificationInput>,
) -> Result<Json<CataloguePermission>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(classify(&state, admin, &headers, &permission_id, &input).await?))
}

/// POST /admin/permissions/{id}/classify from the catalogue page.
pub async fn classify_permission_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(permission_id): Path<String>,
    Form(input): Form<ClassificationInput>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    classify(&state, admin, &headers, &permission_id, &input).await?;
    Ok(back_with_notice(None, "/admin/permissions", "classified"))
}

// ---- Registering APIs and permissions ----

const CATALOGUE: &str = "/admin/permissions";

fn api_not_found() -> AppError {
    AppError::Client { status: StatusCode::NOT_FOUND, code: "api_not_found", message: "There is no such API in your organisation.".into() }
}

fn standard_scopes_fixed() -> AppError {
    AppError::Client {
        status: StatusCode::CONFLICT,
        code: "standard_api",
        message: "OpenID Connect's standard scopes are the same in every organisation: they can't be added to or removed.".into(),
    }
}

async fn api_in_catalogue(state: &AppState, admin: &AdminCaller, api_id: &str) -> Result<CatalogueApi, AppError> {
    state.store.permission_catalogue(&admin.org_id).await?.into_iter().find(|a| a.id == api_id).ok_or_else(api_not_found)
}

async fn register_api(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &ApiInput) -> Result<CatalogueApi, AppError> {
    let api = validate_api(input).map_err(AppError::Validation)?;
    let event = audit(
        admin,
        headers,
        "api.created",
        "api",
        "",
        serde_json::Value::Null,
        serde_json::json!({ "name": api.name, "identifier": api.identifier, "description": api.description }),
    );
    let id = state.store.create_api(&admin.org_id, &api, event).await.map_err(super::admin::field_conflict)?;
    api_in_catalogue(state, admin, &id).await
}

async fn add_permission(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    api_id: &str,
    input: &PermissionInput,
) -> Result<CatalogueApi, AppError> {
    if uuid::Uuid::parse_str(api_id).is_err() {
        return Err(api_not_found());
    }
    let permission = validate_permission(input).map_err(AppError::Validation)?;
    let event = audit(
        admin,
        headers,
        "permission.created",
        "permission",
        "",
        serde_json::Value::Null,
        serde_json::json!({
            "api_id": api_id,
            "value": permission.value,
            "display_name": permission.display_name,
            "admin_consent_required": permission.admin_consent_required,
            "classification": permission.classification.map(Classification::as_str),
        }),
    );
    match state.store.create_permission(&admin.org_id, api_id, &permission, event).await {
        Err(StoreError::NotFound) => return Err(api_not_found()),
        Err(StoreError::Conflict { constraint }) if constraint == "standard_api" => return Err(standard_scopes_fixed()),
        Err(StoreError::Conflict { constraint }) if constraint == "value_taken" => {
            return Err(AppError::Validation(vec![("value", "taken")]))
        }
        other => other?,
    };
    api_in_catalogue(state, admin, api_id).await
}

async fn delete_permission_of(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, permission_id: &str) -> Result<(), AppError> {
    let catalogue = state.store.permission_catalogue(&admin.org_id).await?;
    let Some(existing) = catalogue.iter().flat_map(|a| a.permissions.iter()).find(|p| p.id == permission_id) else {
        return Err(permission_not_found());
    };
    let event = audit(
        admin,
        headers,
        "permission.deleted",
        "permission",
        permission_id,
        serde_json::json!({ "value": existing.value, "display_name": existing.display_name }),
        serde_json::Value::Null,
    );
    match state.store.delete_permission(&admin.org_id, permission_id, event).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(permission_not_found()),
        Err(StoreError::Conflict { constraint }) if constraint == "standard_api" => Err(standard_scopes_fixed()),
        Err(StoreError::Conflict { constraint }) if constraint == "permission_in_use" => Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "permission_in_use",
            message: "Apps still ask for this permission: take it off those apps first.".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Registers an API
///
/// An API (resource) of the organisation, named by an `https://` URL or a
/// `urn:`; its delegated permissions are added to it next. Privileged admins.
#[utoipa::path(
    post,
    path = "/api/v1/admin/apis",
    tag = "Consent",
    request_body = ApiInput,
    responses((status = 201, description = "The API, with no permissions yet", body = CatalogueApi), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<ApiInput>,
) -> Result<(StatusCode, Json<CatalogueApi>), AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(register_api(&state, admin, &headers, &input).await?)))
}

/// Adds a permission to an API
///
/// A delegated permission: its scope (unique in the organisation), plain
/// words for people, whether only an admin may consent, and its impact.
/// OpenID Connect's standard scopes are fixed. Privileged admins.
#[utoipa::path(
    post,
    path = "/api/v1/admin/apis/{api_id}/permissions",
    tag = "Consent",
    params(("api_id" = String, Path, description = "The API's id")),
    request_body = PermissionInput,
    responses((status = 201, description = "The API with its permissions", body = CatalogueApi), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such API in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The standard OpenID Connect API is fixed", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_permission(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(api_id): Path<String>,
    Json(input): Json<PermissionInput>,
) -> Result<(StatusCode, Json<CatalogueApi>), AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(add_permission(&state, admin, &headers, &api_id, &input).await?)))
}

/// Deletes a permission
///
/// Only one no app asks for (409 `permission_in_use` otherwise); grants of
/// it go with it. The standard scopes stay. Privileged admins.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/permissions/{permission_id}",
    tag = "Consent",
    params(("permission_id" = String, Path, description = "The permission's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "Apps ask for it, or it is a standard scope", body = super::error::ErrorResponse))
)]
pub async fn delete_permission(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(permission_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    delete_permission_of(&state, admin, &headers, &permission_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /admin/permissions/apis: "Register an API" on the catalogue page.
pub async fn create_api_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(input): Form<ApiInput>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match register_api(&state, admin, &headers, &input).await {
        Ok(_) => Ok(back_with_notice(None, CATALOGUE, "api_created")),
        Err(AppError::Validation(problems)) => Ok(back_to_form(
            CATALOGUE,
            &[
                ("form", Some(&"api".to_string())),
                ("name", Some(&input.name)),
                ("identifier", Some(&input.identifier)),
                ("description", Some(&input.description)),
            ],
            &problems,
        )),
        Err(e) => Err(e),
    }
}

/// The add-a-permission form: a checkbox is absent when unticked.
#[derive(Debug, Deserialize)]
pub struct PermissionForm {
    #[serde(default)]
    api_id: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    permission_description: String,
    #[serde(default)]
    admin_consent_required: Option<String>,
    #[serde(default)]
    classification: String,
}

/// POST /admin/permissions/new: "Add a permission" on the page.
pub async fn create_permission_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<PermissionForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let api_id = form.api_id.clone();
    let input = PermissionInput {
        value: form.value.clone(),
        display_name: form.display_name.clone(),
        description: form.permission_description.clone(),
        admin_consent_required: form.admin_consent_required.is_some(),
        classification: form.classification.clone(),
    };
    match add_permission(&state, admin, &headers, &api_id, &input).await {
        Ok(_) => Ok(back_with_notice(None, CATALOGUE, "permission_created")),
        Err(AppError::Validation(problems)) => Ok(back_to_form(
            CATALOGUE,
            &[
                ("form", Some(&"permission".to_string())),
                ("api_id", Some(&api_id)),
                ("value", Some(&form.value)),
                ("display_name", Some(&form.display_name)),
                ("permission_description", Some(&form.permission_description)),
            ],
            &problems,
        )),
        Err(e) => Err(e),
    }
}

/// POST /admin/permissions/{id}/delete from the catalogue page.
pub async fn delete_permission_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(permission_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match delete_permission_of(&state, admin, &headers, &permission_id).await {
        Ok(()) => Ok(back_with_notice(None, CATALOGUE, "permission_deleted")),
        Err(AppError::Client { code: "permission_in_use", .. }) => Ok(back_with_notice(None, CATALOGUE, "permission_in_use")),
        Err(e) => Err(e),
    }
}
