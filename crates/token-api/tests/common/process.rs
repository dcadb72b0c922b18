//! The `token-api` binary as a separate process, as it runs in production: several of them on
//! one database make the instances of the multi-instance tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::idp::{AUDIENCE, CLIENT_ID, TestIdp};

/// A `token-api serve` process on an ephemeral loopback port; killed on drop.
pub struct ServerProcess {
    pub base: String,
    pub http: reqwest::Client,
    child: Child,
}

impl ServerProcess {
    /// Starts `token-api serve` on `db_url`, signing in with `idp`, with these environment
    /// variables (e.g. `RATE_LIMIT_PER_MINUTE`, `CHANGE_POLL_INTERVAL_MS`).
    pub async fn spawn(db_url: &str, idp: &TestIdp, env: &[(&str, &str)]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_token-api"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(["--database-url", db_url, "--issuer", &idp.issuer])
            .args(["--audience", AUDIENCE, "--spa-client-id", CLIENT_ID])
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start token-api");
        let stdout = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("token-api did not start: {line:?}"))
            .to_string();
        ServerProcess {
            base,
            http: reqwest::Client::new(),
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The status of `GET /api/v1/alerts/` with `Authorization: Token <value>`, and its
    /// `Retry-After` in seconds if any.
    pub async fn read_alerts(&self, value: &str) -> (u16, Option<u64>) {
        let r = self
            .http
            .get(self.url("/api/v1/alerts/"))
            .header("authorization", format!("Token {value}"))
            .send()
            .await
            .unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok());
        (r.status().as_u16(), retry)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
