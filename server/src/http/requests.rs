//! Requests and notifications. For the requester: "Approval required" on
//! the consent page (`POST /consent/{app_id}/request`) and
//! `POST /api/v1/me/requests`, My requests (`GET /api/v1/me/requests`).
//! For reviewers: the queue (`/reviews`, forms posted to
//! `/reviews/{request_id}`), and for privileged admins the same through the
//! admin API (`/api/v1/admin/consent-requests`). For everyone: the bell
//! (`/api/v1/me/notifications`). Every answer is decided here from a fresh
//! read; the pages only show.

use super::admin::{audit, AdminCaller};
use super::api::{app_not_found, require_session};
use super::error::{correlation_id, AppError};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::consent::ConsentNext;
use app::domain::model::{Millis, SessionStage};
use app::domain::requests::{
    access_requestable, may_decide, validate_justification, validate_review, RequestKind, RequestStatus, ReviewRefusal,
};
use app::models::requests::{MyRequest, Notifications, ReviewQueue};
use app::ports::{AskOutcome, AuditEvent, QueueViewer, SessionUser, StoreError};
use app::services::access::UserAccess;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::time::now_ms;

fn request_not_found() -> AppError {
    AppError::Client { status: StatusCode::NOT_FOUND, code: "request_not_found", message: "There is no such request.".into() }
}

fn app_blocked() -> AppError {
    AppError::forbidden(
        "app_blocked",
        "Your organisation blocked this app: it can't be requested or consented to. Ask your admin if you think this is wrong.",
    )
}

fn requester_audit(user: &SessionUser, headers: &HeaderMap, action: &str, app_id: &str, after: serde_json::Value) -> AuditEvent {
    AuditEvent {
        org_id: user.org_id.clone(),
        actor_user_id: Some(user.user_id.clone()),
        actor_token_id: None,
        actor_label: user.upn.clone(),
        action: action.into(),
        target_type: "request".into(),
        target_id: app_id.into(),
        before_json: None,
        after_json: Some(after.to_string()),
        correlation_id: correlation_id(headers),
        at: now_ms(),
    }
}

/// What asking did, as the API answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AskAnswer {
    pub request_id: String,
    /// `created` (a new request), `joined` (others had asked; you are added)
    /// or `already_asked` (yours is pending: nothing new was sent).
    pub outcome: &'static str,
    /// When the caller asked.
    pub asked_at: Millis,
}

/// Asks for the admin consent the caller's launch of the app lacks: only
/// when the launch would stop at consent alone and the org routes it to
/// reviewers (the workflow is on and the user may not consent).
async fn ask_consent_for(
    state: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    app_id: &str,
    justification: &str,
) -> Result<AskAnswer, AppError> {
    if !super::canonical_id(app_id) {
        return Err(app_not_found());
    }
    let justification = validate_justification(justification).map_err(AppError::Validation)?;
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, Some(app_id), now).await?;
    let access = UserAccess::with_account(&snapshot, &user.account_status(), now, true);
    if access.app(app_id).is_none() {
        return Err(app_not_found());
    }
    let Some(prompt) = access.consent_prompt(app_id) else {
        return Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "approval_not_needed",
            message: "This app needs no approval from you now: it may already have what it asks for, or something else stops your launch."
                .into(),
        });
    };
    match prompt.next {
        ConsentNext::ApprovalRequired => {}
        ConsentNext::UserCanConsent => {
            return Err(AppError::Client {
                status: StatusCode::CONFLICT,
                code: "approval_not_needed",
                message: "You can give this app its permissions yourself: open it and accept.".into(),
            })
        }
        ConsentNext::AdminApprovalNeeded => {
            return Err(AppError::Client {
                status: StatusCode::CONFLICT,
                code: "approval_workflow_off",
                message: "Your organisation doesn't take approval requests in My Apps. Ask your admin to grant this app.".into(),
            })
        }
        ConsentNext::Blocked => return Err(app_blocked()),
    }
    let permissions: Vec<String> = prompt.missing.iter().map(|p| p.id.clone()).collect();
    let values: Vec<&str> = prompt.missing.iter().map(|p| p.value.as_str()).collect();
    let event = requester_audit(
        user,
        headers,
        "consent_request.asked",
        app_id,
        json!({ "app": prompt.app_name, "app_id": app_id, "permissions": values }),
    );
    let outcome = match state.store.ask_consent(&user.org_id, app_id, &user.user_id, &justification, &permissions, state.email, event).await
    {
        Err(StoreError::Conflict { constraint }) if constraint == "app_blocked" => return Err(app_blocked()),
        Err(StoreError::NotFound) => return Err(app_not_found()),
        other => other?,
    };
    Ok(answer_of(outcome, now))
}

fn answer_of(outcome: AskOutcome, now: Millis) -> AskAnswer {
    match outcome {
        AskOutcome::Created { request_id } => AskAnswer { request_id, outcome: "created", asked_at: now },
        AskOutcome::Joined { request_id } => AskAnswer { request_id, outcome: "joined", asked_at: now },
        AskOutcome::AlreadyAsked { request_id, asked_at } => AskAnswer { request_id, outcome: "already_asked", asked_at },
    }
}

/// Asks the app's reviewers for access: only when the caller's launch is
/// refused now because the app is not assigned to them or its license is
/// not given to them.
async fn ask_access_for(
    state: &AppState,
    user: &SessionUser,
    headers: &HeaderMap,
    app_id: &str,
    justification: &str,
) -> Result<AskAnswer, AppError> {
    if !super::canonical_id(app_id) {
        return Err(app_not_found());
    }
    let justification = validate_justification(justification).map_err(AppError::Validation)?;
    let now = now_ms();
    let snapshot = state.store.access_snapshot(&user.org_id, &user.user_id, Some(app_id), now).await?;
    let access = UserAccess::with_account(&snapshot, &user.account_status(), now, true);
    let Some(app) = access.app(app_id) else { return Err(app_not_found()) };
    let (_, decision) = access.decide(Some(app));
    let reason = decision.first_refusal().map(|r| r.code()).unwrap_or("");
    if reason == "app_not_found" {
        return Err(app_not_found());
    }
    if !access_requestable(reason) {
        return Err(AppError::Client {
            status: StatusCode::CONFLICT,
            code: "access_not_needed",
            message: if reason.is_empty() {
                "You can already open this app.".to_string()
            } else {
                "Asking for access wouldn't help: something else stops your launch. The app's refusal page says what.".to_string()
            },
        });
    }
    let event =
        requester_audit(user, headers, "access_request.asked", app_id, json!({ "app": app.name, "app_id": app_id, "reason": reason }));
    let outcome = match state.store.ask_access(&user.org_id, app_id, &user.user_id, &justification, reason, state.email, event).await {
        Err(StoreError::NotFound) => return Err(app_not_found()),
        other => other?,
    };
    Ok(answer_of(outcome, now))
}

/// Sends a request's page back with what was typed (up to a little past
/// the limit, so they see it was too long) and a code per problem.
fn back_with_problems(page: &str, pairs: &[(&str, &str)], typed: &str, problems: &[(&'static str, &'static str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.append_pair("justification", &typed.chars().take(1100).collect::<String>());
    let errors: Vec<String> = problems.iter().map(|(f, c)| format!("{f}:{c}")).collect();
    query.append_pair("errors", &errors.join(","));
    Redirect::to(&format!("{page}?{}", query.finish())).into_response()
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    justification: String,
}

/// POST /consent/{app_id}/request: "Request approval" on the consent page.
/// Back to the page, which then says the request was sent (or when they
/// asked), or shows what to fix with what they typed.
pub async fn ask_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AskForm>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    let page = format!("/consent/{app_id}");
    match ask_consent_for(&state, &session.user, &headers, &app_id, &form.justification).await {
        Ok(answer) => Ok(Redirect::to(&format!("{page}?sent={}", answer.outcome)).into_response()),
        Err(AppError::Validation(problems)) => Ok(back_with_problems(&page, &[], &form.justification, &problems)),
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    justification: String,
    /// The refusal page's reference, to go back to.
    #[serde(default, rename = "ref")]
    reference: String,
}

/// POST /access/{app_id}/request: "Request access" on the refusal page;
/// back to it, which then says the request was sent or what to fix.
pub async fn ask_access_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    // The reference is a correlation id: anything else is dropped, so the
    // way back is always our own page.
    let reference: String = if form.reference.len() <= 64 && form.reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        form.reference.clone()
    } else {
        String::new()
    };
    let page = "/launch-refused";
    match ask_access_for(&state, &session.user, &headers, &app_id, &form.justification).await {
        Ok(answer) => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("ref", &reference).append_pair("sent", answer.outcome);
            Ok(Redirect::to(&format!("{page}?{}", query.finish())).into_response())
        }
        Err(AppError::Validation(problems)) => Ok(back_with_problems(page, &[("ref", &reference)], &form.justification, &problems)),
        Err(other) => Err(other),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewRequest {
    /// The app to ask about.
    pub app_id: String,
    /// Why you need it (required, at most 1,000 characters).
    pub justification: String,
    /// `consent` (the default: approval of its permissions) or `access`
    /// (the app assigned to you, with its license).
    #[serde(default)]
    pub kind: Option<String>,
}

/// Asks for an app
///
/// `consent`: approval of the permissions the app lacks, where the caller may not consent; `access`: the app assigned to them, where their launch is refused `not_assigned` or `license_missing`. 201 for a new request (or one joined); 200 when theirs is already pending (nothing new is sent).
#[utoipa::path(
    post,
    path = "/api/v1/me/requests",
    tag = "Me",
    security(("session" = [])),
    request_body = NewRequest,
    responses((status = 201, description = "Sent", body = AskAnswer), (status = 200, description = "Already asked: nothing new was sent", body = AskAnswer), (status = 404, description = "No such app", body = super::error::ErrorResponse), (status = 409, description = "Asking would not help (nothing is missing, or something else stops the launch), or the workflow is off", body = super::error::ErrorResponse), (status = 422, description = "An empty or over-long justification, or an unknown kind", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn create_request(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<NewRequest>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    let answer = match input.kind.as_deref().map(RequestKind::parse) {
        None | Some(Some(RequestKind::Consent)) => {
            ask_consent_for(&state, &session.user, &headers, &input.app_id, &input.justification).await?
        }
        Some(Some(RequestKind::Access)) => ask_access_for(&state, &session.user, &headers, &input.app_id, &input.justification).await?,
        Some(None) => return Err(AppError::Validation(vec![("kind", "unknown_value")])),
    };
    let status = if answer.outcome == "already_asked" { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(answer)).into_response())
}

/// My requests
///
/// The caller's requests, newest first, each with its state and history.
#[utoipa::path(
    get,
    path = "/api/v1/me/requests",
    tag = "Me",
    security(("session" = [])),
    responses((status = 200, description = "The requests", body = Vec<MyRequest>), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn my_requests(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Result<Json<Vec<MyRequest>>, AppError> {
    let session = require_session(&auth)?;
    Ok(Json(state.store.my_requests(&session.user.org_id, &session.user.user_id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// 1 to 100 (default 30).
    limit: Option<i64>,
}

/// My notifications
///
/// The latest notifications (`limit`, 1–100, default 30) and how many are unread.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "Me",
    security(("session" = [])),
    params(NotificationsQuery),
    responses((status = 200, description = "The notifications", body = Notifications), (status = 400, description = "A limit out of range", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn notifications(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(query): Query<NotificationsQuery>,
) -> Result<Json<Notifications>, AppError> {
    let session = require_session(&auth)?;
    let limit = query.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request("limit_out_of_range", "Ask for 1 to 100 notifications."));
    }
    Ok(Json(state.store.notifications(&session.user.org_id, &session.user.user_id, limit).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MarkRead {
    /// The notifications to mark read; all of them when absent.
    ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    marked: u64,
}

async fn mark_read(state: &AppState, user: &SessionUser, ids: Option<Vec<String>>) -> Result<u64, AppError> {
    if let Some(ids) = &ids {
        if ids.is_empty() || ids.len() > 100 {
            return Err(AppError::bad_request("ids_out_of_range", "Send 1 to 100 notification ids, or none to mark them all."));
        }
        if !ids.iter().all(|id| super::canonical_id(id)) {
            return Err(AppError::bad_request("malformed_id", "A notification id is a UUID."));
        }
    }
    Ok(state.store.mark_notifications_read(&user.org_id, &user.user_id, ids.as_deref(), now_ms()).await?)
}

/// Marks notifications read
///
/// These (1–100 ids), or all of them when no ids are sent.
#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/read",
    tag = "Me",
    security(("session" = [])),
    request_body = MarkRead,
    responses((status = 200, description = "How many changed", body = MarkedRead), (status = 400, description = "Too many, too few or malformed ids", body = super::error::ErrorResponse), (status = 401, description = "Not signed in", body = super::error::ErrorResponse), (status = 403, description = "Signing in is not finished (a second factor or a new password is due)", body = super::error::ErrorResponse))
)]
pub async fn mark_notifications_read(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    body: Option<Json<MarkRead>>,
) -> Result<Json<MarkedRead>, AppError> {
    let session = require_session(&auth)?;
    let ids = body.and_then(|Json(b)| b.ids);
    Ok(Json(MarkedRead { marked: mark_read(&state, &session.user, ids).await? }))
}

/// GET /notifications/{id}/open: a notification followed from the page:
/// marked read, then on to its page (one of ours; anything else goes to the
/// notifications page).
pub async fn open_notification(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    if !super::canonical_id(&id) {
        return Err(AppError::not_found());
    }
    let opened = state.store.open_notification(&session.user.org_id, &session.user.user_id, &id, now_ms()).await?;
    let Some(link) = opened else { return Err(AppError::not_found()) };
    let to = link.as_deref().and_then(app::domain::model::ReturnTo::parse).map(|r| r.as_str().to_string());
    Ok(Redirect::to(to.as_deref().unwrap_or("/notifications")).into_response())
}

/// POST /notifications/read: "Mark all as read" on the notifications page.
pub async fn mark_notifications_read_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Result<Response, AppError> {
    let session = require_session(&auth)?;
    mark_read(&state, &session.user, None).await?;
    Ok(Redirect::to("/notifications").into_response())
}

// ---- Reviewing ----

/// The caller of the reviewing routes: a fully signed-in person (what
/// they review is asked per request), or an admin API token with its role.
fn reviewer_of(auth: &RequestAuth) -> Result<(AdminCaller, QueueViewer), AppError> {
    match auth {
        RequestAuth::Session(s) if s.stage == SessionStage::Active => Ok((
            AdminCaller {
                org_id: s.user.org_id.clone(),
                role: s.user.role,
                actor: super::admin::Actor::User { user_id: s.user.user_id.clone(), upn: s.user.upn.clone() },
            },
            QueueViewer { user_id: Some(s.user.user_id.clone()), role: s.user.role },
        )),
        RequestAuth::Session(_) => Err(AppError::forbidden("sign_in_incomplete", "Finish signing in first.")),
        RequestAuth::ApiToken(_) => {
            let admin = super::admin::require_admin(auth)?;
            let viewer = QueueViewer { user_id: None, role: admin.role };
            Ok((admin, viewer))
        }
        RequestAuth::Anonymous { .. } => Err(AppError::unauthorized()),
    }
}

fn not_a_reviewer() -> AppError {
    AppError::forbidden("not_a_reviewer", "Only your organisation's reviewers and admins review requests.")
}

/// The reviewer, when they review anything at all (else 403, before any
/// request is looked up).
async fn require_reviewer(state: &AppState, auth: &RequestAuth) -> Result<(AdminCaller, QueueViewer), AppError> {
    let (caller, viewer) = reviewer_of(auth)?;
    let scope = state.store.review_scope(&caller.org_id, &viewer).await?;
    if scope.consent || scope.access {
        Ok((caller, viewer))
    } else {
        Err(not_a_reviewer())
    }
}

/// A review as sent: `approve`, `deny` (reason required) or `block`
/// (reason required; consent requests only).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    /// `approve`, `deny` or `block`.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewAnswer {
    pub request_id: String,
    pub status: RequestStatus,
}

/// Decides one request: `kind`, when given, is the only kind this route
/// decides. A request the caller does not review is not found for them.
#[allow(clippy::too_many_arguments)]
async fn decide(
    state: &AppState,
    caller: &AdminCaller,
    viewer: &QueueViewer,
    display_name: Option<&str>,
    headers: &HeaderMap,
    request_id: &str,
    kind: Option<RequestKind>,
    input: &ReviewInput,
) -> Result<ReviewAnswer, AppError> {
    if !super::canonical_id(request_id) {
        return Err(request_not_found());
    }
    let request = state.store.request_for_review(&caller.org_id, request_id, viewer).await?.ok_or_else(request_not_found)?;
    if !request.viewer_reviews || kind.is_some_and(|k| k != request.kind) {
        return Err(request_not_found());
    }
    let own = request.requester_ids.iter().any(|id| caller.is_user(id));
    match may_decide(request.status, true, own) {
        Ok(()) => {}
        Err(ReviewRefusal::AlreadyDecided(status)) => return Err(already_decided(status)),
        Err(ReviewRefusal::OwnRequest) => {
            return Err(AppError::forbidden("own_request", "You asked for this yourself: another reviewer has to decide it."))
        }
        Err(ReviewRefusal::NotReviewer) => return Err(AppError::forbidden("not_a_reviewer", "Only reviewers decide requests.")),
    }
    let (decision, reason) = validate_review(request.kind, &input.decision, input.reason.as_deref()).map_err(AppError::Validation)?;
    let status = decision.status();
    let event = audit(
        caller,
        headers,
        &format!("{}_request.{}", request.kind.as_str(), status.as_str()),
        "request",
        request_id,
        json!({ "status": "pending", "app": request.app_name, "app_id": request.app_id }),
        json!({ "status": status.as_str(), "reason": reason, "app": request.app_name, "app_id": request.app_id }),
    );
    let decider = caller.decider(display_name);
    let decided =
        match state.store.decide_request(&caller.org_id, request_id, decision, reason.as_deref(), &decider, state.email, event).await {
            Err(StoreError::Conflict { constraint }) if constraint == "no_seat_free" => {
                return Err(AppError::Client {
                    status: StatusCode::CONFLICT,
                    code: "no_seat_free",
                    message:
                        "The app's license has no free seat, so approving would change nothing: free a seat or add seats first, or deny."
                            .into(),
                })
            }
            other => other?,
        };
    if !decided {
        // Another reviewer (or the expiry) got there first.
        let now =
            state.store.request_for_review(&caller.org_id, request_id, viewer).await?.map(|r| r.status).unwrap_or(RequestStatus::Expired);
        return Err(already_decided(now));
    }
    Ok(ReviewAnswer { request_id: request_id.to_string(), status })
}

fn already_decided(status: RequestStatus) -> AppError {
    AppError::Client {
        status: StatusCode::CONFLICT,
        code: "request_decided",
        message: format!("This request is no longer waiting: it is {}.", status.label().to_lowercase()),
    }
}

async fn unblock(state: &AppState, caller: &AdminCaller, headers: &HeaderMap, app_id: &str) -> Result<(), AppError> {
    if !super::canonical_id(app_id) {
        return Err(app_not_found());
    }
    let event = audit(
        caller,
        headers,
        "application.consent_unblocked",
        "application",
        app_id,
        json!({ "blocked": true }),
        json!({ "blocked": false }),
    );
    if state.store.unblock_app_consent(&caller.org_id, app_id, event).await? {
        Ok(())
    } else {
        Err(AppError::Client { status: StatusCode::NOT_FOUND, code: "not_blocked", message: "This app isn't blocked.".into() })
    }
}

#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

fn display_name_of(auth: &RequestAuth) -> Option<&str> {
    match auth {
        RequestAuth::Session(s) => Some(s.user.display_name.as_str()),
        _ => None,
    }
}

/// POST /reviews/{request_id}: a decision from the queue; back to it.
pub async fn review_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, AppError> {
    let (caller, viewer) = require_reviewer(&state, &auth).await?;
    let input = ReviewInput { decision: form.decision.clone(), reason: Some(form.reason.clone()) };
    match decide(&state, &caller, &viewer, display_name_of(&auth), &headers, &request_id, None, &input).await {
        Ok(answer) => Ok(Redirect::to(&format!("/reviews?done={}", answer.status.as_str())).into_response()),
        Err(AppError::Client { code: "no_seat_free", .. }) => Ok(Redirect::to("/reviews?done=no_seat_free").into_response()),
        Err(AppError::Validation(problems)) => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("request", &request_id);
            query.append_pair("reason", &form.reason.chars().take(600).collect::<String>());
            let errors: Vec<String> = problems.iter().map(|(f, c)| format!("{f}:{c}")).collect();
            query.append_pair("errors", &errors.join(","));
            Ok(Redirect::to(&format!("/reviews?{}#request-{request_id}", query.finish())).into_response())
        }
        Err(other) => Err(other),
    }
}

/// POST /reviews/blocked/{app_id}/unblock: from the queue's blocked apps.
pub async fn unblock_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let (caller, viewer) = require_reviewer(&state, &auth).await?;
    if !state.store.review_scope(&caller.org_id, &viewer).await?.consent {
        return Err(not_a_reviewer());
    }
    unblock(&state, &caller, &headers, &app_id).await?;
    Ok(Redirect::to("/reviews?done=unblocked").into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `pending` (the default), `approved`, `denied`, `blocked` or `expired`.
    status: Option<String>,
}

fn status_of(query: &QueueQuery) -> Result<RequestStatus, AppError> {
    match query.status.as_deref() {
        None | Some("") => Ok(RequestStatus::Pending),
        Some(s) => RequestStatus::parse(s)
            .ok_or_else(|| AppError::bad_request("unknown_status", "Ask for pending, approved, denied, blocked or expired requests.")),
    }
}

/// Lists admin-consent requests
///
/// The organisation's admin-consent requests in one state (pending unless
/// `status` says otherwise), grouped by app, each with the permissions it
/// asks for (with their classification) and every requester with their
/// justification; and the apps blocked from consent.
#[utoipa::path(
    get,
    path = "/api/v1/admin/consent-requests",
    tag = "Consent",
    params(QueueQuery),
    responses((status = 200, description = "The requests, grouped by app", body = ReviewQueue), (status = 400, description = "An unknown status", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_consent_requests(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(query): Query<QueueQuery>,
) -> Result<Json<ReviewQueue>, AppError> {
    let caller = super::admin::require_privileged_admin(&auth)?;
    let status = status_of(&query)?;
    let (_, viewer) = reviewer_of(&auth)?;
    Ok(Json(state.store.review_queue(&caller.org_id, &viewer, status, Some(RequestKind::Consent)).await?))
}

/// Decides an admin-consent request
///
/// `approve` grants the requested permissions for the whole organisation;
/// `deny` (with a reason) lets people ask again later; `block` (with a
/// reason) also stops anyone requesting or consenting to the app until it
/// is unblocked. Requesters are notified. Nobody decides a request they
/// made themselves.
#[utoipa::path(
    post,
    path = "/api/v1/admin/consent-requests/{request_id}/decision",
    tag = "Consent",
    params(("request_id" = String, Path, description = "The request's id")),
    request_body = ReviewInput,
    responses((status = 200, description = "Decided", body = ReviewAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this, or it is their own request", body = super::error::ErrorResponse), (status = 404, description = "No such request in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The request was already decided or expired", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn decide_consent_request(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> Result<Json<ReviewAnswer>, AppError> {
    super::admin::require_privileged_admin(&auth)?;
    let (caller, viewer) = reviewer_of(&auth)?;
    Ok(Json(decide(&state, &caller, &viewer, display_name_of(&auth), &headers, &request_id, Some(RequestKind::Consent), &input).await?))
}

/// Unblocks an app
///
/// Lets people request and consent to an app blocked through the
/// admin-consent workflow again.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/consent-blocks/{app_id}",
    tag = "Consent",
    params(("app_id" = String, Path, description = "The blocked app's id")),
    responses((status = 204, description = "Unblocked"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such app, or it isn't blocked", body = super::error::ErrorResponse))
)]
pub async fn unblock_app(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let caller = super::admin::require_privileged_admin(&auth)?;
    unblock(&state, &caller, &headers, &app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists access requests
///
/// The access requests the caller reviews, in one state (pending unless
/// `status` says otherwise), grouped by app with the license the app needs
/// and its seats: privileged admins see every app's; app admins those of
/// apps with no reviewers named on them. (Reviewers named on an app who are
/// not admins review from the portal's Requests to review page.)
#[utoipa::path(
    get,
    path = "/api/v1/admin/access-requests",
    tag = "Assignments",
    params(QueueQuery),
    responses((status = 200, description = "The requests, grouped by app", body = ReviewQueue), (status = 400, description = "An unknown status", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_access_requests(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(query): Query<QueueQuery>,
) -> Result<Json<ReviewQueue>, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    let status = status_of(&query)?;
    let (_, viewer) = reviewer_of(&auth)?;
    Ok(Json(state.store.review_queue(&admin.org_id, &viewer, status, Some(RequestKind::Access)).await?))
}

/// Decides an access request
///
/// `approve` assigns the app to the requester and gives them its license
/// when a seat is free (`outcome` says when none is; a request refused only
/// for the license is not approved without a free seat: 409 `no_seat_free`);
/// `deny` needs a reason. The requester is notified. Nobody decides their
/// own request.
#[utoipa::path(
    post,
    path = "/api/v1/admin/access-requests/{request_id}/decision",
    tag = "Assignments",
    params(("request_id" = String, Path, description = "The request's id")),
    request_body = ReviewInput,
    responses((status = 200, description = "Decided", body = ReviewAnswer), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this, or it is their own request", body = super::error::ErrorResponse), (status = 404, description = "No such request that the caller reviews", body = super::error::ErrorResponse), (status = 409, description = "Already decided or expired, or no seat is free", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn decide_access_request(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(request_id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> Result<Json<ReviewAnswer>, AppError> {
    super::admin::require_admin(&auth)?;
    let (caller, viewer) = reviewer_of(&auth)?;
    Ok(Json(decide(&state, &caller, &viewer, display_name_of(&auth), &headers, &request_id, Some(RequestKind::Access), &input).await?))
}
