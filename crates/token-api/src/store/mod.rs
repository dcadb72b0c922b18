//! Persistence on SQLite (embedded default) or PostgreSQL, through one `sqlx::Any` pool.
//!
//! Every query is written once, with `$n` placeholders that both backends accept; times are
//! Unix milliseconds in `BIGINT` columns and flags are `BIGINT` 0/1, so rows decode the same
//! way from either database. This module opens the pool and runs the migrations; the SQL of
//! each aggregate lives in its own module.

mod alerts;
mod audit;
mod changes;
mod listing;
#[cfg(test)]
mod plans;
mod rates;
mod search;
mod sql;
mod tokens;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Executor, FromRow};

pub use alerts::AlertRow;
pub use audit::{AuditRow, NewAudit};
pub use changes::{CHANGE_CHANNEL, ChangeRow, LISTENER_APPLICATION};
pub use listing::TokenPage;
pub use tokens::{CreateError, KeyValue, NewToken, Position, TokenKind, TokenQuery, TokenRow};
pub use users::{UserRow, parse_roles};

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
    /// Held while this process sweeps stale statuses (see [`Store::list_tokens`]).
    sweeping: Arc<tokio::sync::Mutex<()>>,
    /// Where to listen for changes: the PostgreSQL URL (`None` on SQLite).
    listen_url: Option<Secret>,
}

/// A connection URL, which may hold a password: never shown by `Debug`.
#[derive(Clone)]
struct Secret(Arc<str>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
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
        let store = Store {
            pool,
            backend,
            sweeping: Arc::default(),
            listen_url: (backend == Backend::Postgres).then(|| Secret(url.into())),
        };
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

    /// A transaction that writes. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), waiting for it under `busy_timeout`: a deferred transaction that read first
    /// (as preparing a statement whose trigger writes the FTS5 search table does) could not
    /// wait to upgrade and would fail with "database is locked".
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Runs `query` on the pool; returns how many rows it changed.
    async fn changed_rows<'q>(
        &self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<u64, sqlx::Error> {
        Ok(query.execute(&self.pool).await?.rows_affected())
    }

    /// The row `sql` returns, if any, for the row `id` of tenant `tenant_id` (bound as `$1`
    /// and `$2`).
    async fn row_of_tenant<T>(
        &self,
        sql: &str,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        sqlx::query_as(sql)
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
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
}

/// Whether a store failure is transient (answered 503 with `Retry-After`): the pool is
/// exhausted or closed, the connection broke, SQLite is locked or busy, or PostgreSQL is
/// shutting down or out of connections.
pub fn is_transient(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    ) || e.as_database_error().is_some_and(|d| {
        matches!(
            d.code().as_deref(),
            Some("5") | Some("6") | Some("57P01") | Some("53300")
        )
    })
}

/// Whether a store failure is a unique-constraint violation.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
