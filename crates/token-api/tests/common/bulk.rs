//! API tokens written straight into a test's database in one transaction, for listings
//! larger than generating through the API allows (the server's schema must be in place:
//! start the server first).

use sqlx::{AnyConnection, Connection};
use token_wire::TokenStatus;

/// One API token to write.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl Seeded {
    /// Its sort key as the listing orders it (`-1` for never used).
    pub fn last_used_key(&self) -> i64 {
        self.last_used_at.unwrap_or(-1)
    }
}

/// Writes `tokens` of `tenant` (its tenant and owners recorded when missing) with the status
/// they had at `status_at`: a token active then and inactive by the server's clock is one the
/// store has not swept yet.
pub async fn seed(url: &str, tenant: &str, tokens: &[Seeded], status_at: i64) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url).await.expect("connect");
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("INSERT INTO tenants (id, created_at) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING")
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .unwrap();
    let mut owners: Vec<&str> = tokens.iter().map(|t| t.owner.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    for owner in owners {
        sqlx::query(
            "INSERT INTO users (tenant_id, id, display_name, username, roles, deprovisioned) \
             VALUES ($1, $2, $2, $2, '', 0) ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(tenant)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for t in tokens {
        let status = TokenStatus::at(t.last_used_at, status_at);
        sqlx::query(
            "INSERT INTO tokens (id, tenant_id, owner_id, kind, name, name_lc, value_hash, \
             created_at, last_used_at, status, last_used_sort) \
             VALUES ($1, $2, $3, 'api', $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&t.id)
        .bind(tenant)
        .bind(&t.owner)
        .bind(&t.name)
        .bind(t.name.to_lowercase())
        .bind(format!("seeded-{}", t.id))
        .bind(t.created_at)
        .bind(t.last_used_at)
        .bind(status.as_str())
        .bind(t.last_used_key())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    conn.close().await.ok();
}
