//! Persistence on SQLite (embedded default) or PostgreSQL, through one `sqlx::Any` pool.
//!
//! Every query is written once, with `$n` placeholders that both backends accept; times are
//! Unix milliseconds in `BIGINT` columns and flags are `BIGINT` 0/1, so rows decode the same
//! way from either database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, FromRow, Row};
use token_wire::{AuditAction, Role, SortKey, SortOrder, TokenStatus};

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Store failures that callers distinguish.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("cannot create the database directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Api,
    Siem,
    LogCollector,
}

impl TokenKind {
    /// Stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Siem => "siem",
            TokenKind::LogCollector => "log_collector",
        }
    }
}

/// A user as recorded.
#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub roles: String,
    pub deprovisioned: i64,
}

impl UserRow {
    /// Roles as last seen.
    pub fn roles(&self) -> Vec<Role> {
        parse_roles(&self.roles)
    }
}

/// Parses the stored comma-separated `wids`.
pub fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',').filter_map(Role::from_wid).collect()
}

fn format_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.wid()).collect::<Vec<_>>().join(",")
}

/// A token row joined with its owner.
#[derive(Clone, Debug, FromRow)]
pub struct TokenRow {
    pub id: String,
    pub tenant_id: String,
    pub owner_id: String,
    pub owner_name: String,
    pub owner_roles: String,
    pub owner_deprovisioned: i64,
    pub kind: String,
    pub name: String,
    pub value_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A new token to insert.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub owner_id: &'a str,
    pub kind: TokenKind,
    pub name: &'a str,
    pub value_hash: &'a str,
    pub created_at: i64,
}

/// Filters, sort and page of a token listing.
#[derive(Clone, Debug)]
pub struct TokenQuery {
    pub owner: Option<String>,
    pub status: Option<TokenStatus>,
    pub q: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: u32,
    pub after: Option<(KeyValue, String)>,
    /// "Now" in Unix ms, for the status filter.
    pub now: i64,
}

/// A keyset position value.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    Int(i64),
    Text(String),
}

/// How long without use makes a token inactive.
pub const INACTIVE_AFTER_MS: i64 = 7 * 24 * 3600 * 1000;

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

/// An alert.
#[derive(Clone, Debug, FromRow)]
pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub created_at: i64,
}

/// A row of the change log that instances poll to invalidate their caches.
#[derive(Clone, Debug, FromRow)]
pub struct ChangeRow {
    pub seq: i64,
    pub tenant_id: String,
    pub token_id: Option<String>,
    pub user_id: Option<String>,
    pub at: i64,
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

/// Outcome of inserting a token.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a live token with this name already exists")]
    Duplicate,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

const SAMPLE_ALERTS: [(&str, &str, &str); 5] = [
    ("alert-1", "Impossible travel activity", "high"),
    ("alert-2", "Mass download by a single user", "medium"),
    ("alert-3", "Activity from an anonymous IP address", "medium"),
    ("alert-4", "Unusual file deletion activity", "low"),
    ("alert-5", "Suspicious inbox forwarding rule", "high"),
];

const TOKEN_SELECT: &str = "SELECT t.id, t.tenant_id, t.owner_id, u.display_name AS owner_name, \
     u.roles AS owner_roles, u.deprovisioned AS owner_deprovisioned, t.kind, t.name, t.value_hash, \
     t.created_at, t.last_used_at, t.revoked_at \
     FROM tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_id";

enum Bind {
    Int(i64),
    Text(String),
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating a SQLite file and its
    /// directory when missing, and runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let file = path.split('?').next().unwrap_or_default();
            let dir = Path::new(file)
                .parent()
                .filter(|d| !d.as_os_str().is_empty());
            if let Some(dir) = dir.filter(|_| file != ":memory:") {
                std::fs::create_dir_all(dir)?;
            }
            let url = if path.contains("mode=") {
                url.to_string()
            } else if path.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = sqlx::any::AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the store answers a trivial query.
    pub async fn ping(&self) -> bool {
        tokio::time::timeout(
            Duration::from_secs(3),
            sqlx::query("SELECT 1").execute(&self.pool),
        )
        .await
        .is_ok_and(|r| r.is_ok())
    }

    /// Records a tenant; seeds its sample alerts the first time it is seen.
    pub async fn ensure_tenant(&self, tenant_id: &str, now: i64) -> Result<(), sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
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
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Records a user seen in an access token (name, roles, last sign-in) and returns the
    /// stored row and whether their roles changed. A change of roles is written to the change
    /// log so every instance's cache drops the old privileges of the user's tokens.
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
        let before = self.user(tenant_id, user_id).await?;
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
            self.record_change(tenant_id, None, Some(user_id), now)
                .await?;
        }
        Ok((row, changed))
    }

    /// One user.
    pub async fn user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<UserRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT tenant_id, id, display_name, roles, deprovisioned FROM users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
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
        let n = sqlx::query("UPDATE users SET deprovisioned = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(i64::from(flag))
            .bind(tenant_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        self.record_change(tenant_id, None, Some(user_id), now)
            .await?;
        Ok(true)
    }

    async fn record_change(
        &self,
        tenant_id: &str,
        token_id: Option<&str>,
        user_id: Option<&str>,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO changes (tenant_id, token_id, user_id, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(token_id)
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Inserts a token and its `generated` audit event atomically.
    pub async fn create_token(
        &self,
        t: &NewToken<'_>,
        ip: Option<&str>,
    ) -> Result<(), CreateError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO tokens (id, tenant_id, owner_id, kind, name, name_lc, value_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(t.id)
        .bind(t.tenant_id)
        .bind(t.owner_id)
        .bind(t.kind.as_str())
        .bind(t.name)
        .bind(t.name.to_lowercase())
        .bind(t.value_hash)
        .bind(t.created_at)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let duplicate = e
                .as_database_error()
                .is_some_and(|d| d.is_unique_violation());
            return Err(if duplicate {
                CreateError::Duplicate
            } else {
                e.into()
            });
        }
        insert_audit(
            &mut *tx,
            &NewAudit {
                tenant_id: t.tenant_id,
                at: t.created_at,
                actor_id: t.owner_id,
                action: AuditAction::Generated,
                token_id: Some(t.id),
                token_name: Some(t.name),
                ip,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One live API token of a tenant, optionally restricted to an owner.
    pub async fn live_api_token(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<TokenRow>, sqlx::Error> {
        sqlx::query_as(&format!(
            "{TOKEN_SELECT} WHERE t.tenant_id = $1 AND t.id = $2 AND t.kind = 'api' AND t.revoked_at IS NULL"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Revokes a live API token of `tenant_id` (only `owner`'s when given), recording the
    /// audit event and the change. `None` when there is no such visible live token.
    pub async fn revoke(
        &self,
        tenant_id: &str,
        id: &str,
        owner: Option<&str>,
        actor_id: &str,
        now: i64,
        ip: Option<&str>,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND kind = 'api' \
             AND revoked_at IS NULL AND ($4 = '' OR owner_id = $4) RETURNING name, value_hash",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .bind(owner.unwrap_or(""))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let name: String = row.try_get("name")?;
        let hash: String = row.try_get("value_hash")?;
        insert_audit(
            &mut *tx,
            &NewAudit {
                tenant_id,
                at: now,
                actor_id,
                action: AuditAction::Revoked,
                token_id: Some(id),
                token_name: Some(&name),
                ip,
            },
        )
        .await?;
        sqlx::query(
            "INSERT INTO changes (tenant_id, token_id, user_id, at) VALUES ($1, $2, NULL, $3)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((name, hash)))
    }

    /// Lists live API tokens of a tenant; returns one page and the total matching count.
    pub async fn list_tokens(
        &self,
        tenant_id: &str,
        q: &TokenQuery,
    ) -> Result<(Vec<TokenRow>, u64), sqlx::Error> {
        let mut binds = vec![Bind::Text(tenant_id.to_string())];
        let mut filter =
            String::from(" WHERE t.tenant_id = $1 AND t.kind = 'api' AND t.revoked_at IS NULL");
        if let Some(owner) = &q.owner {
            binds.push(Bind::Text(owner.clone()));
            filter += &format!(" AND t.owner_id = ${}", binds.len());
        }
        if let Some(status) = q.status {
            match status {
                TokenStatus::Generated => filter += " AND t.last_used_at IS NULL",
                TokenStatus::Active => {
                    binds.push(Bind::Int(q.now - INACTIVE_AFTER_MS));
                    filter += &format!(" AND t.last_used_at >= ${}", binds.len());
                }
                TokenStatus::Inactive => {
                    binds.push(Bind::Int(q.now - INACTIVE_AFTER_MS));
                    filter += &format!(" AND t.last_used_at < ${}", binds.len());
                }
            }
        }
        if let Some(text) = q.q.as_deref().filter(|s| !s.is_empty()) {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(Bind::Text(format!("%{escaped}%")));
            filter += &format!(" AND t.name_lc LIKE ${} ESCAPE '\\'", binds.len());
        }

        let count_sql = format!("SELECT COUNT(*) AS n FROM tokens t{filter}");
        let total: i64 = bind_all(sqlx::query(&count_sql), &binds)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;

        let key = match q.sort {
            SortKey::Name => "t.name",
            SortKey::CreatedAt => "t.created_at",
            SortKey::LastUsedAt => "COALESCE(t.last_used_at, -1)",
        };
        let (cmp, dir) = match q.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        let mut page_filter = filter;
        if let Some((value, id)) = &q.after {
            binds.push(match value {
                KeyValue::Int(i) => Bind::Int(*i),
                KeyValue::Text(s) => Bind::Text(s.clone()),
            });
            binds.push(Bind::Text(id.clone()));
            let (a, b) = (binds.len() - 1, binds.len());
            page_filter +=
                &format!(" AND ({key} {cmp} ${a} OR ({key} = ${a} AND t.id {cmp} ${b}))");
        }
        let sql = format!(
            "{TOKEN_SELECT}{page_filter} ORDER BY {key} {dir}, t.id {dir} LIMIT {}",
            q.limit.clamp(1, 101)
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows
            .iter()
            .map(TokenRow::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((rows, total.max(0) as u64))
    }

    /// The token with this value hash, of any kind and state, joined with its owner.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, sqlx::Error> {
        sqlx::query_as(&format!("{TOKEN_SELECT} WHERE t.value_hash = $1"))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets `last_used_at` to `at` unless it is already later.
    pub async fn touch_token(&self, id: &str, at: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records an audit event.
    pub async fn audit(&self, e: &NewAudit<'_>) -> Result<(), sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut *conn, e).await
    }

    /// One page of a tenant's audit trail, newest first.
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
            limit.clamp(1, 101)
        ))
        .bind(tenant_id)
        .bind(before.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
    }

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
        sqlx::query_as(
            "UPDATE alerts SET status = 'closed' WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, title, severity, status, created_at",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

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
        Ok(sqlx::query("DELETE FROM changes WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Inserts a token of any kind directly (for SIEM and log-collector tokens, and tests).
    pub async fn insert_token(&self, t: &NewToken<'_>) -> Result<(), CreateError> {
        self.create_token(t, None).await
    }
}

async fn insert_audit<'c, E>(exec: E, e: &NewAudit<'_>) -> Result<(), sqlx::Error>
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

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        query = match b {
            Bind::Int(i) => query.bind(*i),
            Bind::Text(s) => query.bind(s.as_str()),
        };
    }
    query
}
