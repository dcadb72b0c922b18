//! Schema-driven fuzzing, run by `cargo xtask test api-fuzz` (which installs schemathesis,
//! pinned, from PyPI): schemathesis generates requests from the served OpenAPI document and
//! fails on any 5xx answer, any status the document does not list for the operation, and any
//! answer whose body or content type does not match the document — once with a portal bearer
//! (a full admin's access token) and once with an API token.

mod common;

use std::process::{Command, Stdio};

use common::{Db, Env};

/// Examples per operation and phase: enough to reach every documented status, bounded in time.
const MAX_EXAMPLES: &str = "40";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis: run by `cargo xtask test api-fuzz`"]
async fn the_api_answers_as_its_document_says_under_fuzzing() {
    let env = Env::with(Db::Sqlite, |c| c.rate_limit_per_minute = 1_000_000).await;
    let admin = env.admin();
    fuzz(
        &env,
        "portal bearer",
        &format!("Bearer {admin}"),
        "/api/v1/me",
    )
    .await;
    // The bearer's run lists, revokes and generates tokens as it likes: the API token is
    // generated after it.
    let (_, api_token) = env.server.create(&admin, "fuzzing").await;
    fuzz(
        &env,
        "API token",
        &format!("Token {api_token}"),
        "/api/v1/alerts/",
    )
    .await;
}

/// Runs schemathesis with `authorization` on every request, once `probe` shows it is accepted.
async fn fuzz(env: &Env, who: &str, authorization: &str, probe: &str) {
    let accepted = env
        .server
        .http
        .get(env.server.url(probe))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(accepted, 200, "the {who} is accepted before fuzzing");
    eprintln!("schemathesis with a {who}");
    let st = std::env::var_os("SCHEMATHESIS").expect("SCHEMATHESIS: the path of schemathesis' st");
    let mut schemathesis = Command::new(&st);
    schemathesis
        .arg("--config-file")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(env.server.url("/api/v1/openapi.json"))
        .args(["--url", &env.server.base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", "1", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing"])
        // The credential travels in the environment (see the config file).
        .env("FUZZ_AUTHORIZATION", authorization)
        // Its cache of found failures stays out of the sources.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::null());
    // The server answers on this runtime while schemathesis runs.
    let status = tokio::task::spawn_blocking(move || schemathesis.status())
        .await
        .unwrap()
        .expect("schemathesis runs");
    assert!(
        status.success(),
        "schemathesis with a {who} found failures (above)"
    );
}
