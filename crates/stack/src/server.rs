//! The token API, `token-api serve`, and its command line against the same store.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::idp::{AUDIENCE, CLIENT_ID, DIRECTORY_CLIENT, DIRECTORY_TENANT};
use crate::process::Service;
use crate::{Error, Result, workspace_root};

/// The tenant portal URL template the local stack serves (`{tenant}` is the tenant id).
pub const PORTAL_URL_TEMPLATE: &str = "https://{tenant}.eu.portal.example.net";

/// How long the server may take to listen and then answer `/healthz` with 200.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the server keeps its data.
#[derive(Clone, Debug)]
pub enum Store {
    /// A SQLite file, created (with its folder) when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, e.g. [`Postgres::url`](crate::Postgres::url).
    Postgres(String),
}

impl Store {
    /// The server's `--database-url`.
    pub fn url(&self) -> String {
        match self {
            Store::Sqlite(path) => format!("sqlite://{}", path.display()),
            Store::Postgres(url) => url.clone(),
        }
    }
}

/// How to start the server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The `token-api` binary.
    pub bin: PathBuf,
    /// Port on 127.0.0.1; 0 lets the server take a free one.
    pub port: u16,
    /// Its database.
    pub store: Store,
    /// The OpenID issuer whose access tokens it accepts (audience [`AUDIENCE`]).
    pub issuer: String,
    /// A built SPA to serve, if any.
    pub spa_dir: Option<PathBuf>,
    /// API-token-authenticated calls per tenant and minute; the server's default when `None`.
    pub rate_limit_per_minute: Option<u32>,
    /// Seconds between syncs of roles from the local provider's directory; none when `None`.
    pub directory_sync_secs: Option<u64>,
    /// Live API tokens per user; the server's default when `None`.
    pub max_tokens_per_user: Option<u32>,
}

/// The running server; stopped when dropped.
#[derive(Debug)]
pub struct Server {
    /// Its origin, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    bin: PathBuf,
    database_url: String,
    _service: Service,
}

impl ServerConfig {
    /// Starts the server and waits until `/healthz` answers 200 (its store answers).
    pub fn start(&self) -> Result<Server> {
        let database_url = self.store.url();
        let mut cmd = Command::new(&self.bin);
        cmd.arg("serve")
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--database-url", &database_url])
            .args(["--issuer", &self.issuer, "--audience", AUDIENCE])
            .args(["--spa-client-id", CLIENT_ID])
            .args(["--portal-url-template", PORTAL_URL_TEMPLATE])
            .current_dir(workspace_root());
        if let Some(dir) = &self.spa_dir {
            cmd.arg("--spa-dir").arg(dir);
        }
        if let Some(limit) = self.rate_limit_per_minute {
            cmd.args(["--rate-limit-per-minute", &limit.to_string()]);
        }
        if let Some(secs) = self.directory_sync_secs {
            let (id, secret) = DIRECTORY_CLIENT;
            cmd.env("DIRECTORY_CLIENT_ID", id)
                .env("DIRECTORY_CLIENT_SECRET", secret)
                .env("DIRECTORY_TENANT_ID", DIRECTORY_TENANT)
                .env("DIRECTORY_URL", format!("{}/v1.0", self.issuer))
                .env("DIRECTORY_SYNC_INTERVAL_SECS", secs.to_string());
        }
        if let Some(cap) = self.max_tokens_per_user {
            cmd.args(["--max-tokens-per-user", &cap.to_string()]);
        }
        let started = Instant::now();
        let (service, url) = Service::start("token-api", &mut cmd, "listening on ", READY_TIMEOUT)?;
        wait_healthy(&url, READY_TIMEOUT.saturating_sub(started.elapsed()))?;
        Ok(Server {
            url,
            bin: self.bin.clone(),
            database_url,
            _service: service,
        })
    }
}

impl Server {
    /// The `--database-url` it serves.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Runs `token-api ARGS… --database-url <its store>` (e.g. `users deprovision …`).
    pub fn cli(&self, args: &[&str]) -> Result<Output> {
        Command::new(&self.bin)
            .args(args)
            .args(["--database-url", &self.database_url])
            .output()
            .map_err(|e| Error::io(format_args!("cannot run {}", self.bin.display()), e))
    }
}

/// The security headers `token-api serve` sends with the SPA in `spa_dir` trusting `issuer`,
/// as `token-api headers` (the `bin`) prints them: `(name, value)`, the CSP last.
pub fn security_headers(bin: &Path, issuer: &str, spa_dir: &Path) -> Result<Vec<(String, String)>> {
    let out = Command::new(bin)
        .args(["headers", "--issuer", issuer, "--spa-dir"])
        .arg(spa_dir)
        .output()
        .map_err(|e| Error::io(format_args!("cannot run {}", bin.display()), e))?;
    if !out.status.success() {
        return Err(Error::new(format!(
            "token-api headers failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect())
}

/// Polls `GET {url}/healthz` until it answers 200 or `timeout` passes.
pub(crate) fn wait_healthy(url: &str, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let addr = url.strip_prefix("http://").unwrap_or(url);
    loop {
        let status = http_status(addr, "/healthz");
        if status == Some(200) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let seen = status.map_or("no answer".to_string(), |s| format!("status {s}"));
            return Err(Error::new(format!(
                "{url}/healthz did not answer 200 within {timeout:?} ({seen})"
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The status code of a plain HTTP/1.1 `GET path` to `addr`, or `None` if there is no answer.
fn http_status(addr: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0; 12];
    stream.read_exact(&mut head).ok()?;
    // "HTTP/1.1 200"
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
