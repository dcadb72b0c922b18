//! The error line a dialog shows when its action failed.

use leptos::prelude::*;

/// Shows `failure`'s message as an alert while it is set.
#[component]
pub fn ErrorBanner(failure: RwSignal<Option<String>>, test_id: &'static str) -> impl IntoView {
    move || {
        failure.get().map(|message| {
            view! {
                <div class="banner error" role="alert" data-testid=test_id>
                    <p class="banner-text">{message}</p>
                </div>
            }
        })
    }
}
