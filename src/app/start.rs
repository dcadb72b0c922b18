//! Start-up: load the configuration, take a sign-in answer, and sign in when nobody is.

use leptos::prelude::GetUntracked as _;

use crate::auth::{Auth, current_path};
use crate::config::RuntimeConfig;

/// Where the app stands once it has started.
#[derive(Clone)]
pub enum Start {
    SignedIn(Auth),
    SignedOut(Auth),
    Redirecting,
    ConfigFailed(String),
    SignInFailed(Auth, String),
}

/// Loads the configuration, handles a sign-in answer, and signs in when nobody is.
pub async fn start() -> Start {
    let config = match RuntimeConfig::load().await {
        Ok(config) => config,
        Err(e) => return Start::ConfigFailed(e.to_string()),
    };
    crate::early::remember_api_base_url(&config.api_base_url);
    let auth = Auth::new(config);
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    if auth.is_redirect(&href) {
        let answer = auth.handle_redirect(&href).await;
        let clean = match &answer {
            Ok(Some(return_to)) => return_to.clone(),
            _ => web_sys::Url::new(&href)
                .map(|u| u.pathname())
                .unwrap_or_default(),
        };
        replace_address(&clean);
        if let Err(e) = answer {
            return Start::SignInFailed(auth, e.to_string());
        }
    }
    if auth.account().get_untracked().is_some() {
        return Start::SignedIn(auth);
    }
    if auth.signed_out() {
        return Start::SignedOut(auth);
    }
    match auth.sign_in(&current_path(), None).await {
        Ok(()) => Start::Redirecting,
        Err(e) => Start::SignInFailed(auth, e.to_string()),
    }
}

/// Replaces the address without a navigation (drops `code` and `state`).
fn replace_address(path: &str) {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}
