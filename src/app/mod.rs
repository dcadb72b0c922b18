//! The application: start-up and sign-in, then the portal frame around the routed page.

mod routes;
mod start;
pub mod status;

use leptos::prelude::*;

use token_wire::DEFAULT_PAGE_SIZE;

use crate::api::{http_api, provide_token_api, use_token_api};
use crate::auth::{Auth, current_path};
use crate::frame::Frame;
use crate::pages::{ApiTokensPage, NotFound, SettingsPage};
use crate::spawned::spawned;
use crate::tokens::Prefetched;
use crate::ui::Busy;
use routes::{Route, use_route};
use start::{Start, start};
use status::{AccessDenied, ConfigProblem, SignInFailed, SignedOut};

/// The application: sign-in first, then the portal frame around the routed page.
#[component]
pub fn App() -> impl IntoView {
    let start = spawned(start());
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

/// The signed-in portal; [`Auth`] and the API layer are in context from here down.
#[component]
fn Portal(auth: Auth) -> impl IntoView {
    provide_context(auth.clone());
    provide_token_api(http_api());
    let account = auth.account();
    // The API tokens screen's first answers are asked for now, before the frame is built.
    let may_call = account.with_untracked(|a| a.as_ref().is_some_and(|a| !a.roles.is_empty()));
    if may_call && routes::resolve(&current_path()).0 == Route::ApiTokens {
        Prefetched::provide(use_token_api(), DEFAULT_PAGE_SIZE);
    }
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
    let route = use_route();
    view! {
        <Frame>
            {move || match route.get() {
                Route::ApiTokens => view! {
                    <SettingsPage>
                        <ApiTokensPage />
                    </SettingsPage>
                }
                .into_any(),
                Route::NotFound => view! { <NotFound /> }.into_any(),
            }}
        </Frame>
    }
}
