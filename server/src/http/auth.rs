//! The sign-in handlers: password, second factor (verify and enrol),
//! password change and sign-out. Each is a form post from the pages in
//! `app::pages::sign_in` and answers with a redirect: to the next step, to
//! where the person was going, or back to the form with a fixed error code.
//! Every attempt is a sign-in event; every new step gets a new session id.

use super::client::ClientAddr;
use super::error::{correlation_id, AppError};
use super::session::urlencode;
use super::AppState;
use app::auth::RequestAuth;
use app::domain::model::{ReturnTo, SessionStage, Upn};
use app::domain::signin::{check_password, stage_after_mfa, AccountState, NewPassword, PasswordOutcome};
use app::domain::totp::TotpSecret;
use app::ports::{AuditEvent, FailedPassword, NewSession, SessionRecord, SignInAccount, SignInEvent, SignInKind, SignInOutcome};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use crate::passwords::{Busy, HashError};
use crate::security::{random_bytes, random_token, token_digest};
use crate::time::now_ms;

/// Who is at the other end, for sign-in events.
struct Client {
    ip: String,
    user_agent: String,
    correlation_id: String,
}

impl Client {
    fn of(ClientAddr(ip): ClientAddr, headers: &HeaderMap) -> Self {
        Client { ip: ip.to_string(), user_agent: super::user_agent(headers), correlation_id: correlation_id(headers) }
    }

    fn event(&self, account: &SignInAccount, outcome: SignInOutcome, reason: &str) -> SignInEvent {
        SignInEvent {
            org_id: account.org_id.clone(),
            correlation_id: self.correlation_id.clone(),
            user_id: Some(account.user_id.clone()),
            upn_attempted: account.upn.clone(),
            app_id: None,
            kind: SignInKind::Portal,
            outcome,
            reason_code: reason.to_string(),
            client_ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            at: now_ms(),
        }
    }
}

fn account_state(a: &SignInAccount) -> AccountState {
    AccountState {
        sign_in_blocked: a.sign_in_blocked,
        locked_until: a.locked_until,
        failed_sign_in_count: a.failed_sign_in_count,
        password_expires_at: a.password_expires_at,
        must_change_password: a.must_change_password,
        mfa_state: a.mfa_state,
        totp_enrolled: a.totp_secret.is_some(),
    }
}

/// The address of a sign-in page with an error or notice code, keeping
/// where the person was going (and what they typed, where harmless).
fn form_address(page: &str, param: &str, code: &str, return_to: &ReturnTo, upn: Option<&str>) -> String {
    let mut target = format!("{page}?{param}={code}");
    if return_to.as_str() != "/" {
        target.push_str(&format!("&return_to={}", urlencode(return_to.as_str())));
    }
    if let Some(upn) = upn.filter(|u| !u.is_empty() && u.len() <= 254) {
        target.push_str(&format!("&upn={}", urlencode(upn)));
    }
    target
}

/// A redirect to [`form_address`].
fn back_to(page: &str, param: &str, code: &str, return_to: &ReturnTo, upn: Option<&str>) -> Response {
    Redirect::to(&form_address(page, param, code, return_to, upn)).into_response()
}

/// The 503 a saturated password hasher answers with; `try_again` is the
/// form to go back to.
fn busy(state: &AppState, b: Busy, try_again: &str) -> AppError {
    tracing::warn!(retry_after_s = b.retry_after_secs, "password checks saturated");
    state.metrics.record_password_check_refused();
    AppError::Busy { retry_after_secs: b.retry_after_secs, try_again: try_again.to_string() }
}

/// Where a session at `stage` goes next.
fn continue_to(stage: SessionStage, return_to: &ReturnTo) -> Response {
    match stage {
        SessionStage::Active => Redirect::to(return_to.as_str()).into_response(),
        pending if return_to.as_str() == "/" => Redirect::to(pending.page()).into_response(),
        pending => Redirect::to(&format!("{}?return_to={}", pending.page(), urlencode(return_to.as_str()))).into_response(),
    }
}

fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// A new session row for `account` at `stage`, and the cookie token for it.
fn new_session(
    state: &AppState,
    org_id: &str,
    user_id: &str,
    stage: SessionStage,
    pending_totp_secret: Option<String>,
    client: &Client,
) -> (String, NewSession) {
    let token = random_token();
    let now = now_ms();
    let times = state.session_policy.new_session(stage, now);
    let session = NewSession {
        id_hash: token_digest(&token),
        org_id: org_id.to_string(),
        user_id: user_id.to_string(),
        stage,
        csrf_token: random_token(),
        pending_totp_secret,
        created_at: now,
        idle_expires_at: times.idle_expires_at,
        absolute_expires_at: times.absolute_expires_at,
        client_ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    };
    (token, session)
}

fn stage_reason(stage: SessionStage) -> (SignInOutcome, &'static str) {
    match stage {
        SessionStage::Active => (SignInOutcome::Success, ""),
        SessionStage::MfaEnrol => (SignInOutcome::Interrupted, "mfa_enrolment_required"),
        SessionStage::MfaVerify => (SignInOutcome::Interrupted, "mfa_required"),
        SessionStage::PasswordChange => (SignInOutcome::Interrupted, "password_change_required"),
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    upn: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    return_to: String,
}

/// POST /auth/sign-in. Anyone may call it. One answer for an unknown
/// account, a wrong password and a locked account.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    State(state): State<AppState>,
    addr: ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let return_to = ReturnTo::parse_or_home(Some(&form.return_to));
    let client = Client::of(addr, &headers);
    const PAGE: &str = "/sign-in";
    if form.upn.trim().is_empty() || form.password.is_empty() {
        return Ok(back_to(PAGE, "error", "missing_fields", &return_to, Some(form.upn.trim())));
    }
    let Ok(upn) = Upn::parse(&form.upn) else {
        return Ok(back_to(PAGE, "error", "upn_malformed", &return_to, Some(form.upn.trim())));
    };
    let invalid = || back_to(PAGE, "error", "invalid_credentials", &return_to, Some(upn.as_str()));
    // Before any lookup or hashing: an address that has used up its failures
    // costs us nothing more until its window ends.
    let now = now_ms();
    if let Some(retry_at) = state.sign_in_throttle.retry_at(addr.0, now) {
        tracing::warn!(client_ip = %addr.0, retry_in_s = (retry_at - now) / 1000, "sign-in throttled");
        state.metrics.record_sign_in_throttled();
        return Ok(back_to(PAGE, "error", "too_many_attempts", &return_to, Some(upn.as_str())));
    }
    let failed = || state.sign_in_throttle.record_failure(addr.0, now);
    // Password checks are bounded (one per core, a short queue): when they
    // are saturated, say so (after the refusal pause) before any other work.
    let refuse = |b: Busy| busy(&state, b, &form_address(PAGE, "notice", "try_again", &return_to, Some(upn.as_str())));
    if let Err(b) = state.passwords.check_room().await {
        return Err(refuse(b));
    }

    let mut accounts = state.store.find_sign_in_accounts(&upn.normalized(), None).await?;
    // Unknown (or, across organisations, ambiguous): spend the same time as a
    // real check, then give the same answer as a wrong password.
    if accounts.len() != 1 {
        state.passwords.verify(form.password, None).await.map_err(refuse)?;
        tracing::info!(reason = "unknown_account", "sign-in refused");
        failed();
        return Ok(invalid());
    }
    let account = accounts.remove(0);
    let acc_state = account_state(&account);
    let matches = if acc_state.is_locked(now) {
        state.passwords.verify(form.password, None).await.map_err(refuse)? // same cost; result unused
    } else {
        state.passwords.verify(form.password, account.password_hash.clone()).await.map_err(refuse)?
    };
    match check_password(&acc_state, || matches, now, state.lockout_policy) {
        PasswordOutcome::Locked { .. } => {
            state.store.record_sign_in_event(client.event(&account, SignInOutcome::Failure, "account_locked")).await?;
            failed();
            Ok(invalid())
        }
        PasswordOutcome::Rejected { failed_sign_in_count, locked_until } => {
            let reason = if locked_until.is_some() { "account_locked" } else { "invalid_password" };
            let failed_password =
                FailedPassword { user_id: account.user_id.clone(), org_id: account.org_id.clone(), failed_sign_in_count, locked_until };
            state.store.record_failed_password(failed_password, client.event(&account, SignInOutcome::Failure, reason)).await?;
            failed();
            Ok(invalid())
        }
        PasswordOutcome::Blocked => {
            state.store.record_sign_in_event(client.event(&account, SignInOutcome::Failure, "account_blocked")).await?;
            Ok(back_to(PAGE, "error", "account_blocked", &return_to, Some(upn.as_str())))
        }
        PasswordOutcome::Accepted { stage } => {
            // A new session id at every sign-in; any session this browser had ends.
            if let RequestAuth::Session(old) = &auth {
                state.store.delete_session(&old.id_hash).await?;
            }
            let pending_secret = (stage == SessionStage::MfaEnrol).then(|| TotpSecret::from_bytes(random_bytes(20)).to_base32());
            let (token, session) = new_session(&state, &account.org_id, &account.user_id, stage, pending_secret, &client);
            let (outcome, reason) = stage_reason(stage);
            state.store.start_session(session, client.event(&account, outcome, reason)).await?;
            let cookie = state.cookies.set(state.cookies.session_name(), &token);
            Ok(with_cookie(continue_to(stage, &return_to), cookie))
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    return_to: String,
}

/// The session of this request when it is at `stage`; otherwise the response
/// that sends the person to sign in again.
#[allow(clippy::result_large_err)] // the Err is the handler's answer, returned at once
fn session_at(auth: &RequestAuth, stage: SessionStage) -> Result<&SessionRecord, Response> {
    match auth {
        RequestAuth::Session(s) if s.stage == stage => Ok(s),
        RequestAuth::Session(s) => Err(Redirect::to(s.stage.page()).into_response()),
        RequestAuth::Anonymous { .. } | RequestAuth::ApiToken(_) => Err(Redirect::to("/sign-in?error=session_expired").into_response()),
    }
}

/// A wrong code counts like a wrong password: enough of them lock the
/// account, which ends this half-finished sign-in.
async fn wrong_code(
    state: &AppState,
    session: &SessionRecord,
    account: &SignInAccount,
    client: &Client,
    page: &str,
    return_to: &ReturnTo,
) -> Result<Response, AppError> {
    let now = now_ms();
    let outcome = check_password(&account_state(account), || false, now, state.lockout_policy);
    let (failed_sign_in_count, locked_until) = match outcome {
        PasswordOutcome::Rejected { failed_sign_in_count, locked_until } => (failed_sign_in_count, locked_until),
        _ => (account.failed_sign_in_count, account.locked_until),
    };
    let reason = if locked_until.is_some_and(|t| t > now) { "account_locked" } else { "mfa_code_invalid" };
    let failed = FailedPassword { user_id: account.user_id.clone(), org_id: account.org_id.clone(), failed_sign_in_count, locked_until };
    state.store.record_failed_password(failed, client.event(account, SignInOutcome::Failure, reason)).await?;
    if reason == "account_locked" {
        state.store.delete_session(&session.id_hash).await?;
        let res = back_to("/sign-in", "error", "invalid_credentials", return_to, Some(&account.upn));
        return Ok(with_cookie(res, state.cookies.clear(state.cookies.session_name())));
    }
    Ok(back_to(page, "error", "invalid_code", return_to, None))
}

/// Moves the session past a completed step, under a new id.
async fn advance(
    state: &AppState,
    session: &SessionRecord,
    account: &SignInAccount,
    next: SessionStage,
    client: &Client,
    return_to: &ReturnTo,
    reason_when_done: &str,
) -> Result<Response, AppError> {
    let (token, new) = new_session(state, &account.org_id, &account.user_id, next, None, client);
    let (outcome, reason) = stage_reason(next);
    let reason = if next == SessionStage::Active { reason_when_done } else { reason };
    match state.store.advance_session(&session.id_hash, new, Some(client.event(account, outcome, reason))).await {
        Ok(()) => {}
        // Another tab finished this step first.
        Err(app::ports::StoreError::NotFound) => return Ok(Redirect::to("/sign-in?error=session_expired").into_response()),
        Err(e) => return Err(e.into()),
    }
    let cookie = state.cookies.set(state.cookies.session_name(), &token);
    Ok(with_cookie(continue_to(next, return_to), cookie))
}

/// What every step after the password starts from: the session at that
/// step, its account as stored now, the client and where to go afterwards.
struct Step<'a> {
    session: &'a SessionRecord,
    account: SignInAccount,
    client: Client,
    return_to: ReturnTo,
}

/// The step this request may take, or the redirect that sends the person
/// where they belong instead.
async fn begin_step<'a>(
    state: &AppState,
    auth: &'a RequestAuth,
    stage: SessionStage,
    return_to: &str,
    addr: ClientAddr,
    headers: &HeaderMap,
) -> Result<Result<Step<'a>, Response>, AppError> {
    let session = match session_at(auth, stage) {
        Ok(s) => s,
        Err(res) => return Ok(Err(res)),
    };
    let Some(account) = state.store.find_sign_in_account(&session.user.org_id, &session.user.user_id).await? else {
        return Ok(Err(Redirect::to("/sign-in?error=session_expired").into_response()));
    };
    Ok(Ok(Step { session, account, client: Client::of(addr, headers), return_to: ReturnTo::parse_or_home(Some(return_to)) }))
}

/// POST /auth/mfa/verify. Needs a session at the MFA step.
#[tracing::instrument(skip_all)]
pub async fn mfa_verify(
    State(state): State<AppState>,
    addr: ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Step { session, account, client, return_to } =
        match begin_step(&state, &auth, SessionStage::MfaVerify, &form.return_to, addr, &headers).await? {
            Ok(step) => step,
            Err(res) => return Ok(res),
        };
    let secret = account.totp_secret.as_deref().and_then(TotpSecret::from_base32);
    let now = now_ms();
    if account_state(&account).is_locked(now) {
        state.store.delete_session(&session.id_hash).await?;
        return Ok(back_to("/sign-in", "error", "invalid_credentials", &return_to, Some(&account.upn)));
    }
    let step = secret.and_then(|s| s.verify(&form.code, now / 1000, account.totp_last_step));
    let accepted = match step {
        Some(step) => state.store.use_totp_step(&account.org_id, &account.user_id, step).await?,
        None => false,
    };
    if !accepted {
        return wrong_code(&state, session, &account, &client, "/sign-in/mfa", &return_to).await;
    }
    let next = stage_after_mfa(&account_state(&account), now);
    advance(&state, session, &account, next, &client, &return_to, "mfa_completed").await
}

/// POST /auth/mfa/enrol. Needs a session at the enrolment step; the code
/// proves the authenticator holds the secret we offered.
#[tracing::instrument(skip_all)]
pub async fn mfa_enrol(
    State(state): State<AppState>,
    addr: ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Step { session, account, client, return_to } =
        match begin_step(&state, &auth, SessionStage::MfaEnrol, &form.return_to, addr, &headers).await? {
            Ok(step) => step,
            Err(res) => return Ok(res),
        };
    let Some(secret) = session.pending_totp_secret.as_deref().and_then(TotpSecret::from_base32) else {
        return Ok(Redirect::to("/sign-in?error=session_expired").into_response());
    };
    let now = now_ms();
    let Some(step) = secret.verify(&form.code, now / 1000, None) else {
        return wrong_code(&state, session, &account, &client, "/sign-in/mfa/enrol", &return_to).await;
    };
    let audit = AuditEvent {
        org_id: account.org_id.clone(),
        actor_user_id: Some(account.user_id.clone()),
        actor_token_id: None,
        actor_label: account.upn.clone(),
        action: "user.mfa_enrolled".into(),
        target_type: "user".into(),
        target_id: account.user_id.clone(),
        before_json: None,
        after_json: Some(serde_json::json!({ "method": "totp" }).to_string()),
        correlation_id: client.correlation_id.clone(),
        at: now,
    };
    state.store.enrol_totp(&account.org_id, &account.user_id, &secret.to_base32(), step, audit).await?;
    let next = stage_after_mfa(&account_state(&account), now);
    advance(&state, session, &account, next, &client, &return_to, "mfa_enrolled").await
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    return_to: String,
}

/// POST /auth/change-password. Needs a session at the password-change step
/// (the person has already proved who they are).
#[tracing::instrument(skip_all)]
pub async fn change_password(
    State(state): State<AppState>,
    addr: ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, AppError> {
    const PAGE: &str = "/sign-in/change-password";
    let Step { session, account, client, return_to } =
        match begin_step(&state, &auth, SessionStage::PasswordChange, &form.return_to, addr, &headers).await? {
            Ok(step) => step,
            Err(res) => return Ok(res),
        };
    let upn = Upn::parse(&account.upn).map_err(|e| AppError::Internal(format!("stored UPN invalid: {e}")))?;
    let new_password = match NewPassword::parse(&form.new_password, &form.confirm_password, &upn) {
        Ok(p) => p,
        Err(e) => {
            use app::domain::signin::PasswordPolicyError as P;
            let code = match e {
                P::TooShort { .. } => "too_short",
                P::TooLong { .. } => "too_long",
                P::Mismatch => "mismatch",
                P::ContainsUpn => "contains_upn",
                P::TooCommon => "too_common",
                P::SameAsCurrent => "same_as_current",
            };
            return Ok(back_to(PAGE, "error", code, &return_to, None));
        }
    };
    let refuse = |b: Busy| busy(&state, b, &form_address(PAGE, "notice", "try_again", &return_to, None));
    if state.passwords.verify(new_password.expose().to_string(), account.password_hash.clone()).await.map_err(refuse)? {
        return Ok(back_to(PAGE, "error", "same_as_current", &return_to, None));
    }
    let hash = match state.passwords.hash(new_password.expose().to_string()).await {
        Ok(hash) => hash,
        Err(HashError::Busy(b)) => return Err(refuse(b)),
        Err(HashError::Failed(e)) => return Err(AppError::Internal(e)),
    };
    let now = now_ms();
    let audit = AuditEvent {
        org_id: account.org_id.clone(),
        actor_user_id: Some(account.user_id.clone()),
        actor_token_id: None,
        actor_label: account.upn.clone(),
        action: "user.password_changed".into(),
        target_type: "user".into(),
        target_id: account.user_id.clone(),
        before_json: None,
        after_json: None,
        correlation_id: client.correlation_id.clone(),
        at: now,
    };
    state.store.set_password(&account.org_id, &account.user_id, &hash, now, None, &session.id_hash, audit).await?;
    advance(&state, session, &account, SessionStage::Active, &client, &return_to, "password_changed").await
}

/// POST /auth/sign-out. Ends the session on the server, whatever its stage.
#[tracing::instrument(skip_all)]
pub async fn sign_out(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> Result<Response, AppError> {
    if let RequestAuth::Session(s) = &auth {
        state.store.delete_session(&s.id_hash).await?;
    }
    let res = Redirect::to("/sign-in?notice=signed_out").into_response();
    Ok(with_cookie(res, state.cookies.clear(state.cookies.session_name())))
}

/// GET /auth/mfa/enrol/qr.svg: the QR code of the secret offered to this
/// session. Only a session at the enrolment step gets one.
pub async fn enrol_qr(Extension(auth): Extension<RequestAuth>) -> Result<Response, AppError> {
    let RequestAuth::Session(s) = &auth else { return Err(AppError::unauthorized()) };
    let secret = s
        .pending_totp_secret
        .as_deref()
        .filter(|_| s.stage == SessionStage::MfaEnrol)
        .and_then(TotpSecret::from_base32)
        .ok_or_else(|| AppError::forbidden("not_enrolling", "There is no authenticator set-up in progress."))?;
    let uri = secret.provisioning_uri(app::PRODUCT_NAME, &s.user.upn);
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg).into_response())
}
