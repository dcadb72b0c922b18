//! Token-authenticated endpoints: outcomes, rate limit, cache invalidation across instances,
//! deprovisioning from the command line, and concurrency.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Db, Env, TestServer};
use serde_json::json;
use token_api::store::{NewToken, TokenKind};
use token_wire::Role::*;

const TA: &str = "tenant-a";

async fn token_outcomes(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let reader = env.idp.token(TA, "reader", &[SecurityReader]);
    let (_, value) = s.create(&reader, "r").await;

    // Missing, malformed and unknown values.
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
            let (status, p) = common::status_json(req.send().await.unwrap()).await;
            assert_eq!(
                (status, p["title"].as_str()),
                (401, Some("Invalid token")),
                "{header:?}"
            );
        }
    }
    let r = s
        .http
        .get(s.url("/api/v1/alerts"))
        .header("authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "without the trailing slash too");
    let (status, alerts) = s.use_token(&value, false).await;
    assert_eq!(status, 200);
    assert_eq!(alerts["items"].as_array().unwrap().len(), 5);
    let (status, p) = s.use_token(&value, true).await;
    assert_eq!(
        (status, p["title"].as_str()),
        (403, Some("Permission denied")),
        "read-only token on a write"
    );
    let r = s
        .http
        .post(s.url("/api/v1/alerts/no-such-alert/close"))
        .header("authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "privilege is checked before the alert is looked up"
    );

    // SIEM and log-collector tokens never list and never open these endpoints.
    let op = env.idp.token(TA, "op", &[SecurityOperator]);
    assert_eq!(s.get(&op, "/api/v1/me").await.0, 200);
    for kind in [TokenKind::Siem, TokenKind::LogCollector] {
        let v = token_api::values::generate();
        let id = token_api::values::new_id();
        s.state
            .store()
            .insert_token(&NewToken {
                id: &id,
                tenant_id: TA,
                owner_id: "op",
                kind,
                name: "connector",
                value_hash: &token_api::values::hash(&v),
                created_at: s.state.now_ms(),
            })
            .await
            .unwrap();
        assert_eq!(s.use_token(&v, false).await.0, 401, "{kind:?}");
        assert_eq!(s.use_token(&v, true).await.0, 401, "{kind:?}");
        assert_eq!(s.delete(&op, &format!("/api/v1/tokens/{id}")).await.0, 404);
    }
    assert!(s.names(&op, "").await.is_empty());
    let admin = env.idp.token(TA, "admin", &[GlobalAdministrator]);
    assert_eq!(s.names(&admin, "").await, ["r"]);

    // The denied write is in the audit trail.
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
both_backends!(token_outcomes);

async fn rate_limit_is_per_tenant(db: Db) {
    let env = Env::with(db, |c| c.rate_limit_per_minute = 5).await;
    let s = &env.server;
    let a = env.idp.token(TA, "a", &[SecurityReader]);
    let b = env.idp.token("tenant-b", "b", &[SecurityReader]);
    let (_, va) = s.create(&a, "a").await;
    let (_, va2) = s.create(&a, "a2").await;
    let (_, vb) = s.create(&b, "b").await;
    for i in 0..5 {
        let v = if i % 2 == 0 { &va } else { &va2 };
        assert_eq!(s.use_token(v, false).await.0, 200, "call {i}");
    }
    let r = s
        .http
        .get(s.url("/api/v1/alerts/"))
        .header("authorization", format!("Token {va2}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    let (_, p) = common::status_json(r).await;
    assert_eq!(p["status"], 429);
    assert_eq!(
        s.use_token(&vb, false).await.0,
        200,
        "another tenant is not limited"
    );
}
both_backends!(rate_limit_is_per_tenant);

/// A revocation on one instance reaches another instance sharing the database within the
/// change-poll interval (2 s) plus one query: the stated bound is 3 s.
async fn revocation_reaches_other_instances_within_the_bound(db: Db) {
    let env = Env::new(db).await;
    let a = &env.server;
    let b = TestServer::start(&env.db.url, common::config(&env.idp)).await;
    let user = env.idp.token(TA, "op", &[SecurityOperator]);
    let admin = env.idp.token(TA, "admin", &[GlobalAdministrator]);
    let (id, value) = a.create(&user, "shared").await;
    let (_, keep) = a.create(&user, "kept").await;
    assert_eq!(b.use_token(&value, false).await.0, 200);
    assert_eq!(b.use_token(&keep, false).await.0, 200);
    assert_eq!(
        b.state.cached_tokens(),
        2,
        "instance B now answers from its cache"
    );

    assert_eq!(
        a.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        204
    );
    let revoked_at = Instant::now();
    assert_eq!(
        a.use_token(&value, false).await.0,
        401,
        "refused at once on the revoking instance"
    );
    loop {
        let status = b.use_token(&value, false).await.0;
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked_at.elapsed() < Duration::from_secs(3),
            "instance B still accepts a revoked token after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        b.use_token(&keep, false).await.0,
        200,
        "other tokens stay valid"
    );

    // Deprovisioning from the command line reaches both instances within the same bound.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args([
            "users",
            "deprovision",
            "--tenant",
            TA,
            "--user",
            "op",
            "--database-url",
            &env.db.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    for server in [a, &b] {
        loop {
            let (status, p) = server.use_token(&keep, false).await;
            if status == 403 {
                assert_eq!(p["title"], "Permission denied");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "deprovisioning not seen after 3 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        a.names(&admin, "").await.contains(&"kept".to_string()),
        "a deprovisioned user's tokens stay listed"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args([
            "users",
            "restore",
            "--tenant",
            TA,
            "--user",
            "op",
            "--database-url",
            &env.db.url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let started = Instant::now();
    while b.use_token(&keep, false).await.0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "restore not seen after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args([
            "users",
            "deprovision",
            "--tenant",
            TA,
            "--user",
            "nobody",
            "--database-url",
            &env.db.url,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "an unknown user is an error");
    b.stop().await;
}
both_backends!(revocation_reaches_other_instances_within_the_bound);

async fn role_changes_apply_to_existing_tokens(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let op = env.idp.token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    assert_eq!(s.use_token(&value, true).await.0, 200);
    let demoted = env.idp.token(TA, "op", &[GlobalReader]);
    assert_eq!(s.get(&demoted, "/api/v1/me").await.1["privileges"], "read");
    assert_eq!(
        s.use_token(&value, true).await.0,
        403,
        "the token acts with the owner's current privileges"
    );
    assert_eq!(s.use_token(&value, false).await.0, 200);
}
both_backends!(role_changes_apply_to_existing_tokens);

async fn last_used_writes_are_coalesced_and_flushed_on_shutdown(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let op = env.idp.token(TA, "op", &[SecurityOperator]);
    let (id, value) = s.create(&op, "t").await;
    assert_eq!(s.use_token(&value, false).await.0, 200);
    let first = s
        .state
        .store()
        .live_api_token(TA, &id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at
        .unwrap();
    s.clock.advance(Duration::from_secs(30));
    assert_eq!(s.use_token(&value, false).await.0, 200);
    let row = s
        .state
        .store()
        .live_api_token(TA, &id)
        .await
        .unwrap()
        .unwrap();
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
    let store = server.state.store().clone();
    server.stop().await;
    let started = Instant::now();
    loop {
        let row = store.live_api_token(TA, &id).await;
        if let Ok(Some(row)) = row
            && row.last_used_at.unwrap() >= first + 30_000
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not flushed on shutdown"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(test_db);
}
both_backends!(last_used_writes_are_coalesced_and_flushed_on_shutdown);

/// 8 tasks generate and revoke in parallel for about 3 s: no lost or duplicated rows, every
/// listed token usable, every revoked one refused.
async fn concurrent_generate_and_revoke(db: Db) {
    let env = Env::new(db).await;
    let s = std::sync::Arc::new(env.server);
    let idp = std::sync::Arc::new(env.idp);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        let idp = idp.clone();
        tasks.push(tokio::spawn(async move {
            let bearer = idp.token(TA, &format!("user-{}", t % 4), &[SecurityOperator]);
            let mut live = BTreeMap::new();
            let mut revoked = BTreeMap::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let name = format!("t{t}-{n}");
                n += 1;
                let (id, value) = s.create(&bearer, &name).await;
                if n % 3 == 0 {
                    let victim = live.keys().next().cloned().unwrap_or(id.clone());
                    let entry: (String, String) = live
                        .remove(&victim)
                        .unwrap_or((name.clone(), value.clone()));
                    assert_eq!(
                        s.delete(&bearer, &format!("/api/v1/tokens/{victim}"))
                            .await
                            .0,
                        204
                    );
                    revoked.insert(victim.clone(), entry);
                    if victim != id {
                        live.insert(id, (name, value));
                    }
                } else {
                    live.insert(id, (name, value));
                }
            }
            (live, revoked)
        }));
    }
    let mut live = BTreeMap::new();
    let mut revoked = BTreeMap::new();
    for t in tasks {
        let (l, r) = t.await.unwrap();
        live.extend(l);
        revoked.extend(r);
    }
    assert!(
        live.len() + revoked.len() >= 16,
        "too little work done: {}",
        live.len() + revoked.len()
    );
    let admin = idp.token(TA, "admin", &[GlobalAdministrator]);
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s
            .get(
                &admin,
                &format!("/api/v1/tokens?limit=100&sort=name{cursor}"),
            )
            .await;
        assert_eq!(status, 200);
        listed.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed_set.len(), listed.len(), "duplicated rows");
    assert_eq!(
        listed_set,
        live.keys().cloned().collect::<BTreeSet<_>>(),
        "lost or extra rows"
    );
    for (name, value) in live.values().take(40) {
        assert_eq!(s.use_token(value, false).await.0, 200, "{name}");
    }
    for (name, value) in revoked.values().take(40) {
        assert_eq!(s.use_token(value, false).await.0, 401, "{name}");
    }
    let (_, audit) = s.get(&admin, "/api/v1/audit?limit=100").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "revoked")
    );
}
both_backends!(concurrent_generate_and_revoke);

#[tokio::test]
async fn oversized_and_odd_requests_on_token_endpoints() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let op = env.idp.token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    let r = s
        .http
        .post(s.url("/api/v1/alerts/alert-2/close"))
        .header("authorization", format!("Token {value}"))
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status() == 413,
        "{}",
        r.status()
    );
    let r = s
        .http
        .put(s.url("/api/v1/alerts/"))
        .header("authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = s
        .http
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(&op)
        .json(&json!({"name": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn odd_requests_never_get_a_5xx() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let op = env.idp.token(TA, "op", &[SecurityOperator]);
    let long = "a".repeat(6000);
    let paths = [
        "/api/v1/tokens/..%2F..%2Fetc",
        "/api/v1/tokens/%00",
        "/api/v1/alerts/%00/close",
        "/api/v1/alerts/%FF/close",
        "/api/v1//tokens",
        "/api/v1/tokens?%zz=1",
        "/api/v1/tokens?q=%FF",
        "/api/v1/tokens?q=%00",
        "/api/v1/audit?cursor=%FF",
        &format!("/api/v1/tokens/{long}"),
        &format!("/api/v1/tokens?q={long}"),
    ];
    for path in paths {
        for method in ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS"] {
            let r = s
                .http
                .request(method.parse().unwrap(), s.url(path))
                .bearer_auth(&op)
                .header("content-type", "application/json")
                .body("{\"name\":\"n\"}")
                .send()
                .await
                .unwrap();
            assert!(r.status().as_u16() < 500, "{method} {path}: {}", r.status());
        }
    }
    for header in [
        "Bearer \t",
        "Token atp_",
        "bearer",
        "Token",
        "Token  atp_x y z",
        "Token\tatp_x",
    ] {
        let r = s
            .http
            .get(s.url("/api/v1/alerts/"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{header:?}");
        let r = s
            .http
            .get(s.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{header:?}");
    }
    let r = s
        .http
        .get(s.url("/api/v1/alerts/"))
        .header(
            "authorization",
            reqwest::header::HeaderValue::from_bytes(b"Token \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
