//! Several instances on one PostgreSQL, as two real `token-api` processes: a revoke,
//! deprovisioning or role change on one is refused on the other within 1 s (`LISTEN/NOTIFY`;
//! the change-log poll is set to 30 s so that it cannot be what did it), a lost listening
//! connection falls back to the change log at once, and the per-tenant rate limit is shared.
//! Runs when `TOKEN_API_TEST_POSTGRES_URL` is set (as `cargo xtask test` does).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Db, ServerProcess, TA, TestDb, TestIdp, postgres_url};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use token_api::store::LISTENER_APPLICATION;
use token_wire::Role::*;

/// How soon a change made on one instance must be refused on the other.
const BOUND: Duration = Duration::from_secs(1);
/// The change-log poll, far longer than [`BOUND`].
const SLOW_POLL: (&str, &str) = ("CHANGE_POLL_INTERVAL_MS", "30000");

/// The PostgreSQL test server, or `None` (with a note) outside CI when there is none.
fn postgres() -> Option<String> {
    let url = postgres_url();
    if url.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL suite: set TOKEN_API_TEST_POSTGRES_URL (cargo xtask test does)"
        );
        eprintln!("TOKEN_API_TEST_POSTGRES_URL is unset; skipping the multi-instance tests");
    }
    url
}

/// An identity provider, a fresh PostgreSQL database and two instances A and B on it.
struct Pair {
    idp: TestIdp,
    db: TestDb,
    a: ServerProcess,
    b: ServerProcess,
}

impl Pair {
    async fn start(env: &[(&str, &str)]) -> Pair {
        let idp = TestIdp::start().await;
        let db = TestDb::new(Db::Postgres).await;
        let a = ServerProcess::spawn(&db.url, &idp, env).await;
        let b = ServerProcess::spawn(&db.url, &idp, env).await;
        Pair { idp, db, a, b }
    }

    /// A pair polling the change log every 30 s, once both listen; `None` without PostgreSQL.
    async fn listening() -> Option<Pair> {
        postgres()?;
        let p = Pair::start(&[SLOW_POLL]).await;
        p.both_listening().await;
        Some(p)
    }

    /// Generates an API token named `name` on A as `bearer`; returns (id, value).
    async fn create(&self, bearer: &str, name: &str) -> (String, String) {
        let r = self
            .a
            .http
            .post(self.a.url("/api/v1/tokens"))
            .bearer_auth(bearer);
        let v: serde_json::Value = r
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = v["token"]["id"].as_str().unwrap_or_else(|| panic!("{v}"));
        (id.into(), v["value"].as_str().unwrap().into())
    }

    /// Waits until both instances listen for changes (their listening connections show).
    async fn both_listening(&self) {
        let mut conn = PgConnection::connect(&self.db.url).await.unwrap();
        let started = Instant::now();
        loop {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
            )
            .bind(LISTENER_APPLICATION)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            if n == 2 {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{n} listeners");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long until `server` answers `value` with `status` (polled every 10 ms); fails past 5 s.
async fn until_status(server: &ServerProcess, value: &str, status: u16) -> Duration {
    let since = Instant::now();
    loop {
        let (got, _) = server.read_alerts(value).await;
        if got == status {
            return since.elapsed();
        }
        assert_eq!(got, 200, "neither 200 nor {status}");
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "still {got} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_deprovision_and_role_change_reach_the_other_instance_within_a_second() {
    let Some(p) = Pair::listening().await else {
        return;
    };
    let admin = p.idp.access_token(TA, "admin", &[GlobalAdministrator]);
    let op = p.idp.access_token(TA, "op", &[SecurityOperator]);
    let mut latencies = Vec::new();
    for n in 0..5 {
        let (id, value) = p.create(&op, &format!("t{n}")).await;
        assert_eq!(p.b.read_alerts(&value).await.0, 200, "B caches the token");
        let r = p.a.http.delete(p.a.url(&format!("/api/v1/tokens/{id}")));
        assert_eq!(r.bearer_auth(&admin).send().await.unwrap().status(), 204);
        latencies.push(until_status(&p.b, &value, 401).await);
    }
    eprintln!("revocation seen on the other instance after {latencies:?}");
    assert!(latencies.iter().all(|l| *l < BOUND), "{latencies:?}");

    // Deprovisioning from the command line (a third process) reaches both instances.
    let (_, kept) = p.create(&op, "kept").await;
    assert_eq!(p.b.read_alerts(&kept).await.0, 200);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args(["users", "deprovision", "--tenant", TA, "--user", "op"])
        .args(["--database-url", &p.db.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let latency = until_status(&p.b, &kept, 403).await;
    eprintln!("deprovisioning seen on B after {latency:?}");
    assert!(latency < BOUND);

    // A role change seen by A (at sign-in) reaches B: a reader's token may no longer write.
    let writer = p.idp.access_token(TA, "w", &[SecurityOperator]);
    let (_, value) = p.create(&writer, "w").await;
    let close = |s: &ServerProcess| {
        s.http
            .post(s.url("/api/v1/alerts/alert-1/close"))
            .header("authorization", format!("Token {value}"))
            .send()
    };
    assert_eq!(close(&p.b).await.unwrap().status(), 200);
    let demoted = p.idp.access_token(TA, "w", &[GlobalReader]);
    let me = p.a.http.get(p.a.url("/api/v1/me")).bearer_auth(&demoted);
    assert_eq!(me.send().await.unwrap().status(), 200);
    let since = Instant::now();
    while close(&p.b).await.unwrap().status() != 403 {
        assert!(
            since.elapsed() < BOUND,
            "role change not seen on B after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("role change seen on B after {:?}", since.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_reads_the_change_log_at_once() {
    let Some(p) = Pair::listening().await else {
        return;
    };
    let op = p.idp.access_token(TA, "op", &[SecurityOperator]);
    let (id, value) = p.create(&op, "t").await;
    assert_eq!(p.b.read_alerts(&value).await.0, 200);
    // A revocation whose announcement is lost: written to the store without NOTIFY.
    let mut conn = PgConnection::connect(&p.db.url).await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&id)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO changes (tenant_id, token_id, at) VALUES ($1, $2, $3)")
        .bind(TA)
        .bind(&id)
        .bind(now)
        .execute(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        p.b.read_alerts(&value).await.0,
        200,
        "B has not seen it yet"
    );
    // The listening connections are cut; each instance reads the change log on reconnecting.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()")
        .bind(LISTENER_APPLICATION)
        .execute(&mut conn)
        .await
        .unwrap();
    let latency = until_status(&p.b, &value, 401).await;
    eprintln!("the missed revocation was read after {latency:?}");
    assert!(latency < Duration::from_secs(3), "{latency:?}");
    // And listening goes on.
    p.both_listening().await;
    let (id, value) = p.create(&op, "u").await;
    assert_eq!(p.b.read_alerts(&value).await.0, 200);
    let admin = p.idp.access_token(TA, "admin", &[GlobalAdministrator]);
    let r = p.a.http.delete(p.a.url(&format!("/api/v1/tokens/{id}")));
    assert_eq!(r.bearer_auth(&admin).send().await.unwrap().status(), 204);
    assert!(until_status(&p.b, &value, 401).await < BOUND);
}

/// Calls each instance makes at most while hammering: bounded, whatever the machine.
const CALLS_PER_TASK: u64 = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_shared_by_the_instances() {
    if postgres().is_none() {
        return;
    }
    const LIMIT: u64 = 600;
    let limit = LIMIT.to_string();
    let p = Arc::new(Pair::start(&[("RATE_LIMIT_PER_MINUTE", &limit), SLOW_POLL]).await);
    let op = p.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, v1) = p.create(&op, "one").await;
    let (_, v2) = p.create(&op, "two").await;
    // Start early in a one-minute window, so that the whole run falls in it.
    let window_of = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60
    };
    let into = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 60_000;
    if into > 30_000 {
        tokio::time::sleep(Duration::from_millis((60_500 - into) as u64)).await;
    }
    let window = window_of();
    let (ok, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let per_instance = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let bad_retry = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for task in 0..8usize {
        let (p, ok, refused, bad_retry) =
            (p.clone(), ok.clone(), refused.clone(), bad_retry.clone());
        let mine = per_instance[task % 2].clone();
        let value = if task % 4 < 2 { v1.clone() } else { v2.clone() };
        tasks.push(tokio::spawn(async move {
            let server = if task % 2 == 0 { &p.a } else { &p.b };
            let mut refused_in_a_row = 0;
            for _ in 0..CALLS_PER_TASK {
                match server.read_alerts(&value).await {
                    (200, _) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                        mine.fetch_add(1, Ordering::Relaxed);
                        refused_in_a_row = 0;
                    }
                    (429, retry) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        if !retry.is_some_and(|s| (1..=60).contains(&s)) {
                            bad_retry.store(true, Ordering::Relaxed);
                        }
                        refused_in_a_row += 1;
                        if refused_in_a_row == 20 {
                            break;
                        }
                    }
                    (status, _) => panic!("unexpected {status}"),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(window_of(), window, "the run outlasted its window");
    let (ok, refused) = (ok.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    let split = per_instance.each_ref().map(|n| n.load(Ordering::Relaxed));
    eprintln!("limit {LIMIT}/min over two instances: {ok} admitted {split:?}, {refused} refused");
    assert!(
        (LIMIT * 9 / 10..=LIMIT).contains(&ok),
        "{ok} admitted for a limit of {LIMIT}"
    );
    assert!(
        split.iter().all(|n| *n > 0),
        "both instances admit calls: {split:?}"
    );
    assert!(refused > 0);
    assert!(
        !bad_retry.load(Ordering::Relaxed),
        "every 429 tells when to retry"
    );
}
