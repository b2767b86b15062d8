//! Who is asking, as the pages see it. The server resolves the session
//! cookie once per request (in middleware) and puts a [`RequestAuth`] into
//! the request; the `auth_state` server function turns it into an
//! [`AuthView`] that is safe to send to the browser.

use crate::domain::model::{Role, SessionStage};
use serde::{Deserialize, Serialize};

/// The signed-in person, as pages show them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub display_name: String,
    pub upn: String,
    pub email: String,
    pub role: Role,
    pub org_name: String,
    pub tenant_id: String,
    pub csrf_token: String,
}

/// The state of the current request's sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthView {
    /// No session; `csrf_token` protects the sign-in form.
    Anonymous {
        csrf_token: String,
    },
    /// Password accepted, a step still to do.
    Pending {
        display_name: String,
        upn: String,
        stage: SessionStage,
        csrf_token: String,
        enrolment_secret: Option<String>,
    },
    SignedIn(Viewer),
}

impl AuthView {
    pub fn csrf_token(&self) -> &str {
        match self {
            AuthView::Anonymous { csrf_token } | AuthView::Pending { csrf_token, .. } => csrf_token,
            AuthView::SignedIn(v) => &v.csrf_token,
        }
    }
}

/// Put into each request's extensions by the server's session middleware.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub enum RequestAuth {
    Anonymous {
        csrf_token: String,
    },
    /// Shared, not copied: a launch may take it from this server's memory
    /// of the session (`Store::cached_session`) without copying its strings.
    Session(std::sync::Arc<crate::ports::SessionRecord>),
    /// An API token (`Authorization: Bearer`), on the admin API and SCIM
    /// only: it acts for its organisation with its role, and never reaches
    /// the pages.
    ApiToken(std::sync::Arc<crate::ports::ApiTokenCaller>),
}

#[cfg(feature = "ssr")]
impl RequestAuth {
    pub fn view(&self) -> AuthView {
        match self {
            RequestAuth::Anonymous { csrf_token } => AuthView::Anonymous { csrf_token: csrf_token.clone() },
            RequestAuth::ApiToken(_) => AuthView::Anonymous { csrf_token: String::new() },
            RequestAuth::Session(s) if s.stage == SessionStage::Active => AuthView::SignedIn(Viewer {
                display_name: s.user.display_name.clone(),
                upn: s.user.upn.clone(),
                email: s.user.email.clone(),
                role: s.user.role,
                org_name: s.user.org_name.clone(),
                tenant_id: s.user.org_id.clone(),
                csrf_token: s.csrf_token.clone(),
            }),
            RequestAuth::Session(s) => AuthView::Pending {
                display_name: s.user.display_name.clone(),
                upn: s.user.upn.clone(),
                stage: s.stage,
                csrf_token: s.csrf_token.clone(),
                enrolment_secret: s.pending_totp_secret.clone(),
            },
        }
    }
}

/// Plain-words messages for the error codes the sign-in handlers redirect
/// with. Only these fixed texts are ever shown: nothing from the query
/// string is reflected.
pub fn sign_in_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "too_many_attempts" => "Too many failed sign-ins have come from your network. Sign-in from here pauses for up to 15 minutes; please wait and try again.",
        "invalid_credentials" => "Your sign-in name or password is incorrect. After several failed attempts, sign-in pauses for 15 minutes; if you've forgotten your password, contact your admin.",
        "account_blocked" => "Your account has been blocked from signing in. Contact your admin to have it unblocked.",
        "missing_fields" => "Enter your sign-in name and your password.",
        "upn_malformed" => "A sign-in name looks like name@domain, for example alex@contoso.example.",
        "form_expired" => "This form expired. We've refreshed it; please try again.",
        "session_expired" => "Your session ended. Sign in again to continue.",
        "invalid_code" => "That code didn't work. Enter the current 6-digit code from your authenticator app.",
        "too_short" => "Use at least 12 characters.",
        "too_long" => "Use at most 128 characters.",
        "mismatch" => "The two passwords don't match.",
        "contains_upn" => "Don't use your sign-in name in your password.",
        "too_common" => "That password is too easy to guess. Try a few unrelated words.",
        "same_as_current" => "Choose a password you haven't used here before.",
        "signed_out" => "You've signed out.",
        "try_again" => "We were busy a moment ago. Enter your password again to continue.",
        "password_changed" => "Your password was changed.",
        _ => return None,
    })
}
