//! The alerts endpoints, called with an API token (`Authorization: Token <value>`): which
//! values open them, privileges, connector tokens, audit of denied uses, the per-tenant rate
//! limit and the recording of uses. Runs on SQLite and, when configured, PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{Env, TA, TestServer, call, eventually, stored_token};
use reqwest::Method;
use token_api::store::TokenKind;
use token_wire::Role::*;

async fn invalid_api_token_values_are_401(env: Env) {
    let s = &env.server;
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    let (_, value) = s.create(&reader, "r").await;
    let unknown = token_api::values::generate();
    let mut typo = value.clone().into_bytes();
    typo[10] = if typo[10] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    for header in [
        None,
        Some("Token".to_string()),
        Some("Token ".to_string()),
        Some("Token garbage".to_string()),
        Some(format!("Token {}", &value[..value.len() - 3])),
        Some(format!("Token {typo}")),
        Some(format!("Token {unknown}")),
        Some(format!("Bearer {value}")),
        Some(format!("Token {value}x")),
        Some(format!("Token {}", "a".repeat(5000))),
    ] {
        for write in [false, true] {
            let req = if write {
                s.http.post(s.url("/api/v1/alerts/alert-1/close"))
            } else {
                s.http.get(s.url("/api/v1/alerts/"))
            };
            let req = match &header {
                Some(h) => req.header("authorization", h),
                None => req,
            };
            let (status, p) = call(req).await;
            assert_eq!(
                (status, p["title"].as_str()),
                (401, Some("Invalid token")),
                "{header:?}"
            );
        }
    }
}
both_backends!(invalid_api_token_values_are_401);

async fn a_read_only_api_token_reads_but_cannot_close(env: Env) {
    let s = &env.server;
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    let (_, value) = s.create(&reader, "r").await;
    let r = s
        .send_with_api_token(Method::GET, "/api/v1/alerts", &value)
        .await;
    assert_eq!(r.status(), 200, "without the trailing slash too");
    let (status, alerts) = s.use_api_token(&value, false).await;
    assert_eq!(status, 200);
    assert_eq!(alerts["items"].as_array().unwrap().len(), 5);
    let (status, p) = s.use_api_token(&value, true).await;
    assert_eq!(
        (status, p["title"].as_str()),
        (403, Some("Permission denied")),
        "read-only token on a write"
    );
    let r = s
        .send_with_api_token(Method::POST, "/api/v1/alerts/no-such-alert/close", &value)
        .await;
    assert_eq!(
        r.status(),
        403,
        "privilege is checked before the alert is looked up"
    );
}
both_backends!(a_read_only_api_token_reads_but_cannot_close);

async fn denied_uses_are_audited(env: Env) {
    let s = &env.server;
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    let admin = env.admin();
    let (_, value) = s.create(&reader, "r").await;
    assert_eq!(s.use_api_token(&value, true).await.0, 403);
    let (_, audit) = s.get(&admin, "/api/v1/audit").await;
    let mut denied = false;
    for _ in 0..20 {
        denied = s.get(&admin, "/api/v1/audit").await.1["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "denied");
        if denied {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(denied, "{audit}");
}
both_backends!(denied_uses_are_audited);

/// SIEM and log-collector tokens never list and never open these endpoints.
async fn connector_tokens_are_not_api_tokens(env: Env) {
    let s = &env.server;
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    s.create(&reader, "r").await;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    assert_eq!(s.get(&op, "/api/v1/me").await.0, 200);
    for kind in [TokenKind::Siem, TokenKind::LogCollector] {
        let (id, v) = s.insert_token(TA, "op", kind).await;
        assert_eq!(s.use_api_token(&v, false).await.0, 401, "{kind:?}");
        assert_eq!(s.use_api_token(&v, true).await.0, 401, "{kind:?}");
        assert_eq!(s.delete(&op, &format!("/api/v1/tokens/{id}")).await.0, 404);
    }
    assert!(s.names(&op, "").await.is_empty());
    let admin = env.admin();
    assert_eq!(s.names(&admin, "").await, ["r"]);
}
both_backends!(connector_tokens_are_not_api_tokens);

async fn rate_limit_is_per_tenant(env: Env) {
    let s = &env.server;
    into_a_new_window(s);
    let a = env.idp.access_token(TA, "a", &[SecurityReader]);
    let b = env.idp.access_token("tenant-b", "b", &[SecurityReader]);
    let (_, va) = s.create(&a, "a").await;
    let (_, va2) = s.create(&a, "a2").await;
    let (_, vb) = s.create(&b, "b").await;
    for i in 0..5 {
        let v = if i % 2 == 0 { &va } else { &va2 };
        assert_eq!(s.use_api_token(v, false).await.0, 200, "call {i}");
    }
    let r = s
        .send_with_api_token(Method::GET, "/api/v1/alerts/", &va2)
        .await;
    common::rate_limited(r).await;
    assert_eq!(
        s.use_api_token(&vb, false).await.0,
        200,
        "another tenant is not limited"
    );
}
both_backends!(rate_limit_is_per_tenant, |c| c.rate_limit_per_minute = 5);

/// Moves the server's clock one second into a new one-minute rate window, so that the calls
/// that follow all fall in it.
fn into_a_new_window(s: &TestServer) {
    let into = s.state.now_ms().rem_euclid(token_api::limiter::WINDOW_MS) as u64;
    s.clock.advance(Duration::from_millis(61_000 - into));
}

async fn refused_values_do_not_spend_the_rate_limit(env: Env) {
    let s = &env.server;
    into_a_new_window(s);
    let op = env.idp.access_token(TA, "op", &[SecurityReader]);
    let gone = env.idp.access_token(TA, "gone", &[SecurityReader]);
    let (revoked_id, revoked) = s.create(&op, "revoked").await;
    let (_, deprovisioned) = s.create(&gone, "deprovisioned").await;
    let (_, live) = s.create(&op, "live").await;
    let path = format!("/api/v1/tokens/{revoked_id}");
    assert_eq!(s.delete(&env.admin(), &path).await.0, 204);
    let now = s.state.now_ms();
    assert!(
        s.state
            .store()
            .set_deprovisioned(TA, "gone", true, now)
            .await
            .unwrap()
    );
    for _ in 0..6 {
        assert_eq!(s.use_api_token(&revoked, false).await.0, 401);
        assert_eq!(s.use_api_token(&deprovisioned, false).await.0, 403);
    }
    for i in 0..5 {
        assert_eq!(s.use_api_token(&live, false).await.0, 200, "call {i}");
    }
    assert_eq!(s.use_api_token(&live, false).await.0, 429);
}
both_backends!(refused_values_do_not_spend_the_rate_limit, |c| c
    .rate_limit_per_minute =
    5);

async fn last_used_writes_are_coalesced_and_flushed_on_shutdown(env: Env) {
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    s.first_use(&value).await;
    let store = s.state.store().clone();
    let first = stored_token(&store, &value)
        .await
        .unwrap()
        .unwrap()
        .last_used_at
        .unwrap();
    s.clock.advance(Duration::from_secs(30));
    assert_eq!(s.use_api_token(&value, false).await.0, 200);
    let row = stored_token(&store, &value).await.unwrap().unwrap();
    assert_eq!(
        row.last_used_at,
        Some(first),
        "the second use waits for the flush"
    );
    let Env {
        server,
        db: test_db,
        ..
    } = env;
    server.stop().await;
    let (store, value) = (&store, &value);
    eventually(
        Instant::now(),
        Duration::from_secs(5),
        "not flushed on shutdown",
        move || async move {
            stored_token(store, value)
                .await
                .is_ok_and(|row| row.is_some_and(|r| r.last_used_at.unwrap() >= first + 30_000))
        },
    )
    .await;
    drop(test_db);
}
both_backends!(last_used_writes_are_coalesced_and_flushed_on_shutdown);
