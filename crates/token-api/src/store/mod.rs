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

use std::io::Read;
use std::path::{Path, PathBuf};
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
    /// The SQLite database file and its identity once migrated (`None` on PostgreSQL and
    /// in memory).
    file: Option<(PathBuf, FileId)>,
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
        let mut db_file = None;
        let (backend, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let file = path.split('?').next().unwrap_or_default();
            if file != ":memory:" && !path.contains("mode=memory") {
                db_file = Some(PathBuf::from(file));
            }
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
                        // FULL: in WAL mode NORMAL may lose the last commits (an
                        // acknowledged revoke) on power loss.
                        conn.execute("PRAGMA synchronous = FULL").await?;
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
            file: None,
        };
        store.migrate().await?;
        let file = db_file.map(|path| {
            let id = file_id(&path);
            (path, id)
        });
        let store = Store { file, ..store };
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

    /// Whether the store answers a query that reads the database: on SQLite the schema
    /// cookie, and the file must still be a database at its path (open connections keep
    /// reading, and writing, a file that was removed or replaced).
    pub async fn ping(&self) -> bool {
        let sql = match self.backend {
            Backend::Sqlite => "PRAGMA schema_version",
            Backend::Postgres => "SELECT 1",
        };
        let answered = tokio::time::timeout(
            Duration::from_secs(3),
            sqlx::query(sql).fetch_one(&self.pool),
        )
        .await
        .is_ok_and(|r| r.is_ok());
        answered
            && self
                .file
                .as_ref()
                .is_none_or(|(path, id)| is_sqlite_file(path) && file_id(path) == *id)
    }
}

/// A file's device and inode: a file removed and created again (as a new connection with
/// `mode=rwc` does) is another file.
type FileId = Option<(u64, u64)>;

fn file_id(path: &Path) -> FileId {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether `path` is readable and starts with SQLite's header.
fn is_sqlite_file(path: &Path) -> bool {
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| &header == b"SQLite format 3\0")
}

/// Whether a store failure is transient (answered 503 with `Retry-After`): the pool is
/// exhausted or closed, the connection or its protocol broke, or the database says so by its
/// code (see [`transient_code`]).
pub fn is_transient(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed
    ) || e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| transient_code(&code))
}

/// Whether a database error code means "try again later". PostgreSQL SQLSTATEs (five
/// characters): connection exceptions (class 08), insufficient resources (53), a lock not
/// available (55P03), shutting down or starting up (57P01–57P03), a read-only transaction
/// after a failover (25006), a serialization failure or deadlock (40001, 40P01). SQLite
/// extended result codes (decimal), by their primary code: BUSY and LOCKED with every
/// extension (517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY, 262 LOCKED_SHAREDCACHE…), READONLY,
/// IOERR*, FULL and CANTOPEN.
pub fn transient_code(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("08")
            || code.starts_with("53")
            || matches!(
                code,
                "55P03" | "57P01" | "57P02" | "57P03" | "25006" | "40001" | "40P01"
            );
    }
    const BUSY: i32 = 5;
    const LOCKED: i32 = 6;
    const READONLY: i32 = 8;
    const IOERR: i32 = 10;
    const FULL: i32 = 13;
    const CANTOPEN: i32 = 14;
    code.parse::<i32>()
        .is_ok_and(|c| matches!(c & 0xff, BUSY | LOCKED | READONLY | IOERR | FULL | CANTOPEN))
}

/// Whether a store failure is a unique-constraint violation.
fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

#[cfg(test)]
mod tests {
    /// Every SQLite connection syncs the WAL at each commit (`synchronous = FULL`, 2), so an
    /// acknowledged revoke survives power loss.
    #[tokio::test]
    async fn sqlite_commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = super::Store::connect(&url).await.unwrap();
        for _ in 0..3 {
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(level, 2);
        }
    }
}
