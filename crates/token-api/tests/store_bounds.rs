//! A reader cannot grow the store without bound: each user has a cap on live API tokens, and
//! audit events past their retention are pruned by the background jobs.

mod common;

use common::{Env, TA};
use serde_json::json;
use token_api::store::NewAudit;
use token_wire::AuditAction;
use token_wire::Role::*;

const DAY_MS: i64 = 24 * 3600 * 1000;

async fn live_tokens_per_user_are_capped(env: Env) {
    let s = &env.server;
    let reader = env.idp.access_token(TA, "r", &[SecurityReader]);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(s.create(&reader, &format!("t{i}")).await.0);
    }
    let (status, p) = s
        .post(&reader, "/api/v1/tokens", json!({"name": "t3"}))
        .await;
    assert_eq!(status, 409, "{p}");
    assert_eq!(p["type"], "urn:api-tokens:problem:too-many-tokens", "{p}");
    assert!(p["detail"].as_str().unwrap().contains('3'), "{p}");
    // Another user is not affected; a revoke makes room.
    let other = env.idp.access_token(TA, "o", &[SecurityReader]);
    s.create(&other, "t0").await;
    let (status, _) = s
        .delete(&reader, &format!("/api/v1/tokens/{}", ids[0]))
        .await;
    assert_eq!(status, 204);
    s.create(&reader, "t3").await;
}
both_backends!(live_tokens_per_user_are_capped, |c| c.max_tokens_per_user =
    3);

async fn audit_events_past_their_retention_are_pruned(env: Env) {
    let s = &env.server;
    let now = s.state.now_ms();
    for (at, name) in [(now - 31 * DAY_MS, "old"), (now - 29 * DAY_MS, "recent")] {
        let event = NewAudit {
            tenant_id: TA,
            at,
            actor_id: "admin",
            action: AuditAction::Generated,
            token_id: None,
            token_name: Some(name),
            ip: None,
        };
        s.state.store().audit(&event).await.unwrap();
    }
    s.state.prune().await;
    let (_, audit) = s.get(&env.admin(), "/api/v1/audit").await;
    let names: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["token_name"].as_str())
        .collect();
    assert_eq!(names, ["recent"], "{audit}");
}
both_backends!(audit_events_past_their_retention_are_pruned, |c| {
    c.audit_retention_days = 30
});
