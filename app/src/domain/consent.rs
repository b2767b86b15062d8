//! The user-consent rules (DOMAIN.md, "User-consent policy"): whether a user
//! may consent to an app's permissions themselves, and if not, what they can
//! do instead.

use super::decision::AppFacts;
use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserConsentPolicy {
    /// Users cannot consent; only privileged admins can.
    Disabled,
    /// The default: verified publishers (or apps of this org), low-impact
    /// permissions that do not need admin consent.
    VerifiedPublishersLowImpact,
    /// Any permission that does not need admin consent.
    AllApps,
}

impl UserConsentPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            UserConsentPolicy::Disabled => "disabled",
            UserConsentPolicy::VerifiedPublishersLowImpact => "verified_low",
            UserConsentPolicy::AllApps => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "disabled" => Some(UserConsentPolicy::Disabled),
            "verified_low" => Some(UserConsentPolicy::VerifiedPublishersLowImpact),
            "all" => Some(UserConsentPolicy::AllApps),
            _ => None,
        }
    }
}

/// The org's classification of a permission. Unclassified counts as not low.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    Low,
    Medium,
    High,
}

impl Classification {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Classification::Low),
            "medium" => Some(Classification::Medium),
            "high" => Some(Classification::High),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Low => "low",
            Classification::Medium => "medium",
            Classification::High => "high",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Classification::Low => "Low impact",
            Classification::Medium => "Medium impact",
            Classification::High => "High impact",
        }
    }
}

/// A requested permission, as the consent rules see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionFacts {
    pub value: String,
    pub classification: Option<Classification>,
    pub admin_consent_required: bool,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgConsentSettings {
    pub policy: UserConsentPolicy,
    pub workflow_enabled: bool,
}

/// What a user who lacks consent can do.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentNext {
    /// Consent themselves (a prompt for the missing permissions).
    UserCanConsent,
    /// Ask for approval through the admin-consent workflow.
    ApprovalRequired,
    /// Only an admin can grant it; the workflow is off.
    AdminApprovalNeeded,
    /// The app was blocked through the workflow.
    Blocked,
}

/// May a user consent to these permissions of this app themselves?
pub fn user_may_consent(policy: UserConsentPolicy, app: &AppFacts, permissions: &[PermissionFacts]) -> bool {
    if app.consent_blocked {
        return false;
    }
    match policy {
        UserConsentPolicy::Disabled => false,
        UserConsentPolicy::VerifiedPublishersLowImpact => {
            (app.publisher_verified || app.registered_in_org)
                && permissions.iter().all(|p| p.classification == Some(Classification::Low) && !p.admin_consent_required)
        }
        UserConsentPolicy::AllApps => permissions.iter().all(|p| !p.admin_consent_required),
    }
}

/// The next step for missing consent.
pub fn consent_next(settings: &OrgConsentSettings, app: &AppFacts, missing: &[PermissionFacts]) -> ConsentNext {
    if app.consent_blocked {
        ConsentNext::Blocked
    } else if user_may_consent(settings.policy, app, missing) {
        ConsentNext::UserCanConsent
    } else if settings.workflow_enabled {
        ConsentNext::ApprovalRequired
    } else {
        ConsentNext::AdminApprovalNeeded
    }
}

/// What the user accepted on the consent page no longer matches what is
/// missing (the app asks for more, or someone granted some meanwhile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptOutdated;

/// The permissions to grant when a user accepts the prompt: exactly the
/// ones missing now, and only if they are the ones the page showed them. A
/// user never grants a permission they were not shown, and is asked again
/// when the set moved.
pub fn permissions_to_grant(missing_now: &[String], shown: &[String]) -> Result<Vec<String>, PromptOutdated> {
    let mut now: Vec<&String> = missing_now.iter().collect();
    let mut seen: Vec<&String> = shown.iter().collect();
    now.sort();
    now.dedup();
    seen.sort();
    seen.dedup();
    if now.is_empty() || now != seen {
        return Err(PromptOutdated);
    }
    Ok(now.into_iter().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(verified: bool, in_org: bool, blocked: bool) -> AppFacts {
        AppFacts {
            enabled: true,
            visible: true,
            assignment_required: false,
            requires_license: false,
            publisher_verified: verified,
            registered_in_org: in_org,
            consent_blocked: blocked,
        }
    }

    fn p(c: Option<Classification>, admin: bool) -> PermissionFacts {
        PermissionFacts { value: "x".into(), classification: c, admin_consent_required: admin }
    }

    #[test]
    fn policy_table() {
        use Classification::*;
        use UserConsentPolicy::*;
        let cases: Vec<(&str, UserConsentPolicy, AppFacts, Vec<PermissionFacts>, bool)> = vec![
            ("disabled refuses everything", Disabled, app(true, true, false), vec![p(Some(Low), false)], false),
            ("verified + low", VerifiedPublishersLowImpact, app(true, false, false), vec![p(Some(Low), false)], true),
            ("own org + low", VerifiedPublishersLowImpact, app(false, true, false), vec![p(Some(Low), false)], true),
            ("unverified third party", VerifiedPublishersLowImpact, app(false, false, false), vec![p(Some(Low), false)], false),
            (
                "medium impact",
                VerifiedPublishersLowImpact,
                app(true, false, false),
                vec![p(Some(Low), false), p(Some(Medium), false)],
                false,
            ),
            ("unclassified counts as not low", VerifiedPublishersLowImpact, app(true, false, false), vec![p(None, false)], false),
            ("low but admin-only", VerifiedPublishersLowImpact, app(true, false, false), vec![p(Some(Low), true)], false),
            ("all apps: high impact ok", AllApps, app(false, false, false), vec![p(Some(High), false), p(None, false)], true),
            ("all apps: admin-only refused", AllApps, app(true, true, false), vec![p(Some(Low), true)], false),
            ("blocked app never", AllApps, app(true, true, true), vec![p(Some(Low), false)], false),
        ];
        for (name, policy, a, perms, expected) in cases {
            assert_eq!(user_may_consent(policy, &a, &perms), expected, "{name}");
        }
    }

    /// Every combination of policy × publisher (verified / registered here /
    /// unverified third party) × classification × admin consent required ×
    /// blocked, against DOMAIN.md's sentences, and what the user is offered
    /// with the workflow on and off.
    #[test]
    fn every_combination_follows_the_policy_as_written() {
        use Classification::*;
        use UserConsentPolicy::*;
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Publisher {
            Verified,
            RegisteredHere,
            UnverifiedThirdParty,
        }
        let mut cases = 0;
        for policy in [Disabled, VerifiedPublishersLowImpact, AllApps] {
            for publisher in [Publisher::Verified, Publisher::RegisteredHere, Publisher::UnverifiedThirdParty] {
                for class in [None, Some(Low), Some(Medium), Some(High)] {
                    for admin_only in [false, true] {
                        for blocked in [false, true] {
                            let a = app(publisher == Publisher::Verified, publisher == Publisher::RegisteredHere, blocked);
                            let perms = vec![p(Some(Low), false), p(class, admin_only)];
                            // "A blocked app can never be consented to by users."
                            // disabled: "users cannot consent". verified_low: "only when
                            // the publisher is verified or the app is registered in this
                            // org, and every permission is classified low and does not
                            // require admin consent". all: "any permission that does not
                            // require admin consent".
                            let expected = !blocked
                                && match policy {
                                    Disabled => false,
                                    VerifiedPublishersLowImpact => {
                                        publisher != Publisher::UnverifiedThirdParty && class == Some(Low) && !admin_only
                                    }
                                    AllApps => !admin_only,
                                };
                            let label = format!("{policy:?} {publisher:?} {class:?} admin_only={admin_only} blocked={blocked}");
                            assert_eq!(user_may_consent(policy, &a, &perms), expected, "{label}");
                            for workflow_enabled in [true, false] {
                                let next = consent_next(&OrgConsentSettings { policy, workflow_enabled }, &a, &perms);
                                let wanted = match (blocked, expected, workflow_enabled) {
                                    (true, _, _) => ConsentNext::Blocked,
                                    (false, true, _) => ConsentNext::UserCanConsent,
                                    (false, false, true) => ConsentNext::ApprovalRequired,
                                    (false, false, false) => ConsentNext::AdminApprovalNeeded,
                                };
                                assert_eq!(next, wanted, "{label} workflow={workflow_enabled}");
                            }
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 3 * 3 * 4 * 2 * 2);
    }

    #[test]
    fn next_step() {
        let low = vec![p(Some(Classification::Low), false)];
        let high = vec![p(Some(Classification::High), false)];
        let on = OrgConsentSettings { policy: UserConsentPolicy::VerifiedPublishersLowImpact, workflow_enabled: true };
        let off = OrgConsentSettings { workflow_enabled: false, ..on };
        assert_eq!(consent_next(&on, &app(true, false, false), &low), ConsentNext::UserCanConsent);
        assert_eq!(consent_next(&on, &app(true, false, false), &high), ConsentNext::ApprovalRequired);
        assert_eq!(consent_next(&off, &app(true, false, false), &high), ConsentNext::AdminApprovalNeeded);
        assert_eq!(consent_next(&on, &app(true, false, true), &low), ConsentNext::Blocked);
    }

    #[test]
    fn accepting_grants_exactly_what_was_shown_and_is_still_missing() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(permissions_to_grant(&ids(&["b", "a"]), &ids(&["a", "b", "a"])), Ok(ids(&["a", "b"])));
        // The app asks for more since the page was shown: ask again.
        assert_eq!(permissions_to_grant(&ids(&["a", "b", "c"]), &ids(&["a", "b"])), Err(PromptOutdated));
        // Someone granted one meanwhile: the page was not what is missing now.
        assert_eq!(permissions_to_grant(&ids(&["a"]), &ids(&["a", "b"])), Err(PromptOutdated));
        // Nothing missing any more: nothing to grant.
        assert_eq!(permissions_to_grant(&[], &[]), Err(PromptOutdated));
    }

    #[test]
    fn policy_round_trip() {
        for p in [UserConsentPolicy::Disabled, UserConsentPolicy::VerifiedPublishersLowImpact, UserConsentPolicy::AllApps] {
            assert_eq!(UserConsentPolicy::parse(p.as_str()), Some(p));
        }
    }
}
