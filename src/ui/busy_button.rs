//! A dialog's main action button, which says when its request is under way.

use leptos::prelude::*;

/// A button disabled and `aria-busy` while `pending`, its label then `busy_label`. Without
/// `on_click` it is the form's submit button.
#[component]
pub fn BusyButton(
    /// Its classes, e.g. `"button primary"`.
    class: &'static str,
    /// `data-testid` of the button.
    test_id: &'static str,
    /// Whether its request is under way.
    pending: RwSignal<bool>,
    label: &'static str,
    busy_label: &'static str,
    /// Run on click; `None` makes it a submit button.
    #[prop(optional)]
    on_click: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <button
            type=if on_click.is_some() { "button" } else { "submit" }
            class=class
            data-testid=test_id
            disabled=move || pending.get()
            aria-busy=move || pending.get().to_string()
            on:click=move |_| {
                if let Some(on_click) = on_click {
                    on_click.run(());
                }
            }
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}
