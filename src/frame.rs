//! The portal frame: top bar, help menu and left navigation, and the frame's state (who
//! `/api/v1/me` says is signed in).

use leptos::prelude::*;
use token_wire::Me;

use crate::auth::{Account, Auth};

/// Product name shown in the top bar and the document title.
pub const PRODUCT_NAME: &str = "Cloud Security Portal";

/// Top bar and left navigation around the routed page.
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    provide_me();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top-bar">
            <span class="product">{PRODUCT_NAME}</span>
            <div class="top-bar-end">
                <HelpMenu portal_url=portal_url() />
                {use_context::<Auth>().map(|auth| {
                    let account = auth.account();
                    let on_sign_out = Callback::new(move |()| auth.sign_out());
                    view! { <UserMenu account on_sign_out /> }
                })}
            </div>
        </header>
        <div class="body">
            <LeftNav />
            <main id="main" class="content" tabindex="-1">
                {children()}
            </main>
        </div>
    }
}

/// Who is signed in, with their portal roles, and the *Sign out* button.
#[component]
pub fn UserMenu(
    /// The signed-in account.
    #[prop(into)]
    account: Signal<Option<Account>>,
    /// Called when the user asks to sign out.
    #[prop(into)]
    on_sign_out: Callback<()>,
) -> impl IntoView {
    let name = move || account.with(|a| a.as_ref().map(|a| a.name.clone()));
    let username = move || account.with(|a| a.as_ref().map(|a| a.username.clone()));
    let roles = move || {
        account.with(|a| {
            a.as_ref().map(|a| {
                a.roles
                    .iter()
                    .map(|r| r.display_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        })
    };
    view! {
        {move || account.with(Option::is_some).then(|| view! {
            <div class="user" data-testid="user" title=username>
                <span class="user-name">{name}</span>
                <span class="user-role">{roles}</span>
            </div>
            <button class="button sign-out" on:click=move |_| on_sign_out.run(())>"Sign out"</button>
        })}
    }
}

/// The left navigation.
#[component]
pub fn LeftNav() -> impl IntoView {
    view! {
        <nav class="left-nav" aria-label="Portal">
            <ul>
                <li>
                    <a href=crate::API_TOKENS_PATH aria-current="page">
                        <span class="nav-icon" aria-hidden="true">"⚙"</span>
                        "Settings"
                    </a>
                </li>
            </ul>
        </nav>
    }
}

/// The "?" menu in the top bar, with *About*, which shows the tenant's custom portal URL.
#[component]
pub fn HelpMenu(
    /// The tenant's custom portal URL, once known.
    #[prop(into)]
    portal_url: Signal<Option<String>>,
) -> impl IntoView {
    let (open, set_open) = signal(false);
    let (about, set_about) = signal(false);
    view! {
        <div class="menu">
            <button
                class="icon-button help-button"
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-label="Help"
                on:click=move |_| set_open.update(|o| *o = !*o)
            >
                "?"
            </button>
            {move || open.get().then(|| view! {
                <div class="menu-list" role="menu">
                    <button
                        role="menuitem"
                        class="menu-item about-item"
                        on:click=move |_| {
                            set_open.set(false);
                            set_about.set(true);
                        }
                    >
                        "About"
                    </button>
                </div>
            })}
            {move || about.get().then(|| view! {
                <div class="about-panel" role="dialog" aria-label="About">
                    <h2>"About " {PRODUCT_NAME}</h2>
                    <p>
                        "Your portal URL: "
                        <span class="portal-url">
                            {move || portal_url.get().unwrap_or_else(|| "not known until you sign in".into())}
                        </span>
                    </p>
                    <button class="button" on:click=move |_| set_about.set(false)>"Close"</button>
                </div>
            })}
        </div>
    }
}

/// The signed-in user as `/api/v1/me` describes them, shared with the frame (the "?" menu's
/// *About* shows `portal_url`). Provide it above the frame with [`provide_me`]; the API tokens
/// screen fills it in.
#[derive(Clone, Copy)]
pub struct MeContext(pub RwSignal<Option<Me>>);

/// Provides an empty [`MeContext`] and returns it.
pub fn provide_me() -> MeContext {
    let me = MeContext(RwSignal::new(None));
    provide_context(me);
    me
}

/// The tenant's custom portal URL, once `/api/v1/me` has answered; `None` without [`provide_me`].
pub fn portal_url() -> Signal<Option<String>> {
    let me = use_context::<MeContext>();
    Signal::derive(move || me.and_then(|m| m.0.get()).map(|me| me.portal_url))
}
