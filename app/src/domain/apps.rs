//! What an admin may write about an application (DOMAIN.md,
//! "Applications"): every field checked, every problem named by field with
//! a fixed code.

use super::fields::{plain_text, FieldProblem};
use serde::{Deserialize, Serialize};

pub const MAX_APP_NAME: usize = 120;
pub const MAX_APP_DESCRIPTION: usize = 1000;
pub const MAX_CATEGORY: usize = 60;
pub const MAX_PUBLISHER: usize = 120;
pub const MAX_URL: usize = 2000;
/// Redirect URIs one OIDC app may register.
pub const MAX_REDIRECT_URIS: usize = 20;
/// Permissions one app may request.
pub const MAX_PERMISSIONS: usize = 100;

/// How people sign in to the app.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOnMode {
    /// A launch redirects to the app's URL.
    Linked,
    /// The app is an OAuth 2.0 / OpenID Connect client of this portal.
    Oidc,
}

impl SignOnMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "linked" => Some(SignOnMode::Linked),
            "oidc" => Some(SignOnMode::Oidc),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignOnMode::Linked => "linked",
            SignOnMode::Oidc => "oidc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignOnMode::Linked => "Linked (a launch opens its address)",
            SignOnMode::Oidc => "OpenID Connect (it signs people in through this portal)",
        }
    }
}

/// An app as an admin typed it. Creating, every field left out takes its
/// default; editing (the API's PATCH), every field left out keeps its value.
/// Booleans may come as JSON booleans or, from forms, as "true"/"on"/"false".
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub publisher_name: Option<String>,
    pub publisher_verified: Option<bool>,
    pub registered_in_org: Option<bool>,
    pub enabled: Option<bool>,
    pub visible: Option<bool>,
    pub assignment_required: Option<bool>,
    /// A license id, or empty for none.
    pub required_license_id: Option<String>,
    /// `linked` or `oidc`.
    pub sign_on_mode: Option<String>,
    pub launch_url: Option<String>,
    /// OIDC: a public client (no secret; PKCE required).
    pub public_client: Option<bool>,
    pub initiate_login_uri: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    /// OIDC: where the app may send people after signing them out (exact).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// OIDC: `RS256` (the default) or `EdDSA`, for its ID tokens.
    pub id_token_signed_response_alg: Option<String>,
    /// Ids of the permissions it requests.
    pub permission_ids: Option<Vec<String>>,
}

/// An app's fields, every one valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFields {
    pub name: String,
    pub description: String,
    pub category: String,
    pub publisher_name: String,
    pub publisher_verified: bool,
    pub registered_in_org: bool,
    pub enabled: bool,
    pub visible: bool,
    pub assignment_required: bool,
    pub required_license_id: Option<String>,
    pub sign_on_mode: SignOnMode,
    pub launch_url: Option<String>,
    pub public_client: bool,
    pub initiate_login_uri: Option<String>,
    /// Exact, as registered (compared byte for byte at authorisation).
    pub redirect_uris: Vec<String>,
    /// Exact, as registered (RP-initiated logout's `post_logout_redirect_uri`).
    pub post_logout_redirect_uris: Vec<String>,
    /// What signs its ID tokens: `RS256` or `EdDSA`.
    pub id_token_signed_response_alg: String,
    pub permission_ids: Vec<String>,
}

/// The algorithms an app may have its ID tokens signed with.
pub const ID_TOKEN_ALGORITHMS: &[&str] = &["RS256", "EdDSA"];

impl Default for AppFields {
    /// A new app's defaults: a linked app in the "Other" category, enabled,
    /// visible, and only for those it is assigned to.
    fn default() -> Self {
        AppFields {
            name: String::new(),
            description: String::new(),
            category: "Other".into(),
            publisher_name: String::new(),
            publisher_verified: false,
            registered_in_org: true,
            enabled: true,
            visible: true,
            assignment_required: true,
            required_license_id: None,
            sign_on_mode: SignOnMode::Linked,
            launch_url: None,
            public_client: false,
            initiate_login_uri: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            id_token_signed_response_alg: "RS256".into(),
            permission_ids: Vec::new(),
        }
    }
}

/// A list of exact redirect addresses (`field`): each checked, blanks
/// dropped, each once, at most [`MAX_REDIRECT_URIS`]; `kept` when absent.
fn uri_list(
    field: &'static str,
    input: &Option<Vec<String>>,
    kept: &[String],
    problems: &mut Vec<(&'static str, &'static str)>,
) -> Vec<String> {
    let Some(uris) = input else { return kept.to_vec() };
    let typed: Vec<&String> = uris.iter().filter(|u| !u.trim().is_empty()).collect();
    if typed.len() > MAX_REDIRECT_URIS {
        problems.push((field, "too_many"));
        return Vec::new();
    }
    let mut list: Vec<String> = Vec::new();
    for uri in typed {
        if let Some(uri) = checked_url(field, uri, UrlRule::Redirect, problems) {
            if !list.contains(&uri) {
                list.push(uri);
            }
        }
    }
    list
}

/// Where a URL may point.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UrlRule {
    /// A web address people's browsers open: http or https.
    Web,
    /// A redirect URI (OAuth 2.0 Security BCP, RFC 8252), and an
    /// `initiate_login_uri` (OpenID Connect asks for https): https, or http
    /// on a loopback address for apps on the person's own device; no fragment.
    Redirect,
}

/// Checks one URL; `None` (with a problem pushed) when it can't be used.
fn checked_url(field: &'static str, raw: &str, rule: UrlRule, problems: &mut Vec<FieldProblem>) -> Option<String> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL {
        problems.push((field, "too_long"));
        return None;
    }
    let Ok(url) = url::Url::parse(raw) else {
        problems.push((field, "malformed"));
        return None;
    };
    let Some(host) = url.host_str() else {
        problems.push((field, "malformed"));
        return None;
    };
    if !url.username().is_empty() || url.password().is_some() {
        problems.push((field, "credentials"));
        return None;
    }
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let allowed = match (rule, url.scheme()) {
        (_, "https") => true,
        (UrlRule::Web, "http") => true,
        (UrlRule::Redirect, "http") => loopback,
        _ => false,
    };
    if !allowed {
        problems.push((field, if rule == UrlRule::Web { "not_web" } else { "not_https" }));
        return None;
    }
    if rule == UrlRule::Redirect && url.fragment().is_some() {
        problems.push((field, "fragment"));
        return None;
    }
    // Redirect URIs are kept as typed: they are matched exactly.
    Some(if rule == UrlRule::Redirect { raw.to_string() } else { url.to_string() })
}

fn optional_url(field: &'static str, raw: &str, rule: UrlRule, problems: &mut Vec<FieldProblem>) -> Option<String> {
    if raw.trim().is_empty() {
        None
    } else {
        checked_url(field, raw, rule, problems)
    }
}

/// Checks a new app (`current` None) or an edit of `current`, and reports
/// every problem at once. Ids (license, permissions) are checked to exist
/// in the organisation by the caller.
pub fn validate_app(current: Option<&AppFields>, input: &AppInput) -> Result<AppFields, Vec<FieldProblem>> {
    let base = current.cloned().unwrap_or_default();
    let creating = current.is_none();
    let mut problems = Vec::new();
    let text = |field, value: &Option<String>, kept: &str, max, required, problems: &mut Vec<FieldProblem>| match value {
        Some(v) => plain_text(field, v, max, required, problems),
        None if creating && required => plain_text(field, "", max, required, problems),
        None => kept.to_string(),
    };
    let name = text("name", &input.name, &base.name, MAX_APP_NAME, true, &mut problems);
    let description = match &input.description {
        Some(d) => {
            let d = d.trim().replace("\r\n", "\n");
            if d.chars().count() > MAX_APP_DESCRIPTION {
                problems.push(("description", "too_long"));
            } else if d.chars().any(|c| c.is_control() && c != '\n') {
                problems.push(("description", "control_characters"));
            }
            d
        }
        None => base.description.clone(),
    };
    let category = match &input.category {
        Some(c) if c.trim().is_empty() => "Other".to_string(),
        other => text("category", other, &base.category, MAX_CATEGORY, false, &mut problems),
    };
    let publisher_name = text("publisher_name", &input.publisher_name, &base.publisher_name, MAX_PUBLISHER, false, &mut problems);
    let sign_on_mode = match &input.sign_on_mode {
        Some(m) => SignOnMode::parse(m.trim()).unwrap_or_else(|| {
            problems.push(("sign_on_mode", "unknown"));
            base.sign_on_mode
        }),
        None => base.sign_on_mode,
    };
    let launch_url = match &input.launch_url {
        Some(u) => optional_url("launch_url", u, UrlRule::Web, &mut problems),
        None => base.launch_url.clone(),
    };
    let initiate_login_uri = match &input.initiate_login_uri {
        // https, or http on this machine (an app on the person's own
        // device, like a loopback redirect URI).
        Some(u) => optional_url("initiate_login_uri", u, UrlRule::Redirect, &mut problems),
        None => base.initiate_login_uri.clone(),
    };
    let redirect_uris = uri_list("redirect_uris", &input.redirect_uris, &base.redirect_uris, &mut problems);
    let post_logout_redirect_uris =
        uri_list("post_logout_redirect_uris", &input.post_logout_redirect_uris, &base.post_logout_redirect_uris, &mut problems);
    let id_token_signed_response_alg = match input.id_token_signed_response_alg.as_deref().map(str::trim) {
        None => base.id_token_signed_response_alg.clone(),
        Some(a) if ID_TOKEN_ALGORITHMS.contains(&a) => a.to_string(),
        Some(_) => {
            problems.push(("id_token_signed_response_alg", "unknown"));
            base.id_token_signed_response_alg.clone()
        }
    };
    let permission_ids = match &input.permission_ids {
        Some(ids) if ids.len() > MAX_PERMISSIONS => {
            problems.push(("permission_ids", "too_many"));
            Vec::new()
        }
        Some(ids) => {
            let mut ids: Vec<String> = ids.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
            ids.sort();
            ids.dedup();
            ids
        }
        None => base.permission_ids.clone(),
    };
    let required_license_id = match &input.required_license_id {
        Some(l) if l.trim().is_empty() => None,
        Some(l) => Some(l.trim().to_string()),
        None => base.required_license_id.clone(),
    };
    // What each mode needs.
    match sign_on_mode {
        SignOnMode::Linked if launch_url.is_none() && !problems.iter().any(|(f, _)| *f == "launch_url") => {
            problems.push(("launch_url", "missing"));
        }
        SignOnMode::Oidc if redirect_uris.is_empty() && !problems.iter().any(|(f, _)| *f == "redirect_uris") => {
            problems.push(("redirect_uris", "missing"));
        }
        _ => {}
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let flag = |value: Option<bool>, kept: bool| value.unwrap_or(kept);
    Ok(AppFields {
        name,
        description,
        category,
        publisher_name,
        publisher_verified: flag(input.publisher_verified, base.publisher_verified),
        registered_in_org: flag(input.registered_in_org, base.registered_in_org),
        enabled: flag(input.enabled, base.enabled),
        visible: flag(input.visible, base.visible),
        assignment_required: flag(input.assignment_required, base.assignment_required),
        required_license_id,
        sign_on_mode,
        launch_url,
        public_client: flag(input.public_client, base.public_client),
        initiate_login_uri,
        // A linked app keeps no OAuth settings it could be confused by.
        redirect_uris: if sign_on_mode == SignOnMode::Oidc { redirect_uris } else { Vec::new() },
        post_logout_redirect_uris: if sign_on_mode == SignOnMode::Oidc { post_logout_redirect_uris } else { Vec::new() },
        id_token_signed_response_alg,
        permission_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::field_message;

    fn linked(name: &str, url: &str) -> AppInput {
        AppInput { name: Some(name.into()), launch_url: Some(url.into()), ..Default::default() }
    }

    #[test]
    fn a_linked_app_needs_a_name_and_a_web_address() {
        let app = validate_app(None, &linked(" Payroll ", "https://payroll.example/start")).unwrap();
        assert_eq!((app.name.as_str(), app.category.as_str(), app.sign_on_mode), ("Payroll", "Other", SignOnMode::Linked));
        assert!(app.enabled && app.visible && app.assignment_required && app.registered_in_org && !app.publisher_verified);
        assert_eq!(validate_app(None, &AppInput::default()).unwrap_err(), [("name", "missing"), ("launch_url", "missing")]);
        for (url, code) in [
            ("javascript:alert(1)", "malformed"),
            ("ftp://files.example/", "not_web"),
            ("https://user:pw@payroll.example/", "credentials"),
            ("not a url", "malformed"),
        ] {
            assert_eq!(validate_app(None, &linked("Payroll", url)).unwrap_err(), [("launch_url", code)], "{url}");
            assert!(field_message("launch_url", code).is_some(), "{code} has a sentence");
        }
    }

    #[test]
    fn an_oidc_app_needs_exact_redirect_uris_over_https_or_loopback() {
        let input = AppInput {
            name: Some("Wiki".into()),
            sign_on_mode: Some("oidc".into()),
            redirect_uris: Some(vec![
                "https://wiki.example/callback".into(),
                "http://127.0.0.1:8080/cb".into(),
                "https://wiki.example/callback".into(),
                "".into(),
            ]),
            initiate_login_uri: Some("https://wiki.example/login".into()),
            ..Default::default()
        };
        let app = validate_app(None, &input).unwrap();
        assert_eq!(app.redirect_uris, ["https://wiki.example/callback", "http://127.0.0.1:8080/cb"]);
        assert_eq!(app.launch_url, None, "an OIDC app may launch through initiate_login_uri alone");

        let bad = AppInput {
            redirect_uris: Some(vec!["http://wiki.example/cb".into(), "https://wiki.example/cb#frag".into()]),
            initiate_login_uri: Some("http://wiki.example/login".into()),
            ..input.clone()
        };
        assert_eq!(
            validate_app(None, &bad).unwrap_err(),
            [("initiate_login_uri", "not_https"), ("redirect_uris", "not_https"), ("redirect_uris", "fragment")]
        );
        let none = AppInput { redirect_uris: Some(vec![]), ..input };
        assert_eq!(validate_app(None, &none).unwrap_err(), [("redirect_uris", "missing")]);
        for code in ["not_https", "fragment", "missing", "too_many"] {
            assert!(field_message("redirect_uris", code).is_some(), "{code} has a sentence");
        }
    }

    #[test]
    fn an_edit_keeps_what_it_leaves_out() {
        let app = validate_app(None, &linked("Payroll", "https://payroll.example/")).unwrap();
        let edit = AppInput { enabled: Some(false), category: Some("Finance".into()), ..Default::default() };
        let edited = validate_app(Some(&app), &edit).unwrap();
        assert_eq!((edited.enabled, edited.category.as_str(), edited.name.as_str()), (false, "Finance", "Payroll"));
        assert_eq!(edited.launch_url.as_deref(), Some("https://payroll.example/"));
        let unknown = AppInput { sign_on_mode: Some("saml".into()), ..Default::default() };
        assert_eq!(validate_app(Some(&app), &unknown).unwrap_err(), [("sign_on_mode", "unknown")]);
    }
}
