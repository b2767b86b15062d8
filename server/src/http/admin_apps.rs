//! Apps in the admin API (`/api/v1/admin/apps/...`) and the admin pages'
//! form posts (`/admin/apps/...`): register, edit, delete, and for OpenID
//! Connect apps their client credentials. App admins and privileged admins
//! (DOMAIN.md, "Actors"); each handler checks that first.

use super::admin::{
    audit, back_to_form, back_with_notice, principal_json, principal_not_found, require_admin, shown_once_page, AdminCaller, PrincipalRef,
};
use super::error::{escape, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::apps::{validate_app, AppFields, AppInput, SignOnMode};
use app::domain::fields::FieldProblem;
use app::models::admin::{AccessPage, AppAdminDetail, AppPage, AppQuery, AssignmentView, UserQuery};
use app::ports::{AppLogo, ClientCredentials, Principal};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

fn app_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "app_not_found",
        message: "There is no app with that id in your organisation.".into(),
    }
}

async fn detail(state: &AppState, admin: &AdminCaller, app_id: &str) -> Result<AppAdminDetail, AppError> {
    if uuid::Uuid::parse_str(app_id).is_err() {
        return Err(app_not_found());
    }
    state.store.find_app_admin(&admin.org_id, app_id).await?.ok_or_else(app_not_found)
}

/// An app as the API answers it: in full, with its user access URL, and
/// its client secret the one time it is made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AppAnswer {
    #[serde(flatten)]
    app: AppAdminDetail,
    /// The deep link people launch it by: stable whatever else changes.
    user_access_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

fn answer(state: &AppState, app: AppAdminDetail, client_secret: Option<String>) -> AppAnswer {
    let user_access_url = format!("{}/launch/{}", state.public_url.trim_end_matches('/'), app.id);
    AppAnswer { app, user_access_url, client_secret }
}

/// Apps, searched and paged
///
/// In name order, matching `search` in the name, the publisher or the
/// category. App admins and privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps",
    tag = "Apps",
    params(super::admin::SearchParams),
    responses((status = 200, description = "A page of apps", body = AppPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_apps(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<super::admin::SearchParams>,
) -> Result<Json<AppPage>, AppError> {
    let admin = &require_admin(&auth)?;
    super::admin::checked_search(&params.search)?;
    let query = AppQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.search_apps(&admin.org_id, &query).await?))
}

/// One app, in full
///
/// Every field, its user access URL and, for OpenID Connect apps, its
/// client id (never its secret).
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps/{app_id}",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The app", body = AppAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn get_app(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<Json<AppAnswer>, AppError> {
    let admin = &require_admin(&auth)?;
    let app = detail(&state, admin, &app_id).await?;
    Ok(Json(answer(&state, app, None)))
}

/// The license and permissions named must be the organisation's own.
async fn check_references(state: &AppState, admin: &AdminCaller, fields: &AppFields) -> Result<(), AppError> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    if let Some(license) = &fields.required_license_id {
        let licenses = state.store.license_choices(&admin.org_id).await?;
        if !licenses.iter().any(|l| &l.id == license) {
            problems.push(("required_license_id", "unknown"));
        }
    }
    if !fields.permission_ids.is_empty() {
        let catalogue = state.store.permission_choices(&admin.org_id).await?;
        if !fields.permission_ids.iter().all(|id| catalogue.iter().any(|p| &p.id == id)) {
            problems.push(("permission_ids", "unknown"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// New client credentials: a client id, and for a confidential client a
/// secret (returned to show once) stored only as its SHA-256 digest.
fn new_credentials(public_client: bool) -> (ClientCredentials, Option<String>) {
    let secret = (!public_client).then(crate::security::random_token);
    let credentials = ClientCredentials {
        client_id: uuid::Uuid::new_v4().to_string(),
        secret_digest: secret.as_deref().map(crate::security::token_digest),
    };
    (credentials, secret)
}

/// What the audit log keeps of an app's fields (all of them: none is secret).
fn audited(fields: &AppFields) -> serde_json::Value {
    serde_json::json!(fields)
}

async fn create(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &AppInput) -> Result<AppAnswer, AppError> {
    let fields = validate_app(None, input).map_err(AppError::Validation)?;
    check_references(state, admin, &fields).await?;
    let id = crate::store::new_id();
    let (credentials, secret) = match fields.sign_on_mode {
        SignOnMode::Oidc => {
            let (c, s) = new_credentials(fields.public_client);
            (Some(c), s)
        }
        SignOnMode::Linked => (None, None),
    };
    let mut after = audited(&fields);
    after["client_id"] = serde_json::json!(credentials.as_ref().map(|c| &c.client_id));
    let event = audit(admin, headers, "app.created", "app", &id, serde_json::Value::Null, after);
    state.store.create_app(&admin.org_id, &id, &fields, credentials.as_ref(), event).await?;
    Ok(answer(state, detail(state, admin, &id).await?, secret))
}

/// Registers an app
///
/// An OpenID Connect app gets a client id and, when confidential, a client
/// secret returned this once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/apps",
    tag = "Apps",
    request_body = AppInput,
    responses((status = 201, description = "Registered; a client secret is in the answer this once", body = AppAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_app(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<AppInput>,
) -> Result<(StatusCode, Json<AppAnswer>), AppError> {
    let admin = &require_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(create(&state, admin, &headers, &input).await?)))
}

async fn edit(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, input: &AppInput) -> Result<AppAnswer, AppError> {
    let current = detail(state, admin, app_id).await?;
    let after = validate_app(Some(&current.fields), input).map_err(AppError::Validation)?;
    check_references(state, admin, &after).await?;
    if after == current.fields {
        return Ok(answer(state, current, None));
    }
    // An app that becomes an OIDC client gets its credentials now; one that
    // already has a client id keeps it (and its secret).
    let (credentials, secret) = if after.sign_on_mode == SignOnMode::Oidc && current.client_id.is_none() {
        let (c, s) = new_credentials(after.public_client);
        (Some(c), s)
    } else {
        (None, None)
    };
    let event = audit(admin, headers, "app.updated", "app", app_id, audited(&current.fields), audited(&after));
    if !state.store.update_app(&admin.org_id, app_id, &after, credentials.as_ref(), event).await? {
        return Err(app_not_found());
    }
    Ok(answer(state, detail(state, admin, app_id).await?, secret))
}

/// Changes an app's fields
///
/// Only the fields sent; a launch follows what was saved at once.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/apps/{app_id}",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    request_body = AppInput,
    responses((status = 200, description = "The app as saved", body = AppAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn update_app(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Json(input): Json<AppInput>,
) -> Result<Json<AppAnswer>, AppError> {
    let admin = &require_admin(&auth)?;
    Ok(Json(edit(&state, admin, &headers, &app_id, &input).await?))
}

async fn delete(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str) -> Result<(), AppError> {
    let before = detail(state, admin, app_id).await?;
    let event = audit(admin, headers, "app.deleted", "app", app_id, audited(&before.fields), serde_json::Value::Null);
    if !state.store.delete_app(&admin.org_id, app_id, event).await? {
        return Err(app_not_found());
    }
    Ok(())
}

/// Deletes an app
///
/// With its assignments, logo and credentials.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/apps/{app_id}",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn delete_app(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_admin(&auth)?;
    delete(&state, admin, &headers, &app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new client secret for a confidential OIDC client; the old one stops
/// working at once.
async fn rotate(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str) -> Result<(AppAdminDetail, String), AppError> {
    let current = detail(state, admin, app_id).await?;
    if current.fields.sign_on_mode != SignOnMode::Oidc || current.fields.public_client || current.client_id.is_none() {
        return Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "not_a_confidential_client",
            message: "Only an OpenID Connect app that is not a public client has a client secret.".into(),
        });
    }
    let secret = crate::security::random_token();
    let digest = crate::security::token_digest(&secret);
    let event = audit(
        admin,
        headers,
        "app.client_secret_rotated",
        "app",
        app_id,
        serde_json::json!({ "had_client_secret": current.has_client_secret }),
        serde_json::json!({ "has_client_secret": true }),
    );
    if !state.store.set_client_secret(&admin.org_id, app_id, Some(&digest), event).await? {
        return Err(app_not_found());
    }
    Ok((detail(state, admin, app_id).await?, secret))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretAnswer {
    client_id: Option<String>,
    client_secret: String,
}

/// Makes a new client secret
///
/// Returned this once; the earlier secret stops working. Only confidential
/// OpenID Connect clients have one (409 `not_a_confidential_client`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/apps/{app_id}/client-secret",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The new secret, this once", body = SecretAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The change conflicts with the state of the resource", body = super::error::ErrorResponse))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Json<SecretAnswer>, AppError> {
    let admin = &require_admin(&auth)?;
    let (app, client_secret) = rotate(&state, admin, &headers, &app_id).await?;
    Ok(Json(SecretAnswer { client_id: app.client_id, client_secret }))
}

/// POST /admin/apps/{id}/rotate-secret from the app's page: the page that
/// shows the new secret once.
pub async fn rotate_secret_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let (app, secret) = rotate(&state, admin, &headers, &app_id).await?;
    Ok(secret_page(&state, "New client secret", &app, &secret))
}

/// The page that shows an app's client secret, once.
fn secret_page(state: &AppState, title: &str, app: &AppAdminDetail, secret: &str) -> Response {
    let intro = format!(
        "Put this client secret in <strong>{name}</strong>'s configuration, with its client id <code>{client_id}</code>. \
         The app authenticates with it at the token endpoint; any earlier secret no longer works.",
        name = escape(&app.fields.name),
        client_id = escape(app.client_id.as_deref().unwrap_or("")),
    );
    let links = format!(
        r#"<a class="button button-primary" href="/admin/apps/{id}">Go to {name}</a> <a class="button" href="/admin/apps">All apps</a>"#,
        id = escape(&app.id),
        name = escape(&app.fields.name),
    );
    shown_once_page(state, title, &intro, "Client secret", secret, &links)
}

/// The fields of the app form, as the browser posts them: checkboxes only
/// when ticked, permissions as repeated fields, redirect URIs one per line.
/// Read as pairs (a field may repeat).
fn input_from_form(pairs: &[(String, String)]) -> AppInput {
    let text = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let ticked = |name: &str| Some(pairs.iter().any(|(k, v)| k == name && matches!(v.as_str(), "on" | "true" | "1")));
    AppInput {
        name: Some(text("name").unwrap_or_default()),
        description: Some(text("description").unwrap_or_default()),
        category: Some(text("category").unwrap_or_default()),
        publisher_name: Some(text("publisher_name").unwrap_or_default()),
        publisher_verified: ticked("publisher_verified"),
        registered_in_org: ticked("registered_in_org"),
        enabled: ticked("enabled"),
        visible: ticked("visible"),
        assignment_required: ticked("assignment_required"),
        required_license_id: Some(text("required_license_id").unwrap_or_default()),
        sign_on_mode: Some(text("sign_on_mode").unwrap_or_default()),
        launch_url: Some(text("launch_url").unwrap_or_default()),
        public_client: ticked("public_client"),
        initiate_login_uri: Some(text("initiate_login_uri").unwrap_or_default()),
        redirect_uris: Some(text("redirect_uris").unwrap_or_default().lines().map(str::to_string).collect()),
        post_logout_redirect_uris: Some(text("post_logout_redirect_uris").unwrap_or_default().lines().map(str::to_string).collect()),
        id_token_signed_response_alg: text("id_token_signed_response_alg").filter(|a| !a.is_empty()),
        permission_ids: Some(pairs.iter().filter(|(k, _)| k == "permission_ids").map(|(_, v)| v.clone()).collect()),
    }
}

/// Back to the app form after problems, with everything typed.
fn back_to_app_form(page: &str, pairs: &[(String, String)], problems: &[FieldProblem]) -> Response {
    const FIELDS: [&str; 14] = [
        "name",
        "description",
        "category",
        "publisher_name",
        "required_license_id",
        "sign_on_mode",
        "launch_url",
        "initiate_login_uri",
        "redirect_uris",
        "post_logout_redirect_uris",
        "id_token_signed_response_alg",
        "permission_ids",
        "flags",
        "retry",
    ];
    let flags: Vec<&str> = ["publisher_verified", "registered_in_org", "enabled", "visible", "assignment_required", "public_client"]
        .into_iter()
        .filter(|f| pairs.iter().any(|(k, _)| k == f))
        .collect();
    let permissions: Vec<&str> = pairs.iter().filter(|(k, _)| k == "permission_ids").map(|(_, v)| v.as_str()).collect();
    let values: Vec<(&str, String)> = FIELDS
        .iter()
        .map(|name| {
            let value = match *name {
                "flags" => flags.join(","),
                "permission_ids" => permissions.join(","),
                "retry" => "1".to_string(),
                n => pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default(),
            };
            (*name, value)
        })
        .collect();
    let typed: Vec<(&str, Option<&String>)> = values.iter().map(|(n, v)| (*n, Some(v))).collect();
    back_to_form(page, &typed, problems)
}

/// POST /admin/apps/new from the new-app page: the app's page (or, for a
/// confidential OIDC client, the page that shows its secret once), or back
/// to the form with what was typed and a code per field.
pub async fn create_app_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    match create(&state, admin, &headers, &input_from_form(&pairs)).await {
        Ok(AppAnswer { app, client_secret: Some(secret), .. }) => Ok(secret_page(&state, "App registered", &app, &secret)),
        Ok(created) => Ok(Redirect::to(&format!("/admin/apps/{}?done=created", created.app.id)).into_response()),
        Err(AppError::Validation(problems)) => Ok(back_to_app_form("/admin/apps/new", &pairs, &problems)),
        Err(e) => Err(e),
    }
}

/// POST /admin/apps/{id}/edit from the edit page.
pub async fn update_app_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    match edit(&state, admin, &headers, &app_id, &input_from_form(&pairs)).await {
        Ok(AppAnswer { app, client_secret: Some(secret), .. }) => Ok(secret_page(&state, "Client secret", &app, &secret)),
        Ok(_) => Ok(Redirect::to(&format!("/admin/apps/{app_id}?done=saved")).into_response()),
        Err(AppError::Validation(problems)) => Ok(back_to_app_form(&format!("/admin/apps/{app_id}/edit"), &pairs, &problems)),
        Err(e) => Err(e),
    }
}

/// POST /admin/apps/{id}/delete from the app's page (after its confirmation).
pub async fn delete_app_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    delete(&state, admin, &headers, &app_id).await?;
    Ok(Redirect::to("/admin/apps?done=deleted").into_response())
}

/// Checks and stores an uploaded logo (or removes it, with None).
async fn set_logo(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, bytes: Option<&[u8]>) -> Result<(), AppError> {
    let current = detail(state, admin, app_id).await?;
    let logo = match bytes {
        Some(bytes) => {
            let checked = crate::logos::check_logo(bytes).map_err(|p| {
                let status = match p.code {
                    "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
                    "unsupported_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let message = app::domain::fields::field_message("logo", p.code).unwrap_or("This image can't be used.");
                AppError::Client { status, code: logo_error_code(p.code), message: message.into() }
            })?;
            Some(AppLogo { content_type: checked.content_type.into(), digest: checked.digest, bytes: bytes.to_vec() })
        }
        None => None,
    };
    let event = audit(
        admin,
        headers,
        if logo.is_some() { "app.logo_set" } else { "app.logo_removed" },
        "app",
        app_id,
        serde_json::json!({ "logo_url": current.logo_url }),
        serde_json::json!({ "logo_url": logo.as_ref().map(|l| format!("/logos/{app_id}/{}", l.digest)) }),
    );
    if !state.store.set_app_logo(&admin.org_id, app_id, logo.as_ref(), event).await? {
        return Err(app_not_found());
    }
    Ok(())
}

/// The API's error code for a logo problem.
fn logo_error_code(code: &str) -> &'static str {
    match code {
        "missing" => "logo_missing",
        "too_large" => "logo_too_large",
        "unsupported_type" => "logo_unsupported_type",
        "too_big" => "logo_too_big",
        "too_small" => "logo_too_small",
        _ => "logo_unreadable",
    }
}

/// Uploads an app's logo
///
/// The image is the body: PNG, JPEG, GIF or WebP (the type is read from the
/// bytes; never SVG), at most 256 KiB and 1024×1024 pixels. 413
/// `logo_too_large`, 415 `logo_unsupported_type`, 503 while too many
/// uploads are being read.
#[utoipa::path(
    put,
    path = "/api/v1/admin/apps/{app_id}/logo",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    request_body(content = Vec<u8>, content_type = "image/png", description = "The image's bytes (image/png, image/jpeg, image/gif or image/webp)"),
    responses((status = 200, description = "The app with its new `logo_url`", body = AppAnswer), (status = 413, description = "Larger than 256 KiB", body = super::error::ErrorResponse), (status = 415, description = "Not a PNG, JPEG, GIF or WebP image", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse), (status = 503, description = "Busy: try again after `Retry-After` seconds", body = super::error::ErrorResponse))
)]
pub async fn put_logo(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<AppAnswer>, AppError> {
    let admin = &require_admin(&auth)?;
    set_logo(&state, admin, &headers, &app_id, Some(&body)).await?;
    Ok(Json(answer(&state, detail(&state, admin, &app_id).await?, None)))
}

/// Removes an app's logo
///
/// Its tile shows the app's initials again.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/apps/{app_id}/logo",
    tag = "Apps",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn delete_logo(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_admin(&auth)?;
    set_logo(&state, admin, &headers, &app_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /admin/apps/{id}/logo from the app's page (multipart, the file in
/// `logo`; the CSRF token in the action's query): back to the page with a
/// notice, or with the problem's code.
pub async fn upload_logo_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let mut logo: Option<axum::body::Bytes> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("logo") => {
                logo = Some(field.bytes().await.map_err(|_| too_large_upload())?);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return Err(too_large_upload()),
        }
    }
    let page = format!("/admin/apps/{app_id}");
    match set_logo(&state, admin, &headers, &app_id, Some(logo.as_deref().unwrap_or_default())).await {
        Ok(()) => Ok(Redirect::to(&format!("{page}?done=logo_saved")).into_response()),
        Err(AppError::Client { code, .. }) if code.starts_with("logo_") => {
            Ok(Redirect::to(&format!("{page}?logo_error={}", code.trim_start_matches("logo_"))).into_response())
        }
        Err(e) => Err(e),
    }
}

fn too_large_upload() -> AppError {
    AppError::Client { status: StatusCode::PAYLOAD_TOO_LARGE, code: "logo_too_large", message: "A logo can be at most 256 KiB.".into() }
}

/// POST /admin/apps/{id}/logo/remove from the app's page.
pub async fn remove_logo_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    set_logo(&state, admin, &headers, &app_id, None).await?;
    Ok(Redirect::to(&format!("/admin/apps/{app_id}?done=logo_removed")).into_response())
}

async fn assign(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, to: &Principal) -> Result<bool, AppError> {
    detail(state, admin, app_id).await?;
    let event = audit(admin, headers, "app.assigned", "app", app_id, serde_json::Value::Null, principal_json(to));
    match state.store.add_app_assignment(&admin.org_id, app_id, to, event).await {
        // Another organisation's user or group, or none: the foreign key.
        Err(app::ports::StoreError::Conflict { .. }) => Err(principal_not_found()),
        other => Ok(other?),
    }
}

async fn unassign(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, from: &Principal) -> Result<bool, AppError> {
    detail(state, admin, app_id).await?;
    let event = audit(admin, headers, "app.unassigned", "app", app_id, principal_json(from), serde_json::Value::Null);
    Ok(state.store.remove_app_assignment(&admin.org_id, app_id, from, event).await?)
}

/// Who an app is assigned to directly
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps/{app_id}/assignments",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The direct assignments", body = Vec<AssignmentView>), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn list_assignments(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<Json<Vec<AssignmentView>>, AppError> {
    let admin = &require_admin(&auth)?;
    detail(&state, admin, &app_id).await?;
    Ok(Json(state.store.app_assignments(&admin.org_id, &app_id).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssignAnswer {
    /// False when it was already assigned so.
    changed: bool,
    assignments: Vec<AssignmentView>,
}

/// Assigns an app to a user or a group
///
/// `{"user_id": ...}` or `{"group_id": ...}`. It takes effect for their
/// next launch, on every replica.
#[utoipa::path(
    post,
    operation_id = "add_app_assignment",
    path = "/api/v1/admin/apps/{app_id}/assignments",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id")),
    request_body = PrincipalRef,
    responses((status = 200, description = "`changed` is false when it already was assigned so", body = AssignAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn add_assignment(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Json(to): Json<PrincipalRef>,
) -> Result<Json<AssignAnswer>, AppError> {
    let admin = &require_admin(&auth)?;
    let changed = assign(&state, admin, &headers, &app_id, &to.principal()?).await?;
    Ok(Json(AssignAnswer { changed, assignments: state.store.app_assignments(&admin.org_id, &app_id).await? }))
}

/// Removes an app's assignment
///
/// Those who had the app only this way can no longer launch it. 404
/// `not_assigned` when it was not assigned so directly.
#[utoipa::path(
    delete,
    operation_id = "remove_app_assignment",
    path = "/api/v1/admin/apps/{app_id}/assignments/{kind}/{principal_id}",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id"), ("kind" = super::admin::PrincipalKind, Path, description = "Whom the assignment names"), ("principal_id" = String, Path, description = "The user's or group's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn remove_assignment(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((app_id, kind, principal_id)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = &require_admin(&auth)?;
    let from = match kind.as_str() {
        "users" => Principal::User(principal_id),
        "groups" => Principal::Group(principal_id),
        _ => return Err(AppError::not_found()),
    };
    if !unassign(&state, admin, &headers, &app_id, &from).await? {
        return Err(AppError::Client {
            status: StatusCode::NOT_FOUND,
            code: "not_assigned",
            message: "The app is not assigned to that user or group directly.".into(),
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who can launch an app, and through what
///
/// Everyone the app reaches, in UPN order, with each path: direct, a group
/// chain, or open to everyone.
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps/{app_id}/access",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id"), super::admin::SearchParams),
    responses((status = 200, description = "A page of people with their paths", body = AccessPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn list_access(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
    Query(params): Query<super::admin::SearchParams>,
) -> Result<Json<AccessPage>, AppError> {
    let admin = &require_admin(&auth)?;
    super::admin::checked_search(&params.search)?;
    detail(&state, admin, &app_id).await?;
    let query = UserQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.app_access(&admin.org_id, &app_id, &query).await?))
}

/// The assign and unassign forms of the app's assignments page.
#[derive(Debug, Deserialize)]
pub struct AssignmentForm {
    #[serde(flatten)]
    principal: PrincipalRef,
    return_to: Option<String>,
}

/// POST /admin/apps/{id}/assignments from the assignments page.
pub async fn add_assignment_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let changed = assign(&state, admin, &headers, &app_id, &form.principal.principal()?).await?;
    let default = format!("/admin/apps/{app_id}/assignments");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if changed { "assigned" } else { "unchanged" }))
}

/// POST /admin/apps/{id}/assignments/remove from the assignments page.
pub async fn remove_assignment_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let removed = unassign(&state, admin, &headers, &app_id, &form.principal.principal()?).await?;
    let default = format!("/admin/apps/{app_id}/assignments");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if removed { "unassigned" } else { "unchanged" }))
}

async fn add_reviewer(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, app_id: &str, who: &Principal) -> Result<bool, AppError> {
    detail(state, admin, app_id).await?;
    let event = audit(admin, headers, "app.reviewer_added", "app", app_id, serde_json::Value::Null, principal_json(who));
    match state.store.add_app_reviewer(&admin.org_id, app_id, who, event).await {
        Err(app::ports::StoreError::NotFound) => Err(principal_not_found()),
        other => Ok(other?),
    }
}

async fn remove_reviewer(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    app_id: &str,
    who: &Principal,
) -> Result<bool, AppError> {
    detail(state, admin, app_id).await?;
    let event = audit(admin, headers, "app.reviewer_removed", "app", app_id, principal_json(who), serde_json::Value::Null);
    Ok(state.store.remove_app_reviewer(&admin.org_id, app_id, who, event).await?)
}

/// Who reviews an app's access requests
///
/// The users and groups named on the app. With none, the organisation's
/// app admins and privileged admins review them.
#[utoipa::path(
    get,
    path = "/api/v1/admin/apps/{app_id}/reviewers",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id")),
    responses((status = 200, description = "The named reviewers", body = Vec<app::models::consents::ReviewerView>), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn list_app_reviewers(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(app_id): Path<String>,
) -> Result<Json<Vec<app::models::consents::ReviewerView>>, AppError> {
    let admin = &require_admin(&auth)?;
    detail(&state, admin, &app_id).await?;
    Ok(Json(state.store.app_reviewers(&admin.org_id, &app_id).await?))
}

/// Names a reviewer of an app's access requests
#[utoipa::path(
    post,
    path = "/api/v1/admin/apps/{app_id}/reviewers",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id")),
    request_body = PrincipalRef,
    responses((status = 200, description = "The named reviewers after the change", body = Vec<app::models::consents::ReviewerView>), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn add_app_reviewer_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Json(to): Json<PrincipalRef>,
) -> Result<Json<Vec<app::models::consents::ReviewerView>>, AppError> {
    let admin = &require_admin(&auth)?;
    add_reviewer(&state, admin, &headers, &app_id, &to.principal()?).await?;
    Ok(Json(state.store.app_reviewers(&admin.org_id, &app_id).await?))
}

/// Removes a reviewer of an app's access requests
#[utoipa::path(
    delete,
    path = "/api/v1/admin/apps/{app_id}/reviewers/{kind}/{principal_id}",
    tag = "Assignments",
    params(("app_id" = String, Path, description = "The app's id"), ("kind" = super::admin::PrincipalKind, Path, description = "A user or a group"), ("principal_id" = String, Path, description = "The user's or group's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn remove_app_reviewer_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((app_id, kind, principal_id)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = &require_admin(&auth)?;
    let who = match kind.as_str() {
        "users" => Principal::User(principal_id),
        "groups" => Principal::Group(principal_id),
        _ => return Err(AppError::not_found()),
    };
    if remove_reviewer(&state, admin, &headers, &app_id, &who).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::Client {
            status: StatusCode::NOT_FOUND,
            code: "not_a_reviewer",
            message: "That user or group doesn't review this app's requests.".into(),
        })
    }
}

/// POST /admin/apps/{id}/reviewers from the assignments page.
pub async fn add_reviewer_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let changed = add_reviewer(&state, admin, &headers, &app_id, &form.principal.principal()?).await?;
    let default = format!("/admin/apps/{app_id}/assignments");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if changed { "app_reviewer_added" } else { "unchanged" }))
}

/// POST /admin/apps/{id}/reviewers/remove from the assignments page.
pub async fn remove_reviewer_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AssignmentForm>,
) -> Result<Response, AppError> {
    let admin = &require_admin(&auth)?;
    let removed = remove_reviewer(&state, admin, &headers, &app_id, &form.principal.principal()?).await?;
    let default = format!("/admin/apps/{app_id}/assignments");
    Ok(back_with_notice(form.return_to.as_deref(), &default, if removed { "app_reviewer_removed" } else { "unchanged" }))
}

#[cfg(test)]
mod tests {
    use super::input_from_form;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_form_reads_ticked_boxes_repeated_permissions_and_one_uri_per_line() {
        let input = input_from_form(&pairs(&[
            ("name", "Wiki"),
            ("enabled", "on"),
            ("permission_ids", "a"),
            ("permission_ids", "b"),
            ("redirect_uris", "https://wiki.example/cb\r\nhttp://127.0.0.1/cb"),
        ]));
        assert_eq!((input.enabled, input.visible, input.public_client), (Some(true), Some(false), Some(false)));
        assert_eq!(input.permission_ids.unwrap(), ["a", "b"]);
        assert_eq!(input.redirect_uris.unwrap(), ["https://wiki.example/cb", "http://127.0.0.1/cb"]);
    }
}
