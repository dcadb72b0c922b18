//! `cargo xtask test`: every test layer, one summary line each.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::bootstrap::{self, Needs, Tools};
use crate::cmd::{describe, output, step};
use crate::services;
use crate::{Result, root, spa};

/// The layers, in the order they run. `cargo xtask test LAYER…` runs only those named.
const LAYERS: [&str; 6] = ["rust", "api-fuzz", "idp", "wasm", "e2e", "deploy"];

/// What one layer counted.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
}

struct Outcome {
    layer: &'static str,
    counts: Counts,
    ok: bool,
    secs: f64,
}

/// Runs the layers named in `args` (all when none) and fails if any fails or runs no test.
pub fn run(args: &[String]) -> Result<()> {
    for a in args {
        if !LAYERS.contains(&a.as_str()) {
            return Err(format!("unknown layer {a}; layers: {}", LAYERS.join(", ")));
        }
    }
    let wanted = |l: &str| args.is_empty() || args.iter().any(|a| a == l);
    let needs = Needs {
        spa: wanted("wasm") || wanted("e2e") || wanted("deploy"),
        browser: wanted("wasm") || wanted("e2e") || wanted("deploy"),
        idp: wanted("idp") || wanted("e2e") || wanted("deploy"),
        postgres: wanted("rust") || wanted("deploy"),
        load: false,
        nginx: wanted("deploy"),
        fuzz: wanted("api-fuzz"),
    };
    let started = Instant::now();
    let tools = bootstrap::all(needs)?;
    let mut outcomes = Vec::new();
    for layer in LAYERS.into_iter().filter(|l| wanted(l)) {
        step(format!("test layer {layer}"));
        let t = Instant::now();
        let (counts, ok) = match layer {
            "rust" => rust_layer(&tools),
            "api-fuzz" => api_fuzz_layer(&tools),
            "idp" => idp_layer(),
            "wasm" => wasm_layer(&tools),
            "e2e" => e2e_layer(&tools),
            _ => deploy_layer(&tools),
        }
        .unwrap_or_else(|e| {
            eprintln!("layer {layer}: {e}");
            (Counts::default(), false)
        });
        outcomes.push(Outcome {
            layer,
            counts,
            ok,
            secs: t.elapsed().as_secs_f64(),
        });
    }

    println!();
    let mut total = Counts::default();
    let mut all_ok = true;
    for o in &outcomes {
        let ran_none = o.counts.passed + o.counts.failed == 0;
        let verdict = if !o.ok {
            "FAILED"
        } else if ran_none {
            "RAN NO TEST"
        } else {
            "ok"
        };
        all_ok &= o.ok && !ran_none && o.counts.failed == 0;
        println!(
            "layer {:<8} {:>4} passed, {:>3} failed  {:>7.1} s  {verdict}",
            o.layer, o.counts.passed, o.counts.failed, o.secs
        );
        total.passed += o.counts.passed;
        total.failed += o.counts.failed;
    }
    println!("(whole run {:.1} s)", started.elapsed().as_secs_f64());
    println!("total: {} passed, {} failed", total.passed, total.failed);
    if all_ok {
        Ok(())
    } else {
        Err("some test layer failed or ran no test".into())
    }
}

/// Workspace unit and server integration tests, on SQLite and on a throw-away PostgreSQL.
fn rust_layer(tools: &Tools) -> Result<(Counts, bool)> {
    let pg_bin = tools
        .postgres_bin
        .as_deref()
        .ok_or("PostgreSQL is not installed")?;
    let pg = stack::Postgres::start(pg_bin)?;
    step(format!("PostgreSQL: throw-away cluster at {}", pg.url()));
    let mut cmd = if has_nextest() {
        let mut c = Command::new("cargo");
        c.args(["nextest", "run", "--no-fail-fast", "--workspace"]);
        c
    } else {
        let mut c = Command::new("cargo");
        c.args(["test", "--no-fail-fast", "--workspace"]);
        c
    };
    cmd.args(["--exclude", "api-tokens-portal", "--exclude", "e2e"])
        .env("TOKEN_API_TEST_POSTGRES_URL", pg.url())
        .env("TOKEN_API_TEST_POSTGRES_BIN", pg_bin)
        .current_dir(root());
    let result = run_counted(&mut cmd);
    drop(pg);
    result
}

/// schemathesis against the served OpenAPI document, with a portal bearer and with an API
/// token (the token-api test `api_fuzz`, ignored in the rust layer).
fn api_fuzz_layer(tools: &Tools) -> Result<(Counts, bool)> {
    let st = tools.schemathesis.as_deref().ok_or("schemathesis is not installed")?;
    run_counted(
        Command::new("cargo")
            .args(["test", "-p", "token-api", "--test", "api_fuzz", "--", "--ignored"])
            .env("SCHEMATHESIS", st)
            .current_dir(root()),
    )
}

/// The local OpenID provider's own tests (node's test runner).
fn idp_layer() -> Result<(Counts, bool)> {
    run_counted(
        Command::new("npm")
            .args(["test", "--prefix"])
            .arg(root().join("dev/idp")),
    )
}

/// wasm-bindgen-test component tests in headless Chromium.
fn wasm_layer(tools: &Tools) -> Result<(Counts, bool)> {
    run_counted(
        tools
            .command("cargo")
            .args([
                "test",
                "-p",
                "api-tokens-portal",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .env("CHROMEDRIVER", &tools.chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            .current_dir(root()),
    )
}

/// End-to-end: the release SPA, the real server and the local provider in headless Chromium.
fn e2e_layer(tools: &Tools) -> Result<(Counts, bool)> {
    let dist = spa::build(tools)?;
    let mut cmd = e2e_command(tools, &dist, &[])?;
    let result = run_counted(&mut cmd);
    crate::size::guard(&dist, result)
}

/// The deployment of `deploy/`: nginx in front of two servers on one PostgreSQL database, the
/// e2e crate's `deploy` tests (ignored in the e2e layer).
fn deploy_layer(tools: &Tools) -> Result<(Counts, bool)> {
    let dist = spa::build(tools)?;
    let pg_bin = tools
        .postgres_bin
        .as_deref()
        .ok_or("PostgreSQL is not installed")?;
    let nginx = tools.nginx.as_deref().ok_or("nginx is not installed")?;
    let only_deploy: &[&str] = if has_nextest() {
        &["--test", "deploy", "--run-ignored", "only"]
    } else {
        &["--test", "deploy", "--", "--ignored"]
    };
    let mut cmd = e2e_command(tools, &dist, only_deploy)?;
    cmd.env("DEPLOY_NGINX", nginx)
        .env("DEPLOY_POSTGRES_BIN", pg_bin);
    run_counted(&mut cmd)
}

/// `cargo nextest run` (or `cargo test`) of the e2e crate with `args`, with the variables its
/// harness reads.
fn e2e_command(tools: &Tools, dist: &Path, args: &[&str]) -> Result<Command> {
    let bin = services::build_server()?;
    let artifacts = services::target_dir().join("e2e-artifacts");
    let mut cmd = Command::new("cargo");
    if has_nextest() {
        cmd.args([
            "nextest",
            "run",
            "--no-fail-fast",
            "-p",
            "e2e",
            "--test-threads",
            "2",
        ]);
    } else {
        cmd.args(["test", "--no-fail-fast", "-p", "e2e"]);
    }
    cmd.args(args)
        .env("E2E_DIST", dist)
        .env("E2E_TOKEN_API_BIN", &bin)
        .env("E2E_ARTIFACTS", &artifacts)
        .env("CHROMEDRIVER", &tools.chromedriver)
        .current_dir(root());
    println!("e2e screenshots: {}", artifacts.display());
    Ok(cmd)
}

fn has_nextest() -> bool {
    output("cargo", ["nextest", "--version"]).is_some()
}

/// Runs `cmd`, echoing its output, and adds up the pass/fail counts its test runner prints.
fn run_counted(cmd: &mut Command) -> Result<(Counts, bool)> {
    println!("$ {}", describe(cmd));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    let stderr = child.stderr.take().expect("piped");
    let err_thread = std::thread::spawn(move || scan(stderr, true));
    let mut counts = scan(child.stdout.take().expect("piped"), false);
    let err_counts = err_thread.join().unwrap_or_default();
    counts.passed += err_counts.passed;
    counts.failed += err_counts.failed;
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((counts, status.success()))
}

fn scan(stream: impl Read, is_err: bool) -> Counts {
    let mut counts = Counts::default();
    for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
        if is_err {
            eprintln!("{line}")
        } else {
            println!("{line}")
        }
        if let Some(c) = parse_counts(&line) {
            counts.passed += c.passed;
            counts.failed += c.failed;
        }
    }
    counts
}

/// Reads the closing count line of cargo test, nextest or node's test runner.
///
/// A `test result:` line counts only at the start of a line: nextest repeats a failed test's
/// captured output indented, and that copy must not count the failure twice.
fn parse_counts(raw: &str) -> Option<Counts> {
    let line = raw.trim();
    let number_before = |s: &str, word: &str| -> Option<u64> {
        let idx = s.find(word)?;
        s[..idx]
            .trim_end()
            .rsplit([' ', ':', ';', ','])
            .next()?
            .parse()
            .ok()
    };
    if raw.starts_with("test result:") {
        // cargo test / wasm-bindgen-test-runner: "test result: ok. 3 passed; 0 failed; …"
        return Some(Counts {
            passed: number_before(line, " passed")?,
            failed: number_before(line, " failed").unwrap_or(0),
        });
    }
    if line.starts_with("Summary [") && line.contains("tests run:") {
        // nextest: "Summary [   1.2s] 10 tests run: 9 passed, 1 failed, 0 skipped"
        let tail = &line[line.find("tests run:")?..];
        return Some(Counts {
            passed: number_before(tail, " passed").unwrap_or(0),
            failed: number_before(tail, " failed").unwrap_or(0)
                + number_before(tail, " timed out").unwrap_or(0),
        });
    }
    // node --test: "# pass 3" / "ℹ pass 3" and "# fail 0" / "ℹ fail 0"
    for prefix in ["# ", "ℹ "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            if let Some(n) = rest.strip_prefix("pass ") {
                return Some(Counts {
                    passed: n.trim().parse().ok()?,
                    failed: 0,
                });
            }
            if let Some(n) = rest.strip_prefix("fail ") {
                return Some(Counts {
                    passed: 0,
                    failed: n.trim().parse().ok()?,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_counts;

    #[test]
    fn reads_cargo_test_nextest_and_node_counts() {
        let c =
            parse_counts("test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured").unwrap();
        assert_eq!((c.passed, c.failed), (12, 0));
        assert!(parse_counts("    test result: FAILED. 0 passed; 1 failed; 0 ignored").is_none());
        let c = parse_counts("test result: FAILED. 3 passed; 2 failed; 0 ignored").unwrap();
        assert_eq!((c.passed, c.failed), (3, 2));
        let c =
            parse_counts("     Summary [  12.345s] 40 tests run: 38 passed, 2 failed, 1 skipped")
                .unwrap();
        assert_eq!((c.passed, c.failed), (38, 2));
        let c = parse_counts("     Summary [   1.000s] 5 tests run: 5 passed, 0 skipped").unwrap();
        assert_eq!((c.passed, c.failed), (5, 0));
        assert_eq!(parse_counts("ℹ pass 7").unwrap().passed, 7);
        assert_eq!(parse_counts("# fail 1").unwrap().failed, 1);
        assert!(parse_counts("running 3 tests").is_none());
    }
}
