//! Steps on the API tokens screen: open it, wait for its list, generate an API token, read a row.

use crate::{API_TOKENS_PATH, Browser, Running};

/// The CSS selector of the row of the API token named `name`.
pub fn row(name: &str) -> String {
    format!("[data-testid=token-row][data-token-name=\"{name}\"]")
}

/// The text of the cell `data-testid=id` in the row of the API token named `name`.
pub async fn cell(browser: &Browser, name: &str, id: &str) -> String {
    browser
        .text(&format!("{} [data-testid={id}]", row(name)))
        .await
}

/// A fresh browser signed in as `username` on the API tokens screen, its list loaded;
/// `shots` names its screenshot folder.
pub async fn open_as(stack: &Running, username: &str, shots: &str) -> Browser {
    let browser = Browser::start(shots).await;
    browser
        .open_signed_in(&stack.url(API_TOKENS_PATH), username)
        .await;
    wait_loaded(&browser).await;
    browser
}

/// Starts the stack (see [`crate::start_stack`]) and a browser signed in as `username` on its
/// API tokens screen (see [`open_as`]).
pub async fn start_as(username: &str, shots: &str) -> (Running, Browser) {
    let stack = crate::start_stack();
    let browser = open_as(&stack, username, shots).await;
    (stack, browser)
}

/// Reloads the page, waits for the row of the API token named `name` and returns its status.
pub async fn status_after_reload(browser: &Browser, name: &str) -> String {
    browser.client.refresh().await.unwrap();
    wait_loaded(browser).await;
    browser.wait_for(&row(name)).await;
    cell(browser, name, "token-status").await
}

/// Waits until the list (or its empty state) has loaded.
pub async fn wait_loaded(browser: &Browser) {
    browser
        .wait_for(
            "[data-testid=tokens-table] tbody, [data-testid=empty-state], [data-testid=no-matches]",
        )
        .await;
    browser
        .wait_gone("the list to load", "[data-testid=loading-state]")
        .await;
}

/// Waits until the screen has its data from the API (a list or the empty state), not an error.
pub async fn wait_for_tokens_from_the_api(browser: &Browser) {
    browser
        .wait_for("[data-testid=empty-state], .api-tokens table")
        .await;
    assert!(
        !browser.exists("[data-testid=error-state]").await,
        "{}",
        browser.text("body").await
    );
}

/// Generates an API token named `name` through the dialog and returns its value.
pub async fn generate(browser: &mut Browser, name: &str) -> String {
    browser.click("[data-testid=generate-button]").await;
    let input = browser.wait_for("[data-testid=token-name-input]").await;
    input.send_keys(name).await.unwrap();
    browser.screenshot("generate-name").await;
    browser.click("[data-testid=next-button]").await;
    let value = browser.wait_for("[data-testid=token-value]").await;
    let value = value.prop("value").await.unwrap().expect("a value");
    assert!(value.len() >= 30, "a long random value: {value}");
    assert!(
        browser
            .text("[data-testid=value-warning]")
            .await
            .contains("cannot be shown again")
    );
    assert!(
        browser
            .text("[data-testid=portal-url]")
            .await
            .starts_with("https://")
    );
    value
}

/// Closes the generate dialog and checks the value is gone from the page.
pub async fn close_generate(browser: &Browser, value: &str) {
    browser.click("[data-testid=done-button]").await;
    browser
        .wait_gone("the dialog to close", "[data-testid=generate-dialog]")
        .await;
    let html = browser.client.source().await.unwrap();
    assert!(
        !html.contains(value),
        "closing the dialog forgets the value"
    );
}

/// Generates an API token named `name`, closes the dialog (see [`close_generate`]) and returns
/// the value.
pub async fn generate_and_close(browser: &mut Browser, name: &str) -> String {
    let value = generate(browser, name).await;
    close_generate(browser, &value).await;
    value
}

/// Revokes the API token named `name` with its row's button and the confirmation dialog
/// (screenshot `revoke-confirm`), waits until the row is gone and returns the dialog's text.
pub async fn revoke(browser: &mut Browser, name: &str) -> String {
    browser
        .click(&format!("{} [data-testid=revoke-button]", row(name)))
        .await;
    let dialog = browser
        .wait_for_text("[data-testid=revoke-dialog]", name)
        .await;
    browser.screenshot("revoke-confirm").await;
    browser.click("[data-testid=confirm-revoke]").await;
    browser.wait_gone("the row to go", &row(name)).await;
    dialog
}
