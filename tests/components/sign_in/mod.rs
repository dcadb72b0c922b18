//! Sign-in: the pure parts, the redirect flow and renewal against a fake provider, and the
//! pages shown around sign-in.

mod checks;
mod redirect;
mod renewal;
mod views;

use std::cell::RefCell;
use std::rc::Rc;

use api_tokens_portal::auth::Auth;
use api_tokens_portal::auth::session_store::SessionStore;
use api_tokens_portal::config::CacheLocation;

use crate::support::fake_provider::{Fake, auth_over, signed_in};

/// The URLs an [`Auth`] under test navigated to.
type Visited = Rc<RefCell<Vec<String>>>;

/// A new fake provider over an emptied sessionStorage, and a signed-out [`Auth`] over it
/// keeping OAuth tokens in `location`.
fn afresh(location: CacheLocation) -> (Rc<Fake>, Auth, Visited) {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = auth_over(&fake, location);
    (fake, auth, visited)
}

/// As [`afresh`], then signed in through the fake provider.
async fn signed_in_afresh(location: CacheLocation) -> (Rc<Fake>, Auth, Visited) {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = signed_in(&fake, location).await;
    (fake, auth, visited)
}

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
