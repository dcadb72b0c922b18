//! Bearer access tokens on portal calls: what is refused (401), the leeway on expiry, an
//! issuer that is unreachable or not configured (503), and how often the JWKS is fetched.

mod common;

use std::time::Duration;

use common::{Db, Env, KID, OTHER_KEY, TA, TestDb, TestIdp, TestServer, call};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use token_wire::Role::*;

/// `claims` signed with the other fixture key under `kid`.
fn signed_with_the_other_key(claims: &serde_json::Value, kid: &str) -> String {
    let key = EncodingKey::from_rsa_pem(OTHER_KEY.as_bytes()).unwrap();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(&h, claims, &key).unwrap()
}

async fn bad_bearer_credentials_are_401(env: Env) {
    let s = &env.server;
    let good = env.idp.access_token(TA, "u", &[SecurityReader]);
    let mut claims = env.idp.claims(TA, "u", &[SecurityReader]);
    let now = claims["iat"].as_i64().unwrap();
    let variants: Vec<(String, String)> = vec![
        ("no header".into(), String::new()),
        ("empty bearer".into(), "Bearer ".into()),
        ("wrong scheme".into(), format!("Basic {good}")),
        ("token scheme".into(), format!("Token {good}")),
        ("garbage".into(), "Bearer a.b.c".into()),
        (
            "truncated".into(),
            format!("Bearer {}", &good[..good.len() - 7]),
        ),
        (
            "one segment".into(),
            format!("Bearer {}", good.split('.').next().unwrap()),
        ),
        ("wrong audience".into(), {
            claims["aud"] = json!("api://other");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("wrong issuer".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["iss"] = json!("http://evil");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("expired".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["exp"] = json!(now - 120);
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("not yet valid".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["nbf"] = json!(now + 120);
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("no exp".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims.as_object_mut().unwrap().remove("exp");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("other key".into(), {
            let claims = env.idp.claims(TA, "u", &[SecurityReader]);
            format!("Bearer {}", signed_with_the_other_key(&claims, KID))
        }),
        ("HS256".into(), {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some(KID.into());
            let key = EncodingKey::from_secret(b"secret");
            let claims = env.idp.claims(TA, "u", &[SecurityReader]);
            format!(
                "Bearer {}",
                jsonwebtoken::encode(&h, &claims, &key).unwrap()
            )
        }),
        ("unknown kid".into(), {
            let claims = env.idp.claims(TA, "u", &[SecurityReader]);
            format!("Bearer {}", signed_with_the_other_key(&claims, "unknown"))
        }),
    ];
    for (what, header) in variants {
        let mut req = s.http.get(s.url("/api/v1/me"));
        if !header.is_empty() {
            req = req.header("authorization", header);
        }
        let (status, p) = call(req).await;
        assert_eq!(status, 401, "{what}: {p}");
    }
}
both_backends!(bad_bearer_credentials_are_401);

async fn an_expired_access_token_passes_within_the_leeway(env: Env) {
    let s = &env.server;
    let mut claims = env.idp.claims(TA, "u", &[SecurityReader]);
    let now = claims["iat"].as_i64().unwrap();
    // Within the 60 s leeway, an expired access token still passes.
    claims["exp"] = json!(now - 30);
    assert_eq!(s.get(&env.idp.sign(&claims), "/api/v1/me").await.0, 200);
}
both_backends!(an_expired_access_token_passes_within_the_leeway);

#[tokio::test]
async fn portal_answers_503_until_the_issuer_is_reachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let idp_issuer = format!("http://127.0.0.1:{port}");
    let db = TestDb::new(Db::Sqlite).await;
    let config = token_api::Config {
        issuer: Some(idp_issuer.clone()),
        audience: Some(common::AUDIENCE.into()),
        spa_client_id: Some(common::CLIENT_ID.into()),
        ..token_api::Config::default()
    };
    let server = TestServer::start(&db.url, config).await;
    let idp = TestIdp::start().await;
    let mut claims = idp.claims(TA, "u", &[SecurityReader]);
    claims["iss"] = json!(idp_issuer);
    let bearer = idp.sign(&claims);
    let (status, p) = server.get(&bearer, "/api/v1/me").await;
    assert_eq!(status, 503, "{p}");
    // The provider comes up later, on the configured address.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let proxy_to = idp.issuer.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let target = format!("{proxy_to}{uri}");
        async move {
            let body = reqwest::get(target).await.unwrap().text().await.unwrap();
            (
                [("content-type", "application/json")],
                body.replace(&proxy_to, &format!("http://127.0.0.1:{port}")),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(server.get(&bearer, "/api/v1/me").await.0, 200);
}

#[tokio::test]
async fn sign_in_not_configured_is_503() {
    let db = TestDb::new(Db::Sqlite).await;
    let server = TestServer::start(&db.url, token_api::Config::default()).await;
    let idp = TestIdp::start().await;
    assert_eq!(
        server
            .get(&idp.access_token(TA, "u", &[SecurityReader]), "/api/v1/me")
            .await
            .0,
        503
    );
}

#[tokio::test]
async fn unknown_kids_refresh_the_jwks_at_most_once_a_minute() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let fetches = || {
        env.idp
            .jwks_fetches
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(fetches(), 0, "discovery is lazy");
    let bearer = || env.idp.access_token(TA, "u", &[SecurityReader]);
    assert_eq!(s.get(&bearer(), "/api/v1/me").await.0, 200);
    assert_eq!(fetches(), 1);
    let rotated = signed_with_the_other_key(&env.idp.claims(TA, "u", &[SecurityReader]), "rotated");
    for _ in 0..5 {
        assert_eq!(s.get(&rotated, "/api/v1/me").await.0, 401);
    }
    assert_eq!(fetches(), 1, "no refresh within a minute of the last one");
    assert_eq!(s.get(&bearer(), "/api/v1/me").await.0, 200);
    assert_eq!(fetches(), 1, "known keys need no fetch");
}

/// Portal calls take only a user's delegated token issued to the SPA: an application token
/// (`roles`, no `scp`), a token without the API's scope and one issued to another client are
/// refused with a 403 problem; `appid` (Entra v1) names the client as `azp` does; without a
/// configured SPA client id every portal call is 503.
async fn only_the_portals_delegated_tokens_reach_the_portal(env: Env) {
    let s = &env.server;
    let claims = env.idp.claims(TA, "app", &[GlobalAdministrator]);
    let with = |changes: &[(&str, serde_json::Value)]| {
        let mut c = claims.clone();
        for (k, v) in changes {
            match v {
                serde_json::Value::Null => c.as_object_mut().unwrap().remove(*k),
                v => c.as_object_mut().unwrap().insert(k.to_string(), v.clone()),
            };
        }
        env.idp.sign(&c)
    };
    let refused = [
        (
            "application",
            with(&[
                ("scp", json!(null)),
                ("roles", json!(["Investigation.read"])),
            ]),
        ),
        ("no scope", with(&[("scp", json!("other.scope"))])),
        ("other client", with(&[("azp", json!("someone-else"))])),
        ("no client", with(&[("azp", json!(null))])),
    ];
    for (what, bearer) in refused {
        let (status, p) = s.get(&bearer, "/api/v1/me").await;
        assert_eq!(status, 403, "{what}: {p}");
        assert_eq!(p["status"], 403, "{what}");
    }
    let v1 = with(&[("azp", json!(null)), ("appid", json!(common::CLIENT_ID))]);
    assert_eq!(s.get(&v1, "/api/v1/me").await.0, 200);
    assert_eq!(s.get(&with(&[]), "/api/v1/me").await.0, 200);

    let config = token_api::Config {
        spa_client_id: None,
        ..common::config(&env.idp)
    };
    let unconfigured = TestServer::start(&env.db.url, config).await;
    assert_eq!(unconfigured.get(&with(&[]), "/api/v1/me").await.0, 503);
}
both_backends!(only_the_portals_delegated_tokens_reach_the_portal);
