//! The per-address sign-in throttle's memory (the rule itself is
//! `app::domain::throttle`).
//!
//! Kept in this process, not the database: it exists to spare the database
//! and the CPU when an address floods sign-in, so it must not cost a query.
//! With several replicas each keeps its own count, so an address gets at most
//! the allowance per replica; the per-account lockout, which is in the
//! database, still holds across all of them.

use app::domain::model::Millis;
use app::domain::throttle::{FailureWindow, ThrottlePolicy};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Beyond this many tracked addresses, ended windows are dropped at once
/// rather than at the next sweep, so a flood of addresses cannot grow the map
/// without bound.
const PRUNE_ABOVE: usize = 100_000;

#[derive(Debug)]
pub struct SignInThrottle {
    policy: ThrottlePolicy,
    windows: Mutex<HashMap<IpAddr, FailureWindow>>,
}

impl SignInThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        SignInThrottle { policy, windows: Mutex::new(HashMap::new()) }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, FailureWindow>> {
        // A panic elsewhere while holding the lock leaves counts that are
        // still counts: keep using them.
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// When `addr` may try again, if it may not now.
    pub fn retry_at(&self, addr: IpAddr, now: Millis) -> Option<Millis> {
        if self.policy.is_off() {
            return None;
        }
        let window = self.windows().get(&addr).copied();
        self.policy.retry_at(window, now)
    }

    pub fn record_failure(&self, addr: IpAddr, now: Millis) {
        if self.policy.is_off() {
            return;
        }
        let mut windows = self.windows();
        if windows.len() >= PRUNE_ABOVE {
            windows.retain(|_, w| self.policy.is_live(*w, now));
        }
        let next = self.policy.after_failure(windows.get(&addr).copied(), now);
        windows.insert(addr, next);
    }

    /// Forgets windows that have ended; returns how many are left.
    pub fn prune(&self, now: Millis) -> usize {
        let mut windows = self.windows();
        windows.retain(|_, w| self.policy.is_live(*w, now));
        windows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::model::MINUTE;

    #[test]
    fn addresses_are_counted_apart_and_forgotten_when_their_window_ends() {
        let throttle = SignInThrottle::new(ThrottlePolicy { max_failures: 2, window: MINUTE });
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        throttle.record_failure(a, 0);
        throttle.record_failure(a, 1);
        throttle.record_failure(b, 1);
        assert_eq!(throttle.retry_at(a, 2), Some(MINUTE));
        assert_eq!(throttle.retry_at(b, 2), None);
        assert_eq!(throttle.prune(MINUTE), 1, "a's window ended, b's has not");
        assert_eq!(throttle.retry_at(a, MINUTE), None);
    }
}
