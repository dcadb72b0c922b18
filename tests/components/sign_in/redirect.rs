//! Sign-in, the redirect flow in the browser: leaving for the provider, redeeming its answer,
//! the OAuth token cache, and signing out.

use api_tokens_portal::auth::cache::{ACTIVE_ACCOUNT_KEY, OAUTH_TOKENS_PREFIX};
use api_tokens_portal::auth::claims::ClaimError;
use api_tokens_portal::auth::pending::{self, PendingRequest};
use api_tokens_portal::auth::provider::DISCOVERY_PREFIX;
use api_tokens_portal::auth::session_store::SessionStore;
use api_tokens_portal::auth::{Auth, AuthError, now_ms};
use api_tokens_portal::config::CacheLocation;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use leptos::prelude::GetUntracked as _;
use serde_json::json;
use sha2::Digest as _;
use token_wire::Role;
use wasm_bindgen_test::*;

use super::{afresh, session_keys, signed_in_afresh};
use crate::support::fake_provider::{APP, CLIENT_ID, ISSUER, OID, TID, auth_over, config, query};
use crate::support::sleep;

#[wasm_bindgen_test]
async fn sign_in_leaves_for_the_provider_with_pkce_state_and_nonce() {
    let (_, auth, visited) = afresh(CacheLocation::SessionStorage);
    auth.sign_in(
        "/settings/security-extensions/api-tokens",
        Some("reader@contoso.test"),
    )
    .await
    .unwrap();

    let url = visited.borrow()[0].clone();
    assert!(url.starts_with(&format!("{ISSUER}/auth?")), "{url}");
    let names: Vec<String> = oauth2::url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "response_type",
            "client_id",
            "state",
            "code_challenge",
            "code_challenge_method",
            "redirect_uri",
            "scope",
            "nonce",
            "login_hint"
        ],
        "oauth2's parameters, in its order, then nonce and login_hint"
    );
    let q = query(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], format!("{APP}/auth/callback"));
    assert_eq!(
        q["scope"],
        "openid profile offline_access api://token-api/access_as_user"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["login_hint"], "reader@contoso.test");
    let stored = session_keys(pending::PREFIX);
    assert_eq!(
        stored,
        vec![format!("{}{}", pending::PREFIX, q["state"])],
        "kept under its state"
    );
    let request: PendingRequest =
        serde_json::from_str(&SessionStore::SessionStorage.get(&stored[0]).unwrap()).unwrap();
    assert_eq!(request.nonce, q["nonce"]);
    assert_eq!(
        request.return_to,
        "/settings/security-extensions/api-tokens"
    );
    assert_eq!(
        q["code_challenge"],
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(request.pkce_verifier.as_bytes()))
    );
}

#[wasm_bindgen_test]
async fn a_malformed_authorization_endpoint_or_redirect_uri_is_a_protocol_error() {
    let (fake, auth, visited) = afresh(CacheLocation::Memory);
    let discovery = json!({
        "issuer": ISSUER, "authorization_endpoint": "/auth", "token_endpoint": format!("{ISSUER}/token"),
    });
    let kept = format!("{DISCOVERY_PREFIX}{ISSUER}");
    SessionStore::SessionStorage.set(&kept, &discovery.to_string());
    assert!(matches!(
        auth.sign_in("/", None).await,
        Err(AuthError::Protocol(m)) if m.contains("authorization_endpoint")
    ));

    SessionStore::SessionStorage.remove(&kept);
    let mut bad_redirect = config(CacheLocation::Memory);
    bad_redirect.redirect_uri = "https://[portal.test/auth/callback".into();
    let auth_bad = Auth::with_transport(bad_redirect, fake.transport(), |_| {});
    assert!(matches!(
        auth_bad.sign_in("/", None).await,
        Err(AuthError::Protocol(m)) if m.contains("redirect_uri")
    ));
    assert!(visited.borrow().is_empty(), "no navigation");
    assert!(session_keys(pending::PREFIX).is_empty(), "no request kept");
}

#[wasm_bindgen_test]
async fn discovery_is_read_once_per_tab_session() {
    let (fake, auth, visited) = afresh(CacheLocation::Memory);
    let kept = format!("{DISCOVERY_PREFIX}{ISSUER}");
    SessionStore::SessionStorage.set(&kept, r#"{"issuer": "https://elsewhere.test"}"#);
    auth.sign_in("/", None).await.unwrap();
    assert_eq!(
        *fake.discoveries.borrow(),
        1,
        "a kept document of another issuer is read again"
    );

    // The answer comes to a new page, with a new Auth (and a memory cache).
    let callback = fake.authorize(&visited.borrow()[0]);
    let (answered, _) = auth_over(&fake, CacheLocation::Memory);
    assert_eq!(
        answered.handle_redirect(&callback).await,
        Ok(Some("/".into()))
    );
    assert_eq!(
        *fake.discoveries.borrow(),
        1,
        "the new page uses the kept document"
    );
    assert!(
        SessionStore::SessionStorage
            .get(&kept)
            .is_some_and(|json| json.contains("token_endpoint"))
    );
}

#[wasm_bindgen_test]
async fn the_redirect_is_redeemed_with_the_verifier_and_cached_in_session_storage() {
    let (fake, auth, _) = signed_in_afresh(CacheLocation::SessionStorage).await;

    let requests = fake.token_requests.borrow().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["grant_type"], "authorization_code");
    assert!(requests[0]["scope"].contains("offline_access"));
    assert!(
        session_keys(pending::PREFIX).is_empty(),
        "the request is used up"
    );
    assert_eq!(
        SessionStore::SessionStorage
            .get(ACTIVE_ACCOUNT_KEY)
            .as_deref(),
        Some(format!("{TID}.{OID}").as_str())
    );
    let tokens = auth.cached_oauth_tokens().unwrap();
    assert_eq!(tokens.access_token, "access-1");
    assert_eq!(tokens.refresh_token.as_deref(), Some("refresh-1"));
    assert!(tokens.is_fresh(now_ms()));
    let account = auth.account().get_untracked().unwrap();
    assert_eq!(
        (account.name.as_str(), account.roles.as_slice()),
        ("Rita Reyes", &[Role::SecurityReader][..])
    );

    let reloaded = Auth::with_transport(
        config(CacheLocation::SessionStorage),
        fake.transport(),
        |_| {},
    );
    assert_eq!(
        reloaded.account().get_untracked(),
        Some(account),
        "a reload keeps the session"
    );
    assert_eq!(reloaded.access_token().await.unwrap(), "access-1");
    assert_eq!(
        fake.token_requests.borrow().len(),
        1,
        "a fresh token needs no request"
    );
}

#[wasm_bindgen_test]
async fn the_memory_cache_keeps_nothing_in_session_storage() {
    let (fake, auth, _) = signed_in_afresh(CacheLocation::Memory).await;
    assert_eq!(auth.access_token().await.unwrap(), "access-1");
    assert!(session_keys(OAUTH_TOKENS_PREFIX).is_empty());
    assert_eq!(SessionStore::SessionStorage.get(ACTIVE_ACCOUNT_KEY), None);
    let reloaded = Auth::with_transport(config(CacheLocation::Memory), fake.transport(), |_| {});
    assert_eq!(
        reloaded.account().get_untracked(),
        None,
        "a new page starts signed out"
    );
}

#[wasm_bindgen_test]
async fn a_tampered_or_replayed_state_is_refused() {
    let (fake, auth, visited) = afresh(CacheLocation::SessionStorage);
    auth.sign_in("/", None).await.unwrap();
    let callback = fake.authorize(&visited.borrow()[0]);

    let tampered = callback.replace("state=", "state=x");
    assert_eq!(
        auth.handle_redirect(&tampered).await,
        Err(AuthError::StateMismatch)
    );
    let no_state = callback.split("&state=").next().unwrap().to_string();
    assert_eq!(
        auth.handle_redirect(&no_state).await,
        Err(AuthError::StateMismatch)
    );
    assert!(
        fake.token_requests.borrow().is_empty(),
        "no code is redeemed without its state"
    );

    assert_eq!(auth.handle_redirect(&callback).await, Ok(Some("/".into())));
    assert_eq!(
        auth.handle_redirect(&callback).await,
        Err(AuthError::StateMismatch),
        "used once"
    );
    assert!(
        AuthError::StateMismatch
            .to_string()
            .contains("does not match a sign-in started here")
    );
}

#[wasm_bindgen_test]
async fn provider_errors_and_a_wrong_nonce_are_refused() {
    let (fake, auth, visited) = afresh(CacheLocation::SessionStorage);

    auth.sign_in("/", None).await.unwrap();
    let state = query(&visited.borrow()[0])["state"].clone();
    let denied = format!(
        "{APP}/auth/callback?error=access_denied&error_description=cancelled&state={state}"
    );
    assert_eq!(
        auth.handle_redirect(&denied).await,
        Err(AuthError::Provider {
            error: "access_denied".into(),
            description: Some("cancelled".into())
        })
    );

    *fake.wrong_nonce.borrow_mut() = true;
    auth.sign_in("/", None).await.unwrap();
    let callback = fake.authorize(&visited.borrow()[1]);
    assert_eq!(
        auth.handle_redirect(&callback).await,
        Err(AuthError::IdToken(ClaimError::Nonce))
    );
    assert_eq!(
        auth.cached_oauth_tokens(),
        None,
        "nothing is cached from a refused answer"
    );
    assert_eq!(auth.account().get_untracked(), None);

    assert_eq!(
        auth.handle_redirect(&format!("{APP}/settings?code=1&state=2"))
            .await,
        Ok(None)
    );
    assert!(!auth.is_redirect("https://other.test/auth/callback"));
}

#[wasm_bindgen_test]
async fn sign_out_clears_the_cache_and_ends_the_session_at_the_provider() {
    let (_, auth, visited) = signed_in_afresh(CacheLocation::SessionStorage).await;
    let id_token = auth.cached_oauth_tokens().unwrap().id_token;
    auth.sign_out();
    assert_eq!(auth.account().get_untracked(), None);
    assert!(
        session_keys("portal.auth.tokens").is_empty()
            && SessionStore::SessionStorage
                .get(ACTIVE_ACCOUNT_KEY)
                .is_none()
    );
    assert!(auth.signed_out());
    sleep(10).await;

    let url = visited.borrow()[0].clone();
    assert!(url.starts_with(&format!("{ISSUER}/session/end?")), "{url}");
    let q = query(&url);
    assert_eq!(q["id_token_hint"], id_token);
    assert_eq!(q["post_logout_redirect_uri"], format!("{APP}/"));
    assert_eq!(q["client_id"], CLIENT_ID);
    assert!(
        !url.contains("access-") && !url.contains("refresh-"),
        "no token in a URL"
    );

    auth.sign_in("/", None).await.unwrap();
    assert!(
        !auth.signed_out(),
        "signing in again clears the signed-out mark"
    );
}
