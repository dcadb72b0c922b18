//! The calls `index.html` makes before the app starts (`window.portalEarly`): the API layer
//! takes an answer once, for the same `GET`, and only when it was asked with the access token
//! the app would send.

use std::rc::Rc;

use api_tokens_portal::api::{AccessTokenSource, ApiError, ApiFuture, HttpApi, TokenApi};
use api_tokens_portal::auth::cache::OAuthTokens;
use api_tokens_portal::early;
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

use crate::support::fake_api::reader;
use crate::support::fake_provider::oauth_tokens;

const BASE: &str = "http://127.0.0.1:9";

/// A sign-in layer that has no access token: any call the app sends itself fails.
struct NoAccessToken;

impl AccessTokenSource for NoAccessToken {
    fn access_token(&self) -> ApiFuture<String> {
        Box::pin(async { Err(ApiError::Unauthorized) })
    }
    fn renew_after_unauthorized(&self) -> ApiFuture<String> {
        Box::pin(async { Err(ApiError::Unauthorized) })
    }
}

fn tokens() -> OAuthTokens {
    oauth_tokens(js_sys::Date::now())
}

/// Leaves what `index.html` would: the answer to `GET /api/v1/me`, asked with `tokens`.
fn leave_early_me(tokens: &OAuthTokens) {
    let set = |o: &JsValue, k: &str, v: &JsValue| Reflect::set(o, &k.into(), v).unwrap();
    let answer = Object::new();
    set(&answer, "status", &200.into());
    set(&answer, "retry_after", &JsValue::NULL);
    let me = serde_json::to_string(&reader()).unwrap();
    set(&answer, "text", &me.into());
    let calls = Object::new();
    set(&calls, "/api/v1/me", &Promise::resolve(&answer));
    let early = Object::new();
    set(&early, "calls", &calls);
    set(&early, "base", &BASE.into());
    set(&early, "account", &tokens.claims.account_key().into());
    set(
        &early,
        "expires_at_ms",
        &(tokens.expires_at_ms as f64).into(),
    );
    set(&web_sys::window().unwrap(), "portalEarly", &early);
}

#[wasm_bindgen_test]
async fn an_early_answer_asked_with_the_same_token_is_taken_once() {
    let tokens = tokens();
    leave_early_me(&tokens);
    early::keep_calls_made_with(BASE, Some(&tokens), js_sys::Date::now());
    let api = HttpApi::new(BASE, Rc::new(NoAccessToken));
    assert_eq!(api.me().await.unwrap(), reader());
    assert_eq!(
        api.me().await.unwrap_err(),
        ApiError::Unauthorized,
        "the second call is the app's own"
    );
}

#[wasm_bindgen_test]
async fn early_answers_asked_with_another_token_are_dropped() {
    let tokens = tokens();
    leave_early_me(&tokens);
    let mut renewed = tokens.clone();
    renewed.expires_at_ms += 1;
    early::keep_calls_made_with(BASE, Some(&renewed), js_sys::Date::now());
    let api = HttpApi::new(BASE, Rc::new(NoAccessToken));
    assert_eq!(api.me().await.unwrap_err(), ApiError::Unauthorized);

    leave_early_me(&tokens);
    early::keep_calls_made_with(BASE, None, js_sys::Date::now());
    assert_eq!(
        api.me().await.unwrap_err(),
        ApiError::Unauthorized,
        "nobody signed in"
    );

    leave_early_me(&tokens);
    early::keep_calls_made_with(
        "https://api.example.net",
        Some(&tokens),
        js_sys::Date::now(),
    );
    assert_eq!(
        api.me().await.unwrap_err(),
        ApiError::Unauthorized,
        "asked at another API base URL"
    );
}
