//! The user access URL (deep link) of every app: `GET /launch/{app_id}`.
//! The session middleware has already sent anyone not signed in to sign in
//! first (and back here after). Here: the access decision, a sign-in event,
//! and a redirect to the app or to the refusal page.

use super::client::ClientAddr;
use super::error::{correlation_id, AppError};
use super::session::{Auth, SessionChanged, Unconfirmed};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::consent::ConsentNext;
use app::domain::decision::Refusal;
use app::domain::model::SessionStage;
use app::ports::{LaunchRecorded, SignInEvent, SignInKind, SignInOutcome};
use app::services::access::{launch_target, UserAccess};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;

use crate::time::now_ms;

/// GET /launch/{app_id}. Needs a signed-in session. (No span of its own:
/// the request's span already names the path, and on this path a span
/// costs more than the decision.)
pub async fn launch(
    State(state): State<AppState>,
    ClientAddr(client_ip): ClientAddr,
    Auth(auth): Auth,
    unconfirmed: Option<Extension<Unconfirmed>>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, AppError> {
    let RequestAuth::Session(session) = auth else { return Err(AppError::unauthorized()) };
    if session.stage != SessionStage::Active {
        return Ok(Redirect::to(session.stage.page()).into_response());
    }
    let user = &session.user;
    let now = now_ms();
    // Malformed ids are not looked up; they get the same answer as unknown ones.
    let wanted = super::canonical_id(&app_id).then_some(app_id.as_str());
    // The decision's inputs: the account state as read with the session in
    // this request, the rest possibly from this replica's memory (valid
    // only while the org's access version is the one the session read).
    let snapshot = state.store.launch_snapshot(user, wanted.unwrap_or(""), now).await?;
    let account = user.account_status();
    let access = UserAccess::with_account(&snapshot, &account, now, true);
    let app = wanted.and_then(|id| access.app(id));
    let (_, decision) = access.decide(app);
    let target = match (decision.allowed(), app) {
        (true, Some(app)) => launch_target(app, &state.public_url, &user.upn),
        _ => None,
    };
    let reason = match (decision.first_refusal(), &target) {
        (Some(refusal), _) => refusal.code(),
        (None, None) => "app_not_configured",
        (None, Some(_)) => "",
    };
    let correlation = correlation_id(&headers);
    let event = SignInEvent {
        org_id: user.org_id.clone(),
        correlation_id: correlation.clone(),
        user_id: Some(user.user_id.clone()),
        upn_attempted: user.upn.clone(),
        app_id: app.map(|a| a.id.clone()),
        kind: SignInKind::Launch,
        outcome: if target.is_some() { SignInOutcome::Success } else { SignInOutcome::Failure },
        reason_code: reason.to_string(),
        client_ip: client_ip.to_string(),
        user_agent: super::user_agent(&headers),
        at: now,
    };
    // Decided from this server's memory of the session: the writer reads it
    // again and writes the launch only if it is unchanged.
    let confirm = unconfirmed.is_some().then_some(session);
    if state.store.record_launch(event, target.is_some(), confirm).await? == LaunchRecorded::SessionChanged {
        let mut res = StatusCode::CONFLICT.into_response();
        res.extensions_mut().insert(SessionChanged);
        return Ok(res);
    }
    state.metrics.record_launch(if target.is_some() { "success" } else { "failure" }, reason);
    Ok(match target {
        Some(url) => Redirect::to(&url).into_response(),
        // Missing consent the user may give (the prompt, which comes back
        // here) or ask reviewers for ("Approval required").
        None if matches!(
            decision.first_refusal(),
            Some(Refusal::ConsentRequired { next: ConsentNext::UserCanConsent | ConsentNext::ApprovalRequired, .. })
        ) =>
        {
            Redirect::to(&format!("/consent/{app_id}")).into_response()
        }
        None => {
            tracing::info!(reason, "launch refused");
            Redirect::to(&format!("/launch-refused?ref={correlation}")).into_response()
        }
    })
}
