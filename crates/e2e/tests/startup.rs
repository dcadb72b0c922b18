//! Start-up without waterfalls, read from the browser's resource timing: `config.json` is
//! read by the page and fetched once, the discovery document is read once per tab session,
//! the API tokens screen asks for `/api/v1/me` and the first page together — on a reload with
//! a fresh access token, the page asks for them while the app downloads and the app takes
//! those answers — and the status counts come with that page (no `limit=1` calls).

use e2e::session::edit_cached_tokens;
use e2e::tokens_screen::wait_loaded;
use e2e::{Browser, Running};
use serde_json::Value;

/// One request of the page: what, when it started and when its answer ended (ms since
/// navigation).
#[derive(Debug)]
struct Request {
    url: String,
    start: f64,
    end: f64,
}

/// The requests of the current page, in the order they started.
async fn requests(browser: &Browser) -> Vec<Request> {
    let script = "return performance.getEntriesByType('resource')
        .map(e => [e.name, e.startTime, e.responseEnd]);";
    let entries = browser.client.execute(script, vec![]).await.unwrap();
    let mut requests: Vec<Request> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Request {
            url: e[0].as_str().unwrap().to_string(),
            start: e[1].as_f64().unwrap(),
            end: e[2].as_f64().unwrap(),
        })
        .collect();
    requests.sort_by(|a, b| a.start.total_cmp(&b.start));
    for r in &requests {
        eprintln!("{:>8.1} → {:>8.1}  {}", r.start, r.end, r.url);
    }
    requests
}

/// The requests whose URL contains `part`.
fn to<'a>(requests: &'a [Request], part: &str) -> Vec<&'a Request> {
    requests.iter().filter(|r| r.url.contains(part)).collect()
}

/// The one request whose URL contains `part`.
fn one<'a>(requests: &'a [Request], part: &str) -> &'a Request {
    match to(requests, part).as_slice() {
        [r] => r,
        other => panic!("one request to {part}, not {}: {requests:#?}", other.len()),
    }
}

/// Checks the screen's own requests: `config.json` once (the page's read is used), `/me` and
/// the first page together, and no count calls.
fn check_screen_requests(requests: &[Request]) {
    one(requests, "/config.json");
    let me = one(requests, "/api/v1/me");
    let list = one(requests, "/api/v1/tokens?");
    assert!(
        list.start < me.end && me.start < list.end,
        "/me and the first page are in flight together: {me:?} {list:?}"
    );
    assert!(
        !list.url.contains("status="),
        "the counts need no call per status"
    );
}

/// Whether the page asked for the screen's first answers before the app started
/// (`index.html`), and the app took every one of them.
async fn early_answers_taken(browser: &Browser) -> bool {
    let script = "const early = window.portalEarly;
        return !!early && !!early.base && Object.keys(early.calls).length === 0;";
    browser.client.execute(script, vec![]).await.unwrap() == Value::Bool(true)
}

async fn reload(browser: &Browser) -> Vec<Request> {
    browser.client.refresh().await.unwrap();
    wait_loaded(browser).await;
    requests(browser).await
}

#[tokio::test]
async fn the_screen_loads_without_waterfalls() {
    let stack: Running = e2e::start_stack();
    let browser = Browser::start("startup").await;
    browser.sign_in_at(&stack, "operator@contoso.test").await;
    wait_loaded(&browser).await;

    // Back from the provider: the code is redeemed with the discovery document read before
    // leaving for the provider.
    let answer = requests(&browser).await;
    check_screen_requests(&answer);
    assert!(
        !early_answers_taken(&browser).await,
        "nothing to ask with yet"
    );
    assert!(
        to(&answer, "openid-configuration").is_empty(),
        "{answer:#?}"
    );
    let token_endpoint = format!("{}/token", stack.issuer);
    let redeem = one(&answer, &token_endpoint);
    assert!(redeem.end <= one(&answer, "/api/v1/me").start);

    // A reload with a fresh access token asks the provider nothing; the page asks for the
    // screen's first answers while the app downloads, and the app takes them.
    let fresh = reload(&browser).await;
    check_screen_requests(&fresh);
    assert!(to(&fresh, &stack.issuer).is_empty(), "{fresh:#?}");
    assert!(early_answers_taken(&browser).await);

    // With an access token due for renewal: one refresh, still no discovery.
    edit_cached_tokens(&browser, |t| t["renew_at_ms"] = Value::from(0)).await;
    let renewed = reload(&browser).await;
    check_screen_requests(&renewed);
    assert!(to(&renewed, "openid-configuration").is_empty());
    assert!(
        !early_answers_taken(&browser).await,
        "the page asks nothing with a token due for renewal"
    );
    let refresh = one(&renewed, &token_endpoint);
    assert!(refresh.end <= one(&renewed, "/api/v1/me").start);
    assert!(refresh.end <= one(&renewed, "/api/v1/tokens?").start);
    browser.close().await;
}
