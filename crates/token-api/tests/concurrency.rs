//! Concurrency: API tokens generated and revoked from many tasks at once. Runs on SQLite
//! and, when configured, PostgreSQL.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Env, TA};
use token_wire::Role::*;

/// Generations per task. The work is fixed, not timed, so a loaded machine makes the test
/// slower, never failing.
const GENERATIONS: usize = 6;

/// 8 tasks generate and revoke in parallel: no lost or duplicated rows, every listed token
/// usable, every revoked one refused.
async fn concurrent_generate_and_revoke(env: Env) {
    let s = std::sync::Arc::new(env.server);
    let idp = std::sync::Arc::new(env.idp);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        let idp = idp.clone();
        tasks.push(tokio::spawn(async move {
            let bearer = idp.access_token(TA, &format!("user-{}", t % 4), &[SecurityOperator]);
            let mut live = BTreeMap::new();
            let mut revoked = BTreeMap::new();
            for n in 1..=GENERATIONS {
                let name = format!("t{t}-{n}");
                let (id, value) = s.create(&bearer, &name).await;
                if n % 3 == 0 {
                    let victim = live.keys().next().cloned().unwrap_or(id.clone());
                    let entry: (String, String) = live
                        .remove(&victim)
                        .unwrap_or((name.clone(), value.clone()));
                    assert_eq!(
                        s.delete(&bearer, &format!("/api/v1/tokens/{victim}"))
                            .await
                            .0,
                        204
                    );
                    revoked.insert(victim.clone(), entry);
                    if victim != id {
                        live.insert(id, (name, value));
                    }
                } else {
                    live.insert(id, (name, value));
                }
            }
            (live, revoked)
        }));
    }
    let mut live = BTreeMap::new();
    let mut revoked = BTreeMap::new();
    for t in tasks {
        let (l, r) = t.await.unwrap();
        live.extend(l);
        revoked.extend(r);
    }
    assert_eq!(
        live.len() + revoked.len(),
        8 * GENERATIONS,
        "every generated token is either live or revoked"
    );
    let admin = idp.access_token(TA, "admin", &[GlobalAdministrator]);
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = s
            .get(
                &admin,
                &format!("/api/v1/tokens?limit=100&sort=name{cursor}"),
            )
            .await;
        assert_eq!(status, 200);
        listed.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed_set.len(), listed.len(), "duplicated rows");
    assert_eq!(
        listed_set,
        live.keys().cloned().collect::<BTreeSet<_>>(),
        "lost or extra rows"
    );
    for (name, value) in live.values().take(40) {
        assert_eq!(s.use_api_token(value, false).await.0, 200, "{name}");
    }
    for (name, value) in revoked.values().take(40) {
        assert_eq!(s.use_api_token(value, false).await.0, 401, "{name}");
    }
    let (_, audit) = s.get(&admin, "/api/v1/audit?limit=100").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "revoked")
    );
}
both_backends!(concurrent_generate_and_revoke);
