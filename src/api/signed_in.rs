//! The real API for the signed-in user: [`HttpApi`] with the access tokens of [`Auth`].

use std::rc::Rc;

use super::{AccessTokenSource, ApiError, ApiFuture, HttpApi, TokenApi};
use crate::auth::{Auth, AuthError, now_ms, use_auth};

impl AccessTokenSource for Auth {
    fn access_token(&self) -> ApiFuture<String> {
        let auth = self.clone();
        Box::pin(async move { auth.access_token().await.map_err(from_auth) })
    }

    fn renew_after_unauthorized(&self) -> ApiFuture<String> {
        let auth = self.clone();
        Box::pin(async move { auth.renew_after_unauthorized().await.map_err(from_auth) })
    }
}

fn from_auth(error: AuthError) -> ApiError {
    match error {
        AuthError::Network(_) => ApiError::Network,
        _ => ApiError::Unauthorized,
    }
}

/// The real API for the signed-in user: [`HttpApi`] over the [`Auth`] in the context, at the
/// configured `api_base_url`, taking the page's early calls made with the same access token.
pub fn http_api() -> Rc<dyn TokenApi> {
    let auth = use_auth();
    let base_url = auth.config().api_base_url.clone();
    let tokens = auth.cached_oauth_tokens();
    crate::early::keep_calls_made_with(&base_url, tokens.as_ref(), now_ms());
    Rc::new(HttpApi::new(base_url, Rc::new(auth)))
}
