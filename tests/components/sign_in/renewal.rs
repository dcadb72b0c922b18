//! Sign-in, renewal: one refresh for concurrent callers, rotation, and when a refused refresh
//! starts an interactive sign-in.

use api_tokens_portal::auth::cache::OAUTH_TOKENS_PREFIX;
use api_tokens_portal::auth::session_store::SessionStore;
use api_tokens_portal::auth::{Auth, AuthError};
use api_tokens_portal::config::CacheLocation;
use wasm_bindgen_test::*;

use super::{afresh, signed_in_afresh};
use crate::support::fake_provider::{ISSUER, query};

#[wasm_bindgen_test]
async fn concurrent_callers_share_one_refresh() {
    let (fake, auth, _) = signed_in_afresh(CacheLocation::SessionStorage).await;
    expire(&auth);
    *fake.delay_ms.borrow_mut() = 30;

    let (a, b, c) = futures::join!(
        auth.access_token(),
        auth.access_token(),
        auth.renew_after_unauthorized()
    );
    assert_eq!(
        (a.unwrap(), b.unwrap(), c.unwrap()),
        ("access-2".into(), "access-2".into(), "access-2".into())
    );
    let requests = fake.token_requests.borrow().clone();
    assert_eq!(requests.len(), 2, "one code exchange, one refresh");
    assert_eq!(requests[1]["grant_type"], "refresh_token");
    assert_eq!(requests[1]["refresh_token"], "refresh-1");
    assert_eq!(
        requests[1]["scope"],
        "openid profile offline_access api://token-api/access_as_user"
    );
    assert_eq!(
        auth.cached_oauth_tokens().unwrap().refresh_token.as_deref(),
        Some("refresh-2"),
        "rotated"
    );
    assert_eq!(
        auth.access_token().await.unwrap(),
        "access-2",
        "the renewed token is cached"
    );
    assert_eq!(fake.token_requests.borrow().len(), 2);
}

#[wasm_bindgen_test]
async fn a_401_forces_a_refresh_even_of_a_fresh_token() {
    let (_, auth, visited) = signed_in_afresh(CacheLocation::SessionStorage).await;
    assert_eq!(auth.renew_after_unauthorized().await.unwrap(), "access-2");
    assert_eq!(
        auth.renew_after_unauthorized().await.unwrap(),
        "access-3",
        "one after another, rotated"
    );
    assert!(visited.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn a_refused_refresh_starts_an_interactive_sign_in_once() {
    let (fake, auth, visited) = signed_in_afresh(CacheLocation::SessionStorage).await;
    expire(&auth);
    *fake.refuse.borrow_mut() = Some("invalid_grant");

    let (a, b) = futures::join!(auth.access_token(), auth.access_token());
    assert_eq!(
        (a, b),
        (
            Err(AuthError::InteractionRequired),
            Err(AuthError::InteractionRequired)
        )
    );
    assert_eq!(
        auth.renew_after_unauthorized().await,
        Err(AuthError::InteractionRequired)
    );
    let visited = visited.borrow();
    assert_eq!(visited.len(), 1, "one redirect, not one per caller");
    assert!(visited[0].starts_with(&format!("{ISSUER}/auth?")));
    assert_eq!(query(&visited[0])["login_hint"], "reader@contoso.test");
    assert_eq!(
        auth.cached_oauth_tokens(),
        None,
        "the refused tokens are forgotten"
    );
}

#[wasm_bindgen_test]
async fn interaction_required_errors_also_start_a_sign_in() {
    for error in ["interaction_required", "login_required", "consent_required"] {
        let (fake, auth, visited) = signed_in_afresh(CacheLocation::SessionStorage).await;
        *fake.refuse.borrow_mut() = Some(error);
        assert_eq!(
            auth.renew_after_unauthorized().await,
            Err(AuthError::InteractionRequired),
            "{error}"
        );
        assert_eq!(visited.borrow().len(), 1, "{error}");
    }
}

#[wasm_bindgen_test]
async fn other_failures_keep_the_session_and_do_not_redirect() {
    let (fake, auth, visited) = signed_in_afresh(CacheLocation::SessionStorage).await;
    expire(&auth);
    *fake.offline.borrow_mut() = true;
    assert!(matches!(
        auth.access_token().await,
        Err(AuthError::Network(_))
    ));
    *fake.offline.borrow_mut() = false;
    *fake.refuse.borrow_mut() = Some("temporarily_unavailable");
    assert!(matches!(
        auth.access_token().await,
        Err(AuthError::Provider { .. })
    ));
    assert!(visited.borrow().is_empty());
    assert!(auth.cached_oauth_tokens().is_some());
    *fake.refuse.borrow_mut() = None;
    assert_eq!(
        auth.access_token().await.unwrap(),
        "access-2",
        "works again once the provider does"
    );
}

#[wasm_bindgen_test]
async fn nobody_signed_in_means_an_interactive_sign_in_from_here() {
    let (fake, auth, visited) = afresh(CacheLocation::SessionStorage);
    assert_eq!(
        auth.access_token().await,
        Err(AuthError::InteractionRequired)
    );
    assert_eq!(visited.borrow().len(), 1);
    assert!(fake.token_requests.borrow().is_empty());
}

/// Moves the cached access token's renewal time into the past.
fn expire(auth: &Auth) {
    let mut tokens = auth.cached_oauth_tokens().unwrap();
    tokens.renew_at_ms = 0;
    tokens.expires_at_ms = 0;
    let key = format!("{OAUTH_TOKENS_PREFIX}{}", tokens.claims.account_key());
    SessionStore::SessionStorage.set(&key, &serde_json::to_string(&tokens).unwrap());
}
