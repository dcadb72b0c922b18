//! Every list variant, page by page: each status, sort and order, with and without an owner
//! filter, with no search, a short one (read from the listing index) and a longer one
//! (through the search index), returns every matching token exactly once and in order, ties
//! settled by id. And `q` is a case-insensitive substring for any text: accents, other
//! scripts, emoji, quotes and LIKE's wildcards. Runs on SQLite and, when configured,
//! PostgreSQL.

mod common;

use common::bulk::{Seeded, seed};
use common::{Env, TA, TestServer};
use token_wire::TokenStatus;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// 150 tokens of three owners: names `name0`–`name49`, each once per owner; created in
/// pairs at the same millisecond; never used, used within hours (ties), two days ago (all
/// tied), or ten to twelve days ago.
fn dataset(now: i64) -> Vec<Seeded> {
    (0..150)
        .map(|i: i64| Seeded {
            id: format!("v{i:03}"),
            owner: format!("o{}", i % 3),
            name: format!("name{}", (i * 7) % 50),
            created_at: now - DAY - 10_000 * (i / 2),
            last_used_at: match i % 5 {
                0 | 1 => None,
                2 => Some(now - HOUR * (i % 4 + 1)),
                3 => Some(now - 10 * DAY - (i % 3) * DAY),
                _ => Some(now - 2 * DAY),
            },
        })
        .collect()
}

/// The ids `query` must list, in order.
fn expected(
    data: &[Seeded],
    now: i64,
    status: Option<TokenStatus>,
    owner: Option<&str>,
    q: Option<&str>,
    sort: &str,
    desc: bool,
) -> Vec<String> {
    let mut rows: Vec<&Seeded> = data
        .iter()
        .filter(|t| status.is_none_or(|s| TokenStatus::at(t.last_used_at, now) == s))
        .filter(|t| owner.is_none_or(|o| t.owner == o))
        .filter(|t| q.is_none_or(|q| t.name.to_lowercase().contains(&q.to_lowercase())))
        .collect();
    rows.sort_by(|a, b| {
        let key = match sort {
            "name" => a.name.cmp(&b.name),
            "created_at" => a.created_at.cmp(&b.created_at),
            _ => a.last_used_key().cmp(&b.last_used_key()),
        };
        key.then_with(|| a.id.cmp(&b.id))
    });
    if desc {
        rows.reverse();
    }
    rows.into_iter().map(|t| t.id.clone()).collect()
}

/// Every id of `query`, following `next_cursor` with pages of 10.
async fn walk(s: &TestServer, bearer: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let url = format!("/api/v1/tokens?limit=10{query}{cursor}");
        let (status, page) = s.get(bearer, &url).await;
        assert_eq!(status, 200, "{url}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 10, "{url}");
        ids.extend(items.iter().map(|t| t["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return ids,
        }
    }
    panic!("{query} does not end");
}

async fn every_variant_lists_each_token_once_in_order(env: Env) {
    let s = &env.server;
    let admin = env.admin();
    let now = s.state.now_ms();
    let data = dataset(now);
    seed(&env.db.url, TA, &data, now).await;
    let statuses = [
        None,
        Some(TokenStatus::Generated),
        Some(TokenStatus::Active),
        Some(TokenStatus::Inactive),
    ];
    for status in statuses {
        for sort in ["name", "created_at", "last_used_at"] {
            for desc in [false, true] {
                for owner in [None, Some("o1")] {
                    for q in [None, Some("E1"), Some("me3")] {
                        let mut query =
                            format!("&sort={sort}&order={}", if desc { "desc" } else { "asc" });
                        for (name, value) in [
                            ("status", status.map(|s| s.as_str())),
                            ("owner", owner),
                            ("q", q),
                        ] {
                            if let Some(v) = value {
                                query += &format!("&{name}={v}");
                            }
                        }
                        let want = expected(&data, now, status, owner, q, sort, desc);
                        assert!(!want.is_empty() || status.is_some(), "{query}");
                        assert_eq!(walk(s, &admin, &query).await, want, "{query}");
                    }
                }
            }
        }
    }
}
both_backends!(every_variant_lists_each_token_once_in_order);

/// Names the contract's rule applies to as it reads: lower-case both, then contain.
const NAMES: &[&str] = &[
    "Überweisung Export",
    "ÉTÉ sync",
    "été-archive",
    "Straße 5",
    "naïve client",
    "日本語 token",
    "emoji 🙂 bot",
    "quote \"x\" here",
    "percent 100%",
    "under_score",
    "back\\slash",
    "İstanbul relay",
    "ΣΊΣΥΦΟΣ",
    "CamelCase",
    "ab",
];

const QUERIES: &[&str] = &[
    "é",
    "É",
    "ét",
    "ÉTÉ",
    "été-",
    "über",
    "ÜBERW",
    "straße",
    "STRASSE",
    "ß",
    "naï",
    "日本",
    "本語",
    "日本語",
    "🙂",
    "🙂 b",
    "\"x\"",
    "\"",
    "%",
    "100%",
    "_",
    "r_s",
    "\\",
    "k\\s",
    "i̇",
    "İst",
    "σίσ",
    "ΣΊΣ",
    "camel",
    "CASE",
    "b",
    "ab",
    "xyz",
    " ",
    "e s",
];

async fn q_is_a_case_insensitive_substring_of_any_text(env: Env) {
    let s = &env.server;
    let user = env
        .idp
        .access_token(TA, "u", &[token_wire::Role::SecurityReader]);
    for name in NAMES {
        s.create(&user, name).await;
    }
    for q in QUERIES {
        let mut want: Vec<String> = NAMES
            .iter()
            .filter(|n| n.to_lowercase().contains(&q.to_lowercase()))
            .map(|n| n.to_string())
            .collect();
        want.sort();
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        assert_eq!(
            s.names(&user, &format!("&q={encoded}")).await,
            want,
            "q={q}"
        );
    }
}
both_backends!(q_is_a_case_insensitive_substring_of_any_text);
