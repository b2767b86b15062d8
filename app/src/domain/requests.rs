//! Requests people make of their admins (DOMAIN.md, "Admin-consent
//! workflow"): an admin-consent request for an app whose permissions a user
//! may not grant themselves, and an access request for an app that is not
//! assigned to them. The rules every caller shares: what a justification
//! and a review reason may be, who may decide a request and when, when a
//! request expires and when its reviewers are reminded, and what people
//! are told. No I/O.

use super::fields::FieldProblem;
use super::model::Millis;
use serde::{Deserialize, Serialize};

/// A justification: required, at most this many characters.
pub const JUSTIFICATION_MAX_CHARS: usize = 1000;
/// A reviewer's reason for a denial or a block: required, at most this many.
pub const REASON_MAX_CHARS: usize = 500;

const DAY_MS: Millis = 24 * 60 * 60 * 1000;

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Consent for the whole organisation to an app's permissions.
    Consent,
    /// The app assigned to the requester.
    Access,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Consent => "consent",
            RequestKind::Access => "access",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "consent" => Some(RequestKind::Consent),
            "access" => Some(RequestKind::Access),
            _ => None,
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    /// Denied, and the app blocked from consent requests and consent.
    Blocked,
    /// Nobody decided before the org's expiry.
    Expired,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Blocked => "blocked",
            RequestStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RequestStatus::Pending),
            "approved" => Some(RequestStatus::Approved),
            "denied" => Some(RequestStatus::Denied),
            "blocked" => Some(RequestStatus::Blocked),
            "expired" => Some(RequestStatus::Expired),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::Pending => "Waiting for review",
            RequestStatus::Approved => "Approved",
            RequestStatus::Denied => "Denied",
            RequestStatus::Blocked => "Blocked",
            RequestStatus::Expired => "Expired",
        }
    }
}

/// What a reviewer decides.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Deny,
    /// Deny, and let nobody request or consent to the app any more (consent
    /// requests only).
    Block,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Decision::Approve),
            "deny" => Some(Decision::Deny),
            "block" => Some(Decision::Block),
            _ => None,
        }
    }
    pub fn status(self) -> RequestStatus {
        match self {
            Decision::Approve => RequestStatus::Approved,
            Decision::Deny => RequestStatus::Denied,
            Decision::Block => RequestStatus::Blocked,
        }
    }
}

/// Text a person typed into a box that may span lines: line breaks kept
/// (as `\n`), other control characters refused, trimmed, bounded.
fn multiline_text(field: &'static str, value: &str, max: usize, problems: &mut Vec<FieldProblem>) -> String {
    let value = value.replace("\r\n", "\n").replace('\r', "\n");
    let value = value.trim();
    if value.is_empty() {
        problems.push((field, "missing"));
    } else if value.chars().count() > max {
        problems.push((field, "too_long"));
    } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        problems.push((field, "control_characters"));
    }
    value.to_string()
}

/// Why the requester needs the app, as stored.
pub fn validate_justification(raw: &str) -> Result<String, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let text = multiline_text("justification", raw, JUSTIFICATION_MAX_CHARS, &mut problems);
    if problems.is_empty() {
        Ok(text)
    } else {
        Err(problems)
    }
}

/// A review as a reviewer sent it: the decision, and the reason a denial or
/// a block must give (an approval may give one).
pub fn validate_review(kind: RequestKind, decision: &str, reason: Option<&str>) -> Result<(Decision, Option<String>), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let decision = match Decision::parse(decision.trim()) {
        Some(Decision::Block) if kind == RequestKind::Access => {
            problems.push(("decision", "block_consent_only"));
            None
        }
        Some(d) => Some(d),
        None => {
            problems.push(("decision", "unknown_value"));
            None
        }
    };
    let reason = reason.unwrap_or("");
    let reason = match decision {
        Some(Decision::Approve) if reason.trim().is_empty() => None,
        _ => Some(multiline_text("reason", reason, REASON_MAX_CHARS, &mut problems)),
    };
    match decision {
        Some(d) if problems.is_empty() => Ok((d, reason)),
        _ => Err(problems),
    }
}

/// Why a caller may not decide a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewRefusal {
    /// Not one of its reviewers.
    NotReviewer,
    /// Someone already decided it, or it expired.
    AlreadyDecided(RequestStatus),
    /// Nobody reviews their own request.
    OwnRequest,
}

/// May this caller decide this request now? Reviewers only, only while it
/// is pending, and never one they asked for themselves (they would be
/// approving their own access).
pub fn may_decide(status: RequestStatus, caller_reviews: bool, caller_requested: bool) -> Result<(), ReviewRefusal> {
    if !caller_reviews {
        Err(ReviewRefusal::NotReviewer)
    } else if status != RequestStatus::Pending {
        Err(ReviewRefusal::AlreadyDecided(status))
    } else if caller_requested {
        Err(ReviewRefusal::OwnRequest)
    } else {
        Ok(())
    }
}

/// When a request made now expires, after the org's expiry in days.
pub fn expires_at(created_at: Millis, expiry_days: i64) -> Millis {
    created_at.saturating_add(expiry_days.clamp(1, 365).saturating_mul(DAY_MS))
}

/// When reviewers are reminded of a request still pending: once, a week
/// before it expires, or halfway through when it lasts two weeks or less.
pub fn reminder_at(created_at: Millis, expires_at: Millis) -> Millis {
    let lifetime = (expires_at - created_at).max(0);
    expires_at - (7 * DAY_MS).min(lifetime / 2)
}

/// What approving an access request did about the app's license.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatOutcome {
    /// The app needs no license, or they already hold a seat.
    NotNeeded,
    /// A seat was free and is theirs now.
    Given,
    /// They already claim the license and wait in line for a seat.
    InLine,
    /// No seat is free: they get none for now.
    NoneFree,
}

/// The sentence requester and reviewer read about the license, if any.
pub fn seat_outcome_text(license: &str, outcome: SeatOutcome) -> Option<String> {
    match outcome {
        SeatOutcome::NotNeeded => None,
        SeatOutcome::Given => Some(format!("A seat of {license} is theirs too.")),
        SeatOutcome::InLine => Some(format!("It needs {license}: they are in line for its next free seat.")),
        SeatOutcome::NoneFree => Some(format!("It needs {license} and no seat is free: they can open it once an admin frees or adds one.")),
    }
}

/// Which refused launches an access request can fix: the app not assigned
/// to them, or its license not given to them.
pub fn access_requestable(reason_code: &str) -> bool {
    matches!(reason_code, "not_assigned" | "license_missing")
}

/// A message for one person, in the portal and, when SMTP is configured,
/// by e-mail. `link` is a path on the portal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub link: String,
}

fn what(kind: RequestKind, app: &str) -> String {
    match kind {
        RequestKind::Consent => format!("approval of {app}"),
        RequestKind::Access => format!("access to {app}"),
    }
}

/// Tells a reviewer someone asked.
pub fn new_request_notice(kind: RequestKind, app: &str, requester: &str) -> Notice {
    Notice {
        kind: "request_new",
        title: format!("{requester} asks for {}", what(kind, app)),
        body: "A request waits for your review.".into(),
        link: "/reviews".into(),
    }
}

/// Reminds a reviewer of a request still pending.
pub fn reminder_notice(kind: RequestKind, app: &str, expires_at_utc: &str) -> Notice {
    Notice {
        kind: "request_reminder",
        title: format!("Reminder: a request for {} waits for review", what(kind, app)),
        body: format!("It expires on {expires_at_utc} if nobody reviews it."),
        link: "/reviews".into(),
    }
}

/// Tells a requester what became of their request.
pub fn outcome_notice(kind: RequestKind, app: &str, status: RequestStatus, reason: Option<&str>, outcome: Option<&str>) -> Notice {
    let asked = what(kind, app);
    let (title, mut body) = match status {
        RequestStatus::Approved => (
            format!("Your request for {asked} was approved"),
            match kind {
                RequestKind::Consent => format!("{app} now has the permissions it asked for. You can open it from My Apps."),
                RequestKind::Access => format!("{app} is now on My Apps."),
            },
        ),
        RequestStatus::Denied => (format!("Your request for {asked} was denied"), "You can ask again later.".to_string()),
        RequestStatus::Blocked => (
            format!("Your request for {asked} was denied"),
            format!("Your organisation blocked {app}: it can't be requested or consented to."),
        ),
        RequestStatus::Expired => {
            (format!("Your request for {asked} expired"), "Nobody reviewed it in time. You can ask again.".to_string())
        }
        RequestStatus::Pending => (format!("Your request for {asked} is waiting for review"), String::new()),
    };
    if let Some(outcome) = outcome.filter(|o| !o.is_empty()) {
        body.push(' ');
        body.push_str(outcome);
    }
    if let Some(reason) = reason.filter(|r| !r.is_empty()) {
        body.push_str(&format!(" Reason: {reason}"));
    }
    Notice { kind: "request_outcome", title, body, link: "/my-requests".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn justifications_are_required_bounded_and_may_span_lines() {
        assert_eq!(validate_justification("  I run payroll.\r\nEvery month. "), Ok("I run payroll.\nEvery month.".into()));
        assert_eq!(validate_justification(" \n "), Err(vec![("justification", "missing")]));
        let longest = "x".repeat(JUSTIFICATION_MAX_CHARS);
        assert_eq!(validate_justification(&longest), Ok(longest.clone()));
        assert_eq!(validate_justification(&format!("{longest}y")), Err(vec![("justification", "too_long")]));
        // Characters, not bytes: 1000 "é" are 2000 bytes and still fit.
        assert!(validate_justification(&"é".repeat(JUSTIFICATION_MAX_CHARS)).is_ok());
        assert_eq!(validate_justification("a\u{7}b"), Err(vec![("justification", "control_characters")]));
    }

    #[test]
    fn denials_and_blocks_need_a_reason_approvals_may_give_one() {
        use RequestKind::*;
        assert_eq!(validate_review(Consent, "approve", None), Ok((Decision::Approve, None)));
        assert_eq!(validate_review(Consent, "approve", Some("  ")), Ok((Decision::Approve, None)));
        assert_eq!(validate_review(Consent, "approve", Some("ok ")), Ok((Decision::Approve, Some("ok".into()))));
        assert_eq!(validate_review(Consent, "deny", None), Err(vec![("reason", "missing")]));
        assert_eq!(validate_review(Consent, "block", Some("")), Err(vec![("reason", "missing")]));
        assert_eq!(validate_review(Consent, "block", Some("Unvetted vendor")), Ok((Decision::Block, Some("Unvetted vendor".into()))));
        assert_eq!(validate_review(Access, "deny", Some("Not your team")), Ok((Decision::Deny, Some("Not your team".into()))));
        assert_eq!(validate_review(Access, "block", Some("no")), Err(vec![("decision", "block_consent_only")]));
        assert_eq!(validate_review(Consent, "maybe", Some("x")), Err(vec![("decision", "unknown_value")]));
        assert_eq!(validate_review(Consent, "deny", Some(&"x".repeat(REASON_MAX_CHARS + 1))), Err(vec![("reason", "too_long")]));
    }

    #[test]
    fn only_reviewers_decide_only_pending_requests_never_their_own() {
        use RequestStatus::*;
        assert_eq!(may_decide(Pending, true, false), Ok(()));
        assert_eq!(may_decide(Pending, false, false), Err(ReviewRefusal::NotReviewer));
        assert_eq!(may_decide(Pending, true, true), Err(ReviewRefusal::OwnRequest));
        for done in [Approved, Denied, Blocked, Expired] {
            assert_eq!(may_decide(done, true, false), Err(ReviewRefusal::AlreadyDecided(done)));
        }
        // A stranger learns nothing about the request's state.
        assert_eq!(may_decide(Approved, false, true), Err(ReviewRefusal::NotReviewer));
    }

    #[test]
    fn requests_expire_after_the_orgs_days_and_remind_before() {
        let t = 1_000_000;
        assert_eq!(expires_at(t, 30), t + 30 * DAY_MS);
        assert_eq!(expires_at(t, 0), t + DAY_MS);
        // 30 days: a week before the end; 10 days: halfway; 1 day: after 12 hours.
        assert_eq!(reminder_at(t, expires_at(t, 30)), t + 23 * DAY_MS);
        assert_eq!(reminder_at(t, expires_at(t, 10)), t + 5 * DAY_MS);
        assert_eq!(reminder_at(t, expires_at(t, 14)), t + 7 * DAY_MS);
        assert_eq!(reminder_at(t, expires_at(t, 1)), t + DAY_MS / 2);
    }

    #[test]
    fn only_assignment_and_license_refusals_can_be_requested() {
        assert!(access_requestable("not_assigned") && access_requestable("license_missing"));
        for other in ["license_seats_exhausted", "consent_required", "app_disabled", "app_not_found", "account_blocked", ""] {
            assert!(!access_requestable(other), "{other}");
        }
        assert_eq!(seat_outcome_text("Office E3", SeatOutcome::NotNeeded), None);
        assert_eq!(seat_outcome_text("Office E3", SeatOutcome::Given).as_deref(), Some("A seat of Office E3 is theirs too."));
        assert!(seat_outcome_text("Office E3", SeatOutcome::NoneFree).unwrap().contains("no seat is free"));
    }

    #[test]
    fn statuses_and_kinds_round_trip() {
        for s in [RequestStatus::Pending, RequestStatus::Approved, RequestStatus::Denied, RequestStatus::Blocked, RequestStatus::Expired] {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        for k in [RequestKind::Consent, RequestKind::Access] {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(RequestStatus::parse("PENDING"), None);
    }

    #[test]
    fn requesters_are_told_the_outcome_and_the_reason() {
        let n = outcome_notice(RequestKind::Consent, "Whiteboard", RequestStatus::Denied, Some("Use Team Chat"), None);
        assert_eq!(n.title, "Your request for approval of Whiteboard was denied");
        assert_eq!(n.body, "You can ask again later. Reason: Use Team Chat");
        assert_eq!(n.link, "/my-requests");
        let n = outcome_notice(RequestKind::Access, "Payroll", RequestStatus::Approved, None, Some("No seat of Office E3 is free yet."));
        assert_eq!(n.body, "Payroll is now on My Apps. No seat of Office E3 is free yet.");
        let n = new_request_notice(RequestKind::Access, "Payroll", "Alex Wu");
        assert_eq!((n.title.as_str(), n.link.as_str()), ("Alex Wu asks for access to Payroll", "/reviews"));
    }
}
