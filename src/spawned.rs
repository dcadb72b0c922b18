//! Results of async work for views to read: a task spawned now fills a signal when done.
//!
//! Leptos's `LocalResource` and `Action` do the same with async machinery this app does not
//! use (async derived signals, their locks and scoped futures), which costs the bundle.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// A signal that holds a task's output once it is done (`None` before).
pub type Spawned<T> = RwSignal<Option<T>, LocalStorage>;

/// Runs `work` and returns the signal it fills.
pub fn spawned<T: 'static>(work: impl Future<Output = T> + 'static) -> Spawned<T> {
    let done = RwSignal::new_local(None);
    refill(done, work);
    done
}

/// Empties `done` and runs `work` again to fill it.
pub fn refill<T: 'static>(done: Spawned<T>, work: impl Future<Output = T> + 'static) {
    done.set(None);
    spawn_local(async move {
        let output = work.await;
        // The view may be gone by then.
        done.try_set(Some(output));
    });
}
