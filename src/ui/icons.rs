//! Small inline SVG icons (no icon font, no emoji: they render the same everywhere).

use leptos::prelude::*;

/// "+".
#[component]
pub fn PlusIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <path fill="currentColor" d="M7 2h2v5h5v2H9v5H7V9H2V7h5z" />
        </svg>
    }
}

/// A key.
#[component]
pub fn KeyIcon(#[prop(optional)] large: bool) -> impl IntoView {
    view! {
        <svg class="icon" class:icon-large=large viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <path
                fill="currentColor"
                fill-rule="evenodd"
                d="M5 4.5a3.5 3.5 0 1 0 3.4 4.5H11v2h1.5V9H14v2h1.5V7H8.4A3.5 3.5 0 0 0 5 4.5zM5 6.7a1.3 1.3 0 1 1 0 2.6a1.3 1.3 0 1 1 0-2.6z"
            />
        </svg>
    }
}

/// Two sheets.
#[component]
pub fn CopyIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <path
                fill="currentColor"
                fill-rule="evenodd"
                d="M5 1h8a1 1 0 0 1 1 1v9h-1.5V2.5H5zM2 5a1 1 0 0 1 1-1h7a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1zm1.5.5v8h6v-8z"
            />
        </svg>
    }
}

/// A magnifier.
#[component]
pub fn SearchIcon() -> impl IntoView {
    view! {
        <svg class="icon search-icon" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
            <circle cx="6.5" cy="6.5" r="4.5" fill="none" stroke="currentColor" stroke-width="1.8" />
            <path d="M10 10l4.5 4.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
    }
}
