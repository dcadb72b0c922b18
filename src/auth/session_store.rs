//! Key-value storage for the sign-in state: the tab's sessionStorage, or memory.

use std::cell::RefCell;

/// Where the sign-in state (OAuth tokens, requests in flight) is kept.
pub enum SessionStore {
    /// `window.sessionStorage` (nothing is kept when it is unavailable).
    SessionStorage,
    /// Key-value pairs that die with the page (a handful: a list is enough, and a map's code
    /// would cost the bundle).
    Memory(RefCell<Vec<(String, String)>>),
}

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl SessionStore {
    /// An empty in-memory store.
    pub fn memory() -> SessionStore {
        SessionStore::Memory(RefCell::default())
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match self {
            SessionStore::SessionStorage => session()?.get_item(key).ok().flatten(),
            SessionStore::Memory(pairs) => pairs
                .borrow()
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
        }
    }

    pub fn set(&self, key: &str, value: &str) {
        match self {
            SessionStore::SessionStorage => {
                if let Some(s) = session() {
                    let _ = s.set_item(key, value);
                }
            }
            SessionStore::Memory(pairs) => {
                let mut pairs = pairs.borrow_mut();
                match pairs.iter_mut().find(|(k, _)| k == key) {
                    Some((_, v)) => *v = value.to_string(),
                    None => pairs.push((key.to_string(), value.to_string())),
                }
            }
        }
    }

    pub fn remove(&self, key: &str) {
        match self {
            SessionStore::SessionStorage => {
                if let Some(s) = session() {
                    let _ = s.remove_item(key);
                }
            }
            SessionStore::Memory(pairs) => pairs.borrow_mut().retain(|(k, _)| k != key),
        }
    }

    /// Every key that starts with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        match self {
            SessionStore::SessionStorage => {
                let Some(s) = session() else {
                    return Vec::new();
                };
                let len = s.length().unwrap_or(0);
                (0..len)
                    .filter_map(|i| s.key(i).ok().flatten())
                    .filter(|k| k.starts_with(prefix))
                    .collect()
            }
            SessionStore::Memory(pairs) => pairs
                .borrow()
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }
}
