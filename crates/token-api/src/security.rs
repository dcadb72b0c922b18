//! Security headers on every response, and the SPA's Content-Security-Policy.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The Content-Security-Policy sent with HTML.
#[derive(Clone, Debug)]
pub struct Csp(HeaderValue);

impl Csp {
    /// Builds the policy: the issuer's origin may be connected to and posted to, and each
    /// inline script of the SPA's `index.html` is allowed by its SHA-256 hash.
    pub fn new(issuer: Option<&str>, spa_dir: Option<&Path>) -> std::io::Result<Csp> {
        let origin = issuer
            .and_then(origin_of)
            .map(|o| format!(" {o}"))
            .unwrap_or_default();
        let hashes = match spa_dir {
            Some(dir) => inline_script_hashes(&std::fs::read_to_string(dir.join("index.html"))?)
                .into_iter()
                .map(|h| format!(" 'sha256-{h}'"))
                .collect::<String>(),
            None => String::new(),
        };
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'{origin}; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'{origin}; object-src 'none'"
        );
        Ok(Csp(HeaderValue::from_str(&policy)
            .unwrap_or(HeaderValue::from_static("default-src 'none'"))))
    }

    /// The header value.
    pub fn value(&self) -> &HeaderValue {
        &self.0
    }
}

fn origin_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Base64 SHA-256 of the body of every `<script>` without a `src` attribute.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(start) = lower[pos..].find("<script").map(|i| i + pos) {
        let Some(tag_end) = lower[start..].find('>').map(|i| i + start) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| i + tag_end) else {
            break;
        };
        let attrs = &lower[start + "<script".len()..tag_end];
        if !has_src(attrs) {
            let body = &html[tag_end + 1..close];
            out.push(
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes())),
            );
        }
        pos = close;
    }
    out
}

fn has_src(attrs: &str) -> bool {
    attrs
        .split(|c: char| c.is_ascii_whitespace())
        .any(|a| a == "src" || a.starts_with("src="))
}

/// The headers sent with every response: no sniffing, no referrer, no framing.
pub const EVERY_RESPONSE: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    // Always: browsers ignore it on plain HTTP (RFC 6797 §8.1), so development over
    // http://127.0.0.1 is unaffected, and behind a TLS front the server cannot tell (it does
    // not trust `X-Forwarded-Proto`). No `includeSubDomains`: sibling hosts are not ours.
    (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
];

/// The security headers of the SPA's HTML as `name: value` lines ([`EVERY_RESPONSE`], then
/// the CSP): what `token-api headers` prints for a front proxy to send.
pub fn html_header_lines(csp: &Csp) -> String {
    let csp = (
        header::CONTENT_SECURITY_POLICY,
        csp.value().to_str().unwrap_or_default(),
    );
    EVERY_RESPONSE
        .iter()
        .chain([&csp])
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect()
}

/// Adds the security headers: on every response [`EVERY_RESPONSE`]; on `/api/` responses
/// `Cache-Control: no-store`; on HTML the CSP.
pub async fn headers(State(csp): State<Csp>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    for (name, value) in EVERY_RESPONSE {
        h.insert(name, HeaderValue::from_static(value));
    }
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_html {
        h.insert(header::CONTENT_SECURITY_POLICY, csp.value().clone());
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<html><head><script type="module">import init from '/a.js';init();</script>
            <script src="/x.js"></script><SCRIPT>b()</SCRIPT></head></html>"#;
        let hashes = inline_script_hashes(html);
        let expected = |s: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
        };
        assert_eq!(
            hashes,
            vec![
                expected("import init from '/a.js';init();"),
                expected("b()")
            ]
        );
    }

    #[test]
    fn header_lines_end_with_the_csp() {
        let csp = Csp::new(Some("http://127.0.0.1:4000/x"), None).unwrap();
        let lines = html_header_lines(&csp);
        assert!(
            lines.starts_with("x-content-type-options: nosniff\n"),
            "{lines}"
        );
        assert!(
            lines.ends_with(
                "connect-src 'self' http://127.0.0.1:4000; frame-ancestors 'none'; \
                 base-uri 'none'; form-action 'self' http://127.0.0.1:4000; object-src 'none'\n"
            ),
            "{lines}"
        );
    }

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin_of("http://127.0.0.1:4000/oidc").as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(origin_of("not a url"), None);
    }
}
