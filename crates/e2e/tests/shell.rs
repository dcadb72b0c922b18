//! The built bundle renders in a real browser, served by the real server: the frame, the
//! routed API tokens screen, the not-found page and the page for a missing or broken
//! configuration.

use e2e::{API_TOKENS_PATH, Browser};

#[tokio::test]
async fn the_api_tokens_route_renders_in_the_portal_frame() {
    let (_stack, mut browser) =
        e2e::start_and_open("shell", API_TOKENS_PATH, "admin@contoso.test").await;

    browser.wait_for("[data-testid=api-tokens]").await;
    assert!(
        browser
            .text(".top-bar")
            .await
            .contains("Cloud Security Portal")
    );
    assert!(
        browser
            .text(".left-nav a[aria-current=page]")
            .await
            .contains("Settings")
    );
    assert!(browser.text("h1").await.contains("Settings"));
    assert!(browser.text(".tabs").await.contains("API tokens"));
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    browser.screenshot("api-tokens").await;

    browser.click(".help-button").await;
    browser.click(".about-item").await;
    let url = browser
        .wait_for_text(".portal-url", "portal.example.net")
        .await;
    assert_eq!(
        url,
        "https://11111111-1111-4111-8111-111111111111.eu.portal.example.net"
    );
    browser.screenshot("about").await;
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_route_shows_the_not_found_page() {
    let (_stack, mut browser) =
        e2e::start_and_open("not-found", "/no/such/page", "reader@contoso.test").await;
    browser
        .wait_for_text(".not-found h1", "Page not found")
        .await;
    browser.screenshot("not-found").await;
    browser.click(".not-found a").await;
    browser.wait_for("[data-testid=api-tokens]").await;
    browser.close().await;
}

#[tokio::test]
async fn a_missing_or_broken_configuration_shows_a_clear_page() {
    let (stack, mut browser) = e2e::start_with_browser("config-error").await;
    let config = stack
        .spa_dir()
        .expect("a copy of the SPA")
        .join("config.json");
    std::fs::write(&config, "{ \"authority\": ").unwrap();
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    shows_the_configuration_page(&browser, "not a valid configuration").await;
    browser.screenshot("broken").await;

    std::fs::remove_file(&config).unwrap();
    browser.client.refresh().await.unwrap();
    shows_the_configuration_page(&browser, "/config.json").await;
    browser.close().await;
}

/// Waits for the "not configured" page and checks that its detail mentions `detail`.
async fn shows_the_configuration_page(browser: &Browser, detail: &str) {
    browser
        .wait_for_text(
            "[data-status=config-error] h1",
            "The portal is not configured",
        )
        .await;
    let shown = browser.text(".status-detail").await;
    assert!(shown.contains(detail), "{shown}");
}
