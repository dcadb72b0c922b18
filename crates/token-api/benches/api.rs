//! `cargo bench -p token-api`: latency and throughput of the real server on loopback — token
//! generation, the token-authenticated hot path (`GET /api/v1/alerts/`) and the portal list.
//!
//! Same set-up as the tests (`tests/common`): a loopback JWKS with the fixture key, a fresh
//! SQLite file in a temp dir, the server on `127.0.0.1:0`. Client and server share this
//! process and its cores, so the numbers are an end-to-end lower bound, not a capacity figure.

#[path = "../tests/common/mod.rs"]
mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Db, Env};
use serde_json::json;
use token_wire::Role;
use tokio::task::JoinSet;

/// Longest any one measurement may run; it stops early and reports what it did.
const TIME_CAP: Duration = Duration::from_secs(60);

#[tokio::main]
async fn main() {
    let env = Env::with(Db::Sqlite, |c| c.rate_limit_per_minute = 10_000_000).await;
    let server = &env.server;
    let http = server.http.clone();
    let jwt = env
        .idp
        .access_token("bench-tenant", "bench-admin", &[Role::GlobalAdministrator]);
    let (_, value) = server.create(&jwt, "bench-0").await;

    println!("token-api bench: {} cores, SQLite, loopback", cores());
    println!(
        "{:<54} {:>6} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "measurement", "n", "elapsed", "req/s", "p50", "p90", "p99", "max"
    );

    let (url, auth) = (server.url("/api/v1/tokens"), format!("Bearer {jwt}"));
    let (h, u, a) = (http.clone(), url.clone(), auth.clone());
    let generate = move |i| {
        let body = json!({ "name": format!("bench-{}", i + 1) });
        expect(h.post(&u).header("authorization", &a).json(&body), 201)
    };
    report(
        "POST /api/v1/tokens (generate)",
        measure(999, 1, generate).await,
    );

    let alerts = server.url("/api/v1/alerts/");
    let token = format!("Token {value}");
    for (label, n, clients) in [("", 5_000, 1), (" x32 clients", 20_000, 32)] {
        let (http, alerts, token) = (http.clone(), alerts.clone(), token.clone());
        let get = move |_| expect(http.get(&alerts).header("authorization", &token), 200);
        report(
            &format!("GET /api/v1/alerts/ (Token){label}"),
            measure(n, clients, get).await,
        );
    }

    for query in ["limit=50", "limit=50&q=bench-1&status=generated"] {
        let (http, url, auth) = (http.clone(), format!("{url}?{query}"), auth.clone());
        let get = move |_| expect(http.get(&url).header("authorization", &auth), 200);
        report(
            &format!("GET /api/v1/tokens?{query}"),
            measure(1_000, 1, get).await,
        );
    }

    env.server.stop().await;
}

/// Sends `req` and checks the status; the body is read in full (part of the measured time).
async fn expect(req: reqwest::RequestBuilder, status: u16) {
    let r = req.send().await.expect("request");
    assert_eq!(r.status().as_u16(), status, "unexpected status");
    r.bytes().await.expect("body");
}

/// What one measurement did.
struct Run {
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// Runs `call(i)` for i in `0..n` on `clients` concurrent tasks (stopping at [`TIME_CAP`]).
async fn measure<F, Fut>(n: usize, clients: usize, call: F) -> Run
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..clients {
        let (next, call) = (next.clone(), call.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || start.elapsed() > TIME_CAP {
                    return latencies;
                }
                let t = Instant::now();
                call(i).await;
                latencies.push(t.elapsed());
            }
        });
    }
    let mut latencies = Vec::with_capacity(n);
    while let Some(part) = tasks.join_next().await {
        latencies.extend(part.expect("client task"));
    }
    latencies.sort_unstable();
    Run {
        elapsed: start.elapsed(),
        latencies,
    }
}

/// Prints one table line: count, elapsed, throughput and latency percentiles.
fn report(name: &str, run: Run) {
    let l = &run.latencies;
    let pct = |p: f64| fmt(l[((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1]);
    println!(
        "{name:<54} {:>6} {:>8.2}s {:>10.0} {:>9} {:>9} {:>9} {:>9}",
        l.len(),
        run.elapsed.as_secs_f64(),
        l.len() as f64 / run.elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
    );
}

/// A latency in µs below 10 ms, else in ms.
fn fmt(d: Duration) -> String {
    match d.as_micros() {
        us if us < 10_000 => format!("{us}µs"),
        _ => format!("{:.1}ms", d.as_secs_f64() * 1e3),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
