//! Tenants and their users as last seen in access tokens and the directory: names, roles
//! (with when they were observed) and the deprovisioned flag.

use sqlx::FromRow;
use token_wire::Role;

use super::alerts::seed_sample_alerts;
use super::changes::record_change;
use super::{Backend, Store};

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
    roles_at: i64,
}

const SEEN_USER: &str = "SELECT display_name, username, roles, roles_at, deprovisioned, last_sign_in \
     FROM users WHERE tenant_id = $1 AND id = $2";

/// A known user's roles and when they were observed.
#[derive(FromRow)]
struct KnownRoles {
    id: String,
    roles: String,
    roles_at: i64,
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
    /// returns the stored row and whether their roles changed. `roles_at` (Unix ms) is when
    /// the token's roles were observed, its `iat`: roles observed before the stored ones (an
    /// older access token, or one issued before the last directory sync) are not written, and
    /// the row returned carries the stored, newer roles. A change of roles is written to the
    /// change log in the same transaction, so every instance's cache drops the old
    /// privileges of the user's tokens. When nothing changed and the last sign-in is recent,
    /// nothing is written.
    #[allow(clippy::too_many_arguments)]
    pub async fn upsert_user(
        &self,
        tenant_id: &str,
        user_id: &str,
        display_name: &str,
        username: &str,
        roles: &[Role],
        roles_at: i64,
        now: i64,
    ) -> Result<(UserRow, bool), sqlx::Error> {
        let roles = format_roles(roles);
        let before: Option<SeenUser> = self.row_of_tenant(SEEN_USER, tenant_id, user_id).await?;
        if let Some(b) = &before
            && b.display_name == display_name
            && b.username == username
            && (b.roles == roles || b.roles_at > roles_at)
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
        let mut tx = self.begin_write().await?;
        let before: Option<SeenUser> = sqlx::query_as(&self.locking(SEEN_USER))
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (tenant_id, id, display_name, username, roles, roles_at, deprovisioned, last_sign_in) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = excluded.display_name, \
             username = excluded.username, last_sign_in = excluded.last_sign_in, \
             roles = CASE WHEN excluded.roles_at >= users.roles_at THEN excluded.roles ELSE users.roles END, \
             roles_at = CASE WHEN excluded.roles_at >= users.roles_at THEN excluded.roles_at ELSE users.roles_at END \
             RETURNING tenant_id, id, display_name, roles, deprovisioned",
        )
        .bind(tenant_id)
        .bind(user_id)
        .bind(display_name)
        .bind(username)
        .bind(&roles)
        .bind(roles_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let changed = before.is_some_and(|b| b.roles != row.roles);
        if changed {
            record_change(&mut *tx, self.backend, tenant_id, None, Some(user_id), now).await?;
        }
        tx.commit().await?;
        Ok((row, changed))
    }

    /// Sets the roles of the known users of `tenant_id` as a directory read at `observed_at`
    /// (Unix ms) reports them: `roles_of` gives a user's roles, none for a user the directory
    /// does not list. A user whose roles were observed later (a newer access token) keeps
    /// them. Each change is written with its change-log row in one transaction; returns the
    /// ids of the users whose roles changed.
    pub async fn sync_roles(
        &self,
        tenant_id: &str,
        roles_of: impl Fn(&str) -> Vec<Role>,
        observed_at: i64,
    ) -> Result<Vec<String>, sqlx::Error> {
        let known: Vec<KnownRoles> =
            sqlx::query_as("SELECT id, roles, roles_at FROM users WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_all(&self.pool)
                .await?;
        let mut changed = Vec::new();
        for user in known {
            let roles = format_roles(&roles_of(&user.id));
            if user.roles == roles || user.roles_at > observed_at {
                continue;
            }
            let mut tx = self.begin_write().await?;
            let update = sqlx::query(
                "UPDATE users SET roles = $1, roles_at = $2 \
                 WHERE tenant_id = $3 AND id = $4 AND roles_at <= $2 AND roles <> $1",
            );
            let n = update
                .bind(&roles)
                .bind(observed_at)
                .bind(tenant_id)
                .bind(&user.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                record_change(
                    &mut *tx,
                    self.backend,
                    tenant_id,
                    None,
                    Some(&user.id),
                    observed_at,
                )
                .await?;
            }
            tx.commit().await?;
            if n == 1 {
                changed.push(user.id);
            }
        }
        Ok(changed)
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
        let mut tx = self.begin_write().await?;
        let update =
            sqlx::query("UPDATE users SET deprovisioned = $1 WHERE tenant_id = $2 AND id = $3");
        let n = update
            .bind(i64::from(flag))
            .bind(tenant_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        record_change(&mut *tx, self.backend, tenant_id, None, Some(user_id), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `sql` (a `SELECT` of one row), locking that row until the transaction ends on
    /// PostgreSQL; a SQLite write transaction holds the whole database already.
    fn locking(&self, sql: &str) -> String {
        match self.backend {
            Backend::Sqlite => sql.to_string(),
            Backend::Postgres => format!("{sql} FOR UPDATE"),
        }
    }
}
