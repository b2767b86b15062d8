//! The keys that sign ID tokens: RS256 for every client, EdDSA (Ed25519)
//! for clients that register for it. jsonwebtoken signs and checks; ring
//! makes Ed25519 keys and the rsa crate RSA ones. Nothing here is
//! hand-written cryptography.
//!
//! Keys live in the database, their private halves sealed like TOTP keys
//! (`crate::sealing`), so every replica signs with the same keys and a new
//! replica needs nothing but the database and the secret key. A key is made
//! the first time one of its algorithm is needed (not at start-up: most
//! deployments never use EdDSA, and a test server that signs nothing makes
//! no RSA key), and replaced once it is older than the rotation period. A
//! replaced key stays published in the JWKS until every token it signed has
//! expired (and a day more, for caches); then it is deleted.
//!
//! Each replica keeps the keys it read for a minute. The JWKS is read fresh
//! every time, so a key another replica just made is published at once.

use app::domain::oidc::lifetimes;
use app::ports::{SigningKeyRecord, Store, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DAY_MS: i64 = 86_400_000;
/// How long a replaced key stays published: the longest-lived token it may
/// have signed, and a day for relying parties' JWKS caches.
const PUBLISHED_AFTER_RETIREMENT_MS: i64 = lifetimes::ID_TOKEN_MS + DAY_MS;
const CACHE_FOR: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rs256,
    EdDsa,
}

impl KeyAlgorithm {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(KeyAlgorithm::Rs256),
            "EdDSA" => Some(KeyAlgorithm::EdDsa),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rs256 => "RS256",
            KeyAlgorithm::EdDsa => "EdDSA",
        }
    }

    fn jose(self) -> Algorithm {
        match self {
            KeyAlgorithm::Rs256 => Algorithm::RS256,
            KeyAlgorithm::EdDsa => Algorithm::EdDSA,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key: {0}")]
    Key(String),
}

struct LoadedKey {
    kid: String,
    algorithm: KeyAlgorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    created_at: i64,
    retired_at: Option<i64>,
}

pub struct SigningKeys {
    store: Arc<dyn Store>,
    rotate_after_ms: i64,
    cache: Mutex<Option<(Instant, Arc<Vec<LoadedKey>>)>>,
    /// One key made at a time on this replica.
    making: tokio::sync::Mutex<()>,
}

impl SigningKeys {
    pub fn new(store: Arc<dyn Store>, rotate_after_days: u32) -> Self {
        SigningKeys {
            store,
            rotate_after_ms: i64::from(rotate_after_days.max(1)) * DAY_MS,
            cache: Mutex::new(None),
            making: tokio::sync::Mutex::new(()),
        }
    }

    async fn load(&self, fresh: bool) -> Result<Arc<Vec<LoadedKey>>, SigningError> {
        if !fresh {
            if let Some((at, keys)) = self.cache.lock().expect("key cache").as_ref() {
                if at.elapsed() < CACHE_FOR {
                    return Ok(keys.clone());
                }
            }
        }
        let records = self.store.signing_keys().await?;
        let keys: Vec<LoadedKey> =
            records.iter().filter_map(|r| loaded(r).map_err(|e| tracing::error!(kid = r.kid, error = %e)).ok()).collect();
        let keys = Arc::new(keys);
        *self.cache.lock().expect("key cache") = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// Signs `claims` with the current key of `algorithm`, making one first
    /// when there is none or it is due for rotation.
    pub async fn sign(&self, algorithm: KeyAlgorithm, claims: &Value, now: i64) -> Result<String, SigningError> {
        let current = |keys: &[LoadedKey]| {
            keys.iter().position(|k| k.algorithm == algorithm && k.retired_at.is_none() && now - k.created_at < self.rotate_after_ms)
        };
        let mut keys = self.load(false).await?;
        if current(&keys).is_none() {
            let _one = self.making.lock().await;
            keys = self.load(true).await?;
            if current(&keys).is_none() {
                let made =
                    tokio::task::spawn_blocking(move || make_key(algorithm, now)).await.map_err(|e| SigningError::Key(e.to_string()))??;
                tracing::info!(kid = made.kid, algorithm = algorithm.as_str(), "made a signing key");
                self.store.add_signing_key(made).await?;
                let retired_before = now - PUBLISHED_AFTER_RETIREMENT_MS;
                self.store.delete_signing_keys_retired_before(retired_before).await?;
                keys = self.load(true).await?;
            }
        }
        let key = current(&keys).map(|i| &keys[i]).ok_or_else(|| SigningError::Key("no current key after making one".into()))?;
        let mut header = Header::new(algorithm.jose());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| SigningError::Key(e.to_string()))
    }

    /// The JSON Web Key Set: every current key and every replaced one
    /// still within its publication period. Read fresh.
    pub async fn jwks(&self, now: i64) -> Result<Value, SigningError> {
        let records = self.store.signing_keys().await?;
        let keys: Vec<Value> = records
            .iter()
            .filter(|r| r.retired_at.is_none_or(|t| now - t < PUBLISHED_AFTER_RETIREMENT_MS))
            .filter_map(|r| serde_json::from_str::<Value>(&r.public_jwk).ok())
            .collect();
        Ok(json!({ "keys": keys }))
    }

    /// Checks a token this provider signed (signature, issuer, audience
    /// optional), expired or not: for `id_token_hint`. None when it is not
    /// one of ours (unknown key, `alg: none`, a wrong signature).
    pub async fn verify_own(&self, token: &str, issuer: &str) -> Option<Value> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let mut keys = self.load(false).await.ok()?;
        if !keys.iter().any(|k| k.kid == kid) {
            keys = self.load(true).await.ok()?;
        }
        let key = keys.iter().find(|k| k.kid == kid && k.algorithm.jose() == header.alg)?;
        let mut validation = jsonwebtoken::Validation::new(key.algorithm.jose());
        validation.set_issuer(&[issuer]);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<Value>(token, &key.decoding, &validation).ok().map(|d| d.claims)
    }
}

fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}

/// RFC 7638 thumbprint of the key's required members, as its `kid`.
fn thumbprint(required: &Value) -> String {
    // The callers write the members in lexicographic order, as the RFC
    // asks (whether or not serde_json keeps insertion order).
    b64(&Sha256::digest(required.to_string().as_bytes()))
}

fn make_key(algorithm: KeyAlgorithm, now: i64) -> Result<SigningKeyRecord, SigningError> {
    let err = |e: &dyn std::fmt::Display| SigningError::Key(e.to_string());
    let (required, private_key_pem) = match algorithm {
        KeyAlgorithm::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::traits::PublicKeyParts;
            let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| err(&e))?;
            let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).map_err(|e| err(&e))?.to_string();
            let public = private.to_public_key();
            (json!({ "e": b64(&public.e().to_bytes_be()), "kty": "RSA", "n": b64(&public.n().to_bytes_be()) }), pem)
        }
        KeyAlgorithm::EdDsa => {
            use ring::signature::KeyPair;
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| err(&e))?;
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| err(&e))?;
            let body = data_encoding::BASE64.encode(pkcs8.as_ref());
            let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
            let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
            (json!({ "crv": "Ed25519", "kty": "OKP", "x": b64(pair.public_key().as_ref()) }), pem)
        }
    };
    let kid = thumbprint(&required);
    let mut jwk = required;
    jwk["kid"] = kid.clone().into();
    jwk["use"] = "sig".into();
    jwk["alg"] = algorithm.as_str().into();
    Ok(SigningKeyRecord {
        kid,
        algorithm: algorithm.as_str().into(),
        private_key_pem,
        public_jwk: jwk.to_string(),
        created_at: now,
        retired_at: None,
    })
}

fn loaded(r: &SigningKeyRecord) -> Result<LoadedKey, SigningError> {
    let err = |e: jsonwebtoken::errors::Error| SigningError::Key(e.to_string());
    let algorithm = KeyAlgorithm::parse(&r.algorithm).ok_or_else(|| SigningError::Key(format!("unknown algorithm {}", r.algorithm)))?;
    let jwk: Value = serde_json::from_str(&r.public_jwk).map_err(|e| SigningError::Key(e.to_string()))?;
    let member = |name: &str| jwk[name].as_str().map(str::to_string).ok_or_else(|| SigningError::Key(format!("JWK without {name}")));
    let (encoding, decoding) = match algorithm {
        KeyAlgorithm::Rs256 => (
            EncodingKey::from_rsa_pem(r.private_key_pem.as_bytes()).map_err(err)?,
            DecodingKey::from_rsa_components(&member("n")?, &member("e")?).map_err(err)?,
        ),
        KeyAlgorithm::EdDsa => (
            EncodingKey::from_ed_pem(r.private_key_pem.as_bytes()).map_err(err)?,
            DecodingKey::from_ed_components(&member("x")?).map_err(err)?,
        ),
    };
    Ok(LoadedKey { kid: r.kid.clone(), algorithm, encoding, decoding, created_at: r.created_at, retired_at: r.retired_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_keys_sign_and_verify() {
        for algorithm in [KeyAlgorithm::Rs256, KeyAlgorithm::EdDsa] {
            let record = make_key(algorithm, 0).unwrap();
            let key = loaded(&record).unwrap();
            let mut header = Header::new(algorithm.jose());
            header.kid = Some(key.kid.clone());
            let claims = json!({ "iss": "https://portal.example", "sub": "u1" });
            let token = jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap();
            let mut validation = jsonwebtoken::Validation::new(algorithm.jose());
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            let decoded = jsonwebtoken::decode::<Value>(&token, &key.decoding, &validation).unwrap();
            assert_eq!(decoded.claims["sub"], "u1");
            // The kid is the RFC 7638 thumbprint of the published key.
            let jwk: Value = serde_json::from_str(&record.public_jwk).unwrap();
            assert_eq!(jwk["kid"], record.kid);
            assert_eq!(jwk["alg"], algorithm.as_str());
            assert!(jwk.get("d").is_none(), "no private member is published");
        }
    }

    #[test]
    fn rfc7638_thumbprint_example() {
        // RFC 7638 §3.1.
        let required = json!({
            "e": "AQAB",
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        });
        assert_eq!(thumbprint(&required), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
