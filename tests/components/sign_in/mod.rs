//! Sign-in: the pure parts, the redirect flow and renewal against a fake provider, and the
//! pages shown around sign-in.

mod checks;
mod redirect;
mod renewal;
mod views;

use api_tokens_portal::auth::session_store::SessionStore;

/// Empties the tab's sessionStorage (OAuth tokens, requests in flight, the signed-out mark).
fn clear_session() {
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage.clear().unwrap();
}

/// The sessionStorage keys that start with `prefix`.
fn session_keys(prefix: &str) -> Vec<String> {
    SessionStore::SessionStorage.keys(prefix)
}
