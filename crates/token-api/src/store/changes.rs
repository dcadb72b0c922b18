//! The change log: revocations, role changes and deprovisionings, which every instance polls
//! to drop stale entries from its API-token cache. On PostgreSQL each change is also
//! announced on [`CHANGE_CHANNEL`] (`NOTIFY`, at commit) so that instances listening there
//! drop them at once.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Executor, FromRow, Row};

use super::{Backend, Store};

/// The PostgreSQL channel changes are announced on; the payload is the change row as JSON
/// (ids and times, never a secret).
pub const CHANGE_CHANNEL: &str = "token_api_changes";
/// The `application_name` of each instance's listening connection.
pub const LISTENER_APPLICATION: &str = "token-api-listener";

/// A row of the change log that instances poll to invalidate their caches.
#[derive(Clone, Debug, FromRow, serde::Deserialize)]
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

    /// A connection listening on [`CHANGE_CHANNEL`]; `None` on SQLite (one instance a file).
    pub async fn listen_changes(&self) -> Result<Option<PgListener>, sqlx::Error> {
        let Some(url) = &self.listen_url else {
            return Ok(None);
        };
        let options = PgConnectOptions::from_str(&url.0)?.application_name(LISTENER_APPLICATION);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANGE_CHANNEL).await?;
        Ok(Some(listener))
    }

    /// Deletes change-log rows recorded before `before` (Unix ms).
    pub async fn prune_changes(&self, before: i64) -> Result<u64, sqlx::Error> {
        let delete = sqlx::query("DELETE FROM changes WHERE at < $1");
        self.changed_rows(delete.bind(before)).await
    }
}

/// Records that a token (`token_id`) or every token of a user (`user_id`) changed, on `exec`
/// (the pool, or the transaction that makes the change); on PostgreSQL the same statement
/// announces it on [`CHANGE_CHANNEL`].
pub(super) async fn record_change<'c, E>(
    exec: E,
    backend: Backend,
    tenant_id: &str,
    token_id: Option<&str>,
    user_id: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    let sql = match backend {
        Backend::Sqlite => {
            "INSERT INTO changes (tenant_id, token_id, user_id, at) VALUES ($1, $2, $3, $4)"
        }
        Backend::Postgres => {
            "WITH c AS (INSERT INTO changes (tenant_id, token_id, user_id, at) \
             VALUES ($1, $2, $3, $4) RETURNING seq, tenant_id, token_id, user_id, at) \
             SELECT 1 FROM c, LATERAL pg_notify('token_api_changes', row_to_json(c)::text) AS n"
        }
    };
    sqlx::query(sql)
        .bind(tenant_id)
        .bind(token_id)
        .bind(user_id)
        .bind(now)
        .execute(exec)
        .await?;
    Ok(())
}
