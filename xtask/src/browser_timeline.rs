//! Where a first visit's time goes: milestones read from the page's own Resource Timing
//! entries after each measured run of the browser benchmark, so a slow figure points at its
//! phase (script, wasm, configuration, the list request, the paint).

use std::fmt::Write;

use crate::Result;
use crate::webdriver::Session;

/// Milestones, in ms since navigation start: the last script or wasm byte, `/me` and the
/// list request asked and answered, the first and the 50th row in the DOM, and the paint
/// after it. `None` when the page had no such
/// resource (the hand-written page loads no wasm).
const MILESTONES: &str = r#"
const entries = performance.getEntriesByType("resource");
const end = (test) => {
  const e = entries.find((e) => test(new URL(e.name)));
  return e ? [e.startTime, e.responseEnd] : [null, null];
};
const [, script] = end((u) => u.pathname.endsWith(".js"));
const [, wasm] = end((u) => u.pathname.endsWith(".wasm"));
const [, config] = end((u) => u.pathname === "/config.json");
const [listAsked, listAnswered] = end((u) => u.pathname === "/api/v1/tokens");
const [meAsked, meAnswered] = end((u) => u.pathname === "/api/v1/me");
return [script, wasm, config, meAsked, meAnswered, listAsked, listAnswered,
  window.__benchFirstRow ?? null, window.__benchRows ?? null, window.__benchPainted ?? null];
"#;

const NAMES: [&str; 10] = [
    "script loaded",
    "wasm loaded",
    "config.json loaded",
    "`/me` asked",
    "`/me` answered",
    "list asked",
    "list answered",
    "first row in the DOM",
    "50th row in the DOM",
    "rows painted",
];

/// The milestones of the page just measured.
pub fn milestones(browser: &Session) -> Result<Vec<Option<f64>>> {
    let values = browser.execute(MILESTONES, vec![])?;
    let values = values.as_array().ok_or("no milestones")?;
    Ok(values.iter().map(|v| v.as_f64()).collect())
}

/// A Markdown table of the medians of each milestone, the SPA's next to the hand-written
/// page's.
pub fn report(spa: &[Vec<Option<f64>>], baseline: &[Vec<Option<f64>>]) -> String {
    let mut out = String::from(
        "\nWhere the warm visit's time goes (medians, ms since navigation start, from Resource \
         Timing):\n\n| milestone | SPA | hand-written page |\n|---|---:|---:|\n",
    );
    for (i, name) in NAMES.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            median_of(spa, i),
            median_of(baseline, i)
        );
    }
    out
}

fn median_of(runs: &[Vec<Option<f64>>], i: usize) -> String {
    let mut v: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.get(i).copied().flatten())
        .collect();
    if v.is_empty() {
        return "—".into();
    }
    v.sort_by(f64::total_cmp);
    format!("{:.0}", v[v.len() / 2])
}
