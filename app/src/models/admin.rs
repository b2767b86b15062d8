//! What the admin pages and the admin API show.

use crate::domain::model::{MfaState, Millis, Role};
use serde::{Deserialize, Serialize};

/// The most rows one page of a list holds.
pub const MAX_PAGE_SIZE: u32 = 200;
/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The rows a page holds for a requested `limit`: 1 to [`MAX_PAGE_SIZE`],
/// [`DEFAULT_PAGE_SIZE`] when unsaid (0).
pub fn page_size(limit: u32) -> u32 {
    match limit {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}

/// One user in a list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub sign_in_blocked: bool,
    /// Locked out after failed passwords, until this time.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub locked_until: Option<Millis>,
    pub mfa_state: MfaState,
}

/// A page of users, in UPN order; `next_cursor` asks for the page after.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub next_cursor: Option<String>,
}

/// Which users a list asks for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Part of the UPN, display name or e-mail, any case; empty for all.
    pub search: String,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A group a user belongs to, directly or through other groups.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLicenseView {
    pub id: String,
    pub name: String,
    pub sku: String,
    pub has_seat: bool,
}

/// An app a user has.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub summary: UserSummary,
    pub job_title: String,
    pub department: String,
    pub auth_phone: String,
    pub auth_email: String,
    pub totp_enrolled: bool,
    pub must_change_password: bool,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub password_expires_at: Option<Millis>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
}

/// One user, in full, for an admin: the record with their groups,
/// licenses and apps (one flat object in JSON).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChoice {
    pub id: String,
    pub name: String,
}

/// Can this user launch this app, and if not, why: every check of the
/// access decision with pass or fail, and what the user has.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// A group's or another named thing's id and name, for links.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRef {
    pub id: String,
    pub name: String,
}

/// One group in a list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Users who are members themselves.
    pub direct_users: i64,
    /// Groups nested in it directly.
    pub direct_groups: i64,
    /// Every user it reaches, through nested groups too, counted once.
    pub effective_users: i64,
}

/// A page of groups, in name order; `next_cursor` asks for the page after.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPage {
    pub groups: Vec<GroupSummary>,
    pub next_cursor: Option<String>,
}

/// Which groups a list asks for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupQuery {
    /// Part of the name, any case; empty for all.
    pub search: String,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A license assigned to a group.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLicenseView {
    pub id: String,
    pub name: String,
    pub sku: String,
}

/// One group, in full (its member users are paged apart: a group may hold
/// 100,000 of them).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    #[serde(flatten)]
    pub summary: GroupSummary,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
    /// Groups nested in this one, by name.
    pub member_groups: Vec<NamedRef>,
    /// Groups this one is a member of, by name.
    pub member_of: Vec<NamedRef>,
    /// Apps assigned to this group.
    pub apps: Vec<NamedRef>,
    /// Licenses assigned to this group.
    pub licenses: Vec<GroupLicenseView>,
}

/// What a group's admin page shows: the group, a page of its member users,
/// people and groups to add (when the admin searched for some), and a
/// refused nesting's chain of group names (when one was just refused).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub detail: GroupDetail,
    pub members: UserPage,
    pub candidates: Option<MemberCandidates>,
    pub refused_cycle: Option<Vec<String>>,
}

/// Users and groups matching the admin's search on a group's page.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberCandidates {
    pub users: Vec<UserSummary>,
    pub groups: Vec<GroupSummary>,
}

/// One app in the admin list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    pub id: String,
    pub name: String,
    pub category: String,
    pub sign_on_mode: crate::domain::apps::SignOnMode,
    pub publisher_name: String,
    pub publisher_verified: bool,
    pub enabled: bool,
    pub visible: bool,
    pub assignment_required: bool,
}

/// A page of apps, in name order; `next_cursor` asks for the page after.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPage {
    pub apps: Vec<AppSummary>,
    pub next_cursor: Option<String>,
}

/// Which apps a list asks for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppQuery {
    /// Part of the name, publisher or category, any case; empty for all.
    pub search: String,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// A permission of the organisation's catalogue, to request.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChoice {
    pub id: String,
    /// The scope value, e.g. `Mail.Read`.
    pub value: String,
    pub display_name: String,
    pub api_name: String,
    pub admin_consent_required: bool,
}

/// One app, in full, for an admin. Its client secret is never here: only
/// whether it has one (it is shown once, when made).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAdminDetail {
    pub id: String,
    #[serde(flatten)]
    pub fields: crate::domain::apps::AppFields,
    /// OIDC apps: the client id apps present.
    pub client_id: Option<String>,
    pub has_client_secret: bool,
    pub logo_url: Option<String>,
    pub required_license_name: Option<String>,
    /// The requested permissions, as the catalogue names them.
    pub permissions: Vec<PermissionChoice>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub updated_at: Millis,
}

/// What an app's admin page shows: the app and its user access URL.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppView {
    pub detail: AppAdminDetail,
    pub user_access_url: String,
}

/// What the app form offers to choose from.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFormChoices {
    pub licenses: Vec<NamedRef>,
    pub permissions: Vec<PermissionChoice>,
}

/// Who an app is assigned to directly: a user or a group.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    /// `user` or `group`.
    pub kind: String,
    pub id: String,
    pub name: String,
    /// A user's sign-in name; a group's everyone-in-it count, in words.
    pub detail: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub assigned_at: Millis,
}

/// One person who has an app, and every way they have it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessHolder {
    pub user: UserSummary,
    /// "Assigned directly", "Through the group Engineering → Platform Team", ...
    pub paths: Vec<String>,
}

/// A page of the people who have an app, in UPN order.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPage {
    /// The app does not require assignment: everyone in the organisation
    /// has it (and `holders` lists everyone, with that path).
    pub open_to_everyone: bool,
    pub holders: Vec<AccessHolder>,
    pub next_cursor: Option<String>,
}

/// What an app's assignments page shows.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentsView {
    pub app: AppChoice,
    pub assignments: Vec<AssignmentView>,
    /// The users and groups named to review its access requests.
    pub reviewers: Vec<crate::models::consents::ReviewerView>,
    pub candidates: Option<MemberCandidates>,
    pub access: AccessPage,
}

/// A license in the admin list: its seats and how many are taken.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseSummary {
    pub id: String,
    pub name: String,
    pub sku: String,
    pub seats: i64,
    /// Seats held.
    pub seats_used: i64,
    /// People the license reaches who hold no seat ("not enough seats").
    pub without_seat: i64,
}

/// One license: its seats, who it is assigned to, and the apps that require it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseDetail {
    #[serde(flatten)]
    pub summary: LicenseSummary,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
    pub assignments: Vec<AssignmentView>,
    pub required_by: Vec<NamedRef>,
}

/// What a license's admin page shows: the license, people and groups to
/// assign it to (when the admin searched), and a page of those without a seat.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseView {
    pub detail: LicenseDetail,
    pub candidates: Option<MemberCandidates>,
    pub without_seat: UserPage,
}

/// One sign-in event in the sign-in log: who (the account, and the
/// sign-in name used — as typed, for unknown accounts) and the event.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLogEntry {
    pub id: String,
    pub user_id: Option<String>,
    pub upn: String,
    #[serde(flatten)]
    pub event: crate::models::apps::SignInEventRecord,
}

/// A page of the sign-in log, newest first; `next_cursor` asks for older.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInLogPage {
    pub events: Vec<SignInLogEntry>,
    pub next_cursor: Option<String>,
}

/// One change in the audit log, with the target before and after.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLogEntry {
    pub id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
    pub actor_user_id: Option<String>,
    /// The API token that made the change, when one did.
    #[serde(default)]
    pub actor_token_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub correlation_id: String,
}

/// A page of the audit log, newest first; `next_cursor` asks for older.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditLogPage {
    pub events: Vec<AuditLogEntry>,
    pub next_cursor: Option<String>,
}

pub use crate::domain::logs::{AuditLogQuery, SignInLogQuery};

/// An API token as admins see it: never its secret, only the secret's
/// last four characters to tell tokens apart.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub state: crate::domain::api_tokens::ApiTokenState,
    /// `mya_…` and the secret's last four characters.
    pub secret_hint: String,
    pub created_by: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: Millis,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub expires_at: Option<Millis>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub last_used_at: Option<Millis>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub revoked_at: Option<Millis>,
    pub revoked_by: Option<String>,
}

/// The API tokens page: a page of tokens, and the SCIM address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokensView {
    pub page: ApiTokenPage,
    pub scim_url: String,
}

/// A page of the organisation's API tokens, newest first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenPage {
    pub tokens: Vec<ApiTokenView>,
    pub next_cursor: Option<String>,
}

/// An OAuth app of the organisation and its usage (connected applications).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedApp {
    pub app_id: String,
    pub name: String,
    pub client_id: String,
    pub enabled: bool,
    pub public_client: bool,
    /// The latest launch, token request or userinfo call.
    pub last_seen_at: Option<i64>,
    /// Launches, token requests and userinfo calls in the last 24 hours.
    pub requests_24h: i64,
    /// The same per day (UTC) over the last 30 days, oldest first, today last.
    pub daily_requests: Vec<i64>,
}
