//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s), the
//! codes authenticator apps show. Pure: the caller brings the clock and
//! remembers the last accepted step so no code is accepted twice.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const PERIOD_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps either side of now that are still accepted (clock drift).
pub const ALLOWED_DRIFT_STEPS: i64 = 1;

/// A shared TOTP secret (20 random bytes, as RFC 4226 recommends).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes)
    }

    /// Parses the unpadded base32 form people type into authenticator apps.
    pub fn from_base32(encoded: &str) -> Option<Self> {
        let cleaned: String = encoded.chars().filter(|c| !c.is_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect();
        data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok().filter(|b| !b.is_empty()).map(TotpSecret)
    }

    pub fn to_base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://` URI an authenticator app scans from a QR code.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20");
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer),
            DIGITS,
            PERIOD_SECONDS
        )
    }

    /// The code for a given time step.
    pub fn code_at_step(&self, step: i64) -> u32 {
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = (digest[19] & 0x0f) as usize;
        let binary = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
        binary % 10u32.pow(DIGITS)
    }

    /// Checks a typed code at `unix_seconds`. Returns the step it matched so
    /// the caller can store it; codes at or before `last_used_step` are
    /// refused (replay).
    pub fn verify(&self, typed: &str, unix_seconds: i64, last_used_step: Option<i64>) -> Option<i64> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if digits.len() != DIGITS as usize || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let code: u32 = digits.parse().ok()?;
        let now_step = unix_seconds.div_euclid(PERIOD_SECONDS);
        let mut matched = None;
        // Compare every candidate so timing does not reveal which one matched.
        for step in (now_step - ALLOWED_DRIFT_STEPS)..=(now_step + ALLOWED_DRIFT_STEPS) {
            let equal = constant_time_eq(self.code_at_step(step), code);
            if equal && last_used_step.is_none_or(|last| step > last) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }
}

fn constant_time_eq(a: u32, b: u32) -> bool {
    (a ^ b) == 0
}

/// The code for `unix_seconds`, zero-padded, as an app would show it.
pub fn code_for(secret: &TotpSecret, unix_seconds: i64) -> String {
    format!("{:0width$}", secret.code_at_step(unix_seconds.div_euclid(PERIOD_SECONDS)), width = DIGITS as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA1 with the ASCII key "12345678901234567890"
    // (8-digit values there; the last 6 digits are the 6-digit codes).
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc6238_vectors() {
        let cases = [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
            (20000000000, "353130"),
        ];
        for (t, expected) in cases {
            assert_eq!(code_for(&rfc_secret(), t), expected, "t={t}");
        }
    }

    #[test]
    fn verify_accepts_drift_and_refuses_replay() {
        let s = rfc_secret();
        let t = 1_111_111_111;
        let step = t / PERIOD_SECONDS;
        assert_eq!(s.verify(&code_for(&s, t), t, None), Some(step));
        assert_eq!(s.verify(&code_for(&s, t - 30), t, None), Some(step - 1));
        assert_eq!(s.verify(&code_for(&s, t + 30), t, None), Some(step + 1));
        assert_eq!(s.verify(&code_for(&s, t - 90), t, None), None);
        // replay of the same code
        assert_eq!(s.verify(&code_for(&s, t), t, Some(step)), None);
        // formatting people type
        let spaced = format!("{} {}", &code_for(&s, t)[..3], &code_for(&s, t)[3..]);
        assert_eq!(s.verify(&spaced, t, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "12345x"] {
            assert_eq!(s.verify(bad, t, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_round_trip_and_uri() {
        let s = rfc_secret();
        let b32 = s.to_base32();
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(&b32.to_lowercase()), Some(s.clone()));
        assert_eq!(TotpSecret::from_base32("not base32 !"), None);
        let uri = s.provisioning_uri("My Apps", "alex@contoso.example");
        assert!(uri.starts_with("otpauth://totp/My%20Apps:alex%40contoso.example?secret=GEZDG"), "{uri}");
        assert!(uri.contains("issuer=My%20Apps"));
    }
}
