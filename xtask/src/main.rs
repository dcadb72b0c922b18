//! Developer commands. `cargo xtask dev` and `cargo xtask test` are the two commands the
//! README leads with; both install what is missing first (see [`bootstrap`]).

mod bench;
mod bootstrap;
mod breakdown;
mod browser_bench;
mod browser_timeline;
mod cmd;
mod compress;
mod server_bench;
mod server_fixture;
mod server_variants;
mod services;
mod size;
mod spa;
mod testing;
mod webdriver;
mod wrk;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  dev        install what is missing, build the SPA, start the OpenID provider and the
             token API on 127.0.0.1, print the URL; Ctrl-C stops everything
  test       install what is missing and run every test layer (or: test LAYER…)
  bench      release bundle size (raw, gzip, brotli; the wasm by crate and function), the SPA
             against a hand-written page in headless Chromium (written to bench/results/),
             token API latency/throughput in process, and the server at a million API
             tokens on SQLite and PostgreSQL under wrk (or: bench size|browser|api|server …)
  bootstrap  only install what is missing
  build-spa  only build the SPA into dist/ (release, with .br and .gz copies)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => services::dev(),
        Some("test") => testing::run(&args[1..]),
        Some("bench") => bench::run_all(&args[1..]),
        Some("bootstrap") => bootstrap::all(bootstrap::Needs::everything()).map(|_| ()),
        Some("build-spa") => bootstrap::all(bootstrap::Needs::spa())
            .and_then(|tools| spa::build(&tools).map(|_| ())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Errors are plain messages: every failure is reported once, at the top.
pub type Result<T, E = String> = std::result::Result<T, E>;
