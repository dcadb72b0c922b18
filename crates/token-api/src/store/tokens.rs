//! API tokens (and the connector tokens that share their table): create, revoke, list, look
//! up by value hash, record use.

use sqlx::{FromRow, Row};
use token_wire::{
    AuditAction, ListParams, MAX_PAGE_SIZE, SortKey, SortOrder, StatusCounts, TokenStatus,
};

use super::audit::{NewAudit, insert_audit};
use super::changes::record_change;
use super::{Store, is_unique_violation};

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

/// A token listing as the store runs it.
#[derive(Clone, Debug)]
pub struct TokenQuery {
    /// Filters, sort and page size, as the contract defines them; `owner` is already the
    /// owner the caller may see, and the cursor is decoded into `after`.
    pub params: ListParams,
    /// The sort key and id of the previous page's last row.
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

/// Outcome of inserting a token.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a live token with this name already exists")]
    Duplicate,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

const TOKEN_SELECT: &str = "SELECT t.id, t.tenant_id, t.owner_id, u.display_name AS owner_name, \
     u.roles AS owner_roles, u.deprovisioned AS owner_deprovisioned, t.kind, t.name, t.value_hash, \
     t.created_at, t.last_used_at, t.revoked_at \
     FROM tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_id";

enum Bind {
    Int(i64),
    Text(String),
}

impl Store {
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
            return Err(if is_unique_violation(&e) {
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

    /// Revokes a live API token of `tenant_id` (only `owner`'s when given), recording the
    /// audit event and the change. `false` when there is no such visible live token.
    pub async fn revoke(
        &self,
        tenant_id: &str,
        id: &str,
        owner: Option<&str>,
        actor_id: &str,
        now: i64,
        ip: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND kind = 'api' \
             AND revoked_at IS NULL AND ($4 = '' OR owner_id = $4) RETURNING name",
        )
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .bind(owner.unwrap_or(""))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let name: String = row.try_get("name")?;
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
        record_change(&mut *tx, tenant_id, Some(id), None, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Lists live API tokens of a tenant: one page, plus the next row when there is one (see
    /// [`crate::list::cut_page`]).
    pub async fn list_tokens(
        &self,
        tenant_id: &str,
        q: &TokenQuery,
    ) -> Result<Vec<TokenRow>, sqlx::Error> {
        let (mut filter, mut binds) = token_filter(tenant_id, q, true);
        let key = match q.params.sort {
            SortKey::Name => "t.name",
            SortKey::CreatedAt => "t.created_at",
            SortKey::LastUsedAt => "COALESCE(t.last_used_at, -1)",
        };
        let (cmp, dir) = match q.params.order {
            SortOrder::Asc => (">", "ASC"),
            SortOrder::Desc => ("<", "DESC"),
        };
        if let Some((value, id)) = &q.after {
            binds.push(match value {
                KeyValue::Int(i) => Bind::Int(*i),
                KeyValue::Text(s) => Bind::Text(s.clone()),
            });
            binds.push(Bind::Text(id.clone()));
            let (a, b) = (binds.len() - 1, binds.len());
            filter += &format!(" AND ({key} {cmp} ${a} OR ({key} = ${a} AND t.id {cmp} ${b}))");
        }
        let sql = format!(
            "{TOKEN_SELECT}{filter} ORDER BY {key} {dir}, t.id {dir} LIMIT {}",
            q.params.limit.clamp(1, MAX_PAGE_SIZE) + 1
        );
        let rows = bind_all(sqlx::query(&sql), &binds)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(TokenRow::from_row).collect()
    }

    /// Counts the live API tokens of a tenant per status under `q`'s owner and name filters
    /// (not its status filter), in one query.
    pub async fn count_tokens(
        &self,
        tenant_id: &str,
        q: &TokenQuery,
    ) -> Result<StatusCounts, sqlx::Error> {
        let (filter, mut binds) = token_filter(tenant_id, q, false);
        binds.push(Bind::Int(TokenStatus::active_since(q.now)));
        let since = binds.len();
        let sql = format!(
            "SELECT \
             COALESCE(SUM(CASE WHEN t.last_used_at IS NULL THEN 1 ELSE 0 END), 0) AS generated, \
             COALESCE(SUM(CASE WHEN t.last_used_at >= ${since} THEN 1 ELSE 0 END), 0) AS active, \
             COALESCE(SUM(CASE WHEN t.last_used_at < ${since} THEN 1 ELSE 0 END), 0) AS inactive \
             FROM tokens t{filter}"
        );
        let row = bind_all(sqlx::query(&sql), &binds)
            .fetch_one(&self.pool)
            .await?;
        let count = |name: &str| -> Result<u64, sqlx::Error> {
            Ok(row.try_get::<i64, _>(name)?.max(0) as u64)
        };
        Ok(StatusCounts::counted(
            count("generated")?,
            count("active")?,
            count("inactive")?,
        ))
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
}

/// The `WHERE` clause of a tenant's live API tokens under `q`'s owner and name filters, and
/// its status filter when `with_status`, with the values it binds (`$1`, `$2`, … in order).
fn token_filter(tenant_id: &str, q: &TokenQuery, with_status: bool) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(tenant_id.to_string())];
    let mut filter =
        String::from(" WHERE t.tenant_id = $1 AND t.kind = 'api' AND t.revoked_at IS NULL");
    if let Some(owner) = &q.params.owner {
        binds.push(Bind::Text(owner.clone()));
        filter += &format!(" AND t.owner_id = ${}", binds.len());
    }
    match q.params.status.filter(|_| with_status) {
        None => {}
        Some(TokenStatus::Generated) => filter += " AND t.last_used_at IS NULL",
        Some(TokenStatus::Active) => {
            binds.push(Bind::Int(TokenStatus::active_since(q.now)));
            filter += &format!(" AND t.last_used_at >= ${}", binds.len());
        }
        Some(TokenStatus::Inactive) => {
            binds.push(Bind::Int(TokenStatus::active_since(q.now)));
            filter += &format!(" AND t.last_used_at < ${}", binds.len());
        }
    }
    if let Some(text) = q.params.q.as_deref().filter(|s| !s.is_empty()) {
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        binds.push(Bind::Text(format!("%{escaped}%")));
        filter += &format!(" AND t.name_lc LIKE ${} ESCAPE '\\'", binds.len());
    }
    (filter, binds)
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
