//! Privileges follow the directory: an older access token never overwrites newer roles, a
//! role change is recorded with its invalidation or not at all, cached API tokens are read
//! again within a minute, and a role removed in the directory reaches every token within one
//! sync interval (scheduled, or `token-api users sync`). Runs on SQLite and, when
//! configured, PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{DIRECTORY_CLIENT_ID, DIRECTORY_SECRET, Env, TA, eventually};
use sqlx::Executor;
use token_api::Config;
use token_api::directory::Secret;
use token_api::store::Backend;
use token_wire::Role::{self, *};

/// Sync interval of the scheduled-sync test.
const INTERVAL: Duration = Duration::from_secs(1);

/// `cfg` syncing tenant-a from the test provider's directory every `interval`.
fn with_directory(cfg: &mut Config, interval: Duration) {
    let issuer = cfg.issuer.clone().unwrap();
    let d = &mut cfg.directory;
    d.client_id = Some(DIRECTORY_CLIENT_ID.into());
    d.client_secret = Some(Secret(DIRECTORY_SECRET.into()));
    d.tenant_id = Some(TA.into());
    d.url = format!("{issuer}/v1.0");
    d.sync_interval = interval;
}

/// An access token of `oid` in tenant-a with `roles`, issued `age_secs` ago.
fn issued_ago(env: &Env, oid: &str, roles: &[Role], age_secs: i64) -> String {
    let mut claims = env.idp.claims(TA, oid, roles);
    claims["iat"] = (claims["iat"].as_i64().unwrap() - age_secs).into();
    env.idp.sign(&claims)
}

/// Runs `sql` on the test's database, behind the server's back.
async fn raw_sql(env: &Env, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.db.url).await.unwrap();
    pool.execute(sql).await.unwrap();
    pool.close().await;
}

async fn an_older_access_token_does_not_overwrite_newer_roles(env: Env) {
    let s = &env.server;
    let newer = env.idp.access_token(TA, "boss", &[GlobalAdministrator]);
    let older = issued_ago(&env, "boss", &[SecurityReader], 120);
    assert_eq!(s.get(&newer, "/api/v1/me").await.1["privileges"], "full");
    let (status, me) = s.get(&older, "/api/v1/me").await;
    assert_eq!(
        (status, &me["privileges"]),
        (200, &"full".into()),
        "the roles of the newer token stand: {me}"
    );
    assert_eq!(s.get(&newer, "/api/v1/me").await.1["privileges"], "full");
    // A newer token with other roles does replace them.
    let demoted = env.idp.access_token(TA, "boss", &[SecurityReader]);
    assert_eq!(s.get(&demoted, "/api/v1/me").await.1["privileges"], "read");
}
both_backends!(an_older_access_token_does_not_overwrite_newer_roles);

async fn a_role_change_is_recorded_with_its_invalidation_or_not_at_all(env: Env) {
    let s = &env.server;
    let op = issued_ago(&env, "op", &[SecurityOperator], 5);
    let (_, value) = s.create(&op, "t").await;
    assert_eq!(s.use_api_token(&value, true).await.0, 200, "cached, write");
    let postgres = s.state.store().backend() == Backend::Postgres;
    raw_sql(&env, if postgres {
        "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER boom BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION boom()"
    } else {
        "CREATE TRIGGER boom BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'boom'); END"
    })
    .await;
    let demoted = env.idp.access_token(TA, "op", &[GlobalReader]);
    assert!(
        s.get(&demoted, "/api/v1/me").await.0 >= 500,
        "the change log failed"
    );
    let stored = s.state.store().user(TA, "op").await.unwrap().unwrap();
    assert_eq!(
        stored.roles,
        SecurityOperator.wid(),
        "the role update went with the failed change record"
    );
    let drop = if postgres {
        "DROP TRIGGER boom ON changes"
    } else {
        "DROP TRIGGER boom"
    };
    raw_sql(&env, drop).await;
    assert_eq!(s.get(&demoted, "/api/v1/me").await.1["privileges"], "read");
    assert_eq!(
        s.use_api_token(&value, true).await.0,
        403,
        "the next sign-in saw the change and dropped the cached privileges"
    );
}
both_backends!(a_role_change_is_recorded_with_its_invalidation_or_not_at_all);

async fn cached_api_tokens_are_read_again_within_a_minute(env: Env) {
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, value) = s.create(&op, "t").await;
    assert_eq!(s.use_api_token(&value, true).await.0, 200);
    // A change that no instance hears of (no change-log row).
    raw_sql(
        &env,
        &format!(
            "UPDATE users SET roles = '{}' WHERE id = 'op'",
            GlobalReader.wid()
        ),
    )
    .await;
    assert_eq!(s.use_api_token(&value, true).await.0, 200, "still cached");
    s.clock.advance(Duration::from_millis(
        token_api::cache::ENTRY_LIFETIME_MS as u64,
    ));
    assert_eq!(
        s.use_api_token(&value, true).await.0,
        403,
        "read again from the store after the entry's lifetime"
    );
}
both_backends!(cached_api_tokens_are_read_again_within_a_minute);

/// `boss` (a global administrator in the directory and in their access token) generates an
/// API token, which works; op's role is on a second page of assignments.
async fn boss_with_a_token(env: &Env) -> (String, String) {
    let d = &env.idp.directory;
    d.set_roles("boss", &[GlobalAdministrator]);
    // "alice" (never signed in) comes first: op's role is on the second page.
    d.set_roles("alice", &[SecurityOperator]);
    d.set_roles("op", &[SecurityOperator]);
    d.set_roles("reader", &[SecurityReader, GlobalReader]);
    let boss = env.idp.access_token(TA, "boss", &[GlobalAdministrator]);
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    assert_eq!(env.server.get(&op, "/api/v1/me").await.0, 200);
    assert_eq!(
        env.server.get(&boss, "/api/v1/me").await.1["privileges"],
        "full"
    );
    let (_, value) = env.server.create(&boss, "boss-token").await;
    assert_eq!(env.server.use_api_token(&value, true).await.0, 200);
    (boss, value)
}

async fn a_role_removed_in_the_directory_reaches_tokens_within_one_interval(env: Env) {
    let s = &env.server;
    let (boss, value) = boss_with_a_token(&env).await;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    env.idp.directory.set_roles("boss", &[]);
    let removed = Instant::now();
    let value_ref = &value;
    eventually(
        removed,
        INTERVAL + Duration::from_secs(2),
        "the removed role still works after one sync interval",
        move || async move { s.use_api_token(value_ref, false).await.0 == 403 },
    )
    .await;
    assert!(
        env.idp.directory.sign_ins() >= 2,
        "signed in as the application"
    );
    let (status, p) = s.get(&boss, "/api/v1/me").await;
    assert_eq!(
        status, 403,
        "the boss's still-valid access token is older: {p}"
    );
    assert_eq!(s.use_api_token(&value, true).await.0, 403);
    assert_eq!(
        s.get(&op, "/api/v1/me").await.1["privileges"],
        "alerts",
        "others keep theirs"
    );
}
both_backends!(
    a_role_removed_in_the_directory_reaches_tokens_within_one_interval,
    |cfg| super::with_directory(cfg, super::INTERVAL)
);

/// Runs `token-api users sync` against `env`'s provider and database.
fn users_sync(env: &Env, secret: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_token-api"))
        .args(["users", "sync", "--database-url", &env.db.url])
        .env("OIDC_ISSUER", &env.idp.issuer)
        .env("DIRECTORY_CLIENT_ID", DIRECTORY_CLIENT_ID)
        .env("DIRECTORY_CLIENT_SECRET", secret)
        .env("DIRECTORY_TENANT_ID", TA)
        .env("DIRECTORY_URL", env.idp.directory.url())
        .output()
        .unwrap()
}

async fn users_sync_from_the_command_line(env: Env) {
    let s = &env.server;
    let (_, value) = boss_with_a_token(&env).await;
    // "grouped" is an operator through a role-assignable group.
    let d = &env.idp.directory;
    d.set_group("ops-group", &["grouped"]);
    d.set_roles("ops-group", &[SecurityOperator]);
    let grouped = env.idp.access_token(TA, "grouped", &[SecurityOperator]);
    assert_eq!(s.get(&grouped, "/api/v1/me").await.0, 200);
    d.set_roles("boss", &[SecurityReader]);
    let refused = users_sync(&env, "wrong-secret");
    assert!(!refused.status.success(), "a refused sign-in is an error");
    assert_eq!(
        s.use_api_token(&value, true).await.0,
        200,
        "nothing changed"
    );

    let out = users_sync(&env, DIRECTORY_SECRET);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("roles changed for 1 user"), "{stdout}");
    let value_ref = &value;
    eventually(
        Instant::now(),
        Duration::from_secs(3),
        "the synced role change did not reach the running server (change log)",
        move || async move { s.use_api_token(value_ref, true).await.0 == 403 },
    )
    .await;
    assert_eq!(
        s.use_api_token(&value, false).await.0,
        200,
        "a reader still reads"
    );
    let (_, me) = s.get(&grouped, "/api/v1/me").await;
    assert_eq!(
        me["privileges"], "alerts",
        "a group's role reaches its users"
    );
}
both_backends!(users_sync_from_the_command_line);
