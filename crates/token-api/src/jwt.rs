//! Bearer access-token validation: OpenID discovery, a JWKS cached by `kid`, RS256 only.
//!
//! Discovery is lazy: nothing is fetched at start-up, so the server starts before its
//! identity provider. Keys are refreshed on an unknown `kid` at most once a minute after a
//! successful fetch; after a failed fetch, at most every two seconds (portal calls answer 503
//! meanwhile).
//!
//! A token that passed is remembered (by its SHA-256) until it expires: the SPA sends the
//! same access token with every call for its lifetime, and checking an RS256 signature was a
//! third of the CPU a token listing took.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Claims the portal reads from an access token.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    pub tid: String,
    pub oid: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Delegated scopes, space-separated (absent from application tokens).
    #[serde(default)]
    pub scp: Option<String>,
    /// The client the token was issued to: `azp` (Entra v2), `appid` (v1) or `client_id`
    /// (RFC 9068); see [`Claims::client`].
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(default)]
    pub appid: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub wids: Vec<String>,
    /// Expiry, Unix seconds (required).
    pub exp: u64,
    /// Issue time, Unix seconds: when the token's roles were observed. A token without it
    /// counts as the oldest possible (it never overrides roles recorded from a dated source).
    #[serde(default)]
    pub iat: Option<u64>,
}

impl Claims {
    /// The client the token was issued to.
    pub fn client(&self) -> Option<&str> {
        [&self.azp, &self.appid, &self.client_id]
            .into_iter()
            .find_map(|c| c.as_deref())
    }

    /// Whether the token is delegated (a user's, with `scp`) and holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scp
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|s| s == scope))
    }
}

/// Why a bearer token is refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("invalid access token: {0}")]
    Invalid(&'static str),
    #[error("signing keys unavailable: {0}")]
    Unavailable(&'static str),
}

pub const REFRESH_AFTER_SUCCESS: Duration = Duration::from_secs(60);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(2);
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;
/// Verified tokens remembered at most; past it, the expired ones go, then all.
const REMEMBERED_TOKENS: usize = 10_000;

#[derive(Default)]
struct FetchState {
    last_success: Option<Instant>,
    last_failure: Option<Instant>,
}

/// Validates access tokens of one issuer and audience.
pub struct JwtVerifier {
    issuer: Option<String>,
    audience: Option<String>,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    fetch: tokio::sync::Mutex<FetchState>,
    /// How soon after a successful fetch an unknown `kid` may fetch the keys again.
    refresh_after_success: Duration,
    verified: Verified,
}

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
}

impl JwtVerifier {
    /// A verifier for `issuer` and `audience`; without both, every bearer call answers 503.
    pub fn new(issuer: Option<String>, audience: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .expect("HTTP client");
        JwtVerifier {
            issuer,
            audience,
            http,
            keys: RwLock::default(),
            fetch: tokio::sync::Mutex::default(),
            refresh_after_success: REFRESH_AFTER_SUCCESS,
            verified: Verified::default(),
        }
    }

    /// Lets an unknown `kid` fetch the keys again `interval` after a successful fetch
    /// (default one minute).
    pub fn refreshing_at_most_every(mut self, interval: Duration) -> Self {
        self.refresh_after_success = interval;
        self
    }

    /// Validates `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        let (Some(issuer), Some(audience)) = (&self.issuer, &self.audience) else {
            return Err(JwtError::Unavailable("sign-in is not configured"));
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = unix_now();
        if let Some(claims) = self.verified.get(&digest, now) {
            return Ok(claims);
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| JwtError::Invalid("malformed"))?;
        if header.alg != Algorithm::RS256 {
            return Err(JwtError::Invalid("algorithm not allowed"));
        }
        let kid = header.kid.unwrap_or_default();
        let key = match self.key(&kid) {
            Some(k) => k,
            None => {
                self.refresh().await?;
                self.key(&kid)
                    .ok_or(JwtError::Invalid("unknown signing key"))?
            }
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|_| JwtError::Invalid("signature or claims rejected"))?;
        self.verified.insert(digest, &claims, now);
        Ok(claims)
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        let keys = self.keys.read().expect("keys lock");
        if kid.is_empty() && keys.len() == 1 {
            return keys.values().next().cloned();
        }
        keys.get(kid).cloned()
    }

    async fn refresh(&self) -> Result<(), JwtError> {
        let mut state = self.fetch.lock().await;
        if state
            .last_success
            .is_some_and(|t| t.elapsed() < self.refresh_after_success)
        {
            return Ok(());
        }
        if state
            .last_failure
            .is_some_and(|t| t.elapsed() < RETRY_AFTER_FAILURE)
        {
            return Err(JwtError::Unavailable(
                "the identity provider did not answer",
            ));
        }
        match self.fetch_keys().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "fetched the issuer's signing keys");
                *self.keys.write().expect("keys lock") = keys;
                state.last_success = Some(Instant::now());
                state.last_failure = None;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot fetch the issuer's signing keys");
                state.last_failure = Some(Instant::now());
                Err(JwtError::Unavailable(
                    "the identity provider did not answer",
                ))
            }
        }
    }

    async fn fetch_keys(&self) -> Result<HashMap<String, DecodingKey>, reqwest::Error> {
        let issuer = self
            .issuer
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/');
        let discovery: Discovery = self
            .http
            .get(format!("{issuer}/.well-known/openid-configuration"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let set: JwkSet = self
            .http
            .get(discovery.jwks_uri)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
            let signing = !matches!(
                jwk.common.public_key_use,
                Some(PublicKeyUse::Encryption) | Some(PublicKeyUse::Other(_))
            );
            let rs256 = jwk
                .common
                .key_algorithm
                .is_none_or(|a| a == KeyAlgorithm::RS256);
            if !(rsa && signing && rs256) {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(jwk.common.key_id.clone().unwrap_or_default(), key);
            }
        }
        Ok(keys)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Claims of tokens that passed, by the SHA-256 of the token, each until its `exp` plus the
/// leeway (as the validation itself allows).
#[derive(Default)]
struct Verified(Mutex<HashMap<[u8; 32], Claims>>);

impl Verified {
    fn get(&self, digest: &[u8; 32], now: u64) -> Option<Claims> {
        let map = self.0.lock().expect("verified lock");
        map.get(digest)
            .filter(|c| now <= c.exp.saturating_add(LEEWAY_SECS))
            .cloned()
    }

    fn insert(&self, digest: [u8; 32], claims: &Claims, now: u64) {
        let mut map = self.0.lock().expect("verified lock");
        if map.len() >= REMEMBERED_TOKENS {
            map.retain(|_, c| now <= c.exp.saturating_add(LEEWAY_SECS));
            if map.len() >= REMEMBERED_TOKENS {
                map.clear();
            }
        }
        map.insert(digest, claims.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            tid: "t".into(),
            oid: "o".into(),
            name: None,
            preferred_username: None,
            scp: None,
            azp: None,
            appid: None,
            client_id: None,
            wids: Vec::new(),
            exp,
            iat: None,
        }
    }

    #[test]
    fn a_verified_token_is_remembered_until_it_expires() {
        let verified = Verified::default();
        verified.insert([1; 32], &claims(1_000), 900);
        assert_eq!(
            verified.get(&[1; 32], 1_000).map(|c| c.oid),
            Some("o".into())
        );
        assert!(
            verified.get(&[1; 32], 1_000 + LEEWAY_SECS).is_some(),
            "within the leeway"
        );
        assert!(
            verified.get(&[1; 32], 1_001 + LEEWAY_SECS).is_none(),
            "expired"
        );
        assert!(verified.get(&[2; 32], 900).is_none(), "another token");
    }

    #[test]
    fn the_memory_stays_bounded() {
        let verified = Verified::default();
        for i in 0..REMEMBERED_TOKENS {
            let mut digest = [0; 32];
            digest[..8].copy_from_slice(&(i as u64).to_le_bytes());
            verified.insert(digest, &claims(if i % 2 == 0 { 10 } else { 1_000 }), 5);
        }
        verified.insert([9; 32], &claims(1_000), 500);
        let remembered = verified.0.lock().unwrap().len();
        assert_eq!(
            remembered,
            REMEMBERED_TOKENS / 2 + 1,
            "the expired ones went"
        );
    }
}
