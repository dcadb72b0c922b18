//! `cargo xtask bench`: the numbers the project reports — release bundle size, and the token
//! API's request latency and throughput (`cargo bench -p token-api`, when that bench exists).

use std::process::Command;

use crate::bootstrap::{self, Needs};
use crate::cmd::{run, step};
use crate::{Result, root, spa};

/// Builds the release bundle and prints each file's raw and brotli (quality 11) size.
pub fn run_all() -> Result<()> {
    let tools = bootstrap::all(Needs::spa())?;
    let dist = spa::build(&tools)?;
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(&dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => "wasm",
            Some("js") => "js",
            Some("css") => "css",
            Some("html") => "html",
            _ => continue,
        };
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        rows.push((kind, bytes.len(), brotli_len(&bytes)?));
    }
    rows.sort();
    println!();
    println!("release bundle (dist/)        raw bytes   brotli -q 11");
    let (mut raw, mut br) = (0, 0);
    for (kind, r, b) in &rows {
        println!("  {kind:<26} {r:>10}   {b:>10}");
        if *kind != "html" {
            raw += r;
            br += b;
        }
    }
    println!("  {:<26} {raw:>10}   {br:>10}", "wasm + js + css");

    if root().join("crates/token-api/benches").is_dir() {
        step("cargo bench -p token-api");
        run(Command::new("cargo").args(["bench", "-p", "token-api"]).current_dir(root()))?;
    }
    Ok(())
}

fn brotli_len(bytes: &[u8]) -> Result<usize> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).map_err(|e| e.to_string())?;
    Ok(out.len())
}
