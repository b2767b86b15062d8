//! Secrets: random tokens, stored only as SHA-256 digests and compared in
//! constant time. (People's passwords are `crate::passwords`.)

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random token: 256 bits, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE64URL_NOPAD.encode(&bytes)
}

/// A temporary password an admin hands to a person: four groups of four
/// from an alphabet without look-alikes (no 0/O, 1/l/I), about 90 bits.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut groups = Vec::with_capacity(4);
    for _ in 0..4 {
        let group: String = (0..4).map(|_| ALPHABET[(OsRng.next_u32() as usize) % ALPHABET.len()] as char).collect();
        groups.push(group);
    }
    groups.join("-")
}

/// Random bytes, for TOTP secrets.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// The stored form of a token: its SHA-256 digest, hex.
pub fn token_digest(token: &str) -> String {
    bytes_digest(token.as_bytes())
}

/// SHA-256 of some bytes, hex (content addresses, e.g. of logos).
pub fn bytes_digest(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

/// Compares two secrets without revealing where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43); // 32 bytes in base64url
        assert_eq!(token_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("same", "same"));
        assert!(!constant_time_eq("same", "sane"));
        assert!(!constant_time_eq("short", "longer"));
    }
}
