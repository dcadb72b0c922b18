//! Bulk seeding: one tenant, [`OWNERS`] users and N API tokens, written by one
//! `INSERT … SELECT` over a generated series (a recursive CTE on SQLite, `generate_series` on
//! PostgreSQL) in one transaction, with the tokens table's secondary indexes dropped before
//! and rebuilt after.
//!
//! Token `i` (0-based): id `bench{i:017}`, owner `bench-user-{i mod 100:03}`, name
//! `{Deploy|ci|backup|Étl}-{i:06}`, created one minute after token `i - 1`, the newest 30 days
//! ago; a third never used, a third used within the last 5 days (active), a third last used
//! more than 10 days ago (inactive), spread by a multiplicative hash of `i`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use token_wire::Role;

use crate::{ADMIN, OWNERS, Result, TENANT};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
/// Bumped whenever the seeded rows change, so cached files are not reused.
const SEED_VERSION: u32 = 1;

/// What to seed, and the moment it is relative to (the start of the current UTC day, so a
/// cached file stays right all day).
struct Plan {
    tokens: u64,
    now: i64,
    sqlite: bool,
}

impl Plan {
    /// When token 0 was created.
    fn start(&self) -> i64 {
        self.now - 30 * DAY_MS - self.tokens as i64 * MINUTE_MS
    }

    /// The last use of token `i`, as an SQL expression of the column `i`.
    fn last_used(&self) -> String {
        format!(
            "CASE (i * 7919) % 3 WHEN 0 THEN NULL \
             WHEN 1 THEN {now} - (i * 104729) % {active} \
             ELSE {start} + i * {MINUTE_MS} + (i * 104729) % {old} END",
            now = self.now,
            active = 5 * DAY_MS,
            start = self.start(),
            old = 20 * DAY_MS,
        )
    }

    /// The generated series `i` of `count` rows, as a CTE body.
    fn series(&self, count: u64) -> String {
        if self.sqlite {
            format!(
                "RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {count}), \
                 s AS (SELECT i, {} AS lu FROM n)",
                self.last_used()
            )
        } else {
            format!(
                "s AS (SELECT i, {} AS lu FROM generate_series(0::bigint, {}) AS i)",
                self.last_used(),
                count.max(1) - 1
            )
        }
    }

    /// `prefix` then `i` zero-padded to `width` digits.
    fn padded(&self, prefix: &str, i: &str, width: usize) -> String {
        if self.sqlite {
            format!("printf('{prefix}%0{width}d', {i})")
        } else {
            format!("'{prefix}' || lpad(({i})::text, {width}, '0')")
        }
    }

    /// The users: `bench-user-000` a global administrator, the others security readers.
    fn users_sql(&self) -> String {
        let (admin, reader) = (Role::GlobalAdministrator.wid(), Role::SecurityReader.wid());
        format!(
            "WITH {series} INSERT INTO users \
             (tenant_id, id, display_name, username, roles, deprovisioned, last_sign_in) \
             SELECT '{TENANT}', {id}, {name}, {id} || '@bench.example', \
             CASE WHEN i = 0 THEN '{admin}' ELSE '{reader}' END, 0, NULL FROM s",
            series = self.series(OWNERS),
            id = self.padded("bench-user-", "i", 3),
            name = self.padded("Bench user ", "i", 3),
        )
    }

    /// The tokens, filling `columns` (the base columns, and the derived ones the store has).
    fn tokens_sql(&self, columns: &[String]) -> Result<String> {
        let name = |words: [&str; 4]| {
            let word = format!(
                "CASE i % 4 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' ELSE '{}' END",
                words[0], words[1], words[2], words[3]
            );
            if self.sqlite {
                format!("printf('%s-%06d', {word}, i)")
            } else {
                format!("({word}) || '-' || lpad(i::text, 6, '0')")
            }
        };
        let hash = if self.sqlite {
            "printf('%064x', i)".to_string()
        } else {
            "lpad(to_hex(i), 64, '0')".to_string()
        };
        let mut values = vec![
            ("id", self.padded("bench", "i", 17)),
            ("tenant_id", format!("'{TENANT}'")),
            (
                "owner_id",
                self.padded("bench-user-", &format!("i % {OWNERS}"), 3),
            ),
            ("kind", "'api'".into()),
            ("name", name(["Deploy", "ci", "backup", "Étl"])),
            ("name_lc", name(["deploy", "ci", "backup", "étl"])),
            ("value_hash", hash),
            ("created_at", format!("{} + i * {MINUTE_MS}", self.start())),
            ("last_used_at", "lu".into()),
        ];
        let active_since = token_wire::TokenStatus::active_since(self.now);
        for (column, value) in [
            (
                "status",
                format!(
                    "CASE WHEN lu IS NULL THEN 'generated' WHEN lu >= {active_since} \
                     THEN 'active' ELSE 'inactive' END"
                ),
            ),
            ("last_used_sort", "COALESCE(lu, -1)".into()),
        ] {
            if columns.iter().any(|c| c == column) {
                values.push((column, value));
            }
        }
        if let Some(missing) = values
            .iter()
            .find(|(c, _)| !columns.iter().any(|have| have == c))
        {
            return Err(format!("the store's tokens table has no column {}", missing.0).into());
        }
        let (names, exprs): (Vec<&str>, Vec<String>) = values.into_iter().unzip();
        Ok(format!(
            "WITH {} INSERT INTO tokens ({}) SELECT {} FROM s",
            self.series(self.tokens),
            names.join(", "),
            exprs.join(", ")
        ))
    }
}

/// Seeds the store at `url` (its schema already created by the server), reusing or filling
/// the cache under `cache_dir` for SQLite.
pub async fn run(url: &str, tokens: u64, cache_dir: Option<&Path>) -> Result<()> {
    let today = time::OffsetDateTime::now_utc().unix_timestamp() / 86_400 * DAY_MS;
    let plan = Plan {
        tokens,
        now: today,
        sqlite: url.starts_with("sqlite:"),
    };
    let pool = connect(url).await?;
    let cached = match cache_dir.filter(|_| plan.sqlite) {
        Some(dir) => Some(dir.join(format!("{}.db", cache_key(&pool, &plan).await?))),
        None => None,
    };
    let file = sqlite_file(url);
    if let (Some(cached), Some(file)) = (&cached, &file)
        && cached.exists()
    {
        pool.close().await;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        std::fs::copy(cached, file)?;
        println!(
            "seed: {tokens} API tokens from the cache {}",
            cached.display()
        );
        return Ok(());
    }
    let started = Instant::now();
    seed(&pool, &plan).await?;
    println!(
        "seed: {tokens} API tokens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let (Some(cached), Some(file)) = (&cached, &file) {
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await?;
        pool.close().await;
        if let Some(dir) = cached.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = cached.with_extension("partial");
        std::fs::copy(file, &partial)?;
        std::fs::rename(&partial, cached)?;
    } else {
        pool.close().await;
    }
    Ok(())
}

async fn seed(pool: &AnyPool, plan: &Plan) -> Result<()> {
    let columns = token_columns(pool, plan).await?;
    let insert = plan.tokens_sql(&columns)?;
    if plan.sqlite {
        sqlx::raw_sql("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144")
            .execute(pool)
            .await?;
    }
    let indexes = secondary_indexes(pool, plan).await?;
    let mut tx = pool.begin().await?;
    for (name, _) in &indexes {
        sqlx::raw_sql(&format!("DROP INDEX {name}"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(&format!(
        "INSERT INTO tenants (id, created_at) VALUES ('{TENANT}', {})",
        plan.now
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::raw_sql(&plan.users_sql()).execute(&mut *tx).await?;
    sqlx::raw_sql(&insert).execute(&mut *tx).await?;
    for (_, create) in &indexes {
        sqlx::raw_sql(create).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    let analyze = if plan.sqlite {
        "ANALYZE"
    } else {
        "VACUUM ANALYZE"
    };
    sqlx::raw_sql(analyze).execute(pool).await?;
    Ok(())
}

/// Adds an API token of the admin and prints its value.
pub async fn api_token(url: &str) -> Result<()> {
    let pool = connect(url).await?;
    let value = token_api::values::generate();
    let now = token_api::clock::to_ms(time::OffsetDateTime::now_utc());
    sqlx::query(
        "INSERT INTO tokens (id, tenant_id, owner_id, kind, name, name_lc, value_hash, created_at) \
         VALUES ($1, $2, $3, 'api', $4, $4, $5, $6)",
    )
    .bind(token_api::values::new_id())
    .bind(TENANT)
    .bind(ADMIN)
    .bind(format!("bench-api-{now}"))
    .bind(token_api::values::hash(&value))
    .bind(now)
    .execute(&pool)
    .await?;
    pool.close().await;
    println!("{value}");
    Ok(())
}

async fn connect(url: &str) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?)
}

/// The SQLite file of a `sqlite://` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    Some(PathBuf::from(rest.split('?').next()?))
}

/// The columns of the tokens table.
async fn token_columns(pool: &AnyPool, plan: &Plan) -> Result<Vec<String>> {
    let sql = if plan.sqlite {
        "SELECT name FROM pragma_table_info('tokens')"
    } else {
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_name = 'tokens' AND table_schema = current_schema()"
    };
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
}

/// The tokens table's indexes that back no constraint, as (name, statement that creates it).
async fn secondary_indexes(pool: &AnyPool, plan: &Plan) -> Result<Vec<(String, String)>> {
    let sql = if plan.sqlite {
        "SELECT name, sql FROM sqlite_master \
         WHERE type = 'index' AND tbl_name = 'tokens' AND sql IS NOT NULL"
    } else {
        "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE x.indrelid = 'tokens'::regclass \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
    };
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
        .collect())
}

/// The cache file name of `plan` on the schema the store has.
async fn cache_key(pool: &AnyPool, plan: &Plan) -> Result<String> {
    let rows =
        sqlx::query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
            .fetch_all(pool)
            .await?;
    let mut hash = Sha256::new();
    for row in &rows {
        hash.update(row.get::<String, _>(0).as_bytes());
    }
    hash.update(format!("{SEED_VERSION}/{}/{}", plan.tokens, plan.now).as_bytes());
    let digest = hash.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sqlite-{}-{hex}", plan.tokens))
}
