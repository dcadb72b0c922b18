//! Helpers for mounting components in the test page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Mounts `view` in a fresh container appended to `<body>` and returns the container.
/// The view stays mounted for the rest of the test run.
pub fn mount<F, N>(view: F) -> web_sys::Element
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let document = web_sys::window().unwrap().document().unwrap();
    let container = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone().unchecked_into(), view);
    handle.forget();
    container
}

/// Clicks an element as a person would.
pub fn click(element: &web_sys::Element) {
    element.unchecked_ref::<web_sys::HtmlElement>().click();
}

/// Lets the reactive system and pending futures run.
pub async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}
