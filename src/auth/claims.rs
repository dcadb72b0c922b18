//! ID token claims: decoding the JWT payload and the checks of OIDC Core 3.1.3.7.
//!
//! The ID token comes straight from the token endpoint over TLS, so its signature is trusted
//! (OIDC Core 3.1.3.7, item 6); `iss`, `aud`, `nonce` and `exp` are still checked.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::Account;
use crate::from_json;
use crate::json::{Field, FromJson, JsonError, Object};

/// Clock skew tolerated on `exp`, in seconds (MSAL's default).
pub const CLOCK_SKEW_S: i64 = 300;

/// The `aud` claim: one audience or several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// One string or an array of strings, as serde's `untagged` reads it.
impl Field for Audience {
    fn field(o: &Object, key: &str) -> Result<Audience, JsonError> {
        match o.opt_str(key) {
            Ok(one) => {
                Ok(Audience::One(one.ok_or_else(|| {
                    JsonError(format!("missing field `{key}`"))
                })?))
            }
            Err(_) => o.strings(key).map(Audience::Many),
        }
    }
}

impl Audience {
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Audience::One(a) => a == client_id,
            Audience::Many(all) => all.iter().any(|a| a == client_id),
        }
    }

    fn len(&self) -> usize {
        match self {
            Audience::One(_) => 1,
            Audience::Many(all) => all.len(),
        }
    }
}

/// The ID token claims the portal reads (Entra-shaped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub aud: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
    pub exp: i64,
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Directory role template ids.
    #[serde(default)]
    pub wids: Vec<String>,
}

from_json! {
    IdClaims { iss, aud, azp, exp, sub, nonce, tid, oid, name, preferred_username, wids }
}

/// Why an ID token is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("it is not a readable JWT ({0})")]
    Malformed(String),
    #[error("it was issued by {found}, not by {expected}")]
    Issuer { expected: String, found: String },
    #[error("it was issued for another application")]
    Audience,
    #[error("its nonce does not match the sign-in request")]
    Nonce,
    #[error("it has expired")]
    Expired,
}

/// What an ID token must match.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The issuer from discovery.
    pub issuer: &'a str,
    /// The SPA's client id.
    pub client_id: &'a str,
    /// The nonce sent with the authorization request; `None` for a refresh, whose ID token
    /// need not carry one.
    pub nonce: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now_s: i64,
}

/// Decodes the claims in the payload of a compact JWT without checking its signature.
pub fn decode_payload(jwt: &str) -> Result<IdClaims, ClaimError> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ClaimError::Malformed(
            "not three dot-separated parts".into(),
        ));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| ClaimError::Malformed(e.to_string()))?;
    Object::parse(&String::from_utf8_lossy(&bytes))
        .and_then(|o| IdClaims::read(&o))
        .map_err(|e| ClaimError::Malformed(e.to_string()))
}

impl IdClaims {
    /// Decodes `id_token` and checks it against `expected`.
    pub fn from_id_token(id_token: &str, expected: Expected<'_>) -> Result<IdClaims, ClaimError> {
        let claims = decode_payload(id_token)?;
        claims.check(expected)?;
        Ok(claims)
    }

    /// The claims as a JSON object, as serde would write them.
    pub fn write(&self) -> Object {
        let o = Object::default();
        o.set_str("iss", &self.iss);
        match &self.aud {
            Audience::One(one) => o.set_str("aud", one),
            Audience::Many(many) => o.set_strings("aud", many),
        };
        o.set_opt_str("azp", self.azp.as_deref())
            .set_num("exp", self.exp as f64)
            .set_str("sub", &self.sub)
            .set_opt_str("nonce", self.nonce.as_deref())
            .set_opt_str("tid", self.tid.as_deref())
            .set_opt_str("oid", self.oid.as_deref())
            .set_opt_str("name", self.name.as_deref())
            .set_opt_str("preferred_username", self.preferred_username.as_deref())
            .set_strings("wids", &self.wids);
        o
    }

    /// The checks of OIDC Core 3.1.3.7 that do not need the signature.
    pub fn check(&self, expected: Expected<'_>) -> Result<(), ClaimError> {
        if self.iss.trim_end_matches('/') != expected.issuer.trim_end_matches('/') {
            return Err(ClaimError::Issuer {
                expected: expected.issuer.to_string(),
                found: self.iss.clone(),
            });
        }
        let azp_ok = self.aud.len() == 1 || self.azp.as_deref() == Some(expected.client_id);
        if !self.aud.contains(expected.client_id) || !azp_ok {
            return Err(ClaimError::Audience);
        }
        if let Some(nonce) = expected.nonce
            && self.nonce.as_deref() != Some(nonce)
        {
            return Err(ClaimError::Nonce);
        }
        if self.exp + CLOCK_SKEW_S <= expected.now_s {
            return Err(ClaimError::Expired);
        }
        Ok(())
    }

    /// The cache key of this account: `tid.oid` (MSAL's home account id).
    pub fn account_key(&self) -> String {
        format!("{}.{}", self.tid.as_deref().unwrap_or(""), self.user_id())
    }

    fn user_id(&self) -> &str {
        self.oid.as_deref().unwrap_or(&self.sub)
    }

    /// The signed-in account these claims describe, with the contract's roles (unknown
    /// `wids` ignored) and display name rule.
    pub fn account(&self) -> Account {
        let name = token_wire::display_name(
            self.name.as_deref(),
            self.preferred_username.as_deref(),
            self.user_id(),
        );
        Account {
            tenant_id: self.tid.clone().unwrap_or_default(),
            user_id: self.user_id().to_string(),
            name: name.to_string(),
            username: self.preferred_username.clone().unwrap_or_default(),
            roles: token_wire::roles_from_wids(&self.wids),
        }
    }
}
