//! A tenant's alerts: the resource the token-authenticated endpoints expose. Each tenant
//! starts with a fixed set of sample alerts.

use sqlx::{AnyPool, FromRow};

use super::Store;

/// An alert.
#[derive(Clone, Debug, FromRow)]
pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub created_at: i64,
}

const SAMPLE_ALERTS: [(&str, &str, &str); 5] = [
    ("alert-1", "Impossible travel activity", "high"),
    ("alert-2", "Mass download by a single user", "medium"),
    ("alert-3", "Activity from an anonymous IP address", "medium"),
    ("alert-4", "Unusual file deletion activity", "low"),
    ("alert-5", "Suspicious inbox forwarding rule", "high"),
];

impl Store {
    /// A tenant's alerts, newest first.
    pub async fn list_alerts(&self, tenant_id: &str) -> Result<Vec<AlertRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, title, severity, status, created_at FROM alerts WHERE tenant_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Closes an alert; `None` if the tenant has no such alert.
    pub async fn close_alert(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<AlertRow>, sqlx::Error> {
        self.row_of_tenant(
            "UPDATE alerts SET status = 'closed' WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, title, severity, status, created_at",
            tenant_id,
            id,
        )
        .await
    }
}

/// Seeds a new tenant's sample alerts, created in the hours before `now`.
pub(super) async fn seed_sample_alerts(
    pool: &AnyPool,
    tenant_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for (i, (id, title, severity)) in SAMPLE_ALERTS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO alerts (tenant_id, id, title, severity, status, created_at) \
             VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(*id)
        .bind(*title)
        .bind(*severity)
        .bind(now - (i as i64 + 1) * 3_600_000)
        .execute(pool)
        .await?;
    }
    Ok(())
}
