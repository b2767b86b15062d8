//! What an employee sees of their apps: tiles, details, and launch refusals.

use crate::domain::decision::AccessPath;
use serde::{Deserialize, Serialize};

/// One app tile on My Apps.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppTile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub publisher: String,
    pub publisher_verified: bool,
    pub logo_url: Option<String>,
    /// Up to two letters, for apps without a logo.
    pub monogram: String,
    /// A stable colour (0–359) for the monogram.
    pub hue: u16,
    /// The app's user access URL on this portal (a path).
    pub launch_url: String,
    pub pinned: bool,
    pub last_launched_at: Option<i64>,
    /// Why the user has this app.
    pub why: Vec<AccessPath>,
}

/// The signed-in user's apps.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyApps {
    /// Every app the user may launch and that is visible, by name.
    pub apps: Vec<AppTile>,
    /// Ids of recently launched apps, most recent first.
    pub recent: Vec<String>,
}

/// Who granted a permission.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantedBy {
    /// Tenant-wide admin consent.
    Organisation,
    /// The user's own consent (or an admin's on their behalf).
    You,
}

/// A permission an app holds (or asks for) on the user's behalf.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionView {
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub api_name: String,
    pub granted_by: Option<GrantedBy>,
    pub granted_at: Option<i64>,
}

/// One app, in detail.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetails {
    pub app: AppTile,
    /// The absolute user access URL, to bookmark or share.
    pub deep_link: String,
    pub sign_on_mode: String,
    pub registered_in_org: bool,
    /// Permissions granted (by the organisation or by the user).
    pub permissions: Vec<PermissionView>,
    /// Requested permissions nobody has granted yet.
    pub pending_permissions: Vec<PermissionView>,
    /// Why a launch would be refused now, if it would (stable code).
    pub launch_blocked_by: Option<String>,
}

/// A refused launch, as the refusal page shows it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchRefusal {
    pub code: String,
    pub app_name: Option<String>,
    pub app_id: Option<String>,
    pub correlation_id: String,
    pub upn: String,
    pub tenant_id: String,
    pub user_agent: String,
    /// UTC, RFC 3339.
    pub time_utc: String,
    /// Set when an access request could fix this refusal (`not_assigned`,
    /// `license_missing`).
    pub access_request: Option<AccessOffer>,
}

/// "Request access" on a refusal page.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessOffer {
    pub app_id: String,
    /// When the person asked, while their request is pending.
    pub asked_at: Option<i64>,
}

/// Plain words for a refusal code: a title, what it means, and what the
/// person can do. One place, so the page, the API and docs agree.
pub fn refusal_text(code: &str) -> (&'static str, &'static str, &'static [&'static str]) {
    match code {
        "app_not_found" => (
            "We can't find that app",
            "The link may be mistyped, or the app may have been removed or never been available to your organisation.",
            &["Check the link with whoever sent it.", "Find the app on My Apps.", "Contact your admin if you expected to have it."],
        ),
        "app_disabled" => (
            "This app is switched off",
            "Your organisation has disabled sign-in to this app for everyone.",
            &["Contact your admin if you need it."],
        ),
        "not_assigned" => (
            "You don't have access to this app",
            "This app is only available to people it is assigned to, and it isn't assigned to you or to a group you're in.",
            &["Request access below: the app's reviewers decide, and you'll see their answer under the bell and on My requests."],
        ),
        "license_missing" => (
            "You need a license for this app",
            "This app needs a license that you don't have.",
            &["Request access below: a reviewer can give you the license while a seat is free."],
        ),
        "license_seats_exhausted" => (
            "No license is free right now",
            "You're in line for this app's license, but all of its seats are in use by people who got it before you.",
            &["Ask your admin to add seats or free one up.", "Try again later: a freed seat goes to the next person in line."],
        ),
        "consent_required" => (
            "This app needs permission first",
            "The app asks for permissions that nobody has granted yet, and your organisation doesn't let you grant them yourself.",
            &["Ask your admin to approve the app for your organisation, sharing the correlation ID below."],
        ),
        "account_blocked" => ("Your account is blocked", "Your account has been blocked from signing in.", &["Contact your admin."]),
        "account_locked" => (
            "Your account is locked",
            "Your account is locked after several failed sign-in attempts.",
            &["Wait 15 minutes and try again, or contact your admin."],
        ),
        "password_expired" => (
            "Your password has expired",
            "You need to choose a new password before using apps.",
            &["Sign out and sign in again to change it."],
        ),
        "mfa_required" => (
            "A second sign-in step is needed",
            "This app needs you to finish multi-factor authentication.",
            &["Sign out and sign in again."],
        ),
        "app_not_configured" => (
            "This app isn't set up correctly",
            "The app has no valid address to send you to.",
            &["Contact your admin, sharing the correlation ID below."],
        ),
        _ => ("We couldn't open this app", "Something prevented the launch.", &["Contact your admin, sharing the correlation ID below."]),
    }
}

/// Up to two initials of an app name, for its monogram.
pub fn monogram(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().filter(|w| w.chars().next().is_some_and(char::is_alphanumeric)).collect();
    let letters: String = match words.as_slice() {
        [] => "?".into(),
        [one] => one.chars().take(2).collect(),
        [first, second, ..] => first.chars().take(1).chain(second.chars().take(1)).collect(),
    };
    letters.to_uppercase()
}

/// A stable hue for a name (FNV-1a), so each app keeps its colour.
pub fn hue(name: &str) -> u16 {
    let mut h: u32 = 0x811c9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    (h % 360) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monograms() {
        assert_eq!(monogram("Team Chat"), "TC");
        assert_eq!(monogram("Mail"), "MA");
        assert_eq!(monogram("CRM"), "CR");
        assert_eq!(monogram("  "), "?");
        assert_eq!(monogram("Ledger & Co"), "LC");
    }

    #[test]
    fn hues_are_stable_and_in_range() {
        assert_eq!(hue("Mail"), hue("Mail"));
        assert!(hue("Anything at all") < 360);
        assert_ne!(hue("Mail"), hue("Payroll"));
    }

    #[test]
    fn every_decision_code_has_words() {
        for code in [
            "app_not_found",
            "app_disabled",
            "not_assigned",
            "license_missing",
            "license_seats_exhausted",
            "consent_required",
            "account_blocked",
            "account_locked",
            "password_expired",
            "mfa_required",
            "app_not_configured",
        ] {
            assert_ne!(refusal_text(code).0, refusal_text("unknown").0, "{code}");
        }
    }
}

/// Does a tile match what the person typed? Every word must appear in the
/// name, publisher, category or description (case-insensitive).
pub fn tile_matches(tile: &AppTile, query: &str) -> bool {
    let haystack = format!("{} {} {} {}", tile.name, tile.publisher, tile.category, tile.description).to_lowercase();
    query.split_whitespace().all(|word| haystack.contains(&word.to_lowercase()))
}

/// Tiles grouped by category: categories by name, "Other" last.
pub fn by_category(tiles: &[AppTile]) -> Vec<(String, Vec<AppTile>)> {
    let mut groups: std::collections::BTreeMap<(bool, String), Vec<AppTile>> = Default::default();
    for t in tiles {
        groups.entry((t.category == "Other", t.category.clone())).or_default().push(t.clone());
    }
    groups.into_iter().map(|((_, name), tiles)| (name, tiles)).collect()
}

/// The categories of `tiles` with how many apps each holds, in the order
/// `by_category` shows them.
pub fn category_counts(tiles: &[AppTile]) -> Vec<(String, usize)> {
    by_category(tiles).into_iter().map(|(name, tiles)| (name, tiles.len())).collect()
}

/// The tiles a search and an optional category filter leave, in the order given.
pub fn filter_tiles(tiles: &[AppTile], query: &str, category: Option<&str>) -> Vec<AppTile> {
    tiles.iter().filter(|t| category.is_none_or(|c| t.category == c) && tile_matches(t, query)).cloned().collect()
}

#[cfg(test)]
mod search_tests {
    use super::*;

    fn tile(name: &str, publisher: &str, category: &str) -> AppTile {
        AppTile {
            id: name.into(),
            name: name.into(),
            description: "Plan work".into(),
            category: category.into(),
            publisher: publisher.into(),
            publisher_verified: true,
            logo_url: None,
            monogram: monogram(name),
            hue: hue(name),
            launch_url: String::new(),
            pinned: false,
            last_launched_at: None,
            why: vec![],
        }
    }

    #[test]
    fn search_matches_every_word_anywhere() {
        let t = tile("Issue Tracker", "Tailspin Software", "Engineering");
        for (q, hit) in [
            ("", true),
            ("issue", true),
            ("TRACK", true),
            ("tailspin eng", true),
            ("plan", true),
            ("issue payroll", false),
            ("mail", false),
        ] {
            assert_eq!(tile_matches(&t, q), hit, "{q:?}");
        }
    }

    #[test]
    fn categories_sorted_with_other_last() {
        let tiles = [tile("A", "p", "Other"), tile("B", "p", "Sales"), tile("C", "p", "Engineering"), tile("D", "p", "Sales")];
        let groups = by_category(&tiles);
        let names: Vec<_> = groups.iter().map(|(n, t)| (n.as_str(), t.len())).collect();
        assert_eq!(names, [("Engineering", 1), ("Sales", 2), ("Other", 1)]);
        assert_eq!(category_counts(&tiles), [("Engineering".to_string(), 1), ("Sales".to_string(), 2), ("Other".to_string(), 1)]);
    }

    #[test]
    fn category_and_search_filter_together() {
        let tiles = [tile("CRM", "Contoso", "Sales"), tile("Quotes", "Tailspin", "Sales"), tile("Wiki", "Tailspin", "Engineering")];
        let names = |v: Vec<AppTile>| v.into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(filter_tiles(&tiles, "", None)), ["CRM", "Quotes", "Wiki"]);
        assert_eq!(names(filter_tiles(&tiles, "", Some("Sales"))), ["CRM", "Quotes"]);
        assert_eq!(names(filter_tiles(&tiles, "tailspin", Some("Sales"))), ["Quotes"]);
        assert_eq!(names(filter_tiles(&tiles, "tailspin", None)), ["Quotes", "Wiki"]);
        assert!(filter_tiles(&tiles, "", Some("Finance")).is_empty());
        assert!(filter_tiles(&tiles, "", Some("sales")).is_empty(), "categories match exactly");
    }
}

/// A recorded sign-in event: as the person it belongs to may see it (the
/// refusal page), and in the admins' sign-in log.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInEventRecord {
    pub correlation_id: String,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub kind: String,
    pub outcome: String,
    pub reason_code: String,
    pub client_ip: String,
    pub user_agent: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub created_at: crate::domain::model::Millis,
}
