//! Name search (`q`): the names that contain `q`, both lower-cased (Rust's Unicode
//! lower-casing, stored as `name_lc`), with the listing's other filters, order and cursor.
//!
//! Two ways, chosen per request:
//! - **Indexed**, when `q` has three or more characters and the search index finds at most
//!   [`INDEX_MATCHES`] names containing it: SQLite's FTS5 trigram table `tokens_search` (a
//!   phrase of trigrams matches exactly the names containing it), PostgreSQL's `pg_trgm` GIN
//!   index under `LIKE`. One statement counts the matches, per status those of the listing's
//!   scope, and lists the latter (on SQLite after a count of FTS5's matches alone, which
//!   reads no rows); the page then reads and sorts those rows alone. Exact, and one pass of
//!   the search index.
//! - **Scan**, for shorter or more common strings: the listing index read in order from the
//!   cursor, at most [`SCAN_ROWS`] entries per page, filtering `name_lc` in the index
//!   itself. A common string fills a page within a few hundred entries; when a stretch holds
//!   too few matches, the page is shorter and its cursor resumes after the stretch, so paging
//!   still returns every match once, in order, at a bounded cost per request. Its counts are
//!   lower bounds from [`COUNT_SCAN_ROWS`] entries per status (`capped`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};
use token_wire::{SortKey, StatusCounts, TokenStatus};

use super::Backend;
use super::listing::{STATUSES, by_status, cut, page_rows, push_status, status_range};
use super::sql::{Scope, Sql, contains_pattern, key_column, push_after, push_order};
use super::tokens::{KeyValue, Position, TOKEN_COLUMNS, TokenQuery, TokenRow};

/// The most names the indexed way handles (on SQLite, of every tenant: FTS5 knows only
/// names); more go the scanning way. Each match costs a row read, twice.
pub const INDEX_MATCHES: i64 = 2_000;
/// Index entries a scanned page reads at most.
pub const SCAN_ROWS: i64 = 10_000;
/// Index entries a scanned count reads at most, per status.
pub const COUNT_SCAN_ROWS: i64 = 1_000;

/// How a listing finds the names containing the search.
#[derive(Clone, Debug)]
pub enum Search {
    /// Through the search index: the exact counts of the matches in the listing's scope,
    /// and those matches as a JSON array (of `seq` on SQLite, of `id` on PostgreSQL).
    Indexed {
        counts: StatusCounts,
        matches: String,
    },
    /// By filtering a bounded stretch of the listing index with this LIKE pattern.
    Scan { pattern: String },
}

/// Chooses the way for `q` in `scope` (counting the indexed matches on the way).
pub async fn plan(
    backend: Backend,
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    q: &str,
    now: i64,
) -> Result<Search, sqlx::Error> {
    let text = q.to_lowercase();
    if text.chars().count() >= 3 && (!backend.is_sqlite() || few_fts_matches(conn, &text).await?) {
        let row = indexed_sql(backend, scope, &text, now)
            .query()
            .fetch_one(&mut *conn)
            .await?;
        if figure(&row, "matches")? <= INDEX_MATCHES as u64 {
            let n = |status: TokenStatus| figure(&row, status.as_str());
            let counts = StatusCounts::counted(
                n(TokenStatus::Generated)?,
                n(TokenStatus::Active)?,
                n(TokenStatus::Inactive)?,
            );
            let matches = row.try_get("listed")?;
            return Ok(Search::Indexed { counts, matches });
        }
    }
    Ok(Search::Scan {
        pattern: contains_pattern(&text),
    })
}

/// Whether FTS5 finds at most [`INDEX_MATCHES`] names containing `text`: a first look that
/// reads no rows, so a common string costs little before it goes the scanning way.
async fn few_fts_matches(conn: &mut AnyConnection, text: &str) -> Result<bool, sqlx::Error> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM (SELECT rowid FROM tokens_search ");
    let phrase = sql.text(&fts_phrase(text));
    sql.push(&format!(
        "WHERE tokens_search MATCH {phrase} LIMIT {}) m",
        INDEX_MATCHES + 1
    ));
    let row = sql.query().fetch_one(&mut *conn).await?;
    Ok(figure(&row, "n")? <= INDEX_MATCHES as u64)
}

fn figure(row: &AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    Ok(row.try_get::<i64, _>(column)?.max(0) as u64)
}

/// One row: `matches`, the names the search index finds containing `text` (up to one past
/// [`INDEX_MATCHES`]), per status how many of them the scope lists, and those (`listed`, a
/// JSON array of `seq` on SQLite, of `id` on PostgreSQL).
pub(super) fn indexed_sql(backend: Backend, scope: Scope<'_>, text: &str, now: i64) -> Sql {
    let mut sql = Sql::new("SELECT COUNT(*) AS matches");
    let since = TokenStatus::active_since(now);
    let listed = scope.condition(&mut sql);
    for status in STATUSES {
        let range = status_range(&mut sql, status, since);
        sql.push(&format!(
            ", COALESCE(SUM(CASE WHEN {listed} AND {range} THEN 1 ELSE 0 END), 0) AS {}",
            status.as_str()
        ));
    }
    let limit = INDEX_MATCHES + 1;
    if backend.is_sqlite() {
        let phrase = sql.text(&fts_phrase(text));
        sql.push(&format!(
            ", json_group_array(t.seq) FILTER (WHERE {listed}) AS listed \
             FROM (SELECT rowid AS seq FROM tokens_search WHERE tokens_search MATCH {phrase} \
             LIMIT {limit}) m CROSS JOIN tokens t ON t.seq = m.seq"
        ));
    } else {
        let tenant = sql.text(scope.tenant_id);
        let pattern = sql.text(&contains_pattern(text));
        sql.push(&format!(
            ", COALESCE(CAST(json_agg(t.id) FILTER (WHERE {listed}) AS TEXT), '[]') AS listed \
             FROM (SELECT * FROM tokens t WHERE t.tenant_id = {tenant} AND t.kind = 'api' \
             AND t.revoked_at IS NULL AND t.name_lc LIKE {pattern} ESCAPE '\\' \
             LIMIT {limit}) t"
        ));
    }
    sql
}

/// An FTS5 query matching `text` as one phrase: in double quotes, its own doubled.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl Search {
    /// The `FROM` of a statement over the tokens as `t`: for an indexed search, the rows of
    /// its matches (by primary key, in the order listed; `CROSS JOIN` keeps that order on
    /// SQLite).
    pub fn push_from(&self, backend: Backend, sql: &mut Sql) {
        match self {
            Search::Indexed { matches, .. } => {
                let matches = sql.text(matches);
                sql.push(&if backend.is_sqlite() {
                    format!("json_each({matches}) m CROSS JOIN tokens t ON t.seq = m.value")
                } else {
                    format!(
                        "json_array_elements_text(CAST({matches} AS json)) AS m (id) \
                         JOIN tokens t ON t.id = m.id"
                    )
                });
            }
            Search::Scan { .. } => {
                sql.push("tokens t");
            }
        }
    }

    /// The counts per status of the scope's names containing the search: exact when
    /// indexed (counted by [`plan`]), lower bounds when a status has more entries than a
    /// scan reads.
    pub async fn counts(
        &self,
        backend: Backend,
        conn: &mut AnyConnection,
        scope: Scope<'_>,
        now: i64,
    ) -> Result<StatusCounts, sqlx::Error> {
        let pattern = match self {
            Search::Indexed { counts, .. } => return Ok(*counts),
            Search::Scan { pattern } => pattern,
        };
        let rows = scanned_counts_sql(backend, scope, pattern, now)
            .query()
            .fetch_all(&mut *conn)
            .await?;
        let mut figures = [0u64; 3];
        let mut stopped = false;
        for row in &rows {
            if let Some(n) = figures.get_mut(figure(row, "s")? as usize) {
                *n = figure(row, "matched")?;
            }
            stopped |= figure(row, "scanned")? >= COUNT_SCAN_ROWS as u64;
        }
        let [generated, active, inactive] = figures;
        Ok(if stopped {
            StatusCounts::at_least(generated, active, inactive)
        } else {
            StatusCounts::counted(generated, active, inactive)
        })
    }
}

/// One row per status: `s` (its place in [`STATUSES`]), the index entries read (`scanned`,
/// at most [`COUNT_SCAN_ROWS`]) and how many contain the search (`matched`).
pub(super) fn scanned_counts_sql(
    backend: Backend,
    scope: Scope<'_>,
    pattern: &str,
    now: i64,
) -> Sql {
    let since = TokenStatus::active_since(now);
    let mut sql = Sql::new("SELECT ");
    let like = sql.text(pattern);
    for (i, status) in STATUSES.into_iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL SELECT ");
        }
        sql.push(&format!(
            "CAST({i} AS BIGINT) AS s, COUNT(*) AS scanned, \
             COALESCE(SUM(CASE WHEN c.name_lc LIKE {like} ESCAPE '\\' THEN 1 ELSE 0 END), 0) \
             AS matched FROM (SELECT t.name_lc FROM "
        ));
        scope.push_tokens(&mut sql, backend, false, SortKey::LastUsedAt);
        scope.push_where(&mut sql);
        let range = status_range(&mut sql, status, since);
        sql.push(&format!(" AND {range} LIMIT {COUNT_SCAN_ROWS}) c"));
    }
    sql
}

/// The page of `q` by the scanning way: the matches among the next [`SCAN_ROWS`] entries of
/// the listing index; when they fill no page and more entries follow, the next page resumes
/// after the last entry read.
pub async fn scan_page(
    backend: Backend,
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    q: &TokenQuery,
    pattern: &str,
) -> Result<(Vec<TokenRow>, Option<Position>), sqlx::Error> {
    let rows = scan_page_sql(backend, scope, q, pattern)
        .query()
        .fetch_all(&mut *conn)
        .await?;
    let mut rows = rows
        .iter()
        .map(TokenRow::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(next) = cut(&mut rows, q) {
        return Ok((rows, Some(next)));
    }
    let last = stretch_end_sql(backend, scope, q)
        .query()
        .fetch_optional(&mut *conn)
        .await?;
    let next = match last {
        Some(row) => Some(Position {
            key: match q.params.sort {
                SortKey::Name => KeyValue::Text(row.try_get("k")?),
                SortKey::CreatedAt | SortKey::LastUsedAt => KeyValue::Int(row.try_get("k")?),
            },
            id: row.try_get("id")?,
        }),
        None => None,
    };
    Ok((rows, next))
}

/// The first `limit + 1` matches among the next [`SCAN_ROWS`] entries from the cursor.
pub(super) fn scan_page_sql(
    backend: Backend,
    scope: Scope<'_>,
    q: &TokenQuery,
    pattern: &str,
) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t \
         JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_id \
         WHERE t.id IN (SELECT w.id FROM (SELECT t.id, t.name_lc FROM "
    ));
    push_stretch(&mut sql, backend, scope, q);
    let like = sql.text(pattern);
    sql.push(&format!(
        " LIMIT {SCAN_ROWS}) w WHERE w.name_lc LIKE {like} ESCAPE '\\' LIMIT {})",
        page_rows(q)
    ));
    push_order(&mut sql, q.params.sort, q.params.order);
    sql
}

/// The last of the next [`SCAN_ROWS`] entries from the cursor, if there are that many.
pub(super) fn stretch_end_sql(backend: Backend, scope: Scope<'_>, q: &TokenQuery) -> Sql {
    let key = key_column(q.params.sort);
    let mut sql = Sql::new(&format!("SELECT t.id, {key} AS k FROM "));
    push_stretch(&mut sql, backend, scope, q);
    sql.push(&format!(" LIMIT 1 OFFSET {}", SCAN_ROWS - 1));
    sql
}

/// The listing index from `q`'s cursor on, in order: `tokens t …  WHERE … ORDER BY …`.
fn push_stretch(sql: &mut Sql, backend: Backend, scope: Scope<'_>, q: &TokenQuery) {
    scope.push_tokens(sql, backend, by_status(q), q.params.sort);
    scope.push_where(sql);
    push_status(sql, q, None);
    if let Some(after) = &q.after {
        push_after(sql, q.params.sort, q.params.order, after);
    }
    push_order(sql, q.params.sort, q.params.order);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_quotes_its_quotes() {
        assert_eq!(fts_phrase(r#"a "b" c"#), r#""a ""b"" c""#);
    }
}
