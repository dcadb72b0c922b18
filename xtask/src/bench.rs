//! `cargo xtask bench [size] [browser] [api] [server]`: the numbers the project reports —
//! the release bundle's size with a breakdown of the wasm by crate and function, the SPA's
//! speed in a real browser against a hand-written page (see [`browser_bench`]), the token
//! API's latency and throughput in process (`cargo bench -p token-api`), and the real server
//! at a million API tokens on both stores under `wrk` (see [`server_bench`]). The bundle,
//! browser and server figures are written to `bench/results/<date>-<commit>.md` and
//! `bench/results/latest.md`.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bootstrap::{self, Needs, Tools};
use crate::breakdown::{self, Breakdown};
use crate::cmd::{output, run, step};
use crate::size::{self, group};
use crate::{Result, browser_bench, root, server_bench, spa};

const PARTS: [&str; 4] = ["size", "browser", "api", "server"];
/// Rows of the breakdown tables in the results file.
const TOP_CRATES: usize = 30;
const TOP_FUNCTIONS: usize = 40;

/// Runs the parts named in `args` (all when none).
pub fn run_all(args: &[String]) -> Result<()> {
    if let Some(a) = args.iter().find(|a| !PARTS.contains(&a.as_str())) {
        return Err(format!(
            "unknown bench part {a}; parts: {}",
            PARTS.join(", ")
        ));
    }
    let wanted = |p: &str| args.is_empty() || args.iter().any(|a| a == p);
    let needs = Needs {
        spa: wanted("size") || wanted("browser"),
        browser: wanted("browser"),
        idp: wanted("browser"),
        postgres: wanted("server"),
        load: wanted("server"),
        nginx: false,
        fuzz: false,
    };
    if needs.spa || wanted("server") {
        let tools = bootstrap::all(needs)?;
        let revision = Revision::current();
        let mut report = format!("# Bench · {revision}\n\n");
        if needs.spa {
            let dist = spa::build(&tools)?;
            if wanted("size") {
                report.push_str(&bundle_report(&tools, &dist)?);
            }
            if wanted("browser") {
                report.push_str(&browser_bench::run_bench(&tools, &dist)?);
            }
        }
        if wanted("server") {
            report.push_str(&server_bench::run_bench(&tools)?);
        }
        let path = write_results(&revision, &report)?;
        println!("\n{report}\nwritten to {}", path.display());
    }
    if wanted("api") && root().join("crates/token-api/benches").is_dir() {
        step("cargo bench -p token-api");
        run(Command::new("cargo")
            .args(["bench", "-p", "token-api"])
            .current_dir(root()))?;
    }
    Ok(())
}

/// The size table of `dist` and the breakdown of its wasm, as Markdown.
fn bundle_report(tools: &Tools, dist: &Path) -> Result<String> {
    let files = size::measure(dist)?;
    let mut out = String::from("## Release bundle (`dist/`)\n\n");
    out.push_str(&size::table(&files));
    let _ = writeln!(
        out,
        "\nBudgeted (wasm + js + css, brotli): {} B; `bench/size-budget`: {}.\n",
        group(size::budgeted(&files)),
        budget_line()
    );

    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let named = breakdown::analyse(&read(&named_wasm(tools)?)?)?;
    let wasm = files
        .iter()
        .find(|f| f.kind == "wasm")
        .ok_or("dist/ has no wasm")?;
    let shipped = breakdown::analyse(&read(&dist.join(&wasm.name))?)?;
    out.push_str(&breakdown_tables(&named, &shipped));
    Ok(out)
}

/// The breakdown of `b`, the shipped module rebuilt with names, checked against `shipped`.
fn breakdown_tables(b: &Breakdown, shipped: &Breakdown) -> String {
    let mut out = String::from("## The wasm by crate and by function\n\n");
    let _ = writeln!(
        out,
        "The release module rebuilt with its `name` section (Trunk's wasm-bindgen output, \
         then wasm-opt with Trunk's options and `-g`): {} B, of which code {} B, data {} B, \
         other sections {} B (names included). The shipped module: {} B, code {} B, data {} B, \
         other {} B.{}\n",
        group(b.total),
        group(b.code),
        group(b.data),
        group(b.other),
        group(shipped.total),
        group(shipped.code),
        group(shipped.data),
        group(shipped.other),
        if b.named {
            ""
        } else {
            " **It has no names: the release profile strips symbols.**"
        }
    );
    out.push_str("| crate | functions | code bytes | share of code | brotli alone |\n|---|---:|---:|---:|---:|\n");
    for c in b.crates.iter().take(TOP_CRATES) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} % | {} |",
            c.name,
            c.functions,
            group(c.size),
            100.0 * c.size as f64 / b.code.max(1) as f64,
            group(c.brotli)
        );
    }
    if b.crates.len() > TOP_CRATES {
        let rest = &b.crates[TOP_CRATES..];
        let _ = writeln!(
            out,
            "| {} other crates | {} | {} | | |",
            rest.len(),
            rest.iter().map(|c| c.functions).sum::<usize>(),
            group(rest.iter().map(|c| c.size).sum())
        );
    }
    out.push_str("\n| largest functions | crate | code bytes |\n|---|---|---:|\n");
    for f in b.functions.iter().take(TOP_FUNCTIONS) {
        let name = f.name.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} |",
            breakdown::crate_of(&f.name),
            group(f.size)
        );
    }
    out
}

/// The release module with its `name` section: Trunk's wasm-bindgen output (which Trunk
/// keeps under `target/wasm-bindgen/release/`) optimised as Trunk does (options from
/// `index.html`) plus `-g`, which keeps the names and changes nothing else.
fn named_wasm(tools: &Tools) -> Result<PathBuf> {
    let dir = root().join("target/wasm-bindgen/release");
    let input = dir.join("api-tokens-portal_bg.wasm");
    let index = std::fs::read_to_string(root().join("index.html")).map_err(|e| e.to_string())?;
    let level = attribute(&index, "data-wasm-opt").unwrap_or_else(|| "z".into());
    let params = attribute(&index, "data-wasm-opt-params").unwrap_or_default();
    let named = root().join("target/bench-named.wasm");
    step("wasm-opt -g: the release wasm with its names");
    run(tools
        .command("wasm-opt")
        .arg(format!("-O{level}"))
        .args(params.split_whitespace())
        .arg("-g")
        .arg("--output")
        .arg(&named)
        .arg(&input))?;
    Ok(named)
}

/// The value of the first `name="…"` attribute in `html`.
fn attribute(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("{name}=\""))? + name.len() + 2;
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_string())
}

/// What the figures were measured on.
struct Revision {
    date: String,
    commit: String,
    /// Whether what the bundle or the server is built from differs from the commit.
    dirty: bool,
}

impl Revision {
    fn current() -> Revision {
        let root = root();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(args)
                .output()
                .ok()
        };
        let commit = git(&["rev-parse", "--short=9", "HEAD"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let sources = [
            "src",
            "style",
            "public",
            "index.html",
            "Cargo.toml",
            "Cargo.lock",
            "Trunk.toml",
            "crates/token-wire",
            "crates/token-api",
        ];
        let dirty = git(&[&["status", "--porcelain", "--"][..], &sources].concat())
            .is_some_and(|o| !o.stdout.is_empty());
        let date = output("date", ["-u", "+%Y-%m-%d"]).unwrap_or_else(|| "undated".into());
        Revision {
            date,
            commit,
            dirty,
        }
    }

    /// `2025-01-31-abc123def` (`-dirty` appended when dirty).
    fn file_stem(&self) -> String {
        format!(
            "{}-{}{}",
            self.date,
            self.commit,
            if self.dirty { "-dirty" } else { "" }
        )
    }
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let note = if self.dirty {
            " with uncommitted changes to the SPA or the server"
        } else {
            ""
        };
        write!(f, "{} · commit {}{note}", self.date, self.commit)
    }
}

fn budget_line() -> String {
    std::fs::read_to_string(root().join("bench/size-budget"))
        .ok()
        .and_then(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
        })
        .map(|n| format!("{n} B"))
        .unwrap_or_else(|| "missing".into())
}

/// Writes `report` to `bench/results/<date>-<commit>[-dirty].md` and `latest.md`.
fn write_results(revision: &Revision, report: &str) -> Result<PathBuf> {
    let dir = root().join("bench/results");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("{}.md", revision.file_stem()));
    std::fs::write(&path, report).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("latest.md"), report).map_err(|e| e.to_string())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_trunk_attributes() {
        let html =
            r#"<link data-trunk rel="rust" data-wasm-opt="z" data-wasm-opt-params="--a --b" />"#;
        assert_eq!(
            super::attribute(html, "data-wasm-opt").as_deref(),
            Some("z")
        );
        assert_eq!(
            super::attribute(html, "data-wasm-opt-params").as_deref(),
            Some("--a --b")
        );
        assert_eq!(super::attribute(html, "data-nothing"), None);
    }
}
