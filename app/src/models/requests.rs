//! Requests and notifications as people see them: a requester's own
//! requests with their history (My requests), a reviewer's queue, and the
//! bell's notifications.

use crate::domain::consent::Classification;
use crate::domain::model::Millis;
use crate::domain::requests::{RequestKind, RequestStatus};
use serde::{Deserialize, Serialize};

/// One step of a request's life, oldest first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestHistoryEntry {
    /// `asked`, `approved`, `denied`, `blocked` or `expired`.
    pub event: String,
    pub at: Millis,
    /// Who asked or decided (empty for an expiry).
    pub by: String,
    /// The justification of an `asked`, the reason of a decision.
    pub text: Option<String>,
}

/// A request as its requester follows it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRequest {
    pub id: String,
    pub kind: RequestKind,
    pub app_id: String,
    pub app_name: String,
    pub status: RequestStatus,
    /// When the caller asked (they may have joined a request someone else started).
    pub asked_at: Millis,
    pub justification: String,
    pub expires_at: Millis,
    /// What an approval did beyond the obvious (e.g. no seat was free).
    pub outcome: Option<String>,
    pub history: Vec<RequestHistoryEntry>,
}

/// The decision part of a request, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionFacts {
    pub status: RequestStatus,
    pub at: Option<Millis>,
    pub by: Option<String>,
    pub reason: Option<String>,
}

/// A requester's history of one request: their asking, then its decision
/// (or expiry).
pub fn request_history(asked_by: &str, asked_at: Millis, justification: &str, decision: &DecisionFacts) -> Vec<RequestHistoryEntry> {
    let mut history =
        vec![RequestHistoryEntry { event: "asked".into(), at: asked_at, by: asked_by.into(), text: Some(justification.into()) }];
    if decision.status != RequestStatus::Pending {
        history.push(RequestHistoryEntry {
            event: decision.status.as_str().into(),
            at: decision.at.unwrap_or(asked_at),
            by: decision.by.clone().unwrap_or_default(),
            text: decision.reason.clone(),
        });
    }
    history
}

/// A permission a consent request asks for, with its org classification.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedPermission {
    pub id: String,
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub api_name: String,
    pub classification: Option<Classification>,
    pub admin_consent_required: bool,
}

/// Someone who asked, and why.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub user_id: String,
    pub display_name: String,
    pub upn: String,
    pub justification: String,
    pub requested_at: Millis,
}

/// One request in the reviewers' queue, or as the admin API lists it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    pub id: String,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// Consent requests: the permissions to grant the whole organisation.
    pub permissions: Vec<RequestedPermission>,
    pub requesters: Vec<Requester>,
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    pub outcome: Option<String>,
    /// Access requests: why the requester's launch was refused
    /// (`not_assigned` or `license_missing`).
    pub reason_code: Option<String>,
}

/// The license an app requires, and how many of its seats are taken.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseNeed {
    pub name: String,
    pub seats: i64,
    pub in_use: i64,
}

/// The requests for one app, with what a reviewer needs to judge it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewApp {
    pub app_id: String,
    pub app_name: String,
    pub publisher: String,
    pub publisher_verified: bool,
    pub registered_in_org: bool,
    /// Set when the app is blocked from consent (and why).
    pub blocked_reason: Option<String>,
    pub blocked_at: Option<Millis>,
    /// The license the app requires, if any (access requests give it).
    pub license: Option<LicenseNeed>,
    pub requests: Vec<ReviewRequest>,
}

/// What a reviewer sees: requests grouped by app (pending ones, or those of
/// the state asked for), and the apps blocked from consent.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    /// May the caller review consent requests (a named reviewer or a privileged admin)?
    pub reviews_consent: bool,
    /// Does the caller review access requests of any app?
    pub reviews_access: bool,
    pub apps: Vec<ReviewApp>,
    /// Apps blocked through the workflow, to unblock.
    pub blocked_apps: Vec<BlockedApp>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedApp {
    pub app_id: String,
    pub app_name: String,
    pub reason: String,
    pub blocked_at: Millis,
}

/// One notification of the bell.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A path on the portal.
    pub link: Option<String>,
    pub created_at: Millis,
    pub read_at: Option<Millis>,
}

/// The bell: the latest notifications and how many are unread.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    pub unread: u64,
    pub items: Vec<Notification>,
}

/// What the header shows on every signed-in page: the bell's count and
/// whether to link the review queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderCounts {
    pub unread_notifications: u64,
    /// Pending requests the caller may review (None: not a reviewer).
    pub pending_reviews: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_the_asking_then_the_decision() {
        let pending = DecisionFacts { status: RequestStatus::Pending, at: None, by: None, reason: None };
        let h = request_history("Alex Wu", 10, "For the Q3 plan", &pending);
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].event.as_str(), h[0].text.as_deref()), ("asked", Some("For the Q3 plan")));
        let denied = DecisionFacts {
            status: RequestStatus::Denied,
            at: Some(20),
            by: Some("Morgan Lee".into()),
            reason: Some("Use Team Chat".into()),
        };
        let h = request_history("Alex Wu", 10, "For the Q3 plan", &denied);
        assert_eq!(
            h[1],
            RequestHistoryEntry { event: "denied".into(), at: 20, by: "Morgan Lee".into(), text: Some("Use Team Chat".into()) }
        );
    }
}
