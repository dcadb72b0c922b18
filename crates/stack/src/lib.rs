//! The local stack, in one place for `cargo xtask` and the tests: the local OpenID provider
//! (`dev/idp`), the token API (`token-api serve`) serving a built SPA with its `config.json`,
//! and a throw-away PostgreSQL cluster, each on a loopback port and each stopped when dropped.
//!
//! [`Stack`] starts the usual set (provider, then server, with a SQLite file of its own unless
//! told otherwise); [`IdpConfig`], [`ServerConfig`] and [`Postgres`] start one piece each, for
//! set-ups the builder does not cover. [`Deployment`] starts the product as `deploy/` runs it:
//! nginx in front of several servers sharing one PostgreSQL database.
//!
//! ```no_run
//! let running = stack::Stack::new("target/debug/token-api").spa("dist").start()?;
//! println!("open {}", running.url("/settings/security-extensions/api-tokens"));
//! # Ok::<(), stack::Error>(())
//! ```
//!
//! Std only, no async runtime: blocking waits, threads forwarding each child's output as
//! `[name] line`.

mod deploy;
mod error;
mod idp;
mod nginx;
mod postgres;
mod process;
mod scratch;
mod server;
mod spa;
mod stack;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

pub use deploy::{Deployed, Deployment};
pub use error::{Error, Result};
pub use idp::{AUDIENCE, CLIENT_ID, Idp, IdpConfig, PASSWORD};
pub use nginx::{Nginx, NginxConfig};
pub use postgres::Postgres;
pub use server::{PORTAL_URL_TEMPLATE, Server, ServerConfig, Store, security_headers};
pub use spa::{copy_dir, write_config as write_spa_config};
pub use stack::{Running, Stack};

/// A free TCP port on 127.0.0.1 (free when asked: another process may take it before use).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("a free port", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("a free port", e))?;
    Ok(addr.port())
}

/// Whether this process runs as root (some programs then run as another user).
pub(crate) fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .stderr(std::process::Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout.trim_ascii() == b"0")
}

/// The workspace root (the folder holding the root `Cargo.toml` and `dev/idp`).
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .expect("crates/stack sits in the workspace")
        .to_path_buf()
}
