//! Value types of the domain. Constructors parse, so a value that exists is
//! valid ("parse, don't validate").

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch, UTC. The one representation of time in
/// the domain and in storage (it compares the same on every backend).
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

/// A user principal name: `local@domain`, unique in an organisation
/// regardless of case.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Upn(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    #[error("Enter your sign-in name, for example alex@contoso.example.")]
    Empty,
    #[error("A sign-in name looks like name@domain, for example alex@contoso.example.")]
    Malformed,
    #[error("A sign-in name can be at most 254 characters long.")]
    TooLong,
}

impl Upn {
    pub fn parse(raw: &str) -> Result<Self, UpnError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(UpnError::Empty);
        }
        if value.chars().count() > 254 {
            return Err(UpnError::TooLong);
        }
        let (local, domain) = value.split_once('@').ok_or(UpnError::Malformed)?;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && !local.starts_with('.')
            && !local.ends_with('.')
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !domain_ok || !local_ok {
            return Err(UpnError::Malformed);
        }
        Ok(Upn(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key UPNs are unique by.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may administer.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    AppAdmin,
    PrivilegedAdmin,
}

impl Role {
    /// May open the admin area (apps, assignments, logs).
    pub fn is_admin(self) -> bool {
        matches!(self, Role::AppAdmin | Role::PrivilegedAdmin)
    }

    /// May manage the directory (users, groups, licenses) and everything else.
    pub fn is_privileged_admin(self) -> bool {
        self == Role::PrivilegedAdmin
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::AppAdmin => "app_admin",
            Role::PrivilegedAdmin => "privileged_admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "app_admin" => Some(Role::AppAdmin),
            "privileged_admin" => Some(Role::PrivilegedAdmin),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::User => "Employee",
            Role::AppAdmin => "App admin",
            Role::PrivilegedAdmin => "Privileged admin",
        }
    }
}

/// Multi-factor authentication state of a user account.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// No second factor is asked for.
    Disabled,
    /// Asked for once the user has enrolled an authenticator.
    Enabled,
    /// Required: a user without an authenticator enrols at sign-in.
    Enforced,
}

impl MfaState {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaState::Disabled => "disabled",
            MfaState::Enabled => "enabled",
            MfaState::Enforced => "enforced",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(MfaState::Disabled),
            "enabled" => Some(MfaState::Enabled),
            "enforced" => Some(MfaState::Enforced),
            _ => None,
        }
    }
}

/// Where a session is on its way to being fully signed in.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStage {
    /// Password checked; the user must set up an authenticator app.
    MfaEnrol,
    /// Password checked; the user must enter a code from their authenticator.
    MfaVerify,
    /// Fully authenticated, but the password expired or must be changed.
    PasswordChange,
    /// Signed in.
    Active,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::MfaEnrol => "mfa_enrol",
            SessionStage::MfaVerify => "mfa_verify",
            SessionStage::PasswordChange => "password_change",
            SessionStage::Active => "active",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "mfa_enrol" => Some(SessionStage::MfaEnrol),
            "mfa_verify" => Some(SessionStage::MfaVerify),
            "password_change" => Some(SessionStage::PasswordChange),
            "active" => Some(SessionStage::Active),
            _ => None,
        }
    }
    /// The page a session in this stage must complete before anything else.
    pub fn page(self) -> &'static str {
        match self {
            SessionStage::MfaEnrol => "/sign-in/mfa/enrol",
            SessionStage::MfaVerify => "/sign-in/mfa",
            SessionStage::PasswordChange => "/sign-in/change-password",
            SessionStage::Active => "/",
        }
    }
}

/// A path on this portal to continue to after sign-in. Only same-origin,
/// absolute paths are accepted, so a tampered `return_to` can never send a
/// person to another site.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnTo(String);

impl ReturnTo {
    pub fn parse(raw: &str) -> Option<Self> {
        let candidate = raw.trim();
        let ok = candidate.starts_with('/')
            && !candidate.starts_with("//")
            && !candidate.starts_with("/\\")
            && candidate.len() <= 2048
            && !candidate.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace());
        ok.then(|| ReturnTo(candidate.to_string()))
    }

    /// `raw` when it is a safe local path, else the home page.
    pub fn parse_or_home(raw: Option<&str>) -> Self {
        raw.and_then(Self::parse).unwrap_or_else(|| ReturnTo("/".into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_parsing() {
        let cases: &[(&str, Result<&str, UpnError>)] = &[
            ("alex@contoso.example", Ok("alex@contoso.example")),
            ("  Alex.Wu@Contoso.Example ", Ok("Alex.Wu@Contoso.Example")),
            ("", Err(UpnError::Empty)),
            ("   ", Err(UpnError::Empty)),
            ("alex", Err(UpnError::Malformed)),
            ("@contoso.example", Err(UpnError::Malformed)),
            ("alex@", Err(UpnError::Malformed)),
            ("alex@contoso..example", Err(UpnError::Malformed)),
            ("alex@.contoso", Err(UpnError::Malformed)),
            ("al ex@contoso.example", Err(UpnError::Malformed)),
            ("alex@cont<oso", Err(UpnError::Malformed)),
        ];
        for (raw, expected) in cases {
            let got = Upn::parse(raw).map(|u| u.as_str().to_string());
            assert_eq!(got, expected.clone().map(String::from), "input {raw:?}");
        }
        let long = format!("{}@contoso.example", "a".repeat(250));
        assert_eq!(Upn::parse(&long), Err(UpnError::TooLong));
    }

    #[test]
    fn upn_normalizes_case() {
        assert_eq!(Upn::parse("Alex@Contoso.Example").unwrap().normalized(), "alex@contoso.example");
    }

    #[test]
    fn return_to_only_accepts_local_paths() {
        let cases = [
            ("/", true),
            ("/apps/123/launch?x=1", true),
            ("//evil.example/", false),
            ("/\\evil.example", false),
            ("https://evil.example/", false),
            ("javascript:alert(1)", false),
            ("evil.example", false),
            ("/path with space", false),
            ("/a\r\nLocation: x", false),
            ("", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(ReturnTo::parse(raw).is_some(), ok, "input {raw:?}");
        }
        assert_eq!(ReturnTo::parse_or_home(Some("//x")).as_str(), "/");
        assert_eq!(ReturnTo::parse_or_home(None).as_str(), "/");
    }

    #[test]
    fn enums_round_trip() {
        for r in [Role::User, Role::AppAdmin, Role::PrivilegedAdmin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for m in [MfaState::Disabled, MfaState::Enabled, MfaState::Enforced] {
            assert_eq!(MfaState::parse(m.as_str()), Some(m));
        }
        for s in [SessionStage::MfaEnrol, SessionStage::MfaVerify, SessionStage::PasswordChange, SessionStage::Active] {
            assert_eq!(SessionStage::parse(s.as_str()), Some(s));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
