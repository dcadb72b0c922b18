//! The change log: revocations, role changes and deprovisionings, which every instance polls
//! to drop stale entries from its API-token cache.

use sqlx::{Executor, FromRow, Row};

use super::Store;

/// A row of the change log that instances poll to invalidate their caches.
#[derive(Clone, Debug, FromRow)]
pub struct ChangeRow {
    pub seq: i64,
    pub tenant_id: String,
    pub token_id: Option<String>,
    pub user_id: Option<String>,
    pub at: i64,
}

impl Store {
    /// The highest change sequence number so far (0 when none).
    pub async fn last_change(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM changes")
            .fetch_one(&self.pool)
            .await?;
        row.try_get("m")
    }

    /// Changes after `seq`, plus every change recorded at or after `since` (to catch
    /// PostgreSQL sequence values that commit out of order).
    pub async fn changes_since(&self, seq: i64, since: i64) -> Result<Vec<ChangeRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT seq, tenant_id, token_id, user_id, at FROM changes WHERE seq > $1 OR at >= $2 ORDER BY seq",
        )
        .bind(seq)
        .bind(since)
        .fetch_all(&self.pool)
        .await
    }

    /// Deletes change-log rows recorded before `before` (Unix ms).
    pub async fn prune_changes(&self, before: i64) -> Result<u64, sqlx::Error> {
        let delete = sqlx::query("DELETE FROM changes WHERE at < $1");
        self.changed_rows(delete.bind(before)).await
    }
}

/// Records that a token (`token_id`) or every token of a user (`user_id`) changed, on `exec`
/// (the pool, or the transaction that makes the change).
pub(super) async fn record_change<'c, E>(
    exec: E,
    tenant_id: &str,
    token_id: Option<&str>,
    user_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO changes (tenant_id, token_id, user_id, at) VALUES ($1, $2, $3, $4)")
        .bind(tenant_id)
        .bind(token_id)
        .bind(user_id)
        .bind(now)
        .execute(exec)
        .await?;
    Ok(())
}
