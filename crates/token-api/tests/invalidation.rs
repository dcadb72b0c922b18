//! Revocation, deprovisioning and role changes take effect: at once on the instance that
//! makes them, and on other instances sharing the database within the stated bound (the
//! 2 s change-poll interval plus one query: 3 s; on PostgreSQL `NOTIFY` brings them within
//! 1 s, see `multi_instance.rs`). Runs on SQLite and, when configured, PostgreSQL.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::{Env, TA, TestServer, eventually};
use token_wire::Role::*;

const BOUND: Duration = Duration::from_secs(3);

/// Runs `token-api users <action> --tenant tenant-a --user <user>` on `db_url`.
fn users_cli(action: &str, user: &str, db_url: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args(["users", action, "--tenant", TA, "--user", user])
        .args(["--database-url", db_url])
        .output()
        .unwrap()
}

async fn revoke_is_immediate_and_audited(env: Env) {
    let s = &env.server;
    let admin = env.admin();
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    let (id, value) = s.create(&reader, "soon-gone").await;
    assert_eq!(s.use_api_token(&value, false).await.0, 200);
    assert!(s.state.cached_api_tokens() >= 1);
    assert_eq!(
        s.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        204
    );
    let (status, p) = s.use_api_token(&value, false).await;
    assert_eq!((status, p["title"].as_str()), (401, Some("Invalid token")));
    assert!(s.names(&admin, "").await.is_empty());
    assert!(s.names(&reader, "").await.is_empty());
    assert!(s.names(&admin, "&status=active").await.is_empty());
    assert_eq!(
        s.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        404
    );
    let (_, audit) = s.get(&admin, "/api/v1/audit").await;
    let first = &audit["items"][0];
    assert_eq!(first["action"], "revoked");
    assert_eq!(first["actor"]["id"], "admin");
    assert_eq!(first["actor"]["display_name"], "User admin");
    assert_eq!(first["token_id"], id.as_str());
    assert_eq!(first["token_name"], "soon-gone");
    let body = audit.to_string();
    assert!(!body.contains(&value));
    // The name is free again once revoked.
    s.create(&reader, "soon-gone").await;
}
both_backends!(revoke_is_immediate_and_audited);

/// A second instance B on `env`'s database, and the API token "kept" of user `op`, generated
/// on A (`env.server`) and used once on B; returns (B, op's access token, kept's value).
async fn instance_b_with_a_kept_token(env: &Env) -> (TestServer, String, String) {
    let b = env.another_server().await;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, kept) = env.server.create(&op, "kept").await;
    assert_eq!(b.use_api_token(&kept, false).await.0, 200);
    (b, op, kept)
}

async fn revocation_reaches_other_instances_within_the_bound(env: Env) {
    let a = &env.server;
    let (b, user, keep) = instance_b_with_a_kept_token(&env).await;
    let admin = env.admin();
    let (id, value) = a.create(&user, "shared").await;
    assert_eq!(b.use_api_token(&value, false).await.0, 200);
    assert_eq!(
        b.state.cached_api_tokens(),
        2,
        "instance B now answers from its cache"
    );

    assert_eq!(
        a.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        204
    );
    let revoked_at = Instant::now();
    assert_eq!(
        a.use_api_token(&value, false).await.0,
        401,
        "refused at once on the revoking instance"
    );
    let (b_ref, value_ref) = (&b, &value);
    eventually(
        revoked_at,
        BOUND,
        "instance B still accepts a revoked token after 3 s",
        move || async move {
            let status = b_ref.use_api_token(value_ref, false).await.0;
            if status != 401 {
                assert_eq!(status, 200);
            }
            status == 401
        },
    )
    .await;
    assert_eq!(
        b.use_api_token(&keep, false).await.0,
        200,
        "other tokens stay valid"
    );
    b.stop().await;
}
both_backends!(revocation_reaches_other_instances_within_the_bound);

async fn deprovisioning_from_the_command_line_reaches_every_instance(env: Env) {
    let a = &env.server;
    let (b, _, keep) = instance_b_with_a_kept_token(&env).await;
    let admin = env.admin();

    let out = users_cli("deprovision", "op", &env.db.url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    let keep_ref = &keep;
    for server in [a, &b] {
        eventually(
            started,
            BOUND,
            "deprovisioning not seen after 3 s",
            move || async move {
                let (status, p) = server.use_api_token(keep_ref, false).await;
                if status == 403 {
                    assert_eq!(p["title"], "Permission denied");
                }
                status == 403
            },
        )
        .await;
    }
    assert!(
        a.names(&admin, "").await.contains(&"kept".to_string()),
        "a deprovisioned user's tokens stay listed"
    );

    assert!(users_cli("restore", "op", &env.db.url).status.success());
    let b_ref = &b;
    eventually(
        Instant::now(),
        BOUND,
        "restore not seen after 3 s",
        move || async move { b_ref.use_api_token(keep_ref, false).await.0 == 200 },
    )
    .await;
    assert!(
        !users_cli("deprovision", "nobody", &env.db.url)
            .status
            .success(),
        "an unknown user is an error"
    );
    b.stop().await;
}
both_backends!(deprovisioning_from_the_command_line_reaches_every_instance);

async fn role_changes_apply_to_existing_tokens(env: Env) {
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    assert_eq!(s.use_api_token(&value, true).await.0, 200);
    let demoted = env.idp.access_token(TA, "op", &[GlobalReader]);
    assert_eq!(s.get(&demoted, "/api/v1/me").await.1["privileges"], "read");
    assert_eq!(
        s.use_api_token(&value, true).await.0,
        403,
        "the token acts with the owner's current privileges"
    );
    assert_eq!(s.use_api_token(&value, false).await.0, 200);
}
both_backends!(role_changes_apply_to_existing_tokens);
