//! A fake OpenID provider for the sign-in tests: discovery, and a token endpoint that checks
//! PKCE and rotates refresh tokens; plus an [`Auth`] over it whose navigations are recorded.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use api_tokens_portal::auth::cache::{self, OAuthTokens};
use api_tokens_portal::auth::claims::decode_payload;
use api_tokens_portal::auth::provider::{HttpError, HttpRequest, HttpResponse, Method, Transport};
use api_tokens_portal::auth::{Auth, now_ms};
use api_tokens_portal::config::{CacheLocation, RuntimeConfig};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::url::Url;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::sleep;

/// The provider's issuer (and the configured authority).
pub const ISSUER: &str = "https://idp.test";
/// The SPA's client id.
pub const CLIENT_ID: &str = "api-tokens-portal";
/// The SPA's origin.
pub const APP: &str = "https://portal.test";
/// The signed-in user's tenant (`tid`).
pub const TID: &str = "11111111-1111-4111-8111-111111111111";
/// The signed-in user (`oid`).
pub const OID: &str = "c0000000-0000-4000-8000-000000000006";
/// The `wids` entry of the Security reader role.
pub const READER: &str = "5d6b6bb7-de71-4623-b4af-96380a352509";
/// The `wids` entry of the Global administrator role.
pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Cached OAuth tokens of the fixture user whose access token was received at `now_ms` and
/// lives an hour.
pub fn oauth_tokens(now_ms: f64) -> OAuthTokens {
    let (renew_at_ms, expires_at_ms) = cache::access_token_times(now_ms, Some(3600));
    OAuthTokens {
        access_token: "a".into(),
        expires_at_ms,
        renew_at_ms,
        refresh_token: None,
        id_token: "i".into(),
        claims: decode_payload(&jwt(&id_claims(None))).unwrap(),
    }
}

/// The SPA's configuration against the fake provider, with the cache at `cache_location`.
pub fn config(cache_location: CacheLocation) -> RuntimeConfig {
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

/// Now, in seconds since the epoch.
pub fn now_s() -> i64 {
    (now_ms() / 1000.0) as i64
}

/// An unsigned compact JWT with `claims` as its payload.
pub fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// ID token claims of a Security reader, with `nonce` if any.
pub fn id_claims(nonce: Option<&str>) -> Value {
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

/// A form or query string, by name.
pub type Form = HashMap<String, String>;

/// The fake provider; tests read its requests and set its switches.
#[derive(Default)]
pub struct Fake {
    /// How many times the discovery document was read.
    pub discoveries: RefCell<u32>,
    /// Every token request's form, in order.
    pub token_requests: RefCell<Vec<Form>>,
    /// code → (PKCE challenge, nonce) as the authorization endpoint would remember them.
    codes: RefCell<HashMap<String, (String, String)>>,
    /// The refresh token the provider accepts next.
    live_refresh: RefCell<Option<String>>,
    /// When set, the token endpoint answers this OAuth error.
    pub refuse: RefCell<Option<&'static str>>,
    /// When set, the token endpoint is unreachable.
    pub offline: RefCell<bool>,
    /// When set, ID tokens carry this nonce instead of the requested one.
    pub wrong_nonce: RefCell<bool>,
    /// Milliseconds the token endpoint takes to answer.
    pub delay_ms: RefCell<i32>,
    issued: RefCell<u32>,
}

impl Fake {
    /// A provider that has seen no request yet and answers normally.
    pub fn new() -> Rc<Fake> {
        Rc::new(Fake::default())
    }

    /// The provider's side of the authorization request at `authorize_url`: a code for it.
    pub fn authorize(&self, authorize_url: &str) -> String {
        let url = Url::parse(authorize_url).unwrap();
        let q: Form = url.query_pairs().into_owned().collect();
        let code = format!("code-{}", q["state"].len() + self.codes.borrow().len());
        self.codes.borrow_mut().insert(
            code.clone(),
            (q["code_challenge"].clone(), q["nonce"].clone()),
        );
        format!("{APP}/auth/callback?code={code}&state={}", q["state"])
    }

    /// The transport that reaches this provider.
    pub fn transport(self: &Rc<Fake>) -> Transport {
        let fake = self.clone();
        Transport::new(move |request| {
            let fake = fake.clone();
            Box::pin(async move { fake.answer(request).await })
        })
    }

    async fn answer(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let path = Url::parse(&request.url).unwrap().path().to_string();
        let header = |name: &str| {
            let mut named = request.headers.iter();
            named
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        assert_eq!(header("accept"), Some("application/json"));
        if path == "/.well-known/openid-configuration" {
            assert_eq!(request.method, Method::Get);
            *self.discoveries.borrow_mut() += 1;
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
        assert_eq!((request.method, path.as_str()), (Method::Post, "/token"));
        assert_eq!(
            header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let form: Form = oauth2::url::form_urlencoded::parse(request.body.as_bytes())
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
            header("authorization").is_none(),
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
    HttpResponse {
        status,
        body: body.to_string(),
    }
}

/// An [`Auth`] over `fake` whose navigations are recorded instead of followed.
pub fn auth_over(fake: &Rc<Fake>, location: CacheLocation) -> (Auth, Rc<RefCell<Vec<String>>>) {
    let visited = Rc::new(RefCell::new(Vec::new()));
    let record = visited.clone();
    let auth = Auth::with_transport(config(location), fake.transport(), move |url| {
        record.borrow_mut().push(url.to_string())
    });
    (auth, visited)
}

/// Signs in through the fake provider, as the browser would: sign_in, authorize, redirect.
pub async fn signed_in(
    fake: &Rc<Fake>,
    location: CacheLocation,
) -> (Auth, Rc<RefCell<Vec<String>>>) {
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

/// The query parameters of `url`.
pub fn query(url: &str) -> Form {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
