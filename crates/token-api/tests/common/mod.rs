//! Test harness: a loopback OpenID provider (discovery + JWKS), a fresh database per test
//! (SQLite file, or a PostgreSQL database when `TOKEN_API_TEST_POSTGRES_URL` is set), and the
//! server on an ephemeral loopback port. Each test binary uses a part of it.
#![allow(dead_code, unused_imports)]

pub mod bulk;
mod db;
mod directory;
mod idp;
mod process;
mod server;

pub use db::{Db, TestDb, postgres_url};
pub use directory::{DIRECTORY_CLIENT_ID, DIRECTORY_SECRET, Directory};
pub use idp::{AUDIENCE, CLIENT_ID, KID, OTHER_KEY, TestIdp};
pub use process::ServerProcess;
pub use server::{TestClock, TestServer, call, config, rate_limited, status_json, stored_token};

use std::future::Future;
use std::time::{Duration, Instant};

use token_api::Config;
use token_wire::Role;

/// The tenant the tests act in.
pub const TA: &str = "tenant-a";

/// Runs the async test `$name(env)` once per backend, each with a fresh [`Env`] (its
/// configuration changed by `$tweak` when given); the PostgreSQL one passes trivially (with a
/// note) when `TOKEN_API_TEST_POSTGRES_URL` is unset.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        both_backends!($name, |_| {});
    };
    ($name:ident, $tweak:expr) => {
        mod $name {
            use super::common::{Db, Env};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Env::with(Db::Sqlite, $tweak).await).await;
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
                super::$name(Env::with(Db::Postgres, $tweak).await).await;
            }
        }
    };
}

/// Polls `check` every 50 ms until it holds; fails with `what` once `bound` has passed since
/// `since`.
pub async fn eventually<F, Fut>(since: Instant, bound: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    while !check().await {
        assert!(since.elapsed() < bound, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
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

    /// An access token of tenant-a's global administrator, `admin`.
    pub fn admin(&self) -> String {
        self.idp
            .access_token(TA, "admin", &[Role::GlobalAdministrator])
    }

    /// A second server instance on the same database and provider.
    pub async fn another_server(&self) -> TestServer {
        TestServer::start(&self.db.url, config(&self.idp)).await
    }
}
