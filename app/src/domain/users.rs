//! What an admin may write about a user: each field checked, every problem
//! named by field with a fixed code (pages and the API turn codes into
//! sentences; nothing a person typed is echoed in an error).

use super::model::{Role, Upn, UpnError};
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 256;
pub const MAX_TEXT: usize = 256;

/// A new user as an admin typed it.
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

/// One field's problem: (field, code).
pub type FieldProblem = (&'static str, &'static str);

fn plain_text(field: &'static str, value: &str, max: usize, required: bool, problems: &mut Vec<FieldProblem>) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        problems.push((field, "missing"));
    } else if value.chars().count() > max {
        problems.push((field, "too_long"));
    } else if value.chars().any(char::is_control) {
        problems.push((field, "control_characters"));
    }
    value.to_string()
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

/// The field and code of a database constraint that refused a change: the
/// one place where constraint names meet field names. PostgreSQL names the
/// constraint; SQLite names the table and columns of a unique one.
pub fn field_of_constraint(constraint: &str) -> Option<FieldProblem> {
    Some(match constraint {
        "users_org_upn_key" | "UNIQUE constraint failed: users.org_id, users.upn_normalized" => ("upn", "taken"),
        _ => return None,
    })
}

/// The sentence for a field's problem code.
pub fn field_message(field: &str, code: &str) -> Option<&'static str> {
    Some(match (field, code) {
        ("upn", "missing") => "Enter a sign-in name, for example alex@contoso.example.",
        ("upn", "malformed") => "A sign-in name looks like name@domain, for example alex@contoso.example.",
        ("upn", "too_long") => "A sign-in name can be at most 254 characters long.",
        ("upn", "taken") => "Someone in your organisation already has this sign-in name.",
        ("display_name", "missing") => "Enter the person's name.",
        ("email", "malformed") => "An e-mail address looks like name@example.com.",
        ("role", "unknown") => "Choose Employee, App admin or Privileged admin.",
        (_, "too_long") => "This is too long (at most 256 characters).",
        (_, "control_characters") => "Remove the line breaks and other invisible characters.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_upn_constraint_is_the_upn_field() {
        assert_eq!(field_of_constraint("users_org_upn_key"), Some(("upn", "taken")));
        assert_eq!(field_of_constraint("UNIQUE constraint failed: users.org_id, users.upn_normalized"), Some(("upn", "taken")));
        assert!(field_message("upn", "taken").is_some());
        assert_eq!(field_of_constraint("something_else"), None);
    }
}
