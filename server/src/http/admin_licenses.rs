//! Licenses in the admin API (`/api/v1/admin/licenses/...`): products with
//! seats, their assignments to people and groups, and who is left without a
//! seat. Privileged admins (DOMAIN.md, "Actors"); each handler checks that
//! first. Every change that can move a seat recomputes them in its own
//! transaction.

use super::admin::{
    audit, back_to_form, back_with_notice, principal_json, principal_not_found, require_privileged_admin, AdminCaller, PrincipalRef,
};
use super::error::AppError;
use super::AppState;
use app::auth::RequestAuth;
use app::domain::licenses::{validate_license, LicenseFields, LicenseInput};
use app::models::admin::{LicenseDetail, LicenseSummary, UserPage, UserQuery};
use app::ports::{Principal, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

fn license_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "license_not_found",
        message: "There is no license with that id in your organisation.".into(),
    }
}

async fn detail(state: &AppState, admin: &AdminCaller, license_id: &str) -> Result<LicenseDetail, AppError> {
    if uuid::Uuid::parse_str(license_id).is_err() {
        return Err(license_not_found());
    }
    state.store.find_license(&admin.org_id, license_id).await?.ok_or_else(license_not_found)
}

fn fields_of(d: &LicenseDetail) -> LicenseFields {
    LicenseFields { name: d.summary.name.clone(), sku: d.summary.sku.clone(), seats: d.summary.seats }
}

/// Licenses with their seats
///
/// Every license, by name, with seats used and the number of people left
/// without one. Privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/licenses",
    tag = "Licenses",
    responses((status = 200, description = "The licenses", body = Vec<LicenseSummary>), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_licenses(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Result<Json<Vec<LicenseSummary>>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(state.store.list_licenses(&admin.org_id).await?))
}

/// One license
///
/// With its assignments and the apps that require it.
#[utoipa::path(
    get,
    path = "/api/v1/admin/licenses/{license_id}",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id")),
    responses((status = 200, description = "The license", body = LicenseDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn get_license(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(license_id): Path<String>,
) -> Result<Json<LicenseDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(detail(&state, admin, &license_id).await?))
}

/// Creates a license
///
/// A product code another license has is a field problem.
#[utoipa::path(
    post,
    path = "/api/v1/admin/licenses",
    tag = "Licenses",
    request_body = LicenseInput,
    responses((status = 201, description = "Created", body = LicenseDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_license(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<LicenseInput>,
) -> Result<(StatusCode, Json<LicenseDetail>), AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(create(&state, admin, &headers, &input).await?)))
}

/// Changes a license
///
/// Only the fields sent. A new seat count moves seats at once (the earliest
/// claimants keep theirs).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/licenses/{license_id}",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id")),
    request_body = LicenseInput,
    responses((status = 200, description = "The license as saved", body = LicenseDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn update_license(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
    Json(input): Json<LicenseInput>,
) -> Result<Json<LicenseDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(edit(&state, admin, &headers, &license_id, &input).await?))
}

/// Deletes a license
///
/// 409 `license_required_by_apps` while an app requires it (change those
/// apps first).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/licenses/{license_id}",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The change conflicts with the state of the resource", body = super::error::ErrorResponse))
)]
pub async fn delete_license(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    delete(&state, admin, &headers, &license_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &LicenseInput) -> Result<LicenseDetail, AppError> {
    let fields = validate_license(None, input).map_err(AppError::Validation)?;
    let id = crate::store::new_id();
    let event = audit(admin, headers, "license.created", "license", &id, serde_json::Value::Null, serde_json::json!(fields));
    state.store.create_license(&admin.org_id, &id, &fields, event).await.map_err(super::admin::field_conflict)?;
    detail(state, admin, &id).await
}

async fn edit(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    license_id: &str,
    input: &LicenseInput,
) -> Result<LicenseDetail, AppError> {
    let before = fields_of(&detail(state, admin, license_id).await?);
    let after = validate_license(Some(&before), input).map_err(AppError::Validation)?;
    if after != before {
        let event = audit(admin, headers, "license.updated", "license", license_id, serde_json::json!(before), serde_json::json!(after));
        if !state.store.update_license(&admin.org_id, license_id, &after, event).await.map_err(super::admin::field_conflict)? {
            return Err(license_not_found());
        }
    }
    detail(state, admin, license_id).await
}

fn required_by_apps(names: &[&str]) -> AppError {
    let message = if names.is_empty() {
        "An app requires this license. Change it first.".to_string()
    } else {
        format!("These apps require this license: {}. Change them first.", names.join(", "))
    };
    AppError::Client { status: StatusCode::CONFLICT, code: "license_required_by_apps", message }
}

async fn delete(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, license_id: &str) -> Result<(), AppError> {
    let before = detail(state, admin, license_id).await?;
    if !before.required_by.is_empty() {
        return Err(required_by_apps(&before.required_by.iter().map(|a| a.name.as_str()).collect::<Vec<_>>()));
    }
    let event =
        audit(admin, headers, "license.deleted", "license", license_id, serde_json::json!(fields_of(&before)), serde_json::Value::Null);
    match state.store.delete_license(&admin.org_id, license_id, event).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(license_not_found()),
        // An app came to require it meanwhile.
        Err(StoreError::Conflict { .. }) => Err(required_by_apps(&[])),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LicenseAssignAnswer)]
pub struct AssignAnswer {
    /// False when it already was (or was not) assigned so.
    changed: bool,
    license: LicenseDetail,
}

/// Gives a license to a user or a group
///
/// `{"user_id": ...}` or `{"group_id": ...}`. Seats are given out at once,
/// earliest first; the answer has the seats as they are now.
#[utoipa::path(
    post,
    operation_id = "add_license_assignment",
    path = "/api/v1/admin/licenses/{license_id}/assignments",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id")),
    request_body = PrincipalRef,
    responses((status = 200, description = "`changed` is false when it already was assigned so", body = AssignAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn add_assignment(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
    Json(to): Json<PrincipalRef>,
) -> Result<Json<AssignAnswer>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let changed = assign(&state, admin, &headers, &license_id, &to.principal()?).await?;
    Ok(Json(AssignAnswer { changed, license: detail(&state, admin, &license_id).await? }))
}

/// Takes a license back from a user or a group
///
/// Freed seats go to the next in order at once. 404 `not_assigned` when it
/// was not assigned so directly.
#[utoipa::path(
    delete,
    operation_id = "remove_license_assignment",
    path = "/api/v1/admin/licenses/{license_id}/assignments/{kind}/{principal_id}",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id"), ("kind" = super::admin::PrincipalKind, Path, description = "Whom the assignment names"), ("principal_id" = String, Path, description = "The user's or group's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn remove_assignment(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((license_id, kind, principal_id)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let from = match kind.as_str() {
        "users" => Principal::User(principal_id),
        "groups" => Principal::Group(principal_id),
        _ => return Err(AppError::not_found()),
    };
    if !unassign(&state, admin, &headers, &license_id, &from).await? {
        return Err(AppError::Client {
            status: StatusCode::NOT_FOUND,
            code: "not_assigned",
            message: "The license is not assigned to that user or group directly.".into(),
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who is left without a seat
///
/// The people the license reaches who hold no seat ("not enough seats"),
/// in UPN order.
#[utoipa::path(
    get,
    path = "/api/v1/admin/licenses/{license_id}/without-seat",
    tag = "Licenses",
    params(("license_id" = String, Path, description = "The license's id"), super::admin::PageParams),
    responses((status = 200, description = "A page of users", body = UserPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn without_seat(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(license_id): Path<String>,
    Query(params): Query<super::admin::PageParams>,
) -> Result<Json<UserPage>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    detail(&state, admin, &license_id).await?;
    let query = UserQuery { search: String::new(), cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.license_without_seat(&admin.org_id, &license_id, &query).await?))
}

async fn assign(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, license_id: &str, to: &Principal) -> Result<bool, AppError> {
    detail(state, admin, license_id).await?;
    let event = audit(admin, headers, "license.assigned", "license", license_id, serde_json::Value::Null, principal_json(to));
    match state.store.add_license_assignment(&admin.org_id, license_id, to, event).await {
        // Another organisation's user or group, or none: the foreign key.
        Err(StoreError::Conflict { .. }) => Err(principal_not_found()),
        other => Ok(other?),
    }
}

async fn unassign(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    license_id: &str,
    from: &Principal,
) -> Result<bool, AppError> {
    detail(state, admin, license_id).await?;
    let event = audit(admin, headers, "license.unassigned", "license", license_id, principal_json(from), serde_json::Value::Null);
    Ok(state.store.remove_license_assignment(&admin.org_id, license_id, from, event).await?)
}

/// The new- and edit-license forms: every field, as typed.
#[derive(Debug, Deserialize)]
pub struct LicenseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    seats: String,
}

impl LicenseForm {
    /// A seat count that is not a whole number is out of range, like a negative one.
    fn input(&self) -> LicenseInput {
        let seats = match self.seats.trim() {
            "" => None,
            n => Some(n.parse::<i64>().unwrap_or(-1)),
        };
        LicenseInput { name: Some(self.name.clone()), sku: Some(self.sku.clone()), seats }
    }

    fn back_to(&self, page: &str, problems: &[(&'static str, &'static str)]) -> Response {
        back_to_form(page, &[("name", Some(&self.name)), ("sku", Some(&self.sku)), ("seats", Some(&self.seats))], problems)
    }
}

/// POST /admin/licenses/new from the new-license page.
pub async fn create_license_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<LicenseForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match create(&state, admin, &headers, &form.input()).await {
        Ok(license) => Ok(Redirect::to(&format!("/admin/licenses/{}?done=created", license.summary.id)).into_response()),
        Err(AppError::Validation(problems)) => Ok(form.back_to("/admin/licenses/new", &problems)),
        Err(e) => Err(e),
    }
}

/// POST /admin/licenses/{id}/edit from the edit page.
pub async fn update_license_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
    Form(form): Form<LicenseForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match edit(&state, admin, &headers, &license_id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/licenses/{license_id}?done=saved")).into_response()),
        Err(AppError::Validation(problems)) => Ok(form.back_to(&format!("/admin/licenses/{license_id}/edit"), &problems)),
        Err(e) => Err(e),
    }
}

/// POST /admin/licenses/{id}/delete from the license's page (after its confirmation).
pub async fn delete_license_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    delete(&state, admin, &headers, &license_id).await?;
    Ok(Redirect::to("/admin/licenses?done=deleted").into_response())
}

/// The assign and unassign forms of the license's page.
#[derive(Debug, Deserialize)]
pub struct AssignmentForm {
    #[serde(flatten)]
    principal: PrincipalRef,
    return_to: Option<String>,
}

/// POST /admin/licenses/{id}/assignments from the license's page.
pub async fn add_assignment_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let changed = assign(&state, admin, &headers, &license_id, &form.principal.principal()?).await?;
    let default = format!("/admin/licenses/{license_id}");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if changed { "license_assigned" } else { "unchanged" }))
}

/// POST /admin/licenses/{id}/assignments/remove from the license's page.
pub async fn remove_assignment_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(license_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let removed = unassign(&state, admin, &headers, &license_id, &form.principal.principal()?).await?;
    let default = format!("/admin/licenses/{license_id}");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if removed { "license_unassigned" } else { "unchanged" }))
}
