//! The built bundle renders in a real browser: the frame, the routed API tokens screen and the
//! not-found page, served by the real server.

use e2e::{API_TOKENS_PATH, Browser, Stack};

/// Opens `path`; signs in as `username` if the provider's login page shows up first.
async fn open_signed_in(browser: &Browser, url: &str, username: &str) {
    browser.goto(url).await;
    browser.wait_for(".top-bar, #username").await;
    if browser.exists("#username").await {
        browser.sign_in(username).await;
    }
}

#[tokio::test]
async fn the_api_tokens_route_renders_in_the_portal_frame() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("shell").await;
    open_signed_in(&browser, &stack.url(API_TOKENS_PATH), "admin@contoso.test").await;

    browser.wait_for("[data-testid=api-tokens]").await;
    assert!(browser.text(".top-bar").await.contains("Cloud Security Portal"));
    assert!(browser.text(".left-nav a[aria-current=page]").await.contains("Settings"));
    assert!(browser.text("h1").await.contains("Settings"));
    assert!(browser.text(".tabs").await.contains("API tokens"));
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    browser.screenshot("api-tokens").await;

    browser.click(".help-button").await;
    browser.click(".about-item").await;
    let url = browser.wait_for_text(".portal-url", "portal.example.net").await;
    assert_eq!(url, "https://11111111-1111-4111-8111-111111111111.eu.portal.example.net");
    browser.screenshot("about").await;
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_route_shows_the_not_found_page() {
    let stack = Stack::start().await;
    let mut browser = Browser::start("not-found").await;
    open_signed_in(&browser, &stack.url("/no/such/page"), "reader@contoso.test").await;
    browser.wait_for_text(".not-found h1", "Page not found").await;
    browser.screenshot("not-found").await;
    browser.click(".not-found a").await;
    browser.wait_for("[data-testid=api-tokens]").await;
    browser.close().await;
}
