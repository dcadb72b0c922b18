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

fn env_path(var: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{var} is not set: run the end-to-end tests with `cargo xtask test e2e`")
    })
}
