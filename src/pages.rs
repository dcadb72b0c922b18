//! Routed pages.

use leptos::prelude::*;

use crate::tokens::TokensScreen;

/// The settings page with its *Security extensions* section; the API tokens tab is its child.
#[component]
pub fn SettingsPage(children: Children) -> impl IntoView {
    view! {
        <div class="settings">
            <h1>"Settings"</h1>
            <section class="settings-section" aria-labelledby="security-extensions">
                <h2 id="security-extensions">"Security extensions"</h2>
                <p class="section-note">
                    "SIEM-connector and log-collector tokens are managed in their own sections and do not appear here."
                </p>
                <nav class="tabs" aria-label="Security extensions">
                    <a class="tab" href=crate::API_TOKENS_PATH aria-current="page">"API tokens"</a>
                </nav>
                {children()}
            </section>
        </div>
    }
}

/// The API tokens tab: the tokens screen over the API layer the portal provides.
#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! { <TokensScreen /> }
}

/// Shown for any path the router does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <div class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="button" href=crate::API_TOKENS_PATH>"Go to API tokens"</a>
        </div>
    }
}
