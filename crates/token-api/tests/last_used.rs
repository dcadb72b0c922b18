//! Last-used writes happen in the background job only: a request never waits for the store's
//! writes (not even the first use of a token), and a write that fails is queued again.

mod common;

use std::time::{Duration, Instant};

use common::{Db, Env, TA, eventually, stored_token};
use sqlx::Connection;
use token_wire::Role::*;

/// A connection of its own to the test's SQLite database.
async fn connect(env: &Env) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&env.db.url).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_use_answers_while_the_store_takes_no_writes() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, warm) = s.create(&op, "warm").await;
    let (_, value) = s.create(&op, "first").await;
    // The tenant's rate budget is reserved, and another use is pending.
    assert_eq!(s.use_api_token(&warm, false).await.0, 200);
    assert_eq!(s.use_api_token(&warm, false).await.0, 200);

    let mut writer = connect(&env).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .await
        .unwrap();
    let answered =
        tokio::time::timeout(Duration::from_secs(3), s.use_api_token(&value, false)).await;
    sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
    assert_eq!(answered.expect("the request waited for a write").0, 200);

    let store = s.state.store();
    eventually(
        Instant::now(),
        Duration::from_secs(5),
        "the first use is written",
        || async {
            stored_token(store, &value)
                .await
                .unwrap()
                .unwrap()
                .last_used_at
                .is_some()
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_last_used_write_is_queued_again() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (id, value) = s.create(&op, "t").await;
    let mut db = connect(&env).await;
    sqlx::query(
        "CREATE TRIGGER refuse_touch BEFORE UPDATE OF last_used_at ON tokens \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&mut db)
    .await
    .unwrap();
    assert_eq!(s.use_api_token(&value, false).await.0, 200);
    s.state.flush().await;
    let store = s.state.store();
    let row = stored_token(store, &value).await.unwrap().unwrap();
    assert_eq!(row.last_used_at, None, "the injected failure holds");

    sqlx::query("DROP TRIGGER refuse_touch")
        .execute(&mut db)
        .await
        .unwrap();
    // The background job may hold the use for a moment (it was woken by the first use).
    let written = || async {
        s.state.flush().await;
        let row = stored_token(store, &value).await.unwrap().unwrap();
        row.last_used_at.is_some()
    };
    eventually(
        Instant::now(),
        Duration::from_secs(5),
        "the failed write was dropped",
        written,
    )
    .await;
    let (_, audit) = s.get(&env.admin(), "/api/v1/audit").await;
    let used = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "used" && e["token_id"] == id.as_str())
        .count();
    assert_eq!(used, 1, "{audit}");
}
