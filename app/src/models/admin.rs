//! What the admin pages and the admin API show.

use crate::domain::model::{MfaState, Millis, Role};
use serde::{Deserialize, Serialize};

/// The most rows one page of a list holds.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// One user in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub sign_in_blocked: bool,
    /// Locked out after failed passwords, until this time.
    pub locked_until: Option<Millis>,
    pub mfa_state: MfaState,
}

/// A page of users, in UPN order; `next_cursor` asks for the page after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub next_cursor: Option<String>,
}

/// Which users a list asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Part of the UPN, display name or e-mail, any case; empty for all.
    pub search: String,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A group a user belongs to, directly or through other groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroupView {
    pub id: String,
    pub name: String,
    pub direct: bool,
    /// For an inherited group: the groups it comes through, from the user's
    /// own group up to this one.
    pub through: Vec<String>,
}

/// A license that reaches a user, and whether they hold one of its seats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLicenseView {
    pub id: String,
    pub name: String,
    pub sku: String,
    pub has_seat: bool,
}

/// An app a user has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppView {
    pub id: String,
    pub name: String,
    /// How they got it, in words ("Through the group All Staff").
    pub why: String,
    /// The reason code a launch would be refused with now, if it would be.
    pub refusal: Option<String>,
}

/// A user's own record, as an admin sees it (what the store reads from
/// the user's row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub summary: UserSummary,
    pub job_title: String,
    pub department: String,
    pub auth_phone: String,
    pub auth_email: String,
    pub totp_enrolled: bool,
    pub must_change_password: bool,
    pub password_expires_at: Option<Millis>,
    pub created_at: Millis,
}

/// One user, in full, for an admin: the record with their groups,
/// licenses and apps (one flat object in JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub groups: Vec<UserGroupView>,
    pub licenses: Vec<UserLicenseView>,
    pub apps: Vec<UserAppView>,
}

impl UserDetail {
    /// Locked out at `now`?
    pub fn locked(&self, now: Millis) -> bool {
        self.profile.summary.locked_until.is_some_and(|t| t > now)
    }
}

/// An app's id and name, for pickers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChoice {
    pub id: String,
    pub name: String,
}

/// Can this user launch this app, and if not, why: every check of the
/// access decision with pass or fail, and what the user has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCheck {
    pub user: UserSummary,
    pub app: AppChoice,
    pub allowed: bool,
    pub checks: Vec<crate::domain::decision::CheckOutcome>,
    /// How the user has the app, when they do.
    pub paths: Vec<String>,
    pub groups: Vec<UserGroupView>,
    pub licenses: Vec<UserLicenseView>,
}
