//! What `cargo xtask bench server` measures: every list variant, the token-authenticated
//! path and `/healthz`, each with its caller and number of connections.

/// Who sends a request.
#[derive(Clone, Copy, PartialEq)]
pub enum Who {
    Nobody,
    Admin,
    Reader,
    ApiToken,
}

/// One measured request.
pub struct Variant {
    pub label: String,
    pub path: String,
    pub who: Who,
    pub connections: u32,
}

fn variant(label: &str, path: &str, who: Who, connections: u32) -> Variant {
    Variant {
        label: label.into(),
        path: path.into(),
        who,
        connections,
    }
}

/// The connections of the latency measurements (one client: the latency of a request, not
/// of a queue); the throughput and overload runs use [`SOME`] and [`CROWD`].
pub const ONE: u32 = 1;
pub const SOME: u32 = 16;
pub const CROWD: u32 = 64;

/// Every list variant: each status, sort and order, search (long, common, short, non-ASCII),
/// the owner filter, a non-admin's own list, a page in the middle, and the crowd.
pub fn variants(mid_cursor: &str) -> Vec<Variant> {
    let list = |label: &str, query: &str| {
        variant(
            label,
            &format!("/api/v1/tokens?limit=100{query}"),
            Who::Admin,
            ONE,
        )
    };
    let mut all = vec![
        variant("`/healthz`", "/healthz", Who::Nobody, ONE),
        list("first page (created_at desc)", ""),
        list("status=generated", "&status=generated"),
        list("status=active", "&status=active"),
        list("status=inactive", "&status=inactive"),
        list("sort=created_at asc", "&sort=created_at&order=asc"),
        list("sort=name asc", "&sort=name&order=asc"),
        list("sort=name desc", "&sort=name&order=desc"),
        list("sort=last_used_at desc", "&sort=last_used_at&order=desc"),
        list("sort=last_used_at asc", "&sort=last_used_at&order=asc"),
        list(
            "status=active, sort=name",
            "&status=active&sort=name&order=asc",
        ),
        list(
            "status=inactive, sort=last_used_at",
            "&status=inactive&sort=last_used_at",
        ),
        list("q=0999 (300 matches)", "&q=0999"),
        list("q=deploy-123 (250)", "&q=deploy-123"),
        list(
            "q=ÉTL-999, sort=name (250)",
            "&q=%C3%89TL-999&sort=name&order=asc",
        ),
        list("q=deploy-12 (2,500: scanned)", "&q=deploy-12"),
        list("q=deploy (250,000)", "&q=deploy"),
        list("q=9 (short)", "&q=9"),
        list("q=é (short, non-ASCII)", "&q=%C3%A9"),
        list("owner=bench-user-007", "&owner=bench-user-007"),
        list(
            "owner, status=inactive, sort=name",
            "&owner=bench-user-007&status=inactive&sort=name&order=asc",
        ),
        list(
            "a page in the middle (cursor)",
            &format!("&cursor={mid_cursor}"),
        ),
        variant(
            "reader: own tokens",
            "/api/v1/tokens?limit=100",
            Who::Reader,
            ONE,
        ),
    ];
    all.extend(baseline_and_first_page(SOME));
    all.push(variant(
        "`GET /api/v1/alerts/` (Token)",
        "/api/v1/alerts/",
        Who::ApiToken,
        SOME,
    ));
    all.extend(baseline_and_first_page(CROWD));
    all.extend([
        variant(
            "status=inactive, sort=name",
            "/api/v1/tokens?limit=100&status=inactive&sort=name&order=asc",
            Who::Admin,
            CROWD,
        ),
        variant(
            "q=0999",
            "/api/v1/tokens?limit=100&q=0999",
            Who::Admin,
            CROWD,
        ),
    ]);
    all
}

/// `/healthz` (the baseline of the rows after it) and the admin's first page, with
/// `connections`.
fn baseline_and_first_page(connections: u32) -> [Variant; 2] {
    [
        variant("`/healthz`", "/healthz", Who::Nobody, connections),
        variant(
            "first page",
            "/api/v1/tokens?limit=100",
            Who::Admin,
            connections,
        ),
    ]
}
