//! Helpers for the test page (mounting components, acting as a person, reading the DOM), the
//! fake API layer and the fake OpenID provider.

pub mod fake_api;
pub mod fake_provider;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Mounts `view` in a fresh container appended to `<body>` and returns the container.
/// The view stays mounted for the rest of the test run.
pub fn mount<F, N>(view: F) -> web_sys::Element
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let document = document();
    let container = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone().unchecked_into(), view);
    handle.forget();
    container
}

/// The page's document.
pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Clicks an element as a person would.
pub fn click(element: &web_sys::Element) {
    element.unchecked_ref::<web_sys::HtmlElement>().click();
}

/// Clicks an element as a person would, then lets the screen settle (see [`settle`]).
pub async fn click_and_settle(element: &web_sys::Element) {
    click(element);
    settle().await;
}

/// Lets the reactive system and pending futures run.
pub async fn tick() {
    sleep(0).await;
}

/// A view mounted for one test; dropping it unmounts the view and removes its container.
pub struct Mounted {
    pub root: web_sys::Element,
    handle: Option<Box<dyn std::any::Any>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        drop(self.handle.take());
        self.root.remove();
    }
}

/// Like [`mount`], but the view is unmounted when the returned value is dropped.
pub fn mount_scoped<F, N>(view: F) -> Mounted
where
    F: FnOnce() -> N + 'static,
    N: IntoView + 'static,
{
    let document = document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone().unchecked_into(), view);
    Mounted {
        root,
        handle: Some(Box::new(handle)),
    }
}

/// Waits `ms` milliseconds (timers, debounced input).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Lets several rounds of effects and futures run.
pub async fn settle() {
    for _ in 0..5 {
        tick().await;
    }
}

/// Types `value` into an input as a person would (sets it and fires `input`).
pub fn type_into(element: &web_sys::Element, value: &str) {
    element
        .unchecked_ref::<web_sys::HtmlInputElement>()
        .set_value(value);
    fire(element, "input");
}

/// Chooses `value` in a `<select>` (sets it and fires `change`).
pub fn choose(element: &web_sys::Element, value: &str) {
    element
        .unchecked_ref::<web_sys::HtmlSelectElement>()
        .set_value(value);
    fire(element, "change");
}

/// Fires a bubbling event of type `kind`.
pub fn fire(element: &web_sys::Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

/// Presses `key` (fires a bubbling `keydown`).
pub fn press(element: &web_sys::Element, key: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

/// The element matching `selector` under `root`, if any.
pub fn find(root: &web_sys::Element, selector: &str) -> Option<web_sys::Element> {
    root.query_selector(selector).unwrap()
}

/// The element with `data-testid="{id}"` under `root`; panics if there is none.
pub fn by_id(root: &web_sys::Element, id: &str) -> web_sys::Element {
    find(root, &format!("[data-testid=\"{id}\"]"))
        .unwrap_or_else(|| panic!("no element with data-testid={id}"))
}

/// Every element matching `selector` under `root`.
pub fn find_all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.unchecked_into())
        .collect()
}

/// The element's text.
pub fn text(element: &web_sys::Element) -> String {
    element.text_content().unwrap_or_default()
}
