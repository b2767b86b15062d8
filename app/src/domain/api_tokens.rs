//! API tokens for automation: what an admin may ask for when creating one,
//! and what state a stored token is in. A token acts for one organisation
//! with one admin role, whoever created it; its secret is shown once.

use super::fields::{plain_text, FieldProblem};
use super::model::{Millis, Role};
use serde::{Deserialize, Serialize};

pub const MAX_TOKEN_NAME: usize = 120;
/// The longest life a token can be given; "never expires" is asked for
/// explicitly (no `expires_in_days`).
pub const MAX_TOKEN_DAYS: i64 = 3650;
/// How often a token's last-used time is written, at most.
pub const LAST_USED_EVERY_MS: Millis = 60_000;
/// What every secret starts with, so that secret scanners and people
/// recognise one in a paste or a commit.
pub const SECRET_PREFIX: &str = "mya_";
const DAY_MS: Millis = 86_400_000;

/// A new token as an admin asked for it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInput {
    #[serde(default)]
    pub name: String,
    /// `app_admin` or `privileged_admin`.
    #[serde(default)]
    pub role: String,
    /// Days from now until it stops working; none: it never expires.
    pub expires_in_days: Option<i64>,
}

/// A new token's fields, every one valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub expires_at: Option<Millis>,
}

/// Checks a new token; every problem at once.
pub fn validate_api_token(input: &ApiTokenInput, now: Millis) -> Result<NewApiToken, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let name = plain_text("name", &input.name, MAX_TOKEN_NAME, true, &mut problems);
    let role = match Role::parse(input.role.trim()) {
        Some(role) if role.is_admin() => Some(role),
        Some(_) => {
            problems.push(("role", "token_role"));
            None
        }
        None => {
            problems.push(("role", if input.role.trim().is_empty() { "missing" } else { "token_role" }));
            None
        }
    };
    let expires_at = match input.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => Some(now + days * DAY_MS),
        Some(_) => {
            problems.push(("expires_in_days", "out_of_range"));
            None
        }
    };
    match role {
        Some(role) if problems.is_empty() => Ok(NewApiToken { name, role, expires_at }),
        _ => Err(problems),
    }
}

/// Where a stored token stands.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiTokenState {
    Active,
    Expired,
    Revoked,
}

impl ApiTokenState {
    pub fn of(expires_at: Option<Millis>, revoked_at: Option<Millis>, now: Millis) -> Self {
        match (revoked_at, expires_at) {
            (Some(_), _) => ApiTokenState::Revoked,
            (None, Some(at)) if at <= now => ApiTokenState::Expired,
            _ => ApiTokenState::Active,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ApiTokenState::Active => "Active",
            ApiTokenState::Expired => "Expired",
            ApiTokenState::Revoked => "Revoked",
        }
    }
}

/// Whether a use of a token at `now` should write its last-used time
/// (the first use, then at most once a minute: a script's burst of calls
/// writes once, not once per call).
pub fn last_used_due(last_used_at: Option<Millis>, now: Millis) -> bool {
    last_used_at.is_none_or(|at| now - at >= LAST_USED_EVERY_MS)
}

/// The part of an `Authorization` header that may be one of our secrets:
/// `Bearer mya_<43 characters of base64url>` (scheme in any case). Anything
/// else is not looked up.
pub fn bearer_secret(header: &str) -> Option<&str> {
    let (scheme, secret) = header.trim().split_once(' ')?;
    let secret = secret.trim();
    let body = secret.strip_prefix(SECRET_PREFIX)?;
    let well_formed = body.len() == 43 && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (scheme.eq_ignore_ascii_case("bearer") && well_formed).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::field_message;

    #[test]
    fn a_token_needs_a_name_and_an_admin_role() {
        let input = ApiTokenInput { name: " HR sync ".into(), role: "privileged_admin".into(), expires_in_days: Some(90) };
        let token = validate_api_token(&input, 1_000).unwrap();
        assert_eq!(token, NewApiToken { name: "HR sync".into(), role: Role::PrivilegedAdmin, expires_at: Some(1_000 + 90 * DAY_MS) });
        let never = ApiTokenInput { expires_in_days: None, ..input.clone() };
        assert_eq!(validate_api_token(&never, 1_000).unwrap().expires_at, None);

        let problems = validate_api_token(&ApiTokenInput::default(), 0).unwrap_err();
        assert_eq!(problems, [("name", "missing"), ("role", "missing")]);
        let bad = ApiTokenInput { name: "x".repeat(121), role: "user".into(), expires_in_days: Some(0) };
        let problems = validate_api_token(&bad, 0).unwrap_err();
        assert_eq!(problems, [("name", "too_long"), ("role", "token_role"), ("expires_in_days", "out_of_range")]);
        let bad = ApiTokenInput { name: "x".into(), role: "root".into(), expires_in_days: Some(MAX_TOKEN_DAYS + 1) };
        assert_eq!(validate_api_token(&bad, 0).unwrap_err(), [("role", "token_role"), ("expires_in_days", "out_of_range")]);
        for (field, code) in [("name", "too_long"), ("role", "token_role"), ("role", "missing"), ("expires_in_days", "out_of_range")] {
            assert!(field_message(field, code).is_some(), "{field}:{code}");
        }
    }

    #[test]
    fn state_follows_revocation_then_expiry() {
        assert_eq!(ApiTokenState::of(None, None, 5), ApiTokenState::Active);
        assert_eq!(ApiTokenState::of(Some(6), None, 5), ApiTokenState::Active);
        assert_eq!(ApiTokenState::of(Some(5), None, 5), ApiTokenState::Expired);
        assert_eq!(ApiTokenState::of(Some(4), Some(3), 5), ApiTokenState::Revoked);
    }

    #[test]
    fn last_used_is_written_at_most_once_a_minute() {
        assert!(last_used_due(None, 0));
        assert!(!last_used_due(Some(1_000), 1_000 + LAST_USED_EVERY_MS - 1));
        assert!(last_used_due(Some(1_000), 1_000 + LAST_USED_EVERY_MS));
    }

    #[test]
    fn only_well_formed_bearer_secrets_are_looked_up() {
        let secret = format!("mya_{}", "a".repeat(43));
        assert_eq!(bearer_secret(&format!("Bearer {secret}")), Some(secret.as_str()));
        assert_eq!(bearer_secret(&format!("bearer  {secret} ")), Some(secret.as_str()));
        assert_eq!(bearer_secret(&format!("Basic {secret}")), None);
        assert_eq!(bearer_secret(&format!("Bearer mya_{}", "a".repeat(42))), None);
        assert_eq!(bearer_secret(&format!("Bearer xyz_{}", "a".repeat(43))), None);
        assert_eq!(bearer_secret(&format!("Bearer mya_{}!", "a".repeat(42))), None);
        assert_eq!(bearer_secret("Bearer"), None);
    }
}
