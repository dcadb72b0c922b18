//! Listings past the bounds the store keeps to at a million tokens: counts stop at the cap,
//! a common or short search reads a bounded stretch per page yet pages through every match
//! once, and an active token whose week has passed is swept before a status listing relies
//! on the stored status. Runs on SQLite and, when configured, PostgreSQL.

mod common;

use common::bulk::{Seeded, seed};
use common::{Env, TA};
use serde_json::{Value, json};
use token_wire::STATUS_COUNT_CAP;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn token(
    id: String,
    owner: &str,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
) -> Seeded {
    Seeded {
        id,
        owner: owner.into(),
        name,
        created_at,
        last_used_at,
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

async fn counts_stop_at_the_cap(env: Env) {
    let s = &env.server;
    let admin = env.admin();
    let now = s.state.now_ms();
    // Past the cap, and past the matches a search reads through the trigram index (2,000).
    let over = 2_100;
    assert!(over > STATUS_COUNT_CAP as i64);
    let mut tokens: Vec<Seeded> = (0..over)
        .map(|i| {
            token(
                format!("g{i:05}"),
                "bulk",
                format!("bulk-{i:05}"),
                now - HOUR - i,
                None,
            )
        })
        .collect();
    for i in 0..3 {
        let used = Some(now - (i + 1) * HOUR);
        tokens.push(token(
            format!("a{i}"),
            "bulk",
            format!("bulk-active-{i}"),
            now - DAY,
            used,
        ));
    }
    for i in 0..2 {
        let used = Some(now - 10 * DAY);
        tokens.push(token(
            format!("i{i}"),
            "bulk",
            format!("bulk-old-{i}"),
            now - 20 * DAY,
            used,
        ));
    }
    for (i, used) in [None, Some(now - HOUR), Some(now - 9 * DAY), None]
        .into_iter()
        .enumerate()
    {
        tokens.push(token(
            format!("f{i}"),
            "few",
            format!("few-{i}"),
            now - 30 * DAY,
            used,
        ));
    }
    seed(&env.db.url, TA, &tokens, now).await;

    // Each figure is exact up to the cap; the one past it stops there and says so.
    let cap = STATUS_COUNT_CAP;
    let capped =
        json!({"generated": cap, "active": 4, "inactive": 3, "total": cap + 7, "capped": true});
    let all = s.listing(&admin, "").await;
    assert_eq!(all["counts"], capped);
    assert_eq!(all["total"], cap + 7, "the total follows the counts");
    assert_eq!(all["items"].as_array().unwrap().len(), 100);
    let active = s.listing(&admin, "&status=active").await;
    assert_eq!(
        active["counts"], capped,
        "the status filter keeps the counts"
    );
    assert_eq!(
        (active["total"].as_u64(), names(&active).len()),
        (Some(4), 4)
    );
    let few = s.listing(&admin, "&owner=few").await;
    assert_eq!(
        few["counts"],
        json!({"generated": 2, "active": 1, "inactive": 1, "total": 4, "capped": false})
    );

    // A rare string is counted exactly through the search index.
    let rare = s.listing(&admin, "&q=BULK-0000").await;
    assert_eq!(
        rare["counts"],
        json!({"generated": 10, "active": 0, "inactive": 0, "total": 10, "capped": false})
    );
    let newest_first: Vec<String> = (0..10).map(|i| format!("bulk-{i:05}")).collect();
    assert_eq!(names(&rare), newest_first);

    // A common or short one fills its page from a bounded stretch; its counts are lower
    // bounds.
    for q in ["bulk", "k", "-0"] {
        let list = s.listing(&admin, &format!("&q={q}")).await;
        assert_eq!(list["counts"]["capped"], true, "{q}");
        let found = names(&list);
        assert_eq!(found.len(), 100, "{q}");
        assert!(found.iter().all(|n| n.contains(q)), "{q}: {found:?}");
        assert!(list["next_cursor"].is_string(), "{q}");
    }
}
both_backends!(counts_stop_at_the_cap);

async fn a_sparse_short_search_pages_past_its_stretches(env: Env) {
    let s = &env.server;
    let admin = env.admin();
    let now = s.state.now_ms();
    // 20,100 tokens, newest first by id; three of them, deep in the listing, contain "zq".
    let total = 20_100;
    let matching = [10, 20_050, 20_099];
    let tokens: Vec<Seeded> = (0..total)
        .map(|i| {
            let name = if matching.contains(&i) {
                format!("ZQ-{i}")
            } else {
                format!("n{i:05}")
            };
            token(format!("s{i:05}"), "admin", name, now - HOUR - i, None)
        })
        .collect();
    seed(&env.db.url, TA, &tokens, now).await;

    let mut found = Vec::new();
    let mut short_page_with_more = false;
    let mut cursor = String::new();
    for _ in 0..20 {
        let list = s.listing(&admin, &format!("&q=zq{cursor}")).await;
        let page = names(&list);
        let next = list["next_cursor"].as_str().map(str::to_string);
        short_page_with_more |= page.len() < 100 && next.is_some();
        assert_eq!(list["counts"]["capped"], true, "counted from a stretch");
        found.extend(page);
        match next {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = matching.iter().map(|i| format!("ZQ-{i}")).collect();
    assert_eq!(found, expected, "every match once, in order");
    assert!(
        short_page_with_more,
        "a stretch without enough matches ends a short page"
    );
}
both_backends!(a_sparse_short_search_pages_past_its_stretches);

async fn an_active_token_past_its_week_is_swept_before_a_status_listing(env: Env) {
    let s = &env.server;
    let admin = env.admin();
    let now = s.state.now_ms();
    let tokens = vec![
        token(
            "old-1".into(),
            "admin",
            "old-1".into(),
            now - 30 * DAY,
            Some(now - 10 * DAY),
        ),
        token(
            "old-2".into(),
            "admin",
            "old-2".into(),
            now - 29 * DAY,
            Some(now - 8 * DAY),
        ),
        token(
            "new".into(),
            "admin",
            "new".into(),
            now - 28 * DAY,
            Some(now - HOUR),
        ),
    ];
    // Written as they were five days ago: all three active then.
    seed(&env.db.url, TA, &tokens, now - 5 * DAY).await;
    for sort in ["name", "created_at", "last_used_at"] {
        let inactive = s
            .listing(&admin, &format!("&status=inactive&sort={sort}&order=asc"))
            .await;
        assert_eq!(names(&inactive), ["old-1", "old-2"], "{sort}");
        let active = s
            .listing(&admin, &format!("&status=active&sort={sort}"))
            .await;
        assert_eq!(names(&active), ["new"], "{sort}");
        assert_eq!(
            active["counts"],
            json!({"generated": 0, "active": 1, "inactive": 2, "total": 3, "capped": false})
        );
    }
}
both_backends!(an_active_token_past_its_week_is_swept_before_a_status_listing);
