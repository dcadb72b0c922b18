//! The product as `deploy/` runs it: nginx (from `deploy/nginx.conf`) serving the SPA and
//! proxying to two `token-api` instances on one PostgreSQL database. nginx sends the SPA as
//! the instances do; a person signs in, generates, uses and revokes an API token through it
//! while one instance is stopped, and nothing is lost.
//!
//! Needs nginx and PostgreSQL: `cargo xtask test deploy` runs these (ignored elsewhere) with
//! `DEPLOY_NGINX` and `DEPLOY_POSTGRES_BIN` set besides the e2e variables.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use e2e::token_api::list_alerts_at;
use e2e::tokens_screen::{generate_and_close, revoke, status_after_reload, wait_loaded};
use e2e::{API_TOKENS_PATH, Browser};
use stack::{Deployed, Deployment};

/// Headers nginx must send as the instances do.
const SAME: [&str; 8] = [
    "content-encoding",
    "vary",
    "cache-control",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "content-security-policy",
    "content-length",
];

fn env_path(var: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run these with `cargo xtask test deploy`"))
}

fn deploy() -> Deployed {
    Deployment {
        server_bin: env_path("E2E_TOKEN_API_BIN"),
        nginx_bin: env_path("DEPLOY_NGINX"),
        postgres_bin: env_path("DEPLOY_POSTGRES_BIN"),
        dist: env_path("E2E_DIST"),
        instances: 2,
        rate_limit_per_minute: Some(100_000),
    }
    .start()
    .unwrap_or_else(|e| panic!("the deployment did not start: {e}"))
}

/// `GET url` with `Accept-Encoding: encoding` (none when empty): status, headers, body.
async fn get(url: &str, encoding: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().get(url);
    if !encoding.is_empty() {
        req = req.header("accept-encoding", encoding);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs nginx and PostgreSQL: run by `cargo xtask test deploy`"]
async fn nginx_serves_the_spa_as_the_instances_do() {
    let deployed = deploy();
    let instance = deployed.instance(0).unwrap().to_string();
    let mut assets: Vec<String> = std::fs::read_dir(deployed.spa_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| [".js", ".wasm", ".css"].iter().any(|x| n.ends_with(x)))
        .map(|n| format!("/{n}"))
        .collect();
    assert!(assets.len() >= 3, "{assets:?}");
    let mut paths = vec!["/", "/index.html", API_TOKENS_PATH, "/config.json"];
    paths.extend(assets.iter_mut().map(|a| a.as_str()));
    for path in paths {
        for encoding in ["br, gzip", "gzip", ""] {
            let (status, front, body) = get(&deployed.url(path), encoding).await;
            let (_, direct, direct_body) = get(&format!("{instance}{path}"), encoding).await;
            let what = format!("{path} (accept-encoding {encoding:?})");
            assert_eq!(status, 200, "{what}");
            for name in SAME {
                assert_eq!(
                    header(&front, name),
                    header(&direct, name),
                    "{what}: {name}"
                );
            }
            let mime = |h: &reqwest::header::HeaderMap| {
                header(h, "content-type")
                    .split(';')
                    .next()
                    .unwrap()
                    .to_string()
            };
            assert_eq!(mime(&front), mime(&direct), "{what}");
            assert_eq!(body, direct_body, "{what}: the same bytes");
            let html = mime(&front) == "text/html";
            // config.json is written at run time, with no compressed copies.
            let want_encoding = match encoding {
                _ if path == "/config.json" => "",
                "br, gzip" => "br",
                "gzip" => "gzip",
                _ => "",
            };
            assert_eq!(header(&front, "content-encoding"), want_encoding, "{what}");
            assert_eq!(header(&front, "vary"), "accept-encoding", "{what}");
            let cache = if html || path == "/config.json" {
                "no-cache"
            } else {
                "public, max-age=31536000, immutable"
            };
            assert_eq!(header(&front, "cache-control"), cache, "{what}");
            assert_eq!(header(&front, "x-frame-options"), "DENY", "{what}");
            let csp = header(&front, "content-security-policy");
            assert_eq!(csp.contains(&deployed.issuer), html, "{what}: {csp}");
        }
    }

    // The API and the health check pass through, each header once, from the instance.
    let (status, front, _) = get(&deployed.url("/api/v1/alerts/"), "").await;
    assert_eq!(status, 401);
    assert_eq!(header(&front, "cache-control"), "no-store");
    assert_eq!(front.get_all("x-content-type-options").iter().count(), 1);
    assert_eq!(get(&deployed.url("/healthz"), "").await.0, 200);
}

/// Uses `value` through nginx from each of `clients` concurrent clients, one call after the
/// other, until `done` is set and then `rounds` more times; returns how many calls were made
/// and every status that was not 200.
async fn use_concurrently(
    app: &str,
    value: &str,
    clients: usize,
    rounds: usize,
    done: Arc<AtomicBool>,
) -> (usize, Vec<u16>) {
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (app, value, done) = (app.to_string(), value.to_string(), done.clone());
            tokio::spawn(async move {
                let (mut calls, mut failed, mut left) = (0, Vec::new(), rounds);
                while left > 0 {
                    if done.load(Ordering::Relaxed) {
                        left -= 1;
                    }
                    let status = list_alerts_at(&app, &value).await.0;
                    calls += 1;
                    if status != 200 {
                        failed.push(status);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                (calls, failed)
            })
        })
        .collect();
    let (mut calls, mut failed) = (0, Vec::new());
    for t in tasks {
        let (c, f) = t.await.unwrap();
        calls += c;
        failed.extend(f);
    }
    (calls, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nginx and PostgreSQL: run by `cargo xtask test deploy`"]
async fn tokens_survive_an_instance_stopping_behind_nginx() {
    let mut deployed = deploy();
    let mut browser = Browser::start("deploy").await;
    browser
        .open_signed_in(&deployed.url(API_TOKENS_PATH), "admin@contoso.test")
        .await;
    wait_loaded(&browser).await;
    assert!(browser.current_url().await.starts_with(&deployed.app));
    browser.screenshot("signed-in").await;

    // Generate and use through nginx: round robin reaches both instances.
    let value = generate_and_close(&mut browser, "behind nginx").await;
    let at_once = Arc::new(AtomicBool::new(true));
    let (_, failed) = use_concurrently(&deployed.app, &value, 2, 10, at_once).await;
    assert_eq!(failed, [0u16; 0]);

    // Stop the first instance while 4 clients use the token through nginx, non-stop until
    // 20 calls each after it has exited: every call answers 200.
    let stopped = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn({
        let (app, value, stopped) = (deployed.app.clone(), value.clone(), stopped.clone());
        async move { use_concurrently(&app, &value, 4, 20, stopped).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = deployed.instance(0).unwrap().to_string();
    tokio::task::block_in_place(|| deployed.stop_instance(0));
    stopped.store(true, Ordering::Relaxed);
    assert!(reqwest::get(format!("{first}/healthz")).await.is_err());
    let (calls, failed) = load.await.unwrap();
    eprintln!("{calls} calls through nginx while the first instance stopped");
    assert_eq!(
        failed, [0u16; 0],
        "of {calls} calls while the instance stopped"
    );

    // The list still has the token, used (the stopped instance wrote its last-used times as
    // it exited); writes go on through the other instance.
    assert_eq!(
        status_after_reload(&browser, "behind nginx").await,
        "Active"
    );
    let second = generate_and_close(&mut browser, "after the stop").await;
    assert_eq!(list_alerts_at(&deployed.app, &second).await.0, 200);
    browser.screenshot("after-the-stop").await;

    // Revoke in the UI: from then on nginx's answer is 401 (within the propagation bound).
    revoke(&mut browser, "behind nginx").await;
    browser.screenshot("revoked").await;
    let deadline = Instant::now() + Duration::from_secs(3);
    while list_alerts_at(&deployed.app, &value).await.0 != 401 {
        assert!(Instant::now() < deadline, "the revoked value still works");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..10 {
        assert_eq!(list_alerts_at(&deployed.app, &value).await.0, 401);
    }
    assert_eq!(list_alerts_at(&deployed.app, &second).await.0, 200);
    browser.close().await;
}
