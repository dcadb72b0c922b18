//! Sign-in: the pure parts (PKCE and state bookkeeping, cache expiry, ID token checks,
//! configuration) and the redirect flow against a fake provider, in headless Chromium.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use api_tokens_portal::auth::cache::{self, ACTIVE_KEY, CachedTokens, TOKENS_PREFIX};
use api_tokens_portal::auth::claims::{ClaimError, Expected, IdClaims, decode_payload};
use api_tokens_portal::auth::pending::{self, PendingRequest};
use api_tokens_portal::auth::provider::{HttpError, Transport};
use api_tokens_portal::auth::store::Store;
use api_tokens_portal::auth::{Auth, AuthError, now_ms};
use api_tokens_portal::config::{CacheLocation, ConfigError, RuntimeConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use leptos::prelude::GetUntracked as _;
use oauth2::url::Url;
use oauth2::{HttpRequest, HttpResponse};
use serde_json::{Value, json};
use sha2::Digest as _;
use token_wire::Role;
use wasm_bindgen_test::*;

mod support;
use support::sleep;

wasm_bindgen_test_configure!(run_in_browser);

const ISSUER: &str = "https://idp.test";
const CLIENT_ID: &str = "api-tokens-portal";
const APP: &str = "https://portal.test";
const TID: &str = "11111111-1111-4111-8111-111111111111";
const OID: &str = "c0000000-0000-4000-8000-000000000006";
const READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";

fn config(cache_location: CacheLocation) -> RuntimeConfig {
    RuntimeConfig {
        authority: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        scopes: [
            "openid",
            "profile",
            "offline_access",
            "api://token-api/access_as_user",
        ]
        .map(String::from)
        .to_vec(),
        api_base_url: APP.into(),
        redirect_uri: format!("{APP}/auth/callback"),
        post_logout_redirect_uri: format!("{APP}/"),
        cache_location,
    }
}

fn now_s() -> i64 {
    (now_ms() / 1000.0) as i64
}

/// An unsigned compact JWT with `claims` as its payload.
fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn id_claims(nonce: Option<&str>) -> Value {
    let mut claims = json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": OID, "exp": now_s() + 3600, "iat": now_s(),
        "tid": TID, "oid": OID, "name": "Rita Reyes", "preferred_username": "reader@contoso.test",
        "wids": [READER, "00000000-0000-0000-0000-000000000000"],
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    claims
}

fn expected(nonce: Option<&str>) -> Expected<'_> {
    Expected {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        nonce,
        now_s: now_s(),
    }
}

fn clear_session() {
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage.clear().unwrap();
}

fn session_keys(prefix: &str) -> Vec<String> {
    Store::Session.keys(prefix)
}

// ---------------------------------------------------------------------------------------------
// A fake provider: discovery and a token endpoint that checks PKCE and rotates refresh tokens.

type Form = HashMap<String, String>;

#[derive(Default)]
struct Fake {
    /// Every token request's form, in order.
    token_requests: RefCell<Vec<Form>>,
    /// code → (PKCE challenge, nonce) as the authorization endpoint would remember them.
    codes: RefCell<HashMap<String, (String, String)>>,
    /// The refresh token the provider accepts next.
    live_refresh: RefCell<Option<String>>,
    /// When set, the token endpoint answers this OAuth error.
    refuse: RefCell<Option<&'static str>>,
    /// When set, the token endpoint is unreachable.
    offline: RefCell<bool>,
    /// When set, ID tokens carry this nonce instead of the requested one.
    wrong_nonce: RefCell<bool>,
    /// Milliseconds the token endpoint takes to answer.
    delay_ms: RefCell<i32>,
    issued: RefCell<u32>,
}

impl Fake {
    fn new() -> Rc<Fake> {
        Rc::new(Fake::default())
    }

    /// The provider's side of the authorization request at `authorize_url`: a code for it.
    fn authorize(&self, authorize_url: &str) -> String {
        let url = Url::parse(authorize_url).unwrap();
        let q: Form = url.query_pairs().into_owned().collect();
        let code = format!("code-{}", q["state"].len() + self.codes.borrow().len());
        self.codes.borrow_mut().insert(
            code.clone(),
            (q["code_challenge"].clone(), q["nonce"].clone()),
        );
        format!("{APP}/auth/callback?code={code}&state={}", q["state"])
    }

    fn transport(self: &Rc<Fake>) -> Transport {
        let fake = self.clone();
        Transport::new(move |request| {
            let fake = fake.clone();
            Box::pin(async move { fake.answer(request).await })
        })
    }

    async fn answer(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let path = request.uri().path().to_string();
        if path == "/.well-known/openid-configuration" {
            return Ok(respond(
                200,
                json!({
                    "issuer": ISSUER,
                    "authorization_endpoint": format!("{ISSUER}/auth"),
                    "token_endpoint": format!("{ISSUER}/token"),
                    "end_session_endpoint": format!("{ISSUER}/session/end"),
                }),
            ));
        }
        assert_eq!(path, "/token");
        let form: Form = oauth2::url::form_urlencoded::parse(request.body())
            .into_owned()
            .collect();
        self.token_requests.borrow_mut().push(form.clone());
        let delay = *self.delay_ms.borrow();
        if delay > 0 {
            sleep(delay).await;
        }
        if *self.offline.borrow() {
            return Err(HttpError("Failed to fetch".into()));
        }
        if let Some(error) = *self.refuse.borrow() {
            return Ok(respond(
                400,
                json!({"error": error, "error_description": "refused by the test"}),
            ));
        }
        assert_eq!(form["client_id"], CLIENT_ID);
        assert!(
            !form.contains_key("client_secret"),
            "a public client sends no secret"
        );
        assert!(
            request.headers().get("authorization").is_none(),
            "no basic auth for a public client"
        );
        let nonce = match form["grant_type"].as_str() {
            "authorization_code" => {
                let Some((challenge, nonce)) = self.codes.borrow_mut().remove(&form["code"]) else {
                    return Ok(respond(400, json!({"error": "invalid_grant"})));
                };
                assert_eq!(form["redirect_uri"], format!("{APP}/auth/callback"));
                let computed =
                    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(form["code_verifier"].as_bytes()));
                if computed != challenge {
                    return Ok(respond(
                        400,
                        json!({"error": "invalid_grant", "error_description": "PKCE"}),
                    ));
                }
                Some(nonce)
            }
            "refresh_token" => {
                if self.live_refresh.borrow().as_deref() != Some(form["refresh_token"].as_str()) {
                    return Ok(respond(
                        400,
                        json!({"error": "invalid_grant", "error_description": "reused"}),
                    ));
                }
                None
            }
            other => panic!("unexpected grant {other}"),
        };
        *self.issued.borrow_mut() += 1;
        let n = *self.issued.borrow();
        let refresh = format!("refresh-{n}");
        *self.live_refresh.borrow_mut() = Some(refresh.clone());
        let nonce = if *self.wrong_nonce.borrow() {
            Some("not-the-nonce".to_string())
        } else {
            nonce
        };
        Ok(respond(
            200,
            json!({
                "access_token": format!("access-{n}"),
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": refresh,
                "id_token": jwt(&id_claims(nonce.as_deref())),
                "scope": "openid profile offline_access api://token-api/access_as_user",
            }),
        ))
    }
}

fn respond(status: u16, body: Value) -> HttpResponse {
    oauth2::http::Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap()
}

/// An [`Auth`] over `fake` whose navigations are recorded instead of followed.
fn auth_over(fake: &Rc<Fake>, location: CacheLocation) -> (Auth, Rc<RefCell<Vec<String>>>) {
    let visited = Rc::new(RefCell::new(Vec::new()));
    let record = visited.clone();
    let auth = Auth::with_transport(config(location), fake.transport(), move |url| {
        record.borrow_mut().push(url.to_string())
    });
    (auth, visited)
}

/// Signs in through the fake provider, as the browser would: sign_in, authorize, redirect.
async fn signed_in(fake: &Rc<Fake>, location: CacheLocation) -> (Auth, Rc<RefCell<Vec<String>>>) {
    let (auth, visited) = auth_over(fake, location);
    auth.sign_in("/settings/security-extensions/api-tokens?q=ci", None)
        .await
        .unwrap();
    let callback = fake.authorize(&visited.borrow()[0]);
    let back = auth.handle_redirect(&callback).await.unwrap();
    assert_eq!(
        back.as_deref(),
        Some("/settings/security-extensions/api-tokens?q=ci")
    );
    visited.borrow_mut().clear();
    (auth, visited)
}

fn query(url: &str) -> Form {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Pure parts.

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
    let store = Store::memory();
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
    let store = Store::memory();
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
        cache::token_times(0.0, Some(3600)),
        (3_300_000, 3_600_000),
        "5 minutes early"
    );
    assert_eq!(
        cache::token_times(1_000.0, Some(20)),
        (17_000, 21_000),
        "20 % early for short lives"
    );
    assert_eq!(
        cache::token_times(0.0, None),
        (3_300_000, 3_600_000),
        "an hour when not told"
    );
    let (renew_at_ms, expires_at_ms) = cache::token_times(0.0, Some(3600));
    let tokens = CachedTokens {
        access_token: "a".into(),
        expires_at_ms,
        renew_at_ms,
        refresh_token: None,
        id_token: "i".into(),
        claims: decode_payload(&jwt(&id_claims(None))).unwrap(),
    };
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
    let roles = decode_payload::<IdClaims>(&jwt(&two))
        .unwrap()
        .account()
        .roles;
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

    let mut memory = json.clone();
    memory["cache_location"] = json!("memory");
    assert_eq!(
        RuntimeConfig::parse(&memory.to_string())
            .unwrap()
            .cache_location,
        CacheLocation::Memory
    );
    let mut default = json.clone();
    default.as_object_mut().unwrap().remove("cache_location");
    assert_eq!(
        RuntimeConfig::parse(&default.to_string())
            .unwrap()
            .cache_location,
        CacheLocation::SessionStorage
    );

    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("client_id");
    assert!(
        matches!(RuntimeConfig::parse(&missing.to_string()), Err(ConfigError::Invalid(m)) if m.contains("client_id"))
    );
    let mut no_openid = json.clone();
    no_openid["scopes"] = json!(["api://token-api/access_as_user"]);
    assert!(matches!(
        RuntimeConfig::parse(&no_openid.to_string()),
        Err(ConfigError::Invalid(_))
    ));
    let mut relative = json.clone();
    relative["redirect_uri"] = json!("/auth/callback");
    assert!(matches!(
        RuntimeConfig::parse(&relative.to_string()),
        Err(ConfigError::Invalid(_))
    ));
    assert!(matches!(
        RuntimeConfig::parse("<!doctype html>"),
        Err(ConfigError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// The redirect flow and the cache, in the browser.

#[wasm_bindgen_test]
async fn sign_in_leaves_for_the_provider_with_pkce_state_and_nonce() {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = auth_over(&fake, CacheLocation::SessionStorage);
    auth.sign_in(
        "/settings/security-extensions/api-tokens",
        Some("reader@contoso.test"),
    )
    .await
    .unwrap();

    let url = visited.borrow()[0].clone();
    assert!(url.starts_with(&format!("{ISSUER}/auth?")), "{url}");
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
        serde_json::from_str(&Store::Session.get(&stored[0]).unwrap()).unwrap();
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
async fn the_redirect_is_redeemed_with_the_verifier_and_cached_in_session_storage() {
    clear_session();
    let fake = Fake::new();
    let (auth, _) = signed_in(&fake, CacheLocation::SessionStorage).await;

    let requests = fake.token_requests.borrow().clone();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["grant_type"], "authorization_code");
    assert!(requests[0]["scope"].contains("offline_access"));
    assert!(
        session_keys(pending::PREFIX).is_empty(),
        "the request is used up"
    );
    assert_eq!(
        Store::Session.get(ACTIVE_KEY).as_deref(),
        Some(format!("{TID}.{OID}").as_str())
    );
    let tokens = auth.cached_tokens().unwrap();
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
    clear_session();
    let fake = Fake::new();
    let (auth, _) = signed_in(&fake, CacheLocation::Memory).await;
    assert_eq!(auth.access_token().await.unwrap(), "access-1");
    assert!(session_keys(TOKENS_PREFIX).is_empty());
    assert_eq!(Store::Session.get(ACTIVE_KEY), None);
    let reloaded = Auth::with_transport(config(CacheLocation::Memory), fake.transport(), |_| {});
    assert_eq!(
        reloaded.account().get_untracked(),
        None,
        "a new page starts signed out"
    );
}

#[wasm_bindgen_test]
async fn a_tampered_or_replayed_state_is_refused() {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = auth_over(&fake, CacheLocation::SessionStorage);
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
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = auth_over(&fake, CacheLocation::SessionStorage);

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
        auth.cached_tokens(),
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
async fn concurrent_callers_share_one_refresh() {
    clear_session();
    let fake = Fake::new();
    let (auth, _) = signed_in(&fake, CacheLocation::SessionStorage).await;
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
        auth.cached_tokens().unwrap().refresh_token.as_deref(),
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
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = signed_in(&fake, CacheLocation::SessionStorage).await;
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
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = signed_in(&fake, CacheLocation::SessionStorage).await;
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
        auth.cached_tokens(),
        None,
        "the refused tokens are forgotten"
    );
}

#[wasm_bindgen_test]
async fn interaction_required_errors_also_start_a_sign_in() {
    for error in ["interaction_required", "login_required", "consent_required"] {
        clear_session();
        let fake = Fake::new();
        let (auth, visited) = signed_in(&fake, CacheLocation::SessionStorage).await;
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
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = signed_in(&fake, CacheLocation::SessionStorage).await;
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
    assert!(auth.cached_tokens().is_some());
    *fake.refuse.borrow_mut() = None;
    assert_eq!(
        auth.access_token().await.unwrap(),
        "access-2",
        "works again once the provider does"
    );
}

#[wasm_bindgen_test]
async fn nobody_signed_in_means_an_interactive_sign_in_from_here() {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = auth_over(&fake, CacheLocation::SessionStorage);
    assert_eq!(
        auth.access_token().await,
        Err(AuthError::InteractionRequired)
    );
    assert_eq!(visited.borrow().len(), 1);
    assert!(fake.token_requests.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn sign_out_clears_the_cache_and_ends_the_session_at_the_provider() {
    clear_session();
    let fake = Fake::new();
    let (auth, visited) = signed_in(&fake, CacheLocation::SessionStorage).await;
    let id_token = auth.cached_tokens().unwrap().id_token;
    auth.sign_out();
    assert_eq!(auth.account().get_untracked(), None);
    assert!(
        session_keys("portal.auth.tokens").is_empty() && Store::Session.get(ACTIVE_KEY).is_none()
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

/// Moves the cached access token's renewal time into the past.
fn expire(auth: &Auth) {
    let mut tokens = auth.cached_tokens().unwrap();
    tokens.renew_at_ms = 0;
    tokens.expires_at_ms = 0;
    let key = format!("{TOKENS_PREFIX}{}", tokens.claims.account_key());
    Store::Session.set(&key, &serde_json::to_string(&tokens).unwrap());
}
