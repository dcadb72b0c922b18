//! URLs through the browser's own parser (`URL`, `URLSearchParams`): the sign-in builds and
//! reads its addresses and form bodies without a URL crate in the bundle.

use web_sys::{Url, UrlSearchParams};

use super::AuthError;

/// `href` parsed by the browser; a relative or malformed `href` is an
/// [`AuthError::Protocol`] naming `what`.
pub fn parse(href: &str, what: &str) -> Result<Url, AuthError> {
    Url::new(href).map_err(|_| AuthError::Protocol(format!("{what} is not a valid URL: {href}")))
}

/// `base` with `params` appended to its query, in order (its own query is kept).
pub fn with_params(base: &str, what: &str, params: &[(&str, &str)]) -> Result<String, AuthError> {
    let url = parse(base, what)?;
    let query = url.search_params();
    for (name, value) in params {
        query.append(name, value);
    }
    Ok(url.href())
}

/// `params` as an `application/x-www-form-urlencoded` body.
pub fn form(params: &[(&str, &str)]) -> String {
    let form = UrlSearchParams::new().expect("URLSearchParams is a browser built-in");
    for (name, value) in params {
        form.append(name, value);
    }
    form.to_string().into()
}

/// The first value of the query parameter `name` of `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.search_params().get(name)
}
