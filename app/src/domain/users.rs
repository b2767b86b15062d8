//! What an admin may write about a user: each field checked, every problem
//! named by field with a fixed code (pages and the API turn codes into
//! sentences; nothing a person typed is echoed in an error).

use super::fields::{plain_text, FieldProblem};
use super::model::{MfaState, Role, Upn, UpnError};
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 256;
pub const MAX_TEXT: usize = 256;

/// A new user as an admin typed it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserInput {
    pub upn: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub department: String,
    /// `user`, `app_admin` or `privileged_admin`; empty means `user`.
    #[serde(default)]
    pub role: String,
}

/// A new user whose every field is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub upn: Upn,
    pub display_name: String,
    pub email: String,
    pub job_title: String,
    pub department: String,
    pub role: Role,
}

/// An e-mail address: empty, or one `@` with something on both sides and
/// a dot in the domain.
fn email_ok(email: &str) -> bool {
    match email.split_once('@') {
        None => false,
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
    }
}

/// Checks every field and reports every problem at once.
pub fn validate_new_user(input: &NewUserInput) -> Result<NewUser, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let upn = match Upn::parse(&input.upn) {
        Ok(upn) => Some(upn),
        Err(e) => {
            problems.push((
                "upn",
                match e {
                    UpnError::Empty => "missing",
                    UpnError::Malformed => "malformed",
                    UpnError::TooLong => "too_long",
                },
            ));
            None
        }
    };
    let display_name = plain_text("display_name", &input.display_name, MAX_NAME, true, &mut problems);
    let email = plain_text("email", &input.email, 254, false, &mut problems);
    if !email.is_empty() && !email_ok(&email) {
        problems.push(("email", "malformed"));
    }
    let job_title = plain_text("job_title", &input.job_title, MAX_TEXT, false, &mut problems);
    let department = plain_text("department", &input.department, MAX_TEXT, false, &mut problems);
    let role = match input.role.trim() {
        "" => Some(Role::User),
        other => Role::parse(other),
    };
    if role.is_none() {
        problems.push(("role", "unknown"));
    }
    match (upn, role) {
        (Some(upn), Some(role)) if problems.is_empty() => Ok(NewUser { upn, display_name, email, job_title, department, role }),
        _ => Err(problems),
    }
}

/// A user's editable fields as an admin sent them: each one left out
/// keeps its value.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEditInput {
    pub upn: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub role: Option<String>,
    pub mfa_state: Option<String>,
    pub auth_phone: Option<String>,
    pub auth_email: Option<String>,
}

/// A user's editable fields, all valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserEdit {
    pub upn: Upn,
    pub display_name: String,
    pub email: String,
    pub job_title: String,
    pub department: String,
    pub role: Role,
    pub mfa_state: MfaState,
    pub auth_phone: String,
    pub auth_email: String,
}

/// A phone number for authentication: digits with an optional leading `+`
/// and spaces, dashes, dots or brackets between; 6 to 20 digits.
fn phone_ok(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&digits) && phone.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || " -.()".contains(c) || (c == '+' && i == 0))
}

/// Applies `input` over `current` and checks every field; every problem at
/// once. `editing_self`: an admin cannot change their own role (they could
/// lock the organisation out of its own administration).
pub fn validate_user_edit(current: &UserEdit, input: &UserEditInput, editing_self: bool) -> Result<UserEdit, Vec<FieldProblem>> {
    let pick = |new: &Option<String>, old: &str| new.clone().unwrap_or_else(|| old.to_string());
    let as_new = NewUserInput {
        upn: pick(&input.upn, current.upn.as_str()),
        display_name: pick(&input.display_name, &current.display_name),
        email: pick(&input.email, &current.email),
        job_title: pick(&input.job_title, &current.job_title),
        department: pick(&input.department, &current.department),
        role: pick(&input.role, current.role.as_str()),
    };
    let mut problems = match validate_new_user(&as_new) {
        Ok(_) => vec![],
        Err(p) => p,
    };
    let mfa_state = match input.mfa_state.as_deref().map(str::trim) {
        None | Some("") => Some(current.mfa_state),
        Some(s) => MfaState::parse(s),
    };
    if mfa_state.is_none() {
        problems.push(("mfa_state", "unknown"));
    }
    let auth_phone = plain_text("auth_phone", &pick(&input.auth_phone, &current.auth_phone), 32, false, &mut problems);
    if !auth_phone.is_empty() && !phone_ok(&auth_phone) {
        problems.push(("auth_phone", "malformed"));
    }
    let auth_email = plain_text("auth_email", &pick(&input.auth_email, &current.auth_email), 254, false, &mut problems);
    if !auth_email.is_empty() && !email_ok(&auth_email) {
        problems.push(("auth_email", "malformed"));
    }
    let role = Role::parse(as_new.role.trim()).unwrap_or(current.role);
    if editing_self && role != current.role {
        problems.push(("role", "own_role"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let valid = validate_new_user(&as_new)?;
    Ok(UserEdit {
        upn: valid.upn,
        display_name: valid.display_name,
        email: valid.email,
        job_title: valid.job_title,
        department: valid.department,
        role: valid.role,
        mfa_state: mfa_state.unwrap_or(current.mfa_state),
        auth_phone,
        auth_email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::field_message;

    fn input(upn: &str, name: &str) -> NewUserInput {
        NewUserInput { upn: upn.into(), display_name: name.into(), ..Default::default() }
    }

    #[test]
    fn a_valid_user_is_trimmed_and_defaults_to_employee() {
        let user = validate_new_user(&input("  Ada@Example.org ", " Ada Lovelace ")).unwrap();
        assert_eq!(user.display_name, "Ada Lovelace");
        assert_eq!(user.role, Role::User);
        assert_eq!(user.upn.as_str(), "Ada@Example.org");
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = NewUserInput {
            upn: "no-at-sign".into(),
            display_name: " ".into(),
            email: "a@b".into(),
            job_title: "x".repeat(257),
            department: "line\nbreak".into(),
            role: "root".into(),
        };
        assert_eq!(
            validate_new_user(&bad).unwrap_err(),
            [
                ("upn", "malformed"),
                ("display_name", "missing"),
                ("email", "malformed"),
                ("job_title", "too_long"),
                ("department", "control_characters"),
                ("role", "unknown")
            ]
        );
        for (field, code) in validate_new_user(&bad).unwrap_err() {
            assert!(field_message(field, code).is_some(), "{field}:{code} has a sentence");
        }
    }

    fn current() -> UserEdit {
        UserEdit {
            upn: Upn::parse("ada@example.org").unwrap(),
            display_name: "Ada".into(),
            email: String::new(),
            job_title: String::new(),
            department: String::new(),
            role: Role::User,
            mfa_state: MfaState::Disabled,
            auth_phone: String::new(),
            auth_email: String::new(),
        }
    }

    #[test]
    fn an_edit_keeps_what_it_leaves_out_and_checks_what_it_sends() {
        let edit = UserEditInput { job_title: Some("Analyst".into()), mfa_state: Some("enforced".into()), ..Default::default() };
        let edited = validate_user_edit(&current(), &edit, false).unwrap();
        assert_eq!((edited.display_name.as_str(), edited.job_title.as_str(), edited.mfa_state), ("Ada", "Analyst", MfaState::Enforced));
        let bad = UserEditInput {
            auth_phone: Some("call me".into()),
            auth_email: Some("nope".into()),
            mfa_state: Some("sometimes".into()),
            ..Default::default()
        };
        assert_eq!(
            validate_user_edit(&current(), &bad, false).unwrap_err(),
            [("mfa_state", "unknown"), ("auth_phone", "malformed"), ("auth_email", "malformed")]
        );
        assert!(validate_user_edit(
            &current(),
            &UserEditInput { auth_phone: Some("+44 (20) 7946-0958".into()), ..Default::default() },
            false
        )
        .is_ok());
    }

    #[test]
    fn admins_cannot_change_their_own_role() {
        let promote = UserEditInput { role: Some("privileged_admin".into()), ..Default::default() };
        assert_eq!(validate_user_edit(&current(), &promote, true).unwrap_err(), [("role", "own_role")]);
        assert_eq!(validate_user_edit(&current(), &promote, false).unwrap().role, Role::PrivilegedAdmin);
    }
}
