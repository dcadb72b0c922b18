//! Test harness: a loopback OpenID provider (discovery + JWKS), a fresh database per test
//! (SQLite file, or a PostgreSQL database when `TOKEN_API_TEST_POSTGRES_URL` is set), and the
//! server on an ephemeral loopback port.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Json;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use token_api::{AppState, Config, Store};
use token_wire::Role;
use tokio::net::TcpListener;

pub const AUDIENCE: &str = "api://token-api";
pub const KID: &str = "test-key-1";
const TEST_KEY: &str = include_str!("../fixtures/test_key.pem");
const TEST_N: &str = include_str!("../fixtures/test_key.n");
pub const OTHER_KEY: &str = include_str!("../fixtures/other_key.pem");

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs `$body(db)` as one test per backend; the PostgreSQL one passes trivially (with a
/// note) when `TOKEN_API_TEST_POSTGRES_URL` is unset.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::common::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if super::common::postgres_url().is_none() {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "CI must run the PostgreSQL suite: set TOKEN_API_TEST_POSTGRES_URL (cargo xtask test does)"
                    );
                    eprintln!("TOKEN_API_TEST_POSTGRES_URL is unset; skipping the PostgreSQL run");
                    return;
                }
                super::$name(super::common::Db::Postgres).await;
            }
        }
    };
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TOKEN_API_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A fresh database; the SQLite directory is removed on drop.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/data/tokens.db", dir.path().display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let base = postgres_url().expect("TOKEN_API_TEST_POSTGRES_URL");
                let name = format!(
                    "token_api_test_{}",
                    token_api::values::new_id().to_lowercase()
                );
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&base)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                conn.close().await.ok();
                let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
                let prefix = if prefix.ends_with('/') || prefix.ends_with(':') {
                    base.clone()
                } else {
                    prefix.to_string()
                };
                TestDb {
                    url: format!("{prefix}/{name}"),
                    _dir: None,
                }
            }
        }
    }
}

/// A loopback OpenID provider serving discovery and a JWKS with one RSA key.
pub struct TestIdp {
    pub issuer: String,
    key: EncodingKey,
    /// How many times the JWKS was fetched.
    pub jwks_fetches: Arc<std::sync::atomic::AtomicUsize>,
}

impl TestIdp {
    pub async fn start() -> TestIdp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let jwks = json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID, "n": TEST_N.trim(), "e": "AQAB"}]});
        let discovery = json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")});
        let jwks_fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
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
        })
    }

    /// Signs `claims` with the JWKS key.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }

    /// A valid access token.
    pub fn token(&self, tid: &str, oid: &str, roles: &[Role]) -> String {
        self.sign(&self.claims(tid, oid, roles))
    }
}

/// A clock the test can move.
#[derive(Clone, Default)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
    pub fn clock(&self) -> token_api::Clock {
        let offset = self.0.clone();
        Arc::new(move || {
            OffsetDateTime::now_utc() + time::Duration::milliseconds(offset.load(Ordering::SeqCst))
        })
    }
}

/// A running server.
pub struct TestServer {
    pub base: String,
    pub addr: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    pub clock: TestClock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db_url: &str, config: Config) -> TestServer {
        let store = Store::connect(db_url).await.expect("store");
        let clock = TestClock::default();
        let state = AppState::with_clock(store, config, clock.clock()).expect("state");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = state.clone();
        tokio::spawn(async move {
            token_api::serve(listener, s, async move {
                rx.await.ok();
            })
            .await
            .unwrap()
        });
        TestServer {
            base: format!("http://{addr}"),
            addr,
            state,
            http: reqwest::Client::new(),
            clock,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
    }

    /// GET with a bearer token; returns status and JSON (Null when the body is not JSON).
    pub async fn get(&self, bearer: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    pub async fn post(&self, bearer: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(bearer)
            .json(&body)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    pub async fn delete(&self, bearer: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .delete(self.url(path))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    /// Creates a token named `name`; returns (id, value).
    pub async fn create(&self, bearer: &str, name: &str) -> (String, String) {
        let (s, v) = self
            .post(bearer, "/api/v1/tokens", json!({"name": name}))
            .await;
        assert_eq!(s, 201, "{v}");
        (
            v["token"]["id"].as_str().unwrap().into(),
            v["value"].as_str().unwrap().into(),
        )
    }

    /// Calls an alerts endpoint with `Authorization: Token <value>`.
    pub async fn use_token(&self, value: &str, write: bool) -> (u16, Value) {
        let req = if write {
            self.http.post(self.url("/api/v1/alerts/alert-1/close"))
        } else {
            self.http.get(self.url("/api/v1/alerts/"))
        };
        let r = req
            .header("authorization", format!("Token {value}"))
            .send()
            .await
            .unwrap();
        status_json(r).await
    }

    /// Names of the tokens `bearer` lists (all pages of 100).
    pub async fn names(&self, bearer: &str, query: &str) -> Vec<String> {
        let (s, v) = self
            .get(bearer, &format!("/api/v1/tokens?limit=100{query}"))
            .await;
        assert_eq!(s, 200, "{v}");
        let mut names: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    if status >= 400 {
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            ct, "application/problem+json",
            "error {status} must be a problem"
        );
    }
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Server configuration pointing at `idp`.
pub fn config(idp: &TestIdp) -> Config {
    Config {
        issuer: Some(idp.issuer.clone()),
        audience: Some(AUDIENCE.into()),
        portal_url_template: "https://{tenant}.eu.portal.example.net".into(),
        rate_limit_per_minute: 10_000,
        ..Config::default()
    }
}

/// An IdP, a fresh database and a server, for one test.
pub struct Env {
    pub idp: TestIdp,
    pub db: TestDb,
    pub server: TestServer,
}

impl Env {
    pub async fn new(db: Db) -> Env {
        Self::with(db, |_| {}).await
    }

    pub async fn with(db: Db, tweak: impl FnOnce(&mut Config)) -> Env {
        let idp = TestIdp::start().await;
        let db = TestDb::new(db).await;
        let mut cfg = config(&idp);
        tweak(&mut cfg);
        let server = TestServer::start(&db.url, cfg).await;
        Env { idp, db, server }
    }
}
