//! The browser benchmark: the release SPA served by the (optimised) token API, signed in, in
//! headless Chromium, against a hand-written page (`bench/baseline/`) served from the same
//! origin that fetches the same JSON with the same bearer and builds its rows with DOM calls.
//!
//! Measured in the page itself: a script added to every new document (DevTools
//! `Page.addScriptToEvaluateOnNewDocument`) notes when 50 rows are in the DOM and takes the
//! time after the next paint (a `requestAnimationFrame`, then a message). Runs alternate
//! between the two pages after one warm-up of each; the report gives medians and ratios.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::bootstrap::Tools;
use crate::cmd::{run, step};
use crate::webdriver::Session;
use crate::{Result, browser_timeline, root};

/// Measured runs of each page (after one warm-up each).
const RUNS: usize = 9;
const API_TOKENS_PATH: &str = "/settings/security-extensions/api-tokens";
const BASELINE_PATH: &str = "/bench-baseline/";
/// API tokens of the tenant in the first scenario, and in the second.
const FEW: usize = 100;
const MANY: usize = 10_000;
/// API tokens used once (so "active"): the oldest ones.
const USED: usize = 60;
const ROWS: usize = 50;
const WAIT: Duration = Duration::from_secs(30);

/// Defines `window.__afterPaint()`, notes when the first and the 50th row are in the DOM
/// (`__benchFirstRow`, `__benchRows`) and sets `window.__benchPainted` (ms since navigation
/// start) after the paint that follows the 50th row.
const PROBE: &str = r#"
window.__afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve(performance.now());
  channel.port2.postMessage(null);
}));
const observer = new MutationObserver(() => {
  const rows = document.querySelectorAll("[data-testid=token-row]").length;
  if (rows > 0) window.__benchFirstRow ??= performance.now();
  if (rows < 50) return;
  window.__benchRows = performance.now();
  observer.disconnect();
  window.__afterPaint().then((t) => { window.__benchPainted = t; });
});
observer.observe(document, { childList: true, subtree: true });
"#;

/// Clicks the "Active" status filter; resolves to the ms until the table shows only active
/// API tokens, `arguments[0]` rows of them, painted.
const FILTER_CLICK: &str = r#"
const want = arguments[0];
return new Promise((resolve) => {
  let start;
  const observer = new MutationObserver(() => {
    const rows = [...document.querySelectorAll("[data-testid=token-row]")];
    const active = (r) => r.querySelector("[data-testid=token-status]")?.classList.contains("status-active");
    if (rows.length !== want || !rows.every(active)) return;
    observer.disconnect();
    window.__afterPaint().then((t) => resolve(t - start));
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
  start = performance.now();
  document.querySelector("[data-testid=status-filter-active]").click();
});
"#;

/// Creates `arguments[0]` API tokens (4 requests at a time) with the signed-in bearer, and
/// uses the first `arguments[1]` of them once; resolves to how many were created.
const SEED: &str = r#"
const [count, use, offset] = arguments;
const headers = { Authorization: `Bearer ${sessionStorage.getItem("bench.bearer")}`, "Content-Type": "application/json" };
let next = 0, created = 0;
async function worker() {
  while (next < count) {
    const i = next++;
    const name = `bench token ${String(offset + i).padStart(5, "0")}`;
    const r = await fetch("/api/v1/tokens", { method: "POST", headers, body: JSON.stringify({ name }) });
    if (r.status !== 201) throw new Error(`POST /api/v1/tokens answered ${r.status}`);
    const { value } = await r.json();
    if (offset + i < use) {
      const u = await fetch("/api/v1/alerts/", { headers: { Authorization: `Token ${value}` } });
      if (u.status !== 200) throw new Error(`GET /api/v1/alerts/ answered ${u.status}`);
    }
    created++;
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
return created;
"#;

/// Runs both scenarios against `dist` and returns the report section (Markdown).
pub fn run_bench(tools: &Tools, dist: &Path) -> Result<String> {
    let bin = build_server()?;
    let running = stack::Stack::new(bin)
        .spa_copy(dist)
        .rate_limit_per_minute(1_000_000)
        .max_tokens_per_user(1_000_000)
        .start()?;
    let served = running.spa_dir().ok_or("the stack serves no SPA")?;
    stack::copy_dir(
        &root().join("bench/baseline"),
        &served.join("bench-baseline"),
    )?;
    let spa = running.url(API_TOKENS_PATH);
    let baseline = running.url(BASELINE_PATH);

    step("browser bench: signing in, seeding the API tokens");
    let browser = Session::start(&tools.chromedriver)?;
    sign_in(&browser, &spa)?;
    seed(&browser, FEW, 0)?;
    browser.devtools(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": PROBE }),
    )?;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    step(format!(
        "browser bench: first {ROWS} rows, {FEW} API tokens, warm then cold cache"
    ));
    let warm = interleaved(&browser, &spa, &baseline, |url| {
        Ok((
            first_rows(&browser, url)?,
            browser_timeline::milestones(&browser)?,
        ))
    })?;
    let timeline = browser_timeline::report(&pick_second(&warm.0), &pick_second(&warm.1));
    let cold = interleaved(&browser, &spa, &baseline, |url| cold_visit(&browser, url))?;

    step(format!(
        "browser bench: seeding {MANY} API tokens, then the status filter"
    ));
    seed(&browser, MANY - FEW, FEW)?;
    wait_for_active(&browser)?;
    let filter = interleaved(&browser, &spa, &baseline, |url| filter_click(&browser, url))?;

    let measures = [
        Measure {
            label: format!("navigation → first {ROWS} rows painted, warm cache ({FEW} API tokens)"),
            unit: "ms",
            runs: (pick_first(&warm.0), pick_first(&warm.1)),
        },
        Measure {
            label: format!("navigation → first {ROWS} rows painted, cold cache"),
            unit: "ms",
            runs: (pick_first(&cold.0), pick_first(&cold.1)),
        },
        Measure {
            label: "bytes received for that cold visit (same-origin, headers included)".into(),
            unit: "B",
            runs: (pick_second(&cold.0), pick_second(&cold.1)),
        },
        Measure {
            label: format!("\"Active\" filter click → table repainted ({MANY} API tokens)"),
            unit: "ms",
            runs: filter,
        },
    ];
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    Ok(report(&measures, &load.join(" ")) + &timeline)
}

fn pick_first<A: Clone, B>(runs: &[(A, B)]) -> Vec<A> {
    runs.iter().map(|r| r.0.clone()).collect()
}

fn pick_second<A, B: Clone>(runs: &[(A, B)]) -> Vec<B> {
    runs.iter().map(|r| r.1.clone()).collect()
}

/// One figure: the SPA's runs and the hand-written page's.
struct Measure {
    label: String,
    unit: &'static str,
    runs: (Vec<f64>, Vec<f64>),
}

/// The Markdown section: one row per measure, medians and the ratio, then every run.
fn report(measures: &[Measure], load: &str) -> String {
    let mut out = String::from("## In the browser (headless Chromium, signed in)\n\n");
    let _ = writeln!(
        out,
        "Medians of {RUNS} interleaved runs after one warm-up each: the SPA, and the hand-written \
         page `bench/baseline/` served from the same origin with the same bearer. The optimised \
         token API (`--profile server`) on SQLite. Load average when it started: {load} (2 \
         shared cores: compare ratios, not times).\n"
    );
    out.push_str("| measure | SPA | hand-written page | ratio |\n|---|---:|---:|---:|\n");
    let mut every_run = String::from("\nEvery run, SPA / hand-written page:\n\n");
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| figure(*x, ""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for Measure {
        label,
        unit,
        runs: (a, b),
    } in measures
    {
        let (ma, mb) = (median(a), median(b));
        let (fa, fb) = (figure(ma, unit), figure(mb, unit));
        let _ = writeln!(out, "| {label} | {fa} | {fb} | {:.2}× |", ma / mb);
        let _ = writeln!(every_run, "- {label} ({unit}): {} / {}", list(a), list(b));
    }
    out.push_str(&every_run);
    out
}

/// `x` rounded, digits grouped, with its unit.
fn figure(x: f64, unit: &str) -> String {
    let n = crate::size::group(x.round().max(0.0) as usize);
    if unit.is_empty() {
        n
    } else {
        format!("{n} {unit}")
    }
}

/// The token API built with the server's speed-first profile.
fn build_server() -> Result<PathBuf> {
    step("cargo build -p token-api --profile server");
    run(Command::new("cargo")
        .args(["build", "-p", "token-api", "--profile", "server"])
        .current_dir(root()))?;
    Ok(crate::services::target_dir().join("server/token-api"))
}

/// Signs in at the local provider as its seeded admin and leaves the bearer where the
/// hand-written page reads it (sessionStorage, same origin: it never leaves the browser).
fn sign_in(browser: &Session, spa: &str) -> Result<()> {
    browser.goto(spa)?;
    browser.wait_for(
        "the login page",
        "return document.querySelector('#username') && true;",
        WAIT,
    )?;
    browser.execute(
        "document.querySelector('#username').value = arguments[0];
         document.querySelector('#password').value = arguments[1];
         document.querySelector('#sign-in').click();",
        vec![json!("admin@contoso.test"), json!(stack::PASSWORD)],
    )?;
    let script = r#"
        const active = sessionStorage.getItem("portal.auth.active");
        const entry = active && sessionStorage.getItem("portal.auth.tokens." + active);
        if (!entry || !document.querySelector(".top-bar")) return null;
        sessionStorage.setItem("bench.bearer", JSON.parse(entry).access_token);
        return true;
    "#;
    browser
        .wait_for("the signed-in SPA", script, WAIT)
        .map(|_| ())
}

fn seed(browser: &Session, count: usize, offset: usize) -> Result<()> {
    let created = browser.execute(SEED, vec![json!(count), json!(USED), json!(offset)])?;
    if created.as_u64() == Some(count as u64) {
        Ok(())
    } else {
        Err(format!("seeding created {created} API tokens, not {count}"))
    }
}

/// Waits until the server has written the uses down (it does every 15 s).
fn wait_for_active(browser: &Session) -> Result<()> {
    let script = r#"
        const headers = { Authorization: `Bearer ${sessionStorage.getItem("bench.bearer")}` };
        return fetch("/api/v1/tokens?status=active&limit=1", { headers })
            .then((r) => r.json()).then((l) => l.total >= arguments[0] ? true : null);
    "#;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while browser.execute(script, vec![json!(USED)])?.is_null() {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "{USED} API tokens were not listed as active within 60 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}

/// Navigation → the 50th row painted, in ms.
fn first_rows(browser: &Session, url: &str) -> Result<f64> {
    browser.goto(url)?;
    let t = browser.wait_for(url, "return window.__benchPainted ?? null;", WAIT)?;
    t.as_f64().ok_or_else(|| format!("{url}: no time"))
}

/// [`first_rows`] with an empty HTTP cache, and the bytes of every same-origin answer the
/// visit received (`transferSize`: encoded bodies and headers).
fn cold_visit(browser: &Session, url: &str) -> Result<(f64, f64)> {
    browser.devtools("Network.clearBrowserCache", json!({}))?;
    let t = first_rows(browser, url)?;
    let script = r#"
        return [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
            .filter((e) => e.name.startsWith(location.origin))
            .reduce((sum, e) => sum + e.transferSize, 0);
    "#;
    let bytes = browser.execute(script, vec![])?;
    Ok((t, bytes.as_f64().ok_or("no transfer size")?))
}

/// The "Active" filter click → the table repainted, in ms.
fn filter_click(browser: &Session, url: &str) -> Result<f64> {
    first_rows(browser, url)?;
    let t = browser.execute(FILTER_CLICK, vec![json!(ROWS.min(USED))])?;
    t.as_f64().ok_or_else(|| format!("{url}: no time"))
}

/// One warm-up of each page, then `RUNS` of each, alternating which goes first; every run
/// starts from a blank page. The SPA's times, then the hand-written page's.
fn interleaved<T>(
    browser: &Session,
    spa: &str,
    baseline: &str,
    measure: impl Fn(&str) -> Result<T>,
) -> Result<(Vec<T>, Vec<T>)> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..=RUNS {
        let order = if round % 2 == 0 {
            [spa, baseline]
        } else {
            [baseline, spa]
        };
        for url in order {
            browser.goto("about:blank")?;
            let t = measure(url)?;
            if round > 0 {
                if url == spa { a.push(t) } else { b.push(t) }
            }
        }
    }
    Ok((a, b))
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn medians() {
        assert_eq!(super::median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(super::median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
