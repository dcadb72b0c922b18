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
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use stack::{Postgres, ServerConfig, Store};

use crate::bootstrap::Tools;
use crate::cmd::{run, step};
use crate::services::target_dir;
use crate::size;
use crate::wrk::{self, Load, Measure};
use crate::{Result, root};

/// Who sends a request.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Nobody,
    Admin,
    Reader,
    ApiToken,
}

/// One measured request.
struct Variant {
    label: String,
    path: String,
    who: Who,
    connections: u32,
}

fn variant(label: &str, path: &str, who: Who, connections: u32) -> Variant {
    Variant {
        label: label.into(),
        path: path.into(),
        who,
        connections,
    }
}

/// The connections of the latency measurements (one client: the latency of a request, not
/// of a queue); the throughput and overload runs use [`SOME`] and [`CROWD`].
const ONE: u32 = 1;
const SOME: u32 = 16;
const CROWD: u32 = 64;

/// Every list variant: each status, sort and order, search (long, common, short, non-ASCII),
/// the owner filter, a non-admin's own list, a page in the middle, and the crowd.
fn variants(mid_cursor: &str) -> Vec<Variant> {
    let list = |label: &str, query: &str| {
        variant(
            label,
            &format!("/api/v1/tokens?limit=100{query}"),
            Who::Admin,
            ONE,
        )
    };
    vec![
        variant("`/healthz`", "/healthz", Who::Nobody, ONE),
        list("first page (created_at desc)", ""),
        list("status=generated", "&status=generated"),
        list("status=active", "&status=active"),
        list("status=inactive", "&status=inactive"),
        list("sort=created_at asc", "&sort=created_at&order=asc"),
        list("sort=name asc", "&sort=name&order=asc"),
        list("sort=name desc", "&sort=name&order=desc"),
        list("sort=last_used_at desc", "&sort=last_used_at&order=desc"),
        list("sort=last_used_at asc", "&sort=last_used_at&order=asc"),
        list(
            "status=active, sort=name",
            "&status=active&sort=name&order=asc",
        ),
        list(
            "status=inactive, sort=last_used_at",
            "&status=inactive&sort=last_used_at",
        ),
        list("q=0999 (300 matches)", "&q=0999"),
        list("q=deploy-123 (250)", "&q=deploy-123"),
        list(
            "q=ÉTL-999, sort=name (250)",
            "&q=%C3%89TL-999&sort=name&order=asc",
        ),
        list("q=deploy-12 (2,500: scanned)", "&q=deploy-12"),
        list("q=deploy (250,000)", "&q=deploy"),
        list("q=9 (short)", "&q=9"),
        list("q=é (short, non-ASCII)", "&q=%C3%A9"),
        list("owner=bench-user-007", "&owner=bench-user-007"),
        list(
            "owner, status=inactive, sort=name",
            "&owner=bench-user-007&status=inactive&sort=name&order=asc",
        ),
        list(
            "a page in the middle (cursor)",
            &format!("&cursor={mid_cursor}"),
        ),
        variant(
            "reader: own tokens",
            "/api/v1/tokens?limit=100",
            Who::Reader,
            ONE,
        ),
        variant("`/healthz`", "/healthz", Who::Nobody, SOME),
        variant("first page", "/api/v1/tokens?limit=100", Who::Admin, SOME),
        variant(
            "`GET /api/v1/alerts/` (Token)",
            "/api/v1/alerts/",
            Who::ApiToken,
            SOME,
        ),
        variant("`/healthz`", "/healthz", Who::Nobody, CROWD),
        variant("first page", "/api/v1/tokens?limit=100", Who::Admin, CROWD),
        variant(
            "status=inactive, sort=name",
            "/api/v1/tokens?limit=100&status=inactive&sort=name&order=asc",
            Who::Admin,
            CROWD,
        ),
        variant(
            "q=0999",
            "/api/v1/tokens?limit=100&q=0999",
            Who::Admin,
            CROWD,
        ),
    ]
}

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

/// Runs the fixture with `args` and returns its trimmed stdout.
fn fixture_output(fixture: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(fixture)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", fixture.display()))?;
    if !out.status.success() {
        return Err(format!("bench_fixture {args:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The fixture's loopback OpenID provider; stops when dropped (its stdin closes).
struct Issuer {
    url: String,
    admin: String,
    reader: String,
    _stdin: ChildStdin,
    child: Child,
}

impl Issuer {
    fn start(fixture: &Path) -> Result<Issuer> {
        let mut child = Command::new(fixture)
            .arg("issuer")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", fixture.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let mut next = |key: &str| -> Result<String> {
            let line = lines
                .next()
                .and_then(|l| l.ok())
                .ok_or("the bench issuer stopped early")?;
            line.strip_prefix(key)
                .map(|v| v.trim().to_string())
                .ok_or_else(|| format!("the bench issuer said {line:?}, expected {key}…"))
        };
        Ok(Issuer {
            url: next("issuer ")?,
            admin: next("admin ")?,
            reader: next("reader ")?,
            _stdin: stdin,
            child,
        })
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `base` (`http://host:port`) over HTTP/1.1; the status and the JSON body
/// (`Null` when it is not JSON).
fn get(base: &str, path: &str, authorization: Option<&str>) -> Result<(u16, Value)> {
    let addr = base.strip_prefix("http://").unwrap_or(base);
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no HTTP status in {head:?}"))?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
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
