//! The status counts in every list answer: per status, under the caller's visibility and the
//! owner and name filters, whatever the status filter. Runs on SQLite and, when configured,
//! PostgreSQL.

mod common;

use std::time::Duration;

use common::{Env, TA};
use serde_json::{Value, json};
use token_api::store::TokenKind;
use token_wire::Role::*;

const TB: &str = "tenant-b";
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `{generated, active, inactive, total, capped}` as the contract spells it.
fn counts(generated: u64, active: u64, inactive: u64) -> Value {
    json!({
        "generated": generated, "active": active, "inactive": inactive,
        "total": generated + active + inactive, "capped": false,
    })
}

/// How many of the listed items have `status`.
fn listed(list: &Value, status: &str) -> u64 {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == status)
        .count() as u64
}

async fn counts_follow_visibility_owner_and_search(env: Env) {
    let s = &env.server;
    let admin = env.idp.access_token(TA, "admin", &[SecurityAdministrator]);
    let reader = env.idp.access_token(TA, "reader", &[SecurityReader]);
    let elsewhere = env.idp.access_token(TB, "other", &[GlobalAdministrator]);
    s.create(&reader, "r-gen").await;
    let (_, r_old) = s.create(&reader, "r-old").await;
    let (_, r_new) = s.create(&reader, "r-new").await;
    let (gone, _) = s.create(&reader, "r-gone").await;
    s.create(&admin, "a-gen").await;
    let (_, a_new) = s.create(&admin, "a-new").await;
    s.create(&elsewhere, "o-gen").await;
    s.insert_token(TA, "reader", TokenKind::Siem).await;
    assert_eq!(s.use_api_token(&r_old, false).await.0, 200);
    s.clock.advance(8 * DAY);
    assert_eq!(s.use_api_token(&r_new, false).await.0, 200);
    assert_eq!(s.use_api_token(&a_new, false).await.0, 200);
    assert_eq!(
        s.delete(&reader, &format!("/api/v1/tokens/{gone}")).await.0,
        204
    );

    // A non-admin counts only their own live API tokens; the counts agree with the rows.
    let own = s.listing(&reader, "").await;
    assert_eq!(own["counts"], counts(1, 1, 1));
    assert_eq!(own["total"], 3);
    for status in ["generated", "active", "inactive"] {
        assert_eq!(own["counts"][status], listed(&own, status), "{status}");
    }

    // A full admin counts the tenant, or one owner's tokens; another tenant's admin theirs;
    // the name search narrows the counts (case-insensitive substring).
    // (who asks, query, counts as generated/active/inactive)
    for (bearer, query, (generated, active, inactive)) in [
        (&admin, "", (2, 2, 1)),
        (&admin, "&owner=reader", (1, 1, 1)),
        (&admin, "&owner=admin", (1, 1, 0)),
        (&elsewhere, "", (1, 0, 0)),
        (&admin, "&q=NEW", (0, 2, 0)),
        (&admin, "&q=r-&owner=reader", (1, 1, 1)),
        (&reader, "&q=a-", (0, 0, 0)),
    ] {
        let list = s.listing(bearer, query).await;
        assert_eq!(
            list["counts"],
            counts(generated, active, inactive),
            "{query}"
        );
    }

    // The status filter narrows the rows and the total, never the counts.
    for (status, total) in [("generated", 2), ("active", 2), ("inactive", 1)] {
        let list = s.listing(&admin, &format!("&status={status}")).await;
        assert_eq!(list["counts"], counts(2, 2, 1), "{status}");
        assert_eq!(list["total"], total, "{status}");
        assert_eq!(listed(&list, status), total, "{status}");
    }
}
both_backends!(counts_follow_visibility_owner_and_search);

async fn every_page_carries_the_same_counts(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityOperator]);
    for name in ["one", "two", "three"] {
        s.create(&user, name).await;
    }
    let (_, first) = s.get(&user, "/api/v1/tokens?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = s
        .get(&user, &format!("/api/v1/tokens?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(first["counts"], counts(3, 0, 0));
    assert_eq!(second["counts"], first["counts"]);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
}
both_backends!(every_page_carries_the_same_counts);

async fn a_token_moves_between_counts_at_the_seven_day_boundary(env: Env) {
    let s = &env.server;
    let user = env.idp.access_token(TA, "u", &[SecurityReader]);
    let (_, value) = s.create(&user, "ci").await;
    assert_eq!(s.listing(&user, "").await["counts"], counts(1, 0, 0));
    s.first_use(&value).await;
    assert_eq!(s.listing(&user, "").await["counts"], counts(0, 1, 0));
    s.clock.advance(7 * DAY - Duration::from_secs(60));
    assert_eq!(s.listing(&user, "").await["counts"], counts(0, 1, 0));
    s.clock.advance(Duration::from_secs(120));
    let list = s.listing(&user, "").await;
    assert_eq!(list["counts"], counts(0, 0, 1));
    assert_eq!(
        list["items"][0]["status"], "inactive",
        "rows and counts agree"
    );
}
both_backends!(a_token_moves_between_counts_at_the_seven_day_boundary);
