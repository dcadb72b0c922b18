//! Serving the built SPA: static files (their `.br`/`.gz` copies when the browser accepts
//! them), `index.html` for client-side routes, cache headers.

use std::path::Path;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{MethodRouter, get_service};
use tower_http::services::{ServeDir, ServeFile};

/// A service serving `dir`, answering `index.html` (200) for paths without a file.
///
/// A file `f` is sent as `f.br` or `f.gz` (with `Content-Encoding`) when that copy exists and
/// the request accepts its encoding, and as itself otherwise.
pub fn service<S: Clone + Send + Sync + 'static>(dir: &Path) -> MethodRouter<S> {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let serve = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(index);
    get_service(serve)
}

/// Cache headers for SPA files: hashed assets are immutable, everything else revalidates;
/// every file may come in another encoding, so caches key it by `Accept-Encoding`.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    let status = res.status();
    if path.starts_with("/api/") || !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return res;
    }
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let value = if !html && is_hashed_asset(&path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// Whether the file name carries a content hash as Trunk writes it: `name-<hex>.ext`, the hex
/// a 64-bit hash without leading zeros (16 digits, 15 one time in 16, rarely fewer).
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches("_bg");
    stem.rsplit_once(['-', '_'])
        .is_some_and(|(_, h)| h.len() >= 12 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn recognises_trunk_hashes() {
        assert!(is_hashed_asset("/api-tokens-portal-3f2a9c1b7d6e5f40.js"));
        assert!(is_hashed_asset(
            "/api-tokens-portal-3f2a9c1b7d6e5f40_bg.wasm"
        ));
        assert!(is_hashed_asset("/api-tokens-portal-107c0b0eacb586f.js"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/config.json"));
        assert!(!is_hashed_asset("/favicon.ico"));
    }
}
