//! Generating an API token end to end, then using it: the built SPA in headless Chromium, the
//! real token API and the local OpenID provider. Each scenario of issue 5 saves a screenshot
//! per step under `E2E_ARTIFACTS/<scenario>/`.

use e2e::fantoccini::Locator;
use e2e::token_api::{close_alert, list_alerts};
use e2e::tokens_screen::{
    cell, close_generate, generate, row, start_as, status_after_reload, wait_loaded,
};
use e2e::{API_TOKENS_PATH, Browser};

#[tokio::test]
async fn a_reader_generates_copies_and_uses_a_read_only_token() {
    let (stack, mut browser) = start_as("reader@contoso.test", "tokens-1-2-reader").await;
    browser.screenshot("signed-in").await;
    assert!(
        !browser.exists("[data-testid=owner-filter]").await,
        "no owner filter for a reader"
    );

    // 1. Generate, copy, see it as Generated and read-only.
    let value = generate(&mut browser, "reader export").await;
    browser.click("[data-testid=copy-button]").await;
    let copied = browser
        .wait_for_text("[data-testid=copy-status]", "Copied")
        .await;
    assert!(copied.contains("Copied"));
    let pasted: serde_json::Value = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.clipboard.readText().then(done, () => done(null));",
            vec![],
        )
        .await
        .unwrap();
    if let Some(pasted) = pasted.as_str() {
        assert_eq!(pasted, value, "the clipboard holds the value");
    }
    browser.screenshot("value-copied").await;
    close_generate(&browser, &value).await;
    browser.wait_for(&row("reader export")).await;
    assert_eq!(
        cell(&browser, "reader export", "token-status").await,
        "Generated"
    );
    assert_eq!(
        cell(&browser, "reader export", "token-privileges").await,
        "Read-only"
    );
    assert_eq!(
        cell(&browser, "reader export", "token-last-used").await,
        "Never"
    );
    browser.screenshot("generated-row").await;

    // 2. Use it: reading works; after a reload the row is Active with a last-used time.
    let (status, alerts) = list_alerts(&stack, &value).await;
    assert_eq!(status, 200, "{alerts}");
    assert_eq!(
        status_after_reload(&browser, "reader export").await,
        "Active"
    );
    let last_used = browser
        .wait_for(&format!(
            "{} [data-testid=token-last-used] time",
            row("reader export")
        ))
        .await;
    let exact = last_used
        .attr("title")
        .await
        .unwrap()
        .expect("exact time on hover");
    assert!(exact.contains('T') && exact.ends_with('Z'), "{exact}");
    assert_ne!(last_used.text().await.unwrap(), "Never");
    browser.screenshot("active-after-use").await;

    // …and closing an alert, a write, is refused to a read-only token.
    let id = alerts["items"][0]["id"]
        .as_str()
        .expect("a seeded alert")
        .to_string();
    assert_eq!(close_alert(&stack, &value, &id).await, 403);
    browser.close().await;
}

#[tokio::test]
async fn the_screen_works_in_a_360_px_window() {
    let stack = e2e::start_stack();
    let mut browser = Browser::start_sized("tokens-narrow", 360, 740).await;
    browser
        .open_signed_in(&stack.url(API_TOKENS_PATH), "operator@contoso.test")
        .await;
    wait_loaded(&browser).await;
    browser.screenshot("empty").await;
    let value = generate(&mut browser, "narrow").await;
    browser.screenshot("value").await;
    close_generate(&browser, &value).await;
    browser.wait_for(&row("narrow")).await;
    let widths: serde_json::Value = browser
        .client
        .execute(
            "return [window.innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(widths[0], 360, "a 360 px wide viewport");
    assert!(
        widths[1].as_u64().unwrap() <= 360,
        "no horizontal scrolling of the page: {widths}"
    );
    let revoke = browser
        .client
        .find(Locator::Css("[data-testid=revoke-button]"))
        .await
        .unwrap();
    assert!(revoke.is_displayed().await.unwrap());
    browser.screenshot("card").await;
    browser.close().await;
}
