//! OpenID Connect authorisation requests (issue 9; OpenID Connect Core
//! §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9700): what makes an authorize
//! request usable, and where its errors may go. An error goes back to the
//! client's redirect URI only once that URI is known to be registered for
//! the client; before that it is shown to the person (never an open
//! redirect). Pure: the provider's endpoints call it with what they read.

use sha2::{Digest, Sha256};

/// What the provider knows of the client named by `client_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientFacts {
    pub client_id: String,
    /// A public client (no secret) must use PKCE.
    pub public_client: bool,
    /// Exact strings: a redirect URI matches one of them or nothing.
    pub redirect_uris: Vec<String>,
}

/// The request's parameters as they arrived (query or form).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// A parameter that came more than once (RFC 6749 §3.1: an error).
    pub duplicated: Option<String>,
}

impl AuthorizeParams {
    /// The parameters of a query string or form, in order. Unknown ones
    /// are ignored (RFC 6749 §3.1); a known one given twice is remembered
    /// as an error for [`validate_authorize`].
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut p = AuthorizeParams::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "client_id" => &mut p.client_id,
                "redirect_uri" => &mut p.redirect_uri,
                "response_type" => &mut p.response_type,
                "response_mode" => &mut p.response_mode,
                "scope" => &mut p.scope,
                "state" => &mut p.state,
                "nonce" => &mut p.nonce,
                "code_challenge" => &mut p.code_challenge,
                "code_challenge_method" => &mut p.code_challenge_method,
                "prompt" => &mut p.prompt,
                "max_age" => &mut p.max_age,
                "login_hint" => &mut p.login_hint,
                "request" => &mut p.request,
                "request_uri" => &mut p.request_uri,
                _ => continue,
            };
            if slot.is_some() {
                p.duplicated.get_or_insert_with(|| name.clone());
            }
            *slot = Some(value.clone());
        }
        p
    }
}

/// A local address that continues an authorize request (after consent):
/// only those, so a consent form cannot be made to send anyone elsewhere.
pub fn authorize_continuation(raw: Option<&str>) -> Option<String> {
    let back = crate::domain::model::ReturnTo::parse(raw?)?;
    back.as_str().starts_with("/oauth/authorize?").then(|| back.as_str().to_string())
}

/// The request's parameters with one `prompt` value answered: taken out
/// (and `prompt` with it when nothing is left), so coming back after the
/// sign-in or consent that answered it does not ask again.
pub fn answering(pairs: &[(String, String)], answered: &str) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            if k != "prompt" {
                return Some((k.clone(), v.clone()));
            }
            let left: Vec<&str> = v.split(' ').filter(|p| !p.is_empty() && *p != answered).collect();
            (!left.is_empty()).then(|| (k.clone(), left.join(" ")))
        })
        .collect()
}

/// The parameter a declined consent prompt adds to the authorize request
/// it returns to: the client is told `access_denied`.
pub const DECLINED_PARAM: &str = "declined";

/// What the person reads when an authorize request cannot be answered
/// at the client (its codes are [`AuthorizeError::Shown`]'s).
pub fn problem_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "unknown_client" => "The app that sent you here is not registered with this organisation.",
        "redirect_uri_missing" => "The app did not say where to send you back.",
        "redirect_uri_mismatch" => "The app asked to send you back to an address it has not registered, so you stay here.",
        "duplicated_parameter" => "The app sent its sign-in request with a parameter given twice, so it cannot be answered.",
        "other_organisation" => "This app is registered with another organisation than yours, so you cannot sign in to it here.",
        "request_too_long" => "The app's sign-in request is too long to carry through signing in.",
        "post_logout_redirect_uri_mismatch" => {
            "The app asked to send you, once signed out, to an address it has not registered, so you stay here."
        }
        "logout_client_mismatch" => "The app's sign-out request names two different apps, so it cannot be followed.",
        _ => return None,
    })
}

fn shown(code: &'static str) -> AuthorizeError {
    AuthorizeError::Shown { code, message: problem_message(code).unwrap_or("This sign-in request cannot be answered.") }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Nothing may be shown: answer at once or fail (`login_required`, `consent_required`).
    None,
    /// Ask for the password again.
    Login,
    /// Show the consent prompt even if consent was given.
    Consent,
    SelectAccount,
    /// A privileged admin consents for the whole organisation.
    AdminConsent,
}

/// A usable authorize request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The scopes asked for, in order, each once (`openid` among them).
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 code challenge, when the client sent one.
    pub code_challenge: Option<String>,
    pub prompts: Vec<Prompt>,
    /// Seconds; a sign-in older than this must be repeated.
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
}

/// Why an authorize request cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// No known client, or no registered redirect URI to answer at: shown
    /// to the person, never redirected.
    Shown { code: &'static str, message: &'static str },
    /// Sent back to the client's registered redirect URI (RFC 6749
    /// §4.1.2.1), with the request's `state`.
    Redirected { redirect_uri: String, error: &'static str, description: &'static str, state: Option<String> },
}

impl AuthorizeError {
    /// Where to send the browser for a redirected error (its query
    /// appended to whatever the registered URI already has).
    pub fn location(&self) -> Option<String> {
        let AuthorizeError::Redirected { redirect_uri, error, description, state } = self else { return None };
        let mut url = url::Url::parse(redirect_uri).ok()?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("error", error).append_pair("error_description", description);
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Some(url.to_string())
    }
}

/// The longest `state` and `nonce` kept (they are echoed back).
pub const MAX_ECHOED: usize = 512;

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// RFC 7636 §4.2: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn is_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 6749 §3.3 scope tokens.
fn is_scope_token(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

pub fn validate_authorize(params: &AuthorizeParams, client: Option<&ClientFacts>) -> Result<AuthorizeRequest, AuthorizeError> {
    // First who asks and where to answer: until both are known, nothing is redirected.
    if matches!(params.duplicated.as_deref(), Some("client_id" | "redirect_uri")) {
        return Err(shown("duplicated_parameter"));
    }
    let Some(client) = client.filter(|c| present(&params.client_id) == Some(c.client_id.as_str())) else {
        return Err(shown("unknown_client"));
    };
    let Some(redirect_uri) = present(&params.redirect_uri) else {
        return Err(shown("redirect_uri_missing"));
    };
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(shown("redirect_uri_mismatch"));
    }
    let state = present(&params.state).map(str::to_string);
    let fail = |error: &'static str, description: &'static str| {
        Err(AuthorizeError::Redirected { redirect_uri: redirect_uri.to_string(), error, description, state: state.clone() })
    };
    if state.as_ref().is_some_and(|s| s.len() > MAX_ECHOED) {
        return fail("invalid_request", "state is too long");
    }
    if params.duplicated.is_some() {
        return fail("invalid_request", "a parameter was given more than once");
    }
    if present(&params.request).is_some() {
        return Err(AuthorizeError::Redirected {
            redirect_uri: redirect_uri.to_string(),
            error: "request_not_supported",
            description: "request objects are not supported",
            state: state.clone(),
        });
    }
    if present(&params.request_uri).is_some() {
        return fail("request_uri_not_supported", "request_uri is not supported");
    }
    match present(&params.response_type) {
        Some("code") => {}
        None => return fail("invalid_request", "response_type is required"),
        Some(_) => return fail("unsupported_response_type", "only the authorization code flow (response_type=code) is supported"),
    }
    match present(&params.response_mode) {
        None | Some("query") => {}
        Some(_) => return fail("invalid_request", "only response_mode=query is supported"),
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in present(&params.scope).unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !is_scope_token(scope) {
            return fail("invalid_scope", "a scope is not a valid scope token");
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if !scopes.iter().any(|s| s == "openid") {
        return fail("invalid_scope", "the openid scope is required");
    }
    let code_challenge = match (present(&params.code_challenge), present(&params.code_challenge_method)) {
        (None, None) if client.public_client => return fail("invalid_request", "a public client must use PKCE (code_challenge with S256)"),
        (None, None) => None,
        (None, Some(_)) => return fail("invalid_request", "code_challenge_method without code_challenge"),
        // RFC 7636 defaults to plain; plain is refused (RFC 9700 §2.1.1).
        (Some(_), None | Some("plain")) => return fail("invalid_request", "code_challenge_method must be S256"),
        (Some(c), Some("S256")) if is_pkce_value(c) => Some(c.to_string()),
        (Some(_), Some("S256")) => return fail("invalid_request", "code_challenge is not a valid S256 challenge"),
        (Some(_), Some(_)) => return fail("invalid_request", "code_challenge_method must be S256"),
    };
    let nonce = present(&params.nonce).map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > MAX_ECHOED) {
        return fail("invalid_request", "nonce is too long");
    }
    let mut prompts = Vec::new();
    for p in present(&params.prompt).unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        let prompt = match p {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            "admin_consent" => Prompt::AdminConsent,
            _ => return fail("invalid_request", "prompt has an unknown value"),
        };
        if !prompts.contains(&prompt) {
            prompts.push(prompt);
        }
    }
    if prompts.contains(&Prompt::None) && prompts.len() > 1 {
        return fail("invalid_request", "prompt=none cannot be combined with other values");
    }
    let max_age = match present(&params.max_age) {
        None => None,
        Some(m) => match m.parse::<u64>() {
            Ok(v) => Some(v),
            Err(_) => return fail("invalid_request", "max_age must be a number of seconds"),
        },
    };
    let login_hint = present(&params.login_hint).filter(|h| h.len() <= 254).map(str::to_string);
    Ok(AuthorizeRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state,
        nonce,
        code_challenge,
        prompts,
        max_age,
        login_hint,
    })
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    data_encoding::BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()))
}

/// Does the token request's verifier answer the authorize request's
/// challenge? A verifier is required whenever a challenge was sent, and
/// refused when none was (a downgrade either way fails).
pub fn pkce_answers(challenge: Option<&str>, verifier: Option<&str>) -> bool {
    match (challenge, verifier) {
        (None, None) => true,
        (Some(c), Some(v)) => is_pkce_value(v) && pkce_s256(v) == c,
        _ => false,
    }
}

/// How long what the provider issues lives, in milliseconds.
pub mod lifetimes {
    /// An authorization code: one redemption, soon (RFC 6749 §4.1.2
    /// recommends at most ten minutes).
    pub const CODE_MS: i64 = 60_000;
    /// Access tokens are short: a revoked consent or assignment reaches
    /// an app that never refreshes within this.
    pub const ACCESS_TOKEN_MS: i64 = 10 * 60_000;
    pub const ID_TOKEN_MS: i64 = 10 * 60_000;
    /// A refresh token (each rotation makes a new one that lives this long).
    pub const REFRESH_TOKEN_MS: i64 = 30 * 24 * 60 * 60_000;
}

/// A user as ID tokens and userinfo describe them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectProfile {
    pub user_id: String,
    pub upn: String,
    pub display_name: String,
    pub email: String,
    pub updated_at: i64,
}

/// The claims about the user that `scopes` release (OpenID Connect Core
/// §5.4): `sub` always; `profile` → name, preferred_username, updated_at;
/// `email` → email (when the directory has one). Nothing else is said.
pub fn user_claims(scopes: &[String], who: &SubjectProfile) -> serde_json::Map<String, serde_json::Value> {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), who.user_id.clone().into());
    if scopes.iter().any(|s| s == "profile") {
        claims.insert("name".into(), who.display_name.clone().into());
        claims.insert("preferred_username".into(), who.upn.clone().into());
        claims.insert("updated_at".into(), (who.updated_at / 1000).into());
    }
    if scopes.iter().any(|s| s == "email") && !who.email.is_empty() {
        claims.insert("email".into(), who.email.clone().into());
    }
    claims
}

/// The scopes a token carries: those asked for that the app is registered
/// for (every one of them consented to, or the access decision would have
/// stopped), in the order asked. Others are left out, as RFC 6749 §3.3
/// allows, and the token response says which were given.
pub fn granted_scopes(requested: &[String], registered: &[&str]) -> Vec<String> {
    requested.iter().filter(|s| registered.contains(&s.as_str())).cloned().collect()
}

/// Must the person sign in again before this authorize request is
/// answered? `prompt=login` always (once; the sign-in that follows
/// satisfies it), `max_age` when the last sign-in is older (OpenID
/// Connect Core §3.1.2.1).
pub fn needs_fresh_sign_in(request: &AuthorizeRequest, authenticated_at_ms: i64, now_ms: i64) -> bool {
    request.prompts.contains(&Prompt::Login)
        || request.max_age.is_some_and(|max| now_ms.saturating_sub(authenticated_at_ms) > (max as i64).saturating_mul(1000))
}

/// `client_secret_basic` (RFC 6749 §2.3.1): the id and secret are
/// form-urlencoded, then joined by a colon and base64-encoded.
pub fn parse_basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = data_encoding::BASE64.decode(encoded.trim().as_bytes()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // form-urlencoded: `+` is a space, `%XX` a byte; a bare `&` or `=` is
    // itself (escaped first so the parser keeps the value whole).
    let unescape = |v: &str| -> Option<String> {
        let whole = format!("v={}", v.replace('&', "%26").replace('=', "%3D"));
        url::form_urlencoded::parse(whole.as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// Which of the RFC 9207 / OpenID Connect redirect parameters a successful
/// authorization response carries, in order.
pub fn success_location(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("code", code);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    Some(url.to_string())
}

/// A redirect-URI error for an authorize request already known to be
/// usable (the decision's answer, not the request's shape).
pub fn error_location(request: &AuthorizeRequest, error: &'static str, description: &'static str) -> Option<String> {
    AuthorizeError::Redirected { redirect_uri: request.redirect_uri.clone(), error, description, state: request.state.clone() }.location()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(public_client: bool) -> ClientFacts {
        ClientFacts {
            client_id: "board".into(),
            public_client,
            redirect_uris: vec!["https://board.example/callback".into(), "http://127.0.0.1:8400/cb?x=1".into()],
        }
    }

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn good() -> AuthorizeParams {
        AuthorizeParams {
            client_id: Some("board".into()),
            redirect_uri: Some("https://board.example/callback".into()),
            response_type: Some("code".into()),
            scope: Some("openid profile openid".into()),
            state: Some("s1".into()),
            nonce: Some("n1".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizeParams::default()
        }
    }

    fn error_of(params: &AuthorizeParams, public_client: bool) -> (&'static str, Option<String>) {
        match validate_authorize(params, Some(&client(public_client))) {
            Err(AuthorizeError::Redirected { error, state, .. }) => (error, state),
            other => panic!("expected a redirected error, got {other:?}"),
        }
    }

    #[test]
    fn a_good_request_is_read_with_its_scopes_once() {
        let r = validate_authorize(&good(), Some(&client(true))).unwrap();
        assert_eq!(r.scopes, ["openid", "profile"]);
        assert_eq!((r.state.as_deref(), r.nonce.as_deref(), r.code_challenge.as_deref()), (Some("s1"), Some("n1"), Some(CHALLENGE)));
        assert!(r.prompts.is_empty() && r.max_age.is_none());
    }

    #[test]
    fn nothing_is_redirected_until_the_client_and_its_redirect_uri_are_known() {
        let shown = |p: &AuthorizeParams, c: Option<&ClientFacts>| match validate_authorize(p, c) {
            Err(AuthorizeError::Shown { code, .. }) => code,
            other => panic!("expected a shown error, got {other:?}"),
        };
        assert_eq!(shown(&good(), None), "unknown_client");
        assert_eq!(shown(&AuthorizeParams { client_id: Some("other".into()), ..good() }, Some(&client(true))), "unknown_client");
        assert_eq!(shown(&AuthorizeParams { redirect_uri: None, ..good() }, Some(&client(true))), "redirect_uri_missing");
        for near_miss in [
            "https://board.example/callback/",
            "https://board.example/Callback",
            "https://board.example/callback?x=1",
            "https://evil.example/callback",
            "http://127.0.0.1:8400/cb",
        ] {
            let p = AuthorizeParams { redirect_uri: Some(near_miss.into()), ..good() };
            assert_eq!(shown(&p, Some(&client(true))), "redirect_uri_mismatch", "{near_miss} is not registered");
        }
        // Even a broken request is shown, not redirected, when its URI is not registered.
        let p = AuthorizeParams { redirect_uri: Some("https://evil.example/".into()), response_type: Some("token".into()), ..good() };
        assert_eq!(shown(&p, Some(&client(true))), "redirect_uri_mismatch");
    }

    #[test]
    fn errors_after_that_go_back_to_the_registered_uri_with_the_state() {
        let p =
            AuthorizeParams { response_type: Some("token".into()), redirect_uri: Some("http://127.0.0.1:8400/cb?x=1".into()), ..good() };
        let err = validate_authorize(&p, Some(&client(false))).unwrap_err();
        assert_eq!(
            err.location().unwrap(),
            "http://127.0.0.1:8400/cb?x=1&error=unsupported_response_type&error_description=only+the+authorization+code+flow+%28response_type%3Dcode%29+is+supported&state=s1"
        );
        let cases: Vec<(AuthorizeParams, bool, &str)> = vec![
            (AuthorizeParams { response_type: None, ..good() }, false, "invalid_request"),
            (AuthorizeParams { response_mode: Some("fragment".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { scope: Some("profile email".into()), ..good() }, false, "invalid_scope"),
            (AuthorizeParams { scope: Some("openid bad\"scope".into()), ..good() }, false, "invalid_scope"),
            (AuthorizeParams { code_challenge: None, code_challenge_method: None, ..good() }, true, "invalid_request"),
            (AuthorizeParams { code_challenge_method: Some("plain".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { code_challenge_method: None, ..good() }, false, "invalid_request"),
            (AuthorizeParams { code_challenge: None, ..good() }, false, "invalid_request"),
            (AuthorizeParams { code_challenge: Some("short".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { prompt: Some("none login".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { prompt: Some("sideways".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { max_age: Some("-1".into()), ..good() }, false, "invalid_request"),
            (AuthorizeParams { state: Some("s".repeat(MAX_ECHOED + 1)), ..good() }, false, "invalid_request"),
            (AuthorizeParams { request: Some("eyJ...".into()), ..good() }, false, "request_not_supported"),
            (AuthorizeParams { request_uri: Some("https://x/".into()), ..good() }, false, "request_uri_not_supported"),
        ];
        for (params, public, expected) in cases {
            assert_eq!(error_of(&params, public).0, expected, "{params:?}");
        }
        // A confidential client may skip PKCE; prompts and max_age are read.
        let p = AuthorizeParams {
            code_challenge: None,
            code_challenge_method: None,
            prompt: Some("login consent".into()),
            max_age: Some("300".into()),
            ..good()
        };
        let r = validate_authorize(&p, Some(&client(false))).unwrap();
        assert_eq!((r.prompts, r.max_age, r.code_challenge), (vec![Prompt::Login, Prompt::Consent], Some(300), None));
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_and_refuses_downgrades() {
        // RFC 7636, Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(pkce_s256(verifier), CHALLENGE);
        assert!(pkce_answers(Some(CHALLENGE), Some(verifier)));
        assert!(!pkce_answers(Some(CHALLENGE), Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")));
        assert!(!pkce_answers(Some(CHALLENGE), None), "a challenge needs its verifier");
        assert!(!pkce_answers(None, Some(verifier)), "a verifier without a challenge is refused");
        assert!(pkce_answers(None, None));
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_parameter_given_twice_is_an_error_shown_or_redirected() {
        let client = ClientFacts { client_id: "c".into(), public_client: false, redirect_uris: vec!["https://app.example/cb".into()] };
        let base = [("client_id", "c"), ("redirect_uri", "https://app.example/cb"), ("response_type", "code"), ("scope", "openid")];
        let ok = AuthorizeParams::from_pairs(&pairs(&base));
        assert!(validate_authorize(&ok, Some(&client)).is_ok());
        let mut twice = base.to_vec();
        twice.push(("scope", "openid profile"));
        let err = validate_authorize(&AuthorizeParams::from_pairs(&pairs(&twice)), Some(&client)).unwrap_err();
        assert!(matches!(err, AuthorizeError::Redirected { error: "invalid_request", .. }), "{err:?}");
        let mut uri_twice = base.to_vec();
        uri_twice.push(("redirect_uri", "https://evil.example/cb"));
        let err = validate_authorize(&AuthorizeParams::from_pairs(&pairs(&uri_twice)), Some(&client)).unwrap_err();
        assert!(matches!(err, AuthorizeError::Shown { code: "duplicated_parameter", .. }), "never redirected: {err:?}");
        assert!(problem_message("duplicated_parameter").is_some());
    }

    #[test]
    fn claims_follow_the_scopes() {
        let who = SubjectProfile {
            user_id: "u1".into(),
            upn: "alex@contoso.example".into(),
            display_name: "Alex".into(),
            email: "alex@contoso.example".into(),
            updated_at: 5_000,
        };
        let of = |scopes: &[&str]| user_claims(&scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &who);
        assert_eq!(serde_json::Value::Object(of(&["openid"])), serde_json::json!({"sub": "u1"}));
        let all = of(&["openid", "profile", "email"]);
        assert_eq!(all["name"], "Alex");
        assert_eq!(all["preferred_username"], "alex@contoso.example");
        assert_eq!(all["updated_at"], 5);
        assert_eq!(all["email"], "alex@contoso.example");
        let no_mail = user_claims(&["email".to_string()], &SubjectProfile { email: String::new(), ..who.clone() });
        assert!(!no_mail.contains_key("email"), "no empty email claim");
    }

    #[test]
    fn tokens_carry_only_registered_scopes_in_the_order_asked() {
        let asked: Vec<String> = ["email", "openid", "Mail.Send", "profile"].iter().map(|s| s.to_string()).collect();
        assert_eq!(granted_scopes(&asked, &["openid", "profile", "email"]), ["email", "openid", "profile"]);
    }

    #[test]
    fn prompt_login_and_max_age_ask_for_a_fresh_sign_in() {
        let client = ClientFacts { client_id: "c".into(), public_client: false, redirect_uris: vec!["https://app.example/cb".into()] };
        let read = |extra: &[(&str, &str)]| {
            let mut list =
                vec![("client_id", "c"), ("redirect_uri", "https://app.example/cb"), ("response_type", "code"), ("scope", "openid")];
            list.extend_from_slice(extra);
            validate_authorize(&AuthorizeParams::from_pairs(&pairs(&list)), Some(&client)).unwrap()
        };
        let signed_in_at = 1_000_000;
        assert!(!needs_fresh_sign_in(&read(&[]), signed_in_at, signed_in_at + 3_600_000));
        assert!(needs_fresh_sign_in(&read(&[("prompt", "login")]), signed_in_at, signed_in_at));
        assert!(!needs_fresh_sign_in(&read(&[("max_age", "60")]), signed_in_at, signed_in_at + 60_000));
        assert!(needs_fresh_sign_in(&read(&[("max_age", "60")]), signed_in_at, signed_in_at + 60_001));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        // RFC 6749 §2.3.1: form-urlencoded before base64.
        let header = format!("Basic {}", data_encoding::BASE64.encode(b"my%20app:s%3Acret+x"));
        assert_eq!(parse_basic_credentials(&header), Some(("my app".into(), "s:cret x".into())));
        assert_eq!(parse_basic_credentials("Bearer abc"), None);
        assert_eq!(parse_basic_credentials("Basic !!!"), None);
        let no_colon = format!("Basic {}", data_encoding::BASE64.encode(b"only-id"));
        assert_eq!(parse_basic_credentials(&no_colon), None);
    }

    #[test]
    fn only_authorize_requests_are_continued_after_consent() {
        assert_eq!(authorize_continuation(Some("/oauth/authorize?client_id=c")).as_deref(), Some("/oauth/authorize?client_id=c"));
        for bad in ["https://evil.example/oauth/authorize?x", "//evil.example/oauth/authorize?", "/admin", "/oauth/authorize"] {
            assert_eq!(authorize_continuation(Some(bad)), None, "{bad}");
        }
        assert_eq!(authorize_continuation(None), None);
    }

    #[test]
    fn an_answered_prompt_is_taken_out_and_the_rest_kept() {
        let list = pairs(&[("client_id", "c"), ("prompt", "login consent"), ("state", "s")]);
        assert_eq!(answering(&list, "login"), pairs(&[("client_id", "c"), ("prompt", "consent"), ("state", "s")]));
        assert_eq!(answering(&answering(&list, "login"), "consent"), pairs(&[("client_id", "c"), ("state", "s")]));
        assert_eq!(answering(&list, "none"), list, "nothing to answer");
    }
}
