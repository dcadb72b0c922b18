use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::auth::views::{AccessDenied, Busy, ConfigProblem, SignInFailed, SignedOut};
use crate::auth::{Auth, current_path};
use crate::config::RuntimeConfig;
use crate::frame::Frame;
use crate::pages::{ApiTokensPage, NotFound, SettingsPage};

/// Where the app stands once it has started.
#[derive(Clone)]
enum Start {
    SignedIn(Auth),
    SignedOut(Auth),
    Redirecting,
    ConfigFailed(String),
    SignInFailed(Auth, String),
}

/// Loads the configuration, handles a sign-in answer, and signs in when nobody is.
async fn start() -> Start {
    let config = match RuntimeConfig::load().await {
        Ok(config) => config,
        Err(e) => return Start::ConfigFailed(e.to_string()),
    };
    let auth = Auth::new(config);
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    if auth.is_redirect(&href) {
        let answer = auth.handle_redirect(&href).await;
        let clean = match &answer {
            Ok(Some(return_to)) => return_to.clone(),
            _ => oauth2::url::Url::parse(&href)
                .map(|u| u.path().to_string())
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

/// The application: sign-in first, then the portal frame around the routed page.
#[component]
pub fn App() -> impl IntoView {
    let start = LocalResource::new(start);
    move || match start.get() {
        None => view! { <Busy message="Signing in…" /> }.into_any(),
        Some(Start::Redirecting) => view! { <Busy message="Redirecting to sign-in…" /> }.into_any(),
        Some(Start::ConfigFailed(message)) => view! { <ConfigProblem message /> }.into_any(),
        Some(Start::SignInFailed(auth, message)) => {
            view! { <SignInFailed auth message /> }.into_any()
        }
        Some(Start::SignedOut(auth)) => view! { <SignedOut auth /> }.into_any(),
        Some(Start::SignedIn(auth)) => view! { <Portal auth /> }.into_any(),
    }
}

/// The signed-in portal; [`Auth`] is in context from here down.
#[component]
fn Portal(auth: Auth) -> impl IntoView {
    provide_context(auth.clone());
    let account = auth.account();
    let has_role = Memo::new(move |_| account.with(|a| a.as_ref().map(|a| !a.roles.is_empty())));
    move || match has_role.get() {
        Some(true) => view! { <Routed /> }.into_any(),
        Some(false) => view! { <AccessDenied auth=auth.clone() /> }.into_any(),
        None => view! { <Busy message="Signing out…" /> }.into_any(),
    }
}

/// The portal frame around the routed page.
#[component]
fn Routed() -> impl IntoView {
    view! {
        <Router>
            <Frame>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path=crate::API_TOKENS_PATH /> } />
                    <Route path=path!("/auth/callback") view=|| view! { <Redirect path=crate::API_TOKENS_PATH /> } />
                    <Route path=path!("/settings") view=|| view! { <Redirect path=crate::API_TOKENS_PATH /> } />
                    <Route path=path!("/settings/security-extensions") view=|| view! { <Redirect path=crate::API_TOKENS_PATH /> } />
                    <Route path=path!("/settings/security-extensions/api-tokens") view=|| view! {
                        <SettingsPage>
                            <ApiTokensPage />
                        </SettingsPage>
                    } />
                </Routes>
            </Frame>
        </Router>
    }
}
