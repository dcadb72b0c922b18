//! Bearer access-token validation: OpenID discovery, a JWKS cached by `kid`, RS256 only.
//!
//! Discovery is lazy: nothing is fetched at start-up, so the server starts before its
//! identity provider. Keys are refreshed on an unknown `kid` at most once a minute after a
//! successful fetch; after a failed fetch, at most every two seconds (portal calls answer 503
//! meanwhile).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Claims the portal reads from an access token.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    pub tid: String,
    pub oid: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub wids: Vec<String>,
}

/// Why a bearer token is refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("invalid access token: {0}")]
    Invalid(&'static str),
    #[error("signing keys unavailable: {0}")]
    Unavailable(&'static str),
}

const REFRESH_AFTER_SUCCESS: Duration = Duration::from_secs(60);
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(2);
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

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
        }
    }

    /// Validates `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        let (Some(issuer), Some(audience)) = (&self.issuer, &self.audience) else {
            return Err(JwtError::Unavailable("sign-in is not configured"));
        };
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
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|d| d.claims)
            .map_err(|_| JwtError::Invalid("signature or claims rejected"))
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
            .is_some_and(|t| t.elapsed() < REFRESH_AFTER_SUCCESS)
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
