//! The end-to-end harness: the local stack (the `stack` crate: the OpenID provider and the
//! token API serving a copy of the built SPA) and a [`Browser`] (headless Chromium driven over
//! WebDriver by chromedriver), plus the steps the scenarios share on the portal's screens.
//! Everything started here stops when dropped.
//!
//! `cargo xtask test e2e` builds what this needs and sets: `E2E_DIST` (the Trunk release
//! build), `E2E_TOKEN_API_BIN`, `E2E_ARTIFACTS` (screenshots) and `CHROMEDRIVER`.

mod browser;
pub mod session;
pub mod token_api;
pub mod tokens_screen;

use std::path::PathBuf;
use std::time::Duration;

pub use browser::Browser;
pub use fantoccini;
pub use stack::{PASSWORD, Running, Stack};

/// The route of the API tokens screen.
pub const API_TOKENS_PATH: &str = "/settings/security-extensions/api-tokens";
/// The tenant id of the seeded accounts `…@contoso.test`.
pub const CONTOSO: &str = "11111111-1111-4111-8111-111111111111";

/// How long a page may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(20);

/// The stack the scenarios run against: `E2E_TOKEN_API_BIN` serving its own copy of
/// `E2E_DIST` (free to edit), a SQLite file of its own, 600 API-token calls per minute.
pub fn stack() -> Stack {
    Stack::new(env_path("E2E_TOKEN_API_BIN"))
        .spa_copy(env_path("E2E_DIST"))
        .rate_limit_per_minute(600)
}

/// Starts [`stack()`] as it is.
pub fn start_stack() -> Running {
    stack()
        .start()
        .unwrap_or_else(|e| panic!("the stack did not start: {e}"))
}

/// Starts [`stack()`] and a browser whose screenshots go to the folder `shots`.
pub async fn start_with_browser(shots: &str) -> (Running, Browser) {
    (start_stack(), Browser::start(shots).await)
}

/// Starts [`stack()`] and a browser on the provider's login page (see
/// [`Browser::open_login_page`]).
pub async fn start_at_login_page(shots: &str) -> (Running, Browser) {
    let (stack, browser) = start_with_browser(shots).await;
    browser.open_login_page(&stack).await;
    (stack, browser)
}

/// Starts [`stack()`] and a browser signed in there as `username` (see
/// [`Browser::sign_in_at`]), once the top bar names them `display_name`.
pub async fn start_signed_in(
    shots: &str,
    username: &str,
    display_name: &str,
) -> (Running, Browser) {
    let (stack, browser) = start_with_browser(shots).await;
    browser.sign_in_at(&stack, username).await;
    browser.wait_for_user(display_name).await;
    (stack, browser)
}

/// Starts [`stack()`] and a browser that opens `path` there, signing in as `username` (see
/// [`Browser::open_signed_in`]).
pub async fn start_and_open(shots: &str, path: &str, username: &str) -> (Running, Browser) {
    let (stack, browser) = start_with_browser(shots).await;
    browser.open_signed_in(&stack.url(path), username).await;
    (stack, browser)
}

fn env_path(var: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{var} is not set: run the end-to-end tests with `cargo xtask test e2e`")
    })
}
