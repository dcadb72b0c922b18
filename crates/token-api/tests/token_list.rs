//! Listing API tokens: whose tokens a caller sees, status over time, keyset pages that stay
//! stable under inserts, and the name filter. Runs on SQLite and, when configured,
//! PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Env, TA, TestServer};
use serde_json::Value;
use token_wire::Role::*;

/// Access tokens of a tenant-A security admin and a security reader, who generated
/// `admin-1` and `reader-1`.
async fn admin_and_reader(env: &Env) -> (String, String) {
    let admin = env.idp.access_token(TA, "admin", &[SecurityAdministrator]);
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    env.server.create(&admin, "admin-1").await;
    env.server.create(&reader, "reader-1").await;
    (admin, reader)
}

async fn owner_filter_is_for_full_admins(env: Env) {
    let s = &env.server;
    let (admin, reader) = admin_and_reader(&env).await;
    assert_eq!(s.names(&admin, "&owner=reader").await, ["reader-1"]);
    assert_eq!(s.names(&admin, "&owner=nobody").await, Vec::<String>::new());
    assert_eq!(s.names(&reader, "&owner=reader").await, ["reader-1"]);
    let (status, p) = s.get(&reader, "/api/v1/tokens?owner=admin").await;
    assert_eq!(status, 403, "{p}");
}
both_backends!(owner_filter_is_for_full_admins);

async fn privileges_follow_the_owners_current_roles(env: Env) {
    let s = &env.server;
    let (admin, _) = admin_and_reader(&env).await;
    let (_, list) = s.get(&admin, "/api/v1/tokens?sort=name&order=asc").await;
    assert_eq!(list["items"][0]["privileges"], "full");
    assert_eq!(list["items"][1]["privileges"], "read");
    let promoted = env.idp.access_token(TA, "reader", &[SecurityOperator]);
    assert_eq!(s.get(&promoted, "/api/v1/me").await.0, 200);
    let (_, list) = s.get(&admin, "/api/v1/tokens?sort=name&order=asc").await;
    assert_eq!(list["items"][1]["privileges"], "alerts");
}
both_backends!(privileges_follow_the_owners_current_roles);

async fn status_moves_with_use_and_time(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (id, value) = s.create(&user, "ci").await;
    let status_of = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap()
            .clone()
    };

    let (_, list) = s.get(&user, "/api/v1/tokens").await;
    assert_eq!(status_of(&list)["status"], "generated");
    assert_eq!(status_of(&list)["last_used_at"], Value::Null);
    assert_eq!(s.names(&user, "&status=generated").await, ["ci"]);

    s.first_use(&value).await;
    let (_, list) = s.get(&user, "/api/v1/tokens").await;
    assert_eq!(status_of(&list)["status"], "active");
    assert!(status_of(&list)["last_used_at"].is_string());
    assert_eq!(s.names(&user, "&status=active").await, ["ci"]);
    assert!(s.names(&user, "&status=generated").await.is_empty());

    s.clock.advance(Duration::from_secs(7 * 24 * 3600 - 60));
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "active"
    );
    s.clock.advance(Duration::from_secs(120));
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "inactive"
    );
    assert_eq!(s.names(&user, "&status=inactive").await, ["ci"]);
    assert!(s.names(&user, "&status=active").await.is_empty());

    // A later use is coalesced, then flushed.
    assert_eq!(s.use_api_token(&value, false).await.0, 200);
    s.state.flush().await;
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "active"
    );

    let admin = env.admin();
    let (_, audit) = s.get(&admin, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["used", "used", "generated"]);
    assert_eq!(audit["items"][0]["actor"]["id"], "op");
    assert_eq!(audit["items"][0]["token_name"], "ci");
    assert_eq!(audit["items"][0]["ip"], "127.0.0.1");
}
both_backends!(status_moves_with_use_and_time);

/// Seven API tokens created a few milliseconds apart, two of them used at different times.
async fn seven_tokens(s: &TestServer, user: &str) {
    let mut values = Vec::new();
    for n in [
        "delta", "Alpha", "charlie", "bravo", "echo", "foxtrot", "golf",
    ] {
        values.push(s.create(user, n).await.1);
        s.clock.advance(Duration::from_millis(5));
    }
    s.use_api_token(&values[2], false).await;
    s.clock.advance(Duration::from_secs(1));
    s.use_api_token(&values[5], false).await;
}

async fn keyset_pages_are_stable_under_inserts(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    seven_tokens(s, &user).await;
    for sort in ["name", "created_at", "last_used_at"] {
        for order in ["asc", "desc"] {
            let q = format!("/api/v1/tokens?sort={sort}&order={order}");
            let (_, all) = s.get(&user, &format!("{q}&limit=100")).await;
            let expected: Vec<String> = all["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().into())
                .collect();
            assert_eq!(expected.len(), 7);
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let url = match &cursor {
                    Some(c) => format!("{q}&limit=3&cursor={c}"),
                    None => format!("{q}&limit=3"),
                };
                let (status, page) = s.get(&user, &url).await;
                assert_eq!(status, 200, "{page}");
                assert_eq!(page["total"], if pages == 0 { 7 } else { 8 });
                seen.extend(
                    page["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t["name"].as_str().unwrap().to_string()),
                );
                pages += 1;
                if pages == 1 {
                    // Insert mid-listing: a row sorting before the cursor must not shift pages.
                    s.create(&user, &format!("aaa-{sort}-{order}")).await;
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            let seen_originals: Vec<String> = seen
                .iter()
                .filter(|n| !n.starts_with("aaa-"))
                .cloned()
                .collect();
            assert_eq!(seen_originals, expected, "{sort} {order}");
            let unique: BTreeSet<&String> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "no duplicates for {sort} {order}");
            for t in s.get(&user, "/api/v1/tokens?limit=100&q=aaa-").await.1["items"]
                .as_array()
                .unwrap()
            {
                s.delete(
                    &user,
                    &format!("/api/v1/tokens/{}", t["id"].as_str().unwrap()),
                )
                .await;
            }
        }
    }
}
both_backends!(keyset_pages_are_stable_under_inserts);

async fn a_cursor_from_one_sort_is_refused_by_another(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    seven_tokens(s, &user).await;
    let (_, page) = s.get(&user, "/api/v1/tokens?sort=name&limit=2").await;
    let c = page["next_cursor"].as_str().unwrap();
    let (status, p) = s
        .get(
            &user,
            &format!("/api/v1/tokens?sort=created_at&limit=2&cursor={c}"),
        )
        .await;
    assert_eq!((status, p["field"].as_str()), (400, Some("cursor")));
}
both_backends!(a_cursor_from_one_sort_is_refused_by_another);

async fn q_is_a_case_insensitive_literal_substring(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    seven_tokens(s, &user).await;
    assert_eq!(s.names(&user, "&q=ALP").await, ["Alpha"]);
    // LIKE wildcards are taken literally.
    assert_eq!(s.names(&user, "&q=%25").await, Vec::<String>::new());
    assert_eq!(s.names(&user, "&q=_").await, Vec::<String>::new());
}
both_backends!(q_is_a_case_insensitive_literal_substring);
