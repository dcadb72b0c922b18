//! Calls the page made before the app started. While the app downloads, `index.html` reads
//! `/config.json` and, when this tab holds a fresh access token and the address is the API
//! tokens screen, asks for that screen's first answers with it, at the API base URL the app
//! remembered in this tab ([`remember_api_base_url`]); it leaves them in `window.portalEarly`.
//!
//! The app takes each answer once: the configuration's text, and an API answer only as the
//! first attempt of the same `GET` (same path), and only while the token and the base URL
//! the page used are the ones the app would use. Anything else is dropped and asked for again.

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::auth::cache::OAuthTokens;
use crate::auth::session_store::SessionStore;
use crate::fetch::Answer;

/// Where the API base URL of this tab's configuration is remembered for the page.
const API_BASE_URL_KEY: &str = "portal.api_base_url";

/// Remembers `api_base_url` (the configuration's) for the next load of the page in this tab.
pub fn remember_api_base_url(api_base_url: &str) {
    if SessionStore::SessionStorage
        .get(API_BASE_URL_KEY)
        .as_deref()
        != Some(api_base_url)
    {
        SessionStore::SessionStorage.set(API_BASE_URL_KEY, api_base_url);
    }
}

/// What `index.html` left: `{ config, base?, account?, expires_at_ms?, calls }`, where `calls`
/// maps a path to the promise of a whole answer, `{ status, retry_after, text }` (read before
/// the app starts, so that taking it costs the app no task of its own).
fn early() -> Option<Object> {
    let window: JsValue = web_sys::window()?.into();
    let value = Reflect::get(&window, &"portalEarly".into()).ok()?;
    value.dyn_into().ok()
}

fn take(object: &JsValue, key: &str) -> Option<Promise> {
    let value = Reflect::get(object, &key.into()).ok()?;
    let _ = Reflect::delete_property(object.unchecked_ref::<Object>(), &key.into());
    value.dyn_into().ok()
}

/// The text of `/config.json` as the page read it, once; `None` when it has none or its read
/// failed (the app then reads the file itself and reports why it cannot).
pub async fn config_text() -> Option<String> {
    let promise = take(&early()?.into(), "config")?;
    JsFuture::from(promise).await.ok()?.as_string()
}

/// Keeps the page's API calls only if they were sent to `api_base_url` with `tokens`' access
/// token while it was fresh, as the app would send them now; drops them otherwise.
pub fn keep_calls_made_with(api_base_url: &str, tokens: Option<&OAuthTokens>, now_ms: f64) {
    let Some(early) = early() else { return };
    let field = |key: &str| Reflect::get(&early, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let same = tokens.is_some_and(|t| {
        t.is_fresh(now_ms)
            && field("base").as_string().as_deref() == Some(api_base_url)
            && field("account").as_string() == Some(t.claims.account_key())
            && field("expires_at_ms").as_f64() == Some(t.expires_at_ms as f64)
    });
    if !same {
        let _ = Reflect::delete_property(&early, &"calls".into());
    }
}

/// The page's answer to `GET path`, once; `None` when there is none or it did not come.
pub async fn answer(path: &str) -> Option<Answer> {
    let calls = Reflect::get(&early()?.into(), &"calls".into()).ok()?;
    if !calls.is_object() {
        return None;
    }
    let answer = JsFuture::from(take(&calls, path)?).await.ok()?;
    let field = |key: &str| Reflect::get(&answer, &key.into()).ok();
    Some(Answer {
        status: field("status")?.as_f64()? as u16,
        retry_after: field("retry_after")?.as_string(),
        text: field("text")?.as_string()?,
    })
}
