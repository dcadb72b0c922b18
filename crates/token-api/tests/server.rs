//! The server foundation: health, SPA hosting with its cache headers, security headers.

mod common;

use base64::Engine;
use common::{Db, Env, TestDb, TestServer};
use sha2::{Digest, Sha256};
use token_api::Config;

const INDEX: &str = r#"<!DOCTYPE html><html><head><link rel="modulepreload" href="/app-0123456789abcdef.js"><script type="module">import init, * as bindings from '/app-0123456789abcdef.js';
const wasm = await init({ module_or_path: '/app-0123456789abcdef_bg.wasm' });
window.wasmBindings = bindings;</script></head><body></body></html>"#;

fn spa_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), INDEX).unwrap();
    std::fs::write(
        dir.path().join("app-0123456789abcdef.js"),
        "export default 1;",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app-0123456789abcdef_bg.wasm"),
        [0u8, 97, 115, 109],
    )
    .unwrap();
    std::fs::write(dir.path().join("config.json"), "{}").unwrap();
    dir
}

#[tokio::test]
async fn healthz_answers_200_while_the_store_answers_and_503_after() {
    let db = TestDb::new(Db::Sqlite).await;
    let server = TestServer::start(&db.url, Config::default()).await;
    let r = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    server.state.store().close().await;
    let r = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 503);
}

/// `/healthz` on SQLite reads the database file: once it is removed (a connection opened
/// meanwhile may create an empty one in its place), or what is at its path is not readable
/// as this database, the answer is 503.
#[tokio::test]
async fn healthz_on_sqlite_notices_a_removed_or_unreadable_file() {
    let db = TestDb::new(Db::Sqlite).await;
    let server = TestServer::start(&db.url, Config::default()).await;
    let file = std::path::PathBuf::from(db.url.strip_prefix("sqlite://").unwrap());
    let health = || async { reqwest::get(server.url("/healthz")).await.unwrap().status() };
    assert_eq!(health().await, 200);
    std::fs::rename(&file, file.with_extension("moved")).unwrap();
    assert_eq!(health().await, 503, "removed");
    let garbage = file.with_extension("garbage");
    std::fs::write(&garbage, b"not a database, not readable as one").unwrap();
    std::fs::rename(&garbage, &file).unwrap();
    assert_eq!(health().await, 503, "unreadable");
}

#[tokio::test]
async fn serves_the_spa_with_fallback_cache_headers_and_csp() {
    let dist = spa_dir();
    let env = Env::with(Db::Sqlite, |c| c.spa_dir = Some(dist.path().to_path_buf())).await;
    let s = &env.server;
    for path in [
        "/",
        "/settings/security-extensions/api-tokens",
        "/no/such/file.js",
    ] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        let body = INDEX
            .split("<script type=\"module\">")
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
        assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            csp.contains(&format!("connect-src 'self' {}", env.idp.issuer)),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("form-action 'self' {}", env.idp.issuer)),
            "{csp}"
        );
        for d in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "img-src 'self' data:",
            "style-src 'self'",
        ] {
            assert!(csp.contains(d), "{csp} lacks {d}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(r.text().await.unwrap(), INDEX);
    }
    for (path, cache) in [
        (
            "/app-0123456789abcdef.js",
            "public, max-age=31536000, immutable",
        ),
        (
            "/app-0123456789abcdef_bg.wasm",
            "public, max-age=31536000, immutable",
        ),
        ("/config.json", "no-cache"),
    ] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], cache, "{path}");
        assert!(
            r.headers().get("content-security-policy").is_none(),
            "{path}"
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    // API paths never fall back to the SPA.
    let r = reqwest::get(s.url("/api/v1/nothing-here")).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn api_responses_are_no_store_with_security_headers() {
    let env = Env::new(Db::Sqlite).await;
    for path in [
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/alerts/",
        "/api/v1/openapi.json",
        "/api/v1/x",
    ] {
        let r = reqwest::get(env.server.url(path)).await.unwrap();
        let h = r.headers();
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{path}");
    }
    let r = reqwest::get(env.server.url("/healthz")).await.unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

/// A handler that panics answers a 500 problem that still carries the security headers.
#[tokio::test]
async fn a_panic_answers_500_with_the_security_headers() {
    let db = TestDb::new(Db::Sqlite).await;
    let store = token_api::Store::connect(&db.url).await.unwrap();
    let state = token_api::AppState::new(store, Config::default()).unwrap();
    let boom = axum::routing::get(|| async {
        if true {
            panic!("boom");
        }
        "unreachable"
    });
    let app = token_api::app::with_layers(axum::Router::new().route("/api/v1/boom", boom), state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let r = reqwest::get(format!("http://{addr}/api/v1/boom"))
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let h = r.headers();
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["strict-transport-security"], "max-age=31536000");
}

#[test]
fn the_binary_prints_its_real_address_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(format!("sqlite://{}/data/tokens.db", dir.path().display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect(&line)
        .to_string();
    assert!(!addr.ends_with(":0"), "{addr}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert!(dir.path().join("data/tokens.db").exists());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let code = child.wait().unwrap();
    assert!(code.success(), "{code:?}");
}

/// `serve --help` names `DATABASE_URL` but never shows its value (it may hold a password).
#[test]
fn help_never_prints_the_database_url() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args(["serve", "--help"])
        .env("DATABASE_URL", "postgres://app:s3cret-pw@db.example/tokens")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DATABASE_URL"), "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");
}
