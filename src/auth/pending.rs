//! Sign-in requests in flight: `state`, `nonce`, PKCE verifier and the deep link, kept in
//! sessionStorage under the `state` and taken out exactly once when the provider answers.

use base64::Engine as _;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde::{Deserialize, Serialize};

use super::session_store::SessionStore;
use crate::from_json;
use crate::json::{FromJson, Object};

/// Prefix of the sessionStorage keys of pending requests.
pub const PREFIX: &str = "portal.auth.request.";

/// How long a sign-in may take before its request is forgotten.
pub const MAX_AGE_MS: f64 = 15.0 * 60.0 * 1000.0;

/// One authorization request waiting for its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The path (with query and fragment) to return to after sign-in.
    pub return_to: String,
    pub created_at_ms: u64,
}

from_json! {
    PendingRequest { state, nonce, pkce_verifier, return_to, created_at_ms }
}

impl PendingRequest {
    /// A new request with random `state`, `nonce` and PKCE S256 verifier; returns the
    /// challenge to send with it.
    pub fn new(return_to: &str, now_ms: f64) -> (PendingRequest, PkceCodeChallenge) {
        let verifier = PkceCodeVerifier::new(random_string());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        let request = PendingRequest {
            state: random_string(),
            nonce: random_string(),
            pkce_verifier: verifier.secret().clone(),
            return_to: safe_return_path(return_to),
            created_at_ms: now_ms as u64,
        };
        (request, challenge)
    }
}

/// 32 random bytes from the browser's `crypto.getRandomValues`, base64url-encoded: what
/// `oauth2`'s `new_random` makes, without the `rand` generator in the bundle.
fn random_string() -> String {
    let mut bytes = [0u8; 32];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    let filled = crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    assert!(filled, "the browser has no crypto.getRandomValues");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `path` if it is a same-origin path, else `/`: the deep link can never send the user to
/// another site.
pub fn safe_return_path(path: &str) -> String {
    let same_origin = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if same_origin {
        path.to_string()
    } else {
        "/".to_string()
    }
}

/// Keeps `request` until its answer arrives.
pub fn save(store: &SessionStore, request: &PendingRequest) {
    let json = Object::default()
        .set_str("state", &request.state)
        .set_str("nonce", &request.nonce)
        .set_str("pkce_verifier", &request.pkce_verifier)
        .set_str("return_to", &request.return_to)
        .set_num("created_at_ms", request.created_at_ms as f64)
        .stringify();
    store.set(&format!("{PREFIX}{}", request.state), &json);
}

/// Takes the request of `state` out of `store`: a second call with the same state, an
/// unknown state and a request older than [`MAX_AGE_MS`] all give `None`. Stale requests of
/// other states are dropped on the way.
pub fn take(store: &SessionStore, state: &str, now_ms: f64) -> Option<PendingRequest> {
    for key in store.keys(PREFIX) {
        let stale = store
            .get(&key)
            .and_then(|json| PendingRequest::parse(&json).ok())
            .is_none_or(|r| now_ms - r.created_at_ms as f64 > MAX_AGE_MS);
        if stale {
            store.remove(&key);
        }
    }
    if state.is_empty() {
        return None;
    }
    let key = format!("{PREFIX}{state}");
    let json = store.get(&key)?;
    store.remove(&key);
    let request = PendingRequest::parse(&json).ok()?;
    (request.state == state).then_some(request)
}
