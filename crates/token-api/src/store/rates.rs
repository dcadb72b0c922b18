//! The shared per-tenant rate limit: budget leased in batches from a counter per tenant and
//! one-minute window, so that instances on one store share one limit without a write per
//! request (see [`crate::limiter`]).

use sqlx::Row;

use super::Store;

impl Store {
    /// Takes up to `batch` calls from the tenant's budget of `limit` in the window starting
    /// at `window_start` (Unix ms); returns how many were granted (0 once it is spent).
    pub async fn lease_rate(
        &self,
        tenant_id: &str,
        window_start: i64,
        batch: i64,
        limit: i64,
    ) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "INSERT INTO rate_windows (tenant_id, window_start, used, granted) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (tenant_id, window_start) DO UPDATE SET \
             granted = CASE WHEN rate_windows.used + $3 > $4 THEN $4 - rate_windows.used ELSE $3 END, \
             used = CASE WHEN rate_windows.used + $3 > $4 THEN $4 ELSE rate_windows.used + $3 END \
             WHERE rate_windows.used < $4 \
             RETURNING granted",
        )
        .bind(tenant_id)
        .bind(window_start)
        .bind(batch.min(limit))
        .bind(limit)
        .fetch_optional(&self.pool)
        .await?;
        row.map_or(Ok(0), |r| r.try_get("granted"))
    }

    /// Deletes the rate windows that started before `before` (Unix ms).
    pub async fn prune_rate_windows(&self, before: i64) -> Result<u64, sqlx::Error> {
        let delete = sqlx::query("DELETE FROM rate_windows WHERE window_start < $1");
        self.changed_rows(delete.bind(before)).await
    }
}
