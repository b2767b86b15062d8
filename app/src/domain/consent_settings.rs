//! The organisation's consent settings (DOMAIN.md, "Organisation" and
//! "Admin-consent workflow"): the user-consent policy, whether users may
//! remove apps they consented to, and the admin-consent workflow. What a
//! privileged admin may write, checked field by field.

use super::consent::UserConsentPolicy;
use super::fields::FieldProblem;
use serde::{Deserialize, Serialize};

/// Requests expire after at most a year (and at least a day).
pub const REQUEST_EXPIRY_DAYS: std::ops::RangeInclusive<i64> = 1..=365;

/// The settings, every one valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSettings {
    pub user_consent_policy: UserConsentPolicy,
    /// Users may remove apps they consented to.
    pub users_can_remove_consent: bool,
    /// Users who may not consent can ask for approval.
    pub workflow_enabled: bool,
    /// Pending requests expire after this many days (1–365).
    pub request_expiry_days: i64,
    /// Reviewers are told of new requests (in the portal, and by e-mail when configured).
    pub notify_reviewers: bool,
    /// Reviewers are reminded of requests still pending.
    pub reminders: bool,
}

/// A change of the settings as an admin sent it (PATCH: only what changes).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSettingsInput {
    /// `disabled`, `verified_low` or `all`.
    pub user_consent_policy: Option<String>,
    pub users_can_remove_consent: Option<bool>,
    pub workflow_enabled: Option<bool>,
    pub request_expiry_days: Option<i64>,
    pub notify_reviewers: Option<bool>,
    pub reminders: Option<bool>,
}

impl ConsentSettingsInput {
    fn is_empty(&self) -> bool {
        *self == ConsentSettingsInput::default()
    }
}

/// Applies a change to the current settings; every problem at once. The
/// workflow cannot be on without a reviewer to send requests to.
pub fn validate_consent_settings(
    current: &ConsentSettings,
    reviewers: usize,
    input: &ConsentSettingsInput,
) -> Result<ConsentSettings, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    if input.is_empty() {
        return Err(vec![("settings", "nothing_to_change")]);
    }
    let mut next = current.clone();
    if let Some(policy) = &input.user_consent_policy {
        match UserConsentPolicy::parse(policy.trim()) {
            Some(p) => next.user_consent_policy = p,
            None => problems.push(("user_consent_policy", "unknown_value")),
        }
    }
    if let Some(days) = input.request_expiry_days {
        if REQUEST_EXPIRY_DAYS.contains(&days) {
            next.request_expiry_days = days;
        } else {
            problems.push(("request_expiry_days", "out_of_range"));
        }
    }
    next.users_can_remove_consent = input.users_can_remove_consent.unwrap_or(next.users_can_remove_consent);
    next.workflow_enabled = input.workflow_enabled.unwrap_or(next.workflow_enabled);
    next.notify_reviewers = input.notify_reviewers.unwrap_or(next.notify_reviewers);
    next.reminders = input.reminders.unwrap_or(next.reminders);
    if next.workflow_enabled && !current.workflow_enabled && reviewers == 0 {
        problems.push(("workflow_enabled", "needs_reviewer"));
    }
    if problems.is_empty() {
        Ok(next)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> ConsentSettings {
        ConsentSettings {
            user_consent_policy: UserConsentPolicy::VerifiedPublishersLowImpact,
            users_can_remove_consent: true,
            workflow_enabled: false,
            request_expiry_days: 30,
            notify_reviewers: true,
            reminders: true,
        }
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name() {
        let input = ConsentSettingsInput { user_consent_policy: Some("disabled".into()), reminders: Some(false), ..Default::default() };
        let next = validate_consent_settings(&current(), 1, &input).unwrap();
        assert_eq!(next, ConsentSettings { user_consent_policy: UserConsentPolicy::Disabled, reminders: false, ..current() });
    }

    #[test]
    fn every_problem_at_once_and_nothing_changes() {
        let input = ConsentSettingsInput {
            user_consent_policy: Some("everyone".into()),
            request_expiry_days: Some(0),
            workflow_enabled: Some(true),
            ..Default::default()
        };
        assert_eq!(
            validate_consent_settings(&current(), 0, &input),
            Err(vec![
                ("user_consent_policy", "unknown_value"),
                ("request_expiry_days", "out_of_range"),
                ("workflow_enabled", "needs_reviewer")
            ])
        );
        for days in [366, -1] {
            let input = ConsentSettingsInput { request_expiry_days: Some(days), ..Default::default() };
            assert!(validate_consent_settings(&current(), 1, &input).is_err(), "{days}");
        }
        for days in [1, 365] {
            let input = ConsentSettingsInput { request_expiry_days: Some(days), ..Default::default() };
            assert_eq!(validate_consent_settings(&current(), 1, &input).unwrap().request_expiry_days, days);
        }
        assert_eq!(
            validate_consent_settings(&current(), 1, &ConsentSettingsInput::default()),
            Err(vec![("settings", "nothing_to_change")])
        );
    }

    #[test]
    fn the_workflow_needs_a_reviewer_only_to_be_switched_on() {
        let on = ConsentSettingsInput { workflow_enabled: Some(true), ..Default::default() };
        assert!(validate_consent_settings(&current(), 1, &on).unwrap().workflow_enabled);
        let already_on = ConsentSettings { workflow_enabled: true, ..current() };
        let other = ConsentSettingsInput { reminders: Some(false), ..Default::default() };
        assert!(validate_consent_settings(&already_on, 0, &other).is_ok());
    }
}
