//! The audit trail: one row per generated, used, denied or revoked API token.

use sqlx::{Executor, FromRow};
use token_wire::{AuditAction, MAX_PAGE_SIZE};

use super::Store;

/// One audit event with its actor's name.
#[derive(Clone, Debug, FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub ip: Option<String>,
}

/// An audit event to record.
pub struct NewAudit<'a> {
    pub tenant_id: &'a str,
    pub at: i64,
    pub actor_id: &'a str,
    pub action: AuditAction,
    pub token_id: Option<&'a str>,
    pub token_name: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl Store {
    /// Records an audit event.
    pub async fn audit(&self, e: &NewAudit<'_>) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut *conn, e).await
    }

    /// Deletes the audit events older than `before` (Unix ms); returns how many.
    pub async fn prune_audit(&self, before: i64) -> Result<u64, sqlx::Error> {
        self.changed_rows(sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(before))
            .await
    }

    /// One page of `limit` events of a tenant's audit trail before `before`, newest first,
    /// plus the next event when there is one (see [`crate::list::cut_page`]).
    pub async fn list_audit(
        &self,
        tenant_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "SELECT a.seq, a.at, a.actor_id, COALESCE(u.display_name, a.actor_id) AS actor_name, a.action, \
             a.token_id, a.token_name, a.ip FROM audit_events a \
             LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.actor_id \
             WHERE a.tenant_id = $1 AND a.seq < $2 ORDER BY a.seq DESC LIMIT {}",
            limit.clamp(1, MAX_PAGE_SIZE) + 1
        ))
        .bind(tenant_id)
        .bind(before.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
    }
}

/// Inserts an audit event on `exec` (the pool, or a transaction that writes with it).
pub(super) async fn insert_audit<'c, E>(exec: E, e: &NewAudit<'_>) -> Result<(), sqlx::Error>
where
    E: Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (tenant_id, at, actor_id, action, token_id, token_name, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.tenant_id)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.action.as_str())
    .bind(e.token_id)
    .bind(e.token_name)
    .bind(e.ip)
    .execute(exec)
    .await?;
    Ok(())
}
