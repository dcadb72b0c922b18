//! Building the SPA with Trunk, offline, on the pinned nightly, and writing its precompressed
//! copies.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bootstrap::Tools;
use crate::cmd::{output, run, step};
use crate::{Result, compress, root};

/// File types written next to themselves as `.br` and `.gz`.
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "json", "svg"];
/// Written by the deployment (or `cargo xtask dev`) after the build: a copy would go stale.
const RUNTIME_FILES: [&str; 1] = ["config.json"];

/// The toolchain of the release bundle, and only of it: a pinned nightly, installed by
/// `cargo xtask` with `rust-src` and the wasm target. It rebuilds the standard library for size
/// (`build-std`, `optimize_for_size`) and makes a panic abort at once, with no message
/// formatting (`panic = "immediate-abort"`). Measured (`cargo xtask bench size`, wasm + js + css
/// brotli): 218,298 B on stable → 191,059 B, −27,239 B. The server, the tests and the component
/// tests stay on stable.
pub const NIGHTLY: &str = "nightly-2026-05-20";

/// The environment of the bundle's cargo commands (`cargo fetch`, `trunk build`): [`NIGHTLY`]
/// and its unstable settings.
const NIGHTLY_ENV: [(&str, &str); 5] = [
    ("RUSTUP_TOOLCHAIN", NIGHTLY),
    ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
    ("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size"),
    ("CARGO_UNSTABLE_PANIC_IMMEDIATE_ABORT", "true"),
    ("CARGO_PROFILE_RELEASE_PANIC", "immediate-abort"),
];

/// Builds the release bundle into `dist/`, precompresses it and returns that folder.
pub fn build(tools: &Tools) -> Result<PathBuf> {
    let wasm_opt = which(tools, "wasm-opt").ok_or("wasm-opt is not on PATH")?;
    let version = output(&wasm_opt, ["--version"]).unwrap_or_default();
    if !version.starts_with("wasm-opt version 132") {
        return Err(format!(
            "{} is {version}, not the pinned 132",
            wasm_opt.display()
        ));
    }
    step(format!(
        "cargo fetch, with the standard library's sources ({NIGHTLY}; Trunk builds offline)"
    ));
    run(Command::new("cargo")
        .args(["fetch", "--target", "wasm32-unknown-unknown"])
        .envs(NIGHTLY_ENV)
        .current_dir(root()))?;
    step(format!(
        "trunk build --release → dist/ ({NIGHTLY}, build-std, immediate-abort)"
    ));
    run(tools
        .command("trunk")
        .args(["build", "--release"])
        .envs(NIGHTLY_ENV)
        .current_dir(root())
        .env_remove("CARGO_TARGET_DIR")
        .env("NO_COLOR", "true"))?;
    let dist = root().join("dist");
    step("precompressing dist/ (.br quality 11, .gz level 9)");
    precompress(&dist)?;
    Ok(dist)
}

/// Writes `<file>.br` and `<file>.gz` next to every compressible file under `dir`, each only
/// when it is smaller than the file (the server then falls back to the next encoding).
pub fn precompress(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            precompress(&path)?;
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible || RUNTIME_FILES.contains(&name) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (suffix, packed) in [
            ("br", compress::brotli(&bytes)?),
            ("gz", compress::gzip(&bytes)?),
        ] {
            let target = dir.join(format!("{name}.{suffix}"));
            if packed.len() < bytes.len() {
                std::fs::write(&target, packed)
                    .map_err(|e| format!("{}: {e}", target.display()))?;
            } else if target.exists() {
                std::fs::remove_file(&target).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// The first `program` on the tools' `PATH`.
pub fn which(tools: &Tools, program: &str) -> Option<PathBuf> {
    std::env::split_paths(&tools.path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    #[test]
    fn precompresses_assets_but_not_runtime_config_nor_incompressible_files() {
        let dir = tempfile_dir();
        let js = "export function f() { return 'API tokens'; }\n".repeat(40);
        std::fs::write(dir.join("app-0123456789abcdef.js"), &js).unwrap();
        std::fs::write(dir.join("config.json"), "{\"a\": 1}".repeat(40)).unwrap();
        std::fs::write(dir.join("robots.txt"), "User-agent: *".repeat(40)).unwrap();
        std::fs::write(dir.join("tiny.css"), "a{}").unwrap();
        std::fs::create_dir(dir.join("img")).unwrap();
        std::fs::write(dir.join("img/logo.svg"), "<svg></svg>".repeat(40)).unwrap();

        super::precompress(&dir).unwrap();

        let br = std::fs::read(dir.join("app-0123456789abcdef.js.br")).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, js.as_bytes());
        assert!(dir.join("app-0123456789abcdef.js.gz").is_file());
        assert!(dir.join("img/logo.svg.br").is_file());
        assert!(!dir.join("config.json.br").exists());
        assert!(!dir.join("robots.txt.br").exists());
        assert!(
            !dir.join("tiny.css.br").exists(),
            "a larger copy is not written"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
