//! Faults survived, against real processes: PostgreSQL stopped in the middle of a run (503
//! with `Retry-After`, then recovery without a restart and nothing acknowledged lost), the
//! provider's JWKS unreachable (known keys keep working) and the provider rotating its key
//! (the new `kid` is accepted).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Db, Env, TA, TestIdp, TestServer, config, eventually};
use token_wire::Role;

/// A full admin's access token, new for each call (so no verified token is reused).
fn admin(idp: &TestIdp, n: u32) -> String {
    let mut claims = idp.claims(TA, "admin", &[Role::GlobalAdministrator]);
    claims["jti"] = format!("fault-{n}").into();
    idp.sign(&claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_run_answers_503_and_recovers_without_a_restart() {
    let Some(bin) = std::env::var_os("TOKEN_API_TEST_POSTGRES_BIN") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL faults: set TOKEN_API_TEST_POSTGRES_BIN (cargo xtask test does)"
        );
        eprintln!("TOKEN_API_TEST_POSTGRES_BIN is unset; skipping");
        return;
    };
    let pg = stack::Postgres::start(Path::new(&bin)).expect("a throw-away cluster");
    let idp = TestIdp::start().await;
    let server = TestServer::start(pg.url(), config(&idp)).await;
    let bearer = admin(&idp, 1);
    let (id, value) = server.create(&bearer, "before the outage").await;

    pg.stop().unwrap();
    for (what, request) in [
        ("list", server.http.get(server.url("/api/v1/tokens"))),
        (
            "generate",
            server
                .http
                .post(server.url("/api/v1/tokens"))
                .json(&serde_json::json!({"name": "during the outage"})),
        ),
    ] {
        let answer = request.bearer_auth(&bearer).send().await.unwrap();
        assert_eq!(answer.status(), 503, "{what} while the store is down");
        let retry_after = answer
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap());
        assert!(
            retry_after.is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n >= 1)),
            "{what}: Retry-After {retry_after:?}"
        );
        let problem: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(problem["status"], 503);
    }

    pg.start_again().unwrap();
    eventually(
        Instant::now(),
        Duration::from_secs(20),
        "the store is back",
        || async { server.get(&bearer, "/api/v1/me").await.0 == 200 },
    )
    .await;
    let names = server.names(&bearer, "").await;
    assert_eq!(
        names,
        vec!["before the outage"],
        "nothing acknowledged is lost"
    );
    assert_eq!(server.use_api_token(&value, false).await.0, 200);
    assert_eq!(
        server
            .delete(&bearer, &format!("/api/v1/tokens/{id}"))
            .await
            .0,
        204
    );
    assert_eq!(server.use_api_token(&value, false).await.0, 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_keys_keep_working_while_the_jwks_is_unreachable() {
    let Env {
        idp,
        server,
        db: _db,
    } = Env::new(Db::Sqlite).await;
    assert_eq!(server.get(&admin(&idp, 1), "/api/v1/me").await.0, 200);
    let fetches = idp.jwks_fetches.load(std::sync::atomic::Ordering::SeqCst);

    idp.set_reachable(false);
    for n in 2..5 {
        assert_eq!(server.get(&admin(&idp, n), "/api/v1/me").await.0, 200);
    }
    assert_eq!(
        idp.jwks_fetches.load(std::sync::atomic::Ordering::SeqCst),
        fetches,
        "known keys need no fetch"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_accepted_once_the_refresh_interval_has_passed() {
    let Env {
        idp,
        server,
        db: _db,
    } = Env::with(Db::Sqlite, |c| c.jwks_min_refresh = Duration::from_secs(1)).await;
    assert_eq!(server.get(&admin(&idp, 1), "/api/v1/me").await.0, 200);

    idp.rotate_key("rotated-key");
    let rotated = Instant::now();
    eventually(
        rotated,
        Duration::from_secs(5),
        "the new kid is accepted",
        || async { server.get(&admin(&idp, 2), "/api/v1/me").await.0 == 200 },
    )
    .await;
    assert!(
        server.get(&admin(&idp, 3), "/api/v1/me").await.0 == 200,
        "and keeps being accepted"
    );
    server.stop().await;
}
