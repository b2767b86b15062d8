//! The rules of signing in to the portal: lockout, which step comes next,
//! session lifetimes and what makes an acceptable new password. Pure: the
//! callers bring the clock and the stored state.

use super::model::{MfaState, Millis, SessionStage, Upn, HOUR, MINUTE};

/// How many failed passwords in a row lock an account, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: i64,
    pub cool_down: Millis,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { threshold: 5, cool_down: 15 * MINUTE }
    }
}

/// What the store knows about an account, as far as signing in goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountState {
    pub sign_in_blocked: bool,
    pub locked_until: Option<Millis>,
    pub failed_sign_in_count: i64,
    pub password_expires_at: Option<Millis>,
    pub must_change_password: bool,
    pub mfa_state: MfaState,
    pub totp_enrolled: bool,
}

impl AccountState {
    pub fn is_locked(&self, now: Millis) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    pub fn password_expired(&self, now: Millis) -> bool {
        self.must_change_password || self.password_expires_at.is_some_and(|at| at <= now)
    }
}

/// The result of a password check against an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordOutcome {
    /// The password was right: start a session at this stage.
    Accepted { stage: SessionStage },
    /// Wrong password: store the new counter and lock state.
    Rejected { failed_sign_in_count: i64, locked_until: Option<Millis> },
    /// The account is locked; the password was not even looked at.
    Locked { until: Millis },
    /// The password was right but the account may not sign in.
    Blocked,
}

/// Decides what a password attempt means. `password_matches` is only
/// consulted when the account is not locked, so a locked account gives a
/// guesser nothing.
pub fn check_password(
    account: &AccountState,
    password_matches: impl FnOnce() -> bool,
    now: Millis,
    policy: LockoutPolicy,
) -> PasswordOutcome {
    if let Some(until) = account.locked_until.filter(|until| *until > now) {
        return PasswordOutcome::Locked { until };
    }
    if !password_matches() {
        // A lock that has run out starts a fresh count.
        let previous = if account.locked_until.is_some() { 0 } else { account.failed_sign_in_count };
        let failed = previous + 1;
        let locked_until = (failed >= policy.threshold).then_some(now + policy.cool_down);
        return PasswordOutcome::Rejected { failed_sign_in_count: failed, locked_until };
    }
    if account.sign_in_blocked {
        return PasswordOutcome::Blocked;
    }
    PasswordOutcome::Accepted { stage: stage_after_password(account, now) }
}

/// After the password: a second factor first where one is required, then a
/// password change where the password expired, then in.
pub fn stage_after_password(account: &AccountState, now: Millis) -> SessionStage {
    match (account.mfa_state, account.totp_enrolled) {
        (MfaState::Enforced, false) => SessionStage::MfaEnrol,
        (MfaState::Enforced | MfaState::Enabled, true) => SessionStage::MfaVerify,
        _ => stage_after_mfa(account, now),
    }
}

/// After the second factor (or when none is needed).
pub fn stage_after_mfa(account: &AccountState, now: Millis) -> SessionStage {
    if account.password_expired(now) {
        SessionStage::PasswordChange
    } else {
        SessionStage::Active
    }
}

/// How long sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// An active session ends after this long without a request.
    pub idle: Millis,
    /// ... and after this long in any case.
    pub absolute: Millis,
    /// A half-finished sign-in (MFA, password change) ends this quickly.
    pub pending: Millis,
    /// The idle deadline is pushed forward at most this often, to spare the
    /// database a write on every request.
    pub touch_interval: Millis,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle: HOUR, absolute: 12 * HOUR, pending: 10 * MINUTE, touch_interval: MINUTE }
    }
}

/// Deadlines of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTimes {
    pub idle_expires_at: Millis,
    pub absolute_expires_at: Millis,
}

impl SessionPolicy {
    pub fn new_session(&self, stage: SessionStage, now: Millis) -> SessionTimes {
        if stage == SessionStage::Active {
            SessionTimes { idle_expires_at: now + self.idle, absolute_expires_at: now + self.absolute }
        } else {
            SessionTimes { idle_expires_at: now + self.pending, absolute_expires_at: now + self.pending }
        }
    }

    pub fn is_live(&self, times: SessionTimes, now: Millis) -> bool {
        now < times.idle_expires_at && now < times.absolute_expires_at
    }

    /// The new idle deadline, when it is time to store one.
    pub fn touch(&self, stage: SessionStage, times: SessionTimes, last_seen: Millis, now: Millis) -> Option<Millis> {
        (stage == SessionStage::Active && now - last_seen >= self.touch_interval).then(|| (now + self.idle).min(times.absolute_expires_at))
    }
}

/// A password a person chose, checked against our policy (NIST SP 800-63B:
/// length over composition rules, no known-bad choices).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("Use at least {min} characters.")]
    TooShort { min: usize },
    #[error("Use at most {max} characters.")]
    TooLong { max: usize },
    #[error("The two passwords don't match.")]
    Mismatch,
    #[error("Don't use your sign-in name in your password.")]
    ContainsUpn,
    #[error("That password is too easy to guess. Try a few unrelated words.")]
    TooCommon,
    #[error("Choose a password you haven't used here before.")]
    SameAsCurrent,
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "passw0rd",
    "123456789012",
    "qwertyuiop",
    "letmein",
    "welcome",
    "iloveyou",
    "administrator",
    "changeme",
    "abc123",
    "qwerty123",
    "111111111111",
    "password1234",
];

impl NewPassword {
    pub fn parse(password: &str, confirmation: &str, upn: &Upn) -> Result<Self, PasswordPolicyError> {
        let chars = password.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(PasswordPolicyError::TooShort { min: PASSWORD_MIN_CHARS });
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(PasswordPolicyError::TooLong { max: PASSWORD_MAX_CHARS });
        }
        if password != confirmation {
            return Err(PasswordPolicyError::Mismatch);
        }
        let lower = password.to_lowercase();
        let local_part = upn.normalized().split('@').next().unwrap_or_default().to_string();
        if local_part.len() >= 3 && lower.contains(&local_part) {
            return Err(PasswordPolicyError::ContainsUpn);
        }
        let distinct = {
            let mut c: Vec<char> = lower.chars().collect();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        if distinct < 4 || COMMON_PASSWORDS.iter().any(|p| lower.starts_with(p) && lower.len() <= p.len() + 4) {
            return Err(PasswordPolicyError::TooCommon);
        }
        Ok(NewPassword(password.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{DAY, MINUTE};

    fn account() -> AccountState {
        AccountState {
            sign_in_blocked: false,
            locked_until: None,
            failed_sign_in_count: 0,
            password_expires_at: None,
            must_change_password: false,
            mfa_state: MfaState::Disabled,
            totp_enrolled: false,
        }
    }

    const NOW: Millis = 1_800_000_000_000;

    #[test]
    fn password_outcomes_in_order() {
        let policy = LockoutPolicy::default();
        let locked = AccountState { locked_until: Some(NOW + MINUTE), failed_sign_in_count: 5, ..account() };
        let expired_lock = AccountState { locked_until: Some(NOW - 1), failed_sign_in_count: 5, ..account() };
        let blocked = AccountState { sign_in_blocked: true, ..account() };
        let four_failures = AccountState { failed_sign_in_count: 4, ..account() };
        let cases: Vec<(&str, AccountState, bool, PasswordOutcome)> = vec![
            ("right password", account(), true, PasswordOutcome::Accepted { stage: SessionStage::Active }),
            ("wrong password counts", account(), false, PasswordOutcome::Rejected { failed_sign_in_count: 1, locked_until: None }),
            (
                "fifth failure locks",
                four_failures,
                false,
                PasswordOutcome::Rejected { failed_sign_in_count: 5, locked_until: Some(NOW + policy.cool_down) },
            ),
            ("locked ignores even the right password", locked.clone(), true, PasswordOutcome::Locked { until: NOW + MINUTE }),
            ("locked ignores a wrong password", locked, false, PasswordOutcome::Locked { until: NOW + MINUTE }),
            (
                "cool-down over: counts afresh",
                expired_lock.clone(),
                false,
                PasswordOutcome::Rejected { failed_sign_in_count: 1, locked_until: None },
            ),
            ("cool-down over: right password works", expired_lock, true, PasswordOutcome::Accepted { stage: SessionStage::Active }),
            ("blocked only said with the right password", blocked.clone(), true, PasswordOutcome::Blocked),
            (
                "blocked with a wrong password is just wrong",
                blocked,
                false,
                PasswordOutcome::Rejected { failed_sign_in_count: 1, locked_until: None },
            ),
        ];
        for (name, acc, matches, expected) in cases {
            assert_eq!(check_password(&acc, || matches, NOW, policy), expected, "{name}");
        }
    }

    #[test]
    fn locked_account_never_checks_the_password() {
        let locked = AccountState { locked_until: Some(NOW + MINUTE), ..account() };
        let outcome = check_password(&locked, || panic!("must not be called"), NOW, LockoutPolicy::default());
        assert!(matches!(outcome, PasswordOutcome::Locked { .. }));
    }

    #[test]
    fn stages_after_password() {
        let cases = [
            (MfaState::Disabled, false, false, SessionStage::Active),
            (MfaState::Disabled, true, false, SessionStage::Active),
            (MfaState::Enabled, false, false, SessionStage::Active),
            (MfaState::Enabled, true, false, SessionStage::MfaVerify),
            (MfaState::Enforced, false, false, SessionStage::MfaEnrol),
            (MfaState::Enforced, true, false, SessionStage::MfaVerify),
            (MfaState::Disabled, false, true, SessionStage::PasswordChange),
            (MfaState::Enforced, false, true, SessionStage::MfaEnrol),
        ];
        for (mfa, enrolled, expired, expected) in cases {
            let acc =
                AccountState { mfa_state: mfa, totp_enrolled: enrolled, password_expires_at: expired.then_some(NOW - DAY), ..account() };
            assert_eq!(stage_after_password(&acc, NOW), expected, "{mfa:?} enrolled={enrolled} expired={expired}");
        }
        let must_change = AccountState { must_change_password: true, ..account() };
        assert_eq!(stage_after_mfa(&must_change, NOW), SessionStage::PasswordChange);
        let future_expiry = AccountState { password_expires_at: Some(NOW + DAY), ..account() };
        assert_eq!(stage_after_mfa(&future_expiry, NOW), SessionStage::Active);
    }

    #[test]
    fn session_lifetimes() {
        let p = SessionPolicy::default();
        let active = p.new_session(SessionStage::Active, NOW);
        assert!(p.is_live(active, NOW + p.idle - 1));
        assert!(!p.is_live(active, NOW + p.idle));
        let pending = p.new_session(SessionStage::MfaVerify, NOW);
        assert!(!p.is_live(pending, NOW + p.pending));
        // touching extends idle but never past the absolute deadline
        assert_eq!(p.touch(SessionStage::Active, active, NOW, NOW + 1), None);
        let later = NOW + p.touch_interval;
        assert_eq!(p.touch(SessionStage::Active, active, NOW, later), Some(later + p.idle));
        let near_end = active.absolute_expires_at - 1;
        assert_eq!(p.touch(SessionStage::Active, active, NOW, near_end), Some(active.absolute_expires_at));
        assert_eq!(p.touch(SessionStage::MfaVerify, pending, NOW, later), None);
    }

    #[test]
    fn password_policy() {
        let upn = Upn::parse("alex.wu@contoso.example").unwrap();
        let cases: &[(&str, &str, Result<(), PasswordPolicyError>)] = &[
            ("correct horse battery", "correct horse battery", Ok(())),
            ("short", "short", Err(PasswordPolicyError::TooShort { min: 12 })),
            ("correct horse battery", "correct horse batterx", Err(PasswordPolicyError::Mismatch)),
            ("my alex.wu password", "my alex.wu password", Err(PasswordPolicyError::ContainsUpn)),
            ("aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa", Err(PasswordPolicyError::TooCommon)),
            ("password1234", "password1234", Err(PasswordPolicyError::TooCommon)),
        ];
        for (pw, confirm, expected) in cases {
            assert_eq!(NewPassword::parse(pw, confirm, &upn).map(|_| ()), expected.clone(), "{pw:?}");
        }
        let long = "x1y2z3".repeat(30);
        assert_eq!(NewPassword::parse(&long, &long, &upn).map(|_| ()), Err(PasswordPolicyError::TooLong { max: 128 }));
        assert_eq!(
            format!("{:?}", NewPassword::parse("correct horse battery", "correct horse battery", &upn).unwrap()),
            "NewPassword(***)"
        );
    }
}
