//! One page of `GET /api/v1/tokens` and the status counts beside it, whatever the size of
//! the tenant: every statement is a range scan of one index of migration 0002, bounded by
//! the page size, [`STATUS_COUNT_CAP`] or a search bound of [`super::search`].
//!
//! - The page: the listing index of the scope (tenant, or tenant and owner), the status
//!   filter and the sort key, read from the cursor on (`key >= k AND (key, id) > (k, i)`).
//!   With sort=last_used_at the status is a range of `last_used_sort`; otherwise it is the
//!   stored `status`, which the store first brings up to date ([`Store::sweep`]).
//! - The counts: per status, a range of `last_used_sort` (exact at any moment, no sweep
//!   needed), counted up to one past the cap.

use sqlx::{AnyConnection, FromRow, Row};
use token_wire::{MAX_PAGE_SIZE, STATUS_COUNT_CAP, SortKey, StatusCounts, TokenStatus};

use super::search::{self, Search};
use super::sql::{Scope, Sql, key_value, push_after, push_order};
use super::tokens::{Position, TOKEN_COLUMNS, TokenQuery, TokenRow};
use super::{Backend, Store};

/// One page of a token listing.
#[derive(Clone, Debug)]
pub struct TokenPage {
    /// At most the page size, in the listing's order.
    pub rows: Vec<TokenRow>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Position>,
    /// The tokens of each status under the listing's filters, its status filter aside.
    pub counts: StatusCounts,
}

/// The condition on `t` that selects the tokens of `status` seen at `since` (the earliest
/// active last use), as a range of `last_used_sort`.
pub(super) fn status_range(sql: &mut Sql, status: TokenStatus, since: i64) -> String {
    match status {
        TokenStatus::Generated => "t.last_used_sort = -1".into(),
        TokenStatus::Active => format!("t.last_used_sort >= {}", sql.int(since)),
        TokenStatus::Inactive => format!(
            "t.last_used_sort >= 0 AND t.last_used_sort < {}",
            sql.int(since)
        ),
    }
}

/// ` AND …` for the status filter of `q`: the stored status when the listing walks a status
/// index (sort by name or creation, no indexed search), else a range of `last_used_sort`.
pub(super) fn push_status(sql: &mut Sql, q: &TokenQuery, search: Option<&Search>) {
    let Some(status) = q.params.status else {
        return;
    };
    let indexed = matches!(search, Some(Search::Indexed { .. }));
    if !by_status(q) || indexed {
        let range = status_range(sql, status, TokenStatus::active_since(q.now));
        sql.push(&format!(" AND {range}"));
    } else {
        sql.push(&format!(" AND t.status = '{}'", status.as_str()));
    }
}

/// Whether a page of `q` without an indexed search walks a status index (its status filter
/// is the stored status).
pub(super) fn by_status(q: &TokenQuery) -> bool {
    q.params.status.is_some() && q.params.sort != SortKey::LastUsedAt
}

/// Whether `q`'s page relies on the stored status being up to date: it walks a status index
/// for active or inactive tokens (`generated` never goes stale).
fn uses_stored_status(q: &TokenQuery, search: Option<&Search>) -> bool {
    by_status(q)
        && q.params.status != Some(TokenStatus::Generated)
        && !matches!(search, Some(Search::Indexed { .. }))
}

/// The rows a page asks for: its size, and one more to tell whether another page follows.
pub(super) fn page_rows(q: &TokenQuery) -> i64 {
    i64::from(q.params.limit.clamp(1, MAX_PAGE_SIZE)) + 1
}

/// The position of `row` in `q`'s order.
pub(super) fn position(q: &TokenQuery, row: &TokenRow) -> Position {
    Position {
        key: key_value(q.params.sort, &row.name, row.created_at, row.last_used_at),
        id: row.id.clone(),
    }
}

impl Store {
    /// One page of the live API tokens of `tenant_id` under `q`, and the counts per status.
    pub async fn list_tokens(
        &self,
        tenant_id: &str,
        q: &TokenQuery,
    ) -> Result<TokenPage, sqlx::Error> {
        let scope = Scope {
            tenant_id,
            owner: q.params.owner.as_deref(),
        };
        let mut conn = self.pool.acquire().await?;
        let search = match q.params.search() {
            Some(text) => Some(search::plan(self.backend, &mut conn, scope, text, q.now).await?),
            None => None,
        };
        if uses_stored_status(q, search.as_ref()) {
            self.sweep(&mut conn, tenant_id, q.now).await?;
        }
        let (rows, next) = match &search {
            Some(Search::Scan { pattern }) => {
                search::scan_page(self.backend, &mut conn, scope, q, pattern).await?
            }
            _ => self.page(&mut conn, scope, q, search.as_ref()).await?,
        };
        let counts = match &search {
            None => count(self.backend, &mut conn, scope, q.now).await?,
            Some(s) => s.counts(self.backend, &mut conn, scope, q.now).await?,
        };
        Ok(TokenPage { rows, next, counts })
    }

    /// The page of `q` with no search, or with one the search index answers.
    async fn page(
        &self,
        conn: &mut AnyConnection,
        scope: Scope<'_>,
        q: &TokenQuery,
        search: Option<&Search>,
    ) -> Result<(Vec<TokenRow>, Option<Position>), sqlx::Error> {
        let sql = page_sql(self.backend, scope, q, search);
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let mut rows = rows
            .iter()
            .map(TokenRow::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = cut(&mut rows, q);
        Ok((rows, next))
    }

    /// Marks inactive the active tokens of `tenant_id` last used before the active window at
    /// `now`, when there are any (one index probe otherwise). One sweep at a time per
    /// process; every instance's sweep does the same, so they may overlap.
    async fn sweep(
        &self,
        conn: &mut AnyConnection,
        tenant_id: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let since = TokenStatus::active_since(now);
        if !sweep_due(self.backend, conn, tenant_id, since).await? {
            return Ok(());
        }
        let _one_at_a_time = self.sweeping.lock().await;
        if sweep_due(self.backend, conn, tenant_id, since).await? {
            sqlx::query(&format!(
                "UPDATE tokens SET status = 'inactive' WHERE {DUE}"
            ))
            .bind(tenant_id)
            .bind(since)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// The active tokens of tenant `$1` last used before `$2` (the `tokens_to_sweep` index).
const DUE: &str = "tenant_id = $1 AND status = 'active' AND kind = 'api' \
     AND revoked_at IS NULL AND last_used_at < $2";

/// Whether a token of `tenant_id` is due to turn inactive at `since`: whether the earliest
/// last use of its active tokens is older. (The first entry of the index, read in order; an
/// existence test let PostgreSQL's planner, which took a third of the active tokens for due,
/// scan the table.)
async fn sweep_due(
    backend: Backend,
    conn: &mut AnyConnection,
    tenant_id: &str,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(&earliest_active_sql(backend))
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?;
    let earliest: Option<i64> = match row {
        Some(row) => row.try_get("earliest")?,
        None => None,
    };
    Ok(earliest.is_some_and(|t| t < since))
}

/// `earliest`: the earliest last use of the active tokens of tenant `$1`, if any.
pub(super) fn earliest_active_sql(backend: Backend) -> String {
    let index = if backend.is_sqlite() {
        " INDEXED BY tokens_to_sweep"
    } else {
        ""
    };
    format!(
        "SELECT last_used_at AS earliest FROM tokens{index} WHERE tenant_id = $1 \
         AND status = 'active' AND kind = 'api' AND revoked_at IS NULL \
         ORDER BY last_used_at LIMIT 1"
    )
}

/// Keeps the page's rows of the `limit + 1` fetched; the next page starts after the last
/// one kept, if more followed.
pub(super) fn cut(rows: &mut Vec<TokenRow>, q: &TokenQuery) -> Option<Position> {
    let limit = (page_rows(q) - 1) as usize;
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(|r| position(q, r))
}

/// The page of `q` with no search, or with one the search index answers: the listing index
/// (or the indexed matches) from the cursor on, `limit + 1` rows.
pub(super) fn page_sql(
    backend: Backend,
    scope: Scope<'_>,
    q: &TokenQuery,
    search: Option<&Search>,
) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {TOKEN_COLUMNS} FROM "));
    match search {
        Some(s) => s.push_from(backend, &mut sql),
        None => scope.push_tokens(&mut sql, backend, by_status(q), q.params.sort),
    }
    sql.push(" JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_id");
    scope.push_where(&mut sql);
    push_status(&mut sql, q, search);
    if let Some(after) = &q.after {
        push_after(&mut sql, q.params.sort, q.params.order, after);
    }
    push_order(&mut sql, q.params.sort, q.params.order);
    sql.push(&format!(" LIMIT {}", page_rows(q)));
    sql
}

/// The counts of the scope's tokens per status, each exact up to [`STATUS_COUNT_CAP`]: three
/// range scans of the `last_used_sort` index, each stopping one past the cap.
async fn count(
    backend: Backend,
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    now: i64,
) -> Result<StatusCounts, sqlx::Error> {
    let row = count_sql(backend, scope, now)
        .query()
        .fetch_one(&mut *conn)
        .await?;
    let n =
        |name: &str| -> Result<u64, sqlx::Error> { Ok(row.try_get::<i64, _>(name)?.max(0) as u64) };
    Ok(StatusCounts::counted(
        n("generated")?,
        n("active")?,
        n("inactive")?,
    ))
}

/// One row: `generated`, `active` and `inactive`, each counted to one past the cap.
pub(super) fn count_sql(backend: Backend, scope: Scope<'_>, now: i64) -> Sql {
    let since = TokenStatus::active_since(now);
    let mut sql = Sql::new("SELECT ");
    for (i, status) in STATUSES.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(SELECT COUNT(*) FROM (SELECT 1 FROM ");
        scope.push_tokens(&mut sql, backend, false, SortKey::LastUsedAt);
        scope.push_where(&mut sql);
        let range = status_range(&mut sql, status, since);
        sql.push(&format!(
            " AND {range} LIMIT {}) c{i}) AS {}",
            STATUS_COUNT_CAP + 1,
            status.as_str()
        ));
    }
    sql
}

/// Every status, in the order of [`StatusCounts`].
pub(super) const STATUSES: [TokenStatus; 3] = [
    TokenStatus::Generated,
    TokenStatus::Active,
    TokenStatus::Inactive,
];

impl Backend {
    /// Whether this is SQLite.
    pub(super) fn is_sqlite(self) -> bool {
        self == Backend::Sqlite
    }
}
