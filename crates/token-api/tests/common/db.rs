//! A fresh database per test: a SQLite file in a temporary directory, or a new database on
//! the PostgreSQL server at `TOKEN_API_TEST_POSTGRES_URL`.

use sqlx::Connection;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server to create test databases on, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TOKEN_API_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A fresh database; the SQLite directory is removed on drop.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/data/tokens.db", dir.path().display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let base = postgres_url().expect("TOKEN_API_TEST_POSTGRES_URL");
                let name = format!(
                    "token_api_test_{}",
                    token_api::values::new_id().to_lowercase()
                );
                let mut conn = sqlx::PgConnection::connect(&base)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                conn.close().await.ok();
                let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
                let prefix = if prefix.ends_with('/') || prefix.ends_with(':') {
                    base.clone()
                } else {
                    prefix.to_string()
                };
                TestDb {
                    url: format!("{prefix}/{name}"),
                    _dir: None,
                }
            }
        }
    }
}
