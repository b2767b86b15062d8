//! The permission catalogue (DOMAIN.md, "Permissions"): the standard
//! OpenID Connect scopes every organisation has, and what a privileged
//! admin may register besides — an API (resource) and its delegated
//! permissions, checked field by field.

use super::consent::Classification;
use super::fields::{plain_text, FieldProblem};
use serde::{Deserialize, Serialize};

/// The API that holds OpenID Connect's standard scopes: (name, identifier,
/// description). Its identifier is reserved.
pub const STANDARD_API: (&str, &str, &str) =
    ("OpenID Connect", "openid", "The standard OpenID Connect scopes: signing people in and sharing their basic profile.");

/// The standard scopes: (value, display name, description), each low
/// impact and open to user consent.
pub const STANDARD_SCOPES: &[(&str, &str, &str)] = &[
    ("openid", "Sign you in", "Sign you in with your work account"),
    ("profile", "View your basic profile", "See your name and sign-in name"),
    ("email", "View your email address", "See your email address"),
    ("offline_access", "Maintain access", "Keep access to data you gave it access to, even when you're not using the app"),
];

pub fn is_standard_api(identifier: &str) -> bool {
    identifier == STANDARD_API.1
}

/// An API as a privileged admin registers it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiInput {
    #[serde(default)]
    pub name: String,
    /// An absolute `https://` URL or a `urn:`, unique in the organisation (`openid` is reserved).
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub description: String,
}

/// A delegated permission as a privileged admin adds it to an API.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionInput {
    /// The scope an app asks for, e.g. `Reports.Read`: unique in the organisation.
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub display_name: String,
    /// What it lets an app do, in plain words.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub admin_consent_required: bool,
    /// `low`, `medium`, `high`, or empty (not classified).
    #[serde(default)]
    pub classification: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApi {
    pub name: String,
    pub identifier: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPermission {
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub admin_consent_required: bool,
    pub classification: Option<Classification>,
}

pub fn validate_api(input: &ApiInput) -> Result<NewApi, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let name = plain_text("name", &input.name, 120, true, &mut problems);
    let identifier = input.identifier.trim().to_string();
    if identifier.is_empty() {
        problems.push(("identifier", "missing"));
    } else if identifier.chars().count() > 200 {
        problems.push(("identifier", "too_long"));
    } else if is_standard_api(&identifier) {
        problems.push(("identifier", "reserved"));
    } else if !identifier_is_usable(&identifier) {
        problems.push(("identifier", "malformed_identifier"));
    }
    let description = plain_text("description", &input.description, 1000, false, &mut problems);
    if problems.is_empty() {
        Ok(NewApi { name, identifier, description })
    } else {
        Err(problems)
    }
}

/// An absolute https URL with a host and no credentials or fragment, or a
/// URN (`urn:` and something after it, no spaces).
fn identifier_is_usable(identifier: &str) -> bool {
    if let Some(rest) = identifier.strip_prefix("urn:") {
        return rest.len() > 2 && rest.contains(':') && !rest.chars().any(|c| c.is_whitespace() || c.is_control());
    }
    match url::Url::parse(identifier) {
        Ok(u) => {
            u.scheme() == "https" && u.host_str().is_some() && u.username().is_empty() && u.password().is_none() && u.fragment().is_none()
        }
        Err(_) => false,
    }
}

/// RFC 6749 §3.3: a scope token is printable ASCII without space, `"` or `\`.
fn is_scope_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

pub fn validate_permission(input: &PermissionInput) -> Result<NewPermission, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let value = input.value.trim().to_string();
    if value.is_empty() {
        problems.push(("value", "missing"));
    } else if value.len() > 100 {
        problems.push(("value", "too_long"));
    } else if !is_scope_token(&value) {
        problems.push(("value", "malformed_scope"));
    } else if STANDARD_SCOPES.iter().any(|(v, ..)| *v == value) {
        problems.push(("value", "reserved"));
    }
    let display_name = plain_text("display_name", &input.display_name, 120, false, &mut problems);
    if display_name.is_empty() {
        problems.push(("display_name", "missing_label"));
    }
    let description = plain_text("description", &input.description, 1000, false, &mut problems);
    if description.is_empty() {
        problems.push(("description", "missing_words"));
    }
    let classification = match input.classification.trim() {
        "" => None,
        other => match Classification::parse(other) {
            Some(c) => Some(c),
            None => {
                problems.push(("classification", "unknown_value"));
                None
            }
        },
    };
    if problems.is_empty() {
        Ok(NewPermission { value, display_name, description, admin_consent_required: input.admin_consent_required, classification })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(identifier: &str) -> ApiInput {
        ApiInput { name: "Reports".into(), identifier: identifier.into(), description: String::new() }
    }

    #[test]
    fn an_api_is_named_by_an_https_url_or_a_urn() {
        assert!(validate_api(&api("https://reports.example")).is_ok());
        assert!(validate_api(&api("urn:northwind:reports")).is_ok());
        for (bad, code) in [
            ("", "missing"),
            ("openid", "reserved"),
            ("http://reports.example", "malformed_identifier"),
            ("https://user:pw@reports.example", "malformed_identifier"),
            ("https://reports.example/#x", "malformed_identifier"),
            ("reports", "malformed_identifier"),
            ("urn:x", "malformed_identifier"),
            ("urn:a b:c", "malformed_identifier"),
        ] {
            assert_eq!(validate_api(&api(bad)), Err(vec![("identifier", code)]), "{bad:?}");
        }
        let nameless = ApiInput { name: " ".into(), ..api("https://reports.example") };
        assert_eq!(validate_api(&nameless), Err(vec![("name", "missing")]));
    }

    #[test]
    fn a_permission_is_a_scope_token_with_plain_words() {
        let ok = PermissionInput {
            value: " Reports.Read ".into(),
            display_name: "Read your reports".into(),
            description: "See the reports you can open".into(),
            admin_consent_required: false,
            classification: "low".into(),
        };
        let made = validate_permission(&ok).unwrap();
        assert_eq!((made.value.as_str(), made.classification), ("Reports.Read", Some(Classification::Low)));
        for (value, code) in [
            ("", "missing"),
            ("Reports Read", "malformed_scope"),
            ("a\"b", "malformed_scope"),
            ("é", "malformed_scope"),
            ("openid", "reserved"),
        ] {
            let input = PermissionInput { value: value.into(), ..ok.clone() };
            assert_eq!(validate_permission(&input), Err(vec![("value", code)]), "{value:?}");
        }
        let input = PermissionInput { description: String::new(), classification: "extreme".into(), ..ok.clone() };
        assert_eq!(validate_permission(&input), Err(vec![("description", "missing_words"), ("classification", "unknown_value")]));
        assert_eq!(validate_permission(&PermissionInput { classification: String::new(), ..ok }).unwrap().classification, None);
    }

    #[test]
    fn the_standard_scopes_are_openid_connects() {
        let values: Vec<&str> = STANDARD_SCOPES.iter().map(|(v, ..)| *v).collect();
        assert_eq!(values, ["openid", "profile", "email", "offline_access"]);
        assert!(is_standard_api("openid") && !is_standard_api("https://openid.example"));
    }
}
