//! A first visit served by the token API sends the release bundle compressed: the browser's
//! own requests for the page, its script, wasm and styles come back brotli- or
//! gzip-encoded, with `Vary: Accept-Encoding`, and the portal runs from them.

use e2e::tokens_screen::wait_loaded;
use e2e::{API_TOKENS_PATH, Browser};
use serde_json::Value;

/// For the page and every same-origin script, wasm and stylesheet it loaded: what the
/// browser reports for that load, then the headers of the same request made again
/// from the page (`cache: "no-store"`), with the browser's own `Accept-Encoding`.
const PROBE: &str = r#"
const page = performance.getEntriesByType("navigation")[0];
const loads = [page, ...performance.getEntriesByType("resource")]
  .filter((e) => e.name.startsWith(location.origin) && (e === page || /\.(js|wasm|css)$/.test(new URL(e.name).pathname)));
const out = [];
for (const e of loads) {
  const r = await fetch(e.name, { cache: "no-store" });
  const body = await r.arrayBuffer();
  out.push({
    url: e.name, status: r.status, bytes: body.byteLength,
    encoding: r.headers.get("content-encoding"), vary: r.headers.get("vary"),
    cache: r.headers.get("cache-control"), type: r.headers.get("content-type"),
    encoded: e.encodedBodySize, decoded: e.decodedBodySize,
  });
}
return out;
"#;

#[tokio::test]
async fn a_first_visit_gets_the_bundle_compressed() {
    let stack = e2e::start_stack();
    let browser = Browser::start("compression").await;
    browser
        .open_signed_in(&stack.url(API_TOKENS_PATH), "admin@contoso.test")
        .await;
    wait_loaded(&browser).await;

    let loads = browser.client.execute(PROBE, vec![]).await.unwrap();
    let loads = loads.as_array().unwrap();
    let field = |l: &Value, k: &str| l[k].as_str().unwrap_or_default().to_string();
    // Without the query: the page may have been loaded with the sign-in's code in it.
    let path = |l: &Value| {
        let url = field(l, "url");
        let url = url.split(['?', '#']).next().unwrap_or_default();
        url.trim_start_matches(&stack.app).to_string()
    };
    let extensions: Vec<String> = loads
        .iter()
        .filter_map(|l| path(l).rsplit_once('.').map(|(_, e)| e.to_string()))
        .collect();
    for ext in ["js", "wasm", "css"] {
        assert!(
            extensions.iter().any(|e| e == ext),
            "no {ext} among {loads:#?}"
        );
    }

    let (mut wire, mut decoded) = (0, 0);
    for l in loads {
        let p = path(l);
        assert_eq!(l["status"], 200, "{p}");
        let encoding = field(l, "encoding");
        assert!(
            encoding == "br" || encoding == "gzip",
            "{p} came as {encoding:?}: {l}"
        );
        assert_eq!(field(l, "vary"), "accept-encoding", "{p}");
        let dist_file = if p.ends_with(".js") || p.ends_with(".wasm") || p.ends_with(".css") {
            assert_eq!(
                field(l, "cache"),
                "public, max-age=31536000, immutable",
                "{p}"
            );
            p.trim_start_matches('/').to_string()
        } else {
            assert!(field(l, "type").starts_with("text/html"), "{p}");
            assert_eq!(field(l, "cache"), "no-cache", "{p}");
            "index.html".to_string()
        };
        let on_disk = std::fs::metadata(stack.spa_dir().unwrap().join(&dist_file))
            .unwrap()
            .len();
        assert_eq!(
            l["bytes"].as_u64(),
            Some(on_disk),
            "{p}: the browser decodes it to the file"
        );
        let suffix = if encoding == "br" { "br" } else { "gz" };
        let copy = stack
            .spa_dir()
            .unwrap()
            .join(format!("{dist_file}.{suffix}"));
        let compressed = std::fs::metadata(copy).unwrap().len();
        assert_eq!(
            l["encoded"].as_u64(),
            Some(compressed),
            "{p}: the page's own load came as that copy"
        );
        wire += compressed;
        decoded += on_disk;
        eprintln!(
            "{p}: {on_disk} B as {compressed} B {encoding} (the load itself: {} B encoded, {} B decoded)",
            l["encoded"], l["decoded"]
        );
    }
    eprintln!("first visit: {wire} B on the wire for {decoded} B of page, script, wasm and styles");
    assert!(wire * 2 < decoded, "{wire} B sent for {decoded} B");
    browser.close().await;
}
