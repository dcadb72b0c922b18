//! The server under test on an ephemeral loopback port, with a clock the test can move, and
//! the HTTP helpers the tests call it with.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use time::OffsetDateTime;
use token_api::store::{NewToken, TokenKind, TokenRow};
use token_api::{AppState, Config, Store, values};
use tokio::net::TcpListener;

use super::idp::{AUDIENCE, CLIENT_ID, TestIdp};

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

    /// GET with a bearer access token; returns status and JSON (Null when the body is not JSON).
    pub async fn get(&self, bearer: &str, path: &str) -> (u16, Value) {
        call(self.http.get(self.url(path)).bearer_auth(bearer)).await
    }

    /// The list answer for `query` (after `/api/v1/tokens?limit=100`), which must be 200.
    pub async fn listing(&self, bearer: &str, query: &str) -> Value {
        let (status, list) = self
            .get(bearer, &format!("/api/v1/tokens?limit=100{query}"))
            .await;
        assert_eq!(status, 200, "{list}");
        list
    }

    /// POST of `body` as JSON with a bearer access token.
    pub async fn post(&self, bearer: &str, path: &str, body: Value) -> (u16, Value) {
        call(
            self.http
                .post(self.url(path))
                .bearer_auth(bearer)
                .json(&body),
        )
        .await
    }

    /// DELETE with a bearer access token.
    pub async fn delete(&self, bearer: &str, path: &str) -> (u16, Value) {
        call(self.http.delete(self.url(path)).bearer_auth(bearer)).await
    }

    /// A `method` request to `path` with `Authorization: Token <value>`.
    pub fn with_api_token(&self, method: Method, path: &str, value: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("authorization", format!("Token {value}"))
    }

    /// Sends a `method` request to `path` with `Authorization: Token <value>`.
    pub async fn send_with_api_token(
        &self,
        method: Method,
        path: &str,
        value: &str,
    ) -> reqwest::Response {
        self.with_api_token(method, path, value)
            .send()
            .await
            .unwrap()
    }

    /// Creates an API token named `name`; returns (id, value).
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

    /// Calls an alerts endpoint with `Authorization: Token <value>`: closes alert-1 when
    /// `write`, else lists the alerts.
    pub async fn use_api_token(&self, value: &str, write: bool) -> (u16, Value) {
        let req = if write {
            self.with_api_token(Method::POST, "/api/v1/alerts/alert-1/close", value)
        } else {
            self.with_api_token(Method::GET, "/api/v1/alerts/", value)
        };
        call(req).await
    }

    /// The first use of `value` (a read, answered 200), once the background job has written
    /// it: it does so at once, but outside the request.
    pub async fn first_use(&self, value: &str) {
        assert_eq!(self.use_api_token(value, false).await.0, 200);
        let store = self.state.store();
        let written = || async {
            stored_token(store, value)
                .await
                .is_ok_and(|t| t.is_some_and(|t| t.last_used_at.is_some()))
        };
        let since = std::time::Instant::now();
        let bound = std::time::Duration::from_secs(5);
        super::eventually(since, bound, "the first use is not written", written).await;
    }

    /// Names of the API tokens `bearer` lists (all pages of 100).
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

    /// Inserts a token of `kind` owned by `owner_id` straight into the store, as the
    /// connectors that own SIEM and log-collector tokens do; returns (id, value).
    pub async fn insert_token(
        &self,
        tenant_id: &str,
        owner_id: &str,
        kind: TokenKind,
    ) -> (String, String) {
        let value = values::generate();
        let id = values::new_id();
        self.state
            .store()
            .create_token(
                &NewToken {
                    id: &id,
                    tenant_id,
                    owner_id,
                    kind,
                    name: "connector",
                    value_hash: &values::hash(&value),
                    created_at: self.state.now_ms(),
                },
                None,
            )
            .await
            .unwrap();
        (id, value)
    }
}

/// The stored row of the token with this value, as the store has it now.
pub async fn stored_token(store: &Store, value: &str) -> Result<Option<TokenRow>, sqlx::Error> {
    store.token_by_hash(&values::hash(value)).await
}

/// Sends `req`; returns the status and JSON body (see [`status_json`]).
pub async fn call(req: RequestBuilder) -> (u16, Value) {
    status_json(req.send().await.unwrap()).await
}

/// Asserts a 429 problem whose `Retry-After` is 1–60 s; returns the problem.
pub async fn rate_limited(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (_, p) = status_json(r).await;
    assert_eq!(p["status"], 429);
    p
}

/// Status and JSON body of a response; an error status must come with a problem body.
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
        spa_client_id: Some(CLIENT_ID.into()),
        portal_url_template: "https://{tenant}.eu.portal.example.net".into(),
        rate_limit_per_minute: 10_000,
        max_tokens_per_user: 10_000,
        ..Config::default()
    }
}
