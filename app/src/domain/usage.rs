//! An OAuth app's usage, as the connected-applications page shows it (see
//! `../shared/seeds/001-*`): requests per day over the last 30 days, counted
//! from launches, token requests and userinfo calls, drawn as bars. Pure:
//! the page draws what this computes, on the server.

use crate::domain::model::Millis;

/// Days in the trend, today last.
pub const TREND_DAYS: usize = 30;
pub const DAY_MS: Millis = 86_400_000;

/// The day (days since the Unix epoch, UTC) a time falls on.
pub fn day_of(at: Millis) -> i64 {
    at.div_euclid(DAY_MS)
}

/// The trend's days, oldest first, ending today.
pub fn trend_days(now: Millis) -> Vec<i64> {
    let today = day_of(now);
    (0..TREND_DAYS as i64).rev().map(|back| today - back).collect()
}

/// Counts per day for `days`, from (day, count) rows (missing days are 0).
pub fn daily_counts(days: &[i64], rows: &[(i64, i64)]) -> Vec<i64> {
    days.iter().map(|d| rows.iter().filter(|(day, _)| day == d).map(|(_, n)| *n).sum()).collect()
}

/// One bar of the chart, in the chart's own units (a `viewBox` of
/// `width` × `height`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub count: i64,
}

/// Bars for `counts`, side by side with a gap, scaled so the busiest day
/// fills the height. A day with requests always shows (at least one unit
/// high), so a quiet day is not mistaken for none.
pub fn bars(counts: &[i64], width: f64, height: f64) -> Vec<Bar> {
    let n = counts.len().max(1) as f64;
    let slot = width / n;
    let gap = (slot * 0.2).min(2.0);
    let peak = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let h = if count > 0 { (count as f64 / peak * height).max(1.0) } else { 0.0 };
            Bar { x: i as f64 * slot + gap / 2.0, y: height - h, width: slot - gap, height: h, count }
        })
        .collect()
}

/// What the chart says, for people who cannot see it.
pub fn summary(counts: &[i64]) -> String {
    let total: i64 = counts.iter().sum();
    if total == 0 {
        return format!("No requests in the last {} days.", counts.len());
    }
    let peak = counts.iter().copied().max().unwrap_or(0);
    let busiest = counts.iter().rposition(|&c| c == peak).map(|i| counts.len() - 1 - i).unwrap_or(0);
    let when = match busiest {
        0 => "today".to_string(),
        1 => "yesterday".to_string(),
        n => format!("{n} days ago"),
    };
    format!("{total} request{} in the last {} days; the busiest day, {when}, had {peak}.", if total == 1 { "" } else { "s" }, counts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_ends_today_and_fills_missing_days_with_zero() {
        let now = 20_000 * DAY_MS + 5;
        let days = trend_days(now);
        assert_eq!(days.len(), 30);
        assert_eq!((days[0], days[29]), (19_971, 20_000));
        assert_eq!(daily_counts(&days[27..], &[(20_000, 4), (19_998, 2), (19_000, 9)]), [2, 0, 4]);
        assert_eq!(day_of(-1), -1, "before the epoch is the day before");
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_quiet_days_still_show() {
        let b = bars(&[0, 1, 200], 300.0, 100.0);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].height, 0.0);
        assert_eq!(b[1].height, 1.0, "one request is visible");
        assert_eq!((b[2].height, b[2].y), (100.0, 0.0));
        assert!(b[0].x < b[1].x && b[1].x + b[1].width <= b[2].x, "side by side with a gap");
        assert!(bars(&[], 300.0, 100.0).is_empty());
    }

    #[test]
    fn the_summary_says_totals_and_the_busiest_day() {
        assert_eq!(summary(&[0; 30]), "No requests in the last 30 days.");
        let mut counts = [0i64; 30];
        counts[29] = 1;
        assert_eq!(summary(&counts), "1 request in the last 30 days; the busiest day, today, had 1.");
        counts[27] = 5;
        assert_eq!(summary(&counts), "6 requests in the last 30 days; the busiest day, 2 days ago, had 5.");
    }
}
