//! The full-page states of start-up and sign-in: configuration error, sign-in failure,
//! signed out and access denied (loading is [`Busy`](crate::ui::Busy)).

use leptos::prelude::*;

use crate::auth::Auth;
use crate::ui::StatusPage;

/// `/config.json` is missing or broken.
#[component]
pub fn ConfigProblem(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <StatusPage title="The portal is not configured" kind="config-error">
            <p class="status-detail">{message}</p>
            <p>"Ask the portal's administrator to check the deployment's config.json."</p>
            <button class="button primary" on:click=|_| reload()>"Reload"</button>
        </StatusPage>
    }
}

/// Starts an interactive sign-in towards the API tokens screen; `failed` gets its error.
fn sign_in(auth: &Auth, failed: RwSignal<Option<String>, LocalStorage>) {
    let auth = auth.clone();
    leptos::task::spawn_local(async move {
        if let Err(e) = auth.sign_in(crate::API_TOKENS_PATH, None).await {
            failed.try_set(Some(e.to_string()));
        }
    });
}

/// The sign-in answer was refused; "Try again" starts a new sign-in.
#[component]
pub fn SignInFailed(auth: Auth, #[prop(into)] message: String) -> impl IntoView {
    let failed = RwSignal::new_local(None::<String>);
    view! {
        <StatusPage title="Sign-in failed" kind="sign-in-failed">
            <p class="status-detail sign-in-error">"Sign-in failed: " {message}</p>
            {move || failed.get().map(|e| view! { <p class="status-detail">{e}</p> })}
            <button class="button primary try-again" on:click=move |_| sign_in(&auth, failed)>
                "Try again"
            </button>
        </StatusPage>
    }
}

/// The user signed out in this tab.
#[component]
pub fn SignedOut(auth: Auth) -> impl IntoView {
    let failed = RwSignal::new_local(None::<String>);
    view! {
        <StatusPage title="You have signed out" kind="signed-out">
            {move || failed.get().map(|e| view! { <p class="status-detail">"Sign-in failed: " {e}</p> })}
            <button class="button primary sign-in" on:click=move |_| sign_in(&auth, failed)>
                "Sign in"
            </button>
        </StatusPage>
    }
}

/// A signed-in user without any portal role.
#[component]
pub fn AccessDenied(auth: Auth) -> impl IntoView {
    let account = auth.account();
    let who = move || {
        account
            .with(|a| a.as_ref().map(|a| format!("{} ({})", a.name, a.username)))
            .unwrap_or_default()
    };
    view! {
        <StatusPage title="Access denied" kind="access-denied">
            <p>"You are signed in as " <strong class="user-name">{who}</strong> "."</p>
            <p>
                "Your account has none of the directory roles that give access to this portal. "
                "Ask an administrator for a role, then sign in again."
            </p>
            <button class="button primary sign-out" on:click=move |_| auth.sign_out()>"Sign out"</button>
        </StatusPage>
    }
}

fn reload() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}
