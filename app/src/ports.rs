//! The storage interface the application needs, declared here (next to the
//! domain) and implemented by the server for SQLite and PostgreSQL. Handlers
//! and server functions see only this trait, never SQL.
//!
//! Every method that reads or writes org-owned data takes the org id and
//! scopes its query by it.

use crate::domain::model::{MfaState, Millis, Role, SessionStage};
use async_trait::async_trait;

/// A storage failure. Its message is for the log only: callers turn it into a
/// generic client error with a correlation id.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or other named constraint refused the change.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A value the caller sent cannot be used (a cursor we did not make).
    #[error("invalid {field}: {message}")]
    InvalidInput { field: &'static str, message: &'static str },
    #[error("storage failure: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An account as the sign-in flow needs it.
#[derive(Clone, Debug)]
pub struct SignInAccount {
    pub user_id: String,
    pub org_id: String,
    pub upn: String,
    pub password_hash: Option<String>,
    pub sign_in_blocked: bool,
    pub locked_until: Option<Millis>,
    pub failed_sign_in_count: i64,
    pub password_expires_at: Option<Millis>,
    pub must_change_password: bool,
    pub mfa_state: MfaState,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

/// What became of a launch handed to [`AccessStore::record_launch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchRecorded {
    /// Committed: the person may be sent on.
    Recorded,
    /// The session it was decided with has changed (or ended) since it was
    /// read: nothing was written.
    SessionChanged,
}

/// A session with the user and organisation it belongs to: what every
/// request after sign-in needs, read in one query. Equal records were read
/// from identical rows (see [`AccessStore::record_launch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub stage: SessionStage,
    pub csrf_token: String,
    pub pending_totp_secret: Option<String>,
    pub last_seen_at: Millis,
    pub idle_expires_at: Millis,
    pub absolute_expires_at: Millis,
    /// When the person proved who they are (the password) for this
    /// session: an ID token's `auth_time`.
    pub authenticated_at: Millis,
    pub user: SessionUser,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub org_id: String,
    pub org_name: String,
    pub upn: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub sign_in_blocked: bool,
    pub password_expires_at: Option<Millis>,
    pub must_change_password: bool,
    pub mfa_state: MfaState,
    pub totp_enrolled: bool,
    pub locked_until: Option<Millis>,
    /// The organisation's consent settings (see [`AccountStatus`]).
    pub user_consent_policy: String,
    pub admin_consent_workflow_enabled: bool,
    /// The organisation's access version when the session was read: it
    /// changes with every change to the inputs of the access decision
    /// (groups, memberships, apps, assignments, licenses, seats,
    /// permissions, grants), whichever server made it.
    pub access_version: i64,
}

impl SessionUser {
    /// The account state and org settings, as of this request.
    pub fn account_status(&self) -> AccountStatus {
        AccountStatus {
            sign_in_blocked: self.sign_in_blocked,
            locked_until: self.locked_until,
            password_expires_at: self.password_expires_at,
            must_change_password: self.must_change_password,
            user_consent_policy: self.user_consent_policy.clone(),
            admin_consent_workflow_enabled: self.admin_consent_workflow_enabled,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub id_hash: String,
    pub org_id: String,
    pub user_id: String,
    pub stage: SessionStage,
    pub csrf_token: String,
    pub pending_totp_secret: Option<String>,
    pub created_at: Millis,
    pub idle_expires_at: Millis,
    pub absolute_expires_at: Millis,
    pub client_ip: String,
    pub user_agent: String,
}

/// Kinds of sign-in event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInKind {
    Portal,
    Launch,
    Token,
    Userinfo,
}

impl SignInKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInKind::Portal => "portal",
            SignInKind::Launch => "launch",
            SignInKind::Token => "token",
            SignInKind::Userinfo => "userinfo",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInOutcome {
    Success,
    Failure,
    /// Password accepted, a further step (MFA, password change) pending.
    Interrupted,
}

impl SignInOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInOutcome::Success => "success",
            SignInOutcome::Failure => "failure",
            SignInOutcome::Interrupted => "interrupted",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SignInEvent {
    pub org_id: String,
    pub correlation_id: String,
    pub user_id: Option<String>,
    pub upn_attempted: String,
    pub app_id: Option<String>,
    pub kind: SignInKind,
    pub outcome: SignInOutcome,
    pub reason_code: String,
    pub client_ip: String,
    pub user_agent: String,
    pub at: Millis,
}

#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub org_id: String,
    pub actor_user_id: Option<String>,
    /// Set when the actor is an API token (then `actor_user_id` is not).
    pub actor_token_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub correlation_id: String,
    pub at: Millis,
}

/// What a failed password does to the account, applied with its sign-in
/// event in one transaction.
#[derive(Clone, Debug)]
pub struct FailedPassword {
    pub user_id: String,
    pub org_id: String,
    pub failed_sign_in_count: i64,
    pub locked_until: Option<Millis>,
}

// `set_password` takes everything one transaction changes, by name.
#[allow(clippy::too_many_arguments)]
#[async_trait]
pub trait Store:
    AccessStore
    + DirectoryStore
    + UsersStore
    + GroupsStore
    + AppsStore
    + LicensesStore
    + LogsStore
    + ApiTokensStore
    + ScimStore
    + ScimGroupsStore
    + ConsentStore
    + ConsentSettingsStore
    + PermissionsStore
    + RequestsStore
    + NotificationsStore
    + OAuthStore
    + Send
    + Sync
    + 'static
{
    /// Is the database reachable?
    async fn ping(&self) -> StoreResult<()>;

    /// Accounts with this (lower-cased) UPN, in any organisation, or in the
    /// one given.
    async fn find_sign_in_accounts(&self, upn_normalized: &str, org_id: Option<&str>) -> StoreResult<Vec<SignInAccount>>;

    /// One account by id, for the steps after the password.
    async fn find_sign_in_account(&self, org_id: &str, user_id: &str) -> StoreResult<Option<SignInAccount>>;

    /// Records a failed password (counter, lock) and its sign-in event together.
    async fn record_failed_password(&self, failed: FailedPassword, event: SignInEvent) -> StoreResult<()>;

    /// Records a sign-in event on its own (unknown account, blocked, ...).
    async fn record_sign_in_event(&self, event: SignInEvent) -> StoreResult<()>;

    /// Starts a session after a right password: resets the failure counter,
    /// stores the session and records the sign-in event, in one transaction.
    async fn start_session(&self, session: NewSession, event: SignInEvent) -> StoreResult<()>;

    async fn find_session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;

    /// The session with this id digest as this server last read it (no I/O;
    /// only a signed-in session with nothing pending). Never an answer on its
    /// own: whatever is decided from it must be confirmed against the
    /// database, as [`AccessStore::record_launch`] does with `confirm`.
    fn cached_session(&self, id_hash: &str) -> Option<std::sync::Arc<SessionRecord>>;

    async fn touch_session(&self, id_hash: &str, now: Millis, idle_expires_at: Millis) -> StoreResult<()>;

    /// Moves a session to its next stage under a new id (the old id stops
    /// working), with new deadlines.
    async fn advance_session(&self, old_id_hash: &str, new_session: NewSession, event: Option<SignInEvent>) -> StoreResult<()>;

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;

    /// Confirms an authenticator: stores the secret and the step its first
    /// code used.
    async fn enrol_totp(&self, org_id: &str, user_id: &str, secret_base32: &str, step: i64, audit: AuditEvent) -> StoreResult<()>;

    /// Remembers the last accepted TOTP step. Returns false when a code of
    /// that step (or later) was already used: a replay.
    async fn use_totp_step(&self, org_id: &str, user_id: &str, step: i64) -> StoreResult<bool>;

    /// Stores a new password hash, clears the must-change flag, and ends the
    /// user's other sessions.
    async fn set_password(
        &self,
        org_id: &str,
        user_id: &str,
        password_hash: &str,
        changed_at: Millis,
        expires_at: Option<Millis>,
        keep_session: &str,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Deletes sessions whose deadlines passed; returns how many.
    async fn delete_expired_sessions(&self, now: Millis) -> StoreResult<u64>;
}

/// A user's account state and org settings, for the access decision.
#[derive(Clone, Debug)]
pub struct AccountStatus {
    pub sign_in_blocked: bool,
    pub locked_until: Option<Millis>,
    pub password_expires_at: Option<Millis>,
    pub must_change_password: bool,
    pub user_consent_policy: String,
    pub admin_consent_workflow_enabled: bool,
}

/// An application as the portal shows and launches it.
#[derive(Clone, Debug)]
pub struct AppRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub logo_url: Option<String>,
    pub category: String,
    pub publisher_name: String,
    pub publisher_verified: bool,
    pub registered_in_org: bool,
    pub enabled: bool,
    pub visible: bool,
    pub assignment_required: bool,
    pub required_license_id: Option<String>,
    pub sign_on_mode: String,
    pub launch_url: Option<String>,
    pub initiate_login_uri: Option<String>,
    pub consent_blocked: bool,
}

/// An assignment that reaches the user: to them, or to one of their groups.
#[derive(Clone, Debug)]
pub struct AssignmentRecord {
    pub app_id: String,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
}

/// A permission an app requests, and whether a grant covers it.
#[derive(Clone, Debug)]
pub struct RequestedPermission {
    pub app_id: String,
    pub permission_id: String,
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub api_name: String,
    pub admin_consent_required: bool,
    pub classification: Option<String>,
    /// Granted tenant-wide (admin consent for all users), and when.
    pub tenant_granted_at: Option<Millis>,
    /// Granted by or for this user, and when.
    pub user_granted_at: Option<Millis>,
}

/// Everything the access decision and the My Apps views need about one user
/// (and all their candidate apps, or one app), read in a fixed number of
/// queries whose cost grows with the user's own memberships and assignments.
#[derive(Clone, Debug)]
pub struct AccessSnapshot {
    pub account: AccountStatus,
    /// (group id, name, is the user a direct member)
    pub groups: Vec<(String, String, bool)>,
    /// (member group, parent group) edges among the user's groups
    pub group_edges: Vec<(String, String)>,
    pub apps: Vec<AppRecord>,
    pub assignments: Vec<AssignmentRecord>,
    /// (license id, has a seat)
    pub seats: Vec<(String, bool)>,
    pub permissions: Vec<RequestedPermission>,
    /// (app id, when)
    pub pins: Vec<(String, Millis)>,
    pub recents: Vec<(String, Millis)>,
    /// Group id → the chain of group names from one of the user's direct
    /// groups to it: derived from `groups` and `group_edges` on first use
    /// (`services::access`), once per snapshot however often a cached
    /// snapshot is decided from. Build snapshots with it empty (`Default`).
    pub group_chains: std::sync::OnceLock<std::collections::HashMap<String, Vec<String>>>,
}

pub use crate::models::apps::SignInEventRecord;

#[async_trait]
pub trait AccessStore: Send + Sync + 'static {
    /// See [`AccessSnapshot`]. With `app_id`, only that app (whether or not
    /// it is assigned, so the decision can say why not).
    async fn access_snapshot(&self, org_id: &str, user_id: &str, app_id: Option<&str>, now: Millis) -> StoreResult<AccessSnapshot>;

    /// The snapshot of one app for a launch, as of the user's
    /// `access_version` or later. A server may answer from memory, but only
    /// while the organisation's access version is still the one the session
    /// read in this request, so every change takes effect at once on every
    /// server. Its `account` part is not to be used: take
    /// [`SessionUser::account_status`], read fresh with the session.
    async fn launch_snapshot(&self, user: &SessionUser, app_id: &str, now: Millis) -> StoreResult<std::sync::Arc<AccessSnapshot>>;

    /// The same for anyone whose organisation's access version was read at
    /// `access_version` in this request (a token request reads it with the
    /// user: [`OAuthStore::token_holder`]).
    async fn snapshot_at_version(
        &self,
        org_id: &str,
        user_id: &str,
        app_id: &str,
        access_version: i64,
        now: Millis,
    ) -> StoreResult<std::sync::Arc<AccessSnapshot>>;

    /// Records a launch: its sign-in event and, when it succeeded, the
    /// app's daily counter and the user's recently used list. One transaction.
    /// With `confirm` (a session from [`Store::cached_session`] the launch
    /// was decided with), the session is read again after this call began
    /// and the launch is written only if it is still exactly that session;
    /// otherwise nothing is written and the answer is
    /// [`LaunchRecorded::SessionChanged`]: decide again from a fresh read.
    async fn record_launch(
        &self,
        event: SignInEvent,
        succeeded: bool,
        confirm: Option<std::sync::Arc<SessionRecord>>,
    ) -> StoreResult<LaunchRecorded>;

    /// One of the user's own sign-in events, by correlation id.
    async fn find_own_sign_in_event(&self, org_id: &str, user_id: &str, correlation_id: &str) -> StoreResult<Option<SignInEventRecord>>;

    /// Pins or unpins an app the user can see. Returns false when there is
    /// no such app in the org.
    async fn set_pinned(&self, org_id: &str, user_id: &str, app_id: &str, pinned: bool, now: Millis) -> StoreResult<bool>;
}

/// Who an app or a license is assigned to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Group(String),
}

/// What adding a member to a group did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberAdded {
    Added,
    AlreadyMember,
    /// Refused: the group is already (transitively) inside the member. The
    /// chain `[group, ..., member]`, each a member of the next.
    WouldCloseCycle(Vec<crate::models::admin::NamedRef>),
}

/// Changes to who has what: app assignments, group memberships and license
/// assignments. Each is one transaction with its audit event; those that can
/// move a license seat recompute the seats of the licenses concerned in the
/// same transaction. (Every one of them moves the organisation's access
/// version, by trigger, so servers' cached decision inputs stop being used.)
#[async_trait]
pub trait DirectoryStore: Send + Sync + 'static {
    /// Assigns an app; false when it was already assigned so.
    async fn add_app_assignment(&self, org_id: &str, app_id: &str, to: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Removes an assignment; false when there was none.
    async fn remove_app_assignment(&self, org_id: &str, app_id: &str, from: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Makes a user or a group a direct member of a group. Nesting that
    /// would close a cycle writes nothing and names the chain of groups.
    async fn add_group_member(&self, org_id: &str, group_id: &str, member: &Principal, audit: AuditEvent) -> StoreResult<MemberAdded>;

    /// Removes a direct member (user or group); false when there was none.
    async fn remove_group_member(&self, org_id: &str, group_id: &str, member: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Assigns a license; false when it was already assigned so.
    async fn add_license_assignment(&self, org_id: &str, license_id: &str, to: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Removes a license assignment; false when there was none.
    async fn remove_license_assignment(&self, org_id: &str, license_id: &str, from: &Principal, audit: AuditEvent) -> StoreResult<bool>;
}

/// A user an admin creates, with the hash of their temporary password.
#[derive(Clone, Debug)]
pub struct NewUserRecord {
    pub id: String,
    pub org_id: String,
    pub user: crate::domain::users::NewUser,
    pub password_hash: String,
    pub created_at: Millis,
}

/// Users, for admins. Every call is scoped to one organisation: ids of
/// another organisation's rows are not found.
#[async_trait]
pub trait UsersStore: Send + Sync + 'static {
    /// A page of users matching the query, in UPN order.
    async fn search_users(&self, org_id: &str, query: &crate::models::admin::UserQuery) -> StoreResult<crate::models::admin::UserPage>;

    async fn find_user(&self, org_id: &str, user_id: &str) -> StoreResult<Option<crate::models::admin::UserProfile>>;

    /// The licenses that reach the user (directly or through groups), with
    /// whether they hold a seat.
    async fn user_licenses(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<crate::models::admin::UserLicenseView>>;

    /// Blocks or unblocks sign-in; blocking also ends every session of the
    /// user. False when the user does not exist or already was so.
    async fn set_sign_in_blocked(&self, org_id: &str, user_id: &str, blocked: bool, audit: AuditEvent) -> StoreResult<bool>;

    /// Lifts a lockout after failed passwords (and resets the count). False
    /// when the user does not exist or was not locked at `now`.
    async fn unlock_user(&self, org_id: &str, user_id: &str, now: Millis, audit: AuditEvent) -> StoreResult<bool>;

    /// Creates a user who must change their (temporary) password at first
    /// sign-in. A UPN already in the organisation is a `Conflict` on
    /// `users_org_upn_key`.
    async fn create_user(&self, user: NewUserRecord, audit: AuditEvent) -> StoreResult<()>;

    /// Replaces the password with a temporary one to be changed at next
    /// sign-in; lifts any lockout and ends every session. False when there
    /// is no such user.
    async fn set_temporary_password(&self, org_id: &str, user_id: &str, password_hash: &str, audit: AuditEvent) -> StoreResult<bool>;

    /// Forgets the user's enrolled authenticator (they enrol a new one at
    /// their next sign-in where MFA applies) and ends their sessions. False
    /// when there is no such user or no authenticator enrolled.
    async fn reset_authenticator(&self, org_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool>;

    /// Writes a user's editable fields. A UPN already in the organisation
    /// is a `Conflict` on `users_org_upn_key`. False when there is no such user.
    async fn update_user(&self, org_id: &str, user_id: &str, edit: &crate::domain::users::UserEdit, audit: AuditEvent)
        -> StoreResult<bool>;
}

/// OAuth client credentials an app is given: its client id and the SHA-256
/// digest of its secret (None for a public client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret_digest: Option<String>,
}

/// An uploaded logo: checked bytes, their type and SHA-256 digest (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppLogo {
    pub content_type: String,
    pub digest: String,
    pub bytes: Vec<u8>,
}

/// Apps, for admins. Scoped to one organisation.
#[async_trait]
pub trait AppsStore: Send + Sync + 'static {
    /// Every app of the organisation, by name (for pickers).
    async fn list_app_choices(&self, org_id: &str) -> StoreResult<Vec<crate::models::admin::AppChoice>>;

    /// A page of apps matching the query, in name order.
    async fn search_apps(&self, org_id: &str, query: &crate::models::admin::AppQuery) -> StoreResult<crate::models::admin::AppPage>;

    async fn find_app_admin(&self, org_id: &str, app_id: &str) -> StoreResult<Option<crate::models::admin::AppAdminDetail>>;

    /// The organisation's permission catalogue, for the app form.
    async fn permission_choices(&self, org_id: &str) -> StoreResult<Vec<crate::models::admin::PermissionChoice>>;

    /// The organisation's licenses (id, name), for the app form.
    async fn license_choices(&self, org_id: &str) -> StoreResult<Vec<crate::models::admin::NamedRef>>;

    /// Registers an app with its redirect URIs and requested permissions.
    async fn create_app(
        &self,
        org_id: &str,
        app_id: &str,
        fields: &crate::domain::apps::AppFields,
        credentials: Option<&ClientCredentials>,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Writes every field, replacing the redirect URIs and permissions;
    /// `credentials` when the app is given its first ones (it became an
    /// OIDC app). False when there is no such app.
    async fn update_app(
        &self,
        org_id: &str,
        app_id: &str,
        fields: &crate::domain::apps::AppFields,
        credentials: Option<&ClientCredentials>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Replaces the client secret's digest (None: a public client has
    /// none). The old secret stops working at once; tokens the app holds
    /// stay valid, but refreshing them needs the new secret. False when
    /// there is no such OIDC app.
    async fn set_client_secret(&self, org_id: &str, app_id: &str, secret_digest: Option<&str>, audit: AuditEvent) -> StoreResult<bool>;

    /// Sets (or with None removes) the app's uploaded logo; its address
    /// (`/logos/{app}/{digest}`) becomes the app's `logo_url`. False when
    /// there is no such app.
    async fn set_app_logo(&self, org_id: &str, app_id: &str, logo: Option<&AppLogo>, audit: AuditEvent) -> StoreResult<bool>;

    /// An app's uploaded logo, when its digest is `digest`.
    async fn find_app_logo(&self, org_id: &str, app_id: &str, digest: &str) -> StoreResult<Option<AppLogo>>;

    /// Who the app is assigned to directly (users, then groups, by name).
    async fn app_assignments(&self, org_id: &str, app_id: &str) -> StoreResult<Vec<crate::models::admin::AssignmentView>>;

    /// A page of the people who have the app (in UPN order), with every
    /// path they have it by: assigned directly, through an assigned group
    /// (and the nested groups down to theirs), or open to everyone.
    async fn app_access(
        &self,
        org_id: &str,
        app_id: &str,
        query: &crate::models::admin::UserQuery,
    ) -> StoreResult<crate::models::admin::AccessPage>;

    /// Deletes the app and everything that hangs off it (assignments,
    /// grants, tokens, usage). False when there is no such app.
    async fn delete_app(&self, org_id: &str, app_id: &str, audit: AuditEvent) -> StoreResult<bool>;
}

/// Groups, for admins. Scoped to one organisation; memberships are changed
/// through [`DirectoryStore`] (they move seats).
#[async_trait]
pub trait GroupsStore: Send + Sync + 'static {
    /// A page of groups whose name matches, in name order.
    async fn search_groups(&self, org_id: &str, query: &crate::models::admin::GroupQuery) -> StoreResult<crate::models::admin::GroupPage>;

    async fn find_group(&self, org_id: &str, group_id: &str) -> StoreResult<Option<crate::models::admin::GroupDetail>>;

    /// A page of the group's direct member users, in UPN order.
    async fn group_member_users(
        &self,
        org_id: &str,
        group_id: &str,
        query: &crate::models::admin::UserQuery,
    ) -> StoreResult<crate::models::admin::UserPage>;

    /// A name already used in the organisation (any case) is a `Conflict`
    /// on `user_groups_org_name_key`.
    async fn create_group(
        &self,
        org_id: &str,
        group_id: &str,
        fields: &crate::domain::groups::GroupFields,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// False when there is no such group. A name taken as in `create_group`.
    async fn update_group(
        &self,
        org_id: &str,
        group_id: &str,
        fields: &crate::domain::groups::GroupFields,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes the group, its memberships, nesting, app and license
    /// assignments; recomputes the seats it moved. False when there is no
    /// such group.
    async fn delete_group(&self, org_id: &str, group_id: &str, audit: AuditEvent) -> StoreResult<bool>;
}

/// Licenses, for admins. Scoped to one organisation; assignments are
/// changed through [`DirectoryStore`] (they move seats).
#[async_trait]
pub trait LicensesStore: Send + Sync + 'static {
    /// Every license of the organisation, by name, with its seat counts.
    async fn list_licenses(&self, org_id: &str) -> StoreResult<Vec<crate::models::admin::LicenseSummary>>;

    async fn find_license(&self, org_id: &str, license_id: &str) -> StoreResult<Option<crate::models::admin::LicenseDetail>>;

    /// A page of the people the license reaches who hold no seat, in UPN order.
    async fn license_without_seat(
        &self,
        org_id: &str,
        license_id: &str,
        query: &crate::models::admin::UserQuery,
    ) -> StoreResult<crate::models::admin::UserPage>;

    /// A product code already used is a `Conflict` on `licenses_org_sku_key`.
    async fn create_license(
        &self,
        org_id: &str,
        license_id: &str,
        fields: &crate::domain::licenses::LicenseFields,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Writes the fields and recomputes the seats (a new seat count moves
    /// them), in one transaction. False when there is no such license.
    async fn update_license(
        &self,
        org_id: &str,
        license_id: &str,
        fields: &crate::domain::licenses::LicenseFields,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes the license with its assignments and seats. An app that
    /// requires it makes this a `Conflict`. False when there is no such license.
    async fn delete_license(&self, org_id: &str, license_id: &str, audit: AuditEvent) -> StoreResult<bool>;
}

/// The sign-in and audit logs, for admins: filtered, newest first, paged by
/// an opaque cursor (a cursor this store did not make is `InvalidInput`).
#[async_trait]
pub trait LogsStore: Send + Sync + 'static {
    async fn sign_in_log(
        &self,
        org_id: &str,
        filter: &crate::domain::logs::SignInFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<crate::models::admin::SignInLogPage>;

    async fn audit_log(
        &self,
        org_id: &str,
        filter: &crate::domain::logs::AuditFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> StoreResult<crate::models::admin::AuditLogPage>;
}

/// A live API token, as the request it authenticates sees it: it acts for
/// `org_id` with `role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenCaller {
    pub token_id: String,
    pub org_id: String,
    pub name: String,
    pub role: Role,
}

/// A token to store: only the digest of its secret.
#[derive(Clone, Debug)]
pub struct NewApiTokenRecord {
    pub id: String,
    pub org_id: String,
    pub token: crate::domain::api_tokens::NewApiToken,
    pub secret_digest: String,
    pub secret_hint: String,
    pub created_by: String,
    pub created_at: Millis,
}

/// The organisation's API tokens.
#[async_trait]
pub trait ApiTokensStore: Send + Sync + 'static {
    /// The live (not revoked, not expired) token whose secret has this
    /// digest, and its use recorded (at most once a minute).
    async fn authenticate_api_token(&self, secret_digest: &str, now: Millis) -> StoreResult<Option<ApiTokenCaller>>;

    /// Newest first, revoked and expired ones too.
    async fn list_api_tokens(
        &self,
        org_id: &str,
        cursor: Option<&str>,
        limit: u32,
        now: Millis,
    ) -> StoreResult<crate::models::admin::ApiTokenPage>;

    async fn find_api_token(&self, org_id: &str, token_id: &str, now: Millis) -> StoreResult<Option<crate::models::admin::ApiTokenView>>;

    /// Stores the token with its audit event. A name another live token
    /// has is a `Conflict` on `api_tokens_org_live_name_key`.
    async fn create_api_token(&self, token: NewApiTokenRecord, audit: AuditEvent) -> StoreResult<()>;

    /// Revokes a token that is not revoked yet, with its audit event.
    /// False when there is none such.
    async fn revoke_api_token(&self, org_id: &str, token_id: &str, revoked_by: &str, audit: AuditEvent) -> StoreResult<bool>;
}

/// Consent grants, as the user who gave them (and the launch that needs
/// them) sees them. Scoped to one organisation like the rest.
#[async_trait]
pub trait ConsentStore: Send + Sync + 'static {
    /// Records the user's own consent to these permissions of the app (a
    /// grant for them, made if they have none, and its permissions), with
    /// its audit event, in one transaction.
    async fn grant_user_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        permission_ids: &[String],
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// The user's own grants (for any app of the org), then the
    /// organisation's grants for the apps the user has; and whether the org
    /// lets users remove theirs.
    async fn my_consents(&self, org_id: &str, user_id: &str) -> StoreResult<crate::models::consents::MyConsents>;

    /// Removes the user's own grant for the app and, with it, every OAuth
    /// token issued under it, with its audit event, in one transaction.
    /// The number of refresh tokens revoked, or None when they had no grant.
    async fn revoke_user_consent(&self, org_id: &str, app_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<Option<u64>>;

    /// Every grant of an app, for privileged admins; None when the org has
    /// no such app.
    async fn app_consents(&self, org_id: &str, app_id: &str) -> StoreResult<Option<crate::models::consents::AppConsents>>;

    /// An admin's grant of these permissions of the app, for the whole
    /// organisation (`user_id` None) or one user, with its audit event.
    /// `NotFound` when the org has no such app or user.
    async fn admin_grant_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: Option<&str>,
        permission_ids: &[String],
        granted_by: &Decider,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Revokes one grant of the app and every OAuth token issued under it,
    /// with its audit event. The refresh tokens revoked, or None when the
    /// app has no such grant.
    async fn revoke_grant(&self, org_id: &str, app_id: &str, grant_id: &str, audit: AuditEvent) -> StoreResult<Option<u64>>;
}

/// The org's consent settings and the admin-consent workflow's reviewers,
/// as privileged admins manage them.
#[async_trait]
pub trait ConsentSettingsStore: Send + Sync + 'static {
    /// The org's consent settings and the workflow's reviewers (users by
    /// name, then groups by name).
    async fn consent_settings(&self, org_id: &str) -> StoreResult<crate::models::consents::ConsentSettingsView>;

    /// Saves the settings with their audit event.
    async fn update_consent_settings(
        &self,
        org_id: &str,
        settings: &crate::domain::consent_settings::ConsentSettings,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Adds a reviewer of the org (false when they already are one);
    /// `NotFound` when no such user or group is in the org.
    async fn add_consent_reviewer(&self, org_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Removes a reviewer (false when they were not one). Refused with
    /// `Conflict { constraint: "last_reviewer" }` when the workflow is on and
    /// they are the last.
    async fn remove_consent_reviewer(&self, org_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool>;
}

/// The organisation's permission catalogue: APIs and their delegated
/// permissions, classified by privileged admins.
#[async_trait]
pub trait PermissionsStore: Send + Sync + 'static {
    /// Every API of the org by name, each with its permissions by value.
    async fn permission_catalogue(&self, org_id: &str) -> StoreResult<Vec<crate::models::consents::CatalogueApi>>;

    /// Registers an API with its audit event; its id. `Conflict` on the
    /// identifier when the org has one.
    async fn create_api(&self, org_id: &str, api: &crate::domain::catalogue::NewApi, audit: AuditEvent) -> StoreResult<String>;

    /// Adds a permission to one of the org's APIs with its audit event; its
    /// id. `NotFound` for an API the org does not have; `Conflict {
    /// "standard_api" }` for OpenID Connect's; `Conflict { "value_taken" }`
    /// when another permission of the org has the scope.
    async fn create_permission(
        &self,
        org_id: &str,
        api_id: &str,
        permission: &crate::domain::catalogue::NewPermission,
        audit: AuditEvent,
    ) -> StoreResult<String>;

    /// Deletes a permission no app asks for, with its audit event (and the
    /// grants of it). False when the org has no such permission; `Conflict
    /// { "permission_in_use" }` while an app asks for it, `Conflict {
    /// "standard_api" }` for a standard scope.
    async fn delete_permission(&self, org_id: &str, permission_id: &str, audit: AuditEvent) -> StoreResult<bool>;

    /// Gives every organisation OpenID Connect's standard scopes it lacks
    /// (run at start-up; new organisations get them when created).
    async fn ensure_standard_scopes(&self) -> StoreResult<u64>;

    /// Sets (or clears) a permission's classification with its audit
    /// event. False when the org has no such permission.
    async fn classify_permission(
        &self,
        org_id: &str,
        permission_id: &str,
        classification: Option<crate::domain::consent::Classification>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
}

/// A user as SCIM sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimUserRecord {
    pub id: String,
    pub fields: crate::domain::scim::resource::UserFields,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One page of a SCIM list, and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimPage<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// Users (and, through `GroupsStore` and `DirectoryStore`, groups) as a
/// SCIM client provisions them. Scoped to one organisation like the rest.
#[async_trait]
pub trait ScimStore: Send + Sync + 'static {
    /// Users matching the conditions (all without), in UPN order, from
    /// `offset` (0-based), at most `count`.
    async fn scim_users(
        &self,
        org_id: &str,
        filter: Option<&crate::domain::scim::query::Cond<crate::domain::scim::query::UserAttr>>,
        offset: u64,
        count: u32,
    ) -> StoreResult<ScimPage<ScimUserRecord>>;

    async fn scim_user(&self, org_id: &str, user_id: &str) -> StoreResult<Option<ScimUserRecord>>;

    /// The groups the user is in, directly or through nesting, by name.
    async fn scim_user_groups(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<crate::domain::scim::resource::GroupOfUser>>;

    /// Creates an employee with these fields (and this password's hash,
    /// if any: without one they cannot sign in until an admin resets it).
    /// A UPN already taken is a `Conflict` on `users_org_upn_key`.
    async fn scim_create_user(
        &self,
        org_id: &str,
        user_id: &str,
        fields: &crate::domain::scim::resource::UserFields,
        password_hash: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<()>;

    /// Writes every field (a PUT, or a PATCH applied); an inactive user's
    /// sessions end, and so do they when the password is set. False when
    /// there is no such user.
    async fn scim_replace_user(
        &self,
        org_id: &str,
        user_id: &str,
        fields: &crate::domain::scim::resource::UserFields,
        password_hash: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes the user with everything that is theirs; the seats they held
    /// go to the next in line, in the same transaction. False when there is
    /// no such user.
    async fn delete_user(&self, org_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool>;
}

/// A group as SCIM sees it (its members apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimGroupRecord {
    pub id: String,
    pub fields: crate::domain::scim::resource::GroupFields,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Members a SCIM write adds and removes, by id (a user's or a group's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembersChange {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl MembersChange {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// What a SCIM group write did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupWrite {
    Done,
    /// Ids that are no user or group of the organisation: nothing written.
    UnknownMembers(Vec<String>),
    /// Nesting a member would close this chain: nothing written.
    WouldCloseCycle(Vec<crate::models::admin::NamedRef>),
}

/// Groups as a SCIM client provisions them. (`scim_write_group` takes
/// everything its one transaction changes, by name.)
#[allow(clippy::too_many_arguments)]
#[async_trait]
pub trait ScimGroupsStore: Send + Sync + 'static {
    async fn scim_groups(
        &self,
        org_id: &str,
        filter: Option<&crate::domain::scim::query::Cond<crate::domain::scim::query::GroupAttr>>,
        offset: u64,
        count: u32,
    ) -> StoreResult<ScimPage<ScimGroupRecord>>;

    async fn scim_group(&self, org_id: &str, group_id: &str) -> StoreResult<Option<ScimGroupRecord>>;

    /// Direct members: users, then groups, by name.
    async fn scim_group_members(&self, org_id: &str, group_id: &str) -> StoreResult<Vec<crate::domain::scim::resource::Member>>;

    /// Creates the group (`create`) or writes its name and external id, and
    /// changes its members, in one transaction with the seats it moves and
    /// its audit event. A name another group has is a `Conflict` on
    /// `user_groups_org_name_key`; false-like outcomes write nothing.
    async fn scim_write_group(
        &self,
        org_id: &str,
        group_id: &str,
        create: bool,
        name: &crate::domain::groups::GroupFields,
        external_id: Option<&str>,
        members: &MembersChange,
        audit: AuditEvent,
    ) -> StoreResult<GroupWrite>;
}

/// Who decided a request: a reviewer or admin signed in, or an admin API
/// token (no user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decider {
    pub user_id: Option<String>,
    /// The name the requester's history shows.
    pub label: String,
}

/// What asking for approval did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AskOutcome {
    /// A new request, sent to the reviewers.
    Created { request_id: String },
    /// Someone else's request for the app was pending: the caller joined it.
    Joined { request_id: String },
    /// The caller's own request for the app is still pending: nothing new.
    AlreadyAsked { request_id: String, asked_at: Millis },
}

/// A request as a reviewer is about to decide it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestForReview {
    pub id: String,
    pub kind: crate::domain::requests::RequestKind,
    pub app_id: String,
    pub app_name: String,
    pub status: crate::domain::requests::RequestStatus,
    pub requester_ids: Vec<String>,
    /// Access requests: why the launch was refused (`not_assigned`, `license_missing`).
    pub reason_code: Option<String>,
    /// May the viewer decide it (see [`RequestsStore::review_scope`])?
    pub viewer_reviews: bool,
}

/// Who looks at (or decides in) the reviewers' queue: a signed-in user, or
/// an API token (no user) with its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueViewer {
    pub user_id: Option<String>,
    pub role: Role,
}

/// What a viewer reviews.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReviewScope {
    pub consent: bool,
    /// Access requests of at least one app.
    pub access: bool,
}

/// Requests made of reviewers (admin consent, and access to an app), their
/// decisions, and the background work on them (expiry and reminders). Each
/// change is one transaction with its audit event and the notifications it
/// sends; `email` says whether notifications also go out by e-mail. (The
/// changes take everything their transaction writes, by name.)
#[allow(clippy::too_many_arguments)]
#[async_trait]
pub trait RequestsStore: Send + Sync + 'static {
    /// The caller's pending request of this kind for this app, if any:
    /// (request id, when they asked).
    async fn pending_request_of(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        kind: crate::domain::requests::RequestKind,
    ) -> StoreResult<Option<(String, Millis)>>;

    /// Asks the org's reviewers to consent for everyone to these permissions
    /// of the app: a new request, or the caller joins the pending one (its
    /// permissions grow by what they lack). Reviewers other than the caller
    /// are notified when the org says so. Refused with `Conflict {
    /// constraint: "app_blocked" }` when the app is blocked.
    async fn ask_consent(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        justification: &str,
        permission_ids: &[String],
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<AskOutcome>;

    /// The caller's requests, newest first, each with its history.
    async fn my_requests(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<crate::models::requests::MyRequest>>;

    /// What the viewer reviews: consent requests (a privileged admin, or a
    /// user named as a consent reviewer or in a named group, through nested
    /// groups), and access requests of which apps (privileged admins: all;
    /// users and groups named on an app: its; app admins: the apps nobody
    /// is named on).
    async fn review_scope(&self, org_id: &str, viewer: &QueueViewer) -> StoreResult<ReviewScope>;

    /// The requests the viewer reviews in this state (of one kind, or
    /// both), grouped by app, and the apps blocked from consent.
    async fn review_queue(
        &self,
        org_id: &str,
        viewer: &QueueViewer,
        status: crate::domain::requests::RequestStatus,
        kind: Option<crate::domain::requests::RequestKind>,
    ) -> StoreResult<crate::models::requests::ReviewQueue>;

    /// One request as a reviewer decides it, and whether this viewer may.
    async fn request_for_review(&self, org_id: &str, request_id: &str, viewer: &QueueViewer) -> StoreResult<Option<RequestForReview>>;

    /// Asks the app's reviewers to assign it to the caller (and give them
    /// its license): a new request, or `AlreadyAsked` while theirs is
    /// pending. `reason_code` is why their launch is refused now.
    async fn ask_access(
        &self,
        org_id: &str,
        app_id: &str,
        user_id: &str,
        justification: &str,
        reason_code: &str,
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<AskOutcome>;

    /// The users and groups named on an app to review its access requests.
    async fn app_reviewers(&self, org_id: &str, app_id: &str) -> StoreResult<Vec<crate::models::consents::ReviewerView>>;

    /// Names a user or group to review the app's access requests (false
    /// when they already are); `NotFound` for an app, user or group the org
    /// does not have.
    async fn add_app_reviewer(&self, org_id: &str, app_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Removes one (false when they were not one).
    async fn remove_app_reviewer(&self, org_id: &str, app_id: &str, reviewer: &Principal, audit: AuditEvent) -> StoreResult<bool>;

    /// Decides a pending request: approve (a consent request: the org's
    /// grant for its permissions), deny, or block (the app too); requesters
    /// are notified. False when it was no longer pending.
    async fn decide_request(
        &self,
        org_id: &str,
        request_id: &str,
        decision: crate::domain::requests::Decision,
        reason: Option<&str>,
        decider: &Decider,
        email: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Lets the app be requested and consented to again. False when it was
    /// not blocked.
    async fn unblock_app_consent(&self, org_id: &str, app_id: &str, audit: AuditEvent) -> StoreResult<bool>;

    /// Expires pending requests past their deadline (at most `limit`, in any
    /// organisation), telling their requesters. Safe to run on several
    /// replicas at once: each request expires once. The number expired.
    async fn expire_due_requests(&self, now: Millis, email: bool, limit: i64) -> StoreResult<u64>;

    /// Reminds reviewers of pending requests whose reminder is due (once
    /// per request, when the org has reminders on). Safe on several replicas.
    async fn remind_due_requests(&self, now: Millis, email: bool, limit: i64) -> StoreResult<u64>;
}

/// An e-mail to send for a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMail {
    pub notification_id: String,
    pub to: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
}

/// The bell's notifications, and the e-mail outbox they make.
#[async_trait]
pub trait NotificationsStore: Send + Sync + 'static {
    /// The user's latest notifications (at most `limit`) and their unread count.
    async fn notifications(&self, org_id: &str, user_id: &str, limit: i64) -> StoreResult<crate::models::requests::Notifications>;

    /// The header's counts: unread notifications, and the pending requests
    /// the user reviews (when they review any).
    async fn header_counts(&self, org_id: &str, viewer: &QueueViewer) -> StoreResult<crate::models::requests::HeaderCounts>;

    /// Marks one of the user's notifications read and gives its link (None
    /// when they have no such notification).
    async fn open_notification(&self, org_id: &str, user_id: &str, id: &str, now: Millis) -> StoreResult<Option<Option<String>>>;

    /// Marks the user's notifications read: these, or all. The number changed.
    async fn mark_notifications_read(&self, org_id: &str, user_id: &str, ids: Option<&[String]>, now: Millis) -> StoreResult<u64>;

    /// Claims e-mails to send (at most `limit`): each is claimed by one
    /// replica at a time and tried a few times at most.
    async fn claim_outbox(&self, now: Millis, limit: i64) -> StoreResult<Vec<OutboxMail>>;

    /// Records that a notification's e-mail went out.
    async fn mark_emailed(&self, notification_id: &str, now: Millis) -> StoreResult<()>;
}

/// An OpenID Connect client: an app whose sign-on mode is "oidc".
#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub org_id: String,
    pub app_id: String,
    pub client_id: String,
    pub name: String,
    pub enabled: bool,
    pub public_client: bool,
    /// The SHA-256 digest of its secret, when it has one.
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// "RS256" or "EdDSA".
    pub id_token_alg: String,
}

/// See [`OAuthStore::token_holder`].
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub profile: crate::domain::oidc::SubjectProfile,
    pub account: AccountStatus,
    pub access_version: i64,
}

/// An authorization code as issued (its value only as a digest).
#[derive(Clone, Debug)]
pub struct NewAuthorizationCode {
    pub code_hash: String,
    pub org_id: String,
    pub app_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub session_hash: String,
    pub auth_time: Millis,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// What a redeemed code was issued for.
#[derive(Clone, Debug)]
pub struct AuthorizationCode {
    pub org_id: String,
    pub app_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: Millis,
    pub expires_at: Millis,
}

#[derive(Clone, Debug)]
pub enum CodeRedemption {
    /// First use: the code is spent and names `family_id` as what it starts.
    Redeemed(AuthorizationCode),
    /// Used before: every token it issued is revoked now.
    Reused {
        revoked: u64,
    },
    Unknown,
}

/// Tokens to store for a user (values only as digests): an access token
/// and, unless None, a refresh token, of one family.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub org_id: String,
    pub app_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub family_id: String,
    pub access_hash: String,
    pub access_expires_at: Millis,
    pub refresh: Option<(String, Millis)>,
    pub auth_time: Millis,
    pub at: Millis,
}

#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    pub org_id: String,
    pub app_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub family_id: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// Set once rotated or revoked: presenting it again is a replay.
    pub revoked_at: Option<Millis>,
    pub auth_time: Option<Millis>,
    /// Its user as read with it (as [`OAuthStore::token_holder`] reads
    /// them); none once the user is deleted.
    pub holder: Option<TokenHolder>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshRotation {
    Rotated,
    /// Rotated or revoked by someone else first: the family is revoked.
    Replayed,
}

/// An access token (of a user, or of the app itself when `user_id` is None).
#[derive(Clone, Debug)]
pub struct AccessTokenRecord {
    pub org_id: String,
    pub app_id: String,
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub revoked: bool,
}

/// A key that signs ID tokens; its private half opened (stored sealed).
#[derive(Clone, Debug)]
pub struct SigningKeyRecord {
    pub kid: String,
    /// "RS256" or "EdDSA".
    pub algorithm: String,
    pub private_key_pem: String,
    /// The public half as a JSON Web Key (RFC 7517), as published.
    pub public_jwk: String,
    pub created_at: Millis,
    pub retired_at: Option<Millis>,
}

/// Which usage counter of `app_usage_daily` a protocol request adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageKind {
    /// A successful sign-in to the app: an authorization answered with a code.
    Launch,
    TokenRequest,
    UserinfoCall,
}

/// The OpenID Connect provider's state: clients, codes, tokens, keys. Codes
/// and tokens are kept as SHA-256 digests only (DOMAIN.md "Secrets").
#[async_trait]
pub trait OAuthStore: Send + Sync + 'static {
    /// The client with this `client_id`, in whichever organisation registered it.
    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClient>>;

    /// What the token endpoint needs of a client, in one read: who it is
    /// and its secret's digest (not its addresses).
    async fn oauth_client_credentials(&self, client_id: &str) -> StoreResult<Option<OAuthClient>>;

    /// The client that is this app of the organisation (without its addresses).
    async fn oauth_client_by_app(&self, org_id: &str, app_id: &str) -> StoreResult<Option<OAuthClient>>;

    /// The user a token is for, read fresh in one query: who they are,
    /// their account state and their organisation's access version (for
    /// [`AccessStore::snapshot_at_version`]).
    async fn token_holder(&self, org_id: &str, user_id: &str) -> StoreResult<Option<TokenHolder>>;

    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()>;

    /// Spends a code: the first call gets what it was issued for (and ties
    /// `family_id` to it); any later call revokes that family.
    async fn redeem_authorization_code(&self, code_hash: &str, family_id: &str, now: Millis) -> StoreResult<CodeRedemption>;

    /// Stores new tokens with their sign-in event and usage, in one transaction.
    async fn issue_tokens(&self, tokens: IssuedTokens, event: SignInEvent) -> StoreResult<()>;

    /// A refresh token by its digest, with its holder read in the same query.
    async fn find_refresh_token(&self, token_hash: &str) -> StoreResult<Option<RefreshTokenRecord>>;

    /// Rotates a refresh token: the old one is spent and the new ones are
    /// stored, with the event, in one transaction, unless the old one was
    /// spent already; then its whole family is revoked instead.
    async fn rotate_refresh_token(&self, old_hash: &str, tokens: IssuedTokens, event: SignInEvent) -> StoreResult<RefreshRotation>;

    /// Revokes every refresh and access token of a family; how many.
    async fn revoke_token_family(&self, family_id: &str, now: Millis) -> StoreResult<u64>;

    /// An app's own access token (client_credentials), with its event.
    async fn issue_client_token(
        &self,
        org_id: &str,
        app_id: &str,
        token_hash: &str,
        scopes: &[String],
        expires_at: Millis,
        event: SignInEvent,
    ) -> StoreResult<()>;

    async fn find_access_token(&self, token_hash: &str) -> StoreResult<Option<AccessTokenRecord>>;

    /// Revokes one of `app_id`'s tokens, access or refresh (a refresh
    /// token with its family); false when it has none by that digest.
    async fn revoke_app_token(&self, app_id: &str, token_hash: &str, now: Millis) -> StoreResult<bool>;

    /// A protocol request's sign-in event and the app's usage counter.
    async fn record_protocol_event(&self, event: SignInEvent, usage: UsageKind) -> StoreResult<()>;

    /// Every signing key, newest first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;

    /// Adds a key (sealing its private half) and retires the other current
    /// keys of its algorithm, in one transaction.
    async fn add_signing_key(&self, key: SigningKeyRecord) -> StoreResult<()>;

    /// Deletes keys retired before `before` (no token they signed is still valid).
    async fn delete_signing_keys_retired_before(&self, before: Millis) -> StoreResult<u64>;

    /// Deletes expired codes and tokens; how many.
    async fn delete_expired_oauth(&self, now: Millis) -> StoreResult<u64>;

    /// The organisation's OAuth apps by name, with their usage (launches,
    /// token requests, userinfo calls) as of `now`.
    async fn connected_apps(&self, org_id: &str, now: Millis) -> StoreResult<Vec<crate::models::admin::ConnectedApp>>;
}
