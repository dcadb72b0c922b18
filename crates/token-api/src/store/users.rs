//! Tenants and their users as last seen in access tokens: names, roles and the
//! deprovisioned flag.

use sqlx::FromRow;
use token_wire::Role;

use super::Store;
use super::alerts::seed_sample_alerts;

/// A user as recorded.
#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub roles: String,
    pub deprovisioned: i64,
}

/// Parses the stored comma-separated `wids`.
pub fn parse_roles(s: &str) -> Vec<Role> {
    token_wire::roles_from_wids(s.split(','))
}

/// How old the recorded last sign-in may get before a request of the same user, with the
/// same name and roles, writes it again: most portal requests then only read.
const SIGN_IN_RESOLUTION_MS: i64 = 60_000;

/// What a request compares before writing a user again.
#[derive(FromRow)]
struct SeenUser {
    display_name: String,
    username: String,
    roles: String,
    deprovisioned: i64,
    last_sign_in: Option<i64>,
}

fn format_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.wid()).collect::<Vec<_>>().join(",")
}

impl Store {
    /// Records a tenant; seeds its sample alerts the first time it is seen. A known tenant
    /// costs one read.
    pub async fn ensure_tenant(&self, tenant_id: &str, now: i64) -> Result<(), sqlx::Error> {
        let known = sqlx::query("SELECT 1 AS known FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        if known.is_some() {
            return Ok(());
        }
        let insert = sqlx::query(
            "INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        );
        let inserted = self.changed_rows(insert.bind(tenant_id).bind(now)).await?;
        if inserted == 1 {
            seed_sample_alerts(&self.pool, tenant_id, now).await?;
        }
        Ok(())
    }

    /// Records a user seen in an access token (name, roles, last sign-in, to the minute) and
    /// returns the stored row and whether their roles changed. A change of roles is written to
    /// the change log so every instance's cache drops the old privileges of the user's tokens.
    /// When nothing changed and the last sign-in is recent, nothing is written.
    pub async fn upsert_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        display_name: &str,
        username: &str,
        roles: &[Role],
        now: i64,
    ) -> Result<(UserRow, bool), sqlx::Error> {
        let roles = format_roles(roles);
        let before: Option<SeenUser> = self
            .row_of_tenant(
                "SELECT display_name, username, roles, deprovisioned, last_sign_in FROM users \
                 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                user_id,
            )
            .await?;
        if let Some(b) = &before
            && b.display_name == display_name
            && b.username == username
            && b.roles == roles
            && b.last_sign_in
                .is_some_and(|at| (0..SIGN_IN_RESOLUTION_MS).contains(&(now - at)))
        {
            let row = UserRow {
                tenant_id: tenant_id.to_string(),
                id: user_id.to_string(),
                display_name: b.display_name.clone(),
                roles: b.roles.clone(),
                deprovisioned: b.deprovisioned,
            };
            return Ok((row, false));
        }
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (tenant_id, id, display_name, username, roles, deprovisioned, last_sign_in) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, \
             username = excluded.username, roles = excluded.roles, last_sign_in = excluded.last_sign_in \
             RETURNING tenant_id, id, display_name, roles, deprovisioned",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(display_name)
        .bind(username)
        .bind(&roles)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let changed = before.is_some_and(|b| b.roles != roles);
        if changed {
            self.record_user_change(tenant_id, user_id, now).await?;
        }
        Ok((row, changed))
    }

    /// One user.
    pub async fn user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<UserRow>, sqlx::Error> {
        self.row_of_tenant(
            "SELECT tenant_id, id, display_name, roles, deprovisioned FROM users WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            user_id,
        )
        .await
    }

    /// Sets or clears a user's deprovisioned flag; `false` if there is no such user.
    pub async fn set_deprovisioned(
        &self,
        tenant_id: &str,
        user_id: &str,
        flag: bool,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let update =
            sqlx::query("UPDATE users SET deprovisioned = $1 WHERE tenant_id = $2 AND id = $3");
        let n = self
            .changed_rows(update.bind(i64::from(flag)).bind(tenant_id).bind(user_id))
            .await?;
        if n == 0 {
            return Ok(false);
        }
        self.record_user_change(tenant_id, user_id, now).await?;
        Ok(true)
    }
}
