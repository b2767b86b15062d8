//! The access decision (DOMAIN.md, "Access decision"): one pure function that
//! the My Apps list, the launch, token issuance and the admin's check-access
//! page all call. It returns every reason a user may not use an app, in the
//! order of the checks; a launch is refused at the first, diagnostics show
//! them all.

use super::consent::{consent_next, ConsentNext, OrgConsentSettings, PermissionFacts};
use serde::{Deserialize, Serialize};

/// The account, as far as using apps goes. `None` in [`AccessFacts`] means
/// nobody is signed in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFacts {
    pub sign_in_blocked: bool,
    pub locked: bool,
    pub password_expired: bool,
    /// False when the account requires MFA and this session has not done it.
    pub mfa_satisfied: bool,
}

/// The app, when it exists in the user's organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppFacts {
    pub enabled: bool,
    pub visible: bool,
    pub assignment_required: bool,
    pub requires_license: bool,
    pub publisher_verified: bool,
    pub registered_in_org: bool,
    /// Blocked through the admin-consent workflow.
    pub consent_blocked: bool,
}

/// How the user holds the license an app requires.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LicenseFacts {
    NotRequired,
    /// Holds it, with a seat.
    Held,
    /// Would hold it (directly or through a group) but every seat is taken
    /// by users whose license took effect earlier.
    NoSeat,
    Missing,
}

/// Why a user has an app (shown on the tile, on demand).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccessPath {
    /// Assigned to the user.
    Direct,
    /// Assigned to `group`, which the user is in through `via` (outermost
    /// first; empty when the user is a direct member).
    Group { group: String, via: Vec<String> },
    /// The app does not require assignment.
    OpenToEveryone,
}

/// Everything the decision looks at, gathered by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessFacts {
    pub account: Option<AccountFacts>,
    pub app: Option<AppFacts>,
    /// Assignments reaching the user (direct, or through any nested group).
    pub assignments: Vec<AccessPath>,
    pub license: LicenseFacts,
    /// The app's requested permissions that no grant covers yet (neither
    /// tenant-wide nor the user's own).
    pub missing_consent: Vec<PermissionFacts>,
    pub consent_settings: OrgConsentSettings,
}

/// A reason to refuse, with a stable code for pages, logs and API errors.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    SignInRequired,
    AccountBlocked,
    AccountLocked,
    PasswordExpired,
    MfaRequired,
    AppNotFound,
    AppDisabled,
    NotAssigned,
    LicenseMissing,
    LicenseSeatsExhausted,
    ConsentRequired { missing: Vec<String>, next: ConsentNext },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::SignInRequired => "sign_in_required",
            Refusal::AccountBlocked => "account_blocked",
            Refusal::AccountLocked => "account_locked",
            Refusal::PasswordExpired => "password_expired",
            Refusal::MfaRequired => "mfa_required",
            Refusal::AppNotFound => "app_not_found",
            Refusal::AppDisabled => "app_disabled",
            Refusal::NotAssigned => "not_assigned",
            Refusal::LicenseMissing => "license_missing",
            Refusal::LicenseSeatsExhausted => "license_seats_exhausted",
            Refusal::ConsentRequired { .. } => "consent_required",
        }
    }

    /// Checks 3–5 (app, assignment, license): the ones that decide whether a
    /// tile shows at all.
    pub fn hides_tile(&self) -> bool {
        matches!(
            self,
            Refusal::AppNotFound | Refusal::AppDisabled | Refusal::NotAssigned | Refusal::LicenseMissing | Refusal::LicenseSeatsExhausted
        )
    }
}

/// The outcome: every reason, in check order. No reasons: allowed.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub reasons: Vec<Refusal>,
    /// Why the user has the app, when they do.
    pub paths: Vec<AccessPath>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The reason a launch is refused with: the first failing check.
    pub fn first_refusal(&self) -> Option<&Refusal> {
        self.reasons.first()
    }
}

/// Runs every check of DOMAIN.md in order and collects the failures.
pub fn decide(facts: &AccessFacts) -> Decision {
    let mut reasons = Vec::new();

    // 1–2. Signed in; account in order.
    match &facts.account {
        None => reasons.push(Refusal::SignInRequired),
        Some(account) => {
            if account.sign_in_blocked {
                reasons.push(Refusal::AccountBlocked);
            }
            if account.locked {
                reasons.push(Refusal::AccountLocked);
            }
            if account.password_expired {
                reasons.push(Refusal::PasswordExpired);
            }
            if !account.mfa_satisfied {
                reasons.push(Refusal::MfaRequired);
            }
        }
    }

    // 3. The app exists in the user's org and is enabled.
    let Some(app) = &facts.app else {
        reasons.push(Refusal::AppNotFound);
        return Decision { reasons, paths: Vec::new() };
    };
    if !app.enabled {
        reasons.push(Refusal::AppDisabled);
    }

    // 4. Assignment, unless the app is open to everyone.
    let paths = if app.assignment_required {
        if facts.assignments.is_empty() {
            reasons.push(Refusal::NotAssigned);
        }
        facts.assignments.clone()
    } else {
        let mut paths = facts.assignments.clone();
        paths.push(AccessPath::OpenToEveryone);
        paths
    };

    // 5. License, where the app requires one.
    if app.requires_license {
        match facts.license {
            LicenseFacts::Held | LicenseFacts::NotRequired => {}
            LicenseFacts::NoSeat => reasons.push(Refusal::LicenseSeatsExhausted),
            LicenseFacts::Missing => reasons.push(Refusal::LicenseMissing),
        }
    }

    // 6. Consent for every requested permission.
    if !facts.missing_consent.is_empty() {
        let next = consent_next(&facts.consent_settings, app, &facts.missing_consent);
        reasons.push(Refusal::ConsentRequired { missing: facts.missing_consent.iter().map(|p| p.value.clone()).collect(), next });
    }

    Decision { reasons, paths }
}

/// A tile shows when the app is visible and checks 3–5 pass.
pub fn shows_tile(facts: &AccessFacts, decision: &Decision) -> bool {
    facts.app.as_ref().is_some_and(|a| a.visible) && !decision.reasons.iter().any(Refusal::hides_tile)
}

/// The checks of the decision, in DOMAIN.md's order, as an admin reviews
/// them for one user and one app.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    SignInAllowed,
    NotLockedOut,
    PasswordCurrent,
    SecondFactor,
    AppEnabled,
    Assigned,
    Licensed,
    Consented,
}

impl Check {
    pub const ALL: [Check; 8] = [
        Check::SignInAllowed,
        Check::NotLockedOut,
        Check::PasswordCurrent,
        Check::SecondFactor,
        Check::AppEnabled,
        Check::Assigned,
        Check::Licensed,
        Check::Consented,
    ];

    /// The check a refusal fails.
    pub fn of(refusal: &Refusal) -> Check {
        match refusal {
            Refusal::SignInRequired | Refusal::AccountBlocked => Check::SignInAllowed,
            Refusal::AccountLocked => Check::NotLockedOut,
            Refusal::PasswordExpired => Check::PasswordCurrent,
            Refusal::MfaRequired => Check::SecondFactor,
            Refusal::AppNotFound | Refusal::AppDisabled => Check::AppEnabled,
            Refusal::NotAssigned => Check::Assigned,
            Refusal::LicenseMissing | Refusal::LicenseSeatsExhausted => Check::Licensed,
            Refusal::ConsentRequired { .. } => Check::Consented,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Check::SignInAllowed => "Sign-in is allowed (not blocked)",
            Check::NotLockedOut => "Not locked out after failed passwords",
            Check::PasswordCurrent => "Password current (not expired, no change owed)",
            Check::SecondFactor => "Second factor, where the organisation requires one",
            Check::AppEnabled => "The app exists here and is enabled",
            Check::Assigned => "Assigned (directly, through a group, or open to everyone)",
            Check::Licensed => "Holds a seat of the license the app requires",
            Check::Consented => "Every requested permission is consented",
        }
    }
}

/// One check's outcome: the reason code when it fails.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check: Check,
    pub passed: bool,
    pub reason: Option<String>,
}

/// Every check of a decision, pass or fail, in order: the same decision a
/// launch makes, laid out for a person.
pub fn review(decision: &Decision) -> Vec<CheckOutcome> {
    Check::ALL
        .iter()
        .map(|&check| {
            let failed = decision.reasons.iter().find(|r| Check::of(r) == check);
            CheckOutcome { check, passed: failed.is_none(), reason: failed.map(|r| r.code().to_string()) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::{Classification, UserConsentPolicy};

    fn ok_account() -> AccountFacts {
        AccountFacts { sign_in_blocked: false, locked: false, password_expired: false, mfa_satisfied: true }
    }

    fn app() -> AppFacts {
        AppFacts {
            enabled: true,
            visible: true,
            assignment_required: true,
            requires_license: false,
            publisher_verified: true,
            registered_in_org: false,
            consent_blocked: false,
        }
    }

    fn perm(value: &str, classification: Option<Classification>, admin: bool) -> PermissionFacts {
        PermissionFacts { value: value.into(), classification, admin_consent_required: admin }
    }

    fn facts() -> AccessFacts {
        AccessFacts {
            account: Some(ok_account()),
            app: Some(app()),
            assignments: vec![AccessPath::Direct],
            license: LicenseFacts::NotRequired,
            missing_consent: vec![],
            consent_settings: OrgConsentSettings { policy: UserConsentPolicy::VerifiedPublishersLowImpact, workflow_enabled: true },
        }
    }

    fn codes(f: &AccessFacts) -> Vec<&'static str> {
        decide(f).reasons.iter().map(Refusal::code).collect()
    }

    #[test]
    fn each_check_on_its_own() {
        let nested = AccessPath::Group { group: "Engineering".into(), via: vec!["Platform Team".into()] };
        let cases: Vec<(&str, AccessFacts, Vec<&str>)> = vec![
            ("all good", facts(), vec![]),
            ("not signed in", AccessFacts { account: None, ..facts() }, vec!["sign_in_required"]),
            (
                "blocked",
                AccessFacts { account: Some(AccountFacts { sign_in_blocked: true, ..ok_account() }), ..facts() },
                vec!["account_blocked"],
            ),
            ("locked", AccessFacts { account: Some(AccountFacts { locked: true, ..ok_account() }), ..facts() }, vec!["account_locked"]),
            (
                "password expired",
                AccessFacts { account: Some(AccountFacts { password_expired: true, ..ok_account() }), ..facts() },
                vec!["password_expired"],
            ),
            (
                "mfa not done",
                AccessFacts { account: Some(AccountFacts { mfa_satisfied: false, ..ok_account() }), ..facts() },
                vec!["mfa_required"],
            ),
            ("no such app", AccessFacts { app: None, ..facts() }, vec!["app_not_found"]),
            ("disabled app", AccessFacts { app: Some(AppFacts { enabled: false, ..app() }), ..facts() }, vec!["app_disabled"]),
            ("hidden app still launches", AccessFacts { app: Some(AppFacts { visible: false, ..app() }), ..facts() }, vec![]),
            ("not assigned", AccessFacts { assignments: vec![], ..facts() }, vec!["not_assigned"]),
            (
                "assigned through a group",
                AccessFacts { assignments: vec![AccessPath::Group { group: "Sales".into(), via: vec![] }], ..facts() },
                vec![],
            ),
            ("assigned through a nested group", AccessFacts { assignments: vec![nested], ..facts() }, vec![]),
            (
                "open app needs no assignment",
                AccessFacts { assignments: vec![], app: Some(AppFacts { assignment_required: false, ..app() }), ..facts() },
                vec![],
            ),
            (
                "license held",
                AccessFacts { app: Some(AppFacts { requires_license: true, ..app() }), license: LicenseFacts::Held, ..facts() },
                vec![],
            ),
            (
                "license missing",
                AccessFacts { app: Some(AppFacts { requires_license: true, ..app() }), license: LicenseFacts::Missing, ..facts() },
                vec!["license_missing"],
            ),
            (
                "beyond the seat count",
                AccessFacts { app: Some(AppFacts { requires_license: true, ..app() }), license: LicenseFacts::NoSeat, ..facts() },
                vec!["license_seats_exhausted"],
            ),
            ("license not required ignores license state", AccessFacts { license: LicenseFacts::Missing, ..facts() }, vec![]),
            (
                "consent missing",
                AccessFacts { missing_consent: vec![perm("Mail.Read", Some(Classification::Medium), false)], ..facts() },
                vec!["consent_required"],
            ),
        ];
        for (name, f, expected) in cases {
            assert_eq!(codes(&f), expected, "{name}");
        }
    }

    #[test]
    fn all_reasons_in_check_order() {
        let f = AccessFacts {
            account: Some(AccountFacts { sign_in_blocked: true, locked: true, password_expired: true, mfa_satisfied: false }),
            app: Some(AppFacts { enabled: false, requires_license: true, ..app() }),
            assignments: vec![],
            license: LicenseFacts::NoSeat,
            missing_consent: vec![perm("openid", Some(Classification::Low), false)],
            ..facts()
        };
        assert_eq!(
            codes(&f),
            [
                "account_blocked",
                "account_locked",
                "password_expired",
                "mfa_required",
                "app_disabled",
                "not_assigned",
                "license_seats_exhausted",
                "consent_required"
            ]
        );
        assert_eq!(decide(&f).first_refusal().map(Refusal::code), Some("account_blocked"));
        // An unknown app stops the app checks: nothing to assign or license.
        let unknown = AccessFacts { app: None, account: None, ..f };
        assert_eq!(codes(&unknown), ["sign_in_required", "app_not_found"]);
    }

    #[test]
    fn tiles_show_only_for_visible_apps_passing_checks_3_to_5() {
        let cases = [
            ("assigned", facts(), true),
            ("hidden", AccessFacts { app: Some(AppFacts { visible: false, ..app() }), ..facts() }, false),
            ("disabled", AccessFacts { app: Some(AppFacts { enabled: false, ..app() }), ..facts() }, false),
            ("unassigned", AccessFacts { assignments: vec![], ..facts() }, false),
            (
                "no seat",
                AccessFacts { app: Some(AppFacts { requires_license: true, ..app() }), license: LicenseFacts::NoSeat, ..facts() },
                false,
            ),
            (
                "consent pending still shows",
                AccessFacts { missing_consent: vec![perm("openid", Some(Classification::Low), false)], ..facts() },
                true,
            ),
        ];
        for (name, f, shows) in cases {
            assert_eq!(shows_tile(&f, &decide(&f)), shows, "{name}");
        }
    }

    #[test]
    fn paths_explain_why_the_user_has_the_app() {
        let open = AccessFacts { assignments: vec![], app: Some(AppFacts { assignment_required: false, ..app() }), ..facts() };
        assert_eq!(decide(&open).paths, [AccessPath::OpenToEveryone]);
        let both =
            AccessFacts { assignments: vec![AccessPath::Direct, AccessPath::Group { group: "Sales".into(), via: vec![] }], ..facts() };
        assert_eq!(decide(&both).paths.len(), 2);
    }

    #[test]
    fn consent_refusal_says_what_comes_next() {
        let low = perm("openid", Some(Classification::Low), false);
        let medium = perm("Mail.Read", Some(Classification::Medium), false);
        let f = AccessFacts { missing_consent: vec![low.clone()], ..facts() };
        assert_eq!(decide(&f).reasons, [Refusal::ConsentRequired { missing: vec!["openid".into()], next: ConsentNext::UserCanConsent }]);
        let f = AccessFacts { missing_consent: vec![low, medium], ..facts() };
        assert!(
            matches!(&decide(&f).reasons[0], Refusal::ConsentRequired { next: ConsentNext::ApprovalRequired, missing } if missing.len() == 2)
        );
    }

    #[test]
    fn a_review_lists_every_check_and_fails_exactly_the_refused_ones() {
        let decision = Decision { reasons: vec![Refusal::AccountLocked, Refusal::LicenseSeatsExhausted], paths: vec![] };
        let outcomes = review(&decision);
        assert_eq!(outcomes.len(), Check::ALL.len());
        let failed: Vec<(Check, Option<&str>)> = outcomes.iter().filter(|o| !o.passed).map(|o| (o.check, o.reason.as_deref())).collect();
        assert_eq!(failed, [(Check::NotLockedOut, Some("account_locked")), (Check::Licensed, Some("license_seats_exhausted"))]);
        assert!(review(&Decision { reasons: vec![], paths: vec![] }).iter().all(|o| o.passed));
    }
}
