//! `cargo xtask bench server`: the token API (`--profile server`) with a million API tokens
//! in one tenant, on SQLite and on a throw-away PostgreSQL cluster.
//!
//! Per store: the server creates its schema, the bench fixture
//! (`crates/token-api/examples/bench_fixture`) seeds the tokens in bulk (SQLite files are
//! cached under `target/bench-server/cache/`), then `wrk` drives every list variant, the
//! token-authenticated path and `/healthz` of the same process (the baseline) for a bounded
//! time each, on loopback.
//!
//! Settings from the environment: `BENCH_TOKENS` (default 1,000,000), `BENCH_SECONDS` per
//! measurement (default 5), `BENCH_STORES` (`sqlite,postgres`), `BENCH_SERVER_BIN` (measure
//! another build of `token-api`, e.g. an older one; the fixture seeds whatever schema it made).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use stack::{Postgres, ServerConfig, Store};

use crate::bootstrap::Tools;
use crate::cmd::{run, step};
use crate::server_fixture::{Issuer, fixture_output, get};
use crate::server_variants::{Variant, Who, variants};
use crate::services::target_dir;
use crate::size;
use crate::wrk::{self, Load, Measure};
use crate::{Result, root};

struct Settings {
    tokens: u64,
    duration: Duration,
    stores: Vec<String>,
    server_bin: Option<PathBuf>,
}

impl Settings {
    fn from_env() -> Result<Settings> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: u64| -> Result<u64> {
            var(name).map_or(Ok(default), |v| {
                v.replace(['_', ','], "")
                    .parse()
                    .map_err(|_| format!("{name} must be a number, not {v}"))
            })
        };
        let stores: Vec<String> = var("BENCH_STORES")
            .unwrap_or_else(|| "sqlite,postgres".into())
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        if let Some(s) = stores.iter().find(|s| *s != "sqlite" && *s != "postgres") {
            return Err(format!(
                "BENCH_STORES: unknown store {s} (sqlite, postgres)"
            ));
        }
        Ok(Settings {
            tokens: number("BENCH_TOKENS", 1_000_000)?,
            duration: Duration::from_secs(number("BENCH_SECONDS", 5)?),
            stores,
            server_bin: var("BENCH_SERVER_BIN").map(PathBuf::from),
        })
    }
}

/// Credentials of the three callers.
struct Callers {
    admin: String,
    reader: String,
    api_token: String,
}

impl Callers {
    fn authorization(&self, who: Who) -> Option<String> {
        match who {
            Who::Nobody => None,
            Who::Admin => Some(format!("Bearer {}", self.admin)),
            Who::Reader => Some(format!("Bearer {}", self.reader)),
            Who::ApiToken => Some(format!("Token {}", self.api_token)),
        }
    }
}

/// Runs the server bench and returns its Markdown section.
pub fn run_bench(tools: &Tools) -> Result<String> {
    let settings = Settings::from_env()?;
    let (built, fixture) = build()?;
    let server_bin = settings.server_bin.clone().unwrap_or(built);
    let issuer = Issuer::start(&fixture)?;
    let mut out = format!(
        "## Token API at {} API tokens in one tenant\n\n`cargo xtask bench server`: `{}` \
         on loopback, {} cores shared by server and load generator; Debian's `wrk` for {} s \
         per line with the connections shown; `limit=100` on every list; \
         × `/healthz` = throughput relative to `/healthz` of the same process at the same \
         connections.\n\n",
        group(settings.tokens),
        server_bin
            .strip_prefix(root())
            .unwrap_or(&server_bin)
            .display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        settings.duration.as_secs(),
    );
    for store in &settings.stores {
        out.push_str(&bench_store(
            store,
            tools,
            &settings,
            &server_bin,
            &fixture,
            &issuer,
        )?);
    }
    Ok(out)
}

/// `token-api` and the fixture, built with the server's profile.
fn build() -> Result<(PathBuf, PathBuf)> {
    step("cargo build -p token-api --profile server --bin token-api --example bench_fixture");
    run(Command::new("cargo")
        .args(["build", "-p", "token-api", "--profile", "server"])
        .args(["--bin", "token-api", "--example", "bench_fixture"])
        .current_dir(root()))?;
    let dir = target_dir().join("server");
    Ok((dir.join("token-api"), dir.join("examples/bench_fixture")))
}

fn bench_store(
    name: &str,
    tools: &Tools,
    settings: &Settings,
    server_bin: &Path,
    fixture: &Path,
    issuer: &Issuer,
) -> Result<String> {
    let work = target_dir().join("bench-server");
    let _ = std::fs::remove_dir_all(work.join("run"));
    let (store, _cluster) = if name == "sqlite" {
        (Store::Sqlite(work.join("run/tokens.db")), None)
    } else {
        let bin = tools
            .postgres_bin
            .as_deref()
            .ok_or("PostgreSQL's server programs are missing")?;
        step("bench server: a throw-away PostgreSQL cluster");
        let cluster = Postgres::start(bin).map_err(|e| e.to_string())?;
        (cluster.store(), Some(cluster))
    };
    let config = ServerConfig {
        bin: server_bin.to_path_buf(),
        port: 0,
        store: store.clone(),
        issuer: issuer.url.clone(),
        spa_dir: None,
        rate_limit_per_minute: Some(1_000_000_000),
        directory_sync_secs: None,
        max_tokens_per_user: None,
    };
    step(format!(
        "bench server ({name}): the server creates its schema"
    ));
    drop(config.start().map_err(|e| e.to_string())?);
    step(format!(
        "bench server ({name}): seeding {} API tokens",
        group(settings.tokens)
    ));
    run(Command::new(fixture)
        .args(["seed", "--database-url", &store.url()])
        .args(["--tokens", &settings.tokens.to_string()])
        .arg("--cache-dir")
        .arg(work.join("cache")))?;
    let api_token = fixture_output(fixture, &["api-token", "--database-url", &store.url()])?;
    // The seeded (or copied) store written back to disk now, not while the server is
    // measured: a checkpoint's fsync would wait behind it.
    run(&mut Command::new("sync"))?;
    let callers = Callers {
        admin: issuer.admin.clone(),
        reader: issuer.reader.clone(),
        api_token,
    };
    let server = config.start().map_err(|e| e.to_string())?;
    let admin = callers.authorization(Who::Admin);
    let (status, probe) = get(
        &server.url,
        "/api/v1/tokens?limit=1&q=-50000",
        admin.as_deref(),
    )?;
    let mid_cursor = probe["next_cursor"]
        .as_str()
        .filter(|_| status == 200)
        .ok_or_else(|| format!("no cursor from the probe ({status}): {probe}"))?
        .to_string();

    let load_before = load_average();
    let mut rows = Vec::new();
    for v in variants(&mid_cursor) {
        let auth = callers.authorization(v.who);
        let started = Instant::now();
        let (status, body) = get(&server.url, &v.path, auth.as_deref())?;
        let alone = started.elapsed();
        step(format!(
            "bench server ({name}): {} × {}",
            v.label, v.connections
        ));
        let measure = wrk::run(&Load {
            url: &format!("{}{}", server.url, v.path),
            authorization: auth.as_deref(),
            connections: v.connections,
            duration: settings.duration,
        })?;
        rows.push(Row {
            answer: answer(status, &body),
            alone,
            measure,
            variant: v,
        });
    }
    let load = format!("{load_before} before, {} after", load_average());
    Ok(table(name, &rows, &load))
}

/// The 1-minute load average, as `/proc/loadavg` has it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// One line of a store's table.
struct Row {
    variant: Variant,
    /// The status, and for a list what it answered.
    answer: String,
    /// One request on its own (the first, before the load).
    alone: Duration,
    measure: Measure,
}

/// The Markdown table of one store.
fn table(name: &str, rows: &[Row], load: &str) -> String {
    let store = if name == "sqlite" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let mut out = format!(
        "### {store}\n\nLoad average (1 min): {load}.\n\n| request | alone | conns | req/s | p50 | p99 | errors | × `/healthz` | answer |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|\n"
    );
    for row in rows {
        let (v, m) = (&row.variant, &row.measure);
        let baseline = rows
            .iter()
            .find(|b| b.variant.who == Who::Nobody && b.variant.connections == v.connections)
            .map(|b| b.measure.per_second)
            .filter(|b| *b > 0.0);
        let ratio = baseline.map_or("–".into(), |b| format!("{:.2}", m.per_second / b));
        let latency = |d| {
            if m.requests == 0 {
                "–".into()
            } else {
                millis(d)
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {ratio} | {} |",
            v.label,
            millis(row.alone),
            v.connections,
            group(m.per_second.round() as u64),
            latency(m.p50),
            latency(m.p99),
            m.errors,
            row.answer,
        );
    }
    out.push_str(
        "\n*alone*: one request by itself before the load; *–*: no answer came back within \
         the measurement.\n\n",
    );
    out
}

/// The status, and for a list the rows and the total (`N+` when the counts stopped).
fn answer(status: u16, body: &Value) -> String {
    match body["items"].as_array() {
        Some(items) if status == 200 => {
            let capped = body["counts"]["capped"].as_bool() == Some(true);
            let total = body["total"].as_u64().unwrap_or_default();
            let more = if body["next_cursor"].is_string() {
                ", more"
            } else {
                ""
            };
            format!(
                "{} rows of {}{}{more}",
                items.len(),
                group(total),
                if capped { "+" } else { "" }
            )
        }
        _ => status.to_string(),
    }
}

/// A latency in ms, with two decimals below 10 ms.
fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    size::group(usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(group(1_000_000), "1,000,000");
        assert_eq!(group(999), "999");
        assert_eq!(millis(Duration::from_micros(2_346)), "2.35 ms");
        assert_eq!(millis(Duration::from_millis(356)), "356 ms");
        let list = serde_json::json!({
            "items": [1, 2], "total": 10000, "next_cursor": "c", "counts": {"capped": true}
        });
        assert_eq!(answer(200, &list), "2 rows of 10,000+, more");
        assert_eq!(answer(503, &Value::Null), "503");
    }
}
