//! Sign-in end to end: the built SPA, the real token API and the local OpenID provider's real
//! login page, in headless Chromium.

use std::time::Duration;

use e2e::{API_TOKENS_PATH, Browser, Stack, StackOptions};
use serde_json::Value;

/// The cache entry of the signed-in account, as the SPA keeps it in sessionStorage.
async fn cached_tokens(browser: &Browser) -> Option<Value> {
    let script = r#"
        const active = sessionStorage.getItem("portal.auth.active");
        return active && sessionStorage.getItem("portal.auth.tokens." + active);
    "#;
    let value = browser.client.execute(script, vec![]).await.unwrap();
    value.as_str().map(|s| serde_json::from_str(s).unwrap())
}

/// Rewrites the cached entry with `edit` (to age or spoil the access token).
async fn edit_cached_tokens(browser: &Browser, edit: impl FnOnce(&mut Value)) {
    let mut tokens = cached_tokens(browser).await.expect("a cached session");
    edit(&mut tokens);
    let script = r#"
        const active = sessionStorage.getItem("portal.auth.active");
        sessionStorage.setItem("portal.auth.tokens." + active, arguments[0]);
    "#;
    browser
        .client
        .execute(script, vec![Value::String(tokens.to_string())])
        .await
        .unwrap();
}

/// Waits until the tokens screen has its data from the API (a list or the empty state).
async fn wait_for_tokens_from_the_api(browser: &Browser) {
    browser
        .wait_for("[data-testid=empty-state], .api-tokens table")
        .await;
    assert!(
        !browser.exists("[data-testid=error-state]").await,
        "{}",
        browser.text("body").await
    );
}

/// Opens the deep link and signs in at the provider's login page as `username`.
async fn sign_in_at(browser: &Browser, stack: &Stack, username: &str) {
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser.wait_for("#username").await;
    assert!(
        browser.current_url().await.starts_with(&stack.issuer),
        "the provider's login page"
    );
    browser.sign_in(username).await;
}

#[tokio::test]
async fn a_full_admin_signs_in_and_lands_on_the_deep_link() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("sign-in-admin").await;
    browser
        .goto(&stack.url(&format!("{API_TOKENS_PATH}?q=ci")))
        .await;
    browser.wait_for("#username").await;
    browser.screenshot("login-page").await;
    browser.sign_in("admin@contoso.test").await;

    assert_eq!(
        browser
            .wait_for_text(".top-bar .user-name", "Adele Vance")
            .await,
        "Adele Vance"
    );
    assert_eq!(
        browser.text(".top-bar .user-role").await,
        "Global administrator"
    );
    assert!(browser.exists(".top-bar .sign-out").await);
    let url = browser.current_url().await;
    assert_eq!(
        url,
        stack.url(&format!("{API_TOKENS_PATH}?q=ci")),
        "deep link kept, code and state gone"
    );
    wait_for_tokens_from_the_api(&browser).await;
    browser.screenshot("signed-in").await;

    let tokens = cached_tokens(&browser)
        .await
        .expect("tokens cached in sessionStorage");
    assert_eq!(tokens["claims"]["name"], "Adele Vance");
    assert!(tokens["refresh_token"].is_string());
    let pending = browser
        .client
        .execute("return Object.keys(sessionStorage).filter(k => k.startsWith('portal.auth.request.')).length", vec![])
        .await
        .unwrap();
    assert_eq!(pending, 0, "the sign-in request is used up");
    browser.close().await;
}

#[tokio::test]
async fn a_security_reader_signs_in_and_a_reload_keeps_the_session() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("sign-in-reader").await;
    sign_in_at(&browser, &stack, "reader@contoso.test").await;
    browser
        .wait_for_text(".top-bar .user-name", "Rita Reyes")
        .await;
    assert_eq!(browser.text(".top-bar .user-role").await, "Security reader");
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    wait_for_tokens_from_the_api(&browser).await;
    let before = cached_tokens(&browser).await.unwrap();

    browser.client.refresh().await.unwrap();
    browser
        .wait_for_text(".top-bar .user-name", "Rita Reyes")
        .await;
    wait_for_tokens_from_the_api(&browser).await;
    assert!(
        browser.current_url().await.ends_with(API_TOKENS_PATH),
        "no trip to the provider"
    );
    let after = cached_tokens(&browser).await.unwrap();
    assert_eq!(
        after["access_token"], before["access_token"],
        "the cached token is reused"
    );
    browser.screenshot("after-reload").await;
    browser.close().await;
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_silently() {
    let stack = Stack::start_with(StackOptions {
        access_token_ttl: 20,
        ..StackOptions::default()
    })
    .await;
    let browser = Browser::start("silent-renewal").await;
    sign_in_at(&browser, &stack, "operator@contoso.test").await;
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn sign_out_ends_the_session_at_the_provider() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("sign-out").await;
    sign_in_at(&browser, &stack, "secadmin@contoso.test").await;
    browser
        .wait_for_text(".top-bar .user-name", "Sara Davis")
        .await;

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

    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser.wait_for("#username").await;
    assert!(
        browser.current_url().await.starts_with(&stack.issuer),
        "a new visit asks to sign in"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_tampered_state_is_refused_with_a_readable_message() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("tampered-state").await;
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser.wait_for("#username").await;
    browser
        .goto(&stack.url("/auth/callback?code=forged-code&state=forged-state"))
        .await;

    let message = browser
        .wait_for_text(".sign-in-error", "Sign-in failed:")
        .await;
    assert!(
        message.contains("does not match a sign-in started here"),
        "{message}"
    );
    assert_eq!(
        browser.current_url().await,
        stack.url("/auth/callback"),
        "code and state removed"
    );
    assert!(!browser.exists(".top-bar").await);
    browser.screenshot("sign-in-failed").await;

    browser.click(".try-again").await;
    browser.wait_for("#username").await;
    browser.sign_in("reader@contoso.test").await;
    browser
        .wait_for_text(".top-bar .user-name", "Rita Reyes")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_user_without_a_portal_role_sees_access_denied() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("access-denied").await;
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser
        .wait_for("#username")
        .await
        .send_keys("norole@contoso.test")
        .await
        .unwrap();
    browser
        .wait_for("#password")
        .await
        .send_keys(e2e::PASSWORD)
        .await
        .unwrap();
    browser.click("#sign-in").await;

    browser
        .wait_for_text("[data-status=access-denied] h1", "Access denied")
        .await;
    assert!(
        browser
            .text("[data-status=access-denied]")
            .await
            .contains("Nestor Wilke")
    );
    browser.screenshot("access-denied").await;
    browser.click("[data-status=access-denied] .sign-out").await;
    browser.wait_for("[data-status=signed-out]").await;
    browser.close().await;
}

#[tokio::test]
async fn a_missing_or_broken_configuration_shows_a_clear_page() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("config-error").await;
    let config = stack.dir().join("dist/config.json");
    std::fs::write(&config, "{ \"authority\": ").unwrap();
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser
        .wait_for_text(
            "[data-status=config-error] h1",
            "The portal is not configured",
        )
        .await;
    assert!(
        browser
            .text(".status-detail")
            .await
            .contains("not a valid configuration")
    );
    browser.screenshot("broken").await;

    std::fs::remove_file(&config).unwrap();
    browser.client.refresh().await.unwrap();
    browser
        .wait_for_text(
            "[data-status=config-error] h1",
            "The portal is not configured",
        )
        .await;
    assert!(
        browser
            .text(".status-detail")
            .await
            .contains("/config.json")
    );
    browser.close().await;
}

#[tokio::test]
async fn the_memory_cache_keeps_no_token_in_session_storage() {
    let stack = Stack::start().await;
    let config = stack.dir().join("dist/config.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    json["cache_location"] = Value::from("memory");
    std::fs::write(&config, json.to_string()).unwrap();
    let browser = Browser::start("memory-cache").await;
    sign_in_at(&browser, &stack, "globalreader@contoso.test").await;
    browser
        .wait_for_text(".top-bar .user-name", "Grady Archie")
        .await;
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
    browser
        .wait_for_text(".top-bar .user-name", "Grady Archie")
        .await;
    wait_for_tokens_from_the_api(&browser).await;
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    browser.close().await;
}
