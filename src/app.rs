use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::frame::Frame;
use crate::pages::{ApiTokensPage, NotFound, SettingsPage};

/// The application: the portal frame around the routed page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Frame>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Redirect path=crate::API_TOKENS_PATH /> } />
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
