//! What an admin may ask of the sign-in and audit logs: the filters, checked
//! field by field, and the times they name. No I/O.

use super::fields::FieldProblem;
use super::model::Millis;
use serde::{Deserialize, Serialize};

/// The sign-in log's filters, checked. Empty text means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInFilter {
    /// Exactly this correlation id (the one on the refusal page).
    pub correlation_id: String,
    /// Part of the sign-in name used (any case).
    pub user: String,
    pub app_id: String,
    /// `success`, `failure` or `interrupted`.
    pub outcome: String,
    pub reason_code: String,
    /// `portal`, `launch`, `token` or `userinfo`.
    pub kind: String,
    /// From this time (inclusive) to that one (exclusive).
    pub from: Option<Millis>,
    pub to: Option<Millis>,
}

/// The audit log's filters, checked. Empty text means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Part of the actor's name as recorded (any case).
    pub actor: String,
    /// An action (`user.blocked`) or a family of them (`user.`).
    pub action: String,
    /// Exactly this target id.
    pub target_id: String,
    pub correlation_id: String,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
}

/// Which sign-in events a log page or export asks for: the filters as
/// typed (query parameters or a form), the cursor and the page size.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignInLogQuery {
    /// Exactly this correlation id (the one on a refusal page).
    pub correlation_id: String,
    /// Part of the sign-in name tried (any case).
    pub user: String,
    /// Exactly this app's id.
    pub app_id: String,
    /// `success`, `failure` or `interrupted`.
    pub outcome: String,
    /// Exactly this reason code, e.g. `not_assigned`.
    pub reason_code: String,
    /// `portal`, `launch`, `token` or `userinfo`.
    pub kind: String,
    /// From this time (inclusive), UTC: `YYYY-MM-DD`, optionally with `THH:MM[:SS]` and `Z`, or Unix milliseconds.
    pub from: String,
    /// Until this time (exclusive), in the same forms.
    pub to: String,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Rows per page: 1 to 200 (50 when left out).
    pub limit: u32,
}

/// Which audit events a log page or export asks for.
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditLogQuery {
    /// Part of the actor's name as recorded (any case): a UPN, or an API token's name.
    pub actor: String,
    /// An action (`user.sign_in_blocked`) or a family of them (`user.`).
    pub action: String,
    /// Exactly this target id.
    pub target_id: String,
    /// Exactly this correlation id.
    pub correlation_id: String,
    /// From this time (inclusive), UTC: `YYYY-MM-DD`, optionally with `THH:MM[:SS]` and `Z`, or Unix milliseconds.
    pub from: String,
    /// Until this time (exclusive), in the same forms.
    pub to: String,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Rows per page: 1 to 200 (50 when left out).
    pub limit: u32,
}

impl SignInLogQuery {
    /// The filters, checked field by field.
    pub fn filter(&self) -> Result<SignInFilter, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let correlation_id = token("correlation_id", &self.correlation_id, &mut problems);
        let user = text("user", &self.user, &mut problems).to_lowercase();
        let app_id = token("app_id", &self.app_id, &mut problems);
        let outcome = choice("outcome", &self.outcome, &OUTCOMES, &mut problems);
        let reason_code = token("reason_code", &self.reason_code, &mut problems);
        let kind = choice("kind", &self.kind, &KINDS, &mut problems);
        let (from, to) = range(&self.from, &self.to, &mut problems);
        if problems.is_empty() {
            Ok(SignInFilter { correlation_id, user, app_id, outcome, reason_code, kind, from, to })
        } else {
            Err(problems)
        }
    }
}

impl AuditLogQuery {
    /// The filters, checked field by field.
    pub fn filter(&self) -> Result<AuditFilter, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let actor = text("actor", &self.actor, &mut problems).to_lowercase();
        let action = token("action", &self.action, &mut problems);
        let target_id = token("target_id", &self.target_id, &mut problems);
        let correlation_id = token("correlation_id", &self.correlation_id, &mut problems);
        let (from, to) = range(&self.from, &self.to, &mut problems);
        if problems.is_empty() {
            Ok(AuditFilter { actor, action, target_id, correlation_id, from, to })
        } else {
            Err(problems)
        }
    }
}

pub const OUTCOMES: [&str; 3] = ["success", "failure", "interrupted"];
pub const KINDS: [&str; 4] = ["portal", "launch", "token", "userinfo"];

/// Free text: trimmed, at most 200 characters, no control characters.
fn text(field: &'static str, value: &str, problems: &mut Vec<FieldProblem>) -> String {
    super::fields::plain_text(field, value, 200, false, problems)
}

/// An id, code or action: letters, digits and `-_.:@`, at most 100.
fn token(field: &'static str, value: &str, problems: &mut Vec<FieldProblem>) -> String {
    let value = value.trim();
    if value.chars().count() > 100 || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)) {
        problems.push((field, "malformed_filter"));
    }
    value.to_string()
}

fn choice(field: &'static str, value: &str, allowed: &[&str], problems: &mut Vec<FieldProblem>) -> String {
    let value = value.trim();
    if !value.is_empty() && !allowed.contains(&value) {
        problems.push((field, "unknown"));
    }
    value.to_string()
}

fn range(from: &str, to: &str, problems: &mut Vec<FieldProblem>) -> (Option<Millis>, Option<Millis>) {
    let mut at = |field: &'static str, value: &str| {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let parsed = parse_time(value);
        if parsed.is_none() {
            problems.push((field, "malformed_time"));
        }
        parsed
    };
    let (from, to) = (at("from", from), at("to", to));
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            problems.push(("to", "before_from"));
        }
    }
    (from, to)
}

/// A time in UTC: Unix milliseconds, or `YYYY-MM-DD` with an optional
/// `THH:MM` or `THH:MM:SS` (a space may stand for the `T`; a trailing `Z`
/// is allowed) — what a `datetime-local` field sends.
pub fn parse_time(value: &str) -> Option<Millis> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok();
    }
    let value = value.strip_suffix('Z').unwrap_or(value);
    let (date, time) = match value.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (value, None),
    };
    let mut date_parts = date.split('-');
    let (y, m, d) = (number(date_parts.next()?, 4)?, number(date_parts.next()?, 2)?, number(date_parts.next()?, 2)?);
    if date_parts.next().is_some() || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if let Some(time) = time {
        let mut parts = time.split(':');
        hh = number(parts.next()?, 2)?;
        mm = number(parts.next()?, 2)?;
        if let Some(s) = parts.next() {
            ss = number(s, 2)?;
        }
        if parts.next().is_some() || hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
    }
    Some(((days_from_civil(y, m, d) * 86_400) + hh * 3600 + mm * 60 + ss) * 1000)
}

fn number(s: &str, digits: usize) -> Option<i64> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A CSV cell that a spreadsheet will show as text, never run: cells that
/// start like a formula (`=`, `+`, `-`, `@`, tab, carriage return) get a
/// leading apostrophe (OWASP's advice against CSV injection). User agents
/// and typed sign-in names are whatever the client sent.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(parse_time("1970-01-01"), Some(0));
        assert_eq!(parse_time("1970-01-02T00:00"), Some(86_400_000));
        assert_eq!(parse_time("2026-12-01T08:30"), Some(1_796_113_800_000));
        assert_eq!(parse_time("2026-12-01 08:30:15Z"), Some(1_796_113_815_000));
        assert_eq!(parse_time("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_time("1796113800000"), Some(1_796_113_800_000));
        for bad in ["2023-02-29", "2026-13-01", "2026-12-01T24:00", "26-12-01", "yesterday", "2026-12-01T08", "", "2026-12-01T08:30:15:00"]
        {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn filters_are_checked_field_by_field() {
        let query = |user: &str, outcome: &str, from: &str, to: &str| SignInLogQuery {
            user: user.into(),
            outcome: outcome.into(),
            from: from.into(),
            to: to.into(),
            ..Default::default()
        };
        let ok = query(" Alex.Wu ", "failure", "2026-12-01", "2026-12-02").filter().unwrap();
        assert_eq!(ok.user, "alex.wu");
        assert_eq!(ok.outcome, "failure");
        assert_eq!((ok.from, ok.to), (Some(1_796_083_200_000), Some(1_796_169_600_000)));
        let problems = SignInLogQuery {
            kind: "ftp".into(),
            correlation_id: "x'; DROP TABLE".into(),
            ..query("", "maybe", "2026-12-02", "2026-12-01")
        }
        .filter()
        .unwrap_err();
        assert_eq!(
            problems,
            vec![("correlation_id", "malformed_filter"), ("outcome", "unknown"), ("kind", "unknown"), ("to", "before_from")]
        );
        let problems = AuditLogQuery { from: "soon".into(), actor: "a\u{7}".into(), ..Default::default() }.filter().unwrap_err();
        assert_eq!(problems, vec![("actor", "control_characters"), ("from", "malformed_time")]);
    }

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_safe("Mozilla/5.0"), "Mozilla/5.0");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
