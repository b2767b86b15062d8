//! Per-request session handling, in one middleware that runs before every
//! route:
//! 1. resolve the session cookie (or issue the anonymous CSRF cookie);
//! 2. refuse state-changing requests without the right CSRF token;
//! 3. send people who are not (fully) signed in to the step they owe.
//!
//! Handlers then find a [`RequestAuth`] in the request's extensions.

use super::error::{wants_html, AppError, ErrorBody};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::model::{ReturnTo, SessionStage};
use app::domain::signin::SessionTimes;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::security::{constant_time_eq, random_token, token_digest};
use crate::time::now_ms;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";
/// Largest form body we read to find the CSRF field.
pub const FORM_LIMIT: usize = 64 * 1024;

/// Names and attributes of our cookies.
#[derive(Clone, Debug)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    pub fn session_name(&self) -> &'static str {
        if self.secure {
            "__Host-mya_session"
        } else {
            "mya_session"
        }
    }
    pub fn csrf_name(&self) -> &'static str {
        if self.secure {
            "__Host-mya_csrf"
        } else {
            "mya_csrf"
        }
    }
    fn attributes(&self) -> &'static str {
        if self.secure {
            "; Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }
    pub fn set(&self, name: &str, value: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{name}={value}{}", self.attributes())).expect("cookie values are URL-safe")
    }
    pub fn clear(&self, name: &str) -> HeaderValue {
        HeaderValue::from_str(&format!("{name}={}; Max-Age=0", self.attributes())).expect("static cookie")
    }
}

/// The value of a cookie in the request, if it looks like one of our tokens.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| looks_like_token(v))
}

/// Our tokens are 43 characters of base64url; anything else is forged or
/// stale and is ignored rather than looked up.
fn looks_like_token(v: &str) -> bool {
    v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Paths anyone may reach without a session.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/sign-in"
            | "/auth/sign-in"
            | "/auth/sign-out"
            | "/healthz"
            | "/readyz"
            | "/metrics"
            | "/favicon.svg"
            | "/api/fn/auth_state"
            | "/sign-in/problem"
            | "/sign-out"
            | "/.well-known/openid-configuration"
            | app::models::api_reference::OPENAPI_PATH
    ) || path.starts_with("/pkg/")
        // The OpenID Connect provider: clients authenticate themselves, and
        // authorize sends people to sign in itself (or answers prompt=none).
        || path.starts_with("/oauth/")
}

/// Paths a session that still owes a sign-in step may reach.
fn allowed_while_pending(path: &str, stage: SessionStage) -> bool {
    is_public(path)
        || match stage {
            SessionStage::MfaEnrol => matches!(path, "/sign-in/mfa/enrol" | "/auth/mfa/enrol" | "/auth/mfa/enrol/qr.svg"),
            SessionStage::MfaVerify => matches!(path, "/sign-in/mfa" | "/auth/mfa/verify"),
            SessionStage::PasswordChange => matches!(path, "/sign-in/change-password" | "/auth/change-password"),
            SessionStage::Active => true,
        }
}

/// The admin pages, their form posts, their server functions and the admin API.
fn is_admin_area(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/") || path.starts_with("/api/v1/admin/") || path.starts_with("/api/fn/admin_")
}

/// Where an API token (`Authorization: Bearer`) is a credential: the admin
/// API and SCIM. Elsewhere the header is not ours and is ignored.
fn takes_api_tokens(path: &str) -> bool {
    path.starts_with("/api/v1/admin/") || path.starts_with("/scim/v2/") || path == "/scim/v2"
}

fn is_scim(path: &str) -> bool {
    path == "/scim/v2" || path.starts_with("/scim/v2/")
}

/// Requests that are not authenticated by our cookies (protocol endpoints
/// with their own credentials) need no CSRF token.
fn csrf_exempt(path: &str) -> bool {
    path.starts_with("/oauth/") || path.starts_with("/scim/")
}

/// Where a form that failed the CSRF check came from, to send the person back
/// to with a fresh token.
fn form_page(path: &str) -> Option<&'static str> {
    Some(match path {
        "/auth/sign-in" => "/sign-in",
        "/auth/mfa/verify" => "/sign-in/mfa",
        "/auth/mfa/enrol" => "/sign-in/mfa/enrol",
        "/auth/change-password" => "/sign-in/change-password",
        "/auth/sign-out" => "/",
        _ => return None,
    })
}

/// Put into a request's extensions, beside its [`RequestAuth`], when the
/// session is this server's memory of it, not a read of this request: the
/// handler must have whatever it decided confirmed against the database
/// (`record_launch` with `confirm`) and answer [`SessionChanged`] if the
/// session changed.
#[derive(Clone, Copy, Debug)]
pub struct Unconfirmed;

/// Put into a response's extensions by a handler whose [`Unconfirmed`]
/// session turned out to have changed: nothing was done, and the request is
/// run again with a fresh read of the session.
#[derive(Clone, Copy, Debug)]
pub struct SessionChanged;

/// The request's [`RequestAuth`], taken out of its extensions rather than
/// cloned (as `Extension` would: a session is a dozen strings), for
/// handlers on the hot path.
pub struct Auth(pub RequestAuth);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.remove::<RequestAuth>().map(Auth).ok_or_else(AppError::unauthorized)
    }
}

/// Routes whose handlers confirm what they decide from a remembered session
/// in the same database call that makes it take effect: launches (the
/// launch writer reads the session again before it writes the launch).
fn confirmed_at_write(method: &Method, path: &str) -> bool {
    method == Method::GET && path.starts_with("/launch/")
}

pub async fn session_middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let now = now_ms();
    let Some(session) = remembered_session(&state, &req, now) else {
        return with_session_read(state, req, next, now).await;
    };
    // A GET has no body: the request can be run again as it came.
    let (parts, body) = req.into_parts();
    let again = Request::from_parts(parts.clone(), Body::empty());
    let mut req = Request::from_parts(parts, body);
    req.extensions_mut().insert(RequestAuth::Session(session));
    req.extensions_mut().insert(Unconfirmed);
    let res = next.clone().run(req).await;
    if res.extensions().get::<SessionChanged>().is_none() {
        state.metrics.record_remembered_session("confirmed");
        return res;
    }
    state.metrics.record_remembered_session("changed");
    with_session_read(state, again, next, now_ms()).await
}

/// The session this server remembers for the request, when its route
/// confirms at write and the remembered session needs nothing the
/// middleware would do (end it, extend it, send it to a step).
fn remembered_session(state: &AppState, req: &Request, now: i64) -> Option<std::sync::Arc<app::ports::SessionRecord>> {
    if !confirmed_at_write(req.method(), req.uri().path()) {
        return None;
    }
    let token = read_cookie(req.headers(), state.cookies.session_name())?;
    let session = state.store.cached_session(&token_digest(&token))?;
    let times = SessionTimes { idle_expires_at: session.idle_expires_at, absolute_expires_at: session.absolute_expires_at };
    let usable = session.stage == SessionStage::Active
        && !session.user.sign_in_blocked
        && state.session_policy.is_live(times, now)
        && state.session_policy.touch(session.stage, times, session.last_seen_at, now).is_none();
    usable.then_some(session)
}

/// A request that presents an API token: the token alone says who it is
/// (cookies are not read, so no CSRF check applies: a browser does not
/// attach this header on its own, and a cross-site page cannot set it
/// without CORS, which we do not grant). A header that is not a live token
/// of ours is refused, never taken for anonymous.
async fn with_api_token(state: AppState, mut req: Request, next: Next, header: HeaderValue, now: i64) -> Response {
    let scim = is_scim(req.uri().path());
    let refused = |code: &'static str, message: &str, error: &str| {
        if scim {
            return super::scim::scim_error(StatusCode::UNAUTHORIZED, None, message).into_response();
        }
        let mut res = AppError::Client { status: StatusCode::UNAUTHORIZED, code, message: message.into() }.into_response();
        let challenge = format!(r#"Bearer realm="My Apps", error="{error}""#);
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).expect("ASCII"));
        res
    };
    let Some(secret) = header.to_str().ok().and_then(app::domain::api_tokens::bearer_secret) else {
        return refused(
            "api_token_malformed",
            "Send an API token as \"Authorization: Bearer mya_…\". A privileged admin creates one under Admin → API tokens.",
            "invalid_request",
        );
    };
    match state.store.authenticate_api_token(&token_digest(secret), now).await {
        Ok(Some(caller)) => {
            req.extensions_mut().insert(RequestAuth::ApiToken(std::sync::Arc::new(caller)));
            next.run(req).await
        }
        Ok(None) => refused(
            "api_token_invalid",
            "This API token is not valid: it may have been revoked or have expired. Ask a privileged admin for a new one.",
            "invalid_token",
        ),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The middleware with the session read from the database.
async fn with_session_read(state: AppState, req: Request, next: Next, now: i64) -> Response {
    if takes_api_tokens(req.uri().path()) {
        if let Some(header) = req.headers().get(header::AUTHORIZATION).cloned() {
            return with_api_token(state, req, next, header, now).await;
        }
        // SCIM takes tokens only: a browser's cookies are not a credential there.
        if is_scim(req.uri().path()) {
            return super::scim::scim_error(
                StatusCode::UNAUTHORIZED,
                None,
                "Send an API token with the Privileged admin role as \"Authorization: Bearer mya_…\".",
            )
            .into_response();
        }
    }
    let cookies = &state.cookies;
    let mut set_cookies: Vec<HeaderValue> = Vec::new();

    // 1. Who is this?
    let mut auth = None;
    if let Some(token) = read_cookie(req.headers(), cookies.session_name()) {
        match state.store.find_session(&token_digest(&token)).await {
            Ok(Some(session)) => {
                let times = SessionTimes { idle_expires_at: session.idle_expires_at, absolute_expires_at: session.absolute_expires_at };
                if state.session_policy.is_live(times, now) && !session.user.sign_in_blocked {
                    if let Some(idle) = state.session_policy.touch(session.stage, times, session.last_seen_at, now) {
                        if let Err(e) = state.store.touch_session(&session.id_hash, now, idle).await {
                            tracing::warn!(error = %e, "could not extend session");
                        }
                    }
                    auth = Some(RequestAuth::Session(std::sync::Arc::new(session)));
                } else {
                    // Over, or the account was blocked since: end it here.
                    if let Err(e) = state.store.delete_session(&session.id_hash).await {
                        tracing::warn!(error = %e, "could not delete ended session");
                    }
                    set_cookies.push(cookies.clear(cookies.session_name()));
                }
            }
            Ok(None) => set_cookies.push(cookies.clear(cookies.session_name())),
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    let auth = auth.unwrap_or_else(|| {
        let csrf_token = read_cookie(req.headers(), cookies.csrf_name()).unwrap_or_else(|| {
            let fresh = random_token();
            // Only pages carry forms; probes and API calls get no cookie.
            if wants_html(req.method(), req.headers()) {
                set_cookies.push(cookies.set(cookies.csrf_name(), &fresh));
            }
            fresh
        });
        RequestAuth::Anonymous { csrf_token }
    });

    let path = req.uri().path().to_string();
    let html = wants_html(req.method(), req.headers());
    let mut req = req;

    // 2. CSRF: every state-changing request carries the token of this session
    // (or of this browser, before sign-in).
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !csrf_exempt(&path) {
        let expected = match &auth {
            RequestAuth::Anonymous { csrf_token } => Some(csrf_token.clone()),
            RequestAuth::Session(s) => Some(s.csrf_token.clone()),
            // Not made here (tokens are `with_api_token`'s): nothing matches.
            RequestAuth::ApiToken(_) => None,
        };
        let cross_site = req.headers().get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site");
        let (rebuilt, presented, form) = match presented_token(req).await {
            Ok(parts) => parts,
            Err(res) => return with_cookies(res, set_cookies),
        };
        req = rebuilt;
        let valid = !cross_site && presented.zip(expected).is_some_and(|(p, e)| constant_time_eq(&p, &e));
        if !valid {
            tracing::info!(path, cross_site, "refused a request without a valid CSRF token");
            let res = match form_page(&path).filter(|_| form.is_some()) {
                Some(page) => {
                    let form = form.unwrap_or_default();
                    let mut target = format!("{page}?error=form_expired");
                    for field in ["upn", "return_to"] {
                        if let Some((_, v)) = form.iter().find(|(k, _)| k == field) {
                            target.push_str(&format!("&{field}={}", urlencode(v)));
                        }
                    }
                    Redirect::to(&target).into_response()
                }
                None => AppError::forbidden(
                    "csrf_token_invalid",
                    "This request was refused because it did not carry a valid CSRF token. Reload the page and try again.",
                )
                .into_response(),
            };
            return with_cookies(res, set_cookies);
        }
    }

    // 3. Steps owed.
    let blocked_response = match &auth {
        RequestAuth::Anonymous { .. } if !is_public(&path) => Some(if html {
            let here = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            let return_to = ReturnTo::parse_or_home(Some(here));
            if return_to.as_str() == "/" {
                Redirect::to("/sign-in").into_response()
            } else {
                Redirect::to(&format!("/sign-in?return_to={}", urlencode(return_to.as_str()))).into_response()
            }
        } else {
            AppError::unauthorized().into_response()
        }),
        RequestAuth::Session(s) if s.stage != SessionStage::Active && !allowed_while_pending(&path, s.stage) => Some(if html {
            Redirect::to(s.stage.page()).into_response()
        } else {
            AppError::forbidden("sign_in_incomplete", "Finish signing in first.").into_response()
        }),
        // The admin area, pages and API: admins only (each handler then
        // checks the capability it needs).
        RequestAuth::Session(s) if s.stage == SessionStage::Active && is_admin_area(&path) && !s.user.role.is_admin() => {
            Some(AppError::forbidden("admin_required", "This part of My Apps is for admins.").into_response())
        }
        RequestAuth::Session(s) if s.stage == SessionStage::Active && path == "/sign-in" && req.method() == Method::GET => {
            // Already signed in: continue where the link wanted to go.
            let target = req
                .uri()
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "return_to").map(|(_, v)| v));
            Some(Redirect::to(ReturnTo::parse_or_home(target.as_deref()).as_str()).into_response())
        }
        _ => None,
    };
    if let Some(res) = blocked_response {
        return with_cookies(res, set_cookies);
    }

    req.extensions_mut().insert(auth);
    let res = next.run(req).await;
    with_cookies(res, set_cookies)
}

fn with_cookies(mut res: Response, cookies: Vec<HeaderValue>) -> Response {
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

type FormPairs = Vec<(String, String)>;

/// The CSRF token a request presents: the header, or the form field of a
/// form post (whose body is read, within a limit, and put back).
async fn presented_token(req: Request) -> Result<(Request, Option<String>, Option<FormPairs>), Response> {
    if let Some(token) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let token = token.to_string();
        return Ok((req, Some(token), None));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // A file upload (multipart) carries its token in the form's action
    // address: reading it from the body would mean buffering the file here,
    // before the upload's own bound applies.
    if content_type.starts_with("multipart/form-data") {
        let token = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str::<FormPairs>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
        return Ok((req, token, None));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((req, None, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return Err(ErrorBody {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: format!("Forms can be at most {} KiB.", FORM_LIMIT / 1024),
                try_again: None,
                fields: vec![],
            }
            .into_response())
        }
    };
    let pairs: FormPairs = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let token = pairs.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.clone());
    Ok((Request::from_parts(parts, Body::from(bytes)), token, Some(pairs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing_ignores_forgeries() {
        let token = random_token();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; mya_session={token}")).unwrap());
        assert_eq!(read_cookie(&headers, "mya_session"), Some(token));
        headers.insert(header::COOKIE, HeaderValue::from_static("mya_session=short"));
        assert_eq!(read_cookie(&headers, "mya_session"), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("mya_session=../../etc/passwd'--aaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert_eq!(read_cookie(&headers, "mya_session"), None);
    }

    #[test]
    fn pending_sessions_reach_only_their_step() {
        assert!(allowed_while_pending("/sign-in/mfa", SessionStage::MfaVerify));
        assert!(!allowed_while_pending("/", SessionStage::MfaVerify));
        assert!(!allowed_while_pending("/sign-in/change-password", SessionStage::MfaVerify));
        assert!(allowed_while_pending("/auth/sign-out", SessionStage::PasswordChange));
        assert!(!allowed_while_pending("/auth/mfa/enrol", SessionStage::PasswordChange));
    }
}
