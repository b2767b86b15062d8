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
    let Some(client) = client.filter(|c| present(&params.client_id) == Some(c.client_id.as_str())) else {
        return Err(AuthorizeError::Shown {
            code: "unknown_client",
            message: "The app that sent you here is not registered with this organisation.",
        });
    };
    let Some(redirect_uri) = present(&params.redirect_uri) else {
        return Err(AuthorizeError::Shown { code: "redirect_uri_missing", message: "The app did not say where to send you back." });
    };
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(AuthorizeError::Shown {
            code: "redirect_uri_mismatch",
            message: "The app asked to send you back to an address it has not registered, so you stay here.",
        });
    }
    let state = present(&params.state).map(str::to_string);
    let fail = |error: &'static str, description: &'static str| {
        Err(AuthorizeError::Redirected { redirect_uri: redirect_uri.to_string(), error, description, state: state.clone() })
    };
    if state.as_ref().is_some_and(|s| s.len() > MAX_ECHOED) {
        return fail("invalid_request", "state is too long");
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
}
