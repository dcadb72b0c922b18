//! Sign-in, the pure parts: PKCE and state bookkeeping, access token expiry, ID token checks
//! and the configuration.

use api_tokens_portal::auth::cache;
use api_tokens_portal::auth::claims::{ClaimError, Expected, IdClaims, decode_payload};
use api_tokens_portal::auth::pending::{self, PendingRequest};
use api_tokens_portal::auth::session_store::SessionStore;
use api_tokens_portal::config::{CacheLocation, ConfigError, RuntimeConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest as _;
use token_wire::Role;
use wasm_bindgen_test::*;

use crate::support::fake_provider::{
    CLIENT_ID, GLOBAL_ADMIN, ISSUER, OID, READER, TID, id_claims, jwt, now_s, oauth_tokens,
};

fn expected(nonce: Option<&str>) -> Expected<'_> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        nonce,
        now_s: now_s(),
    }
}

#[wasm_bindgen_test]
fn pkce_requests_are_random_and_the_challenge_is_s256_of_the_verifier() {
    let (a, challenge) = PendingRequest::new("/x", 1.0);
    let (b, _) = PendingRequest::new("/x", 1.0);
    assert_ne!(a.state, b.state);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.pkce_verifier, b.pkce_verifier);
    assert!(
        a.state.len() >= 22 && a.nonce.len() >= 22,
        "at least 128 bits each"
    );
    assert!(
        (43..=128).contains(&a.pkce_verifier.len()),
        "RFC 7636 verifier length"
    );
    assert_eq!(challenge.method().as_str(), "S256");
    let expected = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(a.pkce_verifier.as_bytes()));
    assert_eq!(challenge.as_str(), expected);
}

#[wasm_bindgen_test]
fn deep_links_stay_on_this_site() {
    assert_eq!(
        pending::safe_return_path("/settings/x?q=1#f"),
        "/settings/x?q=1#f"
    );
    assert_eq!(pending::safe_return_path("https://evil.test/"), "/");
    assert_eq!(pending::safe_return_path("//evil.test/"), "/");
    assert_eq!(pending::safe_return_path("/\\evil.test"), "/");
    assert_eq!(pending::safe_return_path(""), "/");
}

#[wasm_bindgen_test]
fn a_pending_request_is_taken_once() {
    let store = SessionStore::memory();
    let (request, _) = PendingRequest::new("/deep", 1_000.0);
    pending::save(&store, &request);
    assert_eq!(pending::take(&store, "someone-else", 2_000.0), None);
    assert_eq!(pending::take(&store, "", 2_000.0), None);
    assert_eq!(
        pending::take(&store, &request.state, 2_000.0),
        Some(request.clone())
    );
    assert_eq!(
        pending::take(&store, &request.state, 2_000.0),
        None,
        "a replayed state is refused"
    );
}

#[wasm_bindgen_test]
fn a_stale_pending_request_is_dropped() {
    let store = SessionStore::memory();
    let (old, _) = PendingRequest::new("/a", 0.0);
    let (fresh, _) = PendingRequest::new("/b", pending::MAX_AGE_MS);
    pending::save(&store, &old);
    pending::save(&store, &fresh);
    let later = pending::MAX_AGE_MS + 1.0;
    assert_eq!(pending::take(&store, &old.state, later), None);
    assert_eq!(
        store.keys(pending::PREFIX).len(),
        1,
        "the stale one is gone, the other kept"
    );
    assert_eq!(
        pending::take(&store, &fresh.state, later)
            .map(|r| r.return_to)
            .as_deref(),
        Some("/b")
    );
}

#[wasm_bindgen_test]
fn tokens_are_renewed_before_they_expire() {
    assert_eq!(
        cache::access_token_times(0.0, Some(3600)),
        (3_300_000, 3_600_000),
        "5 minutes early"
    );
    assert_eq!(
        cache::access_token_times(1_000.0, Some(20)),
        (17_000, 21_000),
        "20 % early for short lives"
    );
    assert_eq!(
        cache::access_token_times(0.0, None),
        (3_300_000, 3_600_000),
        "an hour when not told"
    );
    let tokens = oauth_tokens(0.0);
    assert!(tokens.is_fresh(0.0));
    assert!(tokens.is_fresh(3_299_999.0));
    assert!(!tokens.is_fresh(3_300_000.0));
    assert!(!tokens.is_fresh(4_000_000.0));
}

#[wasm_bindgen_test]
fn a_good_id_token_passes_and_gives_the_account() {
    let claims =
        IdClaims::from_id_token(&jwt(&id_claims(Some("n-1"))), expected(Some("n-1"))).unwrap();
    assert_eq!(claims.account_key(), format!("{TID}.{OID}"));
    let account = claims.account();
    assert_eq!(account.name, "Rita Reyes");
    assert_eq!(account.username, "reader@contoso.test");
    assert_eq!(account.tenant_id, TID);
    assert_eq!(account.user_id, OID);
    assert_eq!(
        account.roles,
        vec![Role::SecurityReader],
        "unknown wids are ignored"
    );
    let mut two = id_claims(None);
    two["wids"] = json!([READER, GLOBAL_ADMIN, READER]);
    let roles = decode_payload(&jwt(&two)).unwrap().account().roles;
    assert_eq!(
        roles,
        vec![Role::GlobalAdministrator, Role::SecurityReader],
        "strongest first, once"
    );
}

#[wasm_bindgen_test]
fn id_tokens_with_a_wrong_claim_are_refused() {
    let check = |claims: Value, nonce: Option<&str>| {
        IdClaims::from_id_token(&jwt(&claims), expected(nonce))
    };

    let mut wrong_iss = id_claims(Some("n"));
    wrong_iss["iss"] = json!("https://evil.test");
    assert!(matches!(
        check(wrong_iss, Some("n")),
        Err(ClaimError::Issuer { .. })
    ));

    let mut wrong_aud = id_claims(Some("n"));
    wrong_aud["aud"] = json!("another-app");
    assert_eq!(check(wrong_aud, Some("n")), Err(ClaimError::Audience));

    let mut shared_aud = id_claims(Some("n"));
    shared_aud["aud"] = json!([CLIENT_ID, "another-app"]);
    assert_eq!(
        check(shared_aud.clone(), Some("n")),
        Err(ClaimError::Audience),
        "azp needed"
    );
    shared_aud["azp"] = json!(CLIENT_ID);
    assert!(check(shared_aud, Some("n")).is_ok());

    assert_eq!(
        check(id_claims(Some("other")), Some("n")),
        Err(ClaimError::Nonce)
    );
    assert_eq!(
        check(id_claims(None), Some("n")),
        Err(ClaimError::Nonce),
        "a missing nonce"
    );
    assert!(
        check(id_claims(None), None).is_ok(),
        "a refresh's ID token needs no nonce"
    );

    let mut expired = id_claims(Some("n"));
    expired["exp"] = json!(now_s() - 3600);
    assert_eq!(check(expired, Some("n")), Err(ClaimError::Expired));
    let mut within_skew = id_claims(Some("n"));
    within_skew["exp"] = json!(now_s() - 60);
    assert!(
        check(within_skew, Some("n")).is_ok(),
        "a minute of clock skew is tolerated"
    );

    assert!(matches!(
        IdClaims::from_id_token("not-a-jwt", expected(None)),
        Err(ClaimError::Malformed(_))
    ));
    assert!(matches!(
        IdClaims::from_id_token("a.%%%.c", expected(None)),
        Err(ClaimError::Malformed(_))
    ));
}

#[wasm_bindgen_test]
fn the_configuration_is_parsed_and_checked() {
    let json = json!({
        "authority": "http://127.0.0.1:9090/", "client_id": "api-tokens-portal",
        "scopes": ["openid", "profile", "offline_access", "api://token-api/access_as_user"],
        "api_base_url": "http://127.0.0.1:8080/", "redirect_uri": "http://127.0.0.1:8080/auth/callback",
        "post_logout_redirect_uri": "http://127.0.0.1:8080/", "cache_location": "sessionStorage"
    });
    let config = RuntimeConfig::parse(&json.to_string()).unwrap();
    assert_eq!(config.authority, "http://127.0.0.1:9090");
    assert_eq!(config.api_base_url, "http://127.0.0.1:8080");
    assert_eq!(config.cache_location, CacheLocation::SessionStorage);

    // The configuration with `key` set to `value`, or removed when `value` is null.
    let parse_with = |key: &str, value: Value| {
        let mut changed = json.clone();
        match value {
            Value::Null => changed.as_object_mut().unwrap().remove(key),
            value => changed.as_object_mut().unwrap().insert(key.into(), value),
        };
        RuntimeConfig::parse(&changed.to_string())
    };
    let cache_location = |value| parse_with("cache_location", value).unwrap().cache_location;
    assert_eq!(cache_location(json!("memory")), CacheLocation::Memory);
    assert_eq!(cache_location(Value::Null), CacheLocation::SessionStorage);

    assert!(
        matches!(parse_with("client_id", Value::Null), Err(ConfigError::Invalid(m)) if m.contains("client_id"))
    );
    for (key, value) in [
        ("scopes", json!(["api://token-api/access_as_user"])),
        ("redirect_uri", json!("/auth/callback")),
    ] {
        assert!(
            matches!(parse_with(key, value.clone()), Err(ConfigError::Invalid(_))),
            "{key}: {value}"
        );
    }
    assert!(matches!(
        RuntimeConfig::parse("<!doctype html>"),
        Err(ConfigError::Invalid(_))
    ));
}
