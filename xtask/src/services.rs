//! Building the token API and `cargo xtask dev`, which starts the local stack (see the
//! `stack` crate) around the release SPA.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;

use stack::{PASSWORD, Stack, Store};

use crate::bootstrap::{self, Needs};
use crate::cmd::{run, step};
use crate::{Result, root, spa};

/// The cargo target folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Builds the token API binary (debug profile) and returns its path.
pub fn build_server() -> Result<PathBuf> {
    step("cargo build -p token-api");
    run(Command::new("cargo")
        .args(["build", "-p", "token-api"])
        .current_dir(root()))?;
    Ok(target_dir().join("debug/token-api"))
}

/// How often `cargo xtask dev` syncs roles from the provider's directory: a role changed
/// there (`POST /dev/accounts/<oid>/roles`, see dev/idp/README.md) shows within a minute.
const DEV_DIRECTORY_SYNC_SECS: u64 = 60;

/// `cargo xtask dev`.
pub fn dev() -> Result<()> {
    let tools = bootstrap::all(Needs {
        spa: true,
        browser: false,
        idp: true,
        postgres: false,
        load: false,
        nginx: false,
        fuzz: false,
    })?;
    let dist = spa::build(&tools)?;
    let bin = build_server()?;
    step("starting the OpenID provider and the token API");
    let running = Stack::new(bin)
        .spa(dist)
        .store(Store::Sqlite(root().join("data/tokens.db")))
        .port(env_port("DEV_PORT", 8080)?)
        .idp_port(env_port("DEV_IDP_PORT", 9090)?)
        .directory_sync(DEV_DIRECTORY_SYNC_SECS)
        .start()?;

    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| e.to_string())?;
    println!();
    println!(
        "  API tokens portal: {}",
        running.url("/settings/security-extensions/api-tokens")
    );
    println!(
        "  OpenID provider:   {}  (accounts: dev/idp/accounts.json, password {PASSWORD})",
        running.issuer
    );
    println!("  Press Ctrl-C to stop.");
    println!();
    let _ = rx.recv();
    step("stopping");
    drop(running);
    Ok(())
}

fn env_port(var: &str, default: u16) -> Result<u16> {
    match std::env::var(var) {
        Ok(v) => v.parse().map_err(|_| format!("{var}={v} is not a port")),
        Err(_) => Ok(default),
    }
}
