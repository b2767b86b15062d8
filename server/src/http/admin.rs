//! The admin area's HTTP surface: the JSON admin API under
//! `/api/v1/admin/...` and the plain-form posts of the admin pages
//! (`/admin/...`), which answer with a redirect back to the page. Both call
//! the same store operations. Every handler takes the caller's capability
//! first; the session middleware has already refused non-admins on these
//! paths, and this is the check that counts.

use super::error::{correlation_id, escape, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::fields::field_of_constraint;
use app::domain::model::Role;
use app::domain::model::SessionStage;
use app::domain::users::{validate_new_user, validate_user_edit, NewUserInput, UserEdit, UserEditInput};
use app::models::admin::{UserDetail, UserPage, UserProfile, UserQuery};
use app::ports::{AuditEvent, NewUserRecord, Principal, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// Who makes an admin request: a signed-in admin, or an API token acting
/// for its organisation with its role. Handlers scope every query by
/// `org_id` and audit `actor`.
#[derive(Clone, Debug)]
pub struct AdminCaller {
    pub org_id: String,
    pub role: Role,
    pub actor: Actor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User { user_id: String, upn: String },
    ApiToken { token_id: String, name: String },
}

impl AdminCaller {
    /// Is the caller this user? (An admin may not block themselves or
    /// change their own role; a token is nobody.)
    pub fn is_user(&self, user_id: &str) -> bool {
        matches!(&self.actor, Actor::User { user_id: own, .. } if own == user_id)
    }

    /// Who decides, as a request's history and a grant name them: a person
    /// by `display_name` when given (else their sign-in name), a token by
    /// its label.
    pub fn decider(&self, display_name: Option<&str>) -> app::ports::Decider {
        match &self.actor {
            Actor::User { user_id, upn } => app::ports::Decider {
                user_id: Some(user_id.clone()),
                label: display_name.map(str::to_string).unwrap_or_else(|| upn.clone()),
            },
            Actor::ApiToken { .. } => app::ports::Decider { user_id: None, label: self.label() },
        }
    }

    /// The actor's name as the audit log records it.
    pub fn label(&self) -> String {
        match &self.actor {
            Actor::User { upn, .. } => upn.clone(),
            Actor::ApiToken { name, .. } => format!("API token \u{201c}{name}\u{201d}"),
        }
    }
}

/// The caller, when they are an app admin or a privileged admin: a fully
/// signed-in session, or an API token (whose role is one of the two).
pub fn require_admin(auth: &RequestAuth) -> Result<AdminCaller, AppError> {
    match auth {
        RequestAuth::Session(s) if s.stage == SessionStage::Active && s.user.role.is_admin() => Ok(AdminCaller {
            org_id: s.user.org_id.clone(),
            role: s.user.role,
            actor: Actor::User { user_id: s.user.user_id.clone(), upn: s.user.upn.clone() },
        }),
        RequestAuth::Session(s) if s.stage == SessionStage::Active => {
            Err(AppError::forbidden("admin_required", "This part of My Apps is for admins."))
        }
        RequestAuth::Session(_) => Err(AppError::forbidden("sign_in_incomplete", "Finish signing in first.")),
        RequestAuth::ApiToken(t) if t.role.is_admin() => Ok(AdminCaller {
            org_id: t.org_id.clone(),
            role: t.role,
            actor: Actor::ApiToken { token_id: t.token_id.clone(), name: t.name.clone() },
        }),
        RequestAuth::ApiToken(_) => Err(AppError::forbidden("admin_required", "This part of My Apps is for admins.")),
        RequestAuth::Anonymous { .. } => Err(AppError::unauthorized()),
    }
}

/// The caller, when they are a privileged admin (a session or a token).
pub fn require_privileged_admin(auth: &RequestAuth) -> Result<AdminCaller, AppError> {
    let caller = require_admin(auth)?;
    if !caller.role.is_privileged_admin() {
        return Err(AppError::forbidden("privileged_admin_required", "This needs the privileged admin role."));
    }
    Ok(caller)
}

/// The caller, when they are a privileged admin signed in in person: API
/// tokens are made and revoked by people, never by another token (a leaked
/// token must not be able to mint itself a successor).
pub fn require_signed_in_privileged_admin(auth: &RequestAuth) -> Result<AdminCaller, AppError> {
    if matches!(auth, RequestAuth::ApiToken(_)) {
        return Err(AppError::forbidden(
            "signed_in_admin_required",
            "API tokens are managed by a privileged admin who is signed in, not by a token.",
        ));
    }
    require_privileged_admin(auth)
}

/// A change a named database constraint refused, as the field it is about
/// (a sign-in name, group name, product code, token name already taken).
pub(super) fn field_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { constraint } => match field_of_constraint(&constraint) {
            Some(problem) => AppError::Validation(vec![problem]),
            None => AppError::Internal(format!("conflict on {constraint}")),
        },
        e => e.into(),
    }
}

fn user_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "user_not_found",
        message: "There is no user with that id in your organisation.".into(),
    }
}

/// An audit event of `admin`'s change to one target.
pub(super) fn audit(
    admin: &AdminCaller,
    headers: &HeaderMap,
    action: &str,
    target_type: &str,
    target_id: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        org_id: admin.org_id.clone(),
        actor_user_id: match &admin.actor {
            Actor::User { user_id, .. } => Some(user_id.clone()),
            Actor::ApiToken { .. } => None,
        },
        actor_token_id: match &admin.actor {
            Actor::ApiToken { token_id, .. } => Some(token_id.clone()),
            Actor::User { .. } => None,
        },
        actor_label: admin.label(),
        action: action.into(),
        target_type: target_type.into(),
        target_id: target_id.into(),
        before_json: Some(before.to_string()),
        after_json: Some(after.to_string()),
        correlation_id: correlation_id(headers),
        at: now_ms(),
    }
}

/// A searched, paged list's query: what to find, and which page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Part of what to find (any case); at most 200 characters.
    #[serde(default)]
    pub(super) search: String,
    /// The `next_cursor` of the page before.
    pub(super) cursor: Option<String>,
    /// Rows per page: 1 to 200 (50 when left out).
    #[serde(default)]
    pub(super) limit: u32,
}

/// A paged list's query: which page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the page before.
    pub(super) cursor: Option<String>,
    /// Rows per page: 1 to 200 (50 when left out).
    #[serde(default)]
    pub(super) limit: u32,
}

/// A search of at most 200 characters (longer ones cost a scan for nothing).
pub(super) fn checked_search(search: &str) -> Result<(), AppError> {
    if search.chars().count() > 200 {
        return Err(AppError::bad_request("search_too_long", "Search for at most 200 characters."));
    }
    Ok(())
}

/// Users, searched and paged
///
/// In UPN order, matching `search` anywhere in the UPN, the name or the
/// e-mail address (any case). Privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "Users",
    params(SearchParams),
    responses((status = 200, description = "A page of users", body = UserPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<SearchParams>,
) -> Result<Json<UserPage>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    checked_search(&params.search)?;
    let query = UserQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.search_users(&admin.org_id, &query).await?))
}

/// The user's own record, for checks and audit "before" values (no groups,
/// licenses or apps: those cost an access snapshot).
async fn profile(state: &AppState, admin: &AdminCaller, user_id: &str) -> Result<UserProfile, AppError> {
    if uuid::Uuid::parse_str(user_id).is_err() {
        return Err(user_not_found());
    }
    state.store.find_user(&admin.org_id, user_id).await?.ok_or_else(user_not_found)
}

async fn detail(state: &AppState, admin: &AdminCaller, user_id: &str) -> Result<UserDetail, AppError> {
    if uuid::Uuid::parse_str(user_id).is_err() {
        return Err(user_not_found());
    }
    app::services::admin::user_detail(state.store.as_ref(), &admin.org_id, user_id, now_ms()).await?.ok_or_else(user_not_found)
}

/// One user, in full
///
/// With their groups (direct and inherited, with the chain), licenses (with
/// seat state) and apps (with the path that gives each, and why a launch
/// would be refused now).
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{user_id}",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = UserDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn get_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(user_id): Path<String>,
) -> Result<Json<UserDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(detail(&state, admin, &user_id).await?))
}

/// What an admin can do to a user's sign-in state.
#[derive(Clone, Copy, Debug)]
enum SignInAction {
    Block,
    Unblock,
    Unlock,
    /// Forget the enrolled authenticator.
    ResetMfa,
}

impl SignInAction {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "block" => SignInAction::Block,
            "unblock" => SignInAction::Unblock,
            "unlock" => SignInAction::Unlock,
            "reset-mfa" => SignInAction::ResetMfa,
            _ => return None,
        })
    }

    /// The notice code the page shows after it.
    fn done(self) -> &'static str {
        match self {
            SignInAction::Block => "blocked",
            SignInAction::Unblock => "unblocked",
            SignInAction::Unlock => "unlocked",
            SignInAction::ResetMfa => "mfa_reset",
        }
    }
}

/// Applies `action` to the user; false when it changed nothing (already so).
async fn apply(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, user_id: &str, action: SignInAction) -> Result<bool, AppError> {
    let before = profile(state, admin, user_id).await?;
    if matches!(action, SignInAction::Block) && admin.is_user(user_id) {
        return Err(AppError::bad_request("cannot_block_yourself", "You can't block your own sign-in. Ask another privileged admin."));
    }
    let store = &state.store;
    Ok(match action {
        SignInAction::Block | SignInAction::Unblock => {
            let blocked = matches!(action, SignInAction::Block);
            let event = audit(
                admin,
                headers,
                if blocked { "user.sign_in_blocked" } else { "user.sign_in_unblocked" },
                "user",
                user_id,
                serde_json::json!({ "sign_in_blocked": before.summary.sign_in_blocked }),
                serde_json::json!({ "sign_in_blocked": blocked }),
            );
            store.set_sign_in_blocked(&admin.org_id, user_id, blocked, event).await?
        }
        SignInAction::Unlock => {
            let event = audit(
                admin,
                headers,
                "user.unlocked",
                "user",
                user_id,
                serde_json::json!({ "locked_until": before.summary.locked_until }),
                serde_json::json!({ "locked_until": null }),
            );
            store.unlock_user(&admin.org_id, user_id, now_ms(), event).await?
        }
        SignInAction::ResetMfa => {
            let event = audit(
                admin,
                headers,
                "user.authenticator_reset",
                "user",
                user_id,
                serde_json::json!({ "totp_enrolled": before.totp_enrolled }),
                serde_json::json!({ "totp_enrolled": false }),
            );
            store.reset_authenticator(&admin.org_id, user_id, event).await?
        }
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeAnswer {
    /// False when the user already was in that state.
    changed: bool,
    user: UserDetail,
}

async fn change_sign_in(
    state: &AppState,
    auth: &RequestAuth,
    headers: &HeaderMap,
    user_id: &str,
    action: SignInAction,
) -> Result<Json<ChangeAnswer>, AppError> {
    let admin = &require_privileged_admin(auth)?;
    let changed = apply(state, admin, headers, user_id, action).await?;
    Ok(Json(ChangeAnswer { changed, user: detail(state, admin, user_id).await? }))
}

/// Blocks a user's sign-in
///
/// Every session of theirs ends at once, on every replica. An admin cannot
/// block themselves.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/block",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "`changed` is false when the user already was so", body = ChangeAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn block_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<ChangeAnswer>, AppError> {
    change_sign_in(&state, &auth, &headers, &user_id, SignInAction::Block).await
}

/// Unblocks a user's sign-in
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/unblock",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "`changed` is false when the user already was so", body = ChangeAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn unblock_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<ChangeAnswer>, AppError> {
    change_sign_in(&state, &auth, &headers, &user_id, SignInAction::Unblock).await
}

/// Lifts a lockout
///
/// After too many wrong passwords the account is locked for a while; this
/// ends the lock now.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/unlock",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "`changed` is false when the user already was so", body = ChangeAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn unlock_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<ChangeAnswer>, AppError> {
    change_sign_in(&state, &auth, &headers, &user_id, SignInAction::Unlock).await
}

/// Forgets a user's authenticator
///
/// They enrol a new one at their next sign-in; their sessions end.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/reset-mfa",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "`changed` is false when the user already was so", body = ChangeAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn reset_user_mfa(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<ChangeAnswer>, AppError> {
    change_sign_in(&state, &auth, &headers, &user_id, SignInAction::ResetMfa).await
}

/// POST /admin/users/{id}/{block|unblock|unlock} from the user's page: the
/// same, then back to the page with a notice.
pub async fn change_sign_in_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((user_id, action)): Path<(String, String)>,
    Form(form): Form<BackForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let action = SignInAction::parse(&action).ok_or_else(AppError::not_found)?;
    let changed = apply(&state, admin, &headers, &user_id, action).await?;
    let notice = if changed { action.done() } else { "unchanged" };
    Ok(back_with_notice(form.return_to.as_deref(), &format!("/admin/users/{user_id}"), notice))
}

/// Back to the admin page a form came from (`return_to`, if it is one;
/// else `default`), with a notice code for the page to show.
pub(super) fn back_with_notice(return_to: Option<&str>, default: &str, notice: &str) -> Response {
    let page = admin_page(return_to).unwrap_or_else(|| default.to_string());
    let separator = if page.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{page}{separator}done={notice}")).into_response()
}

/// Back to a form after field problems: what was typed (cut to a length an
/// address can carry) and a code per field, never free text to show.
pub(super) fn back_to_form(page: &str, typed: &[(&str, Option<&String>)], problems: &[(&'static str, &'static str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in typed {
        if let Some(value) = value {
            query.append_pair(name, &value.chars().take(300).collect::<String>());
        }
    }
    let errors: Vec<String> = problems.iter().map(|(f, c)| format!("{f}:{c}")).collect();
    query.append_pair("errors", &errors.join(","));
    Redirect::to(&format!("{page}?{}", query.finish())).into_response()
}

/// The page a form came from, to go back to.
#[derive(Debug, Default, Deserialize)]
pub struct BackForm {
    pub(super) return_to: Option<String>,
}

/// A page of the admin area to return to: a local path under `/admin/`
/// only (never another site), without an earlier notice.
pub(super) fn admin_page(raw: Option<&str>) -> Option<String> {
    let safe = app::domain::model::ReturnTo::parse(raw?)?;
    let path = safe.as_str();
    if !(path.starts_with("/admin/") || path == "/admin") {
        return None;
    }
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=")).collect();
    Some(if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) })
}

/// A user created, or a password reset: the temporary password is shown
/// this once and never stored in a form we can read back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemporaryPassword {
    /// Shown this once; the person chooses their own at first sign-in.
    temporary_password: String,
    user: UserDetail,
}

/// Hashes a new temporary password through the bounded hasher (503 with
/// `Retry-After` when saturated, like sign-in).
async fn temporary_password(state: &AppState, try_again: &str) -> Result<(String, String), AppError> {
    let password = crate::security::temporary_password();
    match state.passwords.hash(password.clone()).await {
        Ok(hash) => Ok((password, hash)),
        Err(crate::passwords::HashError::Busy(b)) => {
            state.metrics.record_password_check_refused();
            Err(AppError::Busy { retry_after_secs: b.retry_after_secs, try_again: try_again.to_string() })
        }
        Err(crate::passwords::HashError::Failed(e)) => Err(AppError::Internal(e)),
    }
}

/// Creates the user; field problems (including a UPN already taken) come
/// back as `AppError::Validation`, and nothing is written then.
async fn create(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &NewUserInput) -> Result<TemporaryPassword, AppError> {
    let user = validate_new_user(input).map_err(AppError::Validation)?;
    let (password, hash) = temporary_password(state, "/admin/users/new").await?;
    let id = crate::store::new_id();
    let event = audit(
        admin,
        headers,
        "user.created",
        "user",
        &id,
        serde_json::Value::Null,
        serde_json::json!({ "upn": user.upn.as_str(), "display_name": user.display_name, "email": user.email,
            "job_title": user.job_title, "department": user.department, "role": user.role.as_str() }),
    );
    let record = NewUserRecord { id: id.clone(), org_id: admin.org_id.clone(), user, password_hash: hash, created_at: event.at };
    state.store.create_user(record, event).await.map_err(field_conflict)?;
    Ok(TemporaryPassword { temporary_password: password, user: detail(state, admin, &id).await? })
}

/// Creates a user
///
/// With a temporary password, returned this once, to be changed at first
/// sign-in. A sign-in name already taken (in any case) is a field problem.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    tag = "Users",
    request_body = NewUserInput,
    responses((status = 201, description = "Created; the temporary password is in the answer, this once", body = TemporaryPassword), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse), (status = 503, description = "Busy: try again after `Retry-After` seconds", body = super::error::ErrorResponse))
)]
pub async fn create_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<NewUserInput>,
) -> Result<(StatusCode, Json<TemporaryPassword>), AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(create(&state, admin, &headers, &input).await?)))
}

/// The form of the new-user page: the same fields.
#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(flatten)]
    input: NewUserInput,
}

/// POST /admin/users/new from the new-user page: on success a page that
/// shows the temporary password once; otherwise back to the form with what
/// was typed and a code per field.
pub async fn create_user_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match create(&state, admin, &headers, &form.input).await {
        Ok(created) => Ok(password_page(&state, "User created", &created)),
        Err(AppError::Validation(problems)) => {
            let i = &form.input;
            let typed = [
                ("upn", Some(&i.upn)),
                ("display_name", Some(&i.display_name)),
                ("email", Some(&i.email)),
                ("job_title", Some(&i.job_title)),
                ("department", Some(&i.department)),
                ("role", Some(&i.role)),
            ];
            Ok(back_to_form("/admin/users/new", &typed, &problems))
        }
        Err(e) => Err(e),
    }
}

/// Resets a user's password
///
/// A new temporary password (returned this once) to be changed at next
/// sign-in; lifts a lockout and ends the user's sessions.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{user_id}/reset-password",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The temporary password, this once", body = TemporaryPassword), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 503, description = "Busy: try again after `Retry-After` seconds", body = super::error::ErrorResponse))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<TemporaryPassword>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(reset(&state, admin, &headers, &user_id).await?))
}

/// POST /admin/users/{id}/reset-password from the user's page.
pub async fn reset_password_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let reset = reset(&state, admin, &headers, &user_id).await?;
    Ok(password_page(&state, "Password reset", &reset))
}

async fn reset(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, user_id: &str) -> Result<TemporaryPassword, AppError> {
    profile(state, admin, user_id).await?;
    if admin.is_user(user_id) {
        return Err(AppError::bad_request("use_change_password", "Change your own password from your account, not here."));
    }
    let (password, hash) = temporary_password(state, &format!("/admin/users/{user_id}")).await?;
    let event = audit(
        admin,
        headers,
        "user.password_reset",
        "user",
        user_id,
        serde_json::Value::Null,
        serde_json::json!({ "must_change_password": true }),
    );
    if !state.store.set_temporary_password(&admin.org_id, user_id, &hash, event).await? {
        return Err(user_not_found());
    }
    Ok(TemporaryPassword { temporary_password: password, user: detail(state, admin, user_id).await? })
}

/// The one page that shows a temporary password. Not cached, not a
/// redirect target: reloading it does not show the password again.
fn password_page(state: &AppState, title: &str, created: &TemporaryPassword) -> Response {
    let u = &created.user.profile.summary;
    let intro = format!(
        "Give this temporary password to <strong>{name}</strong> (<code>{upn}</code>) in person or over a channel you trust. \
         They choose their own when they first sign in with it.",
        name = escape(&u.display_name),
        upn = escape(&u.upn),
    );
    let links = format!(
        r#"<a class="button button-primary" href="/admin/users/{id}">Go to {name}</a> <a class="button" href="/admin/users">All users</a>"#,
        id = escape(&u.id),
        name = escape(&u.display_name),
    );
    shown_once_page(state, title, &intro, "Temporary password", &created.temporary_password, &links)
}

/// A page that shows a secret (a temporary password, a client secret) this
/// once: `no-store`, and not a redirect target, so reloading it does not
/// show the secret again. `intro_html` and `links_html` are markup the
/// caller escaped.
pub(super) fn shown_once_page(state: &AppState, title: &str, intro_html: &str, label: &str, secret: &str, links_html: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title} · Admin · My Apps</title><link rel="stylesheet" href="{css}"></head><body><main id="main" class="auth-page"><div class="auth-card"><h1>{title}</h1><p>{intro_html}</p><p class="secret" aria-label="{label}"><code>{secret}</code></p><p class="muted">It is shown only this once and is not stored anywhere we can show it again.</p><p>{links_html}</p></div></main></body></html>"#,
        title = escape(title),
        css = escape(&state.assets.css),
        label = escape(label),
        secret = escape(secret),
    );
    ([(axum::http::header::CACHE_CONTROL, "no-store")], axum::response::Html(html)).into_response()
}

/// The editable fields of a user as they are now.
fn current_edit(profile: &UserProfile) -> Result<UserEdit, AppError> {
    let u = &profile.summary;
    Ok(UserEdit {
        upn: app::domain::model::Upn::parse(&u.upn).map_err(|e| AppError::Internal(format!("stored UPN does not parse: {e}")))?,
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        job_title: profile.job_title.clone(),
        department: profile.department.clone(),
        role: u.role,
        mfa_state: u.mfa_state,
        auth_phone: profile.auth_phone.clone(),
        auth_email: profile.auth_email.clone(),
    })
}

/// Applies an edit; field problems (a UPN taken included) are
/// `AppError::Validation` and write nothing.
async fn edit(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    user_id: &str,
    input: &UserEditInput,
) -> Result<UserDetail, AppError> {
    let before = current_edit(&profile(state, admin, user_id).await?)?;
    let after = validate_user_edit(&before, input, admin.is_user(user_id)).map_err(AppError::Validation)?;
    if after == before {
        return detail(state, admin, user_id).await;
    }
    let event = audit(admin, headers, "user.updated", "user", user_id, serde_json::json!(before), serde_json::json!(after));
    match state.store.update_user(&admin.org_id, user_id, &after, event).await.map_err(field_conflict)? {
        true => detail(state, admin, user_id).await,
        false => Err(user_not_found()),
    }
}

/// Changes a user's fields
///
/// Only the fields sent (`upn`, `display_name`, `email`, `job_title`,
/// `department`, `role`, `mfa_state`, `auth_phone`, `auth_email`). An admin
/// cannot change their own role.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{user_id}",
    tag = "Users",
    params(("user_id" = String, Path, description = "The user's id")),
    request_body = UserEditInput,
    responses((status = 200, description = "The user as saved", body = UserDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn update_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Json(input): Json<UserEditInput>,
) -> Result<Json<UserDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(edit(&state, admin, &headers, &user_id, &input).await?))
}

/// POST /admin/users/{id}/edit from the edit page: back to the user with a
/// notice, or to the form with what was typed and a code per field.
pub async fn update_user_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Form(input): Form<UserEditInput>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match edit(&state, admin, &headers, &user_id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{user_id}?done=saved")).into_response()),
        Err(AppError::Validation(problems)) => {
            let typed = [
                ("upn", input.upn.as_ref()),
                ("display_name", input.display_name.as_ref()),
                ("email", input.email.as_ref()),
                ("job_title", input.job_title.as_ref()),
                ("department", input.department.as_ref()),
                ("role", input.role.as_ref()),
                ("mfa_state", input.mfa_state.as_ref()),
                ("auth_phone", input.auth_phone.as_ref()),
                ("auth_email", input.auth_email.as_ref()),
            ];
            Ok(back_to_form(&format!("/admin/users/{user_id}/edit"), &typed, &problems))
        }
        Err(e) => Err(e),
    }
}

/// A principal named in an assignment request (of an app or a license):
/// one user or one group, by id.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PrincipalRef {
    /// A user's id (or `group_id`, not both).
    pub(super) user_id: Option<String>,
    /// A group's id (or `user_id`, not both).
    pub(super) group_id: Option<String>,
}

/// Whom an assignment or a membership in a path names: `users` or `groups`
/// (the API's description of that path segment).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // read from the path as text; this type describes it
pub enum PrincipalKind {
    Users,
    Groups,
}

impl PrincipalRef {
    pub(super) fn principal(&self) -> Result<Principal, AppError> {
        match (&self.user_id, &self.group_id) {
            (Some(u), None) if uuid::Uuid::parse_str(u).is_ok() => Ok(Principal::User(u.clone())),
            (None, Some(g)) if uuid::Uuid::parse_str(g).is_ok() => Ok(Principal::Group(g.clone())),
            (None, None) | (Some(_), Some(_)) => Err(AppError::bad_request("principal_required", "Name one user_id or one group_id.")),
            _ => Err(principal_not_found()),
        }
    }
}

pub(super) fn principal_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "principal_not_found",
        message: "There is no such user or group in your organisation.".into(),
    }
}

/// What an audit event records of a principal.
pub(super) fn principal_json(p: &Principal) -> serde_json::Value {
    match p {
        Principal::User(id) => serde_json::json!({ "user_id": id }),
        Principal::Group(id) => serde_json::json!({ "group_id": id }),
    }
}

#[cfg(test)]
mod tests {
    use super::admin_page;

    #[test]
    fn forms_return_only_to_admin_pages_without_old_notices() {
        assert_eq!(admin_page(Some("/admin/check-access?user=a&done=blocked&app=b")).as_deref(), Some("/admin/check-access?user=a&app=b"));
        assert_eq!(admin_page(Some("/admin/users")).as_deref(), Some("/admin/users"));
        for bad in ["https://evil.example/admin/", "//evil.example/admin/", "/launch/x", "/administrator", ""] {
            assert_eq!(admin_page(Some(bad)), None, "{bad}");
        }
        assert_eq!(admin_page(None), None);
    }
}
