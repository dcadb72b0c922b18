//! Compressed answers: the SPA's precompressed `.br`/`.gz` copies, and API JSON above the
//! size threshold; identity for requests that accept neither, and for small answers.

mod common;

use common::{Db, Env};
use reqwest::header::HeaderMap;
use token_wire::Role;

const INDEX: &str = "<!DOCTYPE html><html><head></head><body></body></html>";
const JS: &str = "app-0123456789abcdef.js";
const WASM: &str = "app-0123456789abcdef_bg.wasm";

/// A dist whose `.br`/`.gz` copies hold markers, so each answer shows which file was sent.
/// The wasm has only a brotli copy; `config.json` (written at deployment) has none.
fn spa_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
    write("index.html", INDEX);
    write("index.html.br", "brotli copy of index.html");
    write("index.html.gz", "gzip copy of index.html");
    write(JS, "export default 1;");
    write(&format!("{JS}.br"), "brotli copy of the js");
    write(&format!("{JS}.gz"), "gzip copy of the js");
    write(WASM, "\0asm");
    write(&format!("{WASM}.br"), "brotli copy of the wasm");
    write("config.json", "{}");
    dir
}

async fn get(env: &Env, path: &str, accept: Option<&str>) -> (HeaderMap, String) {
    let mut req = env.server.http.get(env.server.url(path));
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let headers = r.headers().clone();
    (headers, r.text().await.unwrap())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn spa_files_are_sent_precompressed_when_accepted() {
    let dist = spa_dir();
    let env = Env::with(Db::Sqlite, |c| c.spa_dir = Some(dist.path().to_path_buf())).await;
    let immutable = "public, max-age=31536000, immutable";
    // (path, Accept-Encoding, Content-Encoding sent, body sent, Cache-Control)
    let cases = [
        (
            JS,
            Some("gzip, deflate, br, zstd"),
            Some("br"),
            "brotli copy of the js",
            immutable,
        ),
        (
            JS,
            Some("gzip"),
            Some("gzip"),
            "gzip copy of the js",
            immutable,
        ),
        (
            JS,
            Some("br;q=0, gzip"),
            Some("gzip"),
            "gzip copy of the js",
            immutable,
        ),
        (JS, None, None, "export default 1;", immutable),
        (JS, Some("identity"), None, "export default 1;", immutable),
        (
            WASM,
            Some("br"),
            Some("br"),
            "brotli copy of the wasm",
            immutable,
        ),
        (WASM, Some("gzip"), None, "\0asm", immutable),
        ("config.json", Some("gzip, br"), None, "{}", "no-cache"),
        (
            "",
            Some("gzip, br"),
            Some("br"),
            "brotli copy of index.html",
            "no-cache",
        ),
        (
            "index.html",
            Some("gzip"),
            Some("gzip"),
            "gzip copy of index.html",
            "no-cache",
        ),
        (
            "settings/security-extensions/api-tokens",
            Some("br"),
            Some("br"),
            "brotli copy of index.html",
            "no-cache",
        ),
        (
            "settings/security-extensions/api-tokens",
            None,
            None,
            INDEX,
            "no-cache",
        ),
    ];
    for (path, accept, encoding, body, cache) in cases {
        let (h, text) = get(&env, &format!("/{path}"), accept).await;
        let case = format!("/{path} with {accept:?}");
        assert_eq!(header(&h, "content-encoding"), encoding, "{case}");
        assert_eq!(text, body, "{case}");
        assert_eq!(header(&h, "vary"), Some("accept-encoding"), "{case}");
        assert_eq!(header(&h, "cache-control"), Some(cache), "{case}");
        assert_eq!(
            header(&h, "content-length"),
            Some(body.len().to_string().as_str()),
            "{case}"
        );
        let content_type = header(&h, "content-type").unwrap();
        let expected_type = match path.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("wasm") => "application/wasm",
            Some("json") => "application/json",
            _ => "text/html",
        };
        assert!(
            content_type.starts_with(expected_type),
            "{case}: {content_type}"
        );
        assert_eq!(
            header(&h, "x-content-type-options"),
            Some("nosniff"),
            "{case}"
        );
        if expected_type == "text/html" {
            assert!(header(&h, "content-security-policy").is_some(), "{case}");
        }
    }
}

#[tokio::test]
async fn large_api_answers_are_compressed_small_ones_are_not() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let bearer = env
        .idp
        .access_token("tenant-a", "admin", &[Role::GlobalAdministrator]);
    for i in 0..20 {
        s.create(&bearer, &format!("deploy pipeline {i:02}")).await;
    }
    let list = "/api/v1/tokens?limit=100";
    let fetch = |path: &'static str, accept: Option<&'static str>| {
        let mut req = s.http.get(s.url(path)).bearer_auth(&bearer);
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let h = r.headers().clone();
            (h, r.bytes().await.unwrap().to_vec())
        }
    };

    let (h, identity) = fetch(list, None).await;
    assert_eq!(header(&h, "content-encoding"), None);
    assert!(
        identity.len() > 2048,
        "the list must be large: {} B",
        identity.len()
    );
    let list_json: serde_json::Value = serde_json::from_slice(&identity).unwrap();
    assert_eq!(list_json["items"].as_array().unwrap().len(), 20);

    let (h, gz) = fetch(list, Some("gzip")).await;
    assert_eq!(header(&h, "content-encoding"), Some("gzip"));
    assert_api_headers(&h);
    assert_eq!(gz[..3], [0x1f, 0x8b, 8], "a gzip member");
    let trailer = &gz[gz.len() - 8..];
    assert_eq!(
        trailer[..4],
        crc32fast::hash(&identity).to_le_bytes(),
        "gzip's CRC-32 is the identity body's"
    );
    assert_eq!(trailer[4..], (identity.len() as u32).to_le_bytes());
    assert!(
        gz.len() * 3 < identity.len(),
        "{} B of {}",
        gz.len(),
        identity.len()
    );

    let (h, br) = fetch(list, Some("gzip, deflate, br")).await;
    assert_eq!(header(&h, "content-encoding"), Some("br"));
    assert_api_headers(&h);
    assert!(
        br.len() * 3 < identity.len(),
        "{} B of {}",
        br.len(),
        identity.len()
    );

    let (h, me) = fetch("/api/v1/me", Some("gzip, br")).await;
    assert!(me.len() < 1024, "/me is small: {} B", me.len());
    assert_eq!(header(&h, "content-encoding"), None, "below the threshold");
    serde_json::from_slice::<serde_json::Value>(&me).unwrap();
}

fn assert_api_headers(h: &HeaderMap) {
    assert_eq!(header(h, "vary"), Some("accept-encoding"));
    assert_eq!(header(h, "cache-control"), Some("no-store"));
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(h, "x-frame-options"), Some("DENY"));
    assert!(
        header(h, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(header(h, "content-length"), None, "streamed");
}
