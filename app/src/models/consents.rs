//! Consent, as an employee sees it: the prompt for an app's missing
//! permissions, and the apps they (or their organisation) let in.

use super::apps::GrantedBy;
use crate::domain::consent::ConsentNext;
use serde::{Deserialize, Serialize};

/// A permission in plain words, with the org's impact classification.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptPermission {
    pub id: String,
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub api_name: String,
    /// "Low impact", "Medium impact", "High impact" or "Not classified".
    pub impact: String,
}

/// What the consent page shows for one app: who publishes it, and only the
/// permissions nobody has granted yet.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentPrompt {
    pub app_id: String,
    pub app_name: String,
    pub publisher: String,
    pub publisher_verified: bool,
    pub registered_in_org: bool,
    pub logo_url: Option<String>,
    pub monogram: String,
    pub hue: u16,
    /// Requested permissions that no grant covers yet.
    pub missing: Vec<PromptPermission>,
    /// Permissions already granted (by the organisation or the user), for context.
    pub already_granted: usize,
    /// What the user can do about the missing ones.
    pub next: ConsentNext,
    /// When the caller asked for approval, while that request is pending.
    pub asked_at: Option<i64>,
}

/// One permission of a grant.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedPermission {
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub api_name: String,
    pub granted_at: i64,
}

/// An app the user let in, or that their organisation let in for everyone.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentedApp {
    pub app_id: String,
    pub app_name: String,
    pub publisher: String,
    pub publisher_verified: bool,
    pub granted_by: GrantedBy,
    /// When the grant was first made.
    pub granted_at: i64,
    pub permissions: Vec<GrantedPermission>,
    /// Whether the user may remove it now (their own grant, and the
    /// organisation lets users remove apps).
    pub removable: bool,
}

/// The user's consents: their own grants first, then the organisation's.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyConsents {
    /// Whether the organisation lets users remove apps they consented to.
    pub users_can_remove: bool,
    pub apps: Vec<ConsentedApp>,
}

/// A reviewer of admin-consent (and access) requests: a user or a group.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerView {
    /// `user` or `group`.
    pub kind: String,
    pub id: String,
    pub name: String,
    /// A user's sign-in name, or a group's member count in words.
    pub detail: String,
}

/// The organisation's consent settings with the workflow's reviewers.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSettingsView {
    pub settings: crate::domain::consent_settings::ConsentSettings,
    pub reviewers: Vec<ReviewerView>,
}

/// A delegated permission of an API, as admins see the catalogue.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CataloguePermission {
    pub id: String,
    /// The scope value an app asks for, e.g. `Mail.Read`.
    pub value: String,
    pub display_name: String,
    /// What it lets an app do, in plain words.
    pub description: String,
    /// Only an admin can consent to it.
    pub admin_consent_required: bool,
    /// The organisation's classification; None: not classified (counts as not low).
    pub classification: Option<crate::domain::consent::Classification>,
    /// How many of the organisation's apps ask for it.
    pub requested_by_apps: i64,
}

/// An API (resource) and the permissions it exposes.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueApi {
    pub id: String,
    pub name: String,
    /// Its identifier, e.g. `https://mail.northwind.example` (`openid` for OpenID Connect's scopes).
    pub identifier: String,
    pub description: String,
    pub permissions: Vec<CataloguePermission>,
}

/// Who a grant is for: the whole organisation, or one user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSubject {
    /// `organisation` or `user`.
    pub kind: String,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub upn: Option<String>,
}

/// One grant of an app, as privileged admins see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppGrant {
    pub id: String,
    pub subject: GrantSubject,
    /// When the grant was first made.
    pub granted_at: i64,
    /// Who made it: the user themselves, an admin, a reviewer's approval, or an API token.
    pub granted_by: String,
    pub permissions: Vec<GrantedPermission>,
}

/// Every grant of an app (the organisation's first, then users' by name),
/// and what the app asks for.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConsents {
    pub app_id: String,
    pub app_name: String,
    /// The permissions the app requests, with their ids (to grant).
    pub requested: Vec<crate::models::requests::RequestedPermission>,
    pub grants: Vec<AppGrant>,
    /// Set when the app is blocked from consent requests and user consent.
    pub blocked_reason: Option<String>,
}
