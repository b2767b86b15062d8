//! From an [`AccessSnapshot`] to access facts, decisions, tiles and details.
//! No I/O here: callers fetch the snapshot and pass the clock.

use crate::domain::consent::{Classification, OrgConsentSettings, PermissionFacts, UserConsentPolicy};
use crate::domain::decision::{decide, shows_tile, AccessFacts, AccessPath, AccountFacts, AppFacts, Decision, LicenseFacts, Refusal};
use crate::domain::groups::membership_chains;
use crate::domain::model::Millis;
use crate::models::admin::{UserAppView, UserGroupView};
use crate::models::apps::{hue, monogram, AppDetails, AppTile, GrantedBy, MyApps, PermissionView};
use crate::models::consents::{ConsentPrompt, PromptPermission};
use crate::ports::{AccessSnapshot, AccountStatus, AppRecord};
use std::collections::HashMap;

/// Group id → the chain of group names through which the user is in it.
fn group_chains(snapshot: &AccessSnapshot) -> HashMap<String, Vec<String>> {
    let names: HashMap<&str, &str> = snapshot.groups.iter().map(|(id, name, _)| (id.as_str(), name.as_str())).collect();
    let direct: Vec<String> = snapshot.groups.iter().filter(|g| g.2).map(|g| g.0.clone()).collect();
    let mut parents: HashMap<String, Vec<String>> = HashMap::new();
    for (child, parent) in &snapshot.group_edges {
        parents.entry(child.clone()).or_default().push(parent.clone());
    }
    membership_chains(&direct, &parents)
        .into_iter()
        .map(|(id, chain)| {
            let chain_names = chain.iter().map(|g| names.get(g.as_str()).copied().unwrap_or("(group)").to_string()).collect();
            (id, chain_names)
        })
        .collect()
}

/// The snapshot, indexed for deciding about many apps.
pub struct UserAccess<'a> {
    snapshot: &'a AccessSnapshot,
    account: AccountFacts,
    settings: OrgConsentSettings,
    /// group id → chain of group names from a direct group to it
    chains: &'a HashMap<String, Vec<String>>,
}

impl<'a> UserAccess<'a> {
    /// `mfa_satisfied`: whether the session did the second factor where the
    /// account requires one (an active session always has).
    pub fn new(snapshot: &'a AccessSnapshot, now: Millis, mfa_satisfied: bool) -> Self {
        Self::with_account(snapshot, &snapshot.account, now, mfa_satisfied)
    }

    /// The same, with the account state and org settings taken from
    /// `account` (read fresh with the session) rather than the snapshot
    /// (which may come from a cache).
    pub fn with_account(snapshot: &'a AccessSnapshot, account: &AccountStatus, now: Millis, mfa_satisfied: bool) -> Self {
        let a = account;
        let account = AccountFacts {
            sign_in_blocked: a.sign_in_blocked,
            locked: a.locked_until.is_some_and(|t| t > now),
            password_expired: a.must_change_password || a.password_expires_at.is_some_and(|t| t <= now),
            mfa_satisfied,
        };
        let settings = OrgConsentSettings {
            policy: UserConsentPolicy::parse(&a.user_consent_policy).unwrap_or(UserConsentPolicy::VerifiedPublishersLowImpact),
            workflow_enabled: a.admin_consent_workflow_enabled,
        };
        let chains = snapshot.group_chains.get_or_init(|| group_chains(snapshot));
        UserAccess { snapshot, account, settings, chains }
    }

    pub fn app(&self, app_id: &str) -> Option<&'a AppRecord> {
        self.snapshot.apps.iter().find(|a| a.id == app_id)
    }

    /// The facts of the decision for `app` (or for an app that is not in
    /// the user's organisation).
    pub fn facts(&self, app: Option<&AppRecord>) -> AccessFacts {
        let Some(app) = app else {
            return AccessFacts {
                account: Some(self.account.clone()),
                app: None,
                assignments: vec![],
                license: LicenseFacts::NotRequired,
                missing_consent: vec![],
                consent_settings: self.settings,
            };
        };
        let mut assignments: Vec<AccessPath> = Vec::new();
        for x in self.snapshot.assignments.iter().filter(|x| x.app_id == app.id) {
            let path = match &x.group_id {
                None => AccessPath::Direct,
                Some(g) => match self.chains.get(g) {
                    Some(chain) => AccessPath::Group {
                        group: chain.last().cloned().unwrap_or_default(),
                        via: chain[..chain.len().saturating_sub(1)].to_vec(),
                    },
                    None => continue, // not one of the user's groups
                },
            };
            if !assignments.contains(&path) {
                assignments.push(path);
            }
        }
        assignments.sort_by_key(|p| match p {
            AccessPath::Direct => (0, String::new()),
            AccessPath::Group { group, via } => (1 + via.len(), group.clone()),
            AccessPath::OpenToEveryone => (usize::MAX, String::new()),
        });
        let license = match &app.required_license_id {
            None => LicenseFacts::NotRequired,
            Some(license) => match self.snapshot.seats.iter().find(|(l, _)| l == license) {
                Some((_, true)) => LicenseFacts::Held,
                Some((_, false)) => LicenseFacts::NoSeat,
                None => LicenseFacts::Missing,
            },
        };
        let missing_consent = self
            .snapshot
            .permissions
            .iter()
            .filter(|p| p.app_id == app.id && p.tenant_granted_at.is_none() && p.user_granted_at.is_none())
            .map(|p| PermissionFacts {
                value: p.value.clone(),
                classification: p.classification.as_deref().and_then(Classification::parse),
                admin_consent_required: p.admin_consent_required,
            })
            .collect();
        AccessFacts {
            account: Some(self.account.clone()),
            app: Some(AppFacts {
                enabled: app.enabled,
                visible: app.visible,
                assignment_required: app.assignment_required,
                requires_license: app.required_license_id.is_some(),
                publisher_verified: app.publisher_verified,
                registered_in_org: app.registered_in_org,
                consent_blocked: app.consent_blocked,
            }),
            assignments,
            license,
            missing_consent,
            consent_settings: self.settings,
        }
    }

    pub fn decide(&self, app: Option<&AppRecord>) -> (AccessFacts, Decision) {
        let facts = self.facts(app);
        let decision = decide(&facts);
        (facts, decision)
    }

    fn tile(&self, app: &AppRecord, decision: &Decision) -> AppTile {
        AppTile {
            id: app.id.clone(),
            name: app.name.clone(),
            description: app.description.clone(),
            category: app.category.clone(),
            publisher: app.publisher_name.clone(),
            publisher_verified: app.publisher_verified,
            logo_url: app.logo_url.clone(),
            monogram: monogram(&app.name),
            hue: hue(&app.name),
            launch_url: launch_path(&app.id),
            pinned: self.snapshot.pins.iter().any(|(id, _)| id == &app.id),
            last_launched_at: self.snapshot.recents.iter().find(|(id, _)| id == &app.id).map(|(_, at)| *at),
            why: decision.paths.clone(),
        }
    }

    /// The user's groups for an admin: direct ones first, then inherited
    /// ones with the groups they come through; by name.
    pub fn groups(&self) -> Vec<UserGroupView> {
        let mut groups: Vec<UserGroupView> = self
            .snapshot
            .groups
            .iter()
            .filter_map(|(id, name, direct)| {
                let chain = self.chains.get(id)?;
                Some(UserGroupView {
                    id: id.clone(),
                    name: name.clone(),
                    direct: *direct,
                    through: if *direct { vec![] } else { chain[..chain.len().saturating_sub(1)].to_vec() },
                })
            })
            .collect();
        groups.sort_by(|a, b| (!a.direct, &a.name).cmp(&(!b.direct, &b.name)));
        groups
    }

    /// Every app the user has (assigned, through a group, or open to
    /// everyone; hidden ones too), for an admin: how they got it and, when a
    /// launch would be refused now, the first reason; by name.
    pub fn apps_for_admin(&self) -> Vec<UserAppView> {
        let mut apps: Vec<UserAppView> = self
            .snapshot
            .apps
            .iter()
            .filter_map(|app| {
                let (_, decision) = self.decide(Some(app));
                (!decision.paths.is_empty()).then(|| UserAppView {
                    id: app.id.clone(),
                    name: app.name.clone(),
                    why: decision.paths.iter().map(path_for_admin).collect::<Vec<_>>().join("; "),
                    refusal: decision.first_refusal().map(|r| r.code().to_string()),
                })
            })
            .collect();
        apps.sort_by(|a, b| a.name.cmp(&b.name));
        apps
    }

    /// The tiles of My Apps: visible apps that pass checks 3–5.
    pub fn my_apps(&self) -> MyApps {
        let apps: Vec<AppTile> = self
            .snapshot
            .apps
            .iter()
            .filter_map(|app| {
                let (facts, decision) = self.decide(Some(app));
                shows_tile(&facts, &decision).then(|| self.tile(app, &decision))
            })
            .collect();
        let recent = self.snapshot.recents.iter().filter(|(id, _)| apps.iter().any(|a| &a.id == id)).map(|(id, _)| id.clone()).collect();
        MyApps { apps, recent }
    }

    /// One app's details, when the user has it (checks 3–5 pass; a hidden
    /// app the user has still has details). None otherwise, whether the app
    /// exists or not.
    pub fn details(&self, app_id: &str, public_url: &str) -> Option<AppDetails> {
        let app = self.app(app_id)?;
        let (_, decision) = self.decide(Some(app));
        if decision.reasons.iter().any(|r| r.hides_tile()) {
            return None;
        }
        let mut permissions = Vec::new();
        let mut pending_permissions = Vec::new();
        for p in self.snapshot.permissions.iter().filter(|p| p.app_id == app.id) {
            let (granted_by, granted_at) = match (p.tenant_granted_at, p.user_granted_at) {
                (Some(at), _) => (Some(GrantedBy::Organisation), Some(at)),
                (None, Some(at)) => (Some(GrantedBy::You), Some(at)),
                (None, None) => (None, None),
            };
            let view = PermissionView {
                value: p.value.clone(),
                display_name: p.display_name.clone(),
                description: p.description.clone(),
                api_name: p.api_name.clone(),
                granted_by,
                granted_at,
            };
            if granted_by.is_some() {
                permissions.push(view);
            } else {
                pending_permissions.push(view);
            }
        }
        Some(AppDetails {
            app: self.tile(app, &decision),
            deep_link: format!("{}{}", public_url.trim_end_matches('/'), launch_path(&app.id)),
            sign_on_mode: app.sign_on_mode.clone(),
            registered_in_org: app.registered_in_org,
            permissions,
            pending_permissions,
            launch_blocked_by: decision.first_refusal().map(|r| r.code().to_string()),
        })
    }
}

impl UserAccess<'_> {
    /// The consent page for an app: its missing permissions and what the
    /// user can do about them. None when a launch would stop before consent
    /// (no such app for them, not assigned, no license, account state) or
    /// when nothing is missing.
    pub fn consent_prompt(&self, app_id: &str) -> Option<ConsentPrompt> {
        let app = self.app(app_id)?;
        let (_, decision) = self.decide(Some(app));
        let Some(Refusal::ConsentRequired { next, .. }) = decision.first_refusal() else { return None };
        let requested: Vec<_> = self.snapshot.permissions.iter().filter(|p| p.app_id == app.id).collect();
        let granted = |p: &crate::ports::RequestedPermission| p.tenant_granted_at.is_some() || p.user_granted_at.is_some();
        let missing = requested
            .iter()
            .filter(|p| !granted(p))
            .map(|p| PromptPermission {
                id: p.permission_id.clone(),
                value: p.value.clone(),
                display_name: p.display_name.clone(),
                description: p.description.clone(),
                api_name: p.api_name.clone(),
                impact: p.classification.as_deref().and_then(Classification::parse).map_or("Not classified", |c| c.label()).to_string(),
            })
            .collect();
        Some(ConsentPrompt {
            app_id: app.id.clone(),
            app_name: app.name.clone(),
            publisher: app.publisher_name.clone(),
            publisher_verified: app.publisher_verified,
            registered_in_org: app.registered_in_org,
            logo_url: app.logo_url.clone(),
            monogram: monogram(&app.name),
            hue: hue(&app.name),
            missing,
            already_granted: requested.iter().filter(|p| granted(p)).count(),
            next: *next,
            asked_at: None,
        })
    }
}

/// An app's user access URL (deep link) on this portal: stable across
/// configuration changes, because it names only the app's id.
pub fn launch_path(app_id: &str) -> String {
    format!("/launch/{app_id}")
}

/// Where a permitted launch sends the person. Only addresses registered for
/// the app are ever used, and only absolute http(s) ones:
/// - linked apps: their launch URL;
/// - OIDC apps with an `initiate_login_uri`: that, with `iss` (this
///   portal), `login_hint` and `target_link_uri`, as OpenID Connect Core
///   "Initiating Login from a Third Party" describes; otherwise their
///   launch URL.
///
/// None when the app has no usable address.
pub fn launch_target(app: &AppRecord, issuer: &str, login_hint: &str) -> Option<String> {
    let web = |raw: &Option<String>| {
        raw.as_deref().and_then(|u| url::Url::parse(u).ok()).filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    };
    if app.sign_on_mode == "oidc" {
        if let Some(mut initiate) = web(&app.initiate_login_uri) {
            let target = web(&app.launch_url).map(|u| u.to_string());
            {
                let mut q = initiate.query_pairs_mut();
                q.append_pair("iss", issuer);
                q.append_pair("login_hint", login_hint);
                if let Some(target) = &target {
                    q.append_pair("target_link_uri", target);
                }
            }
            return Some(initiate.to_string());
        }
    }
    web(&app.launch_url).map(|u| u.to_string())
}

/// How a user reaches an app, as an admin reads it.
pub fn path_for_admin(path: &AccessPath) -> String {
    match path {
        AccessPath::Direct => "Assigned directly".to_string(),
        AccessPath::Group { group, via } if via.is_empty() => format!("Through the group {group}"),
        AccessPath::Group { group, via } => format!("Through the group {group} (via {})", via.join(" → ")),
        AccessPath::OpenToEveryone => "Open to everyone in the organisation".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(mode: &str, launch: Option<&str>, initiate: Option<&str>) -> AppRecord {
        AppRecord {
            id: "a".into(),
            name: "App".into(),
            description: String::new(),
            logo_url: None,
            category: "Other".into(),
            publisher_name: String::new(),
            publisher_verified: true,
            registered_in_org: true,
            enabled: true,
            visible: true,
            assignment_required: false,
            required_license_id: None,
            sign_on_mode: mode.into(),
            launch_url: launch.map(String::from),
            initiate_login_uri: initiate.map(String::from),
            consent_blocked: false,
        }
    }

    #[test]
    fn launch_targets() {
        let issuer = "https://portal.example";
        let cases = [
            (app("linked", Some("https://mail.example/inbox"), None), Some("https://mail.example/inbox")),
            (app("linked", Some("javascript:alert(1)"), None), None),
            (app("linked", Some("/relative"), None), None),
            (app("linked", None, None), None),
            (app("oidc", Some("https://crm.example/"), None), Some("https://crm.example/")),
            (
                app("oidc", Some("https://crm.example/"), Some("https://crm.example/login")),
                Some("https://crm.example/login?iss=https%3A%2F%2Fportal.example&login_hint=alex%40contoso.example&target_link_uri=https%3A%2F%2Fcrm.example%2F"),
            ),
            (app("oidc", None, Some("ftp://crm.example/login")), None),
        ];
        for (a, expected) in cases {
            assert_eq!(
                launch_target(&a, issuer, "alex@contoso.example").as_deref(),
                expected,
                "{:?} {:?}",
                a.launch_url,
                a.initiate_login_uri
            );
        }
    }
}
