//! A modal dialog: focus moves in and back, Tab stays inside, Escape closes.

use leptos::__reexports::send_wrapper::SendWrapper;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex=\"-1\"])";

/// A modal dialog labelled by its heading (`labelled_by` is the heading's id).
///
/// On open it focuses the element marked `data-autofocus` (else the first focusable one); on
/// close it gives focus back to the element that had it, else to `return_focus` (a CSS
/// selector: some browsers do not focus a clicked button), else to the element with id
/// `fallback_focus` (e.g. the screen's heading, when the button that opened the dialog is
/// gone).
#[component]
pub fn Modal(
    /// Id of the element that names the dialog.
    #[prop(into)]
    labelled_by: String,
    /// Id of the element that describes the dialog.
    #[prop(optional, into)]
    described_by: Option<String>,
    /// `data-testid` of the dialog.
    #[prop(into)]
    test_id: String,
    /// Asked to close (Escape).
    on_close: Callback<()>,
    /// Selector of the element to focus after closing.
    #[prop(optional, into)]
    return_focus: Option<String>,
    /// Id of the element to focus after closing when neither `return_focus` nor the opener
    /// is there any more.
    #[prop(into)]
    fallback_focus: String,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    let opener = SendWrapper::new(document().active_element());
    on_cleanup(move || restore_focus(return_focus.as_deref(), opener.take(), &fallback_focus));
    Effect::new(move || {
        if let Some(dialog) = dialog.get() {
            let target = dialog
                .query_selector("[data-autofocus]")
                .ok()
                .flatten()
                .or_else(|| focusables(&dialog).into_iter().next().map(Into::into));
            if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                let _ = target.focus();
            }
        }
    });

    let on_keydown = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            ev.stop_propagation();
            on_close.run(());
        }
        "Tab" => {
            let Some(dialog) = dialog.get_untracked() else {
                return;
            };
            let items = focusables(&dialog);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let active = document().active_element();
            let at = |el: &HtmlElement| {
                active
                    .as_ref()
                    .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
            };
            if ev.shift_key() && at(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && at(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };

    view! {
        <div class="modal-backdrop">
            <div
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                aria-describedby=described_by
                data-testid=test_id
                node_ref=dialog
                on:keydown=on_keydown
            >
                {children()}
            </div>
        </div>
    }
}

fn focusables(dialog: &web_sys::Element) -> Vec<HtmlElement> {
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect()
}

fn restore_focus(selector: Option<&str>, opener: Option<web_sys::Element>, fallback_id: &str) {
    let document = document();
    let body = document.body().map(web_sys::Element::from);
    let target = opener
        .filter(|el| el.is_connected() && Some(el) != body.as_ref())
        .or_else(|| selector.and_then(|s| document.query_selector(s).ok().flatten()))
        .or_else(|| document.get_element_by_id(fallback_id));
    if let Some(target) = target.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
        let _ = target.focus();
    }
}
