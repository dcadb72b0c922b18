//! Signing in end to end: the built SPA, the real token API and the local OpenID provider's
//! real login page, in headless Chromium; who gets in, and a forged answer that does not.

use e2e::API_TOKENS_PATH;
use e2e::session::cached_tokens;
use e2e::tokens_screen::wait_for_tokens_from_the_api;

#[tokio::test]
async fn a_full_admin_signs_in_and_lands_on_the_deep_link() {
    let (stack, mut browser) = e2e::start_with_browser("sign-in-admin").await;
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
    let (_stack, mut browser) =
        e2e::start_signed_in("sign-in-reader", "reader@contoso.test", "Rita Reyes").await;
    assert_eq!(browser.text(".top-bar .user-role").await, "Security reader");
    assert!(browser.current_url().await.ends_with(API_TOKENS_PATH));
    wait_for_tokens_from_the_api(&browser).await;
    let before = cached_tokens(&browser).await.unwrap();

    browser.client.refresh().await.unwrap();
    browser.wait_for_user("Rita Reyes").await;
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
async fn a_tampered_state_is_refused_with_a_readable_message() {
    let (stack, mut browser) = e2e::start_at_login_page("tampered-state").await;
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
    browser.sign_in("reader@contoso.test").await;
    browser.wait_for_user("Rita Reyes").await;
    browser.close().await;
}

#[tokio::test]
async fn a_user_without_a_portal_role_sees_access_denied() {
    let (_stack, mut browser) = e2e::start_at_login_page("access-denied").await;
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
