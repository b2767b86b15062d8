//! API tokens in the admin API (`/api/v1/admin/api-tokens`) and the admin
//! pages' forms. Privileged admins read them; only a privileged admin who
//! is signed in creates or revokes one (never a token). The secret is
//! returned once, on creation, and only its digest is stored.

use super::admin::{audit, back_to_form, require_privileged_admin, require_signed_in_privileged_admin, shown_once_page, AdminCaller};
use super::error::{escape, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::api_tokens::{validate_api_token, ApiTokenInput, SECRET_PREFIX};
use app::models::admin::{ApiTokenPage, ApiTokenView};
use app::ports::NewApiTokenRecord;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

fn token_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "api_token_not_found",
        message: "There is no API token with that id in your organisation.".into(),
    }
}

async fn find(state: &AppState, admin: &AdminCaller, token_id: &str) -> Result<ApiTokenView, AppError> {
    if uuid::Uuid::parse_str(token_id).is_err() {
        return Err(token_not_found());
    }
    state.store.find_api_token(&admin.org_id, token_id, now_ms()).await?.ok_or_else(token_not_found)
}

/// API tokens
///
/// The organisation's tokens, newest first, revoked and expired ones too;
/// never their secrets. Privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/api-tokens",
    tag = "API tokens",
    params(super::admin::PageParams),
    responses((status = 200, description = "A page of tokens", body = ApiTokenPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<super::admin::PageParams>,
) -> Result<Json<ApiTokenPage>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(state.store.list_api_tokens(&admin.org_id, params.cursor.as_deref(), params.limit, now_ms()).await?))
}

/// One API token
#[utoipa::path(
    get,
    path = "/api/v1/admin/api-tokens/{token_id}",
    tag = "API tokens",
    params(("token_id" = String, Path, description = "The token's id")),
    responses((status = 200, description = "The token", body = ApiTokenView), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn get_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(token_id): Path<String>,
) -> Result<Json<ApiTokenView>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(find(&state, admin, &token_id).await?))
}

/// A new token with its secret, the only time the secret is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    token: ApiTokenView,
    /// `mya_` and 43 characters: send it as `Authorization: Bearer <secret>`.
    secret: String,
}

async fn create(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &ApiTokenInput) -> Result<CreatedToken, AppError> {
    let now = now_ms();
    let token = validate_api_token(input, now).map_err(AppError::Validation)?;
    let secret = format!("{SECRET_PREFIX}{}", crate::security::random_token());
    let id = crate::store::new_id();
    let after = serde_json::json!({ "name": token.name, "role": token.role.as_str(), "expires_at": token.expires_at });
    let event = audit(admin, headers, "api_token.created", "api_token", &id, serde_json::Value::Null, after);
    let record = NewApiTokenRecord {
        id: id.clone(),
        org_id: admin.org_id.clone(),
        secret_digest: crate::security::token_digest(&secret),
        secret_hint: secret[secret.len() - 4..].to_string(),
        created_by: admin.label(),
        created_at: now,
        token,
    };
    state.store.create_api_token(record, event).await.map_err(super::admin::field_conflict)?;
    Ok(CreatedToken { token: find(state, admin, &id).await?, secret })
}

/// Creates an API token
///
/// Its secret is in the answer this once (`Cache-Control: no-store`) and
/// is stored only as a SHA-256 digest. Only a privileged admin who is
/// signed in may create one: never another token.
#[utoipa::path(
    post,
    path = "/api/v1/admin/api-tokens",
    tag = "API tokens",
    request_body = ApiTokenInput,
    responses((status = 201, description = "Created; the secret is in the answer, this once", body = CreatedToken), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<ApiTokenInput>,
) -> Result<Response, AppError> {
    let admin = &require_signed_in_privileged_admin(&auth)?;
    let created = create(&state, admin, &headers, &input).await?;
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], Json(created)).into_response())
}

/// Revokes the token; true when it was live until now.
async fn revoke(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, token_id: &str) -> Result<bool, AppError> {
    let before = find(state, admin, token_id).await?;
    if before.revoked_at.is_some() {
        return Ok(false);
    }
    let event = audit(
        admin,
        headers,
        "api_token.revoked",
        "api_token",
        token_id,
        serde_json::json!({ "name": before.name, "role": before.role.as_str(), "revoked_at": null }),
        serde_json::json!({ "name": before.name, "role": before.role.as_str(), "revoked_at": now_ms() }),
    );
    Ok(state.store.revoke_api_token(&admin.org_id, token_id, &admin.label(), event).await?)
}

/// Revokes an API token
///
/// Whatever uses it is refused from its next request. Revoking it again
/// changes nothing. It stays listed as revoked. Signed-in privileged admins.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/api-tokens/{token_id}",
    tag = "API tokens",
    params(("token_id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(token_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_signed_in_privileged_admin(&auth)?;
    revoke(&state, admin, &headers, &token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The new-token form: every field as typed; expiry as a number of days
/// or "never".
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    expires_in_days: String,
}

impl TokenForm {
    fn input(&self) -> ApiTokenInput {
        let expires_in_days = match self.expires_in_days.trim() {
            "" | "never" => None,
            n => Some(n.parse::<i64>().unwrap_or(-1)),
        };
        ApiTokenInput { name: self.name.clone(), role: self.role.clone(), expires_in_days }
    }
}

/// POST /admin/api-tokens/new from the tokens page: the page that shows the
/// secret once, or back to the form with what was typed.
pub async fn create_token_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let admin = &require_signed_in_privileged_admin(&auth)?;
    match create(&state, admin, &headers, &form.input()).await {
        Ok(created) => {
            let t = &created.token;
            let role = if t.role.is_privileged_admin() { "Privileged admin" } else { "App admin" };
            let intro = format!(
                "Put this secret in <strong>{name}</strong>'s configuration. It acts for your organisation as {role}: \
                 send it as <code>Authorization: Bearer …</code> to the admin API or to SCIM at <code>/scim/v2</code>.",
                name = escape(&t.name),
            );
            let links = r#"<a class="button button-primary" href="/admin/api-tokens">All API tokens</a> <a class="button" href="/admin/api">API reference</a>"#;
            Ok(shown_once_page(&state, "API token created", &intro, "API token", &created.secret, links))
        }
        Err(AppError::Validation(problems)) => Ok(back_to_form(
            "/admin/api-tokens",
            &[("name", Some(&form.name)), ("role", Some(&form.role)), ("expires_in_days", Some(&form.expires_in_days))],
            &problems,
        )),
        Err(e) => Err(e),
    }
}

/// POST /admin/api-tokens/{id}/revoke from the tokens page (after its confirmation).
pub async fn revoke_token_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(token_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_signed_in_privileged_admin(&auth)?;
    let revoked = revoke(&state, admin, &headers, &token_id).await?;
    Ok(Redirect::to(if revoked { "/admin/api-tokens?done=token_revoked" } else { "/admin/api-tokens?done=unchanged" }).into_response())
}
