//! Debian's `wrk` as the load generator of `cargo xtask bench server`: one bounded run per
//! measurement, read back from its `--latency` report.

use std::process::Command;
use std::time::Duration;

use crate::Result;
use crate::cmd::describe;

/// One load run: `connections` keep-alive connections on `url` for `duration`.
pub struct Load<'a> {
    pub url: &'a str,
    /// `Authorization` header value, if any.
    pub authorization: Option<&'a str>,
    pub connections: u32,
    pub duration: Duration,
}

/// What one run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measure {
    pub requests: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers other than 2xx/3xx, plus connect, read, write errors and timeouts.
    pub errors: u64,
}

/// Any answer slower than this counts as a timeout (an error), not as a latency.
const TIMEOUT: &str = "30s";

/// Runs `load` and reads its report.
pub fn run(load: &Load) -> Result<Measure> {
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{}", load.connections.clamp(1, 2)))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.duration.as_secs().max(1)))
        .args(["--timeout", TIMEOUT, "--latency"]);
    if let Some(auth) = load.authorization {
        cmd.arg("-H").arg(format!("Authorization: {auth}"));
    }
    cmd.arg(load.url);
    let out = cmd.output().map_err(|e| format!("cannot start wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {text}{}",
            describe(&cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}"))
}

/// Reads a `wrk --latency` report.
pub fn parse(report: &str) -> Option<Measure> {
    let mut m = Measure::default();
    let mut seen_total = false;
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", d] => m.p50 = duration(d)?,
            ["99%", d] => m.p99 = duration(d)?,
            [n, "requests", "in", ..] => {
                m.requests = n.parse().ok()?;
                seen_total = true;
            }
            ["Requests/sec:", n] => m.per_second = n.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => m.errors += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                m.errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    seen_total.then_some(m)
}

/// `826.00us`, `3.03ms`, `1.20s`, `2.00m`.
fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().ok()?;
    let seconds = match unit {
        "us" => n / 1e6,
        "ms" => n / 1e3,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 5s test @ http://127.0.0.1:8080/healthz
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.02ms    1.10ms  31.00ms   80.00%
    Req/Sec     7.89k   500.00     8.50k    70.00%
  Latency Distribution
     50%  826.00us
     75%    1.10ms
     90%    1.30ms
     99%    3.03ms
  78900 requests in 5.00s, 10.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 12
Requests/sec:  15780.25
Transfer/sec:      2.00MB
";

    #[test]
    fn reads_the_latency_report() {
        let m = parse(REPORT).unwrap();
        assert_eq!(m.requests, 78_900);
        assert_eq!(m.per_second, 15_780.25);
        assert_eq!(m.p50, Duration::from_micros(826));
        assert_eq!(m.p99, Duration::from_micros(3_030));
        assert_eq!(m.errors, 19);
    }

    #[test]
    fn a_report_without_totals_is_refused() {
        assert_eq!(parse("wrk: connection refused"), None);
        assert_eq!(duration("1.50s"), Some(Duration::from_millis(1500)));
        assert_eq!(duration("2.00m"), Some(Duration::from_secs(120)));
        assert_eq!(duration("5parsecs"), None);
    }
}
