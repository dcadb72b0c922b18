//! The end-to-end harness: a [`Stack`] (the local OpenID provider and the token API serving a
//! copy of the built SPA, each on a free loopback port) and a [`Browser`] (headless Chromium
//! driven over WebDriver by chromedriver). Everything started here stops when dropped.
//!
//! `cargo xtask test e2e` builds what this needs and sets: `E2E_DIST` (the Trunk release
//! build), `E2E_TOKEN_API_BIN`, `E2E_IDP_SERVER` (dev/idp/server.mjs), `E2E_ARTIFACTS`
//! (screenshots) and `CHROMEDRIVER`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub use fantoccini;

/// The API identifier (access token audience) the stack is configured with.
pub const AUDIENCE: &str = "api://token-api";
/// The SPA's client id at the local provider.
pub const CLIENT_ID: &str = "api-tokens-portal";
/// The password of every seeded account of the local provider.
pub const PASSWORD: &str = "dev-password";
/// The route of the API tokens screen.
pub const API_TOKENS_PATH: &str = "/settings/security-extensions/api-tokens";

/// How long a page may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(20);

fn env_path(var: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run the end-to-end tests with `cargo xtask test e2e`"))
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A started child process whose stdout said `ready_prefix…`; its output is forwarded.
async fn start_service(name: &'static str, mut cmd: Command, ready_prefix: &'static str) -> (Child, String) {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("[{name}] {line}");
        }
    });
    let ready = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = stdout.next_line().await {
            eprintln!("[{name}] {line}");
            if let Some(rest) = line.strip_prefix(ready_prefix) {
                return Some(rest.trim().to_string());
            }
        }
        None
    })
    .await;
    let rest = match ready {
        Ok(Some(rest)) => rest,
        Ok(None) => panic!("{name} exited before it was ready"),
        Err(_) => panic!("{name} was not ready within 60 s"),
    };
    tokio::spawn(async move {
        while let Ok(Some(line)) = stdout.next_line().await {
            eprintln!("[{name}] {line}");
        }
    });
    (child, rest)
}

/// Options for [`Stack::start`].
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Access token lifetime at the provider, in seconds.
    pub access_token_ttl: u32,
    /// Token-authenticated calls allowed per tenant and minute.
    pub rate_limit_per_minute: u32,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions { access_token_ttl: 3600, rate_limit_per_minute: 600 }
    }
}

/// The local OpenID provider and the token API serving the SPA.
pub struct Stack {
    /// Origin of the SPA and the API, e.g. `http://127.0.0.1:41234`.
    pub app: String,
    /// The provider's issuer URL.
    pub issuer: String,
    /// Where the server keeps its SQLite database.
    pub database_url: String,
    idp: Child,
    server: Child,
    dir: tempfile::TempDir,
}

impl Stack {
    /// Starts both services with default options.
    pub async fn start() -> Stack {
        Stack::start_with(StackOptions::default()).await
    }

    /// Starts both services; the SPA is a copy of `E2E_DIST` with its own `config.json`.
    pub async fn start_with(options: StackOptions) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let app = format!("http://127.0.0.1:{port}");

        let mut idp = Command::new("node");
        idp.arg(env_path("E2E_IDP_SERVER"))
            .env("IDP_PORT", "0")
            .env("IDP_CLIENT_ID", CLIENT_ID)
            .env("IDP_REDIRECT_URIS", format!("{app}/auth/callback"))
            .env("IDP_POST_LOGOUT_REDIRECT_URIS", format!("{app}/"))
            .env("IDP_CORS_ORIGINS", &app)
            .env("IDP_AUDIENCE", AUDIENCE)
            .env("IDP_ACCESS_TOKEN_TTL", options.access_token_ttl.to_string());
        let (idp, issuer) = start_service("idp", idp, "ready ").await;

        let dist = dir.path().join("dist");
        copy_dir(&env_path("E2E_DIST"), &dist);
        write_spa_config(&dist, &app, &issuer);

        let database_url = format!("sqlite://{}", dir.path().join("tokens.db").display());
        let mut server = Command::new(env_path("E2E_TOKEN_API_BIN"));
        server
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &database_url])
            .args(["--issuer", &issuer, "--audience", AUDIENCE])
            .arg("--spa-dir")
            .arg(&dist)
            .args(["--portal-url-template", "https://{tenant}.eu.portal.example.net"])
            .args(["--rate-limit-per-minute", &options.rate_limit_per_minute.to_string()])
            .env("RUST_LOG", "info");
        let (server, _) = start_service("token-api", server, "listening on ").await;
        Stack { app, issuer, database_url, idp, server, dir }
    }

    /// `app` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app)
    }

    /// Runs `token-api ARGS…` against this stack's database (e.g. `users deprovision …`).
    pub async fn token_api(&self, args: &[&str]) -> std::process::Output {
        Command::new(env_path("E2E_TOKEN_API_BIN"))
            .args(args)
            .args(["--database-url", &self.database_url])
            .output()
            .await
            .unwrap()
    }

    /// The folder this stack keeps its files in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.server.start_kill();
        let _ = self.idp.start_kill();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The SPA's run-time configuration for the local provider (same shape as `cargo xtask dev`'s).
pub fn write_spa_config(dist: &Path, app: &str, issuer: &str) {
    let config = serde_json::json!({
        "authority": issuer,
        "client_id": CLIENT_ID,
        "scopes": ["openid", "profile", "offline_access", format!("{AUDIENCE}/access_as_user")],
        "api_base_url": app,
        "redirect_uri": format!("{app}/auth/callback"),
        "post_logout_redirect_uri": format!("{app}/"),
        "cache_location": "sessionStorage",
    });
    std::fs::write(dist.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
}

/// Headless Chromium driven by its own chromedriver, with a fresh profile.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    name: String,
    shots: u32,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of 1280×900; `name` names the
    /// screenshot folder under `E2E_ARTIFACTS`.
    pub async fn start(name: &str) -> Browser {
        Browser::start_sized(name, 1280, 900).await
    }

    /// Like [`Browser::start`] with a window of `width`×`height` CSS pixels.
    pub async fn start_sized(name: &str, width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = Command::new(env_path("CHROMEDRIVER"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }
        });
        let mut caps = caps;
        if width < 500 {
            // Chromium will not make a window narrower than about 500 px: emulate the viewport.
            caps["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": false, "mobile": false },
            });
        }
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("cannot open a WebDriver session");
        Browser { client, name: name.to_string(), shots: 0, driver, _profile: profile }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Waits for an element matching the CSS selector and returns it.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
                let body = self.text("body").await;
                panic!("no element {css} within {WAIT:?} at {url}: {e}\npage text: {body}")
            }
        }
    }

    /// Waits until an element matching `css` contains `text`, and returns its text.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let now = self.text(css).await;
            if now.contains(text) {
                return now;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{css} never showed {text:?}; it shows {now:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `css`, or "" if there is none.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Whether an element matches `css` now.
    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Clicks the element matching `css` (waiting for it first).
    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The current URL.
    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Signs in at the local provider's login page as `username`, typing the account and
    /// password as a person would, and waits until the SPA is back.
    pub async fn sign_in(&self, username: &str) {
        self.wait_for("#username").await.send_keys(username).await.unwrap();
        self.wait_for("#password").await.send_keys(PASSWORD).await.unwrap();
        self.click("#sign-in").await;
        self.wait_for(".top-bar").await;
    }

    /// Saves a PNG of the window as `E2E_ARTIFACTS/<name>/NN-<step>.png`.
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::env::var_os("E2E_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join(&self.name);
        std::fs::create_dir_all(&dir).unwrap();
        self.shots += 1;
        let path = dir.join(format!("{:02}-{step}.png", self.shots));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Ends the WebDriver session and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.start_kill();
    }
}
