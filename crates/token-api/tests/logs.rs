//! Secrets never reach the logs: requests carrying bearer tokens and token values (valid,
//! revoked, malformed) are made with every log level on, and the captured output is searched.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Db, Env};
use serde_json::json;
use token_wire::Role;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_values_and_bearer_tokens_are_never_logged() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,hyper=debug,h2=debug,reqwest=debug,rustls=debug",
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let admin = env
        .idp
        .access_token("t", "admin", &[Role::GlobalAdministrator]);
    let reader = env.idp.access_token("t", "reader", &[Role::SecurityReader]);
    let (id, value) = s.create(&reader, "logged?").await;
    let (_, other) = s.create(&reader, "other").await;
    s.use_api_token(&value, false).await;
    s.use_api_token(&value, true).await;
    s.delete(&admin, &format!("/api/v1/tokens/{id}")).await;
    s.use_api_token(&value, false).await;
    s.use_api_token(&other[..other.len() - 2], false).await;
    s.get(&reader[..reader.len() - 5], "/api/v1/me").await;
    s.post(&reader, "/api/v1/tokens", json!({"name": "x\u{1}"}))
        .await;
    s.get(&admin, "/api/v1/audit").await;
    let code = "authorization-code-4f1e";
    reqwest::get(s.url(&format!("/auth/callback?code={code}&state=s")))
        .await
        .unwrap();
    s.state.flush().await;
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/api/v1/alerts"),
        "the capture works: {}",
        &logs[..logs.len().min(2000)]
    );
    for (what, secret) in [
        ("token value", value.as_str()),
        ("other token value", &other[..other.len() - 2]),
        ("admin bearer", admin.as_str()),
        ("reader bearer", &reader[..reader.len() - 5]),
        ("bearer signature", reader.rsplit('.').next().unwrap()),
        ("authorization code", code),
    ] {
        assert!(!logs.contains(secret), "{what} found in the logs");
    }
    assert!(!logs.contains("atp_"), "no token value prefix in the logs");
}
