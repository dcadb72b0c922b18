//! Building the SPA with Trunk, offline.

use std::path::PathBuf;
use std::process::Command;

use crate::bootstrap::Tools;
use crate::cmd::{output, run, step};
use crate::{Result, root};

/// Builds the release bundle into `dist/` and returns that folder.
pub fn build(tools: &Tools) -> Result<PathBuf> {
    let wasm_opt = which(tools, "wasm-opt").ok_or("wasm-opt is not on PATH")?;
    let version = output(&wasm_opt, ["--version"]).unwrap_or_default();
    if !version.starts_with("wasm-opt version 132") {
        return Err(format!("{} is {version}, not the pinned 132", wasm_opt.display()));
    }
    step("cargo fetch (Trunk builds offline)");
    run(Command::new("cargo").arg("fetch").current_dir(root()))?;
    step("trunk build --release → dist/");
    run(tools
        .command("trunk")
        .args(["build", "--release"])
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .env("NO_COLOR", "true"))?;
    Ok(root().join("dist"))
}

/// The first `program` on the tools' `PATH`.
pub fn which(tools: &Tools, program: &str) -> Option<PathBuf> {
    std::env::split_paths(&tools.path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}
