//! The API layer in the Leptos context: the app provides the real one, tests a fake.

use std::rc::Rc;

use leptos::prelude::*;

use super::TokenApi;

/// The API layer in the Leptos context; `Copy`, so closures and state share it freely.
#[derive(Clone, Copy)]
pub struct ApiContext(StoredValue<Rc<dyn TokenApi>, LocalStorage>);

impl ApiContext {
    /// The API layer.
    pub fn get(&self) -> Rc<dyn TokenApi> {
        self.0.get_value()
    }
}

/// Makes `api` the API layer of the components below the current owner.
pub fn provide_token_api(api: Rc<dyn TokenApi>) {
    provide_context(ApiContext(StoredValue::new_local(api)));
}

/// The API layer provided by [`provide_token_api`].
///
/// # Panics
/// When none was provided.
pub fn use_token_api() -> ApiContext {
    expect_context::<ApiContext>()
}
