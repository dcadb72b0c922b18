//! Key-value storage for the sign-in state: the tab's sessionStorage, or memory.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// Where the sign-in state (OAuth tokens, requests in flight) is kept.
pub enum SessionStore {
    /// `window.sessionStorage` (nothing is kept when it is unavailable).
    SessionStorage,
    /// A map that dies with the page.
    Memory(RefCell<BTreeMap<String, String>>),
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
            SessionStore::Memory(map) => map.borrow().get(key).cloned(),
        }
    }

    pub fn set(&self, key: &str, value: &str) {
        match self {
            SessionStore::SessionStorage => {
                if let Some(s) = session() {
                    let _ = s.set_item(key, value);
                }
            }
            SessionStore::Memory(map) => {
                map.borrow_mut().insert(key.to_string(), value.to_string());
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
            SessionStore::Memory(map) => {
                map.borrow_mut().remove(key);
            }
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
            SessionStore::Memory(map) => map
                .borrow()
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect(),
        }
    }
}
