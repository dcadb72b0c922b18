//! [`Browser`]: headless Chromium with a fresh profile, and the waits every scenario uses.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

use crate::{API_TOKENS_PATH, PASSWORD, Running, WAIT, env_path};

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
        let port = stack::free_port().expect("a free port for chromedriver");
        let driver = Command::new(env_path("CHROMEDRIVER"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
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
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("cannot open a WebDriver session");
        Browser {
            client,
            name: name.to_string(),
            shots: 0,
            driver,
            _profile: profile,
        }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Waits for an element matching the CSS selector and returns it.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
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
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The current URL.
    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Signs in at the local provider's login page as `username`, typing the account and
    /// password as a person would, and waits until the SPA is back.
    pub async fn sign_in(&self, username: &str) {
        self.wait_for("#username")
            .await
            .send_keys(username)
            .await
            .unwrap();
        self.wait_for("#password")
            .await
            .send_keys(PASSWORD)
            .await
            .unwrap();
        self.click("#sign-in").await;
        self.wait_for(".top-bar").await;
    }

    /// Opens the API tokens screen of `stack`, which must send to the provider's login page.
    pub async fn open_login_page(&self, stack: &Running) {
        self.goto(&stack.url(API_TOKENS_PATH)).await;
        self.wait_for("#username").await;
        assert!(
            self.current_url().await.starts_with(&stack.issuer),
            "the provider's login page"
        );
    }

    /// Opens the provider's login page (see [`Browser::open_login_page`]) and signs in there
    /// as `username`.
    pub async fn sign_in_at(&self, stack: &Running, username: &str) {
        self.open_login_page(stack).await;
        self.sign_in(username).await;
    }

    /// Waits until the top bar names `display_name` as the signed-in user.
    pub async fn wait_for_user(&self, display_name: &str) {
        self.wait_for_text(".top-bar .user-name", display_name)
            .await;
    }

    /// Opens `url`; signs in as `username` if the provider's login page shows up first.
    pub async fn open_signed_in(&self, url: &str, username: &str) {
        self.goto(url).await;
        self.wait_for(".top-bar, #username").await;
        if self.exists("#username").await {
            self.sign_in(username).await;
        }
    }

    /// Waits until nothing matches `css` any more (`what` names the wait in a failure).
    pub async fn wait_gone(&self, what: &str, css: &str) {
        self.wait_until(what, async |b| !b.exists(css).await).await;
    }

    /// Polls `check` until it holds, for at most [`WAIT`].
    pub async fn wait_until(&self, what: &str, check: impl AsyncFn(&Browser) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !check(self).await {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; page text: {}",
                    self.text("body").await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
