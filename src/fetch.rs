//! The browser's `fetch`, as the app uses it: a method, headers and a text body out; the
//! status, `Retry-After` and the body's text back.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCache, RequestInit, Response};

/// One request.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// `None` for a `GET`.
    pub body: Option<&'a str>,
    /// Bypasses the HTTP cache (`cache: "no-store"`).
    pub no_store: bool,
}

/// A whole answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    pub text: String,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// No answer came: the browser's reason.
#[derive(Clone, Debug)]
pub struct FetchError(pub String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn reason(error: JsValue) -> FetchError {
    let message = js_sys::Reflect::get(&error, &"message".into())
        .ok()
        .and_then(|m| m.as_string());
    FetchError(message.unwrap_or_else(|| "the request failed".into()))
}

/// Sends `request` and reads the whole answer.
pub async fn send(request: Request<'_>) -> Result<Answer, FetchError> {
    let headers = Headers::new().map_err(reason)?;
    for (name, value) in request.headers {
        headers.append(name, value).map_err(reason)?;
    }
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_headers(&headers);
    if let Some(body) = request.body {
        init.set_body(&JsValue::from_str(body));
    }
    if request.no_store {
        init.set_cache(RequestCache::NoStore);
    }
    let window = web_sys::window().ok_or_else(|| FetchError("no window".into()))?;
    let response = JsFuture::from(window.fetch_with_str_and_init(request.url, &init))
        .await
        .map_err(reason)?;
    read(response.unchecked_into()).await
}

/// Reads the whole of `response`.
async fn read(response: Response) -> Result<Answer, FetchError> {
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let text = JsFuture::from(response.text().map_err(reason)?)
        .await
        .map_err(reason)?;
    Ok(Answer {
        status: response.status(),
        retry_after,
        text: text.as_string().unwrap_or_default(),
    })
}
