//! Encryption at rest for the secrets we must be able to read back: TOTP
//! keys (a password can be stored as a hash; a TOTP key cannot, because the
//! server computes codes from it).
//!
//! A database dump or backup alone then yields no second factors. Values are
//! sealed with ChaCha20-Poly1305 under the deployment's secret key, with a
//! fresh random nonce each time, and bound to their row: the associated data
//! names the column and the user, so a sealed value copied onto another
//! user's row does not open.
//!
//! The key comes from `MYAPPS_SECRET_KEY`; with SQLite and no key set, one is
//! generated into `DATA_DIR/secret.key` on first start. PostgreSQL
//! deployments must set it (all replicas the same), or each replica would
//! invent its own and no second factor would work across them.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use data_encoding::{BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};
use std::path::Path;

/// Prefix of sealed values: the format version, so keys or algorithms can
/// change later without guessing what a stored value is.
const V1: &str = "v1.";
const NONCE_LEN: usize = 12;

/// 256 bits of key. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl std::str::FromStr for SecretKey {
    type Err = String;

    /// 64 hexadecimal digits (`openssl rand -hex 32`) or 43 characters of
    /// unpadded URL-safe base64.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bytes = if s.len() == 64 { HEXLOWER_PERMISSIVE.decode(s.as_bytes()).ok() } else { BASE64URL_NOPAD.decode(s.as_bytes()).ok() };
        match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            Some(key) => Ok(SecretKey(key)),
            None => {
                Err("a secret key is 32 random bytes written as 64 hexadecimal digits (for example from `openssl rand -hex 32`)".into())
            }
        }
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        SecretKey(rand::random())
    }

    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    /// Reads the key file, creating it (readable by this user only) when it
    /// does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => text.parse().map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SecretKey::generate();
                write_private(path, &format!("{}\n", key.to_hex())).map_err(|e| format!("could not write {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the secret key that encrypts second factors at rest; back it up with the database");
                Ok(key)
            }
            Err(e) => Err(format!("could not read {}: {e}", path.display())),
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the stored value is not in a known sealed format")]
    Format,
    #[error("the stored value does not open with this secret key (was MYAPPS_SECRET_KEY changed?) or was altered")]
    Open,
}

pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

impl Sealer {
    pub fn new(key: &SecretKey) -> Self {
        Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&key.0)) }
    }

    /// Encrypts `plaintext` for the row `context` names.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .expect("ChaCha20-Poly1305 encrypts any input shorter than 256 GiB");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{V1}{}", BASE64URL_NOPAD.encode(&bytes))
    }

    /// Decrypts a value sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SealError> {
        let body = sealed.strip_prefix(V1).ok_or(SealError::Format)?;
        let bytes = BASE64URL_NOPAD.decode(body.as_bytes()).map_err(|_| SealError::Format)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Format);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let sealer = Sealer::new(&SecretKey::generate());
        let sealed = sealer.seal("JBSWY3DPEHPK3PXP", "totp:org:alice");
        assert!(sealed.starts_with("v1.") && !sealed.contains("JBSWY3DP"), "{sealed}");
        assert_ne!(sealed, sealer.seal("JBSWY3DPEHPK3PXP", "totp:org:alice"), "a fresh nonce every time");
        assert_eq!(sealer.open(&sealed, "totp:org:alice").unwrap(), "JBSWY3DPEHPK3PXP");
        assert_eq!(sealer.open(&sealed, "totp:org:mallory"), Err(SealError::Open), "bound to the row");
        assert_eq!(Sealer::new(&SecretKey::generate()).open(&sealed, "totp:org:alice"), Err(SealError::Open), "another key");
        // One bit of the ciphertext flipped (in the bytes: editing the last
        // base64 character could make a non-canonical encoding, a format
        // error, depending on the random nonce — this test was flaky so).
        let mut bytes = BASE64URL_NOPAD.decode(sealed.strip_prefix(V1).unwrap().as_bytes()).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = format!("{V1}{}", BASE64URL_NOPAD.encode(&bytes));
        assert_eq!(sealer.open(&tampered, "totp:org:alice"), Err(SealError::Open));
        for garbage in ["JBSWY3DPEHPK3PXP", "v1.", "v1.!!!", "v1.AAAA"] {
            assert_eq!(sealer.open(garbage, "totp:org:alice"), Err(SealError::Format), "{garbage}");
        }
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_never_print() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let key: SecretKey = hex.parse().unwrap();
        assert_eq!(key.to_hex(), hex.to_lowercase());
        let b64 = BASE64URL_NOPAD.encode(&key.0);
        assert_eq!(b64.parse::<SecretKey>().unwrap().0, key.0);
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
        for bad in ["", "short", &hex[..62], &format!("{hex}00")] {
            assert!(bad.parse::<SecretKey>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = SecretKey::load_or_create(&path).unwrap();
        let again = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
        assert!(SecretKey::load_or_create(&dir.path().join("bad.key")).is_err());
    }
}
