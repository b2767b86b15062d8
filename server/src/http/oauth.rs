//! The OpenID Connect provider's endpoints: discovery, JWKS, authorize,
//! token, userinfo, revocation (RFC 7009) and introspection (RFC 7662).
//!
//! Every authorization and every token request runs the same access
//! decision as a launch from My Apps (`services::access`, over
//! `domain::decision`), read fresh from the database: account state,
//! assignment, license and consent are enforced where an app gets its
//! tokens, not only where a person clicks a tile. Codes and tokens are
//! random 256-bit values stored as SHA-256 digests: no request here costs
//! a password hash (DOMAIN.md "Secrets").

use super::client::ClientAddr;
use super::error::{correlation_id, AppError};
use super::session::urlencode;
use super::AppState;
use crate::security::{constant_time_eq, random_token, token_digest};
use crate::signing::KeyAlgorithm;
use crate::time::now_ms;
use app::auth::RequestAuth;
use app::domain::consent::ConsentNext;
use app::domain::decision::Refusal;
use app::domain::model::{ReturnTo, SessionStage};
use app::domain::oidc::{self, lifetimes, AuthorizeError, AuthorizeParams, AuthorizeRequest, ClientFacts, Prompt};
use app::ports::*;
use app::services::access::UserAccess;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const USERINFO_PATH: &str = "/oauth/userinfo";
pub const JWKS_PATH: &str = "/oauth/jwks";
pub const REVOCATION_PATH: &str = "/oauth/revoke";
pub const INTROSPECTION_PATH: &str = "/oauth/introspect";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The issuer: this portal's public URL, without a trailing slash (the
/// `iss` of every token and the prefix of every endpoint).
pub fn issuer(state: &AppState) -> &str {
    state.public_url.trim_end_matches('/')
}

/// The standard scopes and claims this provider knows.
const SCOPES_SUPPORTED: &[&str] = &["openid", "profile", "email", "offline_access"];
const CLAIMS_SUPPORTED: &[&str] =
    &["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "name", "preferred_username", "updated_at", "email"];

/// GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3,
/// with RFC 8414's additions).
pub async fn discovery(State(state): State<AppState>) -> Response {
    let iss = issuer(&state);
    let document = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{iss}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{iss}{USERINFO_PATH}"),
        "jwks_uri": format!("{iss}{JWKS_PATH}"),
        "revocation_endpoint": format!("{iss}{REVOCATION_PATH}"),
        "introspection_endpoint": format!("{iss}{INTROSPECTION_PATH}"),
        "end_session_endpoint": format!("{iss}{LOGOUT_PATH}"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account", "admin_consent"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    (public_json_headers(300), Json(document)).into_response()
}

/// Anyone's to read and cache for `seconds` (discovery, JWKS), from any
/// origin: no cookie is read or set for them.
fn public_json_headers(seconds: u32) -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_str(&format!("public, max-age={seconds}")).expect("ASCII")),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
    ]
}

/// GET /oauth/jwks: the keys ID tokens are signed with, current and
/// recently replaced. Short cache: a rotation is seen within minutes.
pub async fn jwks(State(state): State<AppState>) -> Result<Response, AppError> {
    let set = state.signing_keys.jwks(now_ms()).await.map_err(signing_failed)?;
    Ok((public_json_headers(300), [(header::CONTENT_TYPE, "application/jwk-set+json")], Json(set)).into_response())
}

fn signing_failed(e: crate::signing::SigningError) -> AppError {
    match e {
        crate::signing::SigningError::Store(e) => e.into(),
        crate::signing::SigningError::Key(e) => AppError::Internal(format!("signing: {e}")),
    }
}

// ---------------------------------------------------------------------------
// Authorize

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// GET /oauth/authorize (OpenID Connect Core §3.1.2.1).
pub async fn authorize_get(
    State(state): State<AppState>,
    ClientAddr(client_ip): ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    authorize(&state, &auth, &headers, &client_ip.to_string(), query_pairs(query.as_deref())).await
}

/// POST /oauth/authorize: the same, the parameters form-encoded (Core §3.1.2.1).
pub async fn authorize_post(
    State(state): State<AppState>,
    ClientAddr(client_ip): ClientAddr,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let pairs = url::form_urlencoded::parse(&body).into_owned().collect();
    authorize(&state, &auth, &headers, &client_ip.to_string(), pairs).await
}

/// The page that explains an authorize request nobody can be sent back from.
fn shown(code: &str) -> Response {
    Redirect::to(&format!("/sign-in/problem?code={code}")).into_response()
}

fn redirect_to(location: Option<String>) -> Response {
    match location {
        Some(l) => Redirect::to(&l).into_response(),
        None => shown("redirect_uri_mismatch"),
    }
}

/// The authorize request again, as a local address to come back to after
/// signing in or consenting; `drop` leaves parameters out.
fn authorize_again(pairs: &[(String, String)], drop: &[&str]) -> Option<ReturnTo> {
    let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| !drop.contains(&k.as_str())).collect();
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    ReturnTo::parse(&format!("{AUTHORIZE_PATH}?{query}"))
}

async fn authorize(
    state: &AppState,
    auth: &RequestAuth,
    headers: &HeaderMap,
    client_ip: &str,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let params = AuthorizeParams::from_pairs(&pairs);
    let client = match params.client_id.as_deref().filter(|c| !c.is_empty() && c.len() <= 200) {
        Some(id) => state.store.oauth_client(id).await?,
        None => None,
    };
    let facts = client.as_ref().map(|c| ClientFacts {
        client_id: c.client_id.clone(),
        public_client: c.public_client,
        redirect_uris: c.redirect_uris.clone(),
    });
    let request = match oidc::validate_authorize(&params, facts.as_ref()) {
        Ok(r) => r,
        Err(AuthorizeError::Shown { code, .. }) => return Ok(shown(code)),
        Err(e @ AuthorizeError::Redirected { .. }) => return Ok(redirect_to(e.location())),
    };
    let client = client.expect("a valid request names a known client");
    let none = request.prompts.contains(&Prompt::None);
    let fail = |error: &'static str, description: &'static str| redirect_to(oidc::error_location(&request, error, description));

    // Who is asking? Not signed in (or not finished): sign in first, then
    // come back here; with prompt=none, say so to the app instead.
    let session = match auth {
        RequestAuth::Session(s) if s.stage == SessionStage::Active => s.clone(),
        _ if none => return Ok(fail("login_required", "the person is not signed in")),
        RequestAuth::Session(s) => {
            let Some(back) = authorize_again(&pairs, &[]) else { return Ok(shown("request_too_long")) };
            return Ok(Redirect::to(&format!("{}?return_to={}", s.stage.page(), urlencode(back.as_str()))).into_response());
        }
        _ => return Ok(sign_in_first(&pairs, &request, &[])),
    };
    let user = &session.user;
    if user.org_id != client.org_id {
        return Ok(shown("other_organisation"));
    }
    if pairs.iter().any(|(k, v)| k == oidc::DECLINED_PARAM && v == "1") {
        return Ok(fail("access_denied", "the person declined"));
    }
    // prompt=admin_consent: a privileged admin consents for everyone first,
    // then the request goes on as their own.
    if request.prompts.contains(&Prompt::AdminConsent) {
        if !user.role.is_privileged_admin() {
            return Ok(fail("access_denied", "only a privileged admin can consent for the organisation"));
        }
        let Some(back) = authorize_again(&oidc::answering(&pairs, "admin_consent"), &[]) else { return Ok(shown("request_too_long")) };
        return Ok(
            Redirect::to(&format!("/consent/{}?for=organisation&return_to={}", client.app_id, urlencode(back.as_str()))).into_response()
        );
    }
    let now = now_ms();
    if oidc::needs_fresh_sign_in(&request, session.authenticated_at, now) {
        if none {
            return Ok(fail("login_required", "a fresh sign-in is required"));
        }
        // Sign in again: this session ends, and the request comes back
        // without what asked for it (the new sign-in answers it; its
        // time is the ID token's auth_time).
        state.store.delete_session(&session.id_hash).await?;
        let mut res = sign_in_first(&oidc::answering(&pairs, "login"), &request, &["max_age"]);
        res.headers_mut().append(header::SET_COOKIE, state.cookies.clear(state.cookies.session_name()));
        return Ok(res);
    }

    // The same decision as a launch, over the same inputs: the account as
    // read with this request's session, the rest as of the access version
    // that session read (from this replica's memory while unchanged).
    let snapshot = state.store.launch_snapshot(user, &client.app_id, now).await?;
    let access = UserAccess::with_account(&snapshot, &user.account_status(), now, true);
    let app = access.app(&client.app_id);
    let (_, decision) = access.decide(app);
    let correlation = correlation_id(headers);
    let mut event = SignInEvent {
        org_id: user.org_id.clone(),
        correlation_id: correlation.clone(),
        user_id: Some(user.user_id.clone()),
        upn_attempted: user.upn.clone(),
        app_id: Some(client.app_id.clone()),
        kind: SignInKind::Launch,
        outcome: SignInOutcome::Success,
        reason_code: String::new(),
        client_ip: client_ip.to_string(),
        user_agent: super::user_agent(headers),
        at: now,
    };
    if let Some(refusal) = decision.first_refusal() {
        event.outcome = SignInOutcome::Failure;
        event.reason_code = refusal.code().to_string();
        state.store.record_sign_in_event(event).await?;
        let consent_next = match refusal {
            Refusal::ConsentRequired { next, .. } => Some(*next),
            _ => None,
        };
        if none {
            return Ok(match consent_next {
                Some(_) => fail("consent_required", "the person has not consented to what the app asks for"),
                None => fail("access_denied", "the person may not use this app now"),
            });
        }
        if matches!(consent_next, Some(ConsentNext::UserCanConsent | ConsentNext::ApprovalRequired)) {
            // The prompt answers prompt=consent too.
            let Some(back) = authorize_again(&oidc::answering(&pairs, "consent"), &[]) else { return Ok(shown("request_too_long")) };
            return Ok(Redirect::to(&format!("/consent/{}?return_to={}", client.app_id, urlencode(back.as_str()))).into_response());
        }
        // Told in plain words, with the correlation id, like a launch.
        return Ok(Redirect::to(&format!("/launch-refused?ref={}", urlencode(&correlation))).into_response());
    }

    let registered: Vec<&str> = snapshot.permissions.iter().filter(|p| p.app_id == client.app_id).map(|p| p.value.as_str()).collect();
    let scopes = oidc::granted_scopes(&request.scopes, &registered);
    if !scopes.iter().any(|s| s == "openid") {
        event.outcome = SignInOutcome::Failure;
        event.reason_code = "openid_not_registered".into();
        state.store.record_sign_in_event(event).await?;
        return Ok(fail("invalid_scope", "the app is not registered for the openid permission; an admin can add it"));
    }
    // prompt=consent: the person confirms what the app keeps, even though
    // it was granted before.
    if request.prompts.contains(&Prompt::Consent) {
        let Some(back) = authorize_again(&oidc::answering(&pairs, "consent"), &[]) else { return Ok(shown("request_too_long")) };
        return Ok(Redirect::to(&format!("/consent/{}?review=1&return_to={}", client.app_id, urlencode(back.as_str()))).into_response());
    }
    let code = random_token();
    state
        .store
        .create_authorization_code(NewAuthorizationCode {
            code_hash: token_digest(&code),
            org_id: user.org_id.clone(),
            app_id: client.app_id.clone(),
            user_id: user.user_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scopes,
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            session_hash: session.id_hash.clone(),
            auth_time: session.authenticated_at,
            created_at: now,
            expires_at: now + lifetimes::CODE_MS,
        })
        .await?;
    state.store.record_protocol_event(event, UsageKind::Launch).await?;
    Ok(redirect_to(oidc::success_location(&request.redirect_uri, &code, request.state.as_deref(), issuer(state))))
}

/// To the sign-in page, the login hint filled in, and back to this request.
fn sign_in_first(pairs: &[(String, String)], request: &AuthorizeRequest, drop: &[&str]) -> Response {
    let Some(back) = authorize_again(pairs, drop) else { return shown("request_too_long") };
    let mut target = format!("/sign-in?return_to={}", urlencode(back.as_str()));
    if let Some(hint) = &request.login_hint {
        target.push_str(&format!("&upn={}", urlencode(hint)));
    }
    Redirect::to(&target).into_response()
}

// ---------------------------------------------------------------------------
// Token, revocation, introspection: the client authenticates.

/// An error of the token endpoint (RFC 6749 §5.2) and its kin.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// The sign-in log's reason code, when it says more than `error`.
    reason: Option<String>,
    /// The client tried HTTP Basic: answer with a Basic challenge.
    basic: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status: StatusCode::BAD_REQUEST, error, description: description.into(), reason: None, basic: false }
    }
    fn invalid_client(description: &str, basic: bool) -> Self {
        OAuthError { status: StatusCode::UNAUTHORIZED, error: "invalid_client", description: description.into(), reason: None, basic }
    }
    fn because(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_string());
        self
    }
    fn reason_code(&self) -> String {
        self.reason.clone().unwrap_or_else(|| self.error.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut res =
            (self.status, no_store(), Json(json!({ "error": self.error, "error_description": self.description }))).into_response();
        if self.basic || self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"My Apps\""));
        }
        res
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "token endpoint: store");
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "Something went wrong on our side; try again.".into(),
            reason: None,
            basic: false,
        }
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-store")), (header::PRAGMA, HeaderValue::from_static("no-cache"))]
}

/// A form body's parameters; each at most once (RFC 6749 §3.2).
fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::new("invalid_request", "send the parameters as application/x-www-form-urlencoded"));
    }
    let mut params = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if params.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(OAuthError::new("invalid_request", format!("{k} was given more than once")));
        }
    }
    Ok(params)
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// Who the client is: HTTP Basic (`client_secret_basic`), the form's
/// `client_id` and `client_secret` (`client_secret_post`), or a public
/// client's `client_id` alone. One method per request (RFC 6749 §2.3).
async fn authenticate_client(state: &AppState, headers: &HeaderMap, params: &HashMap<String, String>) -> Result<OAuthClient, OAuthError> {
    let basic_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let basic = basic_header.is_some();
    let (client_id, secret) = match basic_header {
        Some(h) => {
            if param(params, "client_secret").is_some() {
                return Err(OAuthError::new("invalid_request", "use one way of authenticating the client, not two"));
            }
            let (id, secret) = oidc::parse_basic_credentials(h)
                .ok_or_else(|| OAuthError::invalid_client("the Authorization header is not HTTP Basic", true))?;
            if param(params, "client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::new("invalid_request", "client_id differs from the authenticated client"));
            }
            (id, Some(secret))
        }
        None => {
            let id = param(params, "client_id").ok_or_else(|| OAuthError::invalid_client("the client did not authenticate", false))?;
            (id.to_string(), param(params, "client_secret").map(str::to_string))
        }
    };
    let unknown = || OAuthError::invalid_client("unknown client or wrong secret", basic);
    if client_id.len() > 200 {
        return Err(unknown());
    }
    let client = state.store.oauth_client_credentials(&client_id).await?.ok_or_else(unknown)?;
    match (client.public_client, &secret, &client.secret_digest) {
        (true, None, _) => Ok(client),
        (true, Some(_), _) => Err(OAuthError::invalid_client("a public client has no secret", basic)),
        (false, Some(given), Some(digest)) if constant_time_eq(&token_digest(given), digest) => Ok(client),
        (false, _, _) => Err(unknown()),
    }
}

/// The decision for the token's user and the client's app: the app's
/// registered scopes when allowed, the refusal's code otherwise. The
/// account state and the organisation's access version are the holder's,
/// read in this request; the rest is read at that version or later (from
/// this replica's memory while nothing changed, as a launch does).
async fn decide_for(
    state: &AppState,
    client: &OAuthClient,
    holder: &TokenHolder,
    now: i64,
) -> Result<Result<Vec<String>, String>, StoreError> {
    let user_id = &holder.profile.user_id;
    let snapshot = state.store.snapshot_at_version(&client.org_id, user_id, &client.app_id, holder.access_version, now).await?;
    let access = UserAccess::with_account(&snapshot, &holder.account, now, true);
    let (_, decision) = access.decide(access.app(&client.app_id));
    Ok(match decision.first_refusal() {
        Some(refusal) => Err(refusal.code().to_string()),
        None => Ok(snapshot.permissions.iter().filter(|p| p.app_id == client.app_id).map(|p| p.value.clone()).collect()),
    })
}

fn token_event(client: &OAuthClient, headers: &HeaderMap, client_ip: &str, user: Option<(&str, &str)>, now: i64) -> SignInEvent {
    SignInEvent {
        org_id: client.org_id.clone(),
        correlation_id: correlation_id(headers),
        user_id: user.map(|(id, _)| id.to_string()),
        upn_attempted: user.map_or_else(|| client.client_id.clone(), |(_, upn)| upn.to_string()),
        app_id: Some(client.app_id.clone()),
        kind: SignInKind::Token,
        outcome: SignInOutcome::Success,
        reason_code: String::new(),
        client_ip: client_ip.to_string(),
        user_agent: super::user_agent(headers),
        at: now,
    }
}

/// POST /oauth/token (RFC 6749 §3.2): authorization_code, refresh_token,
/// client_credentials.
pub async fn token(State(state): State<AppState>, ClientAddr(client_ip): ClientAddr, headers: HeaderMap, body: Bytes) -> Response {
    let client_ip = client_ip.to_string();
    let params = match form_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let client = match authenticate_client(&state, &headers, &params).await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(error = e.error, "token request refused before the client was known");
            return e.into_response();
        }
    };
    let now = now_ms();
    let grant = param(&params, "grant_type").unwrap_or("");
    let request = TokenRequest { state: &state, client: &client, params: &params, headers: &headers, client_ip: &client_ip, now };
    let answer = match grant {
        "authorization_code" => code_grant(&request).await,
        "refresh_token" => refresh_grant(&request).await,
        "client_credentials" => client_credentials_grant(&request).await,
        "" => Err(no_user(OAuthError::new("invalid_request", "grant_type is required"))),
        _ => Err(no_user(OAuthError::new(
            "unsupported_grant_type",
            "the grant types are authorization_code, refresh_token and client_credentials",
        ))),
    };
    match answer {
        Ok(body) => (StatusCode::OK, no_store(), Json(body)).into_response(),
        Err((e, user)) => {
            if e.status != StatusCode::INTERNAL_SERVER_ERROR {
                let mut event = token_event(&client, &headers, &client_ip, user.as_ref().map(|(a, b)| (a.as_str(), b.as_str())), now);
                event.outcome = SignInOutcome::Failure;
                event.reason_code = e.reason_code();
                if let Err(err) = state.store.record_protocol_event(event, UsageKind::TokenRequest).await {
                    tracing::error!(error = %err, "could not record a refused token request");
                }
            }
            e.into_response()
        }
    }
}

/// What every grant reads: the authenticated client and its request.
#[derive(Clone, Copy)]
struct TokenRequest<'a> {
    state: &'a AppState,
    client: &'a OAuthClient,
    params: &'a HashMap<String, String>,
    headers: &'a HeaderMap,
    client_ip: &'a str,
    now: i64,
}

/// A refused grant and, when known, whose it was (user id, UPN) for the log.
type GrantResult = Result<Value, (OAuthError, Option<(String, String)>)>;

fn no_user(e: OAuthError) -> (OAuthError, Option<(String, String)>) {
    (e, None)
}

fn user_gone() -> OAuthError {
    OAuthError::new("invalid_grant", "the user no longer exists").because("user_not_found")
}

async fn holder(state: &AppState, client: &OAuthClient, user_id: &str) -> Result<TokenHolder, OAuthError> {
    state.store.token_holder(&client.org_id, user_id).await?.ok_or_else(user_gone)
}

async fn code_grant(r: &TokenRequest<'_>) -> GrantResult {
    let TokenRequest { state, client, params, headers, client_ip, now } = *r;
    let code = param(params, "code").ok_or_else(|| no_user(OAuthError::new("invalid_request", "code is required")))?;
    let family_id = crate::store::new_id();
    let grant = match state.store.redeem_authorization_code(&token_digest(code), &family_id, now).await.map_err(|e| no_user(e.into()))? {
        CodeRedemption::Redeemed(c) => c,
        CodeRedemption::Reused { revoked } => {
            tracing::warn!(revoked, "an authorization code was used twice: what it issued is revoked");
            return Err(no_user(
                OAuthError::new("invalid_grant", "the code was used already; the tokens it gave are revoked").because("code_reused"),
            ));
        }
        CodeRedemption::Unknown => return Err(no_user(OAuthError::new("invalid_grant", "unknown or expired code"))),
    };
    let holder = holder(state, client, &grant.user_id).await.map_err(no_user)?;
    let who = &holder.profile;
    let user = Some((who.user_id.clone(), who.upn.clone()));
    let refuse = |e: OAuthError| (e, user.clone());
    if grant.app_id != client.app_id {
        return Err(refuse(OAuthError::new("invalid_grant", "the code was issued to another client").because("code_other_client")));
    }
    if grant.expires_at <= now {
        return Err(refuse(OAuthError::new("invalid_grant", "the code has expired").because("code_expired")));
    }
    if param(params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return Err(refuse(
            OAuthError::new("invalid_grant", "redirect_uri differs from the authorization request's").because("redirect_uri_mismatch"),
        ));
    }
    if !oidc::pkce_answers(grant.code_challenge.as_deref(), param(params, "code_verifier")) {
        return Err(refuse(OAuthError::new("invalid_grant", "code_verifier does not match the code_challenge").because("pkce_failed")));
    }
    let registered = match decide_for(state, client, &holder, now).await.map_err(|e| refuse(e.into()))? {
        Ok(r) => r,
        Err(code) => return Err(refuse(OAuthError::new("invalid_grant", format!("access refused: {code}")).because(&code))),
    };
    let registered: Vec<&str> = registered.iter().map(String::as_str).collect();
    let scopes = oidc::granted_scopes(&grant.scopes, &registered);
    let tokens = new_tokens(client, &grant.user_id, scopes, family_id, grant.auth_time, now);
    let id_token = id_token(state, client, who, &tokens, grant.nonce.as_deref(), now).await.map_err(refuse)?;
    let body = token_response(&tokens, Some(id_token));
    state
        .store
        .issue_tokens(tokens.issued, token_event(client, headers, client_ip, Some((&who.user_id, &who.upn)), now))
        .await
        .map_err(|e| refuse(e.into()))?;
    Ok(body)
}

struct NewTokens {
    access: String,
    refresh: String,
    issued: IssuedTokens,
}

fn new_tokens(client: &OAuthClient, user_id: &str, scopes: Vec<String>, family_id: String, auth_time: i64, now: i64) -> NewTokens {
    let access = random_token();
    let refresh = random_token();
    NewTokens {
        issued: IssuedTokens {
            org_id: client.org_id.clone(),
            app_id: client.app_id.clone(),
            user_id: user_id.to_string(),
            scopes,
            family_id,
            access_hash: token_digest(&access),
            access_expires_at: now + lifetimes::ACCESS_TOKEN_MS,
            refresh: Some((token_digest(&refresh), now + lifetimes::REFRESH_TOKEN_MS)),
            auth_time,
            at: now,
        },
        access,
        refresh,
    }
}

fn token_response(t: &NewTokens, id_token: Option<String>) -> Value {
    let mut body = json!({
        "access_token": t.access,
        "token_type": "Bearer",
        "expires_in": lifetimes::ACCESS_TOKEN_MS / 1000,
        "refresh_token": t.refresh,
        "scope": t.issued.scopes.join(" "),
    });
    if let Some(id_token) = id_token {
        body["id_token"] = id_token.into();
    }
    body
}

/// An ID token (OpenID Connect Core §2) for the client, signed with the
/// algorithm it registered.
async fn id_token(
    state: &AppState,
    client: &OAuthClient,
    who: &oidc::SubjectProfile,
    tokens: &NewTokens,
    nonce: Option<&str>,
    now: i64,
) -> Result<String, OAuthError> {
    let algorithm = KeyAlgorithm::parse(&client.id_token_alg).unwrap_or(KeyAlgorithm::Rs256);
    let mut claims = oidc::user_claims(&tokens.issued.scopes, who);
    claims.insert("iss".into(), issuer(state).into());
    claims.insert("aud".into(), client.client_id.clone().into());
    claims.insert("azp".into(), client.client_id.clone().into());
    claims.insert("iat".into(), (now / 1000).into());
    claims.insert("exp".into(), ((now + lifetimes::ID_TOKEN_MS) / 1000).into());
    claims.insert("auth_time".into(), (tokens.issued.auth_time / 1000).into());
    if let Some(nonce) = nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    if algorithm == KeyAlgorithm::Rs256 {
        // Core §3.1.3.6: the left half of the access token's SHA-256.
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(tokens.access.as_bytes());
        claims.insert("at_hash".into(), data_encoding::BASE64URL_NOPAD.encode(&digest[..16]).into());
    }
    state.signing_keys.sign(algorithm, &Value::Object(claims), now).await.map_err(|e| {
        tracing::error!(error = %e, "could not sign an ID token");
        OAuthError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "Could not sign the ID token; try again.".into(),
            reason: None,
            basic: false,
        }
    })
}

async fn refresh_grant(r: &TokenRequest<'_>) -> GrantResult {
    let TokenRequest { state, client, params, headers, client_ip, now } = *r;
    let presented =
        param(params, "refresh_token").ok_or_else(|| no_user(OAuthError::new("invalid_request", "refresh_token is required")))?;
    let old_hash = token_digest(presented);
    let invalid = || OAuthError::new("invalid_grant", "unknown, expired or revoked refresh token");
    let Some(mut old) = state.store.find_refresh_token(&old_hash).await.map_err(|e| no_user(e.into()))? else {
        return Err(no_user(invalid()));
    };
    // Another client's token: refused, and not revoked (its owner did nothing wrong).
    if old.app_id != client.app_id {
        return Err(no_user(invalid().because("refresh_token_other_client")));
    }
    // Read with the token, in the same query.
    let holder = old.holder.take().ok_or_else(|| no_user(user_gone()))?;
    let who = &holder.profile;
    let user = Some((who.user_id.clone(), who.upn.clone()));
    let refuse = |e: OAuthError| (e, user.clone());
    if old.revoked_at.is_some() {
        // RFC 9700 §4.14.2: a rotated token presented again means it leaked;
        // the whole family goes.
        let revoked = state.store.revoke_token_family(&old.family_id, now).await.map_err(|e| refuse(e.into()))?;
        tracing::warn!(revoked, "a spent refresh token was presented again: its family is revoked");
        return Err(refuse(invalid().because("refresh_token_reused")));
    }
    if old.expires_at <= now {
        return Err(refuse(invalid().because("refresh_token_expired")));
    }
    let scopes = match param(params, "scope") {
        None => old.scopes.clone(),
        Some(asked) => {
            let asked: Vec<String> = asked.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
            if asked.iter().any(|s| !old.scopes.contains(s)) {
                return Err(refuse(OAuthError::new("invalid_scope", "a refresh may narrow the scopes, never widen them")));
            }
            asked
        }
    };
    let registered = match decide_for(state, client, &holder, now).await.map_err(|e| refuse(e.into()))? {
        Ok(r) => r,
        Err(code) => {
            // Access is gone (consent, assignment, license, account): so is
            // every token of this family.
            state.store.revoke_token_family(&old.family_id, now).await.map_err(|e| refuse(e.into()))?;
            return Err(refuse(OAuthError::new("invalid_grant", format!("access refused: {code}")).because(&code)));
        }
    };
    let registered: Vec<&str> = registered.iter().map(String::as_str).collect();
    let scopes = oidc::granted_scopes(&scopes, &registered);
    let tokens = new_tokens(client, &old.user_id, scopes, old.family_id.clone(), old.auth_time.unwrap_or(old.created_at), now);
    let body = token_response(&tokens, None);
    let event = token_event(client, headers, client_ip, Some((&who.user_id, &who.upn)), now);
    match state.store.rotate_refresh_token(&old_hash, tokens.issued, event).await.map_err(|e| refuse(e.into()))? {
        RefreshRotation::Rotated => Ok(body),
        RefreshRotation::Replayed => Err(refuse(invalid().because("refresh_token_reused"))),
    }
}

async fn client_credentials_grant(r: &TokenRequest<'_>) -> GrantResult {
    let TokenRequest { state, client, params, headers, client_ip, now } = *r;
    if client.public_client {
        return Err(no_user(OAuthError::new("unauthorized_client", "a public client cannot use client_credentials")));
    }
    if !client.enabled {
        return Err(no_user(OAuthError::new("unauthorized_client", "the app is disabled for sign-in").because("app_disabled")));
    }
    // The app's own access: no person, so none of the delegated permissions.
    if param(params, "scope").is_some() {
        return Err(no_user(OAuthError::new(
            "invalid_scope",
            "this app's permissions are delegated (they act for a signed-in person); client_credentials grants none",
        )));
    }
    let token = random_token();
    let event = token_event(client, headers, client_ip, None, now);
    state
        .store
        .issue_client_token(&client.org_id, &client.app_id, &token_digest(&token), &[], now + lifetimes::ACCESS_TOKEN_MS, event)
        .await
        .map_err(|e| no_user(e.into()))?;
    Ok(json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetimes::ACCESS_TOKEN_MS / 1000 }))
}

/// POST /oauth/revoke (RFC 7009): the client's own tokens only; a refresh
/// token takes its family (and their access tokens) with it. Unknown
/// tokens are answered 200 like known ones (§2.2).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let params = form_params(&headers, &body)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        let token = param(&params, "token").ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        let revoked = state.store.revoke_app_token(&client.app_id, &token_digest(token), now_ms()).await?;
        tracing::info!(revoked, "revocation request");
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => (StatusCode::OK, no_store()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// POST /oauth/introspect (RFC 7662): about the client's own tokens only
/// (any other is `active: false`). A user's token is active only while
/// the access decision still allows them the app.
pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let params = form_params(&headers, &body)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        if client.public_client {
            return Err(OAuthError::invalid_client("introspection is for confidential clients", false));
        }
        let token = param(&params, "token").ok_or_else(|| OAuthError::new("invalid_request", "token is required"))?;
        let digest = token_digest(token);
        let now = now_ms();
        let inactive = json!({ "active": false });
        // Access token first (the usual question), then refresh token.
        // (A refresh token comes with its holder, read in the same query.)
        let (user_id, read_holder, scopes, iat, exp, token_type) = if let Some(t) = state.store.find_access_token(&digest).await? {
            if t.app_id != client.app_id || t.revoked || t.expires_at <= now {
                return Ok(inactive);
            }
            (t.user_id, None, t.scopes, t.created_at, t.expires_at, "access_token")
        } else if let Some(t) = state.store.find_refresh_token(&digest).await? {
            if t.app_id != client.app_id || t.revoked_at.is_some() || t.expires_at <= now {
                return Ok(inactive);
            }
            if t.holder.is_none() {
                return Ok(inactive);
            }
            (Some(t.user_id), t.holder, t.scopes, t.created_at, t.expires_at, "refresh_token")
        } else {
            return Ok(inactive);
        };
        let mut answer = json!({
            "active": true,
            "client_id": client.client_id,
            "scope": scopes.join(" "),
            "token_type": if token_type == "access_token" { "Bearer" } else { "refresh_token" },
            "iat": iat / 1000,
            "exp": exp / 1000,
            "iss": issuer(&state),
            "aud": client.client_id,
        });
        match user_id {
            Some(user_id) => {
                let holder = match read_holder {
                    Some(holder) => holder,
                    None => match state.store.token_holder(&client.org_id, &user_id).await? {
                        Some(holder) => holder,
                        None => return Ok(inactive),
                    },
                };
                if decide_for(&state, &client, &holder, now).await?.is_err() {
                    return Ok(inactive);
                }
                answer["sub"] = holder.profile.user_id.into();
                answer["username"] = holder.profile.upn.into();
            }
            None => answer["sub"] = client.client_id.clone().into(),
        }
        Ok(answer)
    }
    .await;
    match result {
        Ok(body) => (StatusCode::OK, no_store(), Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------------------
// Userinfo: the bearer of an access token.

/// An RFC 6750 §3 error: the challenge says what was wrong.
fn bearer_error(status: StatusCode, error: &'static str, description: &'static str) -> Response {
    let challenge = format!("Bearer realm=\"My Apps\", error=\"{error}\", error_description=\"{description}\"");
    let mut res = (status, no_store(), Json(json!({ "error": error, "error_description": description }))).into_response();
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).expect("ASCII"));
    res
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// GET or POST /oauth/userinfo (OpenID Connect Core §5.3): the claims the
/// token's scopes release, while the access decision still allows it.
pub async fn userinfo(State(state): State<AppState>, ClientAddr(client_ip): ClientAddr, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(token) = bearer_token(&headers) else {
        let mut res = (
            StatusCode::UNAUTHORIZED,
            no_store(),
            Json(json!({ "error": "invalid_request", "error_description": "send the access token as Authorization: Bearer" })),
        )
            .into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"My Apps\""));
        return Ok(res);
    };
    let now = now_ms();
    let invalid = || bearer_error(StatusCode::UNAUTHORIZED, "invalid_token", "the access token is unknown, expired or revoked");
    // A JWT (alg none, someone else's key, ours) is no access token of
    // ours: they are random values, found by digest or not at all.
    let Some(record) = state.store.find_access_token(&token_digest(token)).await? else { return Ok(invalid()) };
    let Some(user_id) = record.user_id.clone().filter(|_| !record.revoked && record.expires_at > now) else { return Ok(invalid()) };
    if !record.scopes.iter().any(|s| s == "openid") {
        return Ok(bearer_error(StatusCode::FORBIDDEN, "insufficient_scope", "the token was not issued for openid"));
    }
    let Some(client) = state.store.oauth_client_by_app(&record.org_id, &record.app_id).await? else { return Ok(invalid()) };
    let mut event =
        SignInEvent { kind: SignInKind::Userinfo, ..token_event(&client, &headers, &client_ip.to_string(), Some((&user_id, "")), now) };
    let Some(holder) = state.store.token_holder(&record.org_id, &user_id).await? else { return Ok(invalid()) };
    let who = &holder.profile;
    event.upn_attempted = who.upn.clone();
    if let Err(code) = decide_for(&state, &client, &holder, now).await? {
        event.outcome = SignInOutcome::Failure;
        event.reason_code = code;
        state.store.record_protocol_event(event, UsageKind::UserinfoCall).await?;
        return Ok(bearer_error(StatusCode::UNAUTHORIZED, "invalid_token", "access to the app has been withdrawn"));
    }
    state.store.record_protocol_event(event, UsageKind::UserinfoCall).await?;
    let claims = oidc::user_claims(&record.scopes, who);
    Ok((StatusCode::OK, no_store(), [(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"))], Json(Value::Object(claims)))
        .into_response())
}

// ---------------------------------------------------------------------------
// RP-Initiated Logout 1.0.

pub const LOGOUT_PATH: &str = "/oauth/logout";

/// GET /oauth/logout.
pub async fn logout_get(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    logout(&state, &auth, query_pairs(query.as_deref())).await
}

/// POST /oauth/logout: the same, form-encoded, and the confirmation form.
pub async fn logout_post(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    body: Bytes,
) -> Result<Response, AppError> {
    logout(&state, &auth, url::form_urlencoded::parse(&body).into_owned().collect()).await
}

/// Ends the portal session an app asks to end, then sends the person to
/// the app's registered `post_logout_redirect_uri` (with `state`), or to
/// the sign-in page. Without a valid `id_token_hint` naming this session's
/// user, the person confirms first (a link from anywhere must not sign
/// anyone out). An address not registered for the client named by the
/// hint (its `aud`) or by `client_id` is never redirected to.
async fn logout(state: &AppState, auth: &RequestAuth, pairs: Vec<(String, String)>) -> Result<Response, AppError> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let hint = match get("id_token_hint") {
        Some(h) if h.len() <= 8192 => state.signing_keys.verify_own(h, issuer(state)).await,
        _ => None,
    };
    let hinted_client = hint.as_ref().and_then(|c| match &c["aud"] {
        Value::String(a) => Some(a.clone()),
        Value::Array(list) => list.first().and_then(|a| a.as_str()).map(str::to_string),
        _ => None,
    });
    let client_id = match (hinted_client, get("client_id")) {
        (Some(a), Some(b)) if a != b => return Ok(shown("logout_client_mismatch")),
        (Some(a), _) => Some(a),
        (None, b) => b.map(str::to_string),
    };
    let client = match &client_id {
        Some(id) if id.len() <= 200 => state.store.oauth_client(id).await?,
        _ => None,
    };
    let target = match get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => match &client {
            Some(c) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => {
                let mut url = url::Url::parse(uri).map_err(|_| AppError::bad_request("post_logout_redirect_uri", "not an address"))?;
                if let Some(s) = get("state") {
                    url.query_pairs_mut().append_pair("state", s);
                }
                Some(url.to_string())
            }
            _ => return Ok(shown("post_logout_redirect_uri_mismatch")),
        },
    };
    let done = |target: Option<String>| Redirect::to(target.as_deref().unwrap_or("/sign-in?notice=signed_out")).into_response();
    let RequestAuth::Session(session) = auth else {
        return Ok(done(target)); // nobody to sign out here
    };
    let hinted_sub = hint.as_ref().and_then(|c| c["sub"].as_str());
    let proven = hinted_sub == Some(session.user.user_id.as_str());
    let confirmed =
        get("confirmed") == Some("1") && get("csrf_token").is_some_and(|t| crate::security::constant_time_eq(t, &session.csrf_token));
    if !proven && !confirmed {
        let mut confirm = url::form_urlencoded::Serializer::new(String::new());
        for name in ["post_logout_redirect_uri", "state"] {
            if let Some(v) = get(name) {
                confirm.append_pair(name, v);
            }
        }
        if let Some(id) = &client_id {
            confirm.append_pair("client_id", id);
        }
        return Ok(Redirect::to(&format!("/sign-out?{}", confirm.finish())).into_response());
    }
    state.store.delete_session(&session.id_hash).await?;
    let mut res = done(target);
    res.headers_mut().append(header::SET_COOKIE, state.cookies.clear(state.cookies.session_name()));
    Ok(res)
}
