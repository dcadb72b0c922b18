//! A loopback OpenID provider: discovery and a JWKS with the fixture RSA key, and access
//! tokens signed with it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use token_wire::Role;
use tokio::net::TcpListener;

pub const AUDIENCE: &str = "api://token-api";
/// The SPA's client id, which portal access tokens are issued to (`azp`).
pub const CLIENT_ID: &str = "api-tokens-portal";
pub const KID: &str = "test-key-1";
const TEST_KEY: &str = include_str!("../fixtures/test_key.pem");
const TEST_N: &str = include_str!("../fixtures/test_key.n");
pub const OTHER_KEY: &str = include_str!("../fixtures/other_key.pem");

/// A loopback OpenID provider serving discovery and a JWKS with one RSA key.
pub struct TestIdp {
    pub issuer: String,
    key: EncodingKey,
    /// How many times the JWKS was fetched.
    pub jwks_fetches: Arc<AtomicUsize>,
}

impl TestIdp {
    pub async fn start() -> TestIdp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let jwks = json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": TEST_N.trim(), "e": "AQAB"}]});
        let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")});
        let jwks_fetches = Arc::new(AtomicUsize::new(0));
        let counter = jwks_fetches.clone();
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route(
                "/jwks",
                get(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async move { Json(jwks) }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        TestIdp {
            issuer,
            key: EncodingKey::from_rsa_pem(TEST_KEY.as_bytes()).unwrap(),
            jwks_fetches,
        }
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

    /// Signs `claims` with the JWKS key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }

    /// A valid access token.
    pub fn access_token(&self, tid: &str, oid: &str, roles: &[Role]) -> String {
        self.sign(&self.claims(tid, oid, roles))
    }
}
