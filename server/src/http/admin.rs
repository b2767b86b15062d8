//! The admin area's HTTP surface: the JSON admin API under
//! `/api/v1/admin/...` and the plain-form posts of the admin pages
//! (`/admin/...`), which answer with a redirect back to the page. Both call
//! the same store operations. Every handler takes the caller's capability
//! first; the session middleware has already refused non-admins on these
//! paths, and this is the check that counts.

use super::error::{correlation_id, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::model::SessionStage;
use app::models::admin::{UserDetail, UserPage, UserQuery};
use app::ports::{AuditEvent, SessionUser};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// The caller, when they are a privileged admin of a fully signed-in session.
pub fn require_privileged_admin(auth: &RequestAuth) -> Result<&SessionUser, AppError> {
    match auth {
        RequestAuth::Session(s) if s.stage == SessionStage::Active && s.user.role.is_privileged_admin() => Ok(&s.user),
        RequestAuth::Session(s) if s.stage == SessionStage::Active => {
            Err(AppError::forbidden("privileged_admin_required", "This needs the privileged admin role."))
        }
        RequestAuth::Session(_) => Err(AppError::forbidden("sign_in_incomplete", "Finish signing in first.")),
        RequestAuth::Anonymous { .. } => Err(AppError::unauthorized()),
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
fn audit(
    admin: &SessionUser,
    headers: &HeaderMap,
    action: &str,
    target_type: &str,
    target_id: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        org_id: admin.org_id.clone(),
        actor_user_id: Some(admin.user_id.clone()),
        actor_label: admin.upn.clone(),
        action: action.into(),
        target_type: target_type.into(),
        target_id: target_id.into(),
        before_json: Some(before.to_string()),
        after_json: Some(after.to_string()),
        correlation_id: correlation_id(headers),
        at: now_ms(),
    }
}

#[derive(Debug, Deserialize)]
pub struct UserListParams {
    #[serde(default)]
    search: String,
    cursor: Option<String>,
    #[serde(default)]
    limit: u32,
}

/// GET /api/v1/admin/users?search=&cursor=&limit=: users in UPN order,
/// matching `search` anywhere in the UPN, name or e-mail.
pub async fn list_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<UserListParams>,
) -> Result<Json<UserPage>, AppError> {
    let admin = require_privileged_admin(&auth)?;
    if params.search.chars().count() > 200 {
        return Err(AppError::bad_request("search_too_long", "Search for at most 200 characters."));
    }
    let query = UserQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.search_users(&admin.org_id, &query).await?))
}

async fn detail(state: &AppState, admin: &SessionUser, user_id: &str) -> Result<UserDetail, AppError> {
    if uuid::Uuid::parse_str(user_id).is_err() {
        return Err(user_not_found());
    }
    app::services::admin::user_detail(state.store.as_ref(), &admin.org_id, user_id, now_ms()).await?.ok_or_else(user_not_found)
}

/// GET /api/v1/admin/users/{id}: one user with groups, licenses and apps.
pub async fn get_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(user_id): Path<String>,
) -> Result<Json<UserDetail>, AppError> {
    let admin = require_privileged_admin(&auth)?;
    Ok(Json(detail(&state, admin, &user_id).await?))
}

/// What an admin can do to a user's sign-in state.
#[derive(Clone, Copy, Debug)]
enum SignInAction {
    Block,
    Unblock,
    Unlock,
}

impl SignInAction {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "block" => SignInAction::Block,
            "unblock" => SignInAction::Unblock,
            "unlock" => SignInAction::Unlock,
            _ => return None,
        })
    }

    /// The notice code the page shows after it.
    fn done(self) -> &'static str {
        match self {
            SignInAction::Block => "blocked",
            SignInAction::Unblock => "unblocked",
            SignInAction::Unlock => "unlocked",
        }
    }
}

/// Applies `action` to the user; false when it changed nothing (already so).
async fn apply(state: &AppState, admin: &SessionUser, headers: &HeaderMap, user_id: &str, action: SignInAction) -> Result<bool, AppError> {
    let before = detail(state, admin, user_id).await?;
    if matches!(action, SignInAction::Block) && user_id == admin.user_id {
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
    })
}

#[derive(Debug, Serialize)]
pub struct ChangeAnswer {
    /// False when the user already was in that state.
    changed: bool,
    user: UserDetail,
}

/// POST /api/v1/admin/users/{id}/{block|unblock|unlock}. Blocking ends
/// every session of the user at once.
pub async fn change_sign_in(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((user_id, action)): Path<(String, String)>,
) -> Result<Json<ChangeAnswer>, AppError> {
    let admin = require_privileged_admin(&auth)?;
    let action = SignInAction::parse(&action).ok_or_else(AppError::not_found)?;
    let changed = apply(&state, admin, &headers, &user_id, action).await?;
    Ok(Json(ChangeAnswer { changed, user: detail(&state, admin, &user_id).await? }))
}

/// POST /admin/users/{id}/{block|unblock|unlock} from the user's page: the
/// same, then back to the page with a notice.
pub async fn change_sign_in_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((user_id, action)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let admin = require_privileged_admin(&auth)?;
    let action = SignInAction::parse(&action).ok_or_else(AppError::not_found)?;
    let changed = apply(&state, admin, &headers, &user_id, action).await?;
    let notice = if changed { action.done() } else { "unchanged" };
    Ok(Redirect::to(&format!("/admin/users/{user_id}?done={notice}")).into_response())
}
