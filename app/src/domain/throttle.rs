//! Throttling failed sign-ins per client address.
//!
//! The per-account lockout (see `signin`) stops guessing one person's
//! password; it does nothing against one address trying a common password on
//! every account (password spraying), and every attempt costs an argon2 hash.
//! So failures are also counted per client address in fixed windows: once an
//! address has used up its allowance, its sign-ins are refused before any
//! account is looked up or any password hashed, until the window ends.

use super::model::{Millis, MINUTE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failed sign-ins one address may make per window; 0 turns it off.
    pub max_failures: u32,
    pub window: Millis,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy { max_failures: 30, window: 15 * MINUTE }
    }
}

/// The failures one address made in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureWindow {
    pub started_at: Millis,
    pub failures: u32,
}

impl ThrottlePolicy {
    pub fn is_off(&self) -> bool {
        self.max_failures == 0
    }

    fn current(&self, window: Option<FailureWindow>, now: Millis) -> Option<FailureWindow> {
        window.filter(|w| now < w.started_at + self.window)
    }

    /// When the address may try again, if it may not now.
    pub fn retry_at(&self, window: Option<FailureWindow>, now: Millis) -> Option<Millis> {
        if self.is_off() {
            return None;
        }
        self.current(window, now).filter(|w| w.failures >= self.max_failures).map(|w| w.started_at + self.window)
    }

    /// The window after one more failure at `now`.
    pub fn after_failure(&self, window: Option<FailureWindow>, now: Millis) -> FailureWindow {
        match self.current(window, now) {
            Some(w) => FailureWindow { failures: w.failures.saturating_add(1), ..w },
            None => FailureWindow { started_at: now, failures: 1 },
        }
    }

    /// Whether a stored window still matters at `now` (otherwise it can go).
    pub fn is_live(&self, window: FailureWindow, now: Millis) -> bool {
        now < window.started_at + self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy { max_failures: 3, window: 10 * MINUTE };

    #[test]
    fn failures_accumulate_until_the_allowance_is_used_up() {
        let t0 = 1_000_000;
        let mut w = None;
        for i in 0..3 {
            assert_eq!(POLICY.retry_at(w, t0 + i), None, "failure {i} still allowed");
            w = Some(POLICY.after_failure(w, t0 + i));
        }
        assert_eq!(w, Some(FailureWindow { started_at: t0, failures: 3 }));
        assert_eq!(POLICY.retry_at(w, t0 + 5), Some(t0 + 10 * MINUTE));
        assert_eq!(POLICY.retry_at(w, t0 + 10 * MINUTE - 1), Some(t0 + 10 * MINUTE));
    }

    #[test]
    fn the_window_ends_and_counting_starts_again() {
        let t0 = 5_000;
        let window = FailureWindow { started_at: t0, failures: 3 };
        let end = t0 + 10 * MINUTE;
        assert_eq!(POLICY.retry_at(Some(window), end), None);
        assert!(!POLICY.is_live(window, end));
        assert!(POLICY.is_live(window, end - 1));
        assert_eq!(POLICY.after_failure(Some(window), end), FailureWindow { started_at: end, failures: 1 });
    }

    #[test]
    fn zero_turns_throttling_off() {
        let off = ThrottlePolicy { max_failures: 0, ..POLICY };
        let w = Some(FailureWindow { started_at: 0, failures: 1_000 });
        assert!(off.is_off());
        assert_eq!(off.retry_at(w, 1), None);
    }

    #[test]
    fn counts_saturate() {
        let w = Some(FailureWindow { started_at: 0, failures: u32::MAX });
        assert_eq!(POLICY.after_failure(w, 1).failures, u32::MAX);
    }
}
