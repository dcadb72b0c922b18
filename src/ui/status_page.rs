//! Full-page states (loading, errors, sign-in): the product's top bar around a card, so the
//! page never looks blank.

use leptos::prelude::*;

use crate::frame::PRODUCT_NAME;

/// A page with only the product's top bar around `children`.
#[component]
pub fn StatusPage(
    /// The heading.
    #[prop(into)]
    title: String,
    /// Marks the page for tests and styles.
    #[prop(into, optional)]
    kind: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <header class="status-bar">
            <span class="product">{PRODUCT_NAME}</span>
        </header>
        <main id="main" class="status-page" data-status=kind>
            <div class="status-card" role="status">
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// While the app starts or leaves for the provider.
#[component]
pub fn Busy(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <StatusPage title=message kind="busy">
            <div class="spinner" aria-hidden="true"></div>
        </StatusPage>
    }
}
