//! The fixture of `cargo xtask bench server`, built with the server's own profile:
//!
//! - `seed --database-url URL [--tokens N] [--cache-dir DIR]` fills a store whose schema the
//!   server already created with one tenant of N API tokens (one bulk `INSERT … SELECT` over a
//!   generated series, in one transaction; see [`seed`]). A SQLite file is cached under
//!   `DIR`, keyed by the schema, the plan and the day.
//! - `api-token --database-url URL` adds one API token of the bench admin straight into the
//!   store and prints its value, for the token-authenticated path.
//! - `issuer` serves a loopback OpenID discovery document and JWKS, prints `issuer <url>` and
//!   the access tokens of the bench's admin and reader, then serves until stdin closes.
//!
//! It writes with plain SQL and never runs migrations, so it seeds a store of an older server
//! as well (the columns it fills are the ones the store has).

mod issuer;
mod seed;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The tenant every seeded token belongs to.
pub const TENANT: &str = "8d0c6d53-4b35-4c36-9a4e-0be1c1a5b0e1";
/// The owner of the tokens `i ≡ n (mod OWNERS)` is `bench-user-{n:03}`.
pub const OWNERS: u64 = 100;
/// The full admin who lists the tenant's tokens.
pub const ADMIN: &str = "bench-user-000";
/// A security reader, who lists their own tokens.
pub const READER: &str = "bench-user-001";

#[derive(Parser)]
#[command(about = "Seeds and signs for `cargo xtask bench server`")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seed one tenant with API tokens (cached for SQLite when --cache-dir is given).
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        tokens: u64,
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Add one API token of the admin and print its value.
    ApiToken {
        #[arg(long)]
        database_url: String,
    },
    /// Serve discovery and JWKS on loopback and print the bench's access tokens.
    Issuer,
}

#[tokio::main]
async fn main() -> ExitCode {
    sqlx::any::install_default_drivers();
    let result = match Cli::parse().command {
        Command::Seed {
            database_url,
            tokens,
            cache_dir,
        } => seed::run(&database_url, tokens, cache_dir.as_deref()).await,
        Command::ApiToken { database_url } => seed::api_token(&database_url).await,
        Command::Issuer => issuer::run().await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_fixture: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Failures are messages, reported once.
pub type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;
