//! The SPA's sign-in session as it keeps it in sessionStorage.

use serde_json::Value;

use crate::Browser;

/// The cache entry of the signed-in account, if there is one.
pub async fn cached_tokens(browser: &Browser) -> Option<Value> {
    let script = r#"
        const active = sessionStorage.getItem("portal.auth.active");
        return active && sessionStorage.getItem("portal.auth.tokens." + active);
    "#;
    let value = browser.client.execute(script, vec![]).await.unwrap();
    value.as_str().map(|s| serde_json::from_str(s).unwrap())
}

/// Rewrites the cached entry with `edit` (to age or spoil the access token).
pub async fn edit_cached_tokens(browser: &Browser, edit: impl FnOnce(&mut Value)) {
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
