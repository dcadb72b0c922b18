//! The portal's few routes, without a routing library: the page is a function of the path,
//! and the path follows the address bar. Clicks on same-origin links and Back/Forward change
//! it without reloading the app; the old paths of the settings tree redirect to the API tokens
//! screen.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::API_TOKENS_PATH;

/// What the router shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The settings page with its API tokens tab.
    ApiTokens,
    /// Any other address.
    NotFound,
}

/// The route of `path`, and the address to show instead when `path` is an old one.
pub fn resolve(path: &str) -> (Route, Option<&'static str>) {
    match path.trim_end_matches('/') {
        API_TOKENS_PATH => (Route::ApiTokens, None),
        "" | "/auth/callback" | "/settings" | "/settings/security-extensions" => {
            (Route::ApiTokens, Some(API_TOKENS_PATH))
        }
        _ => (Route::NotFound, None),
    }
}

/// The route of the address bar; redirects are applied to the address bar at once.
pub fn use_route() -> Memo<Route> {
    let path = RwSignal::new(current_path());
    let go = move |to: &str, replace: bool| {
        let to = match resolve(to) {
            (_, Some(redirect)) => {
                set_address(redirect, true);
                redirect.to_string()
            }
            _ => {
                if to != current_path() {
                    set_address(to, replace);
                }
                to.to_string()
            }
        };
        path.set(to);
    };
    go(&current_path(), true);
    let popstate = window_event_listener(ev::popstate, move |_| go(&current_path(), true));
    let click = window_event_listener(ev::click, move |ev| {
        if let Some(to) = internal_link(&ev) {
            ev.prevent_default();
            if to != current_path() {
                go(&to, false);
                window().scroll_to_with_x_and_y(0.0, 0.0);
            }
        }
    });
    on_cleanup(move || {
        popstate.remove();
        click.remove();
    });
    Memo::new(move |_| path.with(|p| resolve(p).0))
}

fn current_path() -> String {
    window().location().pathname().unwrap_or_default()
}

fn set_address(path: &str, replace: bool) {
    if let Ok(history) = window().history() {
        let _ = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(path))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(path))
        };
    }
}

/// The path a plain left click on a same-origin link goes to; `None` when the browser should
/// follow the link itself (another site, a new tab, a download, an anchor on this page).
fn internal_link(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.alt_key()
        || ev.ctrl_key()
        || ev.shift_key()
    {
        return None;
    }
    let anchor = ev
        .target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()??;
    if anchor.has_attribute("target") || anchor.has_attribute("download") {
        return None;
    }
    let location = window().location();
    let url =
        web_sys::Url::new_with_base(&anchor.get_attribute("href")?, &location.href().ok()?).ok()?;
    if url.origin() != location.origin().ok()? {
        return None;
    }
    let same_page = url.pathname() == location.pathname().ok()?;
    (!same_page || url.hash().is_empty()).then(|| url.pathname())
}
