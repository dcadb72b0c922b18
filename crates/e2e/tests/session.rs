//! The signed-in session end to end: access tokens renewed silently (expired, or refused by
//! the API), the memory cache, and signing out at the provider.

use std::time::Duration;

use e2e::session::{cached_tokens, edit_cached_tokens};
use e2e::tokens_screen::{
    generate_and_close, row, start_as, wait_for_tokens_from_the_api, wait_loaded,
};
use e2e::{API_TOKENS_PATH, Browser};
use serde_json::Value;

#[tokio::test]
async fn an_expired_access_token_is_renewed_silently() {
    let stack = e2e::stack()
        .access_token_ttl(20)
        .start()
        .expect("the stack starts");
    let browser = Browser::start("silent-renewal").await;
    browser.sign_in_at(&stack, "operator@contoso.test").await;
    wait_for_tokens_from_the_api(&browser).await;
    let first = cached_tokens(&browser).await.unwrap();
    let lifetime =
        first["expires_at_ms"].as_u64().unwrap() - first["renew_at_ms"].as_u64().unwrap();
    assert!(
        lifetime <= 5_000,
        "a 20 s token is renewed 4 s before it expires"
    );

    // Past its renewal time, the next API call renews it with the refresh token first.
    tokio::time::sleep(Duration::from_millis(
        first["renew_at_ms"]
            .as_u64()
            .unwrap()
            .saturating_sub(now_ms())
            + 500,
    ))
    .await;
    browser.client.refresh().await.unwrap();
    wait_for_tokens_from_the_api(&browser).await;
    let second = cached_tokens(&browser).await.unwrap();
    assert_ne!(
        second["access_token"], first["access_token"],
        "a new access token"
    );
    assert_ne!(
        second["refresh_token"], first["refresh_token"],
        "the refresh token rotated"
    );
    assert!(
        browser.current_url().await.ends_with(API_TOKENS_PATH),
        "no interactive sign-in"
    );
    assert_eq!(browser.text(".top-bar .user-name").await, "Omar Okafor");

    // A token the API refuses (401) although the cache thinks it fresh: renewed, call retried.
    edit_cached_tokens(&browser, |t| t["access_token"] = Value::from("spoiled")).await;
    browser.client.refresh().await.unwrap();
    wait_for_tokens_from_the_api(&browser).await;
    let third = cached_tokens(&browser).await.unwrap();
    assert_ne!(third["access_token"], "spoiled");
    assert_ne!(third["refresh_token"], second["refresh_token"]);
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    browser.close().await;
}

#[tokio::test]
async fn a_refused_access_token_is_renewed_silently() {
    let (_stack, mut browser) = start_as("operator@contoso.test", "tokens-401-renewal").await;
    generate_and_close(&mut browser, "kept across renewal").await;

    // Spoil the cached access token while keeping it "fresh": the API answers 401, and the
    // API layer must renew it with the refresh token and retry, without a sign-in page.
    let spoiled: serde_json::Value = browser
        .client
        .execute(
            "const key = 'portal.auth.tokens.' + sessionStorage.getItem('portal.auth.active');
             const tokens = JSON.parse(sessionStorage.getItem(key));
             tokens.access_token = 'spoiled.' + tokens.access_token;
             sessionStorage.setItem(key, JSON.stringify(tokens));
             return tokens.access_token;",
            vec![],
        )
        .await
        .unwrap();
    browser.client.refresh().await.unwrap();
    wait_loaded(&browser).await;
    browser.wait_for(&row("kept across renewal")).await;
    assert!(!browser.exists("#username").await, "no sign-in page");
    assert!(!browser.exists("[data-testid=error-state]").await);
    let now: serde_json::Value = browser
        .client
        .execute(
            "return JSON.parse(sessionStorage.getItem('portal.auth.tokens.' + sessionStorage.getItem('portal.auth.active'))).access_token;",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(now, spoiled, "a renewed access token is cached");
    browser.screenshot("after-renewal").await;
    browser.close().await;
}

#[tokio::test]
async fn the_memory_cache_keeps_no_token_in_session_storage() {
    let stack = e2e::start_stack();
    let config = stack
        .spa_dir()
        .expect("a copy of the SPA")
        .join("config.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    json["cache_location"] = Value::from("memory");
    std::fs::write(&config, json.to_string()).unwrap();
    let browser = Browser::start("memory-cache").await;
    browser
        .sign_in_at(&stack, "globalreader@contoso.test")
        .await;
    browser.wait_for_user("Grady Archie").await;
    wait_for_tokens_from_the_api(&browser).await;
    assert!(cached_tokens(&browser).await.is_none());
    let keys = browser
        .client
        .execute("return Object.keys(sessionStorage).join(' ')", vec![])
        .await
        .unwrap();
    assert!(
        !keys.as_str().unwrap().contains("portal.auth.tokens"),
        "{keys}"
    );

    // A reload forgets the tokens; the provider's session signs the user in again silently.
    browser.client.refresh().await.unwrap();
    browser.wait_for_user("Grady Archie").await;
    wait_for_tokens_from_the_api(&browser).await;
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    browser.close().await;
}

#[tokio::test]
async fn sign_out_ends_the_session_at_the_provider() {
    let (stack, mut browser) =
        e2e::start_signed_in("sign-out", "secadmin@contoso.test", "Sara Davis").await;

    browser.click(".top-bar .sign-out").await;
    browser
        .wait_for_text("[data-status=signed-out] h1", "You have signed out")
        .await;
    assert_eq!(
        browser.current_url().await,
        stack.url("/"),
        "back from the provider's end-session"
    );
    assert!(
        cached_tokens(&browser).await.is_none(),
        "the cache is cleared"
    );
    browser.screenshot("signed-out").await;

    browser.click("[data-status=signed-out] .sign-in").await;
    browser.wait_for("#username").await;
    assert!(
        browser.current_url().await.starts_with(&stack.issuer),
        "asked to sign in again"
    );

    // A new visit asks to sign in.
    browser.open_login_page(&stack).await;
    browser.close().await;
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}
