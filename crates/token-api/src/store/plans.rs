//! SQLite's plan of every statement of every token listing, on the migrated schema with no
//! statistics (as a server has it): each reads `tokens` through an index range (`SEARCH`),
//! never a whole table or index (`SCAN t`), and a page without a search needs no sort.

use sqlx::Row;
use token_wire::{ListParams, SortKey, SortOrder, TokenStatus};

use super::listing::{count_sql, earliest_active_sql, page_sql};
use super::search::{Search, indexed_sql, scan_page_sql, scanned_counts_sql, stretch_end_sql};
use super::sql::{Scope, Sql, contains_pattern};
use super::tokens::{KeyValue, Position, TokenQuery};
use super::{Backend, Store};

const NOW: i64 = 1_800_000_000_000;

/// The plan's lines, indented by depth.
async fn plan(store: &Store, sql: &Sql) -> Vec<String> {
    let rows = sql
        .explained()
        .query()
        .fetch_all(&store.pool)
        .await
        .unwrap();
    rows.iter().map(|r| r.get::<String, _>("detail")).collect()
}

/// Every listing: each status, sort, order, owner filter and cursor.
fn queries() -> Vec<TokenQuery> {
    let mut out = Vec::new();
    for status in [
        None,
        Some(TokenStatus::Generated),
        Some(TokenStatus::Active),
        Some(TokenStatus::Inactive),
    ] {
        for sort in [SortKey::Name, SortKey::CreatedAt, SortKey::LastUsedAt] {
            for order in [SortOrder::Asc, SortOrder::Desc] {
                for owner in [None, Some("u1".to_string())] {
                    for after in [None, Some(position(sort))] {
                        out.push(TokenQuery {
                            params: ListParams {
                                status,
                                sort,
                                order,
                                owner: owner.clone(),
                                limit: 100,
                                ..ListParams::default()
                            },
                            after,
                            now: NOW,
                        });
                    }
                }
            }
        }
    }
    out
}

fn position(sort: SortKey) -> Position {
    let key = match sort {
        SortKey::Name => KeyValue::Text("m".into()),
        _ => KeyValue::Int(NOW - 1),
    };
    Position {
        key,
        id: "id".into(),
    }
}

/// The index a page without search walks: the listing index of its scope, status filter and
/// sort key.
fn expected_index(q: &TokenQuery) -> String {
    let scope = if q.params.owner.is_some() {
        "owner"
    } else {
        "list"
    };
    let key = match q.params.sort {
        SortKey::Name => "name",
        SortKey::CreatedAt => "created",
        SortKey::LastUsedAt => "used",
    };
    let status = q.params.status.is_some() && q.params.sort != SortKey::LastUsedAt;
    format!(
        "tokens_{scope}_{}{key} ",
        if status { "status_" } else { "" }
    )
}

fn no_full_scan(what: &str, q: &TokenQuery, lines: &[String]) {
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("SCAN t ") || l == "SCAN t"),
        "{what} scans tokens for {:?}: {lines:#?}",
        q.params
    );
}

#[tokio::test]
async fn every_listing_reads_index_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/tokens.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let backend = Backend::Sqlite;
    for q in queries() {
        let scope = Scope {
            tenant_id: "t1",
            owner: q.params.owner.as_deref(),
        };
        let page = plan(&store, &page_sql(backend, scope, &q, None)).await;
        no_full_scan("a page", &q, &page);
        assert!(
            !page.iter().any(|l| l.contains("TEMP B-TREE")),
            "a page sorts for {:?}: {page:#?}",
            q.params
        );
        let index = expected_index(&q);
        assert!(
            page.iter()
                .any(|l| l.starts_with("SEARCH t USING") && l.contains(&index)),
            "a page for {:?} does not walk {index}: {page:#?}",
            q.params
        );

        let indexed = Search::Indexed {
            counts: Default::default(),
            matches: "[1, 2]".into(),
        };
        let lines = plan(&store, &page_sql(backend, scope, &q, Some(&indexed))).await;
        no_full_scan("an indexed search", &q, &lines);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("SEARCH t USING INTEGER PRIMARY KEY")),
            "an indexed search does not start from the matches: {lines:#?}"
        );
        let lines = plan(&store, &indexed_sql(backend, scope, "abc", NOW)).await;
        no_full_scan("indexed counts", &q, &lines);
        assert!(
            lines.iter().any(|l| l.contains("VIRTUAL TABLE")),
            "{lines:#?}"
        );

        let pattern = contains_pattern("a");
        let lines = plan(&store, &scan_page_sql(backend, scope, &q, &pattern)).await;
        no_full_scan("a scanned search", &q, &lines);
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("COVERING INDEX {index}"))),
            "a scanned search reads rows for {:?}: {lines:#?}",
            q.params
        );
        let end = plan(&store, &stretch_end_sql(backend, scope, &q)).await;
        no_full_scan("the end of a stretch", &q, &end);
        assert!(
            !end.iter().any(|l| l.contains("TEMP B-TREE")),
            "a stretch sorts for {:?}: {end:#?}",
            q.params
        );
        assert!(
            end.iter()
                .any(|l| l.contains(&format!("COVERING INDEX {index}"))),
            "a stretch reads rows for {:?}: {end:#?}",
            q.params
        );
        let lines = plan(&store, &scanned_counts_sql(backend, scope, &pattern, NOW)).await;
        no_full_scan("scanned counts", &q, &lines);
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.contains("USING COVERING INDEX tokens_"))
                .count(),
            3,
            "scanned counts read rows: {lines:#?}"
        );
    }
    let scope = Scope {
        tenant_id: "t1",
        owner: None,
    };
    let counts = plan(&store, &count_sql(backend, scope, NOW)).await;
    assert_eq!(
        counts
            .iter()
            .filter(|l| l.starts_with("SEARCH t USING COVERING INDEX tokens_list_used"))
            .count(),
        3,
        "{counts:#?}"
    );
    let mut earliest = Sql::new(&earliest_active_sql(backend));
    earliest.text("t1");
    let lines = plan(&store, &earliest).await;
    assert_eq!(
        lines,
        ["SEARCH tokens USING COVERING INDEX tokens_to_sweep (tenant_id=?)"],
        "the sweep's probe reads one index entry"
    );
}
