//! The API tokens screens end to end: the built SPA in headless Chromium, the real token API
//! and the local OpenID provider. Each scenario of issue 5 saves a screenshot per step under
//! `E2E_ARTIFACTS/<scenario>/`.

use std::time::Duration;

use e2e::fantoccini::Locator;
use e2e::{API_TOKENS_PATH, Browser, Stack, WAIT};

const CONTOSO: &str = "11111111-1111-4111-8111-111111111111";
const DEPROVISIONED_OID: &str = "c0000000-0000-4000-8000-000000000009";

fn row(name: &str) -> String {
    format!("[data-testid=token-row][data-token-name=\"{name}\"]")
}

/// A fresh browser signed in as `username` on the API tokens screen, its list loaded.
async fn open_as(stack: &Stack, username: &str, shots: &str) -> Browser {
    let browser = Browser::start(shots).await;
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser.wait_for(".top-bar, #username").await;
    if browser.exists("#username").await {
        browser.sign_in(username).await;
    }
    wait_loaded(&browser).await;
    browser
}

/// Waits until the list (or its empty state) has loaded.
async fn wait_loaded(browser: &Browser) {
    browser
        .wait_for(
            "[data-testid=tokens-table] tbody, [data-testid=empty-state], [data-testid=no-matches]",
        )
        .await;
    wait_until(browser, "the list to load", async |b| {
        !b.exists("[data-testid=loading-state]").await
    })
    .await;
}

/// Polls `check` until it holds, for at most [`WAIT`].
async fn wait_until(browser: &Browser, what: &str, check: impl AsyncFn(&Browser) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check(browser).await {
        if tokio::time::Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}; page text: {}",
                browser.text("body").await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Generates a token named `name` through the dialog and returns its value.
async fn generate(browser: &mut Browser, name: &str) -> String {
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
async fn close_generate(browser: &Browser, value: &str) {
    browser.click("[data-testid=done-button]").await;
    wait_until(browser, "the dialog to close", async |b| {
        !b.exists("[data-testid=generate-dialog]").await
    })
    .await;
    let html = browser.client.source().await.unwrap();
    assert!(
        !html.contains(value),
        "closing the dialog forgets the value"
    );
}

/// `GET /api/v1/alerts/` with `Authorization: Token <value>`; the status and the body.
async fn list_alerts(stack: &Stack, value: &str) -> (u16, serde_json::Value) {
    let answer = reqwest::Client::new()
        .get(stack.url("/api/v1/alerts/"))
        .header("Authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}

/// `POST /api/v1/alerts/{id}/close` with the token; the status.
async fn close_alert(stack: &Stack, value: &str, id: &str) -> u16 {
    reqwest::Client::new()
        .post(stack.url(&format!("/api/v1/alerts/{id}/close")))
        .header("Authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn cell(browser: &Browser, name: &str, id: &str) -> String {
    browser
        .text(&format!("{} [data-testid={id}]", row(name)))
        .await
}

#[tokio::test]
async fn a_reader_generates_copies_and_uses_a_read_only_token() {
    let stack = Stack::start().await;
    let mut browser = open_as(&stack, "reader@contoso.test", "tokens-1-2-reader").await;
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
    browser.client.refresh().await.unwrap();
    wait_loaded(&browser).await;
    browser.wait_for(&row("reader export")).await;
    assert_eq!(
        cell(&browser, "reader export", "token-status").await,
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
async fn a_full_admin_filters_and_revokes_a_readers_token() {
    let stack = Stack::start().await;
    let mut reader = open_as(&stack, "reader@contoso.test", "tokens-3-reader").await;
    let reader_value = generate(&mut reader, "reader script").await;
    close_generate(&reader, &reader_value).await;
    assert_eq!(list_alerts(&stack, &reader_value).await.0, 200);

    let mut admin = open_as(&stack, "admin@contoso.test", "tokens-3-admin").await;
    let admin_value = generate(&mut admin, "admin automation").await;
    close_generate(&admin, &admin_value).await;
    admin.client.refresh().await.unwrap();
    wait_loaded(&admin).await;
    admin.wait_for(&row("reader script")).await;
    admin.wait_for(&row("admin automation")).await;
    assert!(
        cell(&admin, "reader script", "token-owner")
            .await
            .contains("Rita Reyes")
    );
    assert!(
        cell(&admin, "admin automation", "token-owner")
            .await
            .contains("(you)")
    );
    admin.wait_for_text("[data-testid=count-all]", "2").await;
    admin.wait_for_text("[data-testid=count-active]", "1").await;
    admin
        .wait_for_text("[data-testid=count-generated]", "1")
        .await;
    admin.screenshot("both-tokens").await;

    // Status filter.
    admin.click("[data-testid=status-filter-active]").await;
    wait_until(&admin, "the Active filter", async |b| {
        !b.exists(&row("admin automation")).await
    })
    .await;
    admin.wait_for(&row("reader script")).await;
    admin.screenshot("status-active").await;
    admin.click("[data-testid=status-filter-all]").await;
    admin.wait_for(&row("admin automation")).await;

    // Owner filter.
    let owner = admin.wait_for("[data-testid=owner-filter]").await;
    owner.select_by_label("Rita Reyes").await.unwrap();
    wait_until(&admin, "the owner filter", async |b| {
        !b.exists(&row("admin automation")).await
    })
    .await;
    admin.wait_for(&row("reader script")).await;
    admin.screenshot("owner-reader").await;

    // Revoke the reader's token.
    admin
        .click(&format!(
            "{} [data-testid=revoke-button]",
            row("reader script")
        ))
        .await;
    let dialog = admin
        .wait_for_text("[data-testid=revoke-dialog]", "reader script")
        .await;
    assert!(dialog.contains("fail"), "{dialog}");
    admin.screenshot("revoke-confirm").await;
    admin.click("[data-testid=confirm-revoke]").await;
    wait_until(&admin, "the row to go", async |b| {
        !b.exists(&row("reader script")).await
    })
    .await;
    admin.screenshot("revoked").await;

    reader.client.refresh().await.unwrap();
    wait_loaded(&reader).await;
    assert!(
        !reader.exists(&row("reader script")).await,
        "the reader no longer sees it"
    );
    reader.screenshot("reader-after-revoke").await;
    assert_eq!(
        list_alerts(&stack, &reader_value).await.0,
        401,
        "a revoked value is refused"
    );
    assert_eq!(list_alerts(&stack, &admin_value).await.0, 200);
    admin.close().await;
    reader.close().await;
}

#[tokio::test]
async fn another_tenant_sees_none_of_the_first_tenants_tokens() {
    let stack = Stack::start().await;
    let mut admin = open_as(&stack, "admin@contoso.test", "tokens-4-contoso").await;
    let value = generate(&mut admin, "contoso only").await;
    close_generate(&admin, &value).await;
    admin.screenshot("contoso-token").await;

    let mut other = open_as(&stack, "admin@fabrikam.test", "tokens-4-fabrikam").await;
    other.wait_for("[data-testid=empty-state]").await;
    assert!(!other.exists(&row("contoso only")).await);
    other.wait_for_text("[data-testid=count-all]", "0").await;
    other.screenshot("fabrikam-empty").await;
    admin.close().await;
    other.close().await;
}

#[tokio::test]
async fn a_deprovisioned_users_token_stays_listed_and_is_refused() {
    let stack = Stack::start().await;
    let mut user = open_as(&stack, "deprovisioned@contoso.test", "tokens-5-user").await;
    let value = generate(&mut user, "leaver job").await;
    close_generate(&user, &value).await;
    user.screenshot("before-deprovisioning").await;
    user.close().await;

    let out = stack
        .token_api(&[
            "users",
            "deprovision",
            "--tenant",
            CONTOSO,
            "--user",
            DEPROVISIONED_OID,
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut admin = open_as(&stack, "admin@contoso.test", "tokens-5-admin").await;
    admin.wait_for(&row("leaver job")).await;
    assert!(
        cell(&admin, "leaver job", "token-owner")
            .await
            .contains("Debra Berger")
    );
    admin.screenshot("still-listed").await;
    let (status, body) = list_alerts(&stack, &value).await;
    assert_eq!(status, 403, "{body}");
    admin.close().await;
}

#[tokio::test]
async fn the_screen_works_in_a_360_px_window() {
    let stack = Stack::start().await;
    let mut browser = Browser::start_sized("tokens-narrow", 360, 740).await;
    browser.goto(&stack.url(API_TOKENS_PATH)).await;
    browser.wait_for(".top-bar, #username").await;
    if browser.exists("#username").await {
        browser.sign_in("operator@contoso.test").await;
    }
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

#[tokio::test]
async fn a_refused_access_token_is_renewed_silently() {
    let stack = Stack::start().await;
    let mut browser = open_as(&stack, "operator@contoso.test", "tokens-401-renewal").await;
    let value = generate(&mut browser, "kept across renewal").await;
    close_generate(&browser, &value).await;

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
