//! A loopback OpenID provider: discovery and a JWKS with the fixture RSA key, access tokens
//! signed with it, and a directory (see [`super::directory`]). Tests can make discovery and
//! the JWKS unreachable and rotate the key.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use token_wire::Role;
use tokio::net::TcpListener;

use super::directory::Directory;

pub const AUDIENCE: &str = "api://token-api";
/// The SPA's client id, which portal access tokens are issued to (`azp`).
pub const CLIENT_ID: &str = "api-tokens-portal";
pub const KID: &str = "test-key-1";
const TEST_KEY: &str = include_str!("../fixtures/test_key.pem");
const TEST_N: &str = include_str!("../fixtures/test_key.n");
pub const OTHER_KEY: &str = include_str!("../fixtures/other_key.pem");
const OTHER_N: &str = include_str!("../fixtures/other_key.n");

/// A loopback OpenID provider serving discovery and a JWKS.
pub struct TestIdp {
    pub issuer: String,
    /// The key tokens are signed with, and its `kid`.
    signing: RwLock<(EncodingKey, String)>,
    jwks: Arc<RwLock<Value>>,
    reachable: Arc<AtomicBool>,
    /// How many times the JWKS was fetched.
    pub jwks_fetches: Arc<AtomicUsize>,
    /// The directory's role assignments.
    pub directory: Directory,
}

/// A JWKS entry for the RSA key of modulus `n`.
fn jwk(kid: &str, n: &str) -> Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n.trim(), "e": "AQAB"})
}

/// `body`, or 503 while the provider is unreachable.
fn when_reachable(reachable: &AtomicBool, body: Value) -> Response {
    if reachable.load(Ordering::SeqCst) {
        Json(body).into_response()
    } else {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    }
}

impl TestIdp {
    pub async fn start() -> TestIdp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let jwks = Arc::new(RwLock::new(json!({"keys": [jwk(KID, TEST_N)]})));
        let discovery = json!({
            "issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
            "token_endpoint": format!("{issuer}/token"),
        });
        let reachable = Arc::new(AtomicBool::new(true));
        let directory = Directory::new(&issuer);
        let jwks_fetches = Arc::new(AtomicUsize::new(0));
        let (counter, served, up, up_too) = (
            jwks_fetches.clone(),
            jwks.clone(),
            reachable.clone(),
            reachable.clone(),
        );
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { when_reachable(&up, discovery) }),
            )
            .route(
                "/jwks",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body = served.read().unwrap().clone();
                    async move { when_reachable(&up_too, body) }
                }),
            )
            .merge(directory.routes());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        TestIdp {
            issuer,
            signing: RwLock::new((
                EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).unwrap(),
                KID.into(),
            )),
            jwks,
            reachable,
            jwks_fetches,
            directory,
        }
    }

    /// Makes discovery and the JWKS answer 503 (`false`) or answer again (`true`).
    pub fn set_reachable(&self, reachable: bool) {
        self.reachable.store(reachable, Ordering::SeqCst);
    }

    /// Rotates the signing key: the JWKS lists the other fixture key under `kid` alone, and
    /// tokens are signed with it from now on.
    pub fn rotate_key(&self, kid: &str) {
        *self.jwks.write().unwrap() = json!({"keys": [jwk(kid, OTHER_N)]});
        *self.signing.write().unwrap() = (
            EncodingKey::from_rsa_pem(OTHER_KEY.as_bytes()).unwrap(),
            kid.into(),
        );
    }

    /// Standard valid claims for a user.
    pub fn claims(&self, tid: &str, oid: &str, roles: &[Role]) -> Value {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        json!({
            "iss": self.issuer, "aud": AUDIENCE, "exp": now + 600, "nbf": now - 5, "iat": now,
            "tid": tid, "oid": oid, "name": format!("User {oid}"), "preferred_username": format!("{oid}@{tid}.example"),
            "wids": roles.iter().map(|r| r.wid()).collect::<Vec<_>>(),
            "scp": token_api::API_SCOPE, "azp": CLIENT_ID,
        })
    }

    /// Signs `claims` with the current signing key.
    pub fn sign(&self, claims: &Value) -> String {
        let signing = self.signing.read().unwrap();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(signing.1.clone());
        jsonwebtoken::encode(&header, claims, &signing.0).unwrap()
    }

    /// A valid access token.
    pub fn access_token(&self, tid: &str, oid: &str, roles: &[Role]) -> String {
        self.sign(&self.claims(tid, oid, roles))
    }
}
