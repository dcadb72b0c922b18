//! API tokens (and the connector tokens that share their table): create, revoke, list, look
//! up by value hash, record use.

use sqlx::Row;
use token_wire::{AuditAction, ListParams};

use super::audit::{NewAudit, insert_audit};
use super::changes::record_change;
use super::{Backend, Store, is_unique_violation};

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
#[derive(Clone, Debug, sqlx::FromRow)]
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
    /// Where the page starts: after this position of the listing's order.
    pub after: Option<Position>,
    /// "Now" in Unix ms, for the status filter.
    pub now: i64,
}

/// A keyset position value.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    Int(i64),
    Text(String),
}

/// A position in a listing's order: a row's sort key (`last_used_at` is -1 when never used)
/// and id. A page starts after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub key: KeyValue,
    pub id: String,
}

/// Outcome of inserting a token.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("a live token with this name already exists")]
    Duplicate,
    #[error("the owner has as many live tokens as allowed")]
    TooMany,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// The columns of a [`TokenRow`], from `tokens t` joined with its owner `users u`.
macro_rules! token_columns {
    () => {
        "t.id, t.tenant_id, t.owner_id, u.display_name AS owner_name, u.roles AS owner_roles, \
         u.deprovisioned AS owner_deprovisioned, t.kind, t.name, t.value_hash, t.created_at, \
         t.last_used_at, t.revoked_at"
    };
}

/// The columns of a [`TokenRow`], from `tokens t` joined with its owner `users u`.
pub(super) const TOKEN_COLUMNS: &str = token_columns!();

const TOKEN_SELECT: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.owner_id"
);

impl Store {
    /// Inserts a token and its `generated` audit event atomically.
    pub async fn create_token(
        &self,
        t: &NewToken<'_>,
        ip: Option<&str>,
    ) -> Result<(), CreateError> {
        self.create_token_within(t, ip, None).await
    }

    /// Inserts a token and its `generated` audit event atomically, unless its owner already
    /// has `cap` live tokens of its kind ([`CreateError::TooMany`]). Creations of one owner
    /// are serialized: by SQLite's write lock, on PostgreSQL by locking the owner's row.
    pub async fn create_token_within(
        &self,
        t: &NewToken<'_>,
        ip: Option<&str>,
        cap: Option<u32>,
    ) -> Result<(), CreateError> {
        let mut tx = self.begin_write().await?;
        if let Some(cap) = cap {
            if self.backend == Backend::Postgres {
                sqlx::query("SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
                    .bind(t.tenant_id)
                    .bind(t.owner_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM tokens WHERE tenant_id = $1 AND owner_id = $2 \
                 AND kind = $3 AND revoked_at IS NULL",
            )
            .bind(t.tenant_id)
            .bind(t.owner_id)
            .bind(t.kind.as_str())
            .fetch_one(&mut *tx)
            .await?;
            if live >= i64::from(cap) {
                return Err(CreateError::TooMany);
            }
        }
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
        let mut tx = self.begin_write().await?;
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
        record_change(&mut *tx, self.backend, tenant_id, Some(id), None, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The token with this value hash, of any kind and state, joined with its owner.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, sqlx::Error> {
        sqlx::query_as(&format!("{TOKEN_SELECT} WHERE t.value_hash = $1"))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets `last_used_at` to `at` unless it is already later; the token is then active (a
    /// late write of an old use is swept back to inactive, see [`Store::list_tokens`]).
    pub async fn touch_token(&self, id: &str, at: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE tokens SET last_used_at = $1, last_used_sort = $1, status = 'active' \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
