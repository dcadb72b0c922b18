//! Bad input gets its 4xx problem, naming the field at fault: request bodies, API token
//! names, list and audit parameters, paths; odd requests never get a 5xx. Runs on SQLite
//! and, when configured, PostgreSQL.

mod common;

use common::{Db, Env, TA, TestServer, call};
use reqwest::Method;
use serde_json::{Value, json};
use token_wire::Role::*;

/// Asserts the answer's status and, for errors, the problem's status and field.
fn check((status, p): (u16, Value), want: u16, field: Option<&str>) {
    assert_eq!(status, want, "{p}");
    if want >= 400 {
        assert_eq!(p["status"], want);
    }
    if let Some(f) = field {
        assert_eq!(p["field"], f, "{p}");
    }
}

/// POSTs `body` as `content_type` to /api/v1/tokens.
async fn post_raw(s: &TestServer, bearer: &str, body: Vec<u8>, content_type: &str) -> (u16, Value) {
    let req = s.http.post(s.url("/api/v1/tokens")).bearer_auth(bearer);
    call(req.header("content-type", content_type).body(body)).await
}

async fn bodies_that_are_not_a_create_request(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(20 * 1024));
    check(
        post_raw(s, &user, big.into_bytes(), "application/json").await,
        413,
        None,
    );
    for body in [
        b"{not json".to_vec(),
        b"{}".to_vec(),
        b"[1,2]".to_vec(),
        vec![0xff, 0xfe, 0x00],
    ] {
        check(
            post_raw(s, &user, body, "application/json").await,
            400,
            Some("body"),
        );
    }
    check(
        post_raw(s, &user, br#"{"name":"x"}"#.to_vec(), "text/plain").await,
        415,
        None,
    );
}
both_backends!(bodies_that_are_not_a_create_request);

async fn names_are_validated_and_unique_per_owner(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    for name in [
        "",
        "   ",
        "a\u{0}b",
        "line\nbreak",
        "tab\there",
        "\u{7f}",
        &"n".repeat(10_000),
        &"é".repeat(65),
        "invoice\u{202E}fdp.exe",
        "pay\u{2066}roll",
        "ci\u{200B}deploy",
        "\u{FEFF}ci",
    ] {
        check(
            s.post(&user, "/api/v1/tokens", json!({ "name": name }))
                .await,
            400,
            Some("name"),
        );
    }
    check(
        s.post(&user, "/api/v1/tokens", json!({ "name": "  ok  " }))
            .await,
        201,
        None,
    );
    check(
        s.post(&user, "/api/v1/tokens", json!({ "name": "ok" }))
            .await,
        409,
        Some("name"),
    );
    assert_eq!(s.names(&user, "").await, ["ok"]);
}
both_backends!(names_are_validated_and_unique_per_owner);

/// Query parameters of both listings, refused naming the parameter.
async fn query_parameters_are_validated(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    let admin = env.admin();
    // Per parameter, values refused for it (the last status one gives `status` twice).
    let tokens: [(&str, &[&str]); 6] = [
        ("status", &["used", "ACTIVE", "active&status=generated"]),
        ("sort", &["owner"]),
        ("order", &["up"]),
        ("limit", &["0", "101", "-1", "ten", "99999999999999999999"]),
        ("cursor", &["garbage!", "eyJmb28iOjF9"]),
        ("colour", &["red"]),
    ];
    let audit: [(&str, &[&str]); 3] =
        [("limit", &["0"]), ("cursor", &["zzz"]), ("sort", &["name"])];
    for (bearer, listing, refused) in [(&user, "tokens", &tokens[..]), (&admin, "audit", &audit)] {
        for (field, values) in refused {
            for value in *values {
                let path = format!("/api/v1/{listing}?{field}={value}");
                check(s.get(bearer, &path).await, 400, Some(field));
            }
        }
    }
}
both_backends!(query_parameters_are_validated);

async fn bad_and_unknown_ids(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    let admin = env.admin();
    check(
        s.delete(&user, "/api/v1/tokens/%FF%FE").await,
        400,
        Some("path"),
    );
    check(
        s.delete(&user, "/api/v1/tokens/no-such-id").await,
        404,
        None,
    );
    check(
        s.post(&admin, "/api/v1/users/nobody/deprovision", json!({}))
            .await,
        404,
        None,
    );
}
both_backends!(bad_and_unknown_ids);

/// A full admin cannot deprovision themselves (409 naming `id`) and keeps their access;
/// restoring themselves is harmless.
#[tokio::test]
async fn an_admin_cannot_deprovision_themselves() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let admin = env.admin();
    assert_eq!(s.get(&admin, "/api/v1/me").await.0, 200);
    check(
        s.post(&admin, "/api/v1/users/admin/deprovision", json!({}))
            .await,
        409,
        Some("id"),
    );
    assert_eq!(s.get(&admin, "/api/v1/me").await.0, 200);
    check(
        s.post(&admin, "/api/v1/users/admin/restore", json!({}))
            .await,
        204,
        None,
    );
}

#[tokio::test]
async fn oversized_and_odd_requests_on_api_token_endpoints() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    let r = s
        .with_api_token(Method::POST, "/api/v1/alerts/alert-2/close", &value)
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
        .send_with_api_token(Method::PUT, "/api/v1/alerts/", &value)
        .await;
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
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
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
        for path in ["/api/v1/alerts/", "/api/v1/me"] {
            let req = s.http.get(s.url(path)).header("authorization", header);
            assert_eq!(req.send().await.unwrap().status(), 401, "{header:?}");
        }
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
